"""The whole feature query on DuckDB and on Spark (local mode) gives the same result.

Counts and dates must be identical, money and averages equal to 1e-9 relative. Skips when
pyspark or Java is missing, except under CI (CI=true), where it must run: .ci/run installs
both (requirements-spark.txt, openjdk-17-jre-headless). One SparkSession for the module.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from tests.scale_data import AS_OF, LEAP_AS_OF, edge_tables, write_parquet_dataset
from valuation.data import engines, schema, sources
from valuation.data.store import Store
from valuation.model import pipeline

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.3 warns about pandas 3 on every toPandas; this test is what shows the results are right
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def _require_spark() -> None:
    problems = []
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        problems.append(f"{exc.name} is not installed (pip install -r requirements-spark.txt)")
    if not engines.java_available():
        problems.append("Java is missing (apt-get install openjdk-17-jre-headless)")
    if problems:
        message = "Spark parity test cannot run: " + "; ".join(problems)
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — under CI it must run")
        pytest.skip(message)


@pytest.fixture(scope="module")
def spark():
    _require_spark()
    session = engines.spark_session("local[2]", extra_conf={
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        # C1 only: the JIT warms up in half the time, and the data here is small.
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
    })
    yield session
    session.stop()


@pytest.fixture(scope="module")
def full_tables():
    return edge_tables()


@pytest.fixture(scope="module")
def full_dir(full_tables, tmp_path_factory):
    return write_parquet_dataset(full_tables, tmp_path_factory.mktemp("spark") / "full", layout="hive")


@pytest.fixture(scope="module")
def spark_full(spark, full_dir):
    """Spark's raw result on the full edge dataset as of AS_OF (shared by two tests)."""
    return engines.raw_features_spark(str(full_dir), AS_OF, spark=spark)


