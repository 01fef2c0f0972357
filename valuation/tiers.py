"""Tier pyramid, value classes, RFM segments, recommended actions and concentration (whale curve)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from valuation.settings import ClassRules, TierCuts

TIERS = ("A", "B", "C", "D", "below_zero", "prospect")
PYRAMID = ("A", "B", "C", "D")
VALUE_CLASSES = ("most_valuable", "growable", "below_zero", "maintain")
RFM_SEGMENTS = ("champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
                "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost", "no_orders")


def assign_tiers(composite: pd.Series, net_profit_12m: pd.Series, has_orders: pd.Series,
                 cuts: TierCuts = TierCuts(), customer_id: pd.Series | None = None) -> pd.Series:
    """Tier per customer: A/B/C/D by composite rank, below_zero, or prospect.

    Customers with negative net profit over 12 months are ``below_zero`` whatever
    their score; customers without orders are ``prospect``. The rest are ranked
    by composite (ties broken by customer_id, so results do not depend on row
    order): the top ``cuts.a`` share is A, the next ``cuts.b`` B, the next ``cuts.c`` C,
    each boundary rounded up to a whole customer.
    """
    tier = pd.Series("prospect", index=composite.index, dtype=object)
    below = has_orders & (net_profit_12m < 0)
    tier[below] = "below_zero"
    ranked_mask = has_orders & ~below
    n = int(ranked_mask.sum())
    if n:
        frame = pd.DataFrame({"score": composite[ranked_mask].to_numpy(),
                              "id": (customer_id[ranked_mask] if customer_id is not None
                                     else pd.Series(composite.index[ranked_mask])).astype(str).to_numpy()},
                             index=composite.index[ranked_mask])
        order = frame.sort_values(["score", "id"], ascending=[False, True], kind="mergesort").index
        # Round up, so even a tiny dataset has its best customer in A (rounding first drops float noise).
        bounds = np.ceil(np.round(np.cumsum([cuts.a, cuts.b, cuts.c]) * n, 6)).astype(int)
        position = np.arange(n)
        labels = np.select([position < bounds[0], position < bounds[1], position < bounds[2]],
                           ["A", "B", "C"], default="D")
        tier[order] = labels
    return tier


def actual_value(scores: pd.DataFrame) -> pd.Series:
    """Actual value (实际价值) on 0–100: the mean of current and future contribution available."""
    cols = [c for c in ("current", "future") if c in scores]
    return scores[cols].mean(axis=1) if cols else pd.Series(0.0, index=scores.index)


def strategic_value(scores: pd.DataFrame) -> pd.Series:
    """Strategic value (战略价值) on 0–100: growth potential, blended with influence when present."""
    if "growth" not in scores:
        return pd.Series(0.0, index=scores.index)
    if "influence" in scores:
        return 0.75 * scores["growth"] + 0.25 * scores["influence"]
    return scores["growth"]


def assign_value_class(actual: pd.Series, strategic: pd.Series, net_profit_12m: pd.Series,
                       has_orders: pd.Series, rules: ClassRules = ClassRules()) -> pd.Series:
    """Peppers & Rogers value class: below_zero, most_valuable, growable or maintain."""
    below = has_orders & (net_profit_12m < 0)
    return pd.Series(np.select(
        [below, actual >= rules.actual_cut, strategic >= rules.strategic_cut],
        ["below_zero", "most_valuable", "growable"], default="maintain"), index=actual.index)


def quintile(values: pd.Series, within: pd.Series) -> pd.Series:
    """Scores 1–5 by quintile of ``values`` among ``within`` (5 = highest); 0 elsewhere."""
    out = pd.Series(0, index=values.index, dtype="int64")
    n = int(within.sum())
    if n == 0:
        return out
    pct = values[within].rank(method="average", pct=True)
    out[within] = np.clip(np.ceil(pct * 5), 1, 5).astype("int64")
    return out


def rfm_scores(days_since_last_order: pd.Series, frequency: pd.Series, monetary: pd.Series,
               has_orders: pd.Series) -> pd.DataFrame:
    """R, F and M quintile scores (5 best): R from recency (fewer days better), F from
    purchase days, M from revenue over the whole history."""
    return pd.DataFrame({
        "r_score": quintile(-days_since_last_order, has_orders),
        "f_score": quintile(frequency, has_orders),
        "m_score": quintile(monetary, has_orders),
    })


def rfm_segment(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """The common 11-segment map on R and FM = round((F + M) / 2); ``no_orders`` where R is 0."""
    fm = np.floor((f + m) / 2 + 0.5).astype(int)
    r = r.astype(int)
    conditions = [
        r == 0,
        ((r == 5) & (fm >= 4)) | ((r == 4) & (fm == 5)),
        (r >= 3) & (fm >= 4),
        (r >= 4) & (fm >= 2) & (fm <= 3),
        (r == 5) & (fm == 1),
        (r == 4) & (fm == 1),
        (r == 3) & (fm == 3),
        (r == 3) & (fm <= 2),
        (r <= 2) & (fm == 5),
        (r <= 2) & (fm >= 3),
        (r == 2) & (fm <= 2),
    ]
    choices = ["no_orders", "champions", "loyal", "potential_loyalist", "new", "promising",
               "need_attention", "about_to_sleep", "cant_lose", "at_risk", "hibernating"]
    return pd.Series(np.select(conditions, choices, default="lost"), index=r.index)


def concentration(scored: pd.DataFrame) -> pd.DataFrame:
    """Per tier: customers, revenue and net profit over 12 months, and each one's share.

    Needs ``tier``, ``revenue_12m`` and ``net_profit_12m``. Shares of profit are of
    the total net profit, so the below-zero tier shows a negative share.
    """
    g = scored.groupby("tier", observed=True).agg(
        customers=("tier", "size"), revenue_12m=("revenue_12m", "sum"),
        net_profit_12m=("net_profit_12m", "sum"))
    g = g.reindex([t for t in TIERS if t in g.index])
    total_customers = g["customers"].sum()
    total_revenue = g["revenue_12m"].sum()
    total_profit = g["net_profit_12m"].sum()
    g["customer_share"] = g["customers"] / total_customers if total_customers else 0.0
    g["revenue_share"] = g["revenue_12m"] / total_revenue if total_revenue else 0.0
    g["profit_share"] = g["net_profit_12m"] / total_profit if total_profit else 0.0
    return g.reset_index()


def whale_curve(net_profit: pd.Series, points: int = 200) -> pd.DataFrame:
    """Cumulative share of total profit against share of customers ranked by profit (best first).

    Downsampled to at most ``points`` rows (plus the ends) so a chart never carries a point per customer.
    """
    values = np.sort(pd.to_numeric(net_profit, errors="coerce").dropna().to_numpy())[::-1]
    n = len(values)
    total = values.sum()
    if n == 0 or total == 0:
        return pd.DataFrame({"customer_share": [0.0, 1.0], "profit_share": [0.0, 0.0]})
    cum = np.concatenate([[0.0], np.cumsum(values)]) / total
    share = np.arange(n + 1) / n
    idx = np.unique(np.concatenate([np.linspace(0, n, min(points, n + 1)).round().astype(int),
                                    [int(np.argmax(cum))]]))
    return pd.DataFrame({"customer_share": share[idx], "profit_share": cum[idx]})


def whale_reading(net_profit: pd.Series, top: float = 0.20, bottom: float = 0.30) -> dict:
    """Kotler's 20/80/30 reading on the user's own data.

    Returns ``top_share`` (profit share of the top ``top`` customers by profit),
    ``bottom_share`` (profit share of the bottom ``bottom``, negative when they lose money),
    ``peak_share`` (the curve's highest point: profit before the loss-makers) and ``customers``.
    """
    values = np.sort(pd.to_numeric(net_profit, errors="coerce").dropna().to_numpy())[::-1]
    n = len(values)
    total = values.sum()
    if n == 0 or total == 0:
        return {"customers": n, "total_profit": float(total), "top_share": float("nan"),
                "bottom_share": float("nan"), "peak_share": float("nan")}
    k_top = max(1, int(round(top * n)))
    k_bottom = max(1, int(round(bottom * n)))
    return {
        "customers": n,
        "total_profit": float(total),
        "top_share": float(values[:k_top].sum() / total),
        "bottom_share": float(values[n - k_bottom:].sum() / total),
        "peak_share": float(np.max(np.cumsum(values)) / total),
    }


# Recommended action per value class (text in i18n under action.<class>).
ACTIONS = {
    "most_valuable": "action.most_valuable",
    "growable": "action.growable",
    "below_zero": "action.below_zero",
    "maintain": "action.maintain",
}
