"""Parquet read in place and features files as datasets: the same features and tiers as an import."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.scale_data import AS_OF, LEAP_AS_OF, edge_tables, write_parquet_dataset
from valuation.cli import main as cli
from valuation.data import engines, sources
from valuation.data.features import compute_features
from valuation.data.store import Store, StoreError
from valuation.model import pipeline


@pytest.fixture(scope="module")
def tables():
    return edge_tables()


@pytest.fixture(scope="module")
def imported(tables):
    store = Store(":memory:")
    store.replace_dataset("imported", tables)
    yield store
    store.close()


@pytest.fixture(scope="module")
def hive_dir(tables, tmp_path_factory):
    return write_parquet_dataset(tables, tmp_path_factory.mktemp("pq") / "hive", layout="hive")


def _features(store, name, as_of):
    return compute_features(store, name, as_of)


@pytest.mark.parametrize("layout,timestamps", [("hive", False), ("files", False), ("channel", False),
                                               ("hive", True)])
def test_parquet_dataset_gives_the_features_of_the_same_data_imported(tables, imported, tmp_path,
                                                                       layout, timestamps):
    folder = write_parquet_dataset(tables, tmp_path / "data", layout=layout, timestamps=timestamps)
    store = Store(":memory:")
    summary = sources.attach_parquet(store, "pq", folder)
    assert summary["orders"] == len(tables["orders"])
    assert sources.dataset_kind(store, "pq") == sources.KIND_PARQUET
    assert store.provided_columns("pq") == imported.provided_columns("imported")
    for table in ("orders", "customers", "payments", "service"):  # every column, through the views
        key = ["customer_id"] + [c for c in ("order_id", "due_date", "amount", "date", "kind") if
                                 c in tables[table]]
        got = store.read("pq", table).sort_values(key, ignore_index=True)
        expected = imported.read("imported", table).sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    for as_of in (AS_OF, LEAP_AS_OF, None):
        expected = _features(imported, "imported", as_of)
        got = _features(store, "pq", as_of)
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs["availability"] == expected.attrs["availability"]
    store.close()


def test_a_parquet_dataset_without_cost_service_or_payments(tmp_path):
    tables = edge_tables(cost=False, service=False, payments=False)
    folder = write_parquet_dataset(tables, tmp_path / "nocost", layout="files")
    imported = Store(":memory:")
    imported.replace_dataset("i", tables)
    store = Store(":memory:")
    sources.attach_parquet(store, "pq", folder)
    got = _features(store, "pq", AS_OF)
    pd.testing.assert_frame_equal(got, _features(imported, "i", AS_OF))
    assert not got.attrs["availability"].cost and not got.attrs["availability"].payments
    assert "no_cost" in got.attrs["availability"].notes


def test_a_margin_column_becomes_cost_as_on_import(tables, tmp_path):
    orders = tables["orders"].assign(margin=lambda f: f["amount"] - f["cost"]).drop(columns=["cost"])
    folder = write_parquet_dataset({"orders": orders}, tmp_path / "margin", layout="files")
    store = Store(":memory:")
    sources.attach_parquet(store, "pq", folder)
    assert "cost" in store.provided_columns("pq")["orders"]
    cost = store.read("pq", "orders")["cost"]
    expected = tables["orders"]["cost"]
    assert cost.isna().sum() == expected.isna().sum()
    assert (cost.dropna().to_numpy() - expected.dropna().to_numpy()).__abs__().max() < 1e-9


def test_the_path_is_quoted_safely_and_the_views_survive_reopening(tables, tmp_path):
    folder = write_parquet_dataset(tables, tmp_path / "it's; DROP TABLE x; --", layout="hive")
    db = tmp_path / "file.duckdb"
    store = Store(db)
    sources.attach_parquet(store, "quoted", folder)
    store.close()
    store = Store(db, read_only=True)
    assert store.info("quoted").tables["orders"] == len(tables["orders"])
    assert sources.dataset_kind(store, "quoted") == sources.KIND_PARQUET
    store.close()


def test_clear_errors_for_a_missing_folder_missing_orders_or_columns(tables, tmp_path):
    store = Store(":memory:")
    with pytest.raises(StoreError) as err:
        sources.attach_parquet(store, "x", tmp_path / "nowhere")
    assert err.value.code == "parquet_missing"
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError) as err:
        sources.attach_parquet(store, "x", tmp_path / "empty")
    assert err.value.code == "parquet_no_orders"
    bad = write_parquet_dataset({"orders": tables["orders"].drop(columns=["amount"])}, tmp_path / "bad",
                                layout="files")
    with pytest.raises(StoreError) as err:
        sources.attach_parquet(store, "x", bad)
    assert err.value.code == "parquet_missing_columns" and "amount" in str(err.value)
    with pytest.raises(StoreError) as err:
        sources.attach_parquet(store, "x", str(tmp_path) + "/*")
    assert err.value.code == "bad_path"
    (tmp_path / "damaged" / "orders").mkdir(parents=True)
    (tmp_path / "damaged" / "orders" / "part-0.parquet").write_bytes(b"PAR1 not really parquet")
    with pytest.raises(StoreError) as err:  # DuckDB's own error, named and translated, not a traceback
        sources.attach_parquet(store, "x", tmp_path / "damaged")
    assert err.value.code == "parquet_unreadable" and str(tmp_path / "damaged") in err.value.params["path"]
    assert store.datasets() == []  # nothing half-written


def test_reimporting_a_name_makes_it_an_imported_dataset_again(tables, hive_dir):
    store = Store(":memory:")
    sources.attach_parquet(store, "d", hive_dir)
    store.replace_dataset("d", tables)
    assert sources.dataset_kind(store, "d") == sources.KIND_IMPORTED
    sources.attach_parquet(store, "d", hive_dir)
    assert sources.dataset_kind(store, "d") == sources.KIND_PARQUET
    store.delete_dataset("d")
    assert sources.dataset_kind(store, "d") == sources.KIND_IMPORTED


def test_normalise_result_gives_one_type_per_column():
    duck = pd.DataFrame({"customer_id": ["a", "b"], "orders": [3.0, float("nan")],
                         "first_order_date": pd.to_datetime(["2024-01-01", None]).astype("datetime64[ms]"),
                         "revenue_total": [1.5, None]})
    spark = pd.DataFrame({"customer_id": pd.Series(["a", "b"], dtype=object),
                          "orders": pd.Series([3, None], dtype=object),
                          "first_order_date": pd.Series([pd.Timestamp("2024-01-01").date(), None], dtype=object),
                          "revenue_total": pd.Series([1.5, None], dtype=object)})
    pd.testing.assert_frame_equal(engines.normalise_result(duck), engines.normalise_result(spark))
    assert str(engines.normalise_result(duck)["orders"].dtype) == "Int64"


# ---- features files -----------------------------------------------------------------------
def test_features_on_duckdb_over_parquet_scored_as_a_dataset_give_the_imported_tiers(imported, hive_dir,
                                                                                     tmp_path):
    features = engines.run_features_duckdb(hive_dir, AS_OF)
    path = sources.write_features(features, tmp_path / "features.parquet", engine="duckdb")
    assert sources.is_features_file(path)
    back = sources.read_features(path)
    assert back.attrs["as_of"] == AS_OF and back.attrs["availability"] == features.attrs["availability"]

    store = Store(":memory:")
    sources.attach_features(store, "cluster", path)
    assert sources.dataset_kind(store, "cluster") == sources.KIND_FEATURES
    assert sources.date_range(store, "cluster") == (AS_OF, AS_OF)
    got = pipeline.run(store, "cluster", None)
    expected = pipeline.run(imported, "imported", AS_OF)
    pd.testing.assert_series_equal(got["tier"], expected["tier"])
    pd.testing.assert_series_equal(got["composite"], expected["composite"], rtol=1e-12)
    assert got["value_class"].equals(expected["value_class"])
    with pytest.raises(StoreError) as err:
        pipeline.run(store, "cluster", "2024-01-31")
    assert err.value.code == "features_as_of"


def test_read_features_refuses_a_plain_parquet_file(tmp_path):
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"customer_id": ["a"]}).to_parquet(path)
    with pytest.raises(StoreError) as err:
        sources.read_features(path)
    assert err.value.code == "not_features"


def test_cli_attach_features_and_score(tables, hive_dir, tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    imported = Store(db)
    imported.replace_dataset("imported", tables)
    imported.close()
    assert cli.main(["attach", str(hive_dir), "--dataset", "lake", "--db", str(db), "--json"]) == 0
    attached = json.loads(capsys.readouterr().out)
    assert attached["kind"] == "parquet" and attached["orders"] == len(tables["orders"])

    out = tmp_path / "features.parquet"
    assert cli.main(["features", "--engine", "duckdb", "--source", str(hive_dir), "--as-of", str(AS_OF),
                     "--out", str(out), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["as_of"] == str(AS_OF) and made["customers"] > 0

    summaries = []
    for argv in (["score", "--features", str(out)],
                 ["score", "--dataset", "lake", "--db", str(db), "--as-of", str(AS_OF)],
                 ["score", "--dataset", "imported", "--db", str(db), "--as-of", str(AS_OF)]):
        assert cli.main(argv + ["--json"]) == 0
        summaries.append(json.loads(capsys.readouterr().out))
    assert summaries[0]["tier"] == summaries[1]["tier"] == summaries[2]["tier"]
    assert summaries[0]["customers"] == made["customers"]

    assert cli.main(["attach", str(out), "--dataset", "from cluster", "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["score", "--dataset", "from cluster", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tier"] == summaries[0]["tier"]

    # a folder that is not there: exit 2 with a message, no traceback
    assert cli.main(["attach", str(tmp_path / "nope"), "--dataset", "x", "--db", str(db)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(plain)
    assert cli.main(["attach", str(plain), "--dataset", "x", "--db", str(db)]) == 2
    partial = shutil.copytree(hive_dir, tmp_path / "partial")
    shutil.rmtree(partial / "customers")  # tables other than orders are optional
    assert cli.main(["attach", str(partial), "--dataset", "lake", "--db", str(db), "--json"]) == 0
    assert "customers" not in json.loads(capsys.readouterr().out)["tables"]
