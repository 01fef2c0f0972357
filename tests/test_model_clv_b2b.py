"""CLV holds on B2B-shaped data: scored a year before the end of a history drawn from a known buying
process (one-and-done accounts, heavy-tailed order values, varied margins, cost to serve, bad debt),
it predicts next year's profit at least as well as the naive "last 12 months' net profit"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from tests.b2b import b2b_history, cut
from valuation.data.store import Store
from valuation.model import pipeline

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def scored_and_truth(request):
    history = b2b_history(3000, seed=request.param)
    store = Store(":memory:")
    store.replace_dataset("b2b", cut(history.tables, history.split), source="b2b")
    scored = pipeline.run(store, "b2b", as_of=history.split)
    store.close()
    buyers = scored[scored["has_orders"]].merge(history.truth, on="customer_id", validate="one_to_one")
    return scored, buyers


def top_decile_capture(buyers: pd.DataFrame, column: str) -> float:
    realised = buyers["realised_net_profit_next"]
    top = buyers[column].rank(ascending=False, method="first") <= 0.1 * len(buyers)
    return float(realised[top].clip(lower=0).sum() / realised.clip(lower=0).sum())


def test_clv_ranks_next_years_profit_at_least_as_well_as_last_years_profit(scored_and_truth):
    _, buyers = scored_and_truth
    realised = buyers["realised_net_profit_next"]
    ours = spearmanr(buyers["clv"], realised)[0]
    naive = spearmanr(buyers["net_profit_12m"], realised)[0]
    assert ours >= naive and ours > 0.55  # measured 0.61-0.66 against 0.60-0.64 (seeds 0-3)


def test_the_top_tenth_by_clv_captures_at_least_the_profit_the_naive_top_tenth_does(scored_and_truth):
    _, buyers = scored_and_truth
    assert top_decile_capture(buyers, "clv") >= top_decile_capture(buyers, "net_profit_12m")


def test_no_buyer_is_valued_at_zero_and_every_expected_order_value_is_positive(scored_and_truth):
    _, buyers = scored_and_truth
    assert (buyers["clv"] != 0).all() and np.isfinite(buyers["clv"]).all()
    assert (buyers["expected_order_value"] > 0).all()


def test_tiers_are_ordered_by_the_profit_their_customers_really_made_next(scored_and_truth):
    _, buyers = scored_and_truth
    per_customer = buyers.groupby("tier")["realised_net_profit_next"].mean()
    order = [tier for tier in ("A", "B", "C", "D", "below_zero") if tier in per_customer.index]
    assert per_customer[order].is_monotonic_decreasing


def test_one_time_buyers_are_not_valued_above_repeat_buyers(scored_and_truth):
    _, buyers = scored_and_truth
    once = buyers.loc[buyers["frequency"] == 0, "clv"].median()
    repeat = buyers.loc[buyers["frequency"] > 0, "clv"].median()
    assert once < repeat


def test_loss_making_accounts_get_a_negative_clv(scored_and_truth):
    _, buyers = scored_and_truth
    losing = buyers["margin_rate"] < -0.05
    assert (buyers.loc[losing, "clv"] < 0).mean() > 0.6


def test_clv_is_net_of_cost_to_serve_and_bad_debt(scored_and_truth):
    scored, _ = scored_and_truth
    fit = scored.attrs["clv_fit"]
    assert fit.method == "model" and fit.costs == ("service", "bad_debt")


def test_the_most_valuable_in_money_bring_next_years_profit_better_than_last_years_top(scored_and_truth):
    # The fewest customers bringing 40% of actual value (net CLV), against as many customers
    # picked by last year's net profit: measured 33-43% of next year's profit against 28-40% (seeds 0-3).
    _, buyers = scored_and_truth
    realised = buyers["realised_net_profit_next"]
    most = buyers["value_class"] == "most_valuable"
    naive = buyers["net_profit_12m"].rank(ascending=False, method="first") <= most.sum()
    assert realised[most].sum() >= realised[naive].sum()
    per_customer = buyers.groupby("value_class")["realised_net_profit_next"].mean()
    assert per_customer["most_valuable"] > per_customer["growable"] > per_customer["maintain"] > 0
    assert per_customer["below_zero"] < 0


def test_strategic_value_ranks_the_true_untapped_profit_better_than_the_raw_wallet_headroom(scored_and_truth):
    # The truth: an account alive at the scoring date could still win (wallet - its real yearly
    # spend) at its real margin; a churned one nothing. Measured 0.27-0.48 against 0.15-0.21.
    _, buyers = scored_and_truth
    spend = buyers["purchase_rate"] * buyers["mean_spend"]
    untapped = np.where(buyers["alive_at_split"], (buyers["wallet_estimate"] - spend).clip(lower=0)
                        * buyers["margin_rate"].clip(lower=0), 0.0)
    ours = spearmanr(buyers["strategic_value"].fillna(0), untapped)[0]
    naive = spearmanr(buyers["wallet_headroom"].fillna(0), untapped)[0]
    assert ours > naive + 0.05 and ours > 0.2
