"""Buy more of what they buy (seed 000): a shorter reorder cycle, a higher price band, a fuller margin per order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation.analysis import frames
from valuation.data.features import fetch_frame
from valuation.data.store import Store
from valuation.i18n.format import format_money, format_pct
from valuation.i18n.text import t
from valuation.model import persist

DAYS_PER_YEAR = 365.0
CYCLE_RATIO = 1.25  # a reorder cycle this many times the peers' median is clearly longer
MIN_PEERS = 3  # other customers a tier needs before its median says anything about one of them
MIN_BUYERS = 5  # buyers a category needs before its price bands mean anything
LOW_BAND = 1 / 3  # the lower of three price bands: at or below the category's first tercile
THIN_MARGIN_RATIO = 0.5  # a margin per order under half the peers' median is thin

PURCHASE_COLUMNS = ("customer_id", "category", "orders", "amount", "priced_orders", "priced_amount", "quantity",
                    "orders_12m", "orders_below_median")
FREQUENCY_COLUMNS = ("customer_id", "mean_gap_days", "peer_gap_days", "extra_orders_12m", "frequency_gain_12m",
                     "frequency_profit_12m")
UPSELL_COLUMNS = ("customer_id", "upsell_category", "price_paid", "band_price", "upsell_gain_per_order",
                  "upsell_gain_12m")
MARGIN_COLUMNS = ("customer_id", "margin_per_order", "peer_margin_per_order", "margin_gap_12m")
# The figures :func:`buy_more` adds to a list, after its text column ``buy_more``.
BUY_MORE_FIGURES = ("peer_gap_days", "frequency_gain_12m", "frequency_profit_12m", "upsell_category",
                    "upsell_gain_per_order", "upsell_gain_12m", "margin_per_order", "peer_margin_per_order")

# Purchases (positive amounts: returns left out) per customer and category up to the as-of date.
# ``price`` is the unit price when the dataset has quantities (rows without a positive quantity get
# none), else the order amount; ``orders_below_median`` counts the customer's orders priced below
# the category's median order price (price-sensitive customers in valuation.analysis.needs).
PURCHASES_SQL = """
WITH o AS (
    SELECT customer_id, CAST(category AS VARCHAR) AS category, order_date, amount,
           CASE WHEN $unit AND quantity > 0 THEN quantity END AS quantity
    FROM {orders}
    WHERE order_date <= $as_of AND amount > 0 AND category IS NOT NULL
),
p AS (
    SELECT *, CASE WHEN $unit THEN amount / quantity ELSE amount END AS price FROM o
),
m AS (
    SELECT category, MEDIAN(price) AS median_price FROM p GROUP BY category
)
SELECT p.customer_id, p.category,
       COUNT(*) AS orders,
       SUM(p.amount) AS amount,
       COUNT(p.price) AS priced_orders,
       SUM(CASE WHEN p.price IS NOT NULL THEN p.amount END) AS priced_amount,
       SUM(p.quantity) AS quantity,
       COUNT(CASE WHEN p.order_date > $start_12m THEN 1 END) AS orders_12m,
       COUNT(CASE WHEN p.price < m.median_price THEN 1 END) AS orders_below_median
FROM p JOIN m ON m.category = p.category
GROUP BY p.customer_id, p.category
ORDER BY p.customer_id, p.category
"""


_require = frames.require
_has_orders = frames.has_orders


def has_cost(scored: pd.DataFrame) -> bool:
    """Whether the scored frame's gross profit is real (its orders had a cost), else it is revenue."""
    availability = scored.attrs.get("availability")
    if availability is not None:
        return bool(availability.cost)
    return "gross_profit_12m" in scored


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("customer_id", "upsell_category") else float)
                         for c in columns})


