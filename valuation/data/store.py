"""DuckDB store: named datasets side by side, all-or-nothing imports, thread-safe cursors."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from valuation.data import access, purchase_days, schema
from valuation.i18n.format import CURRENCIES, DEFAULT_CURRENCY, check_currency

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "sample_data"
SAMPLE_DATASET = "sample"
META = "_meta"
DATASET_PREFIX = "ds_"
AUDIT = f"{META}.audit"
AUDIT_COLUMNS = (("happened_at", "TIMESTAMP"), ("actor", "VARCHAR"), ("role", "VARCHAR"), ("action", "VARCHAR"),
                 ("dataset", "VARCHAR"), ("row_count", "BIGINT"), ("detail", "VARCHAR"))
# The currency of each dataset's money (CNY, USD …): a table of its own, created when missing, so a
# database from before it opens as it was and reads every dataset as CNY.
CURRENCY_TABLE = f"{META}.dataset_currency"


def write_currency(cur, name: str, currency: str | None) -> None:
    """Record ``name``'s currency (CNY when None) with ``cur``, inside the caller's transaction."""
    cur.execute(f"CREATE TABLE IF NOT EXISTS {CURRENCY_TABLE} (name VARCHAR PRIMARY KEY, currency VARCHAR)")
    cur.execute(f"DELETE FROM {CURRENCY_TABLE} WHERE name = $d", {"d": name})
    cur.execute(f"INSERT INTO {CURRENCY_TABLE} VALUES ($d, $c)", {"d": name, "c": currency or DEFAULT_CURRENCY})


def checked_currency(currency: str | None) -> str:
    """``currency`` as a known code (``usd`` is USD), CNY when None; StoreError ``unknown_currency`` otherwise."""
    if currency is None:
        return DEFAULT_CURRENCY
    try:
        return check_currency(currency)
    except ValueError:
        raise StoreError("unknown_currency", f"Unknown currency {currency!r}: choose one of "
                         f"{', '.join(CURRENCIES)}.", currency=str(currency),
                         choices=", ".join(CURRENCIES)) from None


def record(cur, action: str, dataset: str | None, rows: int | None = None, detail: dict | None = None, *,
           who: access.Actor | None = None) -> None:
    """One line of the audit log, written by ``cur`` inside the change's own transaction (a change
    that rolls back leaves no line; a line never describes a change that did not happen)."""
    import json

    who = who or access.actor()
    cur.execute(f"INSERT INTO {AUDIT} VALUES (now(), $a, $r, $x, $d, $n, $j)",
                {"a": who.name, "r": who.role, "x": action, "d": dataset, "n": rows,
                 "j": json.dumps(detail or {}, ensure_ascii=False, default=str)})


def audit_log(store: "Store", limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` lines of the audit log, newest first (empty for a file from before it)."""
    try:
        return store.cursor().execute(
            f"SELECT * FROM {AUDIT} ORDER BY happened_at DESC LIMIT $n", {"n": int(limit)}).df()
    except duckdb.CatalogException:
        return pd.DataFrame({c: [] for c, _ in AUDIT_COLUMNS})

# Letters (any script, so Chinese names work), digits, space, dot, dash, underscore.
_DATASET_NAME = re.compile(r"^[\w][\w .\-]{0,63}$", re.UNICODE)


def default_db_path() -> Path:
    """The database file the app and the command line use unless told otherwise.

    ``VALUATION_DB`` overrides it; the default lives in the git-ignored ``data/`` folder.
    """
    return Path(os.environ.get("VALUATION_DB") or REPO_ROOT / "data" / "valuation.duckdb")


