"""The sample generator at scale: wall time and peak memory, in a fresh process.

    python bench/bench_generator.py [--customers 1000000]

Runs ``valuation.data.sample.generate`` into a temporary folder under BENCH_DIR (deleted after)
and reports rows written, seconds, peak resident memory and the size of the CSVs.
Target at 1,000,000 customers (~11.6 million orders): <= 3 minutes, bounded memory
(the generator works in chunks of 50,000 customers, so the peak does not grow with size).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402


def measure(customers: int) -> dict:
    from valuation.data import sample

    common.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="generator_", dir=common.BENCH_DIR))
    try:
        start = time.perf_counter()
        rows = sample.generate(folder, customers=customers)
        seconds = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"customers": customers, "rows": rows, "seconds": seconds, "peak_mb": common.peak_rss_mb(),
            "csv_mb": size_mb}


def run(customers: int) -> dict:
    """:func:`measure` in a fresh process (its own peak memory)."""
    return common.run_isolated("bench.bench_generator", "--measure", "--customers", str(customers))


def report(r: dict) -> None:
    rows = r["rows"]
    print(f"sample generator, {r['customers']:,} customers: {rows['orders']:,} orders, "
          f"{rows['payments']:,} invoices, {rows['service']:,} service events, "
          f"{rows['customers']:,} customer rows, {r['csv_mb']:,.0f} MB of CSV")
    print(f"  {r['seconds']:.1f} s, peak memory {r['peak_mb']:.0f} MB (target <= 180 s, bounded memory)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        common.emit(measure(args.customers))
        return
    report(run(args.customers))


if __name__ == "__main__":
    main()
