"""What the pages show beyond the scores: KPIs, migrations, filters, profiles, CLV diagnostics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation import clv as clv_models
from valuation import lifecycle, tiers
from valuation.store import Store

LOWER_TIER = {"A": "B", "B": "C", "C": "D", "D": "D"}


def kpis(scored: pd.DataFrame) -> dict:
    """Headline figures: customers, 12-month revenue and net profit, tier A's profit share, value at risk.

    Value at risk is the CLV of customers on the at-risk alert list (at risk by
    silence, or silent beyond their own usual gap).
    """
    has = scored["has_orders"].astype(bool)
    profit = float(scored.loc[has, "net_profit_12m"].sum())
    a_profit = float(scored.loc[scored["tier"] == "A", "net_profit_12m"].sum())
    alerts = lifecycle.at_risk_alerts(scored)
    return {
        "customers": int(has.sum()),
        "prospects": int((~has).sum()),
        "revenue_12m": float(scored.loc[has, "revenue_12m"].sum()),
        "net_profit_12m": profit,
        "tier_a_profit_share": a_profit / profit if profit else float("nan"),
        "value_at_risk": float(alerts["clv"].sum()) if "clv" in alerts else 0.0,
        "customers_at_risk": int(len(alerts)),
        "below_zero": int((scored["tier"] == "below_zero").sum()),
    }


def migration(before: pd.DataFrame, after: pd.DataFrame, top: int | None = 50,
              direction: str = "all") -> pd.DataFrame:
    """Customers whose tier or composite moved between two scorings of the same customers.

    ``direction`` "up" keeps customers who moved to a better tier (largest score
    gain first), "down" those who moved to a worse one (largest loss first), and
    "all" every customer whose tier or score moved, tier changes first.
    """
    joined = pd.DataFrame({
        "customer_id": after["customer_id"].to_numpy(),
        "name": after["name"].to_numpy() if "name" in after else None,
        "tier_before": before["tier"].to_numpy(),
        "tier_after": after["tier"].to_numpy(),
        "composite_before": before["composite"].to_numpy(),
        "composite_after": after["composite"].to_numpy(),
    })
    joined["score_moved"] = joined["composite_after"] - joined["composite_before"]
    order = {t: i for i, t in enumerate(tiers.TIERS)}
    # Negative steps = towards A.
    joined["tier_steps"] = joined["tier_after"].map(order) - joined["tier_before"].map(order)
    if direction == "up":
        moved = joined[joined["tier_steps"] < 0].sort_values(["score_moved", "customer_id"],
                                                             ascending=[False, True])
    elif direction == "down":
        moved = joined[joined["tier_steps"] > 0].sort_values(["score_moved", "customer_id"])
    else:
        moved = joined[(joined["tier_steps"] != 0) | (joined["score_moved"].abs() > 1e-9)]
        moved = moved.assign(_tier=moved["tier_steps"].abs(), _abs=moved["score_moved"].abs())
        moved = moved.sort_values(["_tier", "_abs", "customer_id"], ascending=[False, False, True])
        moved = moved.drop(columns=["_tier", "_abs"])
    if top is not None:
        moved = moved.head(top)
    return moved.reset_index(drop=True)


def filter_customers(scored: pd.DataFrame, search: str = "", **choices) -> pd.DataFrame:
    """Rows matching a free-text search (id or name) and every non-empty choice list.

    ``choices`` maps a column (tier, value_class, rfm_segment, lifecycle_stage,
    region, industry) to the values to keep; an empty list keeps all.
    """
    mask = pd.Series(True, index=scored.index)
    text = (search or "").strip().lower()
    if text:
        ids = scored["customer_id"].astype(str).str.lower()
        names = scored["name"].fillna("").astype(str).str.lower() if "name" in scored else ids
        mask &= ids.str.contains(text, regex=False) | names.str.contains(text, regex=False)
    for column, values in choices.items():
        if values and column in scored:
            mask &= scored[column].isin(values)
    return scored[mask]


def replacement_count(scored: pd.DataFrame, customer_id: str) -> dict:
    """What losing a customer means: how many average customers of the tier below replace their profit."""
    row = scored.loc[scored["customer_id"] == customer_id].iloc[0]
    tier = row["tier"]
    lower = LOWER_TIER.get(tier)
    if lower is None or row["net_profit_12m"] <= 0:
        return {"tier": tier, "lower_tier": lower, "count": None, "profit": float(row["net_profit_12m"])}
    peers = scored.loc[scored["tier"] == lower, "net_profit_12m"]
    avg = float(peers.mean()) if len(peers) else float("nan")
    count = float(row["net_profit_12m"] / avg) if avg and avg > 0 else None
    return {"tier": tier, "lower_tier": lower, "count": count, "profit": float(row["net_profit_12m"]),
            "lower_average": avg}


def tier_average_scores(scored: pd.DataFrame, dimensions: tuple[str, ...]) -> pd.DataFrame:
    """Mean dimension scores per tier (for the profile radar)."""
    return scored.groupby("tier")[list(dimensions)].mean()


def customer_orders(store: Store, dataset: str, customer_id: str, as_of: dt.date | None) -> pd.DataFrame:
    """One customer's orders on or before the as-of date."""
    ref = store.table_ref(dataset, "orders")
    sql = (f"SELECT order_date, amount, cost, category, product, order_id FROM {ref} "
           "WHERE customer_id = $c AND ($as_of IS NULL OR order_date <= $as_of) ORDER BY order_date")
    return store.cursor().execute(sql, {"c": customer_id, "as_of": as_of}).df()


