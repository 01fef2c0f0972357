"""Backtest: six hand-made customers whose realised figures are worked out by hand, then the sample."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from valuation.analysis.backtest import (CLASS_ROWS, FREQUENCY_ROWS, TIER_ROWS, BacktestError, backtest,
                                         ranking_quality)
from valuation.data.store import Store, StoreError, load_sample
from valuation.model import pipeline

AS_OF = dt.date(2024, 12, 31)
SCORED_AT = dt.date(2023, 12, 31)  # 12 months before


def frame(columns, *rows, dates=()):
    f = pd.DataFrame(rows, columns=columns)
    for col in dates:
        f[col] = pd.to_datetime(f[col])
    return f


def orders(with_cost: bool = True) -> pd.DataFrame:
    f = frame(["customer_id", "order_date", "amount", "cost"],
              # A1: three purchase days before; after: two orders on 2024-02-01 (one purchase day) and one more.
              ("A1", "2023-03-01", 100.0, 60.0), ("A1", "2023-06-01", 200.0, 120.0),
              ("A1", "2023-11-15", 300.0, 150.0),
              ("A1", "2024-02-01", 100.0, 50.0), ("A1", "2024-02-01", 50.0, 30.0), ("A1", "2024-05-01", 200.0, 100.0),
              # B2: one purchase before; after: a purchase and a return on the same day (one purchase day).
              ("B2", "2023-01-10", 500.0, 300.0),
              ("B2", "2024-03-03", 400.0, 100.0), ("B2", "2024-03-03", -100.0, None),
              # C3: the second order is on the scoring date itself, so before the window; nothing after.
              ("C3", "2023-05-05", 50.0, 10.0), ("C3", "2023-12-31", 50.0, 10.0),
              # D4: an order on the as-of date counts, the one after it does not.
              ("D4", "2023-08-08", 1000.0, 900.0),
              ("D4", "2024-12-31", 80.0, 40.0), ("D4", "2025-01-05", 999.0, 500.0),
              # P5 is a prospect at the scoring date and buys in the window; N6 is new in the window.
              ("P5", "2024-06-01", 120.0, 60.0),
              ("N6", "2024-04-02", 70.0, 35.0),
              dates=["order_date"])
    return f if with_cost else f.drop(columns=["cost"])


def customers() -> pd.DataFrame:
    return frame(["customer_id", "name", "created_at"],
                 *[(c, f"客户{c}", "2023-01-01") for c in ("A1", "B2", "C3", "D4", "P5")],
                 ("N6", "客户N6", "2024-04-01"), dates=["created_at"])


def service() -> pd.DataFrame:
    return frame(["customer_id", "date", "kind", "cost"],
                 ("A1", "2023-12-31", "ticket", 10.0),   # before the window: in A1's naive 12-month profit
                 ("A1", "2024-07-01", "ticket", 20.0),
                 ("C3", "2024-08-01", "visit", 30.0),
                 ("D4", "2025-01-02", "visit", 500.0),   # after the as-of date
                 dates=["date"])


# Worked out by hand from the rows above, for (scored_at, as_of]:
# revenue, gross profit (amount − cost; a return without cost is all loss), service cost, net, purchase days, spend
REALISED = {
    "A1": (350.0, 170.0, 20.0, 150.0, 2, 350.0),
    "B2": (300.0, 200.0, 0.0, 200.0, 1, 400.0),
    "C3": (0.0, 0.0, 30.0, -30.0, 0, 0.0),
    "D4": (80.0, 40.0, 0.0, 40.0, 1, 80.0),
    "P5": (120.0, 60.0, 0.0, 60.0, 1, 120.0),
}
# The naive predictor: net profit of the 12 months to the scoring date (A1: 40 + 80 + 150 − 10).
NAIVE = {"A1": 260.0, "B2": 200.0, "C3": 80.0, "D4": 100.0}


@pytest.fixture(scope="module")
def store():
    s = Store(":memory:")
    s.replace_dataset("t", {"orders": orders(), "customers": customers(), "service": service()})
    s.replace_dataset("nocost", {"orders": orders(with_cost=False), "customers": customers()})
    return s


@pytest.fixture(scope="module")
def result(store):
    return backtest(store, "t", AS_OF)


@pytest.fixture(scope="module")
def sample_store():
    s = Store(":memory:")
    load_sample(s)
    return s


@pytest.fixture(scope="module")
def sample_result(sample_store):
    return backtest(sample_store, "sample")


def test_the_scoring_date_is_the_horizon_before_the_as_of_date_which_defaults_to_the_last_order(
        store, result):
    assert (result.as_of, result.scored_at, result.horizon_months) == (AS_OF, SCORED_AT, 12)
    default = backtest(store, "t")
    assert (default.as_of, default.scored_at) == (dt.date(2025, 1, 5), dt.date(2024, 1, 5))


def test_realised_revenue_profit_and_purchase_days_per_customer_are_the_hand_figures(result):
    c = result.customers.set_index("customer_id")
    assert sorted(c.index) == sorted(REALISED)  # N6 did not exist at the scoring date
    for cid, (revenue, gross, service_cost, net, days, spend) in REALISED.items():
        got = c.loc[cid]
        assert (got["revenue"], got["gross_profit"], got["service_cost"], got["net_profit"], got["spend"]) \
            == pytest.approx((revenue, gross, service_cost, net, spend)), cid
        assert got["purchase_days"] == days, cid


def test_same_day_orders_count_as_one_purchase_day_and_returns_as_none(result):
    c = result.customers.set_index("customer_id")
    assert c.loc["A1", "purchase_days"] == 2  # three order rows on two days
    assert c.loc["B2", "purchase_days"] == 1  # a purchase and a return on one day
    assert c.loc["C3", "purchase_days"] == 0  # its order on the scoring date is history, not the window
    assert c.loc["D4", "purchase_days"] == 1  # on the as-of date: in; five days later: out
    assert result.totals["purchases"]["actual"] == 4  # the buyers' repeat purchase days (P5 was no buyer)


def test_the_naive_predictor_is_last_years_net_profit_and_its_figures_are_worked_out_by_hand(result):
    c = result.customers.set_index("customer_id")
    for cid, value in NAIVE.items():
        assert c.loc[cid, "net_profit_12m"] == pytest.approx(value)
    naive = result.ranking.loc["naive"]
    # Predicted order A1, B2, D4, C3; realised order B2, A1, D4, C3: d² = 1 + 1, ρ = 1 − 6·2/(4·15).
    assert naive["spearman"] == pytest.approx(0.8)
    # Top 10% of 4 buyers is 1 (rounded up): A1, with 150 of the 150 + 200 + 40 positive profit.
    assert naive["top10_capture"] == pytest.approx(150 / 390)
    assert result.ranking.loc["perfect", "top10_capture"] == pytest.approx(200 / 390)


def test_per_tier_sums_are_the_hand_figures_of_the_customers_in_each_tier(result):
    c = result.customers.set_index("customer_id")
    for tier in TIER_ROWS:
        members = [cid for cid in REALISED if c.loc[cid, "tier"] == tier]
        row = result.by_tier.loc[tier]
        assert row["customers"] == len(members)
        assert row["revenue"] == pytest.approx(sum(REALISED[m][0] for m in members))
        assert row["net_profit"] == pytest.approx(sum(REALISED[m][3] for m in members))
        if members:
            assert row["profit_per_customer"] == pytest.approx(row["net_profit"] / len(members))
            assert row["profit_share"] == pytest.approx(row["net_profit"] / 420.0)
    assert list(result.by_tier.index) == list(TIER_ROWS)
    assert list(result.by_class.index) == list(CLASS_ROWS)
    assert result.by_class["net_profit"].sum() == pytest.approx(150 + 200 - 30 + 40)


def test_prospects_are_reported_separately_and_the_shares_add_up(result):
    p = result.prospects.loc["prospect"]
    assert (p["customers"], p["bought"]) == (1, 1)
    assert (p["revenue"], p["net_profit"]) == pytest.approx((120.0, 60.0))
    assert result.by_tier["customer_share"].sum() + p["customer_share"] == pytest.approx(1.0)
    assert result.by_tier["profit_share"].sum() + p["profit_share"] == pytest.approx(1.0)
    assert result.counts == {"customers_scored": 5, "buyers": 4, "prospects": 1, "bought_in_window": 4,
                             "buyers_bought_again": 3, "prospects_converted": 1, "new_customers_in_window": 1}


def test_with_too_few_repeat_buyers_there_is_no_forecast_and_the_note_says_why(result):
    assert result.clv_method == "formula"
    assert result.totals["purchases"]["predicted"] != result.totals["purchases"]["predicted"]  # NaN
    assert any("formula" in note for note in result.notes)
    summary = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert summary["predicted_vs_actual"]["purchases"] == {"predicted": None, "actual": 4.0, "error": None}


def test_without_cost_data_profit_is_revenue(store):
    c = backtest(store, "nocost", AS_OF).customers.set_index("customer_id")
    assert c.loc["A1", "gross_profit"] == pytest.approx(350.0)
    assert c.loc["B2", "net_profit"] == pytest.approx(300.0)  # no service records either


def test_the_window_follows_the_as_of_date_and_the_horizon(store):
    r = backtest(store, "t", "2024-06-30", horizon_months=6)
    assert r.scored_at == dt.date(2023, 12, 30)  # calendar months: 30 June less six is 30 December
    c = r.customers.set_index("customer_id")
    assert c.loc["A1", "revenue"] == pytest.approx(350.0)  # A1's window orders are all before July
    assert (c.loc["C3", "revenue"], c.loc["C3", "purchase_days"]) == (50.0, 1)  # 2023-12-31 is now inside
    assert c.loc["D4", "revenue"] == 0.0 and c.loc["C3", "service_cost"] == 0.0


def test_no_history_before_the_scoring_date_is_an_error_that_says_what_to_do(store):
    with pytest.raises(BacktestError, match=r"No order history before the scoring date 2022-12-31.*"
                                            r"shorter horizon"):
        backtest(store, "t", AS_OF, horizon_months=24)


def test_an_empty_window_is_an_error_that_says_what_to_do(store):
    with pytest.raises(BacktestError, match=r"No orders after the scoring date 2025-06-30.*"
                                            r"orders end on 2025-01-05.*--as-of"):
        backtest(store, "t", "2026-06-30")
    assert issubclass(BacktestError, ValueError)


def test_a_bad_horizon_or_an_unknown_dataset_is_an_error(store):
    for months in (0, -1, 1.5, True):
        with pytest.raises(BacktestError, match="whole number of months"):
            backtest(store, "t", AS_OF, horizon_months=months)
    with pytest.raises(StoreError):
        backtest(store, "nope")


def test_ranking_quality_of_a_perfect_a_reversed_and_a_constant_predictor():
    actual, ids = [5.0, -1.0, 3.0, 0.0, 10.0], list("abcde")
    assert ranking_quality(actual, actual, ids) == pytest.approx((1.0, 10 / 18))
    rho, capture = ranking_quality([-a for a in actual], actual, ids)
    assert rho == pytest.approx(-1.0) and capture == 0.0  # top by prediction: b, which lost money
    rho, capture = ranking_quality([1.0] * 5, actual, ids)
    assert np.isnan(rho) and capture == pytest.approx(5 / 18)  # ties broken by id: a first


# ---- the sample: the model path (BG/NBD), cost, payments and service


def test_nothing_after_the_scoring_date_is_used_the_scores_equal_those_of_the_data_cut_there(
        sample_store, sample_result):
    cut_at = pd.Timestamp(sample_result.scored_at)
    tables = sample_store.export_tables("sample")
    o = tables["orders"]
    o = o[o["order_date"] <= cut_at]
    c = tables["customers"]
    p = tables["payments"]
    s = tables["service"]
    cut = {
        "orders": o,
        "customers": c[~(c["created_at"] > cut_at) | c["customer_id"].isin(o["customer_id"])],
        "payments": p[p["invoice_date"].fillna(p["due_date"]) <= cut_at].assign(
            paid_date=lambda f: f["paid_date"].where(f["paid_date"] <= cut_at)),
        "service": s[s["date"] <= cut_at],
    }
    store = Store(":memory:")
    store.replace_dataset("cut", cut)
    expected = pipeline.run(store, "cut", sample_result.scored_at)
    pd.testing.assert_frame_equal(sample_result.scored, expected, check_exact=False, rtol=1e-9)
    assert len(sample_result.customers) == len(expected)


def test_on_the_sample_the_tiers_are_ordered_and_every_figure_is_strict_json(sample_result):
    r = sample_result
    assert r.scored_at == dt.date(2025, 9, 30) and r.as_of == dt.date(2026, 9, 30)
    assert r.tiers_ordered
    assert r.counts["buyers"] + r.counts["prospects"] == r.counts["customers_scored"]
    # The buyers' actual repeat purchase days equal the by-frequency table's and the per-customer sum.
    buyers = r.customers[r.customers["has_orders"]]
    assert r.totals["purchases"]["actual"] == buyers["purchase_days"].sum() \
        == r.by_frequency["actual_purchases"].sum()
    assert list(r.by_frequency.index) == list(FREQUENCY_ROWS)
    assert r.by_frequency["customers"].sum() == r.counts["buyers"]
    summary = json.loads(json.dumps(r.summary(), allow_nan=False))
    assert set(summary["winner"].values()) <= {"clv", "naive", "tie"}
    assert summary["counts"]["customers_scored"] == r.counts["customers_scored"]


def test_a_horizon_other_than_twelve_months_scales_the_forecast_and_says_so(sample_store, sample_result):
    r6 = backtest(sample_store, "sample", horizon_months=6)
    assert r6.scored_at == dt.date(2026, 3, 30)
    buyers = r6.scored["has_orders"].to_numpy(dtype=bool)
    np.testing.assert_allclose(r6.customers["predicted_purchases"].to_numpy()[buyers],
                               r6.scored["expected_purchases_12m"].to_numpy()[buyers] * 0.5)
    assert r6.totals["purchases"]["predicted"] == pytest.approx(
        r6.scored.loc[buyers, "expected_purchases_12m"].sum() * 0.5)
    assert any("6/12" in note for note in r6.notes)
    assert not any("/12" in note for note in sample_result.notes)
