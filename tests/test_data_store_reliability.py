"""Storage under stress: killed imports, concurrent writers and sessions, locked files, hostile names.

Each test names the guarantee it shows (docs/reliability.md lists them).
"""

from __future__ import annotations

import ast
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from valuation.cli import main as cli
from valuation.data.store import Store, StoreError, ensure_sample

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
HOSTILE = 'x"; DROP TABLE orders; --'


def orders(tag: str, n: int, amount: float) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"{tag}-{i}" for i in range(n)],
                         "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 300, unit="D"),
                         "amount": np.full(n, amount)})


def fingerprint(store: Store, dataset: str) -> tuple:
    """(rows, distinct tags, total amount, source): enough to tell two versions of a dataset apart."""
    frame = store.read(dataset, "orders")
    tags = frozenset(frame["customer_id"].str.split("-").str[0])
    return len(frame), tags, round(float(frame["amount"].sum()), 2), store.info(dataset).source


# ============================================================================ killed imports

WRITER = textwrap.dedent('''
    import os, sys, time
    import numpy as np, pandas as pd
    sys.path.insert(0, {repo!r})
    from valuation.data.store import Store
    path, marker, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    big = pd.DataFrame({{
        "customer_id": pd.Series(np.char.add("NEW-", (np.arange(n) % 40000).astype(str)), dtype="str"),
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) % 365, unit="D"),
        "amount": np.full(n, 2.0), "product": "widget"}})

    class Hooked(dict):
        """replace_dataset asks for each table inside its transaction: orders are in by 'customers'."""
        def get(self, key, default=None):
            if mode == "hook" and key == "customers":
                with open(marker, "w") as f:
                    f.write(str(os.path.getsize(path)))
                time.sleep(120)  # held inside the open transaction until killed
            return super().get(key, default)

    store = Store(path)
    if mode == "timed":
        open(marker, "w").close()
    store.replace_dataset("d", Hooked(orders=big), source="new")
    print("committed", flush=True)
''').format(repo=str(REPO))


@pytest.fixture
def db_with_old(tmp_path):
    path = tmp_path / "killed.duckdb"
    store = Store(path)
    store.replace_dataset("d", {"orders": orders("OLD", 10, 1.0)}, source="old")
    store.replace_dataset("other", {"orders": orders("OTHER", 5, 3.0)}, source="other")
    old = fingerprint(store, "d"), fingerprint(store, "other")
    store.close()
    (tmp_path / "writer.py").write_text(WRITER)
    return path, old


def start_writer(tmp_path, path, mode, rows):
    marker = tmp_path / f"marker-{mode}-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "writer.py"), str(path), str(marker), mode, str(rows)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.time() < deadline, "the writer never started"
        time.sleep(0.02)
    return proc, marker


def test_an_import_killed_inside_its_transaction_leaves_the_dataset_unchanged(tmp_path, db_with_old):
    path, (old_d, old_other) = db_with_old
    size_before = path.stat().st_size
    proc, marker = start_writer(tmp_path, path, "hook", 400_000)
    time.sleep(0.2)  # let the marker's content be written
    size_inside = int(marker.read_text() or 0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The uncommitted rows had already reached the file: the kill really hit a half-written import.
    assert size_inside > size_before, (size_before, size_inside)
    store = Store(path)  # the database opens
    try:
        assert fingerprint(store, "d") == old_d
        assert fingerprint(store, "other") == old_other
        assert store.datasets() == ["d", "other"]
        assert store.provided_columns("d") == {"orders": ["amount", "customer_id", "order_date"]}
        store.replace_dataset("d", {"orders": orders("AFTER", 3, 5.0)}, source="after")  # and works
        assert fingerprint(store, "d")[:3] == (3, frozenset({"AFTER"}), 15.0)
    finally:
        store.close()


def test_imports_killed_at_any_moment_leave_the_old_or_the_new_dataset_never_a_mix(tmp_path, db_with_old):
    path, (old_d, old_other) = db_with_old
    rows = 400_000
    new_d = (rows, frozenset({"NEW"}), 2.0 * rows, "new")
    outcomes = []
    for delay in (0.05, 0.5, 60.0):  # the last one lets the import finish
        proc, _ = start_writer(tmp_path, path, "timed", rows)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        said_committed = "committed" in (proc.stdout.read() or "")
        store = Store(path)
        try:
            now = fingerprint(store, "d")
            assert now in (old_d, new_d), now
            # A writer that said so has committed. One that did not may still have: a kill can land
            # between the commit and the print, and then the new dataset is whole, which is right.
            if said_committed:
                assert now == new_d
            assert fingerprint(store, "other") == old_other
        finally:
            store.close()
        outcomes.append(now == new_d)
    assert outcomes[-1] is True
    assert False in outcomes, "no kill landed before the commit"


# ============================================================================ concurrent writers

def test_threads_replacing_datasets_at_once_neither_corrupt_nor_mix_them(tmp_path):
    store = Store(tmp_path / "threads.duckdb")
    expected = {f"t{k}": orders(f"T{k}", 200 + k, float(k + 1)) for k in range(4)}
    shared = {k: orders(f"S{k}", 300 + k, 10.0 + k) for k in range(2)}
    errors, seen = [], []
    stop = threading.Event()

    def writer(name, frame, times=6):
        try:
            for _ in range(times):
                store.replace_dataset(name, {"orders": frame}, source=name)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def shared_writer(k):
        try:
            for _ in range(6):
                store.replace_dataset("shared", {"orders": shared[k]}, source=f"S{k}")
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    def reader():
        try:
            while not stop.is_set():
                if store.has_dataset("shared"):
                    frame = store.read("shared", "orders")
                    seen.append(frozenset(frame["customer_id"].str.split("-").str[0]))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n, f)) for n, f in expected.items()]
    threads += [threading.Thread(target=shared_writer, args=(k,)) for k in shared]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for th in readers + threads:
        th.start()
    for th in threads:
        th.join()
    stop.set()
    for th in readers:
        th.join()
    assert not errors, errors
    for name, frame in expected.items():
        got = store.read(name, "orders")
        pd.testing.assert_frame_equal(got[["customer_id", "amount"]], frame[["customer_id", "amount"]],
                                      check_dtype=False)
        assert store.info(name).source == name
    final = fingerprint(store, "shared")
    assert final[1] in ({"S0"}, {"S1"}) and final[3] == sorted(final[1])[0]  # one writer's, whole
    assert seen and all(len(tags) == 1 for tags in seen)  # no reader ever saw a mix
    store.close()


