"""A link to data kept for one session only never shows other data silently (#16 item 1)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests import apptest
from tests.apptest import open_page
from valuation.data.store import Store, ensure_sample

ORDERS = "客户编号,下单日期,金额\n" + "".join(f"K{i:02d},2025-{1 + i % 12:02d}-05,{100 + i}\n" for i in range(30))


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    store.replace_dataset("west", {"orders": pd.DataFrame({
        "customer_id": [f"W{i}" for i in range(30)],
        "order_date": pd.to_datetime([f"2025-{1 + i % 12:02d}-07" for i in range(30)]).astype("datetime64[us]"),
        "amount": [50.0 + i for i in range(30)]})})
    store.close()
    return path


def _opened_from_link(db_path, monkeypatch, ui_lang: str, **params) -> AppTest:
    """A fresh browser (or F5): a new session opened on a link with these query parameters."""
    monkeypatch.setenv("VALUATION_DB", str(db_path))
    at = AppTest.from_file(apptest.APP, default_timeout=120)
    at.session_state["lang"] = ui_lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _session_upload(db_path, monkeypatch) -> AppTest:
    at = open_page(apptest.start(db_path, monkeypatch), "data")
    at.file_uploader(key="upload").set_value([("东区订单.csv", ORDERS.encode("gbk"), "text/csv")])
    at.run()
    at.text_input(key="save_name").set_value("east")
    at.button(key="use_session").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "session:east"
    return at


def test_a_link_to_session_only_data_says_so_and_shows_nothing_else_until_asked(db_path, monkeypatch):
    at = _opened_from_link(db_path, monkeypatch, "zh", ds="session:east", asof="2025-12-05", lang="zh")
    assert [e.value for e in at.error] == [
        "这个链接用的数据“east”只在发链接的人那次会话中上传过，没有保存，所以在这里打不开（刷新页面后也一样）。"
        "请发链接的人在“数据”页把它保存为团队数据集，再重新发链接。"]
    assert not at.metric and not at.title  # no figures of other data behind the notice
    at.button(key="missing_show_instead").click().run()
    assert at.title[0].value == "总览" and at.metric  # the sample, now that the manager asked for it
    assert "显示的是“sample”，不是链接里的“east”。" in [w.value for w in at.warning]
    open_page(at, "tuning")  # the note stays with the view …
    assert "显示的是“sample”，不是链接里的“east”。" in [w.value for w in at.warning]
    at.selectbox(key="dataset").set_value("db:west").run()  # … until the manager chooses data: it goes
    assert not any("east" in w.value for w in at.warning) and not at.exception


def test_a_link_to_a_deleted_dataset_says_it_no_longer_exists(db_path, monkeypatch):
    at = _opened_from_link(db_path, monkeypatch, "en", ds="db:gone")
    assert at.error[0].value.startswith("The dataset this link uses, “gone”, no longer exists")
    assert not at.metric


def test_a_link_date_outside_the_data_is_moved_inside_and_the_sidebar_says_so(db_path, monkeypatch):
    at = _opened_from_link(db_path, monkeypatch, "en", ds="db:sample", asof="2031-01-01")
    assert ("The link's as-of date 2031-01-01 lies outside this dataset (2023-09-30 to 2026-09-30); "
            "2026-09-30 is used instead.") in [w.value for w in at.sidebar.warning]


def test_session_only_data_is_marked_and_an_analyst_can_save_it_for_the_team(db_path, monkeypatch):
    at = _session_upload(db_path, monkeypatch)
    warnings = [w.value for w in at.sidebar.warning]
    assert ("This data is kept for this session only: a refresh, or a colleague opening the link, cannot "
            "open it.") in warnings
    assert any(c.value.startswith("The link in the address bar holds these settings, but the data is kept")
               for c in at.sidebar.caption)
    at.button(key="save_session_dataset").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "db:east"
    assert "“east” is saved for the team; the link can now be sent to colleagues." in [
        s.value for s in at.sidebar.success]
    store = Store(db_path)  # the configuration the app opened it with (DuckDB, one process)
    assert "east" in store.datasets() and len(store.read("east", "orders")) == 30
    # the same link now opens the data in a fresh session
    fresh = _opened_from_link(db_path, monkeypatch, "en", ds="db:east")
    assert not fresh.error and fresh.selectbox(key="dataset").value == "db:east"
