"""The lifecycle page's cohort funnel on the bundled sample: a new window or period moves the shown numbers."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.apptest import sample_db, open_page, start
from valuation.analysis import funnel
from valuation.data.features import default_as_of
from valuation.data.store import SAMPLE_DATASET, Store


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return sample_db(tmp_path_factory, "lifecycle")


@pytest.fixture(scope="module")
def engine(db_path):
    """The engine's purchase dates of the sample, to compute what the page should show."""
    store = Store(db_path, read_only=True)
    as_of = default_as_of(store, SAMPLE_DATASET)
    history = funnel.purchase_history(store, SAMPLE_DATASET, as_of)
    store.close()
    return history


def cohort_table(at):
    return next(d.value for d in at.dataframe if "Conversion" in d.value.columns or "转化率" in d.value.columns)


def shown(at, window: int):
    table = cohort_table(at).set_index("Step")
    return (table["Entered in the period"].tolist(), table["Still open"].tolist(),
            table[f"Converted within {window} days"].tolist(), table["Conversion"].tolist())


def expected(history, start, end, window: int):
    cohort = funnel.cohort_funnel(history, start, end, window)
    return (cohort["entered"].tolist(), cohort["open"].tolist(), cohort["converted"].tolist(),
            [f"{c * 100:.0f}%" for c in cohort["conversion"]])


def test_a_longer_window_moves_the_cohort_conversions_and_opens_the_latest_cohorts(db_path, monkeypatch, engine):
    at = open_page(start(db_path, monkeypatch), "lifecycle")
    as_of = engine.attrs["as_of"]
    first, last = funnel.default_period(as_of, 90)
    assert at.date_input(key=f"funnel::start::{as_of}").value == first
    assert at.date_input(key=f"funnel::end::{as_of}").value == last
    before = shown(at, 90)
    assert before == expected(engine, first, last, 90)
    assert before[1] == [0, 0, 0]  # the default period's windows have all ended

    at.number_input(key="funnel::window").set_value(180).run()
    assert not at.exception, [e.message for e in at.exception]
    after = shown(at, 180)
    assert after == expected(engine, first, last, 180)
    assert after[2] != before[2] and all(o > 0 for o in after[1])  # more converted; the last 90 days open
    assert any("Still open on 2026-09-30" in c.value for c in at.caption)


def test_a_chosen_quarter_counts_only_its_cohorts(db_path, monkeypatch, engine):
    at = open_page(start(db_path, monkeypatch), "lifecycle")
    as_of = engine.attrs["as_of"]
    q_start, q_end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    at.date_input(key=f"funnel::start::{as_of}").set_value(q_start).run()
    at.date_input(key=f"funnel::end::{as_of}").set_value(q_end).run()
    assert not at.exception, [e.message for e in at.exception]
    assert shown(at, 90) == expected(engine, q_start, q_end, 90)


def test_the_lifecycle_page_in_chinese_has_chinese_labels(db_path, monkeypatch):
    at = open_page(start(db_path, monkeypatch, lang="zh"), "lifecycle")
    assert "按批次的转化漏斗" in [s.value for s in at.subheader]
    assert at.number_input(key="funnel::window").label == "转化窗口（天）"
    assert [d.label for d in at.date_input if d.key.startswith("funnel::")] == ["期间开始", "期间结束"]
    table = cohort_table(at)
    assert list(table.columns) == ["步骤", "期间内进入", "仍在窗口内", "窗口已结束", "90 天内转化", "转化率"]
    assert table["步骤"].tolist() == ["线索 → 首次购买", "首次购买 → 重复购买", "重复购买 → 第三次购买"]
    latin = re.compile(r"[A-Za-z]{2,}")
    texts = [c.value for c in at.main.caption] + [s.value for s in at.main.subheader] + [
        i.value for i in at.main.info]
    assert not [text for text in texts if latin.search(text)]


def test_moving_the_window_or_the_period_runs_no_new_query(db_path, monkeypatch, engine):
    calls = []
    real = funnel.purchase_history
    monkeypatch.setattr(funnel, "purchase_history", lambda *a, **k: calls.append(a) or real(*a, **k))
    at = open_page(start(db_path, monkeypatch), "lifecycle")
    queried = len(calls)
    assert queried <= 1  # once per dataset version and as-of date (maybe by an earlier test)
    for window in (30, 60, 120):
        at.number_input(key="funnel::window").set_value(window).run()
    at.date_input(key=f"funnel::start::{engine.attrs['as_of']}").set_value(dt.date(2026, 1, 1)).run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(calls) == queried
