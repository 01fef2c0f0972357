"""AppTest of the Data page with awkward uploads: two files of one name, features files that are not
what they claim, a features dataset whose record is damaged, a workbook whose first sheet is hidden."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests import apptest, bombs
from tests.apptest import open_page
from ui.safe import md_params
from valuation.data import sources
from valuation.data.features import compute_features
from valuation.data.store import SAMPLE_DATASET, Store, ensure_sample
from valuation.i18n.text import t


@pytest.fixture
def db_path(tmp_path):
    return apptest.sample_db_in(tmp_path)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    store = Store(":memory:")
    ensure_sample(store)
    frame = compute_features(store, SAMPLE_DATASET)
    store.close()
    return frame


def start(db_path, monkeypatch, lang="en"):
    return open_page(apptest.start(db_path, monkeypatch, lang), "data")


def texts(at, kind) -> str:
    return " ".join(str(e.value) for e in getattr(at, kind))


def upload(at, *files):
    at.file_uploader(key="upload").set_value([(name, data, "application/octet-stream") for name, data in files])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


ORDERS_A = "customer_id,order_date,amount\nA1,2024-01-05,100\nA2,2024-01-06,200\n"
ORDERS_B = "customer_id,order_date,amount\nB1,2024-02-05,10\nB2,2024-02-06,20\nB3,2024-02-07,30\n"


def test_two_uploads_with_the_same_name_and_rejected_rows_each_offer_their_rejects(db_path, monkeypatch):
    at = start(db_path, monkeypatch)
    bad_a = ORDERS_A + "A3,not a date,5\n"
    bad_b = ORDERS_B + "B4,2024-02-08,lots\n"
    upload(at, ("orders.csv", bad_a.encode()), ("orders.csv", bad_b.encode()))  # crashed: duplicate key
    keys = [b.key for b in at.get("download_button") if str(b.key).startswith("rejects::")]
    assert len(keys) == 2 and len(set(keys)) == 2


def test_two_uploads_with_the_same_name_are_both_read_and_saved(db_path, monkeypatch):
    at = start(db_path, monkeypatch)
    upload(at, ("orders.csv", ORDERS_A.encode()), ("orders.csv", ORDERS_B.encode()))
    shown = texts(at, "markdown")
    assert "2 rows read, 2 loaded, 0 rejected" in shown and "3 rows read, 3 loaded, 0 rejected" in shown
    assert len([s for s in at.selectbox if s.label.startswith("Which table is")]) == 2
    at.text_input(key="save_name").set_value("both")
    at.button(key="use_session").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "session:both"
    summary = at.dataframe[0].value  # the current dataset's tables: both files' orders, stacked
    assert summary.loc[summary["Table"] == "orders", "Rows"].tolist() == [5]


def test_two_features_files_with_the_same_name_are_both_offered(db_path, monkeypatch, features, tmp_path):
    first = sources.write_features(features, tmp_path / "a" / "features.parquet", engine="duckdb")
    second = sources.write_features(features.head(10), tmp_path / "b" / "features.parquet", engine="duckdb")
    at = start(db_path, monkeypatch)
    upload(at, ("features.parquet", first.read_bytes()), ("features.parquet", second.read_bytes()))
    shown = texts(at, "markdown")
    assert shown.count("Features file features.parquet") == 2
    assert f"{len(features):,} customers" in shown and "10 customers" in shown


# ---------------------------------------------------------------------- features files and datasets


def test_a_features_file_without_the_feature_columns_is_refused_naming_them(db_path, monkeypatch,
                                                                             features, tmp_path):
    path = sources.write_features(features.drop(columns=["net_profit_12m", "has_orders"]),
                                  tmp_path / "thin.parquet", engine="spark")
    at = start(db_path, monkeypatch, lang="zh")
    upload(at, ("thin.parquet", path.read_bytes()))
    expected = t("err.features_missing_columns", "zh",
                 **md_params({"path": "thin.parquet", "columns": "net_profit_12m, has_orders"}))
    assert [e.value for e in at.error] == [expected]
    assert not [b for b in at.button if b.key and b.key.endswith("save_dataset")]


def test_a_features_file_with_damaged_metadata_is_refused(db_path, monkeypatch, features, tmp_path):
    path = sources.write_features(features, tmp_path / "damaged.parquet")
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    meta[sources.FEATURES_META_KEY] = b'{"format": 1, "as_of": "not a date"'
    pq.write_table(table.replace_schema_metadata(meta), path)
    at = start(db_path, monkeypatch)
    upload(at, ("damaged.parquet", path.read_bytes()))
    errors = texts(at, "error")
    assert "The features metadata of damaged.parquet is damaged" in errors.replace("\\", "")


@pytest.mark.parametrize("detail", ["{not json", json.dumps({"format": 1, "provided": {}})])
def test_a_features_dataset_with_a_damaged_record_shows_a_message_on_the_data_page(db_path, monkeypatch,
                                                                                    features, detail):
    store = Store(db_path)
    sources.attach_features(store, "cluster", features)
    store.cursor().execute(f"UPDATE {sources.KINDS_TABLE} SET detail = $d WHERE name = 'cluster'", {"d": detail})
    store.close()
    at = start(db_path, monkeypatch)
    at.selectbox(key="dataset").set_value("db:cluster").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "The features record of dataset “cluster” is damaged" in texts(at, "error")
    assert at.button(key="delete_dataset")  # the way out: delete it


# ---------------------------------------------------------------------- workbooks


def test_a_hidden_first_sheet_is_skipped_and_the_import_notes_say_so(db_path, monkeypatch):
    data = bombs.workbook([("Lookup", bombs.sheet_xml(bombs._row(("code", "label"), 1))),
                           ("Orders", bombs.sheet_xml(bombs.ORDERS_ROWS))], hidden=("Lookup",))
    at = start(db_path, monkeypatch)
    upload(at, ("book.xlsx", data))
    assert at.selectbox(key="sheet::book.xlsx").value == "Orders"
    assert "2 rows read, 2 loaded, 0 rejected" in texts(at, "markdown")
    assert "Hidden sheet(s) Lookup of book.xlsx skipped" in texts(at, "warning")


def test_a_workbook_bomb_is_refused_on_the_data_page_in_the_readers_language(db_path, monkeypatch):
    at = start(db_path, monkeypatch, lang="zh")
    upload(at, ("far.xlsx", bombs.xlsx_far_cell()))
    expected = t("err.sheet_too_many_cells", "zh", **md_params({
        "file": "far.xlsx", "sheet": "Orders", "cell": "XFD1048576", "rows": "1,048,576", "columns": "16,384",
        "cells": "17,179,869,184", "limit": "50,000,000", "env": "VALUATION_MAX_CELLS"}))
    assert [e.value for e in at.error] == [expected]
    assert "XFD1048576" in expected and "拆分" in expected