class StoreError(Exception):
    """A problem with the store a user can act on; ``str(e)`` is the message.

    ``code`` is a stable key and ``params`` the values in the message, so a UI
    can show it in another language.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def quote_ident(name: str) -> str:
    """Quote an SQL identifier for DuckDB: the only way a user-given name reaches SQL."""
    if "\x00" in name:
        raise StoreError("bad_identifier", "An SQL name may not contain a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def validate_dataset_name(name: str) -> str:
    """Return ``name`` stripped and in Unicode NFC (an accent typed as one character or two is one
    name), or raise StoreError saying what a name may contain."""
    cleaned = unicodedata.normalize("NFC", (name or "").strip())
    if not _DATASET_NAME.match(cleaned):
        raise StoreError(
            "bad_dataset_name",
            f"Dataset name {name!r} is not allowed: use 1 to 64 letters, digits, spaces, "
            "dots, dashes or underscores, starting with a letter or digit.",
            name=name,
        )
    return cleaned


def name_key(name: str) -> str:
    """What makes two names the same name: case, character width and Unicode form do not count
    ("East", "east", "ＥＡＳＴ" and "e\u0301" vs "é" each name one thing). DuckDB itself folds the
    case of schema names, so "East" and "east" would otherwise share one schema."""
    return unicodedata.normalize("NFKC", (name or "").strip()).casefold()


def is_sample(name: str) -> bool:
    """True for the bundled sample's name in any case or width: it can never be replaced or deleted."""
    return name_key(name) == name_key(SAMPLE_DATASET)


@dataclass
class DatasetInfo:
    name: str
    source: str
    created_at: pd.Timestamp
    tables: dict[str, int] = field(default_factory=dict)  # table -> row count
    provided: dict[str, list[str]] = field(default_factory=dict)  # table -> columns the file had


def _schema_name(dataset: str) -> str:
    return DATASET_PREFIX + dataset


def _create_table_sql(qualified: str, table: str) -> str:
    cols = ", ".join(
        f"{quote_ident(c.name)} {schema.SQL_TYPES[c.kind]}" for c in schema.stored_columns(table)
    )
    return f"CREATE TABLE {qualified} ({cols})"


