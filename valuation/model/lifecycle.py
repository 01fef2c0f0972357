"""Lifecycle stages, where customers are in the funnel today, and at-risk alerts ordered by value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuation.data.schema import PIPELINE_STAGES
from valuation.model.scoring import labels_from_codes
from valuation.model.settings import LifecycleRules

STAGES = ("target", "prospect", "opportunity", "new", "repeat", "loyal",
          "at_risk", "dormant", "churned", "woken", "won_back")
ACTIVITY = ("active", "at_risk", "dormant", "churned", "woken", "won_back")
FUNNEL = ("target", "prospect", "opportunity", "first_purchase", "repeat", "loyal")


def lifecycle_stage(features: pd.DataFrame, rules: LifecycleRules = LifecycleRules()) -> pd.Series:
    """Stage per customer.

    Without orders: the pipeline stage (target, prospect, opportunity; anything
    else counts as prospect). With orders, by silence first: more than
    ``churned_days`` since the last purchase is churned, more than
    ``dormant_days`` dormant, more than ``at_risk_days`` at_risk. Active
    customers who came back within the last ``won_back_days`` are won_back when the
    absence they ended was ``churned_days`` or more, woken (唤醒) when it was
    ``dormant_days`` or more; after that they are repeat or loyal again. The others are
    new with a single purchase day or a tenure under ``new_days``, loyal with
    ``loyal_min_tenure_days`` of tenure and ``loyal_min_orders_12m`` orders in the
    last 12 months, and repeat otherwise. Tenure counts from the customer's creation
    when it precedes the first order in the data (``features.finish_features``): a
    customer created years before an extract's first order is new only with one
    purchase day.

    Needs: has_orders, pipeline_stage, days_since_last_order, tenure_days,
    purchase_days, orders_12m, and days_since_return and last_return_gap_days (the last comeback;
    without them, a frame from before them, nobody is woken or won back).
    """
    f = features
    if len(f) == 0:
        return _lifecycle_stage_plain(f, rules)
    has = f["has_orders"].astype(bool).to_numpy()
    # The pipeline stage is cleaned once per distinct value, not per customer; stages are
    # chosen as codes and labelled once (no fixed-width string arrays of 1.5M rows).
    raw = f["pipeline_stage"]
    codes, uniques = pd.factorize(raw)  # missing: -1, which takes the last entry below (prospect)
    stage_of = pd.Index(PIPELINE_STAGES).get_indexer(_clean_pipeline(pd.Series(uniques, dtype=raw.dtype)))
    prospect = PIPELINE_STAGES.index("prospect")
    pipeline = np.append(np.where(stage_of >= 0, stage_of, prospect), prospect)[codes]
    k = len(PIPELINE_STAGES)
    labels = PIPELINE_STAGES + ("churned", "dormant", "at_risk", "won_back", "woken", "new", "loyal", "repeat")
    stage = np.select(_stage_conditions(f, has, rules), [pipeline, k, k + 1, k + 2, k + 3, k + 4, k + 5, k + 6],
                      default=k + 7)
    return labels_from_codes(labels, stage, f.index, name="lifecycle_stage")


def _stage_conditions(f: pd.DataFrame, has: np.ndarray, rules: LifecycleRules) -> list[np.ndarray]:
    """The tests of :func:`lifecycle_stage`, first match wins: no orders (pipeline stage),
    churned, dormant, at risk, won back, woken, new, loyal; repeat otherwise."""
    silent = f["days_since_last_order"].to_numpy(dtype=float)
    tenure = f["tenure_days"].to_numpy(dtype=float)
    days = f["purchase_days"].to_numpy()
    recent_orders = f["orders_12m"].to_numpy()
    n = len(f)
    since = f["days_since_return"].to_numpy(dtype=float) if "days_since_return" in f else np.full(n, np.nan)
    gap = f["last_return_gap_days"].to_numpy(dtype=float) if "last_return_gap_days" in f else np.full(n, np.nan)
    back = since <= rules.won_back_days  # NaN (never came back) is False
    return [~has,
            silent > rules.churned_days,
            silent > rules.dormant_days,
            silent > rules.at_risk_days,
            back & (gap >= rules.churned_days),
            back & (gap >= rules.dormant_days),
            (days <= 1) | (tenure < rules.new_days),
            (tenure >= rules.loyal_min_tenure_days) & (recent_orders >= rules.loyal_min_orders_12m)]


def _clean_pipeline(stage: pd.Series) -> pd.Series:
    return stage.astype("string").str.strip().str.lower().fillna("")


def _lifecycle_stage_plain(features: pd.DataFrame, rules: LifecycleRules = LifecycleRules()) -> pd.Series:
    """:func:`lifecycle_stage` spelled out per customer (the reference of the tests; empty frames)."""
    f = features
    has = f["has_orders"].astype(bool).to_numpy()
    pipeline = _clean_pipeline(f["pipeline_stage"])
    pipeline = pipeline.where(pipeline.isin(PIPELINE_STAGES), "prospect").to_numpy()
    stage = np.select(_stage_conditions(f, has, rules),
                      [pipeline, "churned", "dormant", "at_risk", "won_back", "woken", "new", "loyal"],
                      default="repeat")
    return pd.Series(stage, index=f.index, name="lifecycle_stage")


def silent_beyond_usual(features: pd.DataFrame, rules: LifecycleRules = LifecycleRules()) -> pd.Series:
    """The personal signal: silent longer than ``gap_multiple`` × the customer's own mean gap.

    Only for customers with at least two purchase days who are not yet churned.
    """
    gap = features["mean_gap_days"]
    silent = features["days_since_last_order"]
    flag = gap.notna() & (silent > rules.gap_multiple * gap) & (silent <= rules.churned_days)
    return flag.fillna(False).astype(bool)


def activity_state(stage: pd.Series) -> pd.Series:
    """Collapse stages to active / at_risk / dormant / churned / won_back (prospects: none)."""
    active = stage.isin(["new", "repeat", "loyal"])
    out = stage.where(~active, "active")
    return out.where(out.isin(ACTIVITY), "none")


def funnel(features: pd.DataFrame, stage: pd.Series, rules: LifecycleRules = LifecycleRules()) -> pd.DataFrame:
    """Where customers are today: how many are now past each funnel step, and the ratio to the step before.

    A snapshot, not a conversion rate: every buyer counts as past opportunity, and lost
    opportunities are rarely kept, so first_purchase / opportunity reads ~90% on a CRM
    and 100% on orders alone. Conversion is measured by cohort, from the dates each
    customer took each step: :func:`valuation.analysis.funnel.cohort_funnel`.

    target counts everyone; prospect everyone past target; opportunity everyone
    past prospect (including all who bought); first_purchase everyone with an
    order; repeat those with two or more purchase days; loyal those who meet the
    loyal rule on tenure and purchase days (whatever their current activity).
    """
    has = features["has_orders"].astype(bool)
    reached = {
        "target": len(features),
        "prospect": int((stage != "target").sum()),
        "opportunity": int((~stage.isin(["target", "prospect"])).sum()),
        "first_purchase": int(has.sum()),
        "repeat": int((features["purchase_days"] >= 2).sum()),
        "loyal": int(((features["tenure_days"] >= rules.loyal_min_tenure_days)
                      & (features["orders_12m"] >= rules.loyal_min_orders_12m)).sum()),
    }
    out = pd.DataFrame({"step": list(reached), "customers": list(reached.values())})
    prev = out["customers"].shift(1)
    out["conversion"] = np.where(prev > 0, out["customers"] / prev.where(prev > 0, 1), np.nan)
    out.loc[0, "conversion"] = np.nan
    return out


def at_risk_alerts(scored: pd.DataFrame, value_column: str = "clv") -> pd.DataFrame:
    """Customers at risk (by stage or by their own rhythm), most valuable first.

    Needs lifecycle_stage, silent_beyond_usual, days_since_last_order,
    mean_gap_days, last_order_date and ``value_column``.
    """
    mask = (scored["lifecycle_stage"] == "at_risk") | (
        scored["silent_beyond_usual"] & scored["lifecycle_stage"].isin(["new", "repeat", "loyal", "woken",
                                                                        "won_back"]))
    cols = [c for c in ("customer_id", "name", "tier", "value_class", "lifecycle_stage",
                        "days_since_last_order", "mean_gap_days", "last_order_date", "revenue_12m",
                        "net_profit_12m", "clv", "composite") if c in scored]
    out = scored.loc[mask, cols]
    return out.sort_values([value_column, "customer_id"], ascending=[False, True]).reset_index(drop=True)


def declining_valuable(scored: pd.DataFrame, trend_below: float = -0.2) -> pd.DataFrame:
    """Most valuable customers whose revenue is falling (last 6 months against the 6 before)."""
    mask = (scored["value_class"] == "most_valuable") & (scored["revenue_trend"] <= trend_below)
    cols = [c for c in ("customer_id", "name", "tier", "revenue_trend", "revenue_last_6m",
                        "revenue_prev_6m", "net_profit_12m", "clv", "days_since_last_order") if c in scored]
    out = scored.loc[mask, cols]
    lost = (out["revenue_prev_6m"] - out["revenue_last_6m"]).rename("revenue_drop")
    return out.assign(revenue_drop=lost).sort_values(["revenue_drop", "customer_id"],
                                                     ascending=[False, True]).reset_index(drop=True)
