"""The one feature query on DuckDB or Spark, over Parquet (or Spark tables), with the same results.

``features.FEATURE_SQL`` is written in the subset of SQL both engines accept (dates compared,
never subtracted except through the ``{days(a, b)}`` macro; no engine-only functions); for
Spark it passes through sqlglot (duckdb → spark), which also turns ``$name`` parameters into
Spark's ``:name`` markers and makes the NULL ordering explicit. :func:`normalise_result`
gives both engines' output the same types (Spark returns dates as ``datetime.date`` objects,
DuckDB as datetimes; counts come back as floats when a column has NULLs), and
``features.finish_features`` does the date arithmetic in pandas, so the features are equal.

pyspark and sqlglot are optional (``requirements-spark.txt``): only the Spark path imports them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from valuation.data import schema
from valuation.data.features import Availability, fetch_frame, finish_features, render_sql, window_params
from valuation.data.sources import (
    ParquetSource,
    attach_parquet,
    canonical_select,
    check_required,
    is_remote,
    locate,
    provided_from_source,
)
from valuation.data.store import Store, StoreError

ENGINES = ("duckdb", "spark")

# Column types of the raw feature query's result (before finish_features).
RAW_DATE_COLUMNS = ("created_at", "first_order_date", "last_order_date", "last_order_date_cal", "last_return_date")
RAW_COUNT_COLUMNS = ("orders", "returns", "orders_12m", "rows_without_cost_12m", "purchase_days",
                     "max_gap_days", "last_return_gap_days", "categories_bought", "categories_total", "invoices",
                     "invoices_due", "invoices_on_time", "service_events_12m", "complaints_12m",
                     "complaints", "purchase_days_cal")
RAW_TEXT_COLUMNS = ("customer_id", "name", "region", "industry", "city", "size", "channel",
                    "pipeline_stage")

SPARK_VIEW_PREFIX = "_valuation_"


class EngineError(StoreError):
    """An engine cannot run here (pyspark, Java or sqlglot missing; a cluster unreachable)."""


# ---- the query for each engine -------------------------------------------------------------
def to_spark_sql(sql: str) -> str:
    """A DuckDB-dialect query in Spark SQL, through sqlglot."""
    try:
        import sqlglot
    except ImportError:  # pragma: no cover - depends on the install
        raise EngineError("no_sqlglot", "The Spark path needs sqlglot: pip install -r requirements-spark.txt") from None
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def feature_sql(engine: str, tables: dict[str, str]) -> str:
    """The feature query for ``engine`` over ``tables`` (table name -> SQL reference).

    Parameters are named (``$as_of`` on DuckDB, ``:as_of`` on Spark); pass
    ``features.window_params(as_of)``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
    sql = render_sql(tables, "duckdb")
    return sql if engine == "duckdb" else to_spark_sql(sql)


# ---- one result type from either engine ----------------------------------------------------
def _numbers(series: pd.Series) -> pd.Series:
    if series.dtype == object:  # Decimal (DuckDB HUGEINT sums), None, or Python ints
        series = series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                            else float(v) if isinstance(v, Decimal) else v)
    return pd.to_numeric(series)


def normalise_result(frame: pd.DataFrame) -> pd.DataFrame:
    """The raw feature query's result with one set of types, whichever engine produced it.

    Dates -> ``datetime64[us]``; counts -> nullable ``Int64``; other numbers -> ``float64``;
    text -> ``object`` holding ``str`` or None. Column order and row order are kept.
    """
    out = {}
    attrs = dict(frame.attrs)
    frame = frame.reset_index(drop=True)
    for col in frame.columns:
        s = frame[col]
        if col in RAW_DATE_COLUMNS:
            out[col] = pd.to_datetime(s.astype(object).where(s.notna(), None)).astype("datetime64[us]")
        elif col in RAW_COUNT_COLUMNS:
            out[col] = _numbers(s).astype("Float64").round().astype("Int64")
        elif col in RAW_TEXT_COLUMNS or s.dtype == object and not s.map(
                lambda v: v is None or isinstance(v, (int, float, Decimal))).all():
            out[col] = s.astype(object).where(s.notna(), None)
        else:
            out[col] = _numbers(s).astype("float64")
    result = pd.DataFrame(out, index=frame.index)
    result.attrs.update(attrs)
    return result