def transactions(store: Store, dataset: str, as_of: dt.date | None) -> pd.DataFrame:
    """customer_id, order_date, amount of every purchase (amount > 0) on or before the as-of date."""
    ref = store.table_ref(dataset, "orders")
    sql = (f"SELECT customer_id, order_date, amount FROM {ref} "
           "WHERE amount > 0 AND ($as_of IS NULL OR order_date <= $as_of)")
    return store.cursor().execute(sql, {"as_of": as_of}).df()


def clv_diagnostics(orders: pd.DataFrame, as_of: dt.date, holdout_weeks: int = 26) -> dict:
    """Fit BG/NBD on a calibration period and compare with the holdout that follows.

    The calibration period ends ``holdout_weeks`` before the as-of date. Returns
    the fitted parameters, the holdout comparison by frequency, the totals, and
    P(alive) by frequency and recency; or ``{"error": message}`` when the data
    cannot support the models (too short, too few repeat buyers).
    """
    as_of = pd.Timestamp(as_of)
    calibration_end = as_of - pd.Timedelta(weeks=holdout_weeks)
    if orders.empty or orders["order_date"].min() >= calibration_end:
        return {"error": "too_short", "calibration_end": calibration_end.date()}
    try:
        summary = clv_models.calibration_holdout_summary(
            orders, calibration_end=calibration_end, holdout_end=as_of, time_unit="W")
        model = clv_models.BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    except clv_models.ConvergenceError as exc:
        return {"error": "no_fit", "detail": str(exc), "calibration_end": calibration_end.date()}
    by_freq = clv_models.holdout_by_frequency(summary, model)
    duration = float(summary["duration_holdout"].iloc[0])
    predicted = np.asarray(model.conditional_expected_purchases(
        duration, summary["frequency"], summary["recency"], summary["T"]))
    max_recency = int(min(summary["T"].max(), 156))
    return {
        "calibration_end": calibration_end.date(),
        "params": model.params_,
        "holdout": by_freq,
        "actual_total": int(summary["frequency_holdout"].sum()),
        "predicted_total": float(predicted.sum()),
        "p_alive": clv_models.probability_alive_matrix(model, 20, max_recency, max_recency),
    }
