"""Datasets that are not imported: Parquet read in place, and features computed on another engine.

Two kinds of dataset sit beside the imported ones in the same store:

- **parquet**: a folder with ``orders/`` (required) and optionally ``customers/``, ``payments/``,
  ``service/`` (sub-folders of Parquet files, hive-partitioned or not, or single files such as
  ``orders.parquet``), local or on object storage. The dataset's tables are DuckDB VIEWs over
  ``read_parquet(…)`` that cast every canonical column to its canonical type and fill the
  missing ones with typed NULLs, so the one feature query runs on them unchanged. Nothing is
  copied: the files are read on every query.
- **features**: a per-customer features frame computed elsewhere (Spark, or DuckDB over
  Parquet: ``python -m valuation features``), stored as a table; the dataset is scored as it
  is and cannot be recomputed for another as-of date.

The kind is recorded in ``_meta.dataset_kinds`` together with the dataset's ``created_at``; a
row whose ``created_at`` differs from the dataset's (the name was re-imported since) is stale
and ignored, so the store's own import path needs to know nothing about kinds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from valuation.data import access, schema
from valuation.data.store import (
    META,
    Store,
    StoreError,
    _create_table_sql,
    _schema_name,
    checked_currency,
    quote_ident,
    record,
    rolled_back,
    validate_dataset_name,
    write_currency,
)

KIND_IMPORTED, KIND_PARQUET, KIND_FEATURES = "imported", "parquet", "features"
KINDS_TABLE = f"{META}.dataset_kinds"
FEATURES_TABLE = "features"
FEATURES_META_KEY = b"valuation.features"
FEATURES_FORMAT = 1

# Rows a stored table would never hold (ingest rejects them): a view leaves them out too.
REQUIRED_NOT_NULL = {t: schema.required(t) for t in schema.TABLES}
_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


# ---- SQL text ------------------------------------------------------------------------
def sql_string(value: str) -> str:
    """``value`` as an SQL string literal (single quotes doubled); the only way a path reaches SQL."""
    if "\x00" in value:
        raise StoreError("bad_path", "A path may not contain a NUL character.")
    return "'" + value.replace("'", "''") + "'"


def canonical_select(table: str, columns: set[str] | None, relation: str | None) -> str:
    """A SELECT (DuckDB dialect, also valid on Spark after sqlglot) giving ``table``'s canonical columns.

    ``columns`` are the column names the source has; each canonical column is cast to its
    canonical type, a missing one is a typed NULL. Ids are trimmed; an orders source with a
    margin column and no cost column gets cost = amount - margin, as an import does. Rows
    missing a required value are left out, as an import rejects them. ``relation`` None
    gives an empty table with the canonical columns.
    """
    columns = set(columns or ())
    exprs = []
    for col in schema.stored_columns(table):
        sql_type = schema.SQL_TYPES[col.kind]
        name = quote_ident(col.name)
        if relation is not None and col.name in columns:
            expr = f"CAST({name} AS {sql_type})"
            if col.kind == "id":
                expr = f"NULLIF(TRIM({expr}), '')"
        elif (relation is not None and table == "orders" and col.name == "cost"
              and {"margin", "amount"} <= columns):
            expr = f"CAST({quote_ident('amount')} AS DOUBLE) - CAST({quote_ident('margin')} AS DOUBLE)"
        else:
            expr = f"CAST(NULL AS {sql_type})"
        exprs.append(f"{expr} AS {name}")
    select = "SELECT " + ", ".join(exprs)
    if relation is None:
        return select + " FROM (SELECT 1 AS one) AS empty WHERE 1 = 0"
    inner = f"({select} FROM {relation}) AS src"
    needed = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in REQUIRED_NOT_NULL[table])
    return f"SELECT * FROM {inner} WHERE {needed}"


def provided_from_source(columns: dict[str, set[str]]) -> dict[str, list[str]]:
    """table -> the canonical columns a source provides (cost counts when derived from margin)."""
    out = {}
    for table, cols in columns.items():
        names = [c.name for c in schema.stored_columns(table) if c.name in cols]
        if table == "orders" and "cost" not in names and {"margin", "amount"} <= cols:
            names.append("cost")
        if names:
            out[table] = sorted(names)
    return out


def check_required(table: str, columns: set[str], where: str) -> None:
    missing = [c for c in schema.required(table) if c not in columns]
    if missing:
        raise StoreError(
            "parquet_missing_columns",
            f"The {table} data in {where} lacks the required column(s) {', '.join(missing)}; "
            f"its columns are {', '.join(sorted(columns)) or 'none'}. Rename the Parquet columns "
            "to the canonical names (docs/data-format.md).",
            table=table, columns=", ".join(missing), path=where)


# ---- where the files are -------------------------------------------------------------
def is_remote(path: str) -> bool:
    return "://" in str(path)


ATTACH_ROOTS_ENV = "VALUATION_ATTACH_ROOTS"


def attach_roots(value: str | None = None) -> list[str]:
    """Where the dashboard may attach Parquet folders from: ``VALUATION_ATTACH_ROOTS``, a list
    separated by ``;`` (``/data/lake;s3://bucket/exports``). Empty (the default): nowhere.

    A folder path typed into a shared dashboard is read by the server with the server's own
    files and credentials, so an administrator names what may be read. The command line
    (``python -m valuation attach``) is run by whoever has the machine and is not limited.
    """
    import os

    value = os.environ.get(ATTACH_ROOTS_ENV, "") if value is None else value
    return [part.strip() for part in value.split(";") if part.strip()]


def within_roots(path: str | Path, roots: list[str]) -> bool:
    """True when ``path`` is one of ``roots`` or below one (local paths compared after resolving
    ``..`` and symbolic links, and every symbolic link inside the folder must point within the roots
    too; object-storage addresses by prefix, whole path segments only)."""
    path = str(path).strip()
    if not path:
        return False
    if is_remote(path):
        target = path.rstrip("/")
        return any(is_remote(root) and (target == root.rstrip("/") or target.startswith(root.rstrip("/") + "/"))
                   for root in roots)
    bases = [Path(root).expanduser().resolve() for root in roots if not is_remote(root)]

    def inside(p: Path) -> bool:
        resolved = p.expanduser().resolve()
        return any(resolved == base or resolved.is_relative_to(base) for base in bases)

    if not inside(Path(path)):
        return False
    # A symbolic link inside the folder (orders/ -> /etc, a.parquet -> ~/secret) would be followed
    # by the reader: every link below must stay within the roots too.
    import os

    for folder, dirs, files in os.walk(Path(path).expanduser(), followlinks=False):
        for entry in dirs + files:
            full = Path(folder) / entry
            if full.is_symlink() and not inside(full):
                return False
    return True


@dataclass
class ParquetSource:
    """A Parquet dataset folder: per table, a folder or a single file (absent tables left out)."""

    base: str
    folders: dict[str, str] = field(default_factory=dict)  # table -> folder of Parquet files
    files: dict[str, str] = field(default_factory=dict)    # table -> one Parquet file

    def location(self, table: str) -> str | None:
        """The path a reader takes for ``table`` (folder or file), or None when absent."""
        return self.folders.get(table) or self.files.get(table)

    def duckdb_relation(self, table: str) -> str | None:
        """``read_parquet(…)`` over the table's files: every file below a folder, hive partitions read."""
        if table in self.folders:
            pattern = self.folders[table].rstrip("/") + "/**/*.parquet"
        elif table in self.files:
            pattern = self.files[table]
        else:
            return None
        return (f"read_parquet({sql_string(pattern)}, hive_partitioning = true, "
                "union_by_name = true)")


def locate(path: str | Path, cursor: duckdb.DuckDBPyConnection | None = None) -> ParquetSource:
    """Find the tables of a Parquet dataset folder; StoreError when it has no orders.

    A local folder must exist. On object storage (``s3://…``) the files are listed with
    DuckDB's ``glob()`` through ``cursor`` (its httpfs extension must be available).
    """
    text = str(path)
    if _GLOB_CHARS.search(text):
        raise StoreError("bad_path", f"The path {text} contains a wildcard character (* ? [ ] {{ }}): "
                         "rename the folder or point at its parent.", path=text)
    if is_remote(text):
        base = text.rstrip("/")
        cur = cursor or duckdb.connect()
        src = ParquetSource(base)
        for table in schema.TABLES:
            folder = f"{base}/{table}"
            if cur.execute(f"SELECT count(*) FROM glob({sql_string(folder + '/**/*.parquet')})").fetchall()[0][0]:
                src.folders[table] = folder
            elif cur.execute(f"SELECT count(*) FROM glob({sql_string(folder + '.parquet')})").fetchall()[0][0]:
                src.files[table] = folder + ".parquet"
    else:
        base_path = Path(text).expanduser().resolve()
        if not base_path.is_dir():
            raise StoreError("parquet_missing", f"{text} is not a folder: a Parquet dataset is a folder "
                             "with an orders/ sub-folder (or orders.parquet) and optionally customers, "
                             "payments and service.", path=text)
        src = ParquetSource(str(base_path))
        for table in schema.TABLES:
            folder, file = base_path / table, base_path / f"{table}.parquet"
            if folder.is_dir() and any(folder.rglob("*.parquet")):
                src.folders[table] = str(folder)
            elif file.is_file():
                src.files[table] = str(file)
    if "orders" not in src.folders and "orders" not in src.files:
        raise StoreError("parquet_no_orders", f"{text} has no orders: put the order Parquet files in "
                         f"{text}/orders/ (any sub-folders, e.g. year=2024/) or in {text}/orders.parquet.",
                         path=text)
    return src


def duckdb_columns(cursor, relation: str) -> set[str]:
    return {row[0] for row in cursor.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


# ---- dataset kinds ---------------------------------------------------------------------
def _ensure_kinds(cur) -> None:
    cur.execute(f"CREATE TABLE IF NOT EXISTS {KINDS_TABLE} ("
                "name VARCHAR PRIMARY KEY, kind VARCHAR, location VARCHAR, as_of DATE, "
                "detail VARCHAR, created_at TIMESTAMP)")


def kind_info(store: Store, dataset: str) -> dict | None:
    """The recorded kind of a dataset (kind, location, as_of, detail), or None for an imported one."""
    try:
        row = store.cursor().execute(
            f"SELECT k.kind, k.location, k.as_of, k.detail FROM {KINDS_TABLE} k "
            f"JOIN {META}.datasets d ON d.name = k.name AND d.created_at = k.created_at "
            "WHERE k.name = $d", {"d": dataset}).fetchone()
    except duckdb.CatalogException:  # no dataset of another kind was ever stored here
        return None
    if row is None:
        return None
    detail, problem = {}, None
    if row[3]:
        try:
            detail = json.loads(row[3])
        except ValueError as exc:
            problem = f"its record is not JSON: {exc}"
        else:
            if not isinstance(detail, dict):
                detail, problem = {}, "its record is not a JSON object"
    # A damaged record must not stop every page (the sidebar reads it): load_features and the
    # Data page report ``problem``.
    return {"kind": row[0], "location": row[1], "as_of": row[2], "detail": detail, "problem": problem}


def dataset_kind(store: Store, dataset: str) -> str:
    """``imported``, ``parquet`` (views over Parquet) or ``features`` (features computed elsewhere)."""
    info = kind_info(store, dataset)
    return info["kind"] if info else KIND_IMPORTED


def date_range(store: Store, dataset: str) -> tuple[dt.date | None, dt.date | None]:
    """First and last order date (the last on or before today: a mistyped 2099 is left out, and
    ``features.future_orders`` says so); for a features dataset its as-of date twice."""
    info = kind_info(store, dataset)
    if info and info["kind"] == KIND_FEATURES:
        return info["as_of"], info["as_of"]
    from valuation.data.features import default_as_of

    first = store.cursor().execute(f"SELECT min(order_date) FROM {store.table_ref(dataset, 'orders')}").fetchone()[0]
    return first, default_as_of(store, dataset)  # the last order date that is not in the future


def _write_dataset(store: Store, name: str, build, *, source: str, kind: str, location: str,
                   as_of: dt.date | None, detail: dict, provided: dict[str, list[str]],
                   currency: str | None = None) -> None:
    """Create or replace dataset ``name`` in one transaction: ``build(cur, schema_sql)`` makes its tables;
    its money is in ``currency`` (CNY unless given)."""
    store._check_writable()
    who = access.require("attach" if kind == KIND_PARQUET else "upload" if store.private else "save_dataset")
    name = store.claim_name(name)
    currency = checked_currency(currency)
    sch = quote_ident(_schema_name(name))
    created = pd.Timestamp.now().floor("us").to_pydatetime()
    with store._write_lock:
        cur = store.cursor()
        _ensure_kinds(cur)
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(f"DROP SCHEMA IF EXISTS {sch} CASCADE")
            cur.execute(f"CREATE SCHEMA {sch}")
            build(cur, sch)
            cur.execute(f"CREATE TABLE {sch}.{quote_ident(schema.METRICS_TABLE)} (" + ", ".join(
                f"{quote_ident(c)} {kind_}" for c, kind_ in schema.METRICS_COLUMNS) + ")")
            cur.execute(f"DELETE FROM {META}.columns WHERE dataset = $d", {"d": name})
            rows = [(name, table, col) for table, cols in provided.items() for col in cols]
            if rows:
                cur.executemany(f"INSERT INTO {META}.columns VALUES (?, ?, ?)", rows)
            cur.execute(f"DELETE FROM {META}.datasets WHERE name = $d", {"d": name})
            cur.execute(f"INSERT INTO {META}.datasets VALUES ($d, $s, $t)",
                        {"d": name, "s": source, "t": created})
            write_currency(cur, name, currency)
            cur.execute(f"DELETE FROM {KINDS_TABLE} WHERE name = $d", {"d": name})
            cur.execute(f"INSERT INTO {KINDS_TABLE} VALUES ($d, $k, $l, $a, $j, $t)",
                        {"d": name, "k": kind, "l": location, "a": as_of,
                         "j": json.dumps(detail, ensure_ascii=False, default=str), "t": created})
            record(cur, f"attach_{kind}", name, None, {"source": source, "location": location}, who=who)
            cur.execute("COMMIT")
        except BaseException as exc:
            raise rolled_back(cur, exc, store.path) from None


# ---- Parquet read in place ---------------------------------------------------------------
def parquet_views(cursor, src: ParquetSource) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The canonical SELECT of each table over ``src`` and the columns each source table has."""
    selects, columns = {}, {}
    for table in schema.TABLES:
        relation = src.duckdb_relation(table)
        if relation is None:
            selects[table] = canonical_select(table, None, None)
            continue
        try:
            cols = duckdb_columns(cursor, relation)
        except duckdb.Error as exc:
            raise StoreError("parquet_unreadable", f"The {table} Parquet files under {src.base} "
                             f"could not be read: {exc}", path=src.base, detail=str(exc)) from None
        if table == "orders":
            check_required(table, cols, src.location(table))
        elif not set(schema.required(table)) <= cols:
            check_required(table, cols, src.location(table))
        columns[table] = cols
        selects[table] = canonical_select(table, cols, relation)
    return selects, columns


def attach_parquet(store: Store, name: str, path: str | Path, *, currency: str | None = None) -> dict:
    """Register a folder of Parquet files as dataset ``name``: VIEWs that read the files in place
    (its money in ``currency``, CNY unless given).

    Returns a summary (dataset, path, tables found with their provided columns, order rows).
    Raises StoreError when the folder or its orders are missing, a required column is absent or
    a cast fails on the first rows; the store is then unchanged.
    """
    access.require("attach")  # before the path is even looked at
    cur = store.cursor()
    try:
        src = locate(path, cur)
        selects, columns = parquet_views(cur, src)
    except (duckdb.Error, OSError) as exc:  # e.g. object storage without httpfs or credentials
        raise StoreError("parquet_unreadable", f"The Parquet files under {path} cannot be read: {exc}",
                         path=str(path), detail=str(exc)) from None
    provided = provided_from_source(columns)
    for table, select in selects.items():  # fail before writing when a cast cannot work
        try:
            cur.execute(f"SELECT * FROM ({select}) AS probe LIMIT 100").fetchall()
        except duckdb.Error as exc:
            raise StoreError("parquet_unreadable", f"The {table} Parquet files under {src.base} do not "
                             f"fit the canonical column types: {exc}", path=src.base,
                             detail=str(exc)) from None

    def build(c, sch):
        for table, select in selects.items():
            c.execute(f"CREATE VIEW {sch}.{quote_ident(table)} AS {select}")

    locations = {t: src.location(t) for t in schema.TABLES if src.location(t)}
    _write_dataset(store, name, build, source=f"parquet: {src.base}", kind=KIND_PARQUET,
                   location=src.base, as_of=None, detail={"tables": locations}, provided=provided,
                   currency=currency)
    rows = store.cursor().execute(
        f"SELECT count(*) FROM {store.table_ref(validate_dataset_name(name), 'orders')}").fetchall()[0][0]
    return {"dataset": validate_dataset_name(name), "kind": KIND_PARQUET, "path": src.base,
            "tables": locations, "provided": provided, "orders": int(rows)}


# ---- features computed elsewhere ---------------------------------------------------------
def features_metadata(features: pd.DataFrame, *, engine: str = "", source: str = "") -> dict:
    """What a features frame needs besides its columns: as-of date, provided columns, provenance."""
    from dataclasses import asdict

    availability = features.attrs.get("availability")
    return {
        "format": FEATURES_FORMAT,
        "as_of": str(features.attrs.get("as_of")),
        "provided": features.attrs.get("provided") or {},
        "availability": asdict(availability) if availability is not None else None,
        "engine": engine or features.attrs.get("engine", ""),
        "source": source or features.attrs.get("source", ""),
    }


# What finish_features (valuation/data/features.py) gives every customer, whatever the engine: the
# pages and the scoring read them, so a features file without one is refused where it comes in
# (tests/test_data_sources_features.py keeps this list equal to what the feature query returns).
FEATURE_COLUMNS = (
    "customer_id", "name", "region", "industry", "city", "size", "channel", "created_at",
    "pipeline_stage", "acquisition_cost", "wallet_estimate", "satisfaction", "referrals", "importance",
    "reference_account", "orders", "returns", "revenue_total", "revenue_12m", "orders_12m", "rows_without_cost_12m",
    "revenue_last_6m", "revenue_prev_6m", "revenue_24m", "revenue_offseason_24m", "purchase_days",
    "first_order_date", "last_order_date", "first_day_amount", "purchase_amount", "max_gap_days",
    "last_return_date", "last_return_gap_days",
    "categories_bought", "categories_total", "invoices", "invoices_due", "invoices_on_time",
    "avg_days_to_pay", "avg_days_late", "overdue_amount", "bad_debt_12m", "service_cost_12m",
    "service_events_12m", "complaints_12m", "complaints", "avg_service_satisfaction",
    "days_since_last_order", "tenure_days", "days_since_return", "gross_profit_12m", "net_profit_12m", "avg_order_value",
    "mean_gap_days", "category_coverage", "revenue_trend", "share_of_wallet", "wallet_headroom",
    "on_time_payment_ratio", "offseason_index", "frequency", "recency_days", "T_days", "monetary_value",
    "frequency_cal", "recency_cal_days", "T_cal_days", "frequency_holdout", "has_orders",
)


# Columns added to the feature query after features files were first written: a file without
# them is still read, the column empty (a customer attribute the engine did not have then).
LATER_FEATURE_COLUMNS = ("reference_account",)


def missing_feature_columns(columns) -> list[str]:
    """The FEATURE_COLUMNS not among ``columns``, in their order (LATER_FEATURE_COLUMNS may be absent)."""
    present = set(columns)
    return [c for c in FEATURE_COLUMNS if c not in present and c not in LATER_FEATURE_COLUMNS]


def _checked_meta(meta) -> dict:
    """The features metadata, checked field by field; ValueError saying what is wrong."""
    from dataclasses import fields

    from valuation.data.features import Availability

    if not isinstance(meta, dict):
        raise ValueError("the metadata is not a JSON object")
    try:
        as_of = pd.Timestamp(meta.get("as_of"))
    except (ValueError, TypeError):
        as_of = pd.NaT
    if pd.isna(as_of):
        raise ValueError(f"as-of date {str(meta.get('as_of'))[:40]!r} is not a date")
    provided = meta.get("provided") or {}
    if not (isinstance(provided, dict) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(c, str) for c in v)
            for k, v in provided.items())):
        raise ValueError("the provided columns are not a table -> columns list")
    avail = meta.get("availability")
    if avail is not None:
        known = {f.name for f in fields(Availability)}
        if not isinstance(avail, dict) or not all(
                isinstance(v, bool) for k, v in avail.items() if k in known and k != "notes"):
            raise ValueError("the data availability is not a set of yes/no flags")
        notes = avail.get("notes") or ()
        if not isinstance(notes, (list, tuple)) or not all(isinstance(n, str) for n in notes):
            raise ValueError("the data availability notes are not texts")
        avail = {k: v for k, v in avail.items() if k in known}
        avail["notes"] = tuple(notes)
    for key in ("engine", "source"):
        if not isinstance(meta.get(key, "") or "", str):
            raise ValueError(f"{key} is not a text")
    return {**meta, "as_of": str(as_of.date()), "provided": provided, "availability": avail}


def features_problem(store: Store, dataset: str) -> StoreError | None:
    """What keeps a stored features dataset from being scored (a damaged record, missing columns), or None.

    None for a dataset of another kind. The Data page shows it; :func:`load_features` raises it.
    """
    info = kind_info(store, dataset)
    if not info or info["kind"] != KIND_FEATURES:
        return None
    problem = info.get("problem")
    if problem is None:
        try:
            _checked_meta(info["detail"])
        except ValueError as exc:
            problem = str(exc)
    if problem is None:
        ref = f"{quote_ident(_schema_name(dataset))}.{quote_ident(FEATURES_TABLE)}"
        try:
            columns = duckdb_columns(store.cursor(), ref)
        except duckdb.Error as exc:
            problem = f"its features table cannot be read: {exc}"
        else:
            missing = missing_feature_columns(columns)
            if missing:
                problem = f"its features lack the column(s) {', '.join(missing)}"
    if problem is None:
        return None
    return StoreError("features_dataset_corrupt", f"The features record of dataset {dataset!r} is damaged "
                      f"({problem}), so it cannot be scored. Delete the dataset, then upload or attach "
                      "the features file again.", name=dataset, detail=problem)


def _restore_attrs(frame: pd.DataFrame, meta: dict) -> pd.DataFrame:
    from valuation.data.features import Availability

    meta = _checked_meta(meta)
    avail = meta.get("availability")
    if avail is not None:
        availability = Availability(**avail)
    else:
        availability = Availability.from_provided(meta.get("provided") or {})
    frame.attrs["as_of"] = pd.Timestamp(meta["as_of"]).date()
    frame.attrs["availability"] = availability
    frame.attrs["provided"] = meta.get("provided") or {}
    frame.attrs["engine"] = meta.get("engine", "")
    frame.attrs["source"] = meta.get("source", "")
    return frame


def _arrow_features(features: pd.DataFrame) -> pa.Table:
    frame = features.copy(deep=False)
    frame.attrs = {}
    return pa.Table.from_pandas(frame, preserve_index=False)


def write_features(features: pd.DataFrame, path: str | Path, *, engine: str = "", source: str = "") -> Path:
    """Write a features frame (from ``finish_features``) as one Parquet file with its metadata."""
    path = Path(path)
    table = _arrow_features(features)
    meta = dict(table.schema.metadata or {})
    meta[FEATURES_META_KEY] = json.dumps(features_metadata(features, engine=engine, source=source),
                                         ensure_ascii=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def is_features_file(path: str | Path) -> bool:
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return False
    return FEATURES_META_KEY in meta


def read_features(path: str | Path) -> pd.DataFrame:
    """A features file written by :func:`write_features`, with ``as_of`` and ``availability`` in attrs."""
    path = Path(path)
    if not path.is_file():
        raise StoreError("features_missing", f"The features file {path} does not exist.", path=str(path))
    try:
        parquet = pq.ParquetFile(path)
        raw = (parquet.schema_arrow.metadata or {}).get(FEATURES_META_KEY)
        if raw is None:
            raise StoreError("not_features", f"{path} is not a features file: it lacks the valuation "
                             "metadata. Write it with: python -m valuation features … --out FILE.parquet",
                             path=str(path))
        try:
            meta = _checked_meta(json.loads(raw))
        except ValueError as exc:  # not JSON, or a field that is not what write_features writes
            raise StoreError("features_corrupt", f"The features metadata of {path} is damaged ({exc}). "
                             "Write the file again: python -m valuation features … --out FILE.parquet",
                             path=str(path), detail=str(exc)) from None
        missing = missing_feature_columns(parquet.schema_arrow.names)
        if missing:
            raise StoreError("features_missing_columns", f"{path} lacks the feature column(s) "
                             f"{', '.join(missing)}, so it cannot be used as a features dataset. Write "
                             "it again with this version: python -m valuation features … --out "
                             "FILE.parquet", path=str(path), columns=", ".join(missing))
        _check_features_size(parquet, path)
        table = parquet.read()
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError("features_unreadable", f"{path} is not a readable Parquet file: {exc}",
                         path=str(path)) from None
    return _restore_attrs(_with_later_columns(table.to_pandas()), meta)


def _with_later_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the LATER_FEATURE_COLUMNS it lacks added, empty."""
    for column in LATER_FEATURE_COLUMNS:
        if column not in frame:
            frame[column] = float("nan")
    return frame


def _check_features_size(parquet, path: Path) -> None:
    """A features file is read whole: refuse one past the row or decompressed-bytes limits first.

    One row per customer, typed columns (~8 bytes a value, not the ~60 of a text cell), so the
    cell limit of text uploads does not apply; rows and unpacked bytes do (valuation/data/limits.py).
    """
    from valuation.data.files import IngestError
    from valuation.data.limits import Limits, too_many_rows, too_much_decompressed

    limits, meta = Limits.from_env(), parquet.metadata
    problem: IngestError | None = None
    if meta.num_rows > limits.rows:
        problem = too_many_rows(path.name, limits.rows)
    else:
        unpacked = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
        if unpacked > limits.decompressed_bytes:
            problem = too_much_decompressed(path.name, "its columns", unpacked, limits.decompressed_bytes)
    if problem is not None:
        raise StoreError(problem.code, problem.message, **problem.params)


def attach_features(store: Store, name: str, features: pd.DataFrame | str | Path, *,
                    currency: str | None = None) -> dict:
    """Store a features frame (or a features file) as dataset ``name``, scored as it is (its money
    in ``currency``, CNY unless given).

    Its canonical tables exist but are empty (pages that read orders show nothing); the
    as-of date is the one the features were computed at.
    """
    access.require("upload" if store.private else "save_dataset")
    if not isinstance(features, pd.DataFrame):
        location = str(Path(features).resolve())
        features = read_features(features)
    else:
        location = str(features.attrs.get("source", ""))
    meta = features_metadata(features)
    if "customer_id" not in features or features.attrs.get("as_of") is None:
        raise StoreError("not_features", "A features dataset needs customer_id and an as-of date.")
    table = _arrow_features(features)

    def build(c, sch):
        for t in schema.TABLES:
            c.execute(_create_table_sql(f"{sch}.{quote_ident(t)}", t))
        c.register("_incoming_features", table)
        c.execute(f"CREATE TABLE {sch}.{quote_ident(FEATURES_TABLE)} AS SELECT * FROM _incoming_features")
        c.unregister("_incoming_features")

    as_of = pd.Timestamp(meta["as_of"]).date()
    _write_dataset(store, name, build, source=f"features ({meta['engine'] or 'engine'}): {location}",
                   kind=KIND_FEATURES, location=location, as_of=as_of, detail=meta,
                   provided=meta["provided"], currency=currency)
    return {"dataset": validate_dataset_name(name), "kind": KIND_FEATURES, "path": location,
            "as_of": str(as_of), "customers": int(len(features)), "engine": meta["engine"]}


def load_features(store: Store, dataset: str, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """The stored features of a features dataset; StoreError when another as-of date is asked for."""
    info = kind_info(store, dataset)
    if not info or info["kind"] != KIND_FEATURES:
        raise StoreError("not_features", f"Dataset {dataset!r} is not a features dataset.", name=dataset)
    if as_of is not None and pd.Timestamp(as_of).date() != info["as_of"]:
        raise StoreError(
            "features_as_of",
            f"Dataset {dataset!r} holds features computed as of {info['as_of']}; they cannot be "
            f"recomputed for {pd.Timestamp(as_of).date()}. Compute them again with "
            f"python -m valuation features … --as-of {pd.Timestamp(as_of).date()}.",
            name=dataset, as_of=str(info["as_of"]))
    problem = features_problem(store, dataset)
    if problem is not None:
        raise problem
    ref = f"{quote_ident(_schema_name(dataset))}.{quote_ident(FEATURES_TABLE)}"
    table = store.cursor().sql(f"SELECT * FROM {ref}").to_arrow_table()
    return _restore_attrs(_with_later_columns(table.to_pandas()), info["detail"])
