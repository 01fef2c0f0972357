"""The B2B history generator (tests/b2b.py) produces what it claims; its tables load and score.

These tests hold the generator to its process, not the engine to the truth: how well the
engine's predictions match ``truth`` is for the tests that use the generator.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.b2b import B2BHistory, Process, b2b_history, cut
from valuation.data.store import Store
from valuation.model import pipeline

N = 3000


@pytest.fixture(scope="module")
def history() -> B2BHistory:
    return b2b_history(N, seed=11)


def _per_customer(values: pd.Series, ids: pd.Series, index) -> pd.Series:
    return values.groupby(ids).sum().reindex(index, fill_value=0.0)


def test_the_tables_are_canonical_and_dated_within_start_and_end(history):
    t = history.tables
    assert set(t) == {"orders", "customers", "payments", "service"}
    assert {"customer_id", "order_date", "amount", "cost", "category"} <= set(t["orders"])
    assert {"customer_id", "region", "industry", "created_at", "wallet_estimate"} <= set(t["customers"])
    assert {"customer_id", "amount", "invoice_date", "due_date", "paid_date"} <= set(t["payments"])
    assert {"customer_id", "date", "kind", "cost"} <= set(t["service"])
    for frame, col in ((t["orders"], "order_date"), (t["payments"], "invoice_date"), (t["service"], "date")):
        assert frame[col].min() >= history.start and frame[col].max() <= history.end
    assert t["customers"]["customer_id"].is_unique and len(t["customers"]) == N
    assert list(history.truth["customer_id"]) == list(t["customers"]["customer_id"])
    known = set(t["customers"]["customer_id"])
    for name in ("orders", "payments", "service"):
        assert set(t[name]["customer_id"]) <= known
    assert t["orders"]["order_id"].is_unique and t["payments"]["invoice_id"].is_unique
    assert t["orders"][["amount", "cost"]].notna().all().all()


def test_a_third_buy_once_and_never_again(history):
    truth, orders = history.truth, history.tables["orders"]
    assert truth["one_time"].mean() == pytest.approx(0.33, abs=0.03)
    buys = orders[orders["amount"] > 0]
    counts = buys.groupby("customer_id").size().reindex(truth["customer_id"], fill_value=0)
    first = buys.groupby("customer_id")["order_date"].min().reindex(truth["customer_id"])
    one = truth["one_time"].to_numpy()
    assert (counts.to_numpy()[one] == 1).all()
    assert (counts.to_numpy() >= 1).all()  # every account is acquired by its first order
    assert (first.to_numpy() == truth["acquired_at"].to_numpy()).all()
    assert (truth.loc[one, "purchase_rate"] == 0).all() and not truth.loc[one, "alive_at_split"].any()
    # Repeat accounts with a low rate or a short life buy once too: more single-order accounts.
    assert (counts == 1).mean() > truth["one_time"].mean()


def test_purchase_rates_have_a_median_of_six_a_year_and_a_heavy_right_tail(history):
    rate = history.truth.loc[~history.truth["one_time"], "purchase_rate"]
    assert rate.median() == pytest.approx(6.0, rel=0.12)
    assert rate.quantile(0.99) > 5 * rate.median()
    assert rate.mean() > 1.3 * rate.median()


def test_account_means_differ_by_orders_of_magnitude_and_orders_scatter_around_them(history):
    orders, truth = history.tables["orders"], history.truth.set_index("customer_id")
    buys = orders[orders["amount"] > 0]
    aov = buys.groupby("customer_id")["amount"].mean()
    assert aov.quantile(0.9) / aov.quantile(0.1) >= 30
    assert np.log(truth["mean_spend"]).std() == pytest.approx(history.process.spend_sigma, abs=0.08)
    ratio = np.log(buys["amount"].to_numpy() / truth.loc[buys["customer_id"], "mean_spend"].to_numpy())
    sigma = history.process.order_sigma
    assert ratio.std() == pytest.approx(sigma, abs=0.03)
    assert ratio.mean() == pytest.approx(-sigma ** 2 / 2, abs=0.02)  # mean of each order = mean_spend


def test_the_first_order_is_an_honest_sample_of_the_accounts_spend(history):
    orders, truth = history.tables["orders"], history.truth.set_index("customer_id")
    buys = orders[orders["amount"] > 0].sort_values(["customer_id", "order_date"], kind="stable")
    log_ratio = pd.Series(np.log(buys["amount"].to_numpy()
                                 / truth.loc[buys["customer_id"], "mean_spend"].to_numpy()),
                          index=buys.index)
    first = ~buys["customer_id"].duplicated()
    assert log_ratio[first].mean() == pytest.approx(log_ratio[~first].mean(), abs=0.05)


def test_margins_average_a_quarter_and_some_accounts_sell_at_a_loss(history):
    truth, orders = history.truth, history.tables["orders"]
    a, b, lo, hi = history.process.margin_beta()
    expected_negative = stats.beta.cdf(-lo / (hi - lo), a, b)
    assert 0.03 < expected_negative < 0.08
    assert truth["margin_rate"].mean() == pytest.approx(0.25, abs=0.01)
    assert truth["margin_rate"].std() == pytest.approx(0.15, abs=0.01)
    assert (truth["margin_rate"] < 0).mean() == pytest.approx(expected_negative, abs=0.015)
    gross = _per_customer(orders["amount"] - orders["cost"], orders["customer_id"], truth["customer_id"])
    assert (gross < 0).mean() == pytest.approx(expected_negative, abs=0.025)
    sales = orders[orders["amount"] > 0]
    assert 1 - sales["cost"].sum() / sales["amount"].sum() == pytest.approx(0.25, abs=0.05)


def test_cost_to_serve_and_bad_debt_make_about_one_account_in_ten_net_negative(history):
    t, ids = history.tables, history.truth["customer_id"]
    gross = _per_customer(t["orders"]["amount"] - t["orders"]["cost"], t["orders"]["customer_id"], ids)
    service = _per_customer(t["service"]["cost"], t["service"]["customer_id"], ids)
    unpaid = t["payments"][t["payments"]["paid_date"].isna()]
    bad_debt = _per_customer(unpaid["amount"], unpaid["customer_id"], ids)
    net = gross - service - bad_debt
    assert (net < 0).mean() == pytest.approx(0.10, abs=0.03)
    assert (net < 0).mean() > (gross < 0).mean() + 0.02  # service and bad debt add loss-makers
    assert set(t["service"]["kind"]) == {"visit", "ticket", "complaint", "training"}
    assert (t["service"]["cost"] > 0).all()
    # Every account gets an onboarding visit (unless it falls after the end).
    assert t["service"]["customer_id"].nunique() >= 0.97 * N


def test_payments_have_long_terms_large_accounts_pay_late_and_a_few_never_pay(history):
    pay, truth = history.tables["payments"], history.truth.set_index("customer_id")
    terms = (pay["due_date"] - pay["invoice_date"]).dt.days
    assert set(terms.unique()) == {60, 90, 120}
    paid = pay.dropna(subset=["paid_date"])
    assert (paid["paid_date"] >= paid["invoice_date"]).all()
    assert pay["paid_date"].isna().mean() == pytest.approx(0.013, abs=0.01)
    late = (paid["paid_date"] - paid["due_date"]).dt.days.groupby(paid["customer_id"]).mean()
    spend = truth.loc[late.index, "mean_spend"]
    big, small = late[spend >= spend.quantile(0.8)], late[spend <= spend.quantile(0.2)]
    assert big.mean() - small.mean() > 30
    assert stats.spearmanr(late, spend).statistic > 0.5
    # One invoice per purchase, for its amount.
    buys = history.tables["orders"]
    assert len(pay) == (buys["amount"] > 0).sum()
    assert pay["amount"].sum() == pytest.approx(buys.loc[buys["amount"] > 0, "amount"].sum())


def test_returns_are_occasional_negative_rows_with_their_cost(history):
    orders = history.tables["orders"]
    returns = orders[orders["amount"] < 0]
    share = len(returns) / (orders["amount"] > 0).sum()
    assert share == pytest.approx(history.process.return_rate, abs=0.01)
    assert (returns["cost"] < 0).all()  # the goods come back: cost is returned with the amount
    assert set(returns["order_id"].str[0]) == {"R"}
    sales = orders.set_index("order_id")
    original = sales.loc["O" + returns["order_id"].str[1:]]
    assert (-returns["amount"].to_numpy() <= original["amount"].to_numpy() + 0.01).all()
    lag = (returns["order_date"].to_numpy() - original["order_date"].to_numpy()) // np.timedelta64(1, "D")
    assert lag.min() >= 7 and lag.max() <= 60


def test_truth_is_what_the_tables_hold_after_the_split(history):
    t, truth, split = history.tables, history.truth.set_index("customer_id"), history.split
    ids = truth.index
    orders = t["orders"][t["orders"]["order_date"] > split]
    revenue = _per_customer(orders["amount"], orders["customer_id"], ids)
    gross = _per_customer(orders["amount"] - orders["cost"], orders["customer_id"], ids)
    count = orders[orders["amount"] > 0].groupby("customer_id").size().reindex(ids, fill_value=0)
    service = t["service"][t["service"]["date"] > split]
    service_cost = _per_customer(service["cost"], service["customer_id"], ids)
    pay = t["payments"]
    never = pay[(pay["invoice_date"] > split) & pay["paid_date"].isna()]
    bad_debt = _per_customer(never["amount"], never["customer_id"], ids)
    assert (truth["realised_orders_next"] == count).all()
    np.testing.assert_allclose(truth["realised_revenue_next"], revenue, atol=1e-6)
    np.testing.assert_allclose(truth["realised_gross_profit_next"], gross, atol=1e-6)
    np.testing.assert_allclose(truth["realised_service_cost_next"], service_cost, atol=1e-6)
    np.testing.assert_allclose(truth["realised_bad_debt_next"], bad_debt, atol=1e-6)
    np.testing.assert_allclose(truth["realised_net_profit_next"], gross - service_cost - bad_debt, atol=1e-6)
    assert truth["realised_orders_next"].sum() > 0 and (truth["realised_net_profit_next"] < 0).any()


def test_alive_at_split_agrees_with_who_buys_after_it(history):
    truth, orders, split = history.truth, history.tables["orders"], history.split
    assert truth["alive_at_split"].dtype == bool
    alive = truth["alive_at_split"]
    assert (truth.loc[alive, "acquired_at"] < split).all() and (truth.loc[alive, "dropout_at"] >= split).all()
    later = set(orders.loc[(orders["order_date"] > split) & (orders["amount"] > 0), "customer_id"])
    before = truth["acquired_at"] <= split
    buyers_after = truth["customer_id"].isin(later)
    # Purchases happen only while alive: an old account that buys after the split was alive at it.
    assert alive[before & buyers_after].all()
    assert truth.loc[~before, "alive_at_split"].sum() == 0
    assert (~before).mean() == pytest.approx(history.process.late_share, abs=0.02)
    # Most of those alive at the split buy again within the year; the dead never do.
    assert buyers_after[alive].mean() > 0.7
    assert not buyers_after[before & ~alive & (truth["acquired_at"] < split)].any()


def test_cut_removes_everything_after_the_date_and_unpays_later_payments(history):
    date = pd.Timestamp("2024-06-30")
    full = {name: frame.copy() for name, frame in history.tables.items()}
    c = cut(history.tables, date)
    assert c["orders"]["order_date"].max() <= date
    assert c["service"]["date"].max() <= date
    assert c["payments"]["invoice_date"].max() <= date
    assert (c["payments"]["paid_date"].dropna() <= date).all()
    assert c["customers"]["created_at"].max() <= date
    t = history.tables
    assert len(c["orders"]) == (t["orders"]["order_date"] <= date).sum()
    assert len(c["service"]) == (t["service"]["date"] <= date).sum()
    kept = t["payments"][t["payments"]["invoice_date"] <= date]
    assert len(c["payments"]) == len(kept)
    unpaid_then = kept["paid_date"].isna() | (kept["paid_date"] > date)
    assert c["payments"]["paid_date"].isna().sum() == unpaid_then.sum()
    before = t["orders"][t["orders"]["order_date"] <= date].reset_index(drop=True)
    pd.testing.assert_frame_equal(c["orders"], before)
    for name, frame in full.items():  # the input is left as it was
        pd.testing.assert_frame_equal(frame, history.tables[name])
    # A cut at the end changes nothing but payments made after it.
    at_end = cut(history.tables, history.end)
    pd.testing.assert_frame_equal(at_end["orders"], t["orders"])
    assert len(at_end["payments"]) == len(t["payments"])


def test_same_seed_same_history_other_seed_other_history():
    a, b, c = b2b_history(400, seed=3), b2b_history(400, seed=3), b2b_history(400, seed=4)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.truth["mean_spend"].equals(c.truth["mean_spend"])
    assert len(a.tables["orders"]) != len(c.tables["orders"]) or \
        not a.tables["orders"]["amount"].equals(c.tables["orders"]["amount"])


def test_process_parameters_are_keywords_and_unknown_ones_are_refused():
    more = b2b_history(2000, seed=1, one_and_done=0.6)
    assert more.truth["one_time"].mean() == pytest.approx(0.6, abs=0.04)
    assert b2b_history(500, seed=1, return_rate=0.0).tables["orders"]["amount"].gt(0).all()
    assert b2b_history(10, seed=0).process == Process()
    with pytest.raises(TypeError):
        b2b_history(10, one_and_dun=0.5)
    with pytest.raises(ValueError):
        b2b_history(10, split="2022-01-01")


def test_generation_is_vectorised():
    b2b_history(200, seed=0)
    t0 = time.perf_counter()
    b2b_history(N, seed=0)
    assert time.perf_counter() - t0 < 2.0  # ~0.05 s unloaded; a loop over accounts would take seconds


def test_the_cut_tables_load_into_a_store_and_every_customer_is_scored(history):
    tables = cut(history.tables, history.split)
    store = Store(":memory:")
    try:
        store.replace_dataset("b2b", tables, source="tests/b2b.py")
        scored = pipeline.run(store, "b2b", as_of=history.split)
    finally:
        store.close()
    expected = set(tables["customers"]["customer_id"]) | set(tables["orders"]["customer_id"])
    assert len(scored) == len(expected) and set(scored["customer_id"]) == expected
    buyers = scored[scored["has_orders"]]
    bought = tables["orders"].loc[tables["orders"]["amount"] > 0, "customer_id"]
    assert set(buyers["customer_id"]) == set(bought)
    assert np.isfinite(buyers["clv"]).all()
    assert scored["tier"].notna().all()
    assert scored.attrs["as_of"] == history.split.date()
