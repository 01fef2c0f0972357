"""Feature time and peak memory on three paths: the DuckDB file, DuckDB over Parquet, Spark local.

The same generated data (``valuation.data.sample.generate``; ~1.2M orders per 100k customers) as a
DuckDB store file and as a Parquet dataset folder (orders hive-partitioned by year, the other
tables as single files). Each measurement runs in a fresh process, interleaved, ``--repeat``
times; medians are reported with the load average (the machine is shared).

* ``duckdb_file``: ``features.compute_features`` on the store file (the dashboard's path);
* ``duckdb_parquet``: ``engines.run_features_duckdb`` reading the Parquet folder in place;
* ``spark_local``: ``engines.run_features_spark`` in local mode (``local[*]``, driver memory
  4g), reading the same folder; ``seconds`` is the first query (views, feature SQL, toPandas,
  finish), ``start_seconds`` the SparkSession start, ``warm_seconds`` the same query again in
  the same session; peak memory is Python's plus the JVM's.

    python bench/bench_scaleout.py --customers 170000,860000 [--repeat 3] [--check] [--keep]

Data lives in ``$BENCH_DIR`` (default ``/tmp/valuation_scaleout``) and is deleted at the end
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_DIR", "/tmp/valuation_scaleout")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

MODES = ("duckdb_file", "duckdb_parquet", "spark_local")
SPARK_CONF = {"spark.driver.memory": "4g"}


def parquet_dataset(customers: int) -> Path:
    """The store file's tables as a Parquet dataset folder: orders/year=YYYY/…, customers.parquet, …"""
    folder = common.BENCH_DIR / f"lake_{customers}"
    if (folder / "done").exists():
        return folder
    import duckdb

    from valuation.data import schema
    from valuation.data.sources import sql_string
    from valuation.data.store import _schema_name, quote_ident

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    con = duckdb.connect(str(common.store_file(customers)), read_only=True)
    con.execute("SET enable_progress_bar = false")
    for table in schema.TABLES:
        ref = f"{quote_ident(_schema_name(common.DATASET))}.{quote_ident(table)}"
        if table == "orders":
            con.execute(f"COPY (SELECT *, year(order_date) AS year FROM {ref}) TO "
                        f"{sql_string(str(folder / 'orders'))} (FORMAT parquet, PARTITION_BY (year))")
        else:
            con.execute(f"COPY (SELECT * FROM {ref}) TO {sql_string(str(folder / (table + '.parquet')))} "
                        "(FORMAT parquet)")
    con.close()
    (folder / "done").write_text("ok")
    return folder


def _tree_peak_mb(pid: int) -> float:
    """Sum of the peak RSS of ``pid``'s descendants (the JVM of Spark local mode)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def measure(mode: str, customers: int) -> dict:
    """One measurement in this (fresh) process."""
    import pandas as pd  # noqa: F401

    from valuation.data import engines, features

    out = {"mode": mode, "customers": customers, "start_seconds": 0.0, "warm_seconds": 0.0}
    if mode == "duckdb_file":
        store = common.open_store(customers)
        start = time.perf_counter()
        frame = features.compute_features(store, common.DATASET)
        out["seconds"] = time.perf_counter() - start
    elif mode == "duckdb_parquet":
        folder = parquet_dataset(customers)
        start = time.perf_counter()
        frame = engines.run_features_duckdb(folder)
        out["seconds"] = time.perf_counter() - start
    else:
        folder = parquet_dataset(customers)
        start = time.perf_counter()
        spark = engines.spark_session(None, extra_conf=SPARK_CONF)
        out["start_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        frame = engines.run_features_spark(str(folder), spark=spark)
        out["seconds"] = time.perf_counter() - start
        start = time.perf_counter()  # the same again in the running session: JIT warm, files cached
        engines.run_features_spark(str(folder), spark=spark)
        out["warm_seconds"] = time.perf_counter() - start
    out["peak_mb"] = common.peak_rss_mb()
    out["jvm_peak_mb"] = _tree_peak_mb(os.getpid())
    out["rows"] = len(frame)
    if mode == "spark_local":
        spark.stop()
    return out


def check(customers: int) -> None:
    """The three paths give the same features (1e-9 relative) on the benchmark data."""
    import pandas as pd

    from valuation.data import engines, features

    base = features.compute_features(common.open_store(customers), common.DATASET)
    folder = parquet_dataset(customers)
    for name, frame in (("duckdb_parquet", engines.run_features_duckdb(folder)),
                        ("spark_local", engines.run_features_spark(
                            str(folder), spark=engines.spark_session(None, extra_conf=SPARK_CONF)))):
        pd.testing.assert_frame_equal(frame, base, check_dtype=False, check_exact=False, rtol=1e-9)
        print(f"check: {name} == duckdb_file on {customers:,} customers ({len(base):,} rows)", flush=True)


def run(customers: int, repeat: int, modes=MODES) -> dict:
    common.store_file(customers)
    parquet_dataset(customers)
    orders = common.generated_rows(common.generated(customers))["orders"]
    runs = {m: [] for m in modes}
    loads = []
    for _ in range(repeat):
        for mode in modes:
            loads.append(common.load_average())
            runs[mode].append(common.run_isolated("bench.bench_scaleout", "--measure", mode,
                                                  "--customers", str(customers)))
    out = {"customers": customers, "orders": orders, "load": loads}
    for mode, rs in runs.items():
        out[mode] = {k: common.median([r[k] for r in rs])
                     for k in ("seconds", "start_seconds", "warm_seconds", "peak_mb", "jvm_peak_mb")}
        out[mode]["all_seconds"] = [round(r["seconds"], 2) for r in rs]
        out[mode]["rows"] = rs[0]["rows"]
    return out


def report(res: dict) -> None:
    print(f"{res['orders']:,} orders, {res['customers']:,} ordering customers; load average at "
          f"each run: {'; '.join(res['load'])}")
    for mode in MODES:
        if mode in res:
            r = res[mode]
            peak = r["peak_mb"] + r["jvm_peak_mb"]
            extra = (f" (+ {r['start_seconds']:.1f} s to start Spark; a second query in the same "
                     f"session {r['warm_seconds']:.1f} s; JVM {r['jvm_peak_mb']:.0f} MB)") \
                if mode == "spark_local" else ""
            print(f"  {mode:<15} {r['seconds']:7.2f} s  peak {peak:7.0f} MB  rows {r['rows']:,}  "
                  f"runs {r['all_seconds']}{extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="170000,860000",
                        help="comma-separated sizes (170000 ≈ 2M orders, 860000 ≈ 10M)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--check", action="store_true", help="compare the three paths' values first")
    parser.add_argument("--keep", action="store_true", help=f"keep {common.BENCH_DIR}")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        common.emit(measure(args.measure, int(args.customers)))
        return
    try:
        for n in (int(x) for x in args.customers.split(",")):
            if args.check:
                check(n)
            report(run(n, args.repeat, tuple(args.modes.split(","))))
    finally:
        if not args.keep:
            shutil.rmtree(common.BENCH_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
