"""The command line as a new user meets it: arguments checked first, reading commands read-only,
a database file held by another program (the dashboard) explained, and every --out refused before
anything is created when it cannot be written."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from valuation.cli.main import main
from valuation.data.store import Store, StoreError, load_sample

REPO = Path(__file__).resolve().parents[1]

# A second process that opens the file and keeps it open until killed: what the dashboard does.
HOLD = ("import sys, time, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro')\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A database file holding the bundled sample, as the dashboard leaves it."""
    path = tmp_path_factory.mktemp("built") / "valuation.duckdb"
    store = Store(path)
    load_sample(store)
    store.close()
    return path


@pytest.fixture
def db(built, tmp_path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(built, path)
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


class held:
    """``with held(path, "rw") as pid:`` the file is open in another process (``"ro"``: read-only)."""

    def __init__(self, path: Path, mode: str):
        self.args = [sys.executable, "-c", HOLD, str(path), mode]

    def __enter__(self) -> int:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        return self.proc.pid

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait(timeout=30)


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


# --------------------------------------------------------------------------- arguments before anything


@pytest.mark.parametrize("argv, says", [
    (["score", "--weights", "loyalty=lots"], "--weights"),
    (["score", "--tilt", "industry=15"], "--tilt"),
    (["score", "--out", "x.docx"], "--out takes a file ending in .csv, .xlsx or .parquet"),
    (["score", "--out", "missing/x.csv"], "the folder missing does not exist"),
    (["score", "--out", "folder"], "is an existing folder"),
    (["score", "--db", "folder"], "is a folder"),
    (["score", "--dataset", "east"], "There is no dataset 'east'"),
    (["report", "--out", "r.txt"], "--out takes a file ending in .html or .htm"),
    (["report", "--out", "missing/r.html"], "the folder missing does not exist"),
    (["alerts", "--out", "x.docx"], "--out takes a folder or a file ending in .xlsx"),
    (["alerts", "--out", "lists.csv"], "--out takes a folder or a file ending in .xlsx"),
    (["alerts", "--out", "missing/lists.xlsx"], "the folder missing does not exist"),
    (["alerts", "--out", "folder", "--as-of", "2026-02-30"], "--as-of takes a date"),
    (["backtest", "--horizon-months", "0"], "from 1 to 60"),
    (["ingest", "orders.csv", "--dataset", 'x"; DROP TABLE orders; --'], "is not allowed"),
    (["ingest", "orders.csv", "--dataset", "Sample"], "the bundled sample's name"),
    (["ingest", "orders.csv", "--rejects", "rejects.txt"], "--rejects takes a file ending in .csv"),
    (["ingest", "orders.csv", "--map", "amount"], "--map takes canonical=Header"),
    (["attach", "nowhere", "--dataset", "lake"], "nowhere is not a folder"),
    (["attach", "folder", "--dataset", "bad/name"], "is not allowed"),
    (["audit", "--limit", "0"], "--limit takes a whole number"),
    (["features", "--source", "folder", "--out", "f.csv"], "--out takes a file ending in .parquet"),
    (["sample", "--out", "orders.csv"], "--out takes a folder"),
])
def test_a_bad_argument_exits_2_with_the_message_and_creates_nothing(argv, says, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "untouched.duckdb"
    monkeypatch.setenv("VALUATION_DB", str(db))
    (tmp_path / "folder").mkdir()
    (tmp_path / "orders.csv").write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    before = files_under(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and says in err and "Traceback" not in err
    assert not db.exists()
    assert files_under(tmp_path) == before


def test_alerts_out_docx_is_refused_naming_the_allowed_kinds_and_no_folder_appears(db, tmp_path, capsys):
    out = tmp_path / "x.docx"
    code, _, err = run(capsys, "alerts", "--db", str(db), "--out", str(out))
    assert code == 2 and "a folder or a file ending in .xlsx" in err
    assert not out.exists()


# --------------------------------------------------------------------------- reading commands only read


READING = [["score", "--json"], ["report", "--out", "{tmp}/r.html"], ["alerts"], ["backtest"], ["audit"]]


@pytest.mark.parametrize("argv", READING, ids=lambda a: a[0])
def test_reading_commands_work_on_a_read_only_file_and_leave_its_bytes_unchanged(argv, db, tmp_path, capsys):
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0o444 (root may still write: the bytes are the proof)
    before = (db.read_bytes(), db.stat().st_mtime_ns)
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv], "--db", str(db))
    assert code == 0, err
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert not Path(f"{db}.wal").exists()


@pytest.mark.parametrize("argv", READING[:4], ids=lambda a: a[0])
def test_reading_commands_run_while_another_process_reads_the_same_file(argv, db, tmp_path, capsys):
    # DuckDB gives a read-write connection the file alone: this passes only if the command opens it read-only.
    with held(db, "ro"):
        code, _, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv], "--db", str(db))
    assert code == 0, err


