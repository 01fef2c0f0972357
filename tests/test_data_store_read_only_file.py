"""A database file the server may read but not write (published by a nightly job, a read-only
share) is browsed and scored; saving says it is read-only (issue #14, finding 7)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, open_page
from valuation.data import store as store_mod
from valuation.data.store import Store, StoreError, ensure_sample
from valuation.model import pipeline


@pytest.fixture
def published(tmp_path, monkeypatch):
    """A file with the sample and a nightly dataset, then opened as a user without write access:
    DuckDB refuses a read-write connection with 'Permission denied' (root ignores file modes, so
    the refusal is what the test reproduces)."""
    path = tmp_path / "published.duckdb"
    s = Store(path)
    ensure_sample(s)
    s.replace_dataset("nightly", {"orders": pd.DataFrame({
        "customer_id": ["a", "a", "b"], "order_date": pd.to_datetime(["2026-01-05", "2026-03-01", "2026-02-01"]),
        "amount": [100.0, 80.0, 30.0]})})
    s.close()
    real = duckdb.connect

    def connect(database=":memory:", read_only=False, **kw):
        if str(database) == str(path) and not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Permission denied')
        return real(database, read_only=read_only, **kw)

    monkeypatch.setattr(store_mod.duckdb, "connect", connect)
    return path


def test_a_file_without_write_access_opens_read_only_and_scores(published):
    store = Store(published)
    try:
        assert store.read_only and store.read_only_reason == "permission"
        assert store.datasets() == ["sample", "nightly"]
        assert len(pipeline.run(store, "nightly")) == 2
        with pytest.raises(StoreError) as caught:
            store.replace_dataset("other", {"orders": pd.DataFrame({"customer_id": ["x"]})})
        assert caught.value.code == "read_only"
    finally:
        store.close()


def test_the_app_browses_a_read_only_file_and_says_saving_is_off(published, monkeypatch):
    monkeypatch.setenv("VALUATION_DB", str(published))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Overview"
    for page in ("customers", "tuning"):
        open_page(at, page)
    open_page(at, "data")
    assert any("is read-only" in i.value for i in at.info)
