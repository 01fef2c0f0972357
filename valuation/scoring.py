"""The five dimensions (plus influence and custom ones) on 0–100, and the weighted composite."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from valuation.features import Availability
from valuation.settings import DIMENSIONS, Weights

NEUTRAL = 50.0  # a customer with no data for a sub-metric (no invoices yet, say) sits mid-field

# Each dimension is a weighted mean of percentile scores of its sub-metrics.
# (feature column, weight within the dimension, direction: +1 = higher is better)
SUB_METRICS: dict[str, list[tuple[str, float, int]]] = {
    "current": [("net_profit_12m", 1.0, +1)],
    "future": [("clv", 1.0, +1)],
    "credit": [("on_time_payment_ratio", 0.4, +1), ("avg_days_late", 0.3, -1),
               ("overdue_ratio", 0.3, -1)],
    "loyalty": [("tenure_days", 0.20, +1), ("orders_12m", 0.20, +1), ("p_alive", 0.20, +1),
                ("category_coverage", 0.10, +1), ("share_of_wallet", 0.10, +1),
                ("satisfaction_any", 0.10, +1), ("offseason_index", 0.10, +1)],
    "growth": [("revenue_trend", 0.5, +1), ("wallet_headroom", 0.5, +1)],
    "influence": [("referrals", 0.5, +1), ("importance", 0.5, +1)],
}

# Sub-metrics that need a table or column the dataset may not have.
NEEDS = {
    "on_time_payment_ratio": "payments", "avg_days_late": "payments", "overdue_ratio": "payments",
    "category_coverage": "category", "share_of_wallet": "wallet", "wallet_headroom": "wallet",
    "satisfaction_any": "satisfaction", "referrals": "influence", "importance": "influence",
}

# Used when a sub-metric is missing: P(alive) needs the purchase model; recency is its plain cousin.
FALLBACK = {"p_alive": ("days_since_last_order", -1)}

# Dimensions where a customer who never bought scores zero: they have contributed nothing yet.
ZERO_WITHOUT_ORDERS = ("current", "future", "loyalty")


def percentile_score(values: pd.Series, within: pd.Series | None = None, direction: int = +1) -> pd.Series:
    """0–100 percentile rank (ties share their average rank); NaN where ``values`` is NaN or outside ``within``.

    Percentiles keep heavy-tailed money from squashing most customers to zero:
    the median customer scores 50 whatever the size of the largest one.
    """
    x = pd.to_numeric(values, errors="coerce").astype(float) * direction
    mask = x.notna() if within is None else (x.notna() & within)
    out = pd.Series(np.nan, index=values.index)
    n = int(mask.sum())
    if n == 0:
        return out
    if n == 1:
        out[mask] = 100.0
        return out
    ranks = x[mask].rank(method="average")
    out[mask] = (ranks - 1) / (n - 1) * 100.0
    return out


@dataclass(frozen=True)
class DimensionReport:
    """Which dimensions run on real data, which sub-metrics each uses, and what is missing."""

    available: tuple[str, ...]
    missing: tuple[str, ...]
    used_sub_metrics: dict

    def __hash__(self):
        return hash((self.available, self.missing))


def _metric_available(metric: str, availability: Availability, features: pd.DataFrame) -> bool:
    need = NEEDS.get(metric)
    if need is not None and not getattr(availability, need):
        return False
    return metric in features and features[metric].notna().any()


def prepare_metrics(features: pd.DataFrame) -> pd.DataFrame:
    """Add the derived sub-metric columns scoring needs (overdue ratio, any satisfaction)."""
    f = features.copy(deep=False)  # copy-on-write: new columns only, the caller's frame untouched
    exposure = f["revenue_12m"].clip(lower=0) + f["overdue_amount"]
    f["overdue_ratio"] = np.where(f["invoices"] > 0, f["overdue_amount"] / exposure.where(exposure > 0, 1.0), np.nan)
    f["satisfaction_any"] = f["satisfaction"].fillna(f["avg_service_satisfaction"])
    return f


def dimension_scores(features: pd.DataFrame, availability: Availability | None = None,
                     custom_columns: tuple[str, ...] = ()) -> tuple[pd.DataFrame, DimensionReport]:
    """Score every customer 0–100 on each dimension the data supports.

    Parameters
    ----------
    features : DataFrame
        From ``features.compute_features`` plus ``clv`` and ``p_alive`` (see ``pipeline``).
        Needs ``customer_id``, ``has_orders`` and the sub-metric columns of SUB_METRICS.
    availability : Availability
        What the dataset holds; defaults to ``features.attrs["availability"]``.
    custom_columns : tuple of str
        Numeric customer columns to score as extra dimensions (``custom:<column>``).

    Returns
    -------
    (scores, report): scores has one column per available dimension, indexed like features.
    A dimension with no data behind it is absent from scores and listed in ``report.missing``.
    """
    availability = availability or features.attrs.get("availability") or Availability()
    f = prepare_metrics(features)
    orders_mask = f["has_orders"].astype(bool)
    scores = pd.DataFrame(index=f.index)
    used: dict[str, list[str]] = {}
    missing = []
    for dim, metrics in SUB_METRICS.items():
        parts, weights, names = [], [], []
        for metric, weight, direction in metrics:
            if not _metric_available(metric, availability, f) and metric in FALLBACK:
                metric, direction = FALLBACK[metric]
            if not _metric_available(metric, availability, f):
                continue
            within = orders_mask if dim in ZERO_WITHOUT_ORDERS or metric in ("revenue_trend",) else None
            parts.append(percentile_score(f[metric], within, direction))
            weights.append(weight)
            names.append(metric)
        if not parts:
            missing.append(dim)
            continue
        stacked = np.column_stack([p.to_numpy() for p in parts])
        w = np.array(weights)
        present = ~np.isnan(stacked)
        # Renormalise over the sub-metrics a customer has; none at all -> neutral.
        wsum = (present * w).sum(axis=1)
        value = np.where(wsum > 0, np.nansum(np.nan_to_num(stacked) * w, axis=1) / np.where(wsum > 0, wsum, 1), NEUTRAL)
        if dim in ZERO_WITHOUT_ORDERS:
            value = np.where(orders_mask, value, 0.0)
        scores[dim] = np.clip(value, 0.0, 100.0)  # a weighted mean of 100s can round to 100.00000000000001
        used[dim] = names
    for column in custom_columns:
        key = f"custom:{column}"
        if column in f and pd.to_numeric(f[column], errors="coerce").notna().any():
            scores[key] = percentile_score(f[column]).fillna(NEUTRAL).to_numpy()
            used[key] = [column]
        else:
            missing.append(key)
    report = DimensionReport(available=tuple(scores.columns), missing=tuple(missing), used_sub_metrics=used)
    return scores, report


def effective_weights(weights: Weights, available: tuple[str, ...]) -> dict[str, float]:
    """The weights of the dimensions that have data, renormalised to sum to 1 (empty if all zero)."""
    raw = {d: w for d, w in weights.as_dict().items() if d in available and w > 0}
    total = sum(raw.values())
    return {d: w / total for d, w in raw.items()} if total > 0 else {}


def composite(scores: pd.DataFrame, weights: Weights) -> pd.Series:
    """Composite score = Σ w·s / Σ w over the dimensions present in ``scores`` (0–100)."""
    eff = effective_weights(weights, tuple(scores.columns))
    if not eff:
        return pd.Series(0.0, index=scores.index, name="composite")
    cols = list(eff)
    values = scores[cols].to_numpy() @ np.array([eff[c] for c in cols])
    return pd.Series(values, index=scores.index, name="composite")


def contributions(scores: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Each dimension's points in the composite (w·s / Σ w); rows sum to the composite."""
    eff = effective_weights(weights, tuple(scores.columns))
    out = pd.DataFrame(0.0, index=scores.index, columns=list(scores.columns))
    for dim, w in eff.items():
        out[dim] = scores[dim] * w
    return out


