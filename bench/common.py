"""Shared helpers of the benchmark scripts: data sets in a temp folder, timing, peak memory.

Big files live under ``$BENCH_DIR`` (default ``/tmp/valuation_bench``), never in the repo;
``python bench/run.py`` deletes them at the end unless told to keep them.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/valuation_bench"))
DATASET = "bench"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def median(values) -> float:
    return float(statistics.median(values))


def timed(fn, repeat: int = 1):
    """(result of the last call, list of wall-clock seconds)."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, times


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (MB).

    Read from /proc (VmHWM): ``getrusage``'s ru_maxrss survives exec, so a child started by
    a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(module: str, *args: str, env: dict | None = None) -> dict:
    """Run ``python -m <module> <args>`` in a fresh process; it prints one JSON line last.

    Each measurement of peak memory runs alone in its own process so one step's peak does not
    hide another's. Returns the parsed JSON (with ``peak_mb`` from the child's own report).
    """
    cmd = [sys.executable, "-m", module, *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-4000:]}")
    last = [line for line in proc.stdout.splitlines() if line.startswith("{")][-1]
    return json.loads(last)


def emit(result: dict) -> None:
    """The last line of an isolated child: its result as JSON."""
    print(json.dumps(result, default=str), flush=True)


# ---------------------------------------------------------------------------- data sets

def generated(customers: int, seed: int = 7) -> Path:
    """Sample-generator CSVs for ``customers`` ordering customers (cached under BENCH_DIR)."""
    from valuation.data import sample

    folder = BENCH_DIR / f"gen_{customers}_{seed}"
    done = folder / "rows.json"
    if not done.exists():
        rows = sample.generate(folder, customers=customers, seed=seed)
        done.write_text(json.dumps(rows))
    return folder


def generated_rows(folder: Path) -> dict:
    return json.loads((folder / "rows.json").read_text())


def _csv_columns(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return fh.readline().strip().split(",")


def _flag_sql(column: str) -> str:
    """SQL turning a yes/no text column into 1.0/0.0 (NULL otherwise), with the parser's spellings."""
    from valuation.data.parsing import FLAG_NO, FLAG_YES

    listed = lambda words: ", ".join("'" + w.replace("'", "''") + "'" for w in sorted(words))  # noqa: E731
    return (f"CASE WHEN lower(trim({column})) IN ({listed(FLAG_YES)}) THEN 1.0 "
            f"WHEN lower(trim({column})) IN ({listed(FLAG_NO)}) THEN 0.0 END")


def load_store(csv_dir: Path, db_path: Path, dataset: str = DATASET):
    """A store file holding the generator's CSVs as dataset ``dataset``, loaded by DuckDB's
    ``read_csv`` straight into the canonical tables (the Python ingest is benchmarked apart).

    Returns the open :class:`valuation.data.store.Store`.
    """
    from valuation.data import purchase_days, schema
    from valuation.data.store import META, Store, _create_table_sql, _schema_name, quote_ident

    if db_path.exists():
        db_path.unlink()
    store = Store(db_path)
    cur = store.cursor()
    cur.execute("SET enable_progress_bar = false")
    sch = quote_ident(_schema_name(dataset))
    cur.execute(f"CREATE SCHEMA {sch}")
    for table in schema.TABLES:
        ref = f"{sch}.{quote_ident(table)}"
        cur.execute(_create_table_sql(ref, table))
        path = csv_dir / f"{table}.csv"
        cols = _csv_columns(path)
        kinds = {c.name: c.kind for c in schema.stored_columns(table)}
        # yes/no columns (是/否) are read as text and turned into 1/0 as the import's parser does
        spec = ", ".join(f"'{c}': '{'VARCHAR' if kinds[c] == 'flag' else schema.SQL_TYPES[kinds[c]]}'" for c in cols)
        names = ", ".join(quote_ident(c) for c in cols)
        values = ", ".join(_flag_sql(quote_ident(c)) if kinds[c] == "flag" else quote_ident(c) for c in cols)
        cur.execute(f"INSERT INTO {ref} ({names}) SELECT {values} FROM read_csv('{path}', "
                    f"header = true, columns = {{{spec}}})")
        cur.executemany(f"INSERT INTO {META}.columns VALUES (?, ?, ?)",
                        [(dataset, table, c) for c in cols])
    purchase_days.build(cur, sch)  # as an import does
    cur.execute(f"INSERT INTO {META}.datasets VALUES (?, ?, now())", [dataset, str(csv_dir)])
    cur.execute("CHECKPOINT")
    return store


def store_file(customers: int) -> Path:
    """A DuckDB file with the generated data for ``customers`` (built once, then reused)."""
    path = BENCH_DIR / f"store_{customers}.duckdb"
    if not path.exists():
        tmp = path.with_suffix(".tmp.duckdb")
        load_store(generated(customers), tmp).close()
        tmp.rename(path)
    else:
        _add_purchase_days(path)
    return path


def _add_purchase_days(path: Path) -> None:
    """A store built by an older version of this script gets the numbered purchase days an import
    now stores (valuation/data/purchase_days.py), so that it is measured as a new import would be."""
    from valuation.data import purchase_days
    from valuation.data.store import Store

    store = Store(path, read_only=True)
    try:
        missing = store.derived_ref(DATASET, purchase_days.TABLE) is None
    finally:
        store.close()
    if missing:
        store = Store(path)
        try:
            store.add_purchase_days(DATASET)
            store.cursor().execute("CHECKPOINT")
        finally:
            store.close()


def parquet_dir(customers: int) -> Path:
    """The same tables as Parquet files (the pandas baseline reads these)."""
    folder = BENCH_DIR / f"parquet_{customers}"
    if not (folder / "done").exists():
        import duckdb

        from valuation.data import schema
        from valuation.data.store import _schema_name, quote_ident

        folder.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(store_file(customers)), read_only=True)
        con.execute("SET enable_progress_bar = false")
        for table in schema.TABLES:
            ref = f"{quote_ident(_schema_name(DATASET))}.{quote_ident(table)}"
            con.execute(f"COPY (SELECT * FROM {ref}) TO '{folder / (table + '.parquet')}' "
                        "(FORMAT parquet)")
        con.close()
        (folder / "done").write_text("ok")
    return folder


def open_store(customers: int, read_only: bool = True):
    from valuation.data.store import Store

    return Store(store_file(customers), read_only=read_only)


@contextlib.contextmanager
def app_on_store(customers: int, timeout: int = 900):
    """An AppTest of ``app.py`` on a temporary copy of the generated store, in English, with the
    benchmark dataset selected (the app writes the sample dataset into its file, so a copy)."""
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory(dir=BENCH_DIR.parent if BENCH_DIR.exists() else None) as tmp:
        db = Path(tmp) / "app.duckdb"
        shutil.copy(store_file(customers), db)
        os.environ["VALUATION_DB"] = str(db)
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
        at.session_state["lang"] = "en"
        at.session_state["dataset"] = f"db:{DATASET}"
        yield at


def timed_run(at) -> float:
    """Seconds of one AppTest run; a page that raised fails the benchmark."""
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    assert not at.exception, [e.message for e in at.exception]
    return elapsed
