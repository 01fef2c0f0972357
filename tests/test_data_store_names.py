"""Names: a dataset or a saved view cannot be reached under another case or Unicode form, and the
bundled sample can never be replaced or deleted (issue #14, finding 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from valuation.data import sources
from valuation.data.saved_views import list_views, load_view, rename_view, save_view
from valuation.data.store import SAMPLE_DATASET, Store, StoreError, ensure_sample
from valuation.i18n.text import t


def orders(customer: str, amount: float) -> dict[str, pd.DataFrame]:
    return {"orders": pd.DataFrame({"customer_id": [customer], "order_date": pd.to_datetime(["2024-01-01"]),
                                    "amount": [amount]})}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "names.duckdb")
    ensure_sample(s)
    yield s
    s.close()


@pytest.mark.parametrize("other", ["East", "EAST", "ｅａｓｔ", " east "[1:].upper()])
def test_a_name_in_another_case_or_width_is_refused_and_the_first_dataset_kept(store, other):
    store.replace_dataset("east", orders("a", 10.0))
    with pytest.raises(StoreError) as caught:
        store.replace_dataset(other, orders("b", 99.0))
    assert caught.value.code == "name_taken" and caught.value.params["existing"] == "east"
    assert store.read("east", "orders")["customer_id"].tolist() == ["a"]  # east's data untouched
    assert store.datasets() == [SAMPLE_DATASET, "east"]


def test_unicode_forms_of_one_name_are_one_name(store):
    store.replace_dataset("Caf\u00e9", orders("a", 1.0))  # é as one character
    store.replace_dataset("Cafe\u0301", orders("b", 2.0))  # e + combining accent: the same name, replaced
    assert store.datasets() == [SAMPLE_DATASET, "Caf\u00e9"]
    assert store.read("Caf\u00e9", "orders")["customer_id"].tolist() == ["b"]
    with pytest.raises(StoreError, match="same name"):
        store.replace_dataset("CAFE\u0301", orders("c", 3.0))


def test_replacing_under_exactly_the_same_name_still_works(store):
    store.replace_dataset("华东", orders("a", 10.0))
    store.replace_dataset("华东", orders("b", 20.0))
    assert store.read("华东", "orders")["customer_id"].tolist() == ["b"]


@pytest.mark.parametrize("name", ["sample", "Sample", "SAMPLE", "ｓａｍｐｌｅ"])
def test_the_bundled_sample_can_never_be_replaced_or_deleted(store, name):
    before = len(store.read(SAMPLE_DATASET, "orders"))
    with pytest.raises(StoreError) as caught:
        store.replace_dataset(name, orders("x", 1.0))
    assert caught.value.code == "sample_protected"
    with pytest.raises(StoreError) as caught:
        store.delete_dataset(name)
    assert caught.value.code == "sample_protected"
    assert len(store.read(SAMPLE_DATASET, "orders")) == before
    assert "sample can never be replaced or deleted" in t("err.sample_protected", "en", name=name)


def test_a_features_dataset_cannot_take_another_datasets_name_either(store):
    store.replace_dataset("east", orders("a", 10.0))
    features = pd.DataFrame({"customer_id": ["a"]})
    features.attrs["as_of"] = "2024-06-30"
    with pytest.raises(StoreError) as caught:
        sources.attach_features(store, "EAST", features)
    assert caught.value.code == "name_taken"
    assert store.read("east", "orders")["customer_id"].tolist() == ["a"]


def test_view_names_are_unique_regardless_of_case_and_width(store):
    save_view(store, "Q3 review", "{}")
    with pytest.raises(StoreError) as caught:
        save_view(store, "q3 REVIEW", '{"x": 1}')
    assert caught.value.code == "view_name_taken" and caught.value.params["existing"] == "Q3 review"
    save_view(store, "Q3 review", '{"y": 2}')  # overwriting under exactly its name is fine
    save_view(store, "other", "{}")
    with pytest.raises(StoreError):
        rename_view(store, "other", "Ｑ３ review")
    rename_view(store, "Q3 review", "q3 review")  # a view may change its own case
    assert list_views(store) == ["other", "q3 review"] and load_view(store, "q3 review") == '{"y": 2}'


def test_the_command_line_refuses_a_colliding_name_with_exit_2(tmp_path, capsys):
    from valuation.cli.main import main

    db = str(tmp_path / "cli.duckdb")
    path = tmp_path / "o.csv"
    path.write_text("customer_id,order_date,amount\na,2024-01-01,10\n", encoding="utf-8")
    assert main(["ingest", str(path), "--dataset", "east", "--db", db]) == 0
    assert main(["ingest", str(path), "--dataset", "East", "--db", db]) == 2
    assert "'east' exists already" in capsys.readouterr().err
    assert main(["ingest", str(path), "--dataset", "Sample", "--db", db]) == 2


def test_on_the_data_page_saving_an_upload_as_sample_is_refused_and_every_page_still_works(tmp_path,
                                                                                          monkeypatch):
    # The finding: upload Sample.csv, save it (the name field proposes "Sample"), delete it: the
    # bundled sample was gone for every session, the Data page included, even after a restart.
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, open_page

    path = tmp_path / "app.duckdb"
    s = Store(path)
    ensure_sample(s)
    before = len(s.read(SAMPLE_DATASET, "orders"))
    s.close()
    monkeypatch.setenv("VALUATION_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    open_page(at, "data")
    csv = "customer_id,order_date,amount\nZ1,2024-01-01,10\n".encode()
    at.file_uploader(key="upload").set_value(("Sample.csv", csv, "text/csv")).run()
    assert at.text_input(key="save_name").value == "Sample"
    at.button(key="save_dataset").click().run()
    assert not at.exception
    assert any("the sample can never be replaced or deleted" in e.value for e in at.error)
    assert len(at.selectbox(key="dataset").options) == 1  # the sample alone
    assert not [b for b in at.button if b.key == "delete_dataset"]  # the sample offers no delete
    for page in ("overview", "customers", "data"):
        open_page(at, page)
    s = Store(path)  # the app's own configuration: DuckDB refuses a second, read-only one in-process
    try:
        assert s.datasets() == [SAMPLE_DATASET] and len(s.read(SAMPLE_DATASET, "orders")) == before
    finally:
        s.close()