def loss_drivers(features: pd.DataFrame) -> pd.DataFrame:
    """For each customer, what pulls net profit down over the last 12 months.

    ``cost_to_serve`` is service cost, ``unpaid_invoices`` the bad debt (unpaid
    90+ days past due), and ``thin_margin`` the gross profit the customer would
    add at the dataset's median gross margin rate (0 when theirs is at least the median).
    ``main_loss_driver`` names the largest of the three for a customer with negative net profit.
    """
    f = features
    revenue = f["revenue_12m"].clip(lower=0)
    rate = np.where(revenue > 0, f["gross_profit_12m"] / revenue.where(revenue > 0, 1.0), np.nan)
    median_rate = np.nanmedian(rate) if np.isfinite(rate).any() else np.nan
    thin = np.where(np.isfinite(rate) & (rate < median_rate), (median_rate - rate) * revenue, 0.0)
    out = pd.DataFrame({
        "cost_to_serve": f["service_cost_12m"].to_numpy(),
        "thin_margin": thin,
        "unpaid_invoices": f["bad_debt_12m"].to_numpy(),
    }, index=f.index)
    main = out.idxmax(axis=1).where(out.max(axis=1) > 0, "no_revenue")
    out["main_loss_driver"] = main.where(f["net_profit_12m"] < 0, "")
    return out
