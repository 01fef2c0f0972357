"""Features files and features datasets that are not what they claim: refused where they come in,
reported (never a crash) when a stored record is damaged."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from valuation.data import sources
from valuation.data.features import compute_features
from valuation.data.store import (
    SAMPLE_DATASET,
    Store,
    StoreError,
    _schema_name,
    ensure_sample,
    quote_ident,
)
from valuation.i18n.text import t
from valuation.model import pipeline


@pytest.fixture(scope="module")
def features():
    store = Store(":memory:")
    ensure_sample(store)
    frame = compute_features(store, SAMPLE_DATASET)
    store.close()
    return frame


def test_the_required_feature_columns_are_what_the_feature_query_gives(features):
    assert list(features.columns) == list(sources.FEATURE_COLUMNS)


def test_a_features_file_without_feature_columns_is_refused_naming_them(features, tmp_path):
    path = sources.write_features(features[["customer_id", "orders", "revenue_total"]], tmp_path / "thin.parquet")
    with pytest.raises(StoreError) as err:
        sources.read_features(path)
    assert err.value.code == "features_missing_columns"
    missing = err.value.params["columns"].split(", ")
    assert "net_profit_12m" in missing and "customer_id" not in missing and len(missing) == 65
    assert "lacks the feature column(s) name, region" in str(err.value)
    store = Store(":memory:")
    with pytest.raises(StoreError):  # nor can it be attached as a dataset
        sources.attach_features(store, "thin", path)
    assert "thin" not in store.datasets()


@pytest.mark.parametrize("raw, words", [
    (b"{not json", "damaged"),
    (json.dumps({"format": 1, "provided": {}}).encode(), "is not a date"),
    (json.dumps({"format": 1, "as_of": "2024-06-30", "availability": {"cost": "maybe"}}).encode(), "yes/no"),
    (json.dumps([1, 2]).encode(), "not a JSON object"),
])
def test_a_features_file_with_damaged_metadata_is_refused_with_a_message(features, tmp_path, raw, words):
    path = sources.write_features(features, tmp_path / "damaged.parquet")
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, sources.FEATURES_META_KEY: raw}), path)
    with pytest.raises(StoreError) as err:
        sources.read_features(path)
    assert err.value.code == "features_corrupt" and words in str(err.value)
    assert t("err.features_corrupt", "zh", **err.value.params).startswith(str(path))


@pytest.mark.parametrize("detail", ["{not json", json.dumps({"format": 1}), json.dumps("text")])
def test_a_features_dataset_with_a_damaged_record_is_reported_not_crashed_on(features, detail):
    store = Store(":memory:")
    ensure_sample(store)
    sources.attach_features(store, "cluster", features)
    store.cursor().execute(f"UPDATE {sources.KINDS_TABLE} SET detail = $d WHERE name = 'cluster'", {"d": detail})
    info = sources.kind_info(store, "cluster")  # the sidebar reads it on every page
    assert info["kind"] == sources.KIND_FEATURES and info["as_of"] == features.attrs["as_of"]
    problem = sources.features_problem(store, "cluster")
    assert problem.code == "features_dataset_corrupt" and problem.params["name"] == "cluster"
    with pytest.raises(StoreError) as err:
        pipeline.run(store, "cluster")
    assert err.value.code == "features_dataset_corrupt"
    assert sources.features_problem(store, SAMPLE_DATASET) is None
    store.delete_dataset("cluster")  # the way out


def test_a_stored_features_dataset_that_lost_columns_is_reported(features):
    store = Store(":memory:")
    ensure_sample(store)
    sources.attach_features(store, "cluster", features)
    store.cursor().execute(f"ALTER TABLE {quote_ident(_schema_name('cluster'))}.features DROP COLUMN net_profit_12m")
    problem = sources.features_problem(store, "cluster")
    assert problem.code == "features_dataset_corrupt" and "net_profit_12m" in problem.params["detail"]


def test_a_features_file_past_the_row_limit_is_refused_before_it_is_read(features, tmp_path, monkeypatch):
    path = sources.write_features(features, tmp_path / "many.parquet")
    monkeypatch.setenv("VALUATION_MAX_ROWS", "100")
    with pytest.raises(StoreError) as err:
        sources.read_features(path)
    assert err.value.code == "too_many_rows" and "many.parquet has more than 100 rows" in str(err.value)