# ============================================================================ sessions (AppTest)

CSV_A = "customer_id,order_date,amount\n" + "".join(f"A{i},2024-01-{i + 1:02d},{10 * (i + 1)}\n" for i in range(9))
CSV_B = "customer_id,order_date,amount\n" + "".join(f"B{i},2024-02-{i + 1:02d},{7 * (i + 1)}\n" for i in range(6))


@pytest.fixture
def shared_db(tmp_path, monkeypatch):
    path = tmp_path / "sessions.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.close()
    monkeypatch.setenv("VALUATION_DB", str(path))
    return path


def session(page="data"):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def upload_and(at, name, text, button, save_as):
    at.file_uploader(key="upload").set_value((name, text.encode(), "text/csv")).run()
    at.text_input(key="save_name").set_value(save_as)
    at.button(key=button).click().run()
    assert not at.exception, [e.message for e in at.exception]


def test_an_unsaved_upload_is_invisible_to_other_sessions(shared_db):
    first, second = session(), session()
    first.file_uploader(key="upload").set_value(("mine.csv", CSV_A.encode(), "text/csv")).run()
    second.run()
    assert "db:mine" not in second.selectbox(key="dataset").options  # uploaded, not saved
    upload_and(first, "mine.csv", CSV_A, "use_session", "mine")
    assert first.selectbox(key="dataset").value == "session:mine"
    second.run()
    assert not [o for o in second.selectbox(key="dataset").options if o.endswith(":mine")]
    third = session()  # a session opened later does not see it either
    assert not [o for o in third.selectbox(key="dataset").options if o.endswith(":mine")]
    store = Store(shared_db)  # same configuration as the app's own connection
    try:
        assert store.datasets() == ["sample"]
    finally:
        store.close()


@pytest.fixture
def as_one_server(monkeypatch):
    """Two AppTests running at once in two threads, made to share what a real server shares, so
    that the test is about the store, not about AppTest:

    - one compiled-script cache behind one lock: each AppTest has its own, so two of them could
      compile a page at the same moment, which CPython 3.11's compiler does not always survive
      (its AST builder keeps one recursion counter per interpreter, not per thread: "SystemError:
      AST constructor recursion depth mismatch", seen once in CI; CPython gh-106905);
    - one runtime: each AppTest run installs its own mock as the global ``Runtime`` and removes it
      when it ends, so the session that finished first took the other's away in the middle of its
      run ("Runtime hasn't been created!", seen once in CI). Here a run that finds none uses the
      last one installed.
    """
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    lock, get = threading.Lock(), ScriptCache.get_bytecode

    def locked(self, script_path):
        with lock:
            return get(self, script_path)

    monkeypatch.setattr(ScriptCache, "get_bytecode", locked)
    installed = []

    def instance(cls):
        if cls._instance is not None:
            installed[:] = [cls._instance]
        if installed:
            return installed[0]
        raise RuntimeError("Runtime hasn't been created!")

    monkeypatch.setattr(Runtime, "instance", classmethod(instance))