class Store:
    """One DuckDB database holding any number of named datasets.

    Each dataset is a schema ``ds_<name>`` with all four canonical tables
    (orders, customers, payments, service), every canonical column present;
    a table or column the user did not provide is empty / NULL, and
    ``_meta.columns`` records what was provided so the engine can say which
    dimensions run on real data.

    The connection is shared; every use takes its own ``cursor()``, which is
    what DuckDB requires across threads (Streamlit runs sessions in threads).
    Writes are serialised by a lock and run in one transaction each.
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False, private: bool = False):
        self.path = str(path)
        self.read_only = read_only
        # private: one person's scratch store (a browser session's uploads): writing and deleting
        # there needs only the right to upload, not the rights over the shared datasets.
        self.private = private
        self.read_only_reason = "asked" if read_only else None
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # a read-only folder: connecting says what is wrong, or opens the file read-only
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if read_only or not _no_permission(exc) or not Path(self.path).exists():
                raise _locked_or_unreadable(self.path, exc) from None
            # A file we may read but not write (published by a nightly job, a read-only share):
            # browse and score it; saving says it is read-only.
            try:
                self._con = duckdb.connect(self.path, read_only=True)
            except duckdb.Error as again:
                raise _locked_or_unreadable(self.path, again) from None
            self.read_only, self.read_only_reason = True, "permission"
        except duckdb.Error as exc:
            raise StoreError(
                "db_unreadable",
                f"The database file {self.path} could not be opened ({exc}). "
                "If it is not a DuckDB file, move it away and the app builds a new one.",
                path=self.path, detail=str(exc),
            ) from None
        self._write_lock = threading.Lock()
        if not self.read_only:
            self._ensure_meta()

    # ---- connections -------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared database: use one per thread or per request."""
        return self._con.cursor()

    def close(self) -> None:
        self._con.close()

    def _ensure_meta(self) -> None:
        with self._write_lock:
            cur = self.cursor()
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {META}")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {META}.datasets ("
                "name VARCHAR PRIMARY KEY, source VARCHAR, created_at TIMESTAMP)"
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {META}.columns ("
                "dataset VARCHAR, table_name VARCHAR, column_name VARCHAR)"
            )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {META}.views ("
                "name VARCHAR PRIMARY KEY, config VARCHAR, saved_at TIMESTAMP)"
            )
            cur.execute(f"CREATE TABLE IF NOT EXISTS {AUDIT} ({', '.join(f'{quote_ident(c)} {k}' for c, k in AUDIT_COLUMNS)})")
            cur.execute(f"CREATE TABLE IF NOT EXISTS {CURRENCY_TABLE} (name VARCHAR PRIMARY KEY, currency VARCHAR)")

    # ---- reading -----------------------------------------------------------------
    def datasets(self) -> list[str]:
        """Names of the stored datasets, sample first, then alphabetical."""
        return list(self.catalog())

    def catalog(self) -> dict[str, tuple[dt.datetime, str]]:
        """Every dataset's version (when it was stored) and currency, in :meth:`datasets`' order:
        what the dashboard's sidebar needs on every rerun, in one query instead of three."""
        datasets = f"SELECT name, created_at, NULL AS currency FROM {META}.datasets"
        try:  # UNION ALL, not a join: a third cheaper (~0.45 ms), joined below
            rows = self.cursor().execute(
                f"{datasets} UNION ALL SELECT name, NULL, currency FROM {CURRENCY_TABLE}").fetchall()
        except duckdb.CatalogException:  # a read-only file from before currencies were recorded
            rows = self.cursor().execute(datasets).fetchall()
        created = {name: when for name, when, currency in rows if currency is None}
        currencies = {name: currency for name, _, currency in rows if currency is not None}
        return {name: (created[name], currencies[name] if currencies.get(name) in CURRENCIES else DEFAULT_CURRENCY)
                for name in sorted(created, key=lambda n: (n != SAMPLE_DATASET, n))}

    def has_dataset(self, name: str) -> bool:
        return self.cursor().execute(
            f"SELECT count(*) FROM {META}.datasets WHERE name = $name", {"name": name}
        ).fetchone()[0] > 0

    def claim_name(self, name: str, *, sample: bool = False) -> str:
        """``name`` checked for a new or replaced dataset: allowed characters, not the bundled
        sample (unless ``sample``: the sample's own loader), and not the same name as another
        dataset in another case or Unicode form (refused with the existing name). Replacing a
        dataset under exactly its own name is allowed."""
        name = validate_dataset_name(name)
        if is_sample(name) and not sample:
            raise StoreError("sample_protected", f"{name!r} is the bundled sample's name; the sample can never "
                             "be replaced or deleted. Choose another name.", name=name)
        key = name_key(name)
        for existing in self.datasets():
            if existing != name and name_key(existing) == key:
                raise StoreError(
                    "name_taken", f"A dataset named {existing!r} exists already, and {name!r} is the same name "
                    f"(upper/lower case and character width do not count). Choose another name, or replace "
                    f"{existing!r} under exactly that name.", name=name, existing=existing)
        return name

    def table_ref(self, dataset: str, table: str) -> str:
        """Quoted ``schema.table`` for SQL; raises StoreError for an unknown dataset/table."""
        if table not in schema.TABLES:
            raise StoreError("unknown_table", f"Unknown table {table!r}.", table=table)
        if not self.has_dataset(dataset):
            raise StoreError("unknown_dataset", f"There is no dataset named {dataset!r}.",
                             name=dataset)
        return f"{quote_ident(_schema_name(dataset))}.{quote_ident(table)}"

    def canonical_ref(self, dataset: str, table: str) -> str:
        """:meth:`table_ref`, or a subquery over it that adds, empty, the contract columns a table
        stored by an older version lacks (a column added to the contract since: reference_account)."""
        ref = self.table_ref(dataset, table)
        have = {row[0] for row in self.cursor().execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $s AND table_name = $t",
            {"s": _schema_name(dataset), "t": table}).fetchall()}
        absent = [c for c in schema.stored_columns(table) if c.name not in have]
        if not have or not absent:
            return ref
        extra = ", ".join(f"CAST(NULL AS {schema.SQL_TYPES[c.kind]}) AS {quote_ident(c.name)}" for c in absent)
        return f"(SELECT *, {extra} FROM {ref})"

    def _stored_table(self, dataset: str, table: str) -> bool:
        """Whether ``dataset`` has ``table`` as a table in this file (not a view over files read in place)."""
        self.table_ref(dataset, "orders")  # an unknown dataset raises here
        return self.cursor().execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $s AND table_name = $t "
            "AND table_type = 'BASE TABLE'", {"s": _schema_name(dataset), "t": table}).fetchone()[0] > 0

    def derived_ref(self, dataset: str, table: str) -> str | None:
        """Quoted ``schema.table`` of a table an import derived for ``dataset`` (the numbered purchase
        days), or None where the dataset has none (read in place, or imported by an older version)."""
        if not self._stored_table(dataset, table):
            return None
        return f"{quote_ident(_schema_name(dataset))}.{quote_ident(table)}"

    def add_purchase_days(self, dataset: str) -> bool:
        """Store the numbered purchase days (data/purchase_days.py) of a dataset imported before
        imports stored them; False where it has them or its orders are not stored here (a folder
        read in place). Derived from the stored orders alone, in one transaction."""
        self._check_writable()
        with self._write_lock:
            if self._stored_table(dataset, purchase_days.TABLE) or not self._stored_table(dataset, "orders"):
                return False
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                purchase_days.build(cur, quote_ident(_schema_name(dataset)))
                cur.execute("COMMIT")
            except BaseException as exc:
                raise rolled_back(cur, exc, self.path) from None
        return True

    def read(self, dataset: str, table: str) -> pd.DataFrame:
        """A whole canonical table as a DataFrame."""
        return self.cursor().execute(f"SELECT * FROM {self.table_ref(dataset, table)}").df()

    def provided_columns(self, dataset: str) -> dict[str, list[str]]:
        """table -> the canonical columns the imported files actually had."""
        rows = self.cursor().execute(
            f"SELECT table_name, column_name FROM {META}.columns WHERE dataset = $d "
            "ORDER BY table_name, column_name", {"d": dataset}).fetchall()
        out: dict[str, list[str]] = {}
        for table, column in rows:
            out.setdefault(table, []).append(column)
        return out

    def currency(self, dataset: str) -> str:
        """The currency of the dataset's money (``CNY``, ``USD`` …); CNY for a dataset stored before
        currencies were recorded, or in a database from before (read-only files included)."""
        try:
            row = self.cursor().execute(f"SELECT currency FROM {CURRENCY_TABLE} WHERE name = $d",
                                        {"d": dataset}).fetchone()
        except duckdb.CatalogException:
            return DEFAULT_CURRENCY
        return row[0] if row and row[0] in CURRENCIES else DEFAULT_CURRENCY

    def info(self, dataset: str) -> DatasetInfo:
        row = self.cursor().execute(
            f"SELECT name, source, created_at FROM {META}.datasets WHERE name = $d",
            {"d": dataset}).fetchone()
        if row is None:
            raise StoreError("unknown_dataset", f"There is no dataset named {dataset!r}.",
                             name=dataset)
        cur = self.cursor()
        counts = {t: cur.execute(f"SELECT count(*) FROM {self.table_ref(dataset, t)}").fetchone()[0]
                  for t in schema.TABLES}
        return DatasetInfo(row[0], row[1], pd.Timestamp(row[2]), counts,
                           self.provided_columns(dataset))

    def table_summary(self, dataset: str) -> pd.DataFrame:
        """One row per table: rows, customers, first and last date (for the Data page)."""
        date_col = {"orders": "order_date", "customers": "created_at",
                    "payments": "due_date", "service": "date"}
        cur = self.cursor()
        rows = []
        for table in schema.TABLES:
            ref = self.table_ref(dataset, table)
            d = quote_ident(date_col[table])
            n, customers, first, last = cur.execute(
                f"SELECT count(*), count(DISTINCT customer_id), min({d}), max({d}) FROM {ref}"
            ).fetchone()
            rows.append({"table": table, "rows": n, "customers": customers,
                         "first_date": first, "last_date": last})
        return pd.DataFrame(rows)

    # ---- writing -----------------------------------------------------------------
    def replace_dataset(self, name: str, tables: dict[str, pd.DataFrame], *,
                        source: str = "", sample: bool = False, currency: str | None = None) -> None:
        """Create or replace dataset ``name`` from canonical DataFrames, all or nothing.

        ``tables`` maps table name to a frame with canonical column names (a
        subset is fine; missing columns become NULL, missing tables empty).
        ``orders`` is required. ``currency`` is the currency of its money (``USD``; CNY when
        None), recorded in the same transaction (:meth:`currency`). If anything fails, the
        transaction is rolled back and every stored dataset stays exactly as it was. The name
        is checked by :meth:`claim_name` (``sample``: the bundled sample's loader only).
        """
        self._check_writable()
        who = SYSTEM if sample else access.require("upload" if self.private else "save_dataset")
        name = self.claim_name(name, sample=sample)
        currency = checked_currency(currency)
        unknown = set(tables) - set(schema.TABLES) - {schema.METRICS_TABLE}
        if unknown:
            raise StoreError("unknown_table", f"Unknown table(s): {', '.join(sorted(unknown))}.",
                             table=", ".join(sorted(unknown)))
        if "orders" not in tables:
            raise StoreError("no_orders", "A dataset needs an orders table.")
        sch = quote_ident(_schema_name(name))
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(f"DROP SCHEMA IF EXISTS {sch} CASCADE")
                cur.execute(f"CREATE SCHEMA {sch}")
                cur.execute(f"DELETE FROM {META}.columns WHERE dataset = $d", {"d": name})
                for table in schema.TABLES:
                    ref = f"{sch}.{quote_ident(table)}"
                    cur.execute(_create_table_sql(ref, table))
                    frame = tables.get(table)
                    if frame is None:
                        continue
                    present = [c.name for c in schema.stored_columns(table) if c.name in frame]
                    if not present:
                        continue
                    cur.register("_incoming", frame[present])
                    cols = ", ".join(quote_ident(c) for c in present)
                    cur.execute(f"INSERT INTO {ref} ({cols}) SELECT {cols} FROM _incoming")
                    cur.unregister("_incoming")
                    cur.executemany(
                        f"INSERT INTO {META}.columns VALUES (?, ?, ?)",
                        [(name, table, c) for c in present],
                    )
                purchase_days.build(cur, sch)
                metrics_ref = f"{sch}.{quote_ident(schema.METRICS_TABLE)}"
                cur.execute(f"CREATE TABLE {metrics_ref} (" + ", ".join(
                    f"{quote_ident(c)} {kind}" for c, kind in schema.METRICS_COLUMNS) + ")")
                metrics = tables.get(schema.METRICS_TABLE)
                if metrics is not None and len(metrics):
                    cur.register("_incoming", metrics[[c for c, _ in schema.METRICS_COLUMNS]])
                    cur.execute(f"INSERT INTO {metrics_ref} SELECT * FROM _incoming")
                    cur.unregister("_incoming")
                replaced = cur.execute(f"SELECT count(*) FROM {META}.datasets WHERE name = $d",
                                       {"d": name}).fetchone()[0] > 0
                cur.execute(f"DELETE FROM {META}.datasets WHERE name = $d", {"d": name})
                cur.execute(f"INSERT INTO {META}.datasets VALUES ($d, $s, now())",
                            {"d": name, "s": source})
                write_currency(cur, name, currency)
                counts = {t: int(len(f)) for t, f in tables.items() if t in schema.TABLES and f is not None}
                record(cur, "replace" if replaced else "import", name, sum(counts.values()),
                       {"source": source, "rows": counts, "currency": currency}, who=who)
                cur.execute("COMMIT")
            except BaseException as exc:
                raise rolled_back(cur, exc, self.path) from None

    def delete_dataset(self, name: str) -> None:
        """Remove a dataset and everything stored for it; never the bundled sample."""
        self._check_writable()
        if is_sample(name):
            raise StoreError("sample_protected", f"{name!r} is the bundled sample; it can never be deleted.",
                             name=name)
        access.require("upload" if self.private else "delete_dataset")
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                try:
                    rows = cur.execute(f"SELECT count(*) FROM {self.table_ref(name, 'orders')}").fetchone()[0]
                except (StoreError, duckdb.Error):
                    rows = None  # a features dataset, or one already half gone: still deleted
                record(cur, "delete", name, rows)
                cur.execute(f"DROP SCHEMA IF EXISTS {quote_ident(_schema_name(name))} CASCADE")
                cur.execute(f"DELETE FROM {META}.columns WHERE dataset = $d", {"d": name})
                cur.execute(f"DELETE FROM {META}.datasets WHERE name = $d", {"d": name})
                cur.execute(f"DELETE FROM {CURRENCY_TABLE} WHERE name = $d", {"d": name})  # made on opening
                cur.execute("COMMIT")
            except BaseException as exc:
                raise rolled_back(cur, exc, self.path) from None

    def export_tables(self, name: str) -> dict[str, pd.DataFrame]:
        """All tables of a dataset, only the provided columns: input for ``replace_dataset`` (with
        ``currency=self.currency(name)``, which is not a table)."""
        provided = self.provided_columns(name)
        out = {t: self.read(name, t)[cols] for t, cols in provided.items()}
        metrics = self.customer_metrics(name)
        if len(metrics):
            out[schema.METRICS_TABLE] = metrics
        return out

    def customer_metrics(self, dataset: str) -> pd.DataFrame:
        """The extra numeric customer columns in long form (customer_id, metric, value); may be empty."""
        self.table_ref(dataset, "customers")  # validates the dataset
        ref = f"{quote_ident(_schema_name(dataset))}.{quote_ident(schema.METRICS_TABLE)}"
        try:
            return self.cursor().execute(f"SELECT * FROM {ref} ORDER BY metric, customer_id").df()
        except duckdb.CatalogException:  # a dataset stored before metrics existed
            return pd.DataFrame({c: [] for c, _ in schema.METRICS_COLUMNS})

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError("read_only", f"The database {self.path} is open read-only; "
                             "changes cannot be saved.", path=self.path)