def _targets(frame: pd.DataFrame, customers) -> pd.Series:
    """Mask of the rows of ``frame`` whose customer_id is in ``customers`` (all when None)."""
    if customers is None:
        return pd.Series(True, index=frame.index)
    # Index lookups, not Series.isin: isin on Arrow-backed text took seconds for 300,000 ids.
    wanted = pd.Index(pd.unique(np.asarray([str(c) for c in customers], dtype=object)))
    found = wanted.get_indexer(frame["customer_id"].astype(str).to_numpy(dtype=object)) >= 0
    return pd.Series(found, index=frame.index)


def peer_median(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Each row's median of the other rows of its group (leave-one-out); NaN for a group of one.

    ``values`` without NaN. Exact: with the group's values sorted, the others are the
    sorted list less the row's own position, so the median is read off by index.
    """
    out = pd.Series(np.nan, index=values.index, dtype=float)
    if values.empty:
        return out
    code, _ = pd.factorize(groups, sort=False)
    v = values.to_numpy(dtype=float)
    order = np.lexsort((v, code))
    sv, sc = v[order], code[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    sizes = np.diff(np.r_[starts, len(sv)])
    start = np.repeat(starts, sizes)
    n = np.repeat(sizes, sizes)
    rank = np.arange(len(sv)) - start  # the row's position within its sorted group
    m = n - 1  # the others
    ok = m > 0
    lo, hi = (m - 1) // 2, m // 2

    def other(k):  # the k-th smallest of the others: skip the row's own position
        k = np.where(ok, k, 0)
        return sv[start + k + (k >= rank)]

    med = np.where(ok, (other(lo) + other(hi)) / 2, np.nan)
    result = np.empty(len(v))
    result[order] = med
    out[:] = result
    return out


# --------------------------------------------------------------------------- data


def build_purchases_query(orders_ref: str, as_of: dt.date | str, unit: bool) -> tuple[str, dict]:
    """SQL and parameters of :func:`category_purchases` (unit prices when ``unit``, else order amounts)."""
    day = pd.Timestamp(as_of)
    return (PURCHASES_SQL.format(orders=orders_ref),
            {"as_of": day.date(), "start_12m": (day - pd.DateOffset(months=12)).date(), "unit": bool(unit)})


def category_purchases(store: Store, dataset: str, as_of: dt.date | str, unit: bool | None = None) -> pd.DataFrame:
    """What each customer bought of each category up to ``as_of`` (returns and blank categories left out).

    Parameters
    ----------
    store, dataset
        Where the orders are.
    as_of : date
        Orders after it do not count; ``orders_12m`` counts those in (as_of − 12 months, as_of].
    unit : bool, optional
        Prices per unit (amount / quantity); default: when the dataset's orders had a quantity column.

    Returns
    -------
    DataFrame with ``customer_id``, ``category``, ``orders``, ``amount``, ``priced_orders`` and
    ``priced_amount`` (the orders with a price: all of them without quantities, those with a positive
    quantity with), ``quantity`` (NaN without quantities), ``orders_12m`` and ``orders_below_median``
    (orders priced below the category's median order price). Empty when the orders have no category.
    """
    if unit is None:  # the dataset's own pricing: kept beside the date's prepared file for restarts
        return persist.kept_frame(store, dataset, pd.Timestamp(as_of).date(), "purchases1", lambda: category_purchases(
            store, dataset, as_of, "quantity" in store.provided_columns(dataset).get("orders", [])))
    sql, params = build_purchases_query(store.table_ref(dataset, "orders"), as_of, unit)
    out = fetch_frame(store.cursor(), sql, params)  # through Arrow: .df() took ~3 s at a million customers
    out = out.astype({"customer_id": str, "category": str}) if len(out) else out
    for col in ("amount", "priced_amount", "quantity"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    for col in ("orders", "priced_orders", "orders_12m", "orders_below_median"):
        out[col] = pd.to_numeric(out[col]).fillna(0).astype("int64")
    return out[list(PURCHASE_COLUMNS)]


def is_unit_priced(purchases: pd.DataFrame) -> bool:
    """Whether :func:`category_purchases` priced per unit (the dataset has quantities) or per order."""
    return "quantity" in purchases and bool(purchases["quantity"].notna().any())


# --------------------------------------------------------------------------- frequency


def frequency_gains(scored: pd.DataFrame, customers=None, *, ratio: float = CYCLE_RATIO,
                    min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """Customers who reorder clearly less often than their tier peers, and what the peers' rhythm is worth.

    A customer's cycle is ``mean_gap_days`` (two purchase days or more); their peers are
    the other customers of their tier with a cycle (at least ``min_peers``), and
    ``peer_gap_days`` is the peers' median. Where the cycle exceeds ``ratio`` × the peers'::

        extra_orders_12m     = 365 / peer_gap_days − 365 / mean_gap_days
        frequency_gain_12m   = extra_orders_12m × purchase_amount / purchase_days
        frequency_profit_12m = frequency_gain_12m × gross_profit_12m / revenue_12m

    (an order being a purchase day, the unit the cycle counts; ``avg_order_value`` when the
    frame has no purchase totals; the profit NaN without a cost or a 12-month revenue).

    Parameters
    ----------
    scored : DataFrame
        Needs ``customer_id``, ``tier``, ``mean_gap_days`` and ``purchase_amount`` with
        ``purchase_days`` or ``avg_order_value``; ``gross_profit_12m`` and ``revenue_12m``
        for the profit.
    customers : iterable of customer ids, optional
        Whom to suggest for (default: every customer with orders).

    Returns
    -------
    DataFrame with :data:`FREQUENCY_COLUMNS`, one row per customer with a suggestion, in the frame's order.
    """
    _require(scored, ["customer_id", "tier", "mean_gap_days"], "frequency_gains")
    if {"purchase_amount", "purchase_days"} <= set(scored.columns):
        days = scored["purchase_days"].astype(float)
        per_order = (scored["purchase_amount"].astype(float) / days.where(days > 0)).to_numpy()
    elif "avg_order_value" in scored:
        per_order = scored["avg_order_value"].astype(float).to_numpy()
    else:
        return _empty(FREQUENCY_COLUMNS)
    gap = scored["mean_gap_days"].astype(float)
    cycled = (_has_orders(scored) & (gap > 0)).to_numpy()  # NaN: fewer than two purchase days
    peer = pd.Series(np.nan, index=scored.index)
    peer[cycled] = peer_median(gap[cycled], scored.loc[cycled, "tier"].astype(str))
    # As floats: with nobody who bought twice the mapped counts of an empty text column stay text.
    peers = scored.loc[cycled, "tier"].astype(str).map(scored.loc[cycled, "tier"].astype(str).value_counts()).astype(float) - 1
    enough = pd.Series(False, index=scored.index)
    enough[cycled] = (peers >= min_peers).to_numpy()
    found = (enough & (peer > 0) & (gap > ratio * peer) & _targets(scored, customers)).to_numpy()
    found = found & np.isfinite(per_order) & (per_order > 0)
    rows = scored.loc[found]
    own, peer_gap = gap[found].to_numpy(), peer[found].to_numpy()
    extra = DAYS_PER_YEAR / peer_gap - DAYS_PER_YEAR / own
    gain = extra * per_order[found]
    margin = np.full(len(rows), np.nan)
    if has_cost(scored) and {"gross_profit_12m", "revenue_12m"} <= set(scored.columns):
        revenue = rows["revenue_12m"].to_numpy(dtype=float)
        margin = np.where(revenue > 0, rows["gross_profit_12m"].to_numpy(dtype=float) / np.where(revenue > 0, revenue, 1),
                          np.nan)
    return pd.DataFrame({"customer_id": rows["customer_id"].astype(str).to_numpy(), "mean_gap_days": own,
                         "peer_gap_days": peer_gap, "extra_orders_12m": extra, "frequency_gain_12m": gain,
                         "frequency_profit_12m": gain * margin})


# --------------------------------------------------------------------------- price bands


def upsell_offers(purchases: pd.DataFrame | None, customers=None, *, min_buyers: int = MIN_BUYERS,
                  low_band: float = LOW_BAND) -> pd.DataFrame:
    """Per customer, the category where they buy in the lower price band and peers buy higher, best gain first.

    Each buyer of a category has an average price there: per unit (``priced_amount`` /
    ``quantity``) when the purchases carry quantities, else per order (``amount`` /
    ``orders``). A category with at least ``min_buyers`` buyers has three price bands cut
    at the terciles of its buyers' prices; a customer at or below the lower cut and below
    the median is offered the median (``band_price``: the middle band)::

        upsell_gain_per_order = (band_price − price_paid) × units per order   (per unit)
                              = band_price − price_paid                       (per order)
        upsell_gain_12m       = upsell_gain_per_order × their orders of the category in 12 months

    Parameters
    ----------
    purchases : DataFrame or None
        :func:`category_purchases` output; None or empty gives no offers.
    customers : iterable of customer ids, optional
        Whom to offer to (default: every buyer); the bands are always cut over all buyers.

    Returns
    -------
    DataFrame with :data:`UPSELL_COLUMNS`: one row per customer (the category with the largest
    yearly gain, then per order, then by name), sorted by customer.
    """
    if purchases is None or purchases.empty:
        return _empty(UPSELL_COLUMNS)
    _require(purchases, PURCHASE_COLUMNS, "upsell_offers")
    unit = is_unit_priced(purchases)
    if unit:
        rows = purchases[purchases["quantity"] > 0]
        price = rows["priced_amount"] / rows["quantity"]
        per_order = rows["quantity"] / rows["priced_orders"]
    else:
        rows = purchases[purchases["orders"] > 0]
        price = rows["amount"] / rows["orders"]
        per_order = pd.Series(1.0, index=rows.index)
    rows = rows.assign(price_paid=price.astype(float), _units=per_order.astype(float))
    by = rows.groupby("category")["price_paid"]
    rows = rows.assign(_buyers=by.transform("size"), _low=by.transform(lambda p: p.quantile(low_band)),
                       band_price=by.transform("median"))
    offer = (rows["_buyers"] >= min_buyers) & (rows["price_paid"] <= rows["_low"]) & \
        (rows["price_paid"] < rows["band_price"]) & _targets(rows, customers)
    rows = rows[offer]
    if rows.empty:
        return _empty(UPSELL_COLUMNS)
    rows = rows.assign(upsell_gain_per_order=(rows["band_price"] - rows["price_paid"]) * rows["_units"])
    rows = rows.assign(upsell_gain_12m=rows["upsell_gain_per_order"] * rows["orders_12m"],
                       upsell_category=rows["category"])
    rows = rows.sort_values(["customer_id", "upsell_gain_12m", "upsell_gain_per_order", "category"],
                            ascending=[True, False, False, True], kind="mergesort")
    best = rows.drop_duplicates("customer_id")
    return best[list(UPSELL_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- margin per order


def thin_margin_orders(scored: pd.DataFrame, customers=None, *, ratio: float = THIN_MARGIN_RATIO,
                       min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """Customers whose gross margin per order is under ``ratio`` × their tier peers' median (cost data only).

    ``margin_per_order`` = gross_profit_12m / orders_12m (customers with an order in 12
    months); ``peer_margin_per_order`` the median of the tier's others (at least
    ``min_peers``); ``margin_gap_12m`` = (peer − own) × orders_12m: what their orders would
    have carried at the peers' margin. Empty without a cost column.
    """
    _require(scored, ["customer_id", "tier"], "thin_margin_orders")
    if not has_cost(scored) or not {"gross_profit_12m", "orders_12m"} <= set(scored.columns):
        return _empty(MARGIN_COLUMNS)
    orders = scored["orders_12m"].astype(float)
    active = (_has_orders(scored) & (orders > 0)).to_numpy()
    mpo = scored["gross_profit_12m"].astype(float) / orders.where(orders > 0)
    tier = scored.loc[active, "tier"].astype(str)
    peer = pd.Series(np.nan, index=scored.index)
    peer[active] = peer_median(mpo[active], tier)
    peers = pd.Series(0, index=scored.index)
    peers[active] = (tier.map(tier.value_counts()) - 1).to_numpy()
    found = active & (peers >= min_peers).to_numpy() & (peer > 0).to_numpy() & (mpo < ratio * peer).to_numpy() \
        & _targets(scored, customers).to_numpy()
    rows = scored.loc[found]
    return pd.DataFrame({"customer_id": rows["customer_id"].astype(str).to_numpy(),
                         "margin_per_order": mpo[found].to_numpy(), "peer_margin_per_order": peer[found].to_numpy(),
                         "margin_gap_12m": ((peer - mpo) * orders)[found].to_numpy()})


# --------------------------------------------------------------------------- all three, in words


def buy_more(scored: pd.DataFrame, purchases: pd.DataFrame | None, customers, lang: str = "en") -> pd.DataFrame:
    """The three suggestions for ``customers`` in ``lang``, one row each (empty text where none applies).

    Returns ``customer_id``, ``buy_more`` (the sentences joined) and :data:`BUY_MORE_FIGURES`
    (NaN where a suggestion does not apply), in the order of ``customers``.
    """
    ids = pd.Series([str(c) for c in customers], dtype=object)
    out = pd.DataFrame({"customer_id": ids})
    freq = frequency_gains(scored, ids)
    up = upsell_offers(purchases, ids)
    thin = thin_margin_orders(scored, ids)
    out = out.merge(freq, on="customer_id", how="left")
    out = out.merge(up, on="customer_id", how="left")
    out = out.merge(thin.drop(columns=["margin_gap_12m"]), on="customer_id", how="left")
    unit = purchases is not None and is_unit_priced(purchases)
    parts: list[list[str]] = [[] for _ in range(len(out))]
    col = {c: out[c].to_numpy() for c in out.columns}
    # Only the rows with a suggestion are formatted (most have none), one kind of sentence at a time.
    for i in np.flatnonzero(out["frequency_gain_12m"].notna().to_numpy()):
        values = {"own": f"{col['mean_gap_days'][i]:.0f}", "peer": f"{col['peer_gap_days'][i]:.0f}",
                  "revenue": format_money(col["frequency_gain_12m"][i], lang)}
        profit = col["frequency_profit_12m"][i]
        parts[i].append(t("buymore.frequency", lang, profit=format_money(profit, lang), **values)
                        if np.isfinite(profit) else t("buymore.frequency_revenue", lang, **values))  # NaN: no cost
    key = "buymore.upsell_unit" if unit else "buymore.upsell_order"
    for i in np.flatnonzero(out["upsell_gain_per_order"].notna().to_numpy()):
        parts[i].append(t(key, lang, category=col["upsell_category"][i], paid=format_money(col["price_paid"][i], lang),
                          band=format_money(col["band_price"][i], lang),
                          gain=format_money(col["upsell_gain_per_order"][i], lang)))
    for i in np.flatnonzero(out["margin_per_order"].notna().to_numpy()):
        own, peer = float(col["margin_per_order"][i]), float(col["peer_margin_per_order"][i])
        parts[i].append(t("buymore.thin_margin", lang, own=format_money(own, lang), peer=format_money(peer, lang),
                          pct=format_pct(own / peer)))
    sep = t("actions.separator", lang)
    texts = [sep.join(p) for p in parts]
    out.insert(1, "buy_more", texts)
    return out[["customer_id", "buy_more", *BUY_MORE_FIGURES]]