def _finish(raw: pd.DataFrame, as_of: dt.date, provided: dict[str, list[str]], engine: str,
            source: str) -> pd.DataFrame:
    features = finish_features(raw, as_of, Availability.from_provided(provided))
    features.attrs.update({"provided": provided, "engine": engine, "source": source})
    return features


# ---- DuckDB over Parquet ----------------------------------------------------------------------
def raw_features_duckdb(source: str | Path, as_of: dt.date | str | None = None,
                        store: Store | None = None) -> tuple[pd.DataFrame, dt.date, dict]:
    """(normalised raw query result, as-of date, provided columns) on DuckDB over a Parquet folder."""
    own = store is None
    store = store or Store(":memory:")
    try:
        attach_parquet(store, "source", source)
        tables = {t: store.table_ref("source", t) for t in schema.TABLES}
        if as_of is None:
            from valuation.data.features import last_order_sql

            as_of = store.cursor().execute(last_order_sql(tables["orders"]),
                                           {"today": dt.date.today()}).fetchall()[0][0] or dt.date.today()
        as_of = pd.Timestamp(as_of).date()
        raw = fetch_frame(store.cursor(), feature_sql("duckdb", tables), window_params(as_of))
        return normalise_result(raw), as_of, store.provided_columns("source")
    finally:
        if own:
            store.close()