def test_two_sessions_saving_at_the_same_moment_each_store_their_own_dataset(shared_db, as_one_server):
    one, two = session(), session()
    one.file_uploader(key="upload").set_value(("a.csv", CSV_A.encode(), "text/csv")).run()
    two.file_uploader(key="upload").set_value(("b.csv", CSV_B.encode(), "text/csv")).run()
    one.text_input(key="save_name").set_value("from one")
    two.text_input(key="save_name").set_value("from two")
    one.button(key="save_dataset").click()
    two.button(key="save_dataset").click()
    go = threading.Barrier(2)
    errors = []

    def run(at):
        try:
            go.wait()
            at.run()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(at,)) for at in (one, two)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors and not one.exception and not two.exception
    assert one.selectbox(key="dataset").value == "db:from one"
    assert two.selectbox(key="dataset").value == "db:from two"
    store = Store(shared_db)  # same configuration as the app's own connection
    try:
        a, b = store.read("from one", "orders"), store.read("from two", "orders")
        assert sorted(a["customer_id"]) == [f"A{i}" for i in range(9)] and a["amount"].sum() == 450
        assert sorted(b["customer_id"]) == [f"B{i}" for i in range(6)] and b["amount"].sum() == 147
        assert store.info("from one").source == "a.csv" and store.info("from two").source == "b.csv"
    finally:
        store.close()


def test_the_app_says_when_the_database_is_held_by_another_process_and_recovers(tmp_path, monkeypatch):
    path = tmp_path / "held.duckdb"
    monkeypatch.setenv("VALUATION_DB", str(path))
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
                               "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["lang"] = "en"
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        message = " ".join(e.value for e in at.error)
        assert "in use by another program" in message and "try again" in message
        at.session_state["lang"] = "zh"
        at.run()
        assert "正被另一个程序占用" in " ".join(e.value for e in at.error)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    at.session_state["lang"] = "en"
    at.run()  # the other program is gone: trying again works
    assert not at.exception and not at.error
    assert at.title[0].value == "Overview"


# ============================================================================ names and SQL

def test_hostile_dataset_names_are_refused_everywhere_and_harm_nothing(tmp_path, capsys, monkeypatch):
    store = Store(tmp_path / "names.duckdb")
    store.replace_dataset("orders", {"orders": orders("KEEP", 4, 1.0)})
    for bad in (HOSTILE, "", "   ", "../etc", "a" * 65, "name\nnext", "a;b", "ds_x'--", "\x00"):
        with pytest.raises(StoreError) as err:
            store.replace_dataset(bad, {"orders": orders("BAD", 1, 1.0)})
        assert err.value.code == "bad_dataset_name"
    # Reading, deleting or summarising by a hostile name quotes it: an unknown dataset, nothing else.
    for call in (lambda: store.read(HOSTILE, "orders"), lambda: store.info(HOSTILE),
                 lambda: store.table_summary(HOSTILE)):
        with pytest.raises(StoreError) as err:
            call()
        assert err.value.code == "unknown_dataset"
    store.delete_dataset(HOSTILE)
    assert store.datasets() == ["orders"] and len(store.read("orders", "orders")) == 4
    tables = store.cursor().execute("SELECT table_schema, table_name FROM information_schema.tables "
                                    "WHERE table_schema = 'ds_orders' ORDER BY 2").fetchall()
    assert [t for _, t in tables] == ["customer_metrics", "customers", "orders", "payments", "purchase_days", "service"]
    store.close()
    # The command line refuses it with exit 2.
    csv = tmp_path / "o.csv"
    csv.write_text(CSV_A)
    assert cli.main(["ingest", str(csv), "--db", str(tmp_path / "names.duckdb"), "--dataset", HOSTILE]) == 2
    assert "is not allowed" in capsys.readouterr().err


def test_a_hostile_save_name_on_the_data_page_shows_a_message(shared_db):
    at = session()
    upload_and(at, "o.csv", CSV_A, "save_dataset", HOSTILE)
    assert "is not allowed" in " ".join(e.value for e in at.error)
    assert "nothing stored was changed" in " ".join(w.value for w in at.warning)
    store = Store(shared_db)  # same configuration as the app's own connection
    try:
        assert store.datasets() == ["sample"]
    finally:
        store.close()


SQL_WORDS = re.compile(r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ALTER|FROM|JOIN|WHERE)\b")
# Variables that hold what a user typed or a file said: they may reach SQL text only through a
# quoting call (quote_ident, table_ref, sql_string ...), never as they are. Values go in as parameters.
USER_VALUES = {"name", "dataset", "table", "column", "header", "value", "path", "folder", "file",
               "source", "customer_id", "text", "location", "sheet", "mapping", "new", "old", "config_json"}
QUOTING = {"quote_ident", "sql_string", "table_ref"}


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def test_no_user_value_reaches_sql_text_unquoted():
    offending = []
    for path in sorted((REPO / "valuation").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if not SQL_WORDS.search(text):
                continue
            for piece in (v.value for v in node.values if isinstance(v, ast.FormattedValue)):
                if isinstance(piece, ast.Call):
                    callee = piece.func.attr if isinstance(piece.func, ast.Attribute) else getattr(piece.func, "id", "")
                    if callee in QUOTING:
                        continue
                    inner = {_root(a) for a in piece.args} | {_root(k.value) for k in piece.keywords}
                    if inner & USER_VALUES:
                        offending.append(f"{path.name}:{node.lineno}: {{{ast.unparse(piece)}}}")
                elif _root(piece) in USER_VALUES:
                    offending.append(f"{path.name}:{node.lineno}: {{{ast.unparse(piece)}}}")
    assert not offending, offending
