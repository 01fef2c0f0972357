"""AppTest: a dollar file uploaded, its currency chosen and saved, and every figure then shown in dollars."""

from __future__ import annotations

import pandas as pd
import pytest

from tests import apptest
from tests.apptest import metric, open_page
from valuation.data.store import Store, ensure_sample
from valuation.i18n.text import t

DOLLARS = "".join(["Customer,Order date,amount (USD)\n"] + [
    f'C{i % 40:03d},2024-{1 + i % 12:02d}-{1 + i % 27:02d},"${1000 + (i * 3701) % 90000:,}.50"\n' for i in range(400)])


@pytest.fixture
def db_path(tmp_path):
    return apptest.sample_db_in(tmp_path)


def upload_dollars(at):
    at.file_uploader(key="upload").set_value([("dollars.csv", DOLLARS.encode(), "text/csv")])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def money_metrics(at, lang: str) -> list[str]:
    return [metric(at, t(key, lang)) for key in ("kpi.revenue_12m", "kpi.net_profit_12m", "kpi.value_at_risk")]


def test_a_dollar_upload_is_detected_saved_and_shown_in_dollars_in_both_languages(db_path, monkeypatch):
    at = open_page(apptest.start(db_path, monkeypatch), "data")
    upload_dollars(at)
    picker = next(s for s in at.selectbox if s.label == t("data.currency", "en"))
    assert picker.value == "USD"  # what the file says, before saving
    assert any("US dollar (USD)" in str(w.value) for w in at.warning)
    at.text_input(key="save_name").set_value("dollars")
    at.button(key="save_dataset").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "db:dollars"
    assert any("US dollar (USD)" in str(c.value) for c in at.caption)  # the Data page names it
    open_page(at, "overview")
    figures = money_metrics(at, "en")
    assert all(f.lstrip("-").startswith("$") for f in figures), figures
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception, [e.message for e in at.exception]
    figures = money_metrics(at, "zh")
    assert all(f.lstrip("-").startswith("US$") and "万" not in f for f in figures), figures
    at.selectbox(key="dataset").set_value("db:sample").run()  # the sample stays in yuan, 万 in Chinese
    revenue = metric(at, t("kpi.revenue_12m", "zh"))
    assert revenue.startswith("¥") and revenue.endswith("万"), revenue


def test_a_currency_chosen_by_hand_wins_and_survives_saving_for_the_team(db_path, monkeypatch):
    at = open_page(apptest.start(db_path, monkeypatch), "data")
    upload_dollars(at)
    picker = next(s for s in at.selectbox if s.label == t("data.currency", "en"))
    picker.set_value("EUR").run()
    at.text_input(key="save_name").set_value("euros")
    at.button(key="use_session").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "session:euros"
    at.button(key="save_session_dataset").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="dataset").value == "db:euros"
    open_page(at, "overview")
    assert metric(at, t("kpi.revenue_12m", "en")).startswith("€")


def test_a_database_from_before_currencies_opens_and_shows_yuan(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    store = Store(path)
    ensure_sample(store)
    orders = pd.DataFrame({"customer_id": ["A", "B"], "order_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                           "amount": [1000.0, 2000.0]})
    store.replace_dataset("old", {"orders": orders}, currency="USD")
    store.cursor().execute("DROP TABLE _meta.dataset_currency")  # as an older version left it
    store.close()
    at = apptest.start(path, monkeypatch)
    at.selectbox(key="dataset").set_value("db:old").run()
    assert not at.exception, [e.message for e in at.exception]
    assert metric(at, t("kpi.revenue_12m", "en")).startswith("¥")