def assert_same_result(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    """Identical ids, counts, dates and text; floats equal to 1e-9 relative."""
    assert list(duck.columns) == list(spark.columns)
    assert len(duck) == len(spark)
    assert duck["customer_id"].tolist() == spark["customer_id"].tolist()
    for col in duck.columns:
        a, b = duck[col], spark[col]
        assert a.dtype == b.dtype, (col, a.dtype, b.dtype)
        if a.dtype == "float64":
            x, y = a.to_numpy(), b.to_numpy()
            assert np.array_equal(np.isnan(x), np.isnan(y)), col
            scale = np.nanmax(np.abs(x)) if np.isfinite(x).any() else 0.0
            # 1e-9 relative; a sum that cancels to zero may differ by rounding of its terms only
            ok = np.isclose(x, y, rtol=1e-9, atol=1e-12 * scale, equal_nan=True)
            assert ok.all(), (col, duck.loc[~ok, "customer_id"].tolist()[:5], x[~ok][:5], y[~ok][:5])
        else:
            pd.testing.assert_series_equal(a, b, check_names=True, obj=col)


def test_the_spark_query_is_a_transpile_of_the_duckdb_query():
    pytest.importorskip("sqlglot")
    tables = {t: f"v_{t}" for t in schema.TABLES}
    sql = engines.feature_sql("spark", tables)
    assert "$" not in sql and ":as_of" in sql
    assert "approx" not in sql.lower()  # sqlglot must not make an exact aggregate approximate
    assert engines.feature_sql("duckdb", tables).count("$as_of") == sql.count(":as_of")


def test_duckdb_and_spark_give_the_same_features_on_every_edge_case(full_dir, spark_full):
    duck, as_of, provided = engines.raw_features_duckdb(full_dir, AS_OF)
    raw, spark_as_of, spark_provided = spark_full
    assert (spark_as_of, spark_provided) == (as_of, provided)
    assert_same_result(duck, raw)
    # the edge cases are really there
    row = duck.set_index("customer_id")
    assert {"P-none", "P-before", "P-on", "E-late", "客户甲"} <= set(row.index) and "P-after" not in row.index
    assert row.loc["E-late", "orders"] is pd.NA  # created before the as-of date, orders only after it
    assert row.loc["E-returns", ["orders", "returns"]].tolist() == [2, 1]
    assert row.loc["E-returns", "revenue_last_6m"] == 0.0  # a return cancelling a purchase
    assert row.loc["E-asof", "orders"] == 4 and row.loc["E-asof", "revenue_12m"] == 20.0  # boundaries
    assert row.loc["E-refund-only", "orders"] == 0 and row.loc["E-refund-only", "purchase_days"] is pd.NA
    assert row.loc["E-sameday", "purchase_days"] == 2 and row.loc["E-one", "purchase_days"] == 1
    # finished features (day counts, ratios, trends) follow
    pd.testing.assert_frame_equal(
        engines._finish(duck, as_of, provided, "x", "x"),
        engines._finish(raw, as_of, provided, "x", "x"), check_exact=False, rtol=1e-9)


def test_parity_as_of_a_leap_day_with_timestamps_and_default_date(spark, full_tables, tmp_path):
    folder = write_parquet_dataset(full_tables, tmp_path / "ts", layout="files", timestamps=True)
    duck, _, _ = engines.raw_features_duckdb(folder, LEAP_AS_OF)
    raw, _, _ = engines.raw_features_spark(str(folder), LEAP_AS_OF, spark=spark)
    assert_same_result(duck, raw)
    # the default as-of date (the last order) is found the same way
    default = spark.sql(f"SELECT MAX(order_date) FROM {engines.SPARK_VIEW_PREFIX}orders").collect()[0][0]
    assert default == engines.raw_features_duckdb(folder)[1]


def test_parity_without_cost_payments_or_service(spark, tmp_path):
    tables = edge_tables(cost=False, payments=False, service=False, bulk=40, seed=11)
    folder = write_parquet_dataset(tables, tmp_path / "bare", layout="hive")
    duck, as_of, provided = engines.raw_features_duckdb(folder)
    raw, spark_as_of, spark_provided = engines.raw_features_spark(str(folder), spark=spark)
    assert (spark_as_of, spark_provided) == (as_of, provided)
    assert "cost" not in provided["orders"] and "payments" not in provided
    assert_same_result(duck, raw)


def test_spark_features_loaded_as_a_dataset_give_the_duckdb_tiers(full_tables, full_dir, spark_full,
                                                                  tmp_path):
    raw, as_of, provided = spark_full
    features = engines._finish(raw, as_of, provided, "spark", str(full_dir))
    path = sources.write_features(features, tmp_path / "spark_features.parquet")
    store = Store(":memory:")
    sources.attach_features(store, "cluster", path)
    store.replace_dataset("imported", full_tables)
    on_spark = pipeline.run(store, "cluster")
    on_duckdb = pipeline.run(store, "imported", AS_OF)
    assert on_spark["customer_id"].tolist() == on_duckdb["customer_id"].tolist()
    assert on_spark["tier"].tolist() == on_duckdb["tier"].tolist()
    assert on_spark["value_class"].tolist() == on_duckdb["value_class"].tolist()
    assert on_spark["lifecycle_stage"].tolist() == on_duckdb["lifecycle_stage"].tolist()
    np.testing.assert_allclose(on_spark["composite"], on_duckdb["composite"], rtol=1e-9)
    store.close()


def test_cli_features_on_spark_then_score_the_file(spark, full_tables, full_dir, tmp_path, capsys):
    """python -m valuation features --engine spark … (reusing the module's session) → score --features."""
    import json

    from valuation.cli import main as cli

    out = tmp_path / "features.parquet"
    assert cli.main(["features", "--engine", "spark", "--source", str(full_dir), "--as-of", str(AS_OF),
                     "--master", "local[2]", "--out", str(out), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["engine"] == "spark" and made["as_of"] == str(AS_OF)
    assert cli.main(["score", "--features", str(out), "--json"]) == 0
    on_spark = json.loads(capsys.readouterr().out)
    store = Store(":memory:")
    store.replace_dataset("imported", full_tables)
    expected = pipeline.summary(pipeline.run(store, "imported", AS_OF))
    assert on_spark["tier"] == expected["tier"] and on_spark["customers"] == expected["customers"]
