"""What the commands share: usage errors, argument and --out checks, opening the store, where scores come from."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path


class UsageError(Exception):
    """A mistake in the command's arguments; the message says how to fix it."""


def parse_as_of(text: str | None) -> dt.date | None:
    """``--as-of`` as a date; a bad one is a usage error (exit 2) before anything is opened."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise UsageError(f"--as-of takes a date as YYYY-MM-DD, got {text!r}.") from None


def _parse_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        canonical, sep, header = pair.partition("=")
        if not sep or not canonical.strip():
            raise UsageError(f"--map takes canonical=Header, got {pair!r} "
                             "(for example --map amount=销售额; --map cost= leaves cost unmapped).")
        mapping[canonical.strip()] = header.strip()  # empty: do not use any column for it
    return mapping


def db_path(args) -> Path:
    """The database file a command uses: ``--db``, else ``VALUATION_DB``, else data/valuation.duckdb.
    A folder is a usage error (exit 2) before anything is opened."""
    from valuation.data.store import default_db_path

    path = Path(getattr(args, "db", None) or default_db_path())
    if path.is_dir():
        raise UsageError(f"--db {path} is a folder; give the database file, e.g. --db {path / 'valuation.duckdb'}.")
    return path


def new_dataset_name(name: str) -> str:
    """``--dataset`` for a command that stores: an allowed name and not the sample's, checked before
    anything is read or opened (Store.claim_name checks it again, with the stored names)."""
    from valuation.data.store import StoreError, is_sample, validate_dataset_name

    cleaned = validate_dataset_name(name)
    if is_sample(cleaned):
        raise StoreError("sample_protected", f"{cleaned!r} is the bundled sample's name; the sample can never be "
                         "replaced or deleted. Choose another name with --dataset.", name=cleaned)
    return cleaned


def _looks_like_extension(suffix: str) -> bool:
    return bool(re.fullmatch(r"\.[A-Za-z]{1,5}", suffix))


def check_out(out: Path | None, suffixes: tuple[str, ...], *, folder: bool = False, option: str = "--out") -> None:
    """``--out`` checked before any store is opened or anything computed; nothing is created.

    A file ending in one of ``suffixes``, in a folder that exists and may be written; with ``folder``
    also a folder (existing, or a new name without an extension, inside an existing folder).
    """
    if out is None:
        return
    allowed = " or ".join(filter(None, (", ".join(suffixes[:-1]), suffixes[-1] if suffixes else "")))
    takes = (f"a folder or a file ending in {allowed}" if folder and suffixes else "a folder (a name without an "
             "extension)" if folder else f"a file ending in {allowed}")
    suffix = out.suffix.lower()
    if out.is_dir():
        if folder and suffix not in suffixes:
            return
        raise UsageError(f"{option} {out} is an existing folder; {option} takes {takes}.")
    if suffix not in suffixes and (not folder or _looks_like_extension(suffix) or out.exists()):
        raise UsageError(f"{option} takes {takes}; got {str(out)!r}. Nothing was written.")
    parent = out.parent
    if not parent.is_dir():
        raise UsageError(f"{option}: the folder {parent} does not exist; create it first "
                         f"(mkdir -p {shlex.quote(str(parent))}). Nothing was written.")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{option}: the folder {parent} cannot be written to (no permission). Nothing was written.")


def _holder(pid: str) -> str:
    """Who holds the database file: the dashboard (Streamlit), or another program."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError):
        command = ""
    return "the dashboard" if "streamlit" in command else "another program"


