"""Features from the store against straightforward pandas and against a bare GROUP BY.

Three measurements on the same generated data, each in a fresh process (so each peak
resident memory is its own), repeated and reported as medians:

* ``duckdb``: ``features.compute_features`` on the DuckDB store file: the feature SQL
  (orders, customers, payments, service) and its pandas finishing step, to a DataFrame;
* ``pandas``: the same features in straightforward pandas from Parquet files of the same
  tables (``bench/pandas_features.py``), reading included;
* ``floor``: ``SELECT customer_id, count(*), sum(amount), max(order_date) FROM orders
  GROUP BY customer_id`` on the same store, to a DataFrame: what one pass over the orders
  costs at the least;
* ``floor4``: the same bare GROUP BY on each of the four tables the features read
  (orders, payments, service, customers), one after the other: what reading them costs at the
  least (issue #17 measures the features against it).

    python bench/bench_features.py [--customers 1000000] [--repeat 3] [--check]

Targets at 1,000,000 customers: <= 10 s and <= 3 GB peak; faster than pandas with at most
half its peak memory; within 3x the floor; within 4x the four-table floor (issue #17). The
ratios are what count: compare the modes of one run, never figures of different runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

MODES = ("duckdb", "pandas", "floor", "floor4")


def measure(mode: str, customers: int) -> dict:
    """One measurement in this process (meant to be a fresh one): seconds, CPU seconds, peak MB."""
    import pandas as pd  # noqa: F401  (imports are not part of the timing)

    from valuation.data import features

    if mode == "pandas":
        from bench import pandas_features
        folder = common.parquet_dir(customers)
        store = None
    else:
        store = common.open_store(customers)
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "duckdb":
        frame = features.compute_features(store, common.DATASET)
    elif mode == "pandas":
        frame = pandas_features.compute_features(folder)
    elif mode == "floor":
        ref = store.table_ref(common.DATASET, "orders")
        frame = store.cursor().execute(
            f"SELECT customer_id, count(*) AS n, sum(amount) AS amount, max(order_date) AS last "
            f"FROM {ref} GROUP BY customer_id").df()
    else:  # the same bare GROUP BY on each table the features read, one after the other
        for table, amount, date in (("orders", "amount", "order_date"), ("payments", "amount", "due_date"),
                                    ("service", "cost", "date"), ("customers", "acquisition_cost", "created_at")):
            ref = store.table_ref(common.DATASET, table)
            frame = store.cursor().execute(
                f"SELECT customer_id, count(*) AS n, sum({amount}) AS amount, max({date}) AS last "
                f"FROM {ref} GROUP BY customer_id").df()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {"mode": mode, "customers": customers, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "peak_mb": common.peak_rss_mb(), "rows": len(frame)}


def run(customers: int, repeat: int, modes=MODES) -> dict:
    """Each mode ``repeat`` times in its own process, interleaved; medians per mode."""
    common.store_file(customers)
    if "pandas" in modes:
        common.parquet_dir(customers)
    runs = {m: [] for m in modes}
    for _ in range(repeat):
        for mode in modes:
            runs[mode].append(common.run_isolated("bench.bench_features", "--measure", mode,
                                                  "--customers", str(customers)))
    out = {"customers": customers, "load": common.load_average()}
    for mode, rs in runs.items():
        out[mode] = {k: common.median([r[k] for r in rs]) for k in ("seconds", "cpu_seconds", "peak_mb")}
        out[mode]["all_seconds"] = [round(r["seconds"], 2) for r in rs]
        out[mode]["rows"] = rs[0]["rows"]
    return out


def check(customers: int) -> None:
    """The pandas baseline computes the very features of the SQL (values compared)."""
    import pandas as pd

    from bench import pandas_features
    from valuation.data import features

    store = common.open_store(customers)
    sql = features.compute_features(store, common.DATASET)
    pan = pandas_features.compute_features(common.parquet_dir(customers), sql.attrs["as_of"],
                                           store.provided_columns(common.DATASET))
    pd.testing.assert_frame_equal(sql, pan, check_dtype=False, check_exact=False, rtol=1e-9)
    print(f"check: pandas baseline == feature SQL on {customers:,} customers ({sql.shape[1]} columns)")


def report(res: dict) -> None:
    n = res["customers"]
    print(f"features from the store, {n:,} customers (load average {res['load']}):")
    for mode in MODES:
        if mode in res:
            r = res[mode]
            print(f"  {mode:<7} {r['seconds']:7.2f} s  cpu {r['cpu_seconds']:6.2f} s  "
                  f"peak {r['peak_mb']:7.0f} MB  rows {r['rows']:,}  runs {r['all_seconds']}")
    if {"duckdb", "pandas"} <= set(res):
        d, p = res["duckdb"], res["pandas"]
        print(f"  duckdb vs pandas: {p['seconds'] / d['seconds']:.1f}x faster, "
              f"{d['peak_mb'] / p['peak_mb']:.2f} of its peak memory")
    if {"duckdb", "floor"} <= set(res):
        print(f"  duckdb vs floor: {res['duckdb']['seconds'] / res['floor']['seconds']:.1f}x the floor")
    if {"duckdb", "floor4"} <= set(res):
        print(f"  duckdb vs the four-table floor: {res['duckdb']['seconds'] / res['floor4']['seconds']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--check", action="store_true", help="compare the pandas baseline's values")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        common.emit(measure(args.measure, args.customers))
        return
    if args.check:
        check(args.customers)
    report(run(args.customers, args.repeat, tuple(args.modes.split(","))))


if __name__ == "__main__":
    main()
