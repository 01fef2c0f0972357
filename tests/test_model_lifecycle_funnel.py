"""The cohort funnel from each customer's dates (hand-built data, answers counted by hand), the
snapshot kept apart from it, and tenure counted from the creation date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from valuation.analysis import funnel
from valuation.data import purchase_days
from valuation.data.features import compute_features
from valuation.data.store import Store
from valuation.model import lifecycle
from valuation.present import charts

AS_OF = dt.date(2025, 12, 31)
YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))

# customer: (created_at or None for no customers row, [(order_date, amount), ...])
CUSTOMERS = {
    # leads created in 2025 whose window (90 days) has ended by the as-of date
    "L01": ("2025-01-10", [("2025-01-10", 100), ("2025-02-10", 100), ("2025-03-01", 100)]),  # same day
    "L02": ("2025-02-01", [("2025-05-02", 100)]),                     # on day 90: converted
    "L03": ("2025-03-01", [("2025-03-20", 100), ("2025-08-01", 100)]),  # second day 134 days later
    "L04": ("2025-04-01", [("2025-04-15", 100), ("2025-04-15", 50), ("2025-05-01", -100)]),  # one day, a return
    "L05": ("2025-01-15", [("2025-06-01", 100), ("2025-06-20", 100), ("2025-07-01", 100)]),  # bought after 137 days
    "L06": ("2025-02-15", [("2025-07-01", 100)]),                     # after 136 days
    "L07": ("2025-05-01", [("2025-05-10", -50)]),                     # a return only: no purchase
    "L08": ("2025-03-10", [("2026-01-10", 100)]),                     # bought after the as-of date only
    "L09": ("2025-06-01", []),
    "L10": ("2025-07-01", []),
    # leads whose window is still open on the as-of date
    "L11": ("2025-12-01", []),                                        # created 30 days before
    "L12": ("2025-11-15", [("2025-11-20", 100)]),                     # already bought: open all the same
    # not leads of 2025
    "X1": ("2025-04-01", [("2025-03-01", 100), ("2025-04-10", 100)]),   # bought before being created
    "X2": ("2024-06-01", [("2025-02-01", 100), ("2025-09-01", 100), ("2025-09-15", 100)]),
    "X3": ("2026-01-05", []),                                         # created after the as-of date
    "X4": (None, [("2024-11-01", 100), ("2025-01-20", 100), ("2025-03-01", 100)]),  # no customers row
    "X5": ("2023-01-01", [("2024-05-01", 100)]),
}


def tables(customers=CUSTOMERS, with_customers: bool = True) -> dict[str, pd.DataFrame]:
    orders = pd.DataFrame([(cid, d, float(a)) for cid, (_, rows) in customers.items() for d, a in rows],
                          columns=["customer_id", "order_date", "amount"])
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    out = {"orders": orders}
    if with_customers:
        rows = [(cid, created) for cid, (created, _) in customers.items() if created is not None]
        frame = pd.DataFrame(rows, columns=["customer_id", "created_at"])
        frame["created_at"] = pd.to_datetime(frame["created_at"])
        out["customers"] = frame
    return out


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    store = Store(":memory:")
    store.replace_dataset("f", tables())
    out = funnel.purchase_history(store, "f", AS_OF)
    store.close()
    return out


def step(cohort: pd.DataFrame, name: str) -> pd.Series:
    return cohort.set_index("step").loc[name]


def test_purchase_history_counts_purchase_days_and_ignores_returns_and_later_orders(history):
    h = history.set_index("customer_id")
    assert h.loc["L01", ["first_purchase", "second_purchase", "third_purchase"]].tolist() == [
        pd.Timestamp("2025-01-10"), pd.Timestamp("2025-02-10"), pd.Timestamp("2025-03-01")]
    assert h.loc["L04", "first_purchase"] == pd.Timestamp("2025-04-15")
    assert pd.isna(h.loc["L04", "second_purchase"])  # two orders on one day, then a return
    assert pd.isna(h.loc["L07", "first_purchase"])  # a return is not a purchase
    assert pd.isna(h.loc["L08", "first_purchase"])  # 2026 is after the as-of date
    assert pd.isna(h.loc["X4", "created_at"]) and h.loc["X4", "first_purchase"] == pd.Timestamp("2024-11-01")
    assert "X3" not in h.index  # created after the as-of date, no orders: not known yet
    assert history.attrs["as_of"] == AS_OF


def test_of_twelve_leads_of_2025_four_of_ten_closed_ones_bought_within_90_days_and_two_are_open(history):
    lead = step(funnel.cohort_funnel(history, *YEAR_2025, window_days=90), "lead")
    assert (lead["entered"], lead["open"], lead["measured"], lead["converted"]) == (12, 2, 10, 4)
    assert lead["conversion"] == pytest.approx(0.4)
    assert lead["outcome"] == "first_purchase" and lead["available"]


def test_of_nine_first_buyers_of_2025_three_of_eight_closed_ones_reordered_within_90_days(history):
    first = step(funnel.cohort_funnel(history, *YEAR_2025, window_days=90), "first_purchase")
    # L04's second order that day and its return do not count; L12 bought 41 days before the as-of date.
    assert (first["entered"], first["open"], first["measured"], first["converted"]) == (9, 1, 8, 3)
    assert first["conversion"] == pytest.approx(3 / 8)


def test_of_six_second_purchases_of_2025_four_led_to_a_third_within_90_days(history):
    repeat = step(funnel.cohort_funnel(history, *YEAR_2025, window_days=90), "repeat")
    assert (repeat["entered"], repeat["open"], repeat["measured"], repeat["converted"]) == (6, 0, 6, 4)


def test_a_30_day_window_closes_the_open_leads_and_converts_fewer(history):
    lead = step(funnel.cohort_funnel(history, *YEAR_2025, window_days=30), "lead")
    # L11 was created exactly 30 days before: its window has ended. L02 took 90 days, L12 five.
    assert (lead["entered"], lead["open"], lead["measured"], lead["converted"]) == (12, 0, 12, 4)
    assert lead["conversion"] == pytest.approx(1 / 3)


def test_a_period_counts_only_those_who_entered_in_it(history):
    cohort = funnel.cohort_funnel(history, dt.date(2025, 1, 1), dt.date(2025, 3, 31), window_days=90)
    lead, first = step(cohort, "lead"), step(cohort, "first_purchase")
    # Leads L01 L02 L03 L05 L06 L08 (X1 bought before being created); first buyers L01 L03 X1 X2.
    assert (lead["entered"], lead["converted"]) == (6, 3)
    assert (first["entered"], first["converted"]) == (4, 2)
    assert cohort.attrs["start"] == dt.date(2025, 1, 1) and cohort.attrs["end"] == dt.date(2025, 3, 31)


def test_buyers_without_a_creation_date_are_counted_apart(history):
    assert funnel.cohort_funnel(history, *YEAR_2025).attrs["without_created_at"] == 1  # X4


def test_orders_only_data_has_no_lead_step_and_says_it_needs_a_creation_date():
    store = Store(":memory:")
    store.replace_dataset("o", tables(with_customers=False))
    cohort = funnel.cohort_funnel(funnel.purchase_history(store, "o", AS_OF), *YEAR_2025)
    store.close()
    lead, first = step(cohort, "lead"), step(cohort, "first_purchase")
    assert not lead["available"] and lead["entered"] == 0 and np.isnan(lead["conversion"])
    assert (first["entered"], first["measured"], first["converted"]) == (9, 8, 3)  # the same buyers as above
    assert charts.cohort_funnel(cohort, "en").data[0].text[0] == "needs a creation date in the customers table"
    assert charts.cohort_table(cohort, "zh").iloc[0, -1] == "需要客户表中的创建日期"


def test_the_default_period_is_the_twelve_months_whose_windows_have_all_ended():
    assert funnel.default_period(AS_OF, 90) == (dt.date(2024, 10, 3), dt.date(2025, 10, 2))


def test_a_period_that_starts_after_it_ends_is_refused(history):
    with pytest.raises(ValueError, match="starts"):
        funnel.cohort_funnel(history, dt.date(2025, 6, 1), dt.date(2025, 5, 1))


def test_the_history_query_takes_the_date_as_a_parameter():
    sql, params = funnel.build_history_query(purchase_days.numbered_sql('"ds_x"."orders"', until_as_of=True),
                                             '"ds_x"."customers"', AS_OF)
    assert params == {"as_of": AS_OF} and "$as_of" in sql and "2025" not in sql
    assert 'FROM "ds_x"."orders"' in sql and "amount > 0" in sql


def test_the_cohort_chart_shows_converted_of_measured_and_notes_the_open_windows(history):
    fig = charts.cohort_funnel(funnel.cohort_funnel(history, *YEAR_2025), "en")
    assert list(fig.data[0].y) == ["Leads → first purchase", "First buyers → repeat purchase",
                                   "Repeat buyers → third purchase day"]
    assert fig.data[0].x[0] == pytest.approx(40.0)
    assert fig.data[0].text[0] == "4 of 10, 40%"
    notes = [a.text for a in fig.layout.annotations if a.name == "note"]
    # L11, and L12 as a lead and as a first buyer
    assert notes == [("Still open on 2025-12-31 (entered a step less than 90 days before): 3 in all steps, "
                      "listed as still open and left out of the rates.")]


def test_a_step_without_a_closed_window_says_why_it_has_no_rate(history):
    cohort = funnel.cohort_funnel(history, dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    # L11 and L12 were created in November and December: both open. Nobody bought a second time.
    assert cohort["entered"].tolist() == [2, 1, 0] and cohort["measured"].tolist() == [0, 0, 0]
    assert charts.cohort_table(cohort, "en")["Conversion"].tolist() == [
        "no window has ended yet", "no window has ended yet", "nobody entered this step in the period"]


def test_the_snapshot_chart_counts_steps_without_conversion_rates():
    features = pd.DataFrame({"has_orders": [False, False, True, True], "purchase_days": [0, 0, 1, 3],
                             "tenure_days": [np.nan, np.nan, 10.0, 400.0], "orders_12m": [0, 0, 1, 3]})
    stage = pd.Series(["target", "opportunity", "new", "repeat"])
    fig = charts.lifecycle_snapshot(lifecycle.funnel(features, stage), "en")
    assert fig.layout.title.text == "Where customers are today"
    assert list(fig.data[0].x) == [4, 3, 3, 2, 1, 0]
    assert not any("previous" in text for text in fig.data[0].text)


# --------------------------------------------------------------------------- tenure


@pytest.fixture(scope="module")
def tenure_features() -> pd.DataFrame:
    store = Store(":memory:")
    orders = pd.DataFrame({"customer_id": ["old", "fresh", "late_record", "old2", "old2"],
                           "order_date": pd.to_datetime(["2025-10-31", "2025-10-31", "2025-06-01",
                                                         "2025-10-31", "2025-11-30"]),
                           "amount": [500.0, 500.0, 300.0, 200.0, 200.0]})
    customers = pd.DataFrame({"customer_id": ["old", "fresh", "late_record", "old2", "lead"],
                              "created_at": pd.to_datetime(["2022-12-31", "2025-10-01", "2025-09-01",
                                                            "2022-12-31", "2024-01-01"])})
    store.replace_dataset("t", {"orders": orders, "customers": customers})
    f = compute_features(store, "t", AS_OF).set_index("customer_id")
    store.close()
    return f


def test_tenure_counts_from_the_creation_date_when_it_precedes_the_first_order(tenure_features):
    f = tenure_features
    assert f.loc["old", "tenure_days"] == (AS_OF - dt.date(2022, 12, 31)).days  # 1096
    assert f.loc["fresh", "tenure_days"] == (AS_OF - dt.date(2025, 10, 1)).days
    # created after its first order (a record typed later): tenure from the first order
    assert f.loc["late_record", "tenure_days"] == (AS_OF - dt.date(2025, 6, 1)).days
    assert np.isnan(f.loc["lead", "tenure_days"])  # no orders, no tenure


def test_the_clv_age_stays_measured_from_the_first_order(tenure_features):
    f = tenure_features
    assert f.loc["old", "T_days"] == (AS_OF - dt.date(2025, 10, 31)).days  # 61, not 1096
    assert f.loc["old2", "T_days"] == 61 and f.loc["old2", "recency_days"] == 30
    assert f.loc["lead", "T_days"] == 0


def test_a_customer_created_three_years_ago_with_one_recent_purchase_day_is_new(tenure_features):
    stage = lifecycle.lifecycle_stage(tenure_features.reset_index()).set_axis(tenure_features.index)
    assert stage["old"] == "new"  # one purchase day, whatever the tenure
    assert stage["fresh"] == "new"
    # two purchase days and three years on the books: no longer "new" by tenure
    assert stage["old2"] == "repeat"