def run_features_duckdb(source: str | Path, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Per-customer features on DuckDB, reading the Parquet folder ``source`` in place."""
    raw, as_of, provided = raw_features_duckdb(source, as_of)
    return _finish(raw, as_of, provided, "duckdb", str(source))


# ---- Spark -----------------------------------------------------------------------------------
def java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME") or shutil.which("java"))


def _check_reachable(remote: str, timeout: float = 10.0) -> None:
    """Fail at once when a Spark Connect URL's port does not answer (the client would retry for minutes)."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(remote.split(";", 1)[0].replace("sc://", "http://", 1))
    if not remote.startswith("sc://") or not url.hostname:
        raise EngineError("bad_remote", f"{remote} is not a Spark Connect URL: use sc://HOST:15002.",
                          where=remote)
    try:
        socket.create_connection((url.hostname, url.port or 15002), timeout=timeout).close()
    except OSError as exc:
        raise EngineError("spark_unavailable", f"No Spark Connect server answers at {remote} ({exc}): "
                          "check the host and port (default 15002) and that the cluster's Connect "
                          "server is running.", where=remote) from None


def spark_session(master: str | None = None, remote: str | None = None, *,
                  app_name: str = "valuation-features", extra_conf: dict | None = None):
    """A SparkSession: local mode (``master``, default ``local[*]``) or a cluster via Spark Connect.

    ``remote`` is a Spark Connect URL such as ``sc://spark-master:15002``; the client needs
    ``pyspark[connect]`` (see requirements-spark.txt), no local Java.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("no_pyspark", "The Spark engine needs pyspark: "
                          "pip install -r requirements-spark.txt (and Java 17 for local mode).") from None
    builder = SparkSession.builder.appName(app_name)
    if remote:
        _check_reachable(remote)
        builder = builder.remote(remote)
    else:
        if not java_available():
            raise EngineError("no_java", "Spark local mode needs Java (17 or 21): install it, e.g. "
                              "apt-get install openjdk-17-jre-headless, or use --remote sc://HOST:15002.")
        builder = (builder.master(master or "local[*]")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start, or the cluster is unreachable
        where = remote or master or "local[*]"
        raise EngineError("spark_unavailable", f"Spark could not be started at {where}: {exc}",
                          where=where) from None
    # Dates from timestamps are cut in UTC, as DuckDB does for naive timestamps.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_read_parquet(spark, location: str):
    # mergeSchema: files written at different times may have different columns (like union_by_name).
    return spark.read.option("mergeSchema", "true").parquet(location)


def _spark_frames(spark, source: str) -> dict:
    """table -> Spark DataFrame of the source table (absent tables left out)."""
    text = str(source)
    frames = {}
    # Through Spark Connect the path is the cluster's, not this machine's: let Spark look for it.
    connect = type(spark).__module__.startswith("pyspark.sql.connect")
    if is_remote(text) or os.sep in text or text.startswith(".") or Path(text).exists():
        if is_remote(text) or connect:
            from pyspark.errors import AnalysisException

            base = text.rstrip("/")
            for table in schema.TABLES:
                for location in (f"{base}/{table}", f"{base}/{table}.parquet"):
                    try:
                        frames[table] = _spark_read_parquet(spark, location)
                        frames[table].columns  # resolves the schema: raises when nothing is there
                        break
                    except AnalysisException:
                        frames.pop(table, None)
            if "orders" not in frames:
                raise StoreError("parquet_no_orders", f"{text} has no orders/ folder or orders.parquet.",
                                 path=text)
        else:
            src: ParquetSource = locate(text)
            for table in schema.TABLES:
                location = src.location(table)
                if location:
                    frames[table] = _spark_read_parquet(spark, location)
    else:  # a database (schema) in the Spark catalog with tables orders, customers, …
        for table in schema.TABLES:
            name = f"{text}.{table}"
            if spark.catalog.tableExists(name):
                frames[table] = spark.table(name)
        if "orders" not in frames:
            raise StoreError("spark_no_orders", f"The Spark catalog has no table {text}.orders.",
                             path=text)
    return frames


def spark_views(spark, source: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Register the canonical tables of ``source`` as temporary views; (view names, provided columns)."""
    frames = _spark_frames(spark, source)
    columns, views = {}, {}
    for table in schema.TABLES:
        view = SPARK_VIEW_PREFIX + table
        frame = frames.get(table)
        if frame is None:
            select = canonical_select(table, None, None)
        else:
            cols = set(frame.columns)
            check_required(table, cols, f"{source} ({table})")
            raw_view = f"{SPARK_VIEW_PREFIX}raw_{table}"
            frame.createOrReplaceTempView(raw_view)
            columns[table] = cols
            select = canonical_select(table, cols, raw_view)
        spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {view} AS {to_spark_sql(select)}")
        views[table] = view
    return views, provided_from_source(columns)


def raw_features_spark(source: str, as_of: dt.date | str | None = None, *, spark=None,
                       master: str | None = None, remote: str | None = None, conf: dict | None = None
                       ) -> tuple[pd.DataFrame, dt.date, dict]:
    """(normalised raw query result, as-of date, provided columns) on Spark."""
    spark = spark or spark_session(master, remote, extra_conf=conf)
    views, provided = spark_views(spark, str(source))
    if as_of is None:
        from valuation.data.features import last_order_sql

        as_of = spark.sql(last_order_sql(views["orders"]).replace("$today", f"DATE'{dt.date.today()}'")
                          ).collect()[0][0] or dt.date.today()
    as_of = pd.Timestamp(as_of).date()
    with warnings.catch_warnings():
        # pyspark 4.3 warns that pandas 3 is not fully supported; the parity test checks this result.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
        frame = spark.sql(feature_sql("spark", views), args=window_params(as_of)).toPandas()
    return normalise_result(frame), as_of, provided


def run_features_spark(source: str, as_of: dt.date | str | None = None, master: str | None = None,
                       remote: str | None = None, *, spark=None, conf: dict | None = None) -> pd.DataFrame:
    """Per-customer features computed on Spark (local mode or a cluster through Spark Connect).

    ``source`` is a Parquet dataset folder (local path or a URI the cluster reads, e.g.
    ``s3a://bucket/sales``) or the name of a database in the Spark catalog holding tables
    ``orders`` (required), ``customers``, ``payments`` and ``service``.
    """
    raw, as_of, provided = raw_features_spark(source, as_of, spark=spark, master=master, remote=remote,
                                              conf=conf)
    return _finish(raw, as_of, provided, "spark", str(source))


def run_features(engine: str, source: str | Path, as_of=None, *, master=None, remote=None,
                 spark=None, conf: dict | None = None) -> pd.DataFrame:
    if engine == "spark":
        return run_features_spark(str(source), as_of, master, remote, spark=spark, conf=conf)
    if engine == "duckdb":
        return run_features_duckdb(source, as_of)
    raise ValueError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
