"""Upload to tiers: a 100,000-row orders CSV from the Data page to the new dataset's overview.

Measures the engine path step by step (read, store, features + CLV fit, scoring, overview
figures) and the whole thing through Streamlit's AppTest (upload, "use in this session",
overview page), against the baseline of a bare pandas.read_csv of the same file.

    python bench/bench_upload.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import common  # noqa: E402


def make_file(rows: int, folder: Path) -> Path:
    """An orders CSV of about ``rows`` rows from the sample generator (customer attributes included)."""
    import pandas as pd

    from valuation.data import sample

    customers = max(50, int(rows / 11))  # about 12 orders each: a little more than needed
    sample.generate(folder / "gen", customers=customers, prospects=0, seed=11)
    orders = pd.read_csv(folder / "gen" / "orders.csv", dtype=str).head(rows)
    attrs = pd.read_csv(folder / "gen" / "customers.csv", dtype=str)[["customer_id", "name", "region", "industry"]]
    merged = orders.merge(attrs, on="customer_id", how="left")
    path = folder / "orders_upload.csv"
    merged.to_csv(path, index=False)
    return path


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def engine_path(path: Path) -> dict:
    from valuation.data import ingest
    from valuation.data.store import Store
    from valuation.model import pipeline
    from valuation.present import charts, charts_matrix

    data = path.read_bytes()
    steps = {}
    steps["read + validate"], result = timed(lambda: ingest.read_table(data, name=path.name))
    store = Store(":memory:")
    steps["store (transaction)"], _ = timed(lambda: store.replace_dataset("upload", result.tables))
    steps["features + CLV fit"], prepared = timed(lambda: pipeline.prepare(store, "upload"))
    steps["score + tiers"], scored = timed(lambda: pipeline.score(prepared))
    steps["overview figures"], _ = timed(lambda: (charts.tier_pyramid(scored), charts_matrix.value_matrix(scored),
                                                   charts.whale_curve(scored)))
    steps["total"] = sum(steps.values())
    steps["_rows"] = result.rows_loaded
    steps["_customers"] = int(scored["has_orders"].sum())
    return steps


def apptest_path(path: Path, db: Path) -> float:
    from streamlit.testing.v1 import AppTest

    os.environ["VALUATION_DB"] = str(db)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("views/data.py").run()
    data = path.read_bytes()
    start = time.perf_counter()
    at.file_uploader(key="upload").set_value((path.name, data, "text/csv")).run()
    at.text_input(key="save_name").set_value("bench upload")
    at.button(key="use_session").click().run()
    at.switch_page("views/overview.py").run()
    elapsed = time.perf_counter() - start
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Overview"
    return elapsed


def measure(rows: int, repeat: int = 3, apptest: bool = True) -> dict:
    """Engine path step by step and the AppTest path (medians), against a bare read_csv."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make_file(rows, folder)
        size_mb = path.stat().st_size / 1e6
        baseline = statistics.median(timed(lambda: pd.read_csv(path))[0] for _ in range(repeat))
        runs = [engine_path(path) for _ in range(repeat)]
        steps = {step: [r[step] for r in runs] for step in runs[0] if not step.startswith("_")}
        ends = [apptest_path(path, folder / f"app{i}.duckdb") for i in range(repeat)] if apptest else []
    return {"rows": runs[0]["_rows"], "customers": runs[0]["_customers"], "size_mb": size_mb,
            "file": path.name, "repeat": repeat, "baseline_s": baseline, "steps": steps,
            "total_s": statistics.median(steps["total"]), "apptest": ends,
            "apptest_s": statistics.median(ends) if ends else None}


def report(r: dict) -> None:
    print(f"file: {r['file']}, {r['rows']:,} rows, {r['customers']:,} customers, {r['size_mb']:.1f} MB")
    print(f"baseline pandas.read_csv: {r['baseline_s']:.2f} s (median of {r['repeat']})")
    for step, values in r["steps"].items():
        print(f"  {step:<22} median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    print(f"engine path / read_csv baseline: {r['total_s'] / r['baseline_s']:.1f}x")
    if r["apptest"]:
        ends = r["apptest"]
        print(f"AppTest upload -> 'use in this session' -> overview: median {statistics.median(ends):.2f} s "
              f"(min {min(ends):.2f}, max {max(ends):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-apptest", action="store_true", help="engine path only")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = measure(args.rows, args.repeat, apptest=not args.no_apptest)
    if args.json:
        common.emit(result)  # one JSON line (bench/run.py reads it)
    else:
        report(result)


if __name__ == "__main__":
    main()
