"""Every dashboard page on a big dataset, through Streamlit's AppTest: first render and a rerun.

Builds (or reuses) a generated dataset of ``--customers`` customers in a temporary copy of
its DuckDB file, opens the overview on it (features, CLV fit, dimension scores: once per
dataset and as-of date), then each page in turn: its first render, and a rerun with nothing
changed (what a manager waits for after any click that does not change the page's inputs).
No target: it shows which page a big dataset makes slow.

    python bench/bench_pages.py [--customers 1000000] [--pages overview,tuning,...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

PAGES = ("tuning", "lifecycle", "customers", "clv", "explore", "dynamics", "actions", "present", "data")


def measure(customers: int, pages: tuple[str, ...]) -> dict:
    with common.app_on_store(customers, timeout=1800) as at:
        times = {"overview": (common.timed_run(at), common.timed_run(at))}
        for page in pages:
            at.switch_page(f"views/{page}.py")
            times[page] = (common.timed_run(at), common.timed_run(at))
    return {"customers": customers, "times": times, "load": common.load_average()}


def report(res: dict) -> None:
    print(f"every page, {res['customers']:,} customers (AppTest; load average {res['load']}):")
    for page, (first, again) in res["times"].items():
        print(f"  {page:10s} first {first:7.2f} s   rerun {again:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    report(measure(args.customers, tuple(p.strip() for p in args.pages.split(",") if p.strip())))


if __name__ == "__main__":
    main()
