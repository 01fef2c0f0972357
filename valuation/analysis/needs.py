"""Needs-based segments from behaviour (seed 003): price-sensitive, service-seeking, brand-loyal, other."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from valuation.analysis.upsell import PURCHASE_COLUMNS, has_cost

SEGMENTS = ("price_sensitive", "service_seeking", "loyal", "other")
# A customer may match several rules; their one segment is the first they match in this order.
# Price first: a loyal or demanding customer who buys on price is still won or lost on price.
PRECEDENCE = ("price_sensitive", "service_seeking", "loyal")
PERCENTILE = 0.75  # "well above": at or above this percentile of the dataset's customers
MOST = 0.5  # "most orders": more than this share of them
MIN_PRICED_ORDERS = 3  # "most orders" of one or two orders says nothing about price sensitivity
MIN_REPEAT_DAYS = 2  # loyalty needs repeat buying: at least this many purchase days (and the median)
SUMMARY_COLUMNS = ("needs_segment", "customers", "matching", "revenue_12m", "net_profit_12m", "composite")


@dataclass(frozen=True)
class NeedsSegments:
    """What :func:`needs_segments` found.

    ``customers``: one row per customer with orders (``needs_segment``, a ``match_<segment>``
    flag per offered rule, the signals behind them, revenue, profit, composite);
    ``thresholds``: the cut-offs the percentile gave on this dataset; ``unavailable``:
    segment → why it is not offered (an i18n key); ``partial``: i18n keys of rules that run
    on part of their evidence.
    """

    customers: pd.DataFrame
    thresholds: dict = field(default_factory=dict)
    unavailable: dict = field(default_factory=dict)
    partial: tuple = ()

    @property
    def offered(self) -> tuple[str, ...]:
        return tuple(s for s in SEGMENTS if s not in self.unavailable)


def _quantile(values: pd.Series, q: float) -> float:
    values = values.dropna()
    return float(values.quantile(q)) if len(values) else float("nan")


def needs_signals(scored: pd.DataFrame, purchases: pd.DataFrame | None, *, cost: bool | None = None,
                  service: bool | None = None) -> pd.DataFrame:
    """The behaviour behind each rule, per customer with orders (NaN where the customer has none).

    - ``below_median_share``: their orders priced below the category's median (per unit with
      quantities, per order without) / their priced orders (purchases; at least
      :data:`MIN_PRICED_ORDERS` of them);
    - ``margin_rate``: gross_profit_12m / revenue_12m (cost data, revenue in 12 months);
    - ``service_per_order``: service_events_12m / orders_12m (service data, an order in 12 months);
    - ``top_category_share``: spend in their largest category / all their spend with a category;
    - ``purchase_days``.

    Columns whose data the dataset lacks are left out (``cost``, ``service``: default from
    ``scored.attrs["availability"]``; categories: ``purchases`` None or empty).
    """
    for column in ("customer_id", "tier"):
        if column not in scored:
            raise ValueError(f"needs_signals needs column {column}")
    availability = scored.attrs.get("availability")
    cost = has_cost(scored) if cost is None else cost
    if service is None:
        service = bool(availability.service) if availability is not None else "service_events_12m" in scored
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else scored["tier"] != "prospect"
    keep = [c for c in ("customer_id", "name", "tier", "revenue_12m", "net_profit_12m", "composite", "purchase_days",
                        "gross_profit_12m", "orders_12m", "service_events_12m") if c in scored]
    out = scored.loc[has, keep].copy()
    out.attrs = {}
    out["customer_id"] = out["customer_id"].astype(str)
    if purchases is not None and not purchases.empty:
        missing = [c for c in PURCHASE_COLUMNS if c not in purchases]
        if missing:
            raise ValueError(f"needs_signals needs purchase column(s) {', '.join(missing)}")
        by = purchases.assign(customer_id=purchases["customer_id"].astype(str)).groupby("customer_id")
        priced = by["priced_orders"].sum()
        below = by["orders_below_median"].sum() / priced.where(priced >= MIN_PRICED_ORDERS)
        total = by["amount"].sum()
        top = by["amount"].max() / total.where(total > 0)
        out["below_median_share"] = out["customer_id"].map(below).astype(float)
        out["top_category_share"] = out["customer_id"].map(top).astype(float)
    if cost and {"gross_profit_12m", "revenue_12m"} <= set(out.columns):
        revenue = out["revenue_12m"].astype(float)
        out["margin_rate"] = out["gross_profit_12m"].astype(float) / revenue.where(revenue > 0)
    if service and {"service_events_12m", "orders_12m"} <= set(out.columns):
        orders = out["orders_12m"].astype(float)
        out["service_per_order"] = out["service_events_12m"].astype(float) / orders.where(orders > 0)
    return out.drop(columns=[c for c in ("gross_profit_12m", "orders_12m", "service_events_12m") if c in out])


def needs_segments(scored: pd.DataFrame, purchases: pd.DataFrame | None, percentile: float = PERCENTILE, *,
                   cost: bool | None = None, service: bool | None = None) -> NeedsSegments:
    """Customers with orders in needs-based segments, every cut-off a percentile of this dataset.

    With ``p`` = ``percentile`` (0.75: the top quarter) and the signals of :func:`needs_signals`:

    - **price_sensitive** (价格敏感型): ``below_median_share`` > 0.5 (most orders) and at or
      above its p-th percentile; or ``margin_rate`` at or below its (1 − p)-th percentile;
    - **service_seeking** (服务追求型): ``service_per_order`` above 0 and the median and at or
      above its p-th percentile;
    - **loyal** (品牌忠诚型): ``top_category_share`` at or above its p-th percentile and
      ``purchase_days`` at least 2 and the median (repeat buying);
    - **other** (其他/综合型): none of these.

    A customer may match several (``match_<segment>``); ``needs_segment`` is the first in
    :data:`PRECEDENCE`. A rule whose data is missing is not offered: service-seeking without a
    service table, loyal without categories, price-sensitive without both categories and cost
    (with one of them it runs on that one and ``partial`` says so).

    Parameters
    ----------
    scored : DataFrame
        ``pipeline.score`` output: ``customer_id``, ``tier``, ``has_orders``, ``revenue_12m``,
        ``net_profit_12m``, ``composite``, ``purchase_days``, ``gross_profit_12m``,
        ``orders_12m``, ``service_events_12m``.
    purchases : DataFrame or None
        ``upsell.category_purchases`` output; None or empty when the orders have no category.
    percentile : float in (0.5, 1)
    """
    if not 0.5 < percentile < 1:
        raise ValueError(f"percentile must be between 0.5 and 1, got {percentile}")
    frame = needs_signals(scored, purchases, cost=cost, service=service)
    p = float(percentile)
    thresholds: dict[str, float] = {}
    unavailable: dict[str, str] = {}
    partial: list[str] = []
    matches: dict[str, pd.Series] = {}
    no = pd.Series(False, index=frame.index)

    by_price = "below_median_share" in frame
    by_margin = "margin_rate" in frame
    if by_price or by_margin:
        match = no.copy()
        if by_price:
            cut = max(_quantile(frame["below_median_share"], p), MOST)
            thresholds["below_median_share"] = cut
            match |= (frame["below_median_share"] > MOST) & (frame["below_median_share"] >= cut)
        if by_margin:
            cut = _quantile(frame["margin_rate"], 1 - p)
            thresholds["margin_rate"] = cut
            match |= frame["margin_rate"] <= cut
        if not (by_price and by_margin):
            partial.append("needs.partial.price_no_cost" if by_price else "needs.partial.price_no_category")
        matches["price_sensitive"] = match.fillna(False)
    else:
        unavailable["price_sensitive"] = "needs.missing.price_sensitive"

    if "service_per_order" in frame:
        rate = frame["service_per_order"]
        cut = max(_quantile(rate, p), 0.0)
        thresholds["service_per_order"] = cut
        matches["service_seeking"] = ((rate > 0) & (rate > _quantile(rate, 0.5)) & (rate >= cut)).fillna(False)
    else:
        unavailable["service_seeking"] = "needs.missing.service_seeking"

    if "top_category_share" in frame and "purchase_days" in frame:
        share = frame["top_category_share"]
        cut = _quantile(share, p)
        days = max(float(MIN_REPEAT_DAYS), _quantile(frame["purchase_days"].astype(float), 0.5))
        thresholds["top_category_share"], thresholds["purchase_days"] = cut, days
        matches["loyal"] = ((share >= cut) & (frame["purchase_days"] >= days)).fillna(False)
    else:
        unavailable["loyal"] = "needs.missing.loyal"

    segment = pd.Series("other", index=frame.index, dtype=object)
    for name in reversed(PRECEDENCE):  # the first in precedence is written last
        if name in matches:
            segment[matches[name].to_numpy(dtype=bool)] = name
    at = list(frame.columns).index("tier") + 1
    frame.insert(at, "needs_segment", segment)
    for i, name in enumerate(s for s in PRECEDENCE if s in matches):
        frame.insert(at + 1 + i, f"match_{name}", matches[name].astype(bool))
    return NeedsSegments(frame.reset_index(drop=True), thresholds, unavailable, tuple(partial))


def needs_summary(result: NeedsSegments) -> pd.DataFrame:
    """Per offered segment (and other): customers in it (each once, by precedence), customers matching
    its rule (overlaps counted), their 12-month revenue and net profit, and their mean composite."""
    frame = result.customers
    rows = []
    for name in result.offered:
        members = frame[frame["needs_segment"] == name]
        flag = f"match_{name}"
        matching = int(frame[flag].sum()) if flag in frame else len(members)
        rows.append({"needs_segment": name, "customers": len(members), "matching": matching,
                     "revenue_12m": float(members["revenue_12m"].sum()) if "revenue_12m" in members else np.nan,
                     "net_profit_12m": float(members["net_profit_12m"].sum()) if "net_profit_12m" in members else np.nan,
                     "composite": float(members["composite"].mean()) if "composite" in members and len(members)
                     else np.nan})
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.astype({"customers": "int64", "matching": "int64"})