def _with_db(argv: list[str], db: Path) -> str:
    """``argv`` as a command to paste, its ``--db`` replaced by ``db``."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--db="):
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        kept.append(arg)
    return " ".join(shlex.quote(a) for a in ["python", "-m", "valuation", *kept, "--db", str(db)])


def locked_message(path: Path, pid: str, *, write: bool, argv: list[str]) -> str:
    """What to do when another process holds the file: DuckDB then refuses every other process,
    even one that only reads (measured with duckdb 2.0.1; docs/reliability.md, "Locked database")."""
    holder = _holder(pid) if pid else "another program"
    held = f"{path} is open in {holder}" + (f" (process {pid})" if pid else "")
    stop = "stop the dashboard" if holder == "the dashboard" else "close that program"
    if write:
        return (f"{held}, so it cannot be changed from here. While the dashboard runs, import the file on its "
                f"Data page instead; or {stop} and run this again.")
    copy = Path("/tmp/valuation-copy")
    return (f"{held}, and DuckDB then lets no other program open it, not even to read. {stop.capitalize()}, or "
            f"work on a copy: mkdir -p {copy} && cp {shlex.quote(str(path))}* {copy}/ && "
            f"{_with_db(argv, copy / path.name)}")


def open_db(path: Path, *, write: bool, argv: list[str]):
    """The store at ``path``, read-only unless ``write``; a file held by another process is a
    StoreError that says what to do (exit 2, no traceback). ``argv``: the command, to repeat on a copy."""
    from valuation.data.store import Store, StoreError

    try:
        return Store(path, read_only=not write)
    except StoreError as exc:
        if exc.code != "db_locked":
            raise
        raise StoreError("db_locked", locked_message(path, exc.params.get("pid", ""), write=write, argv=argv),
                         path=str(path)) from None


def command_line(args) -> list[str]:
    """The arguments the command was run with (set by main); the subcommand alone otherwise."""
    return list(getattr(args, "argv", None) or [getattr(args, "command", None) or "score"])


@contextmanager
def writing_store(path: Path, *, argv: list[str]):
    """``with writing_store(path, argv=command_line(args)) as store:`` for the commands that change the store."""
    store = open_db(path, write=True, argv=argv)
    try:
        yield store
    finally:
        store.close()


def _dataset_names(store) -> list[str]:
    import duckdb

    try:
        return store.datasets()
    except duckdb.CatalogException:  # a DuckDB file the app never wrote: no datasets
        return []


def _stored_source(args):
    """(store, dataset) from the database file, opened read-only. The bundled sample is built into
    the file first when it lacks it (what the dashboard does on its first start), and that says so."""
    from valuation.data.store import SAMPLE_DATASET, ensure_sample

    path, dataset = db_path(args), args.dataset or SAMPLE_DATASET
    argv = command_line(args)
    names: list[str] = []
    if path.exists():
        store = open_db(path, write=False, argv=argv)
        names = _dataset_names(store)
        if dataset in names:
            return store, dataset
        store.close()
    if dataset != SAMPLE_DATASET:
        if path.exists():
            raise UsageError(f"There is no dataset {dataset!r} in {path}; datasets: {', '.join(names) or 'none'}.")
        db = f" --db {shlex.quote(str(path))}" if getattr(args, "db", None) else ""
        raise UsageError(f"There is no dataset {dataset!r}: there is no database file at {path} yet. Import "
                         f"one first: python -m valuation ingest FILE --dataset {shlex.quote(dataset)}{db}")
    with writing_store(path, argv=argv) as store:
        built = ensure_sample(store)
    if built:
        print(f"note: built the bundled sample (sample_data/) into {path}, as the dashboard does on its "
              "first start.", file=sys.stderr)
    return open_db(path, write=False, argv=argv), dataset


def db_used(store) -> str | None:
    """The database file behind ``store`` as an absolute path, for JSON output; None for a file scored in memory."""
    return None if store.path == ":memory:" else str(Path(store.path).resolve())


def _scoring_source(args):
    """(store, dataset) for score/alerts/report/backtest: a FILE in memory, or a dataset of the
    database file opened read-only (the sample unless --dataset). The command's money is written in
    the dataset's currency from then on (``format.set_currency``: one command, one thread)."""
    from valuation.i18n.format import set_currency

    store, dataset = _open_scoring_source(args)
    set_currency(store.currency(dataset))
    return store, dataset


def _open_scoring_source(args):
    from valuation.data import ingest
    from valuation.data.store import Store

    if args.file:
        path = Path(args.file)
        if not path.exists():
            raise UsageError(f"File {args.file} does not exist.")
        result = ingest.read_table(path, table="orders")
        ingest.check_loadable(result)
        for warning in result.warnings:
            print(f"note: {warning}", file=sys.stderr)
        if result.rows_rejected:
            print(f"note: {result.rows_rejected} rows of {path.name} were rejected; "
                  f"see them with: python -m valuation ingest {path.name} --dry-run --rejects rejects.csv",
                  file=sys.stderr)
        store = Store(":memory:")
        store.replace_dataset("file", result.tables, source=path.name, currency=result.currency)
        return store, "file"
    return _stored_source(args)


def currency_arg(code: str | None) -> str | None:
    """--currency checked (``usd`` is USD); None when not given (the file's own is used, else CNY)."""
    from valuation.i18n.format import CURRENCIES, check_currency

    if code is None:
        return None
    try:
        return check_currency(code)
    except ValueError:
        raise UsageError(f"--currency: unknown currency {code!r}; choose one of {', '.join(CURRENCIES)}.") from None


def _settings(args):
    from dataclasses import replace

    from valuation.model.settings import Settings, Tilt, Weights

    settings = Settings()
    if args.weights:
        try:
            settings = Settings(weights=Weights.parse(args.weights))
        except ValueError as exc:
            raise UsageError(f"--weights: {exc}") from None
    if getattr(args, "tilt", None):
        try:
            settings = replace(settings, tilt=Tilt.parse(args.tilt))
        except ValueError as exc:
            raise UsageError(f"--tilt: {exc}") from None
    return settings


def _json_safe(value):
    """``value`` with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def print_json(value) -> None:
    """One JSON object on stdout, strict: non-finite numbers (e.g. an MBG/NBD boundary b = ∞) as null."""
    print(json.dumps(_json_safe(value), ensure_ascii=False, allow_nan=False, default=str))