SYSTEM = access.Actor("system", "admin")  # the app itself: building the bundled sample


def rolled_back(cur, exc: BaseException, path: str) -> BaseException:
    """Roll back after ``exc`` and return what to raise: a full disk as a StoreError that says so
    (the change was not made; nothing stored was lost), anything else as it was. DuckDB may have
    ended the transaction itself (a failed write, a failed commit): a rollback that finds no
    transaction is not a second error to show."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass
    text = str(exc).lower()
    if isinstance(exc, (duckdb.Error, OSError)) and ("no space left" in text or "disk full" in text
                                                    or "not enough space" in text):
        return StoreError("disk_full", f"The disk holding {path} is full, so the change was not saved; "
                          "everything stored before is as it was. Free some space (or move the "
                          "database with VALUATION_DB) and try again.", path=path)
    return exc


def _no_permission(exc: Exception) -> bool:
    text = str(exc).lower()
    return "permission denied" in text or "read-only file system" in text or "access is denied" in text


def _locked_or_unreadable(path: str, exc: Exception) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreError(
            "db_locked",
            f"The database file {path} is in use by another program{who}. "
            "Close that program or the other dashboard, then try again; or start this one "
            "with another file (VALUATION_DB=other.duckdb or --db other.duckdb).",
            path=path, pid=pid.group(1) if pid else "",
        )
    return StoreError("db_unreadable", f"The database file {path} could not be opened: {text}",
                      path=path, detail=text)


@contextmanager
def open_store(path: str | Path | None = None, *, read_only: bool = False):
    """Context manager for command-line use: open, yield, close."""
    store = Store(path or default_db_path(), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


SAMPLE_SOURCE = "bundled sample ({folder}/)"  # the sample's source as stored (the Data page translates it)


def load_sample(store: Store, *, name: str = SAMPLE_DATASET, folder: Path = SAMPLE_DIR) -> None:
    """Import the bundled sample CSVs into ``store`` as dataset ``name`` (same path as uploads)."""
    from valuation.data import ingest

    tables = {}
    for table in schema.TABLES:
        path = folder / f"{table}.csv"
        if path.exists():
            result = ingest.read_table(path, table=table)
            tables[table] = result.tables[table]
    store.replace_dataset(name, tables, source=SAMPLE_SOURCE.format(folder=folder.name), sample=name == SAMPLE_DATASET)


def ensure_sample(store: Store) -> bool:
    """Build the sample dataset when the store lacks it; True when it was built now."""
    if store.has_dataset(SAMPLE_DATASET) or store.read_only:
        return False
    load_sample(store)
    return True


def merge_tables(parts: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Combine the tables of several imported files into one dataset's tables.

    Rows of the same table are stacked. Customer attributes lifted from an
    orders file fill only what an earlier part left empty, one row per customer_id.
    Pass a customers file's tables before orders files' so its values win.
    """
    stacked: dict[str, list[pd.DataFrame]] = {}
    for tables in parts:
        for table, frame in tables.items():
            stacked.setdefault(table, []).append(frame)
    out = {t: pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
           for t, frames in stacked.items()}
    if "customers" in out and len(stacked["customers"]) > 1:
        # groupby.first takes the first non-null value per column: earlier parts win.
        out["customers"] = out["customers"].groupby("customer_id", sort=False,
                                                    as_index=False).first()
    return out