def test_a_read_write_open_is_what_the_reading_process_would_block(db):
    # The check above can fail: a writer is refused while another process reads.
    with held(db, "ro"):
        with pytest.raises(StoreError) as refused:
            Store(db)
    assert refused.value.code == "db_locked"


# --------------------------------------------------------------------------- a file held by another program


def test_reading_a_file_another_program_holds_says_to_stop_it_or_use_a_copy(db, tmp_path, capsys):
    out = tmp_path / "s.csv"
    with held(db, "rw") as pid:
        code, stdout, err = run(capsys, "score", "--db", str(db), "--out", str(out))
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert err.startswith(f"error: {db} is open in another program (process {pid})")
    assert "not even to read" in err and len(err.strip().splitlines()) == 1
    copy = "/tmp/valuation-copy/copy.duckdb"
    assert f"cp {db}* /tmp/valuation-copy/" in err
    assert err.rstrip().endswith(f"python -m valuation score --db {db} --out {out} --db {copy}".replace(
        f"--db {db} ", ""))
    assert not out.exists()


def test_writing_to_a_file_another_program_holds_says_to_upload_in_the_dashboard_or_stop_it(db, tmp_path, capsys):
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    with held(db, "rw") as pid:
        code, _, err = run(capsys, "ingest", str(path), "--db", str(db), "--dataset", "east")
    assert code == 2 and f"(process {pid})" in err and "Traceback" not in err
    assert "Data page" in err and "run this again" in err


def test_as_a_process_a_held_file_is_one_line_and_exit_2(db):
    with held(db, "rw"):
        done = subprocess.run([sys.executable, "-m", "valuation", "alerts", "--db", str(db)], cwd=REPO,
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- what commands report


def test_score_out_says_the_path_the_rows_and_the_tiers(db, tmp_path, capsys):
    out = tmp_path / "scored.csv"
    code, stdout, _ = run(capsys, "score", "--db", str(db), "--out", str(out))
    assert code == 0
    assert stdout.startswith(f"wrote {out}: 3,000 customers scored as of ")
    assert "tiers A " in stdout and "prospect 1,000" in stdout and len(stdout.strip().splitlines()) == 1
    assert out.read_bytes().count(b"\n") == 3001


def test_score_json_with_out_names_the_file_the_rows_and_the_database(db, tmp_path, capsys):
    out = tmp_path / "scored.parquet"
    code, stdout, _ = run(capsys, "score", "--db", str(db), "--out", str(out), "--json")
    report = json.loads(stdout)
    assert code == 0 and report["out"] == str(out) and report["rows"] == 3000
    assert report["db"] == str(db.resolve()) and report["dataset"] == "sample"


def test_json_db_is_the_file_used_also_when_it_comes_from_the_environment(db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VALUATION_DB", str(db))
    code, stdout, _ = run(capsys, "score", "--json")
    assert code == 0 and json.loads(stdout)["db"] == str(db.resolve())
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    code, stdout, _ = run(capsys, "ingest", str(path), "--dataset", "east", "--json")
    assert code == 0 and json.loads(stdout)["db"] == str(db.resolve())
    code, stdout, _ = run(capsys, "ingest", str(path), "--dataset", "east")
    assert f"Stored as dataset 'east' in {db.resolve()}" in stdout


def test_the_first_use_of_a_new_file_builds_the_sample_and_says_so_once(tmp_path, capsys):
    db = tmp_path / "new.duckdb"
    code, _, err = run(capsys, "score", "--db", str(db), "--json")
    assert code == 0 and f"note: built the bundled sample (sample_data/) into {db}" in err
    code, _, err = run(capsys, "score", "--db", str(db), "--json")
    assert code == 0 and err == ""


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into any folder")
def test_an_out_folder_that_cannot_be_written_is_refused_before_scoring(db, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code, _, err = run(capsys, "score", "--db", str(db), "--out", str(locked / "s.csv"))
    assert code == 2 and "cannot be written to" in err
