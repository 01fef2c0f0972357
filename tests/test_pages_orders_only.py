"""Orders alone (customer_id, order_date, amount): no prospects, so the pages speak of new customers."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.apptest import metric, open_page, start
from valuation.data import ingest
from valuation.data.store import Store, ensure_sample
from valuation.i18n.text import t


def arrivals() -> pd.DataFrame:
    """30 customers arriving every 20 days from January 2024, each ordering every 45 days to the end of 2025."""
    rows = []
    for i in range(30):
        first = pd.Timestamp("2024-01-05") + pd.Timedelta(days=20 * i)
        for k, day in enumerate(pd.date_range(first, "2025-12-31", freq="45D")):
            rows.append({"customer_id": f"K{i:02d}", "order_date": day.strftime("%Y-%m-%d"),
                         "amount": 500.0 + 37 * i + 11 * k})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("orders_only") / "app.duckdb"
    store = Store(path)
    ensure_sample(store)
    plain = arrivals()
    named = plain.assign(customer_name="客户" + plain["customer_id"])  # a name column: lifted into customers
    for name, frame in (("plain", plain), ("named", named)):
        result = ingest.read_table(frame.to_csv(index=False).encode(), name=f"{name}.csv", table="orders")
        store.replace_dataset(name, result.tables)
    store.close()
    return path


def first_orders() -> pd.Series:
    frame = arrivals()
    return pd.to_datetime(frame["order_date"]).groupby(frame["customer_id"]).min()


@pytest.mark.parametrize("dataset, lang", [("plain", "en"), ("named", "en"), ("named", "zh")])
def test_value_over_time_counts_the_customers_who_appeared_as_new_customers(db_path, monkeypatch, dataset, lang):
    at = start(db_path, monkeypatch, lang)
    at.selectbox(key="dataset").set_value(f"db:{dataset}").run()
    open_page(at, "dynamics")
    dates = sorted(next(m for m in at.multiselect if m.label == t("dynamics.dates", lang)).value)
    first, last = pd.Timestamp(dates[0]), pd.Timestamp(dates[-1])
    appeared = int(((first_orders() > first) & (first_orders() <= last)).sum())
    assert appeared > 0
    labels = [m.label for m in at.metric]
    assert t("dynamics.count.converted", lang) not in labels  # no prospect can convert on orders alone
    assert metric(at, t("dynamics.count.new_buyers", lang)) == f"{appeared:,}"
    assert t("dynamics.count.new_buyers", "zh") == "新客户"
    sankey = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                  if t("dynamics.not_yet", lang) in c.proto.spec)
    nodes = sankey["data"][0]["node"]["label"]
    assert t("tier.prospect", lang) not in str(nodes)  # they were not yet known, not prospects
    assert not [c.label for c in at.checkbox if c.label == t("dynamics.include_prospects", lang)]


def test_where_customers_are_today_starts_at_the_first_purchase_on_orders_alone(db_path, monkeypatch):
    at = start(db_path, monkeypatch, "en")
    at.selectbox(key="dataset").set_value("db:plain").run()
    open_page(at, "lifecycle")
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if t("chart.snapshot.title", "en") in c.proto.spec)
    steps = list(chart["data"][0]["y"])
    assert steps[0] == t("stage.first_purchase", "en")
    assert t("stage.target", "en") not in steps and t("stage.opportunity", "en") not in steps
    notes = " ".join(a.get("text", "") for a in chart["layout"].get("annotations", []))
    assert "orders alone" in notes
