"""Upload to tiers, end to end, for a big orders CSV in UTF-8 and in GB18030.

The file is what an ERP export looks like: one orders CSV with the customer's name,
region and industry on every line (lifted into ``customers``), built from the sample
generator. The engine path is the dashboard's: ``ingest.read_table`` (decode, validate
every amount and date, report rejects), one DuckDB transaction into a session store,
``pipeline.prepare`` (feature SQL + BG/NBD and Gamma-Gamma fit) and ``pipeline.score``
(tiers). The baseline is a bare ``pandas.read_csv`` of the same file, no validation.

    python bench/bench_ingest.py [--rows 1000000] [--repeat 3]

Targets at 1,000,000 rows: <= 10 s (UTF-8), <= 15 s (GB18030).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

STEPS = ("read + validate", "store", "features + CLV fit", "score + tiers")


def make_files(rows: int) -> dict[str, Path]:
    """``orders_<rows>.csv`` (UTF-8) and ``orders_<rows>_gb18030.csv`` under BENCH_DIR (kept)."""
    import pandas as pd

    folder = common.BENCH_DIR / f"upload_{rows}"
    utf8, gb = folder / f"orders_{rows}.csv", folder / f"orders_{rows}_gb18030.csv"
    if not (utf8.exists() and gb.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        gen = common.generated(max(50, int(rows / 11)))  # ~11.6 orders per customer: a little more
        orders = pd.read_csv(gen / "orders.csv", dtype=str, nrows=rows)
        attrs = pd.read_csv(gen / "customers.csv", dtype=str,
                            usecols=["customer_id", "name", "region", "industry"])
        orders.merge(attrs, on="customer_id", how="left").to_csv(utf8, index=False)
        gb.write_bytes(utf8.read_text(encoding="utf-8").encode("gb18030"))
    return {"utf-8": utf8, "gb18030": gb}


def engine_path(path: Path) -> dict:
    from valuation.data import ingest
    from valuation.data.store import Store
    from valuation.model import pipeline

    steps = {}
    start = time.perf_counter()
    data = path.read_bytes()  # what the upload widget hands over
    result = ingest.read_table(data, name=path.name)
    steps["read + validate"] = time.perf_counter() - start
    store = Store(":memory:")
    t = time.perf_counter()
    store.replace_dataset("upload", result.tables)
    steps["store"] = time.perf_counter() - t
    t = time.perf_counter()
    prepared = pipeline.prepare(store, "upload")
    steps["features + CLV fit"] = time.perf_counter() - t
    t = time.perf_counter()
    scored = pipeline.score(prepared)
    steps["score + tiers"] = time.perf_counter() - t
    steps["total"] = time.perf_counter() - start
    steps["_rows"] = result.rows_loaded
    steps["_rejected"] = result.rows_rejected
    steps["_encoding"] = result.encoding
    steps["_customers"] = int(scored["has_orders"].sum())
    steps["_tiers"] = {k: int(v) for k, v in scored["tier"].value_counts().items()}
    store.close()
    return steps


def baseline(path: Path, encoding: str) -> float:
    import pandas as pd

    start = time.perf_counter()
    pd.read_csv(path, encoding=encoding)
    return time.perf_counter() - start


def dashboard_path(path: Path) -> float:
    """The same file through the dashboard (AppTest): upload, "use in this session", overview."""
    import tempfile

    from bench.bench_upload import apptest_path

    with tempfile.TemporaryDirectory(dir=common.BENCH_DIR) as tmp:
        return apptest_path(path, Path(tmp) / "app.duckdb")


def measure(rows: int, repeat: int, encodings=("utf-8", "gb18030"), apptest: bool = False) -> dict:
    files = make_files(rows)
    out = {"rows": rows, "load": common.load_average(), "encodings": {}}
    for enc in encodings:
        path = files[enc]
        base = [baseline(path, enc) for _ in range(repeat)]
        runs = [engine_path(path) for _ in range(repeat)]
        dashboard = [dashboard_path(path) for _ in range(repeat)] if apptest else []
        out["encodings"][enc] = {
            "file_mb": path.stat().st_size / 1e6,
            "baseline_s": common.median(base),
            "total_s": common.median([r["total"] for r in runs]),
            "all_totals": [round(r["total"], 2) for r in runs],
            "steps": {s: common.median([r[s] for r in runs]) for s in STEPS},
            "rows_loaded": runs[0]["_rows"], "rejected": runs[0]["_rejected"],
            "customers": runs[0]["_customers"], "encoding_seen": runs[0]["_encoding"],
            "dashboard_s": common.median(dashboard) if dashboard else None,
        }
    return out


def report(res: dict) -> None:
    targets = {"utf-8": 10.0, "gb18030": 15.0}
    print(f"upload to tiers, {res['rows']:,}-row orders CSV (load average {res['load']}):")
    for enc, r in res["encodings"].items():
        print(f"  {enc:<8} {r['file_mb']:.0f} MB, {r['rows_loaded']:,} rows loaded, {r['rejected']} rejected, "
              f"{r['customers']:,} customers (decoded as {r['encoding_seen']})")
        for step, value in r["steps"].items():
            print(f"    {step:<20} {value:6.2f} s")
        print(f"    end to end {r['total_s']:6.2f} s (median, runs {r['all_totals']}; target <= "
              f"{targets.get(enc, 0):.0f} s); pandas read_csv {r['baseline_s']:.2f} s "
              f"= {r['total_s'] / r['baseline_s']:.1f}x read_csv")
        if r.get("dashboard_s"):
            print(f"    through the dashboard (AppTest: upload -> use in this session -> overview) "
                  f"{r['dashboard_s']:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--apptest", action="store_true", help="also through the dashboard (AppTest)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = measure(args.rows, args.repeat, apptest=args.apptest)
    if args.json:
        common.emit(result)  # one JSON line (bench/run.py reads it)
    else:
        report(result)


if __name__ == "__main__":
    main()
