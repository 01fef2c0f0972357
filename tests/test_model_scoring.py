"""Scores, composite, tiers, value classes, RFM and lifecycle on tiny hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from valuation.data.features import Availability
from valuation.model import lifecycle, scoring, tiers
from valuation.model.settings import ClassRules, LifecycleRules, TierCuts, Weights


def test_percentile_score_puts_the_median_customer_at_fifty_whatever_the_tail():
    s = scoring.percentile_score(pd.Series([1.0, 2.0, 3.0, 1_000_000.0, np.nan]))
    assert s.tolist()[:4] == pytest.approx([0.0, 100 / 3, 200 / 3, 100.0])
    assert np.isnan(s.iloc[4])


def test_percentile_score_direction_minus_one_rewards_lower_values():
    s = scoring.percentile_score(pd.Series([5.0, 50.0]), direction=-1)
    assert s.tolist() == [100.0, 0.0]


def test_composite_is_the_weighted_mean_of_dimension_scores():
    scores = pd.DataFrame({"current": [80.0], "future": [60.0], "credit": [40.0], "loyalty": [20.0],
                           "growth": [100.0]})
    w = Weights(current=30, future=25, credit=15, loyalty=15, growth=15)
    expected = (30 * 80 + 25 * 60 + 15 * 40 + 15 * 20 + 15 * 100) / 100
    assert scoring.composite(scores, w).iloc[0] == pytest.approx(expected)


def test_raising_one_weight_changes_the_composite_exactly_as_the_formula_says():
    scores = pd.DataFrame({"current": [80.0, 10.0], "future": [60.0, 20.0], "credit": [40.0, 90.0],
                           "loyalty": [20.0, 95.0], "growth": [100.0, 50.0]})
    before = Weights()
    after = before.with_weight("loyalty", 45)
    for row in range(2):
        s = scores.iloc[row]
        total = 30 + 25 + 15 + 45 + 15
        expected = (30 * s.current + 25 * s.future + 15 * s.credit + 45 * s.loyalty + 15 * s.growth) / total
        assert scoring.composite(scores, after).iloc[row] == pytest.approx(expected)
    # The loyal customer (row 1) gains, the other loses.
    assert scoring.composite(scores, after).iloc[1] > scoring.composite(scores, before).iloc[1]
    assert scoring.composite(scores, after).iloc[0] < scoring.composite(scores, before).iloc[0]


def test_a_missing_dimension_is_left_out_and_the_weights_renormalised():
    scores = pd.DataFrame({"current": [80.0], "future": [60.0], "loyalty": [20.0], "growth": [100.0]})
    eff = scoring.effective_weights(Weights(), tuple(scores.columns))
    assert "credit" not in eff
    assert sum(eff.values()) == pytest.approx(1.0)
    assert scoring.composite(scores, Weights()).iloc[0] == pytest.approx((30 * 80 + 25 * 60 + 15 * 20 + 15 * 100) / 85)


def test_contributions_add_up_to_the_composite():
    scores = pd.DataFrame({"current": [80.0, 5.0], "growth": [30.0, 70.0]})
    c = scoring.contributions(scores, Weights())
    assert c.sum(axis=1).tolist() == pytest.approx(scoring.composite(scores, Weights()).tolist())


def _features(**cols):
    n = len(next(iter(cols.values())))
    base = {
        "customer_id": [f"c{i}" for i in range(n)], "has_orders": [True] * n,
        "net_profit_12m": [100.0] * n, "revenue_12m": [200.0] * n, "gross_profit_12m": [120.0] * n,
        "service_cost_12m": [0.0] * n, "bad_debt_12m": [0.0] * n, "clv": [500.0] * n,
        "tenure_days": [400.0] * n, "orders_12m": [3] * n, "p_alive": [0.9] * n,
        "days_since_last_order": [10.0] * n, "revenue_trend": [0.0] * n, "invoices": [0] * n,
        "overdue_amount": [0.0] * n, "satisfaction": [np.nan] * n, "avg_service_satisfaction": [np.nan] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_without_payments_the_credit_dimension_is_reported_missing_not_faked():
    f = _features(net_profit_12m=[1.0, 2.0, 3.0])
    scores, report = scoring.dimension_scores(f, Availability(payments=False))
    assert "credit" not in scores
    assert "credit" in report.missing
    assert {"current", "future", "loyalty", "growth"} <= set(report.available)


def test_a_customer_without_orders_scores_zero_on_current_future_and_loyalty():
    f = _features(has_orders=[True, True, False], net_profit_12m=[10.0, 20.0, 0.0])
    scores, _ = scoring.dimension_scores(f, Availability())
    assert scores.loc[2, ["current", "future", "loyalty"]].tolist() == [0.0, 0.0, 0.0]
    assert scores.loc[1, "current"] == 100.0


def test_negative_net_profit_puts_a_customer_below_zero_whatever_the_score():
    composite = pd.Series([99.0, 50.0, 10.0, 5.0])
    profit = pd.Series([-1.0, 10.0, 10.0, 10.0])
    t = tiers.assign_tiers(composite, profit, pd.Series([True] * 4), TierCuts(a=0.3, b=0.3, c=0.3))
    assert t.tolist() == ["below_zero", "A", "B", "C"]


def test_tier_sizes_follow_the_cut_offs():
    n = 1000
    composite = pd.Series(np.random.default_rng(1).random(n) * 100)
    t = tiers.assign_tiers(composite, pd.Series(np.ones(n)), pd.Series(np.ones(n, dtype=bool)), TierCuts())
    assert t.value_counts().to_dict() == {"D": 500, "C": 300, "B": 150, "A": 50}
    # A holds the highest scores.
    assert composite[t == "A"].min() > composite[t == "B"].max()


def test_customers_without_orders_are_prospects_not_in_the_pyramid():
    t = tiers.assign_tiers(pd.Series([10.0, 90.0]), pd.Series([0.0, 5.0]), pd.Series([False, True]))
    assert t.tolist() == ["prospect", "A"]


def _classes(actual, strategic, profit=None, has=None, growth=None, **rules):
    n = len(actual)
    return tiers.assign_value_class(
        actual=pd.Series(actual, dtype=float), strategic=pd.Series(strategic, dtype=float),
        net_profit_12m=pd.Series(profit if profit is not None else [1.0] * n),
        has_orders=pd.Series(has if has is not None else [True] * n),
        rules=ClassRules(**rules), growth=None if growth is None else pd.Series(growth, dtype=float)).tolist()


def test_most_valuable_are_the_fewest_buyers_bringing_the_share_of_actual_value():
    # Buyers' positive actual value adds up to 1,000 (the loss-maker's -10 counts as nothing).
    actual = [500.0, 300.0, 100.0, 50.0, 50.0, -10.0, 0.0]
    strategic = [0.0, 10.0, 800.0, 150.0, 50.0, 900.0, 5000.0]
    profit = [1.0, 1.0, 1.0, 1.0, 1.0, -5.0, 0.0]
    has = [True] * 6 + [False]
    # 40%: the first customer alone brings 500 of 1,000. Of the others in profit, 800 of 1,010
    # strategic value passes half. The loss-maker and the prospect are never ranked.
    assert _classes(actual, strategic, profit, has) == [
        "most_valuable", "maintain", "growable", "maintain", "maintain", "below_zero", "prospect"]
    # 70% needs the first two (800 ≥ 700); growable then needs 800 + 150 of 1,000 to pass 90%.
    assert _classes(actual, strategic, profit, has, most_valuable_share=0.7, growable_share=0.9) == [
        "most_valuable", "most_valuable", "growable", "growable", "maintain", "below_zero", "prospect"]


def test_strategic_value_is_the_achievable_share_of_the_untapped_wallet_profit():
    value = tiers.strategic_value(pd.Series([1000.0, np.nan]), ClassRules(achievable_share=0.25))
    assert value.iloc[0] == 250.0 and np.isnan(value.iloc[1])


def test_without_wallet_estimates_growable_falls_back_to_the_growth_score():
    cls = _classes([900.0, 50.0, 50.0], [np.nan] * 3, growth=[99.0, 75.0, 40.0])
    assert cls == ["most_valuable", "growable", "maintain"]
    assert _classes([900.0, 50.0, 50.0], [np.nan] * 3, growth=[99.0, 75.0, 40.0], growth_cut=80) == [
        "most_valuable", "maintain", "maintain"]


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.1, float("nan"), float("inf")])
def test_class_shares_outside_zero_to_one_are_refused(bad):
    with pytest.raises(ValueError, match="share"):
        ClassRules(most_valuable_share=bad)


@pytest.mark.parametrize("r, f, m, segment", [
    (5, 5, 5, "champions"), (4, 5, 5, "champions"), (3, 4, 4, "loyal"), (4, 3, 2, "potential_loyalist"),
    (5, 1, 1, "new"), (4, 1, 1, "promising"), (3, 3, 3, "need_attention"), (3, 1, 2, "about_to_sleep"),
    (2, 4, 3, "at_risk"), (1, 5, 5, "cant_lose"), (2, 1, 2, "hibernating"), (1, 1, 1, "lost"),
    (0, 0, 0, "no_orders"),
])
def test_rfm_segment_map(r, f, m, segment):
    assert tiers.rfm_segment(pd.Series([r]), pd.Series([f]), pd.Series([m])).iloc[0] == segment


def _life(**cols):
    n = len(next(iter(cols.values())))
    base = {"has_orders": [True] * n, "pipeline_stage": ["customer"] * n, "days_since_last_order": [10.0] * n,
            "tenure_days": [500.0] * n, "purchase_days": [3] * n, "orders_12m": [3] * n, "max_gap_days": [30.0] * n,
            "mean_gap_days": [30.0] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_customer_silent_for_100_days_is_at_risk():
    assert lifecycle.lifecycle_stage(_life(days_since_last_order=[100.0])).iloc[0] == "at_risk"


def test_lowering_the_at_risk_threshold_moves_a_customer_to_at_risk():
    f = _life(days_since_last_order=[70.0])
    assert lifecycle.lifecycle_stage(f).iloc[0] == "repeat"
    assert lifecycle.lifecycle_stage(f, LifecycleRules(at_risk_days=60)).iloc[0] == "at_risk"


@pytest.mark.parametrize("cols, stage", [
    ({"has_orders": [False], "pipeline_stage": ["opportunity"]}, "opportunity"),
    ({"has_orders": [False], "pipeline_stage": ["TARGET"]}, "target"),
    ({"has_orders": [False], "pipeline_stage": [None]}, "prospect"),
    ({"days_since_last_order": [200.0]}, "dormant"),
    ({"days_since_last_order": [400.0]}, "churned"),
    ({"days_since_return": [30.0], "last_return_gap_days": [400.0]}, "won_back"),
    ({"days_since_return": [30.0], "last_return_gap_days": [200.0]}, "woken"),
    ({"days_since_return": [30.0], "last_return_gap_days": [120.0]}, "repeat"),   # back from a short absence
    ({"days_since_return": [400.0], "last_return_gap_days": [400.0]}, "repeat"),  # won back long ago: expired
    ({"days_since_return": [400.0], "last_return_gap_days": [400.0], "purchase_days": [20], "orders_12m": [12],
      "tenure_days": [1500.0]}, "loyal"),  # a monthly buyer two years after returning is loyal again
    ({"purchase_days": [1], "tenure_days": [20.0]}, "new"),
    ({"purchase_days": [8], "orders_12m": [6], "tenure_days": [800.0]}, "loyal"),
    ({"purchase_days": [8], "orders_12m": [5], "tenure_days": [800.0]}, "repeat"),
    ({"purchase_days": [3], "tenure_days": [200.0]}, "repeat"),
])
def test_every_lifecycle_stage(cols, stage):
    assert lifecycle.lifecycle_stage(_life(**cols)).iloc[0] == stage


def test_personal_signal_fires_when_silent_beyond_k_times_the_usual_gap():
    f = _life(days_since_last_order=[50.0, 50.0], mean_gap_days=[10.0, 30.0])
    assert lifecycle.silent_beyond_usual(f).tolist() == [True, False]


def test_funnel_counts_and_conversion():
    f = _life(has_orders=[False, False, False, True, True, True],
              pipeline_stage=["target", "prospect", "opportunity", "customer", "customer", "customer"],
              purchase_days=[0, 0, 0, 1, 3, 8], orders_12m=[0, 0, 0, 1, 3, 8], tenure_days=[np.nan, np.nan, np.nan, 10.0, 100.0, 800.0])
    stage = lifecycle.lifecycle_stage(f)
    fun = lifecycle.funnel(f, stage).set_index("step")
    assert fun["customers"].tolist() == [6, 5, 4, 3, 2, 1]
    assert fun.loc["first_purchase", "conversion"] == pytest.approx(3 / 4)


def test_whale_reading_on_a_known_distribution():
    profit = pd.Series([50.0, 30.0, 10.0, 10.0, 5.0, 5.0, 0.0, -2.0, -3.0, -5.0])
    r = tiers.whale_reading(profit)
    assert r["top_share"] == pytest.approx(80 / 100)
    assert r["bottom_share"] == pytest.approx(-10 / 100)
    assert r["peak_share"] == pytest.approx(110 / 100)


def test_whale_curve_never_carries_a_point_per_customer():
    curve = tiers.whale_curve(pd.Series(np.random.default_rng(0).normal(size=100_000)), points=200)
    assert len(curve) <= 202
    assert curve["customer_share"].iloc[0] == 0 and curve["customer_share"].iloc[-1] == 1


def test_loss_drivers_name_the_biggest_reason():
    f = pd.DataFrame({"revenue_12m": [100.0, 100.0, 100.0, 100.0], "gross_profit_12m": [40.0, 40.0, 5.0, 40.0],
                      "service_cost_12m": [80.0, 0.0, 0.0, 0.0], "bad_debt_12m": [0.0, 60.0, 0.0, 0.0],
                      "net_profit_12m": [-40.0, -20.0, -1.0, 40.0]})
    d = scoring.loss_drivers(f)
    assert d["main_loss_driver"].tolist() == ["cost_to_serve", "unpaid_invoices", "thin_margin", ""]


def test_the_eight_rfm_classes_compare_each_buyer_with_the_buyers_average():
    # Means over the four buyers: 100 days silent, 4 purchase days, revenue 2,500.
    days = pd.Series([10.0, 10.0, 190.0, 190.0, np.nan])
    freq = pd.Series([7, 1, 7, 1, 0])
    money = pd.Series([9000.0, 500.0, 300.0, 200.0, 0.0])
    has = pd.Series([True, True, True, True, False])
    assert tiers.rfm_class(days, freq, money, has).tolist() == [
        "important_value",   # recent, frequent, big
        "general_develop",   # recent, one purchase day, small
        "general_keep",      # long silent, frequent, small
        "general_retain",    # long silent, once, small
        "no_orders"]
    money_high = pd.Series([9000.0, 9000.0, 9000.0, 9000.0, 0.0])  # everyone at the mean: all "important"
    assert tiers.rfm_class(days, freq, money_high, has).tolist()[:4] == [
        "important_value", "important_develop", "important_keep", "important_retain"]


def test_no_rfm_label_repeats_a_lifecycle_label_in_either_language():
    from valuation.i18n.text import TEXT

    for lang in (0, 1):
        stages = {TEXT[f"stage.{s}"][lang] for s in lifecycle.STAGES + ("first_purchase",)}
        rfm = {TEXT[f"rfm.{s}"][lang] for s in tiers.RFM_SEGMENTS if s != "no_orders"}
        classes = {TEXT[f"rfmc.{c}"][lang] for c in tiers.RFM_CLASSES if c != "no_orders"}
        assert not stages & rfm and not stages & classes and not rfm & classes


def test_grades_per_dimension_follow_the_seed_with_losses_and_drifting_customers_marked_down():
    scores = pd.DataFrame({"current": [95.0, 60.0, 20.0, 90.0, 0.0],
                           "growth": [85.0, 55.0, 10.0, 80.0, 0.0],
                           "loyalty": [90.0, 50.0, 30.0, 95.0, 0.0]})
    has = pd.Series([True, True, True, True, False])
    profit = pd.Series([100.0, 50.0, 10.0, -5.0, 0.0])
    stage = pd.Series(["loyal", "repeat", "new", "churned", "target"])
    g = tiers.grades(scores, has, profit, stage)
    assert g["grade_profit"].tolist()[:4] == ["high", "medium", "low", "low"]  # a loss is low
    assert g["grade_potential"].tolist()[:4] == ["important", "promising", "general", "important"]
    assert g["grade_loyalty"].tolist()[:4] == ["loyal", "average", "unstable", "unstable"]  # churned
    assert g.iloc[4].isna().all()  # a prospect has no grades


def test_credit_scores_the_payment_cycle_and_the_arrears_in_yuan_as_seed_002_lists_them():
    # Two customers alike but for how long they take to pay; two alike but for the yuan they owe.
    f = pd.DataFrame({
        "invoices": [4, 4, 4, 4], "on_time_payment_ratio": [1.0, 1.0, 0.5, 0.5], "avg_days_late": [0.0, 0.0, 5.0, 5.0],
        "avg_days_to_pay": [30.0, 120.0, 60.0, 60.0], "overdue_amount": [0.0, 0.0, 1_000.0, 100_000.0],
        "revenue_12m": [10_000.0, 10_000.0, 10_000.0, 1_000_000.0],
    })
    m = scoring.prepare_metrics(f.assign(satisfaction=np.nan, avg_service_satisfaction=np.nan))
    assert [name for name, _, _ in scoring.SUB_METRICS["credit"]] == [
        "on_time_payment_ratio", "avg_days_to_pay", "avg_days_late", "overdue_ratio", "overdue_arrears"]
    # Same ratio of arrears to business (10%), ten times the yuan: the absolute arrears count too.
    assert m["overdue_ratio"].iloc[2] == pytest.approx(m["overdue_ratio"].iloc[3], rel=0.02)
    cycle = scoring.percentile_score(m["avg_days_to_pay"], direction=-1)
    arrears = scoring.percentile_score(m["overdue_arrears"], direction=-1)
    assert cycle.iloc[0] > cycle.iloc[1] and arrears.iloc[2] > arrears.iloc[3]
