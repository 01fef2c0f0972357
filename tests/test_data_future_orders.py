"""One order mistyped as 2099 must not move the default as-of date, so every other customer would
look churned (issue #14, finding 7); the sidebar says such orders exist."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP
from valuation.data.features import default_as_of, future_orders
from valuation.data.store import Store, ensure_sample
from valuation.model import pipeline

DAYS = pd.date_range("2025-01-01", "2026-06-30", freq="14D")


def history(typo: bool) -> dict[str, pd.DataFrame]:
    rows = [(c, d, 100.0) for c in ("a", "b", "c") for d in DAYS]
    if typo:
        rows.append(("a", pd.Timestamp("2099-06-30"), 100.0))  # 2026-06-30 typed as 2099
    return {"orders": pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "f.duckdb")
    ensure_sample(s)
    s.replace_dataset("clean", history(False))
    s.replace_dataset("typo", history(True))
    yield s
    s.close()


def test_a_mistyped_future_order_leaves_the_default_as_of_and_the_stages_as_they_were(store):
    assert default_as_of(store, "typo") == default_as_of(store, "clean") == DAYS[-1].date()
    assert future_orders(store, "typo") == (1, dt.date(2099, 6, 30))
    assert future_orders(store, "clean") == (0, None)
    stages = pipeline.run(store, "typo")["lifecycle_stage"]
    assert not stages.isin(["churned", "dormant", "at_risk"]).any()
    assert (stages.tolist() == pipeline.run(store, "clean")["lifecycle_stage"].tolist())


def test_every_order_in_the_future_still_has_a_default_as_of(store):
    rows = history(False)["orders"].assign(order_date=lambda f: f["order_date"] + pd.DateOffset(years=40))
    store.replace_dataset("ahead", {"orders": rows})
    assert default_as_of(store, "ahead") == rows["order_date"].max().date()


def test_the_sidebar_says_orders_are_dated_in_the_future(store, monkeypatch):
    monkeypatch.setenv("VALUATION_DB", store.path)
    store.close()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params["ds"] = "db:typo"
    at.run()
    assert not at.exception
    assert any("1 order(s) are dated after today (the latest 2099-06-30)" in w.value for w in at.sidebar.warning)
    assert at.date_input(key="as_of::db:typo").value == DAYS[-1].date()
