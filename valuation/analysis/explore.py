"""Slicing customers and value by region, industry, category, channel, size, tier and time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation.analysis import frames
from valuation.data.features import fetch_frame
from valuation.data.store import Store
from valuation.model import lifecycle, tiers

# Customer-level dimensions come from the scored frame (one value per customer, as of the as-of date);
# order-level ones need the orders table and are aggregated in SQL.
CUSTOMER_DIMENSIONS = ("region", "industry", "size", "channel", "tier", "value_class", "rfm_class",
                       "rfm_segment", "lifecycle_stage", "grade_profit", "grade_potential", "grade_loyalty")
ORDER_DIMENSIONS = ("category", "order_channel", "month", "quarter", "year")
TIME_DIMENSIONS = ("month", "quarter", "year")
DIMENSIONS = CUSTOMER_DIMENSIONS + ORDER_DIMENSIONS
# Scored dimensions move with the weights and cut-offs; the others are attributes of the data.
SCORED_DIMENSIONS = ("tier", "value_class", "rfm_class", "rfm_segment", "lifecycle_stage", "grade_profit",
                     "grade_potential", "grade_loyalty")

CUSTOMER_MEASURES = ("customers", "revenue_12m", "net_profit_12m", "composite", "clv")
ORDER_MEASURES = ("revenue", "gross_profit", "orders", "customers")
MEAN_MEASURES = ("composite",)  # averages per customer; every other measure is a sum or a count
MONEY_MEASURES = ("revenue_12m", "net_profit_12m", "clv", "revenue", "gross_profit")

UNKNOWN = "(unknown)"  # the value of a dimension the data leaves empty
_SIZE_ORDER = ("微型", "小型", "中型", "大型", "特大型", "micro", "small", "medium", "large", "enterprise")
CANONICAL_ORDER: dict[str, tuple[str, ...]] = {
    "tier": tiers.TIERS,
    "value_class": tiers.VALUE_CLASSES + ("prospect",),
    "rfm_segment": tiers.RFM_SEGMENTS,
    "rfm_class": tiers.RFM_CLASSES,
    "grade_profit": tiers.GRADES["grade_profit"],
    "grade_potential": tiers.GRADES["grade_potential"],
    "grade_loyalty": tiers.GRADES["grade_loyalty"],
    "lifecycle_stage": lifecycle.STAGES,
    "size": _SIZE_ORDER,
}

# Order-level dimensions as SQL expressions over the orders table ``o``; customer-level ones are
# read from a registered frame ``a`` of customer_id → value. Only names in DIMENSIONS ever reach
# the SQL text: they are a fixed list, never user input.
_ORDER_DIM_SQL = {
    "category": "COALESCE(CAST(o.category AS VARCHAR), $unknown)",
    "order_channel": "COALESCE(CAST(o.channel AS VARCHAR), $unknown)",
    "month": "CAST(date_trunc('month', o.order_date) AS DATE)",
    "quarter": "CAST(date_trunc('quarter', o.order_date) AS DATE)",
    "year": "CAST(date_trunc('year', o.order_date) AS DATE)",
}
ATTRS_VIEW = "_explore_attrs"

SLICE_SQL = """
WITH r AS (
    SELECT {dim_select}, o.customer_id, o.amount, o.cost
    FROM {orders} o{join}
    WHERE o.order_date <= $as_of{start_clause}
),
cells AS (
    SELECT {dim_names}, customer_id,
           SUM(amount) AS revenue,
           SUM(amount - COALESCE(cost, 0)) AS gross_profit,
           SUM(CASE WHEN amount > 0 THEN 1 ELSE 0 END) AS orders
    FROM r
    GROUP BY {dim_names}, customer_id
)
SELECT {dim_names},
       SUM(revenue) AS revenue,
       SUM(gross_profit) AS gross_profit,
       SUM(orders) AS orders,
       SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END) AS customers
FROM cells
GROUP BY {dim_names}
ORDER BY {dim_names}
"""

GROWTH_SQL = """
SELECT customer_id,
       SUM(CASE WHEN order_date <= $mid THEN amount ELSE 0 END) AS revenue_before,
       SUM(CASE WHEN order_date > $mid THEN amount ELSE 0 END) AS revenue_recent
FROM {orders}
WHERE order_date <= $as_of AND order_date > $start
GROUP BY customer_id
ORDER BY customer_id
"""


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}")


def _check_dims(dims) -> tuple[str, ...]:
    dims = tuple(dims)
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; choose from {', '.join(DIMENSIONS)}")
    if not dims or len(set(dims)) != len(dims):
        raise ValueError(f"dimensions must be one or more distinct names, got {dims}")
    return dims


def is_order_level(dims) -> bool:
    """True when any dimension needs order rows (category, order channel, time)."""
    return any(d in ORDER_DIMENSIONS for d in dims)


def measures_for(dims, cost: bool = True) -> tuple[str, ...]:
    """The measures a slice by ``dims`` offers: order measures when orders are needed, else customer ones.

    Without a cost column (``cost=False``) gross profit would only repeat revenue, so it is not offered.
    """
    if not is_order_level(dims):
        return CUSTOMER_MEASURES
    return ORDER_MEASURES if cost else tuple(m for m in ORDER_MEASURES if m != "gross_profit")


def available_dimensions(scored: pd.DataFrame, provided: dict[str, list[str]]) -> tuple[str, ...]:
    """The dimensions this dataset can be sliced by.

    Customer attributes count when at least one customer with orders has a value;
    category and order channel when the orders file had the column; time always.
    """
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    out = []
    for dim in CUSTOMER_DIMENSIONS:
        if dim in scored and scored.loc[has, dim].notna().any():
            out.append(dim)
    order_cols = set(provided.get("orders", []))
    if "category" in order_cols:
        out.append("category")
    if "channel" in order_cols:
        out.append("order_channel")
    out.extend(TIME_DIMENSIONS)
    return tuple(out)


def has_cost(provided: dict[str, list[str]]) -> bool:
    """Whether the orders carried a cost (or margin) column, so gross profit is real."""
    return "cost" in provided.get("orders", [])


# --------------------------------------------------------------------------- ordering


def value_order(dim: str, values, weight: pd.Series | None = None) -> list:
    """The display order of a dimension's values.

    Time runs chronologically; tiers, classes, segments, stages and sizes keep
    their canonical order; other values (region, industry, category, channel)
    go by ``weight`` (a Series indexed by value) largest first, then by name.
    The unknown value always comes last.
    """
    present = list(pd.unique(pd.Series(list(values), dtype=object)))
    unknown = [v for v in present if v == UNKNOWN]
    present = [v for v in present if v != UNKNOWN]
    if dim in TIME_DIMENSIONS:
        return sorted(present, key=pd.Timestamp) + unknown
    if dim in CANONICAL_ORDER:
        canon = CANONICAL_ORDER[dim]
        known = [c for c in canon if c in present]
        return known + sorted((v for v in present if v not in canon), key=str) + unknown
    if weight is not None:
        w = weight.reindex(present).fillna(-np.inf).to_numpy(dtype=float)
        return [v for _, v in sorted(zip(-w, present), key=lambda p: (p[0], str(p[1])))] + unknown
    return sorted(present, key=str) + unknown


def _order_weight(frame: pd.DataFrame, dim: str, measure: str | None) -> pd.Series | None:
    if measure is None or measure not in frame:
        measure = "customers" if "customers" in frame else None
    if measure is None:
        return None
    if measure in MEAN_MEASURES and "customers" in frame:
        w = frame[measure].fillna(0) * frame["customers"]
        return w.groupby(frame[dim]).sum() / frame["customers"].groupby(frame[dim]).sum()
    return frame[measure].groupby(frame[dim]).sum()


def sort_slice(frame: pd.DataFrame, dims, measure: str | None = None) -> pd.DataFrame:
    """Rows in display order: each dimension by :func:`value_order`, the first one outermost."""
    dims = list(dims)
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = {}
    for dim in dims:
        order = value_order(dim, frame[dim], _order_weight(frame, dim, measure))
        rank = {v: i for i, v in enumerate(order)}
        keys[f"_k_{dim}"] = frame[dim].map(rank)
    ranked = frame.assign(**keys).sort_values(list(keys), kind="mergesort")
    return ranked.drop(columns=list(keys)).reset_index(drop=True)


# --------------------------------------------------------------------------- customer-level slices


def customer_slice(scored: pd.DataFrame, dims, measure: str | None = None) -> pd.DataFrame:
    """Customers with orders grouped by customer-level dimensions.

    Parameters
    ----------
    scored : DataFrame
        :func:`valuation.model.pipeline.score` output: ``customer_id``, ``has_orders``,
        the dimension columns, ``revenue_12m``, ``net_profit_12m``, ``composite``
        (``clv`` when present).
    dims : sequence of str
        Names from :data:`CUSTOMER_DIMENSIONS`.
    measure : str, optional
        Orders nominal values largest first by this measure (default: customers).

    Returns
    -------
    DataFrame with the dimension columns (an empty value becomes :data:`UNKNOWN`),
    ``customers``, ``revenue_12m``, ``net_profit_12m`` (sums), ``composite``
    (mean) and ``clv`` (sum), in display order. Prospects are left out.
    """
    dims = _check_dims(dims)
    if is_order_level(dims):
        raise ValueError(f"customer_slice takes customer-level dimensions only, got {dims}")
    _require(scored, ["customer_id", "revenue_12m", "net_profit_12m", "composite", *dims], "customer_slice")
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    # Only the columns used: masking every column of a million-row scored frame took seconds.
    used = [c for c in ("customer_id", "revenue_12m", "net_profit_12m", "composite", "clv", *dims) if c in scored]
    buyers = scored.loc[has, used]
    keys = {d: buyers[d].astype(object).where(buyers[d].notna(), UNKNOWN) for d in dims}
    frame = pd.DataFrame({**keys, "customer_id": buyers["customer_id"].to_numpy(),
                          "revenue_12m": buyers["revenue_12m"].to_numpy(dtype=float),
                          "net_profit_12m": buyers["net_profit_12m"].to_numpy(dtype=float),
                          "composite": buyers["composite"].to_numpy(dtype=float),
                          "clv": (buyers["clv"].to_numpy(dtype=float) if "clv" in buyers
                                  else np.full(len(buyers), np.nan))})
    out = frame.groupby(list(dims), sort=False, dropna=False).agg(
        customers=("customer_id", "size"), revenue_12m=("revenue_12m", "sum"),
        net_profit_12m=("net_profit_12m", "sum"), composite=("composite", "mean"),
        clv=("clv", "sum")).reset_index()
    out["customers"] = out["customers"].astype("int64")
    return sort_slice(out, dims, measure)


# --------------------------------------------------------------------------- order-level slices


def window_start(as_of: dt.date, months: int | None) -> dt.date | None:
    """Start of the half-open window (start, as_of] of ``months`` calendar months; None = all history."""
    if months is None:
        return None
    return (pd.Timestamp(as_of) - pd.DateOffset(months=int(months))).date()


def build_slice_query(dims, orders_ref: str, as_of: dt.date, months: int | None = None,
                      attrs_ref: str | None = None) -> tuple[str, dict]:
    """The SQL and parameters of an order-level slice by ``dims`` (see :func:`order_slice`).

    Order-level dimensions are expressions over the orders table; customer-level
    ones are read from ``attrs_ref`` (a view with ``customer_id`` and one column per
    such dimension), left-joined so orders of an unscored customer count as unknown.
    """
    dims = _check_dims(dims)
    customer_dims = [d for d in dims if d not in ORDER_DIMENSIONS]
    if customer_dims and attrs_ref is None:
        raise ValueError(f"dimension(s) {', '.join(customer_dims)} need a customer attribute view")
    select = []
    for i, dim in enumerate(dims):
        expr = _ORDER_DIM_SQL.get(dim) or f"COALESCE(CAST(a.{dim} AS VARCHAR), $unknown)"
        select.append(f"{expr} AS d{i}")
    names = ", ".join(f"d{i}" for i in range(len(dims)))
    join = f"\n    LEFT JOIN {attrs_ref} a ON a.customer_id = o.customer_id" if customer_dims else ""
    params: dict = {"as_of": pd.Timestamp(as_of).date()}
    start = window_start(as_of, months)
    start_clause = ""
    if start is not None:
        start_clause = " AND o.order_date > $start"
        params["start"] = start
    if any(d not in TIME_DIMENSIONS for d in dims):
        params["unknown"] = UNKNOWN
    sql = SLICE_SQL.format(dim_select=", ".join(select), dim_names=names, orders=orders_ref, join=join,
                           start_clause=start_clause)
    return sql, params


def order_slice(store: Store, dataset: str, dims, as_of: dt.date, months: int | None = None,
                attrs: pd.DataFrame | None = None, measure: str | None = None) -> pd.DataFrame:
    """Revenue, gross profit, orders and customers per cell of ``dims``, aggregated in SQL.

    Parameters
    ----------
    store, dataset
        Where the orders are.
    dims : sequence of str
        Any of :data:`DIMENSIONS`; at least one from :data:`ORDER_DIMENSIONS`
        (else use :func:`customer_slice`).
    as_of : date
        Only orders on or before it count.
    months : int, optional
        Only the last ``months`` calendar months (start, as_of]; None = all history.
    attrs : DataFrame, optional
        ``customer_id`` and a column per customer-level dimension in ``dims``
        (e.g. the scored tier); registered into DuckDB, never joined in pandas.

    Returns
    -------
    DataFrame with the dimension columns (time as Timestamps of the period start,
    empty text as :data:`UNKNOWN`), ``revenue`` (returns netted), ``gross_profit``
    (revenue − cost; NaN when the dataset has no cost), ``orders`` (rows with a
    positive amount) and ``customers`` (who bought in the cell), in display order.
    """
    dims = _check_dims(dims)
    customer_dims = [d for d in dims if d not in ORDER_DIMENSIONS]
    cur = store.cursor()
    attrs_ref = None
    if customer_dims:
        if attrs is None:
            raise ValueError(f"dimension(s) {', '.join(customer_dims)} need ``attrs`` (customer_id → value)")
        _require(attrs, ["customer_id", *customer_dims], "order_slice attrs")
        view = pd.DataFrame({"customer_id": attrs["customer_id"].astype(str).to_numpy(),
                             **{d: attrs[d].astype(object).where(attrs[d].notna(), None).to_numpy()
                                for d in customer_dims}})
        cur.register(ATTRS_VIEW, view)
        attrs_ref = ATTRS_VIEW
    try:
        sql, params = build_slice_query(dims, store.table_ref(dataset, "orders"), as_of, months, attrs_ref)
        raw = cur.execute(sql, params).df()
    finally:
        if attrs_ref:
            cur.unregister(ATTRS_VIEW)
        cur.close()
    out = raw.rename(columns={f"d{i}": d for i, d in enumerate(dims)})
    for dim in dims:
        if dim in TIME_DIMENSIONS:
            out[dim] = pd.to_datetime(out[dim])
        else:
            out[dim] = out[dim].astype(object)
    for col in ("revenue", "gross_profit"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    for col in ("orders", "customers"):
        out[col] = pd.to_numeric(out[col]).fillna(0).astype("int64")
    if not has_cost(store.provided_columns(dataset)):
        out["gross_profit"] = np.nan
    return sort_slice(out, dims, measure)


def slice_table(scored: pd.DataFrame, dims, store: Store | None = None, dataset: str | None = None,
                as_of: dt.date | None = None, months: int | None = None,
                measure: str | None = None) -> pd.DataFrame:
    """One entry for any slice: customer-level dims from ``scored``, the rest through SQL on ``store``."""
    dims = _check_dims(dims)
    if not is_order_level(dims):
        return customer_slice(scored, dims, measure)
    if store is None or dataset is None or as_of is None:
        raise ValueError("an order-level slice needs store, dataset and as_of")
    customer_dims = [d for d in dims if d not in ORDER_DIMENSIONS]
    attrs = scored[["customer_id", *customer_dims]] if customer_dims else None
    return order_slice(store, dataset, dims, as_of, months, attrs, measure)


def pivot(frame: pd.DataFrame, dims, measure: str) -> pd.DataFrame:
    """A two-dimensional slice as a grid: rows ``dims[0]``, columns ``dims[1]``, cells ``measure``.

    Rows and columns follow :func:`value_order` (nominal values by their total of
    the measure); empty cells are NaN.
    """
    d0, d1 = dims
    _require(frame, [d0, d1, measure], "pivot")
    if frame.empty:
        return pd.DataFrame(index=pd.Index([], name=d0), columns=pd.Index([], name=d1), dtype=float)
    grid = frame.set_index([d0, d1])[measure].unstack(d1)
    rows = value_order(d0, frame[d0], _order_weight(frame, d0, measure))
    cols = value_order(d1, frame[d1], _order_weight(frame, d1, measure))
    grid = grid.reindex(index=rows, columns=cols)
    grid.index.name, grid.columns.name = d0, d1
    return grid


# --------------------------------------------------------------------------- CLV against acquisition cost


def clv_cac_missing(scored: pd.DataFrame) -> tuple[str, ...]:
    """Which of ``acquisition_cost`` and ``channel`` the customers with orders have no value for at all."""
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    return tuple(c for c in ("acquisition_cost", "channel")
                 if c not in scored or not scored.loc[has, c].notna().any())


def _clv_cac_stats(group: pd.DataFrame) -> dict:
    cac = pd.to_numeric(group["acquisition_cost"], errors="coerce") if "acquisition_cost" in group \
        else pd.Series(np.nan, index=group.index)
    clv = pd.to_numeric(group["clv"], errors="coerce")
    mean_clv = float(clv.mean()) if len(clv) else float("nan")
    mean_cac = float(cac.mean()) if cac.notna().any() else float("nan")
    return {"customers": int(len(group)), "customers_with_cac": int(cac.notna().sum()),
            "mean_clv": mean_clv, "mean_cac": mean_cac,
            "clv_cac_ratio": mean_clv / mean_cac if np.isfinite(mean_cac) and mean_cac > 0 else float("nan"),
            "total_clv": float(clv.sum()), "total_cac": float(cac.sum()) if cac.notna().any() else float("nan")}


def clv_vs_cac(scored: pd.DataFrame, by: str = "channel") -> pd.DataFrame:
    """Mean CLV against mean acquisition cost per channel (or another customer column), with their ratio.

    Customers with orders only. ``mean_clv`` is over all the group's customers,
    ``mean_cac`` over those with a known acquisition cost (``customers_with_cac``),
    ``clv_cac_ratio`` = mean_clv / mean_cac (NaN without a positive cost). An
    empty channel is :data:`UNKNOWN`. Sorted by ratio, best first.
    """
    _require(scored, ["clv"], "clv_vs_cac")
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    buyers = scored.loc[has, [c for c in dict.fromkeys((by, "clv", "acquisition_cost")) if c in scored]]
    key = (buyers[by].astype(object).where(buyers[by].notna(), UNKNOWN) if by in buyers
           else pd.Series(UNKNOWN, index=buyers.index, dtype=object))
    rows = [{by: value, **_clv_cac_stats(group)} for value, group in buyers.groupby(key, sort=True)]
    out = pd.DataFrame(rows, columns=[by, "customers", "customers_with_cac", "mean_clv", "mean_cac",
                                      "clv_cac_ratio", "total_clv", "total_cac"])
    out = out.assign(_unknown=out[by] == UNKNOWN, _ratio=out["clv_cac_ratio"].fillna(-np.inf))
    out = out.sort_values(["_unknown", "_ratio", by], ascending=[True, False, True], kind="mergesort")
    return out.drop(columns=["_unknown", "_ratio"]).reset_index(drop=True)


def clv_cac_overall(scored: pd.DataFrame) -> dict:
    """:func:`clv_vs_cac`'s figures over all customers with orders."""
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    return _clv_cac_stats(scored.loc[has, [c for c in ("clv", "acquisition_cost") if c in scored]])


# --------------------------------------------------------------------------- top and growing customers

TOP_COLUMNS = ("customer_id", "name", "tier", "value_class", "region", "industry", "composite", "clv",
               "net_profit_12m", "revenue_12m")


def top_customers(scored: pd.DataFrame, by: str = "composite", n: int = 20) -> pd.DataFrame:
    """The ``n`` customers with orders highest on ``by`` (composite, clv, net_profit_12m …); ties by id."""
    _require(scored, ["customer_id", by], "top_customers")
    has = scored["has_orders"].astype(bool) if "has_orders" in scored else pd.Series(True, index=scored.index)
    cols = [c for c in TOP_COLUMNS if c in scored]
    if by not in cols:
        cols.append(by)
    keep = (has & scored[by].notna()).to_numpy(dtype=bool, copy=True)
    if pd.api.types.is_numeric_dtype(scored[by]):
        # Only rows at or above the n-th largest value can make the top n (ties included): sorting
        # those few instead of a million gives the same rows in the same order.
        values = scored[by].to_numpy(dtype=float, na_value=np.nan)
        threshold = frames.top_threshold(np.where(keep, values, np.nan), n)
        if threshold is not None:
            keep &= values >= threshold
    ranked = scored.loc[keep, cols].sort_values(
        [by, "customer_id"], ascending=[False, True], kind="mergesort")
    return ranked.head(n).reset_index(drop=True)


def growth_windows(as_of: dt.date, months: int) -> dict[str, dt.date]:
    """The two windows compared: before = (start, mid], recent = (mid, as_of], each ``months`` long.

    Also the first day of each window (``before_first``, ``recent_first``), for display.
    """
    ts = pd.Timestamp(as_of)
    start = ts - pd.DateOffset(months=2 * int(months))
    mid = ts - pd.DateOffset(months=int(months))
    day = pd.Timedelta(days=1)
    return {"start": start.date(), "mid": mid.date(), "as_of": ts.date(),
            "before_first": (start + day).date(), "recent_first": (mid + day).date()}


def build_growth_query(orders_ref: str, as_of: dt.date, months: int) -> tuple[str, dict]:
    """SQL and parameters for each customer's revenue in the recent and the earlier window."""
    w = growth_windows(as_of, months)
    return GROWTH_SQL.format(orders=orders_ref), {k: w[k] for k in ("start", "mid", "as_of")}


def category_buyers(store: Store, dataset: str, as_of: dt.date | None, categories, months: int | None) -> set:
    """Ids of customers who bought any of ``categories`` in the ``months`` before ``as_of`` (all
    history when ``months`` is None): the product filter of the top and fastest-growing lists."""
    ref = store.table_ref(dataset, "orders")
    start = None if not months else (pd.Timestamp(as_of or dt.date.today()) - pd.DateOffset(months=int(months))).date()
    sql = (f"SELECT DISTINCT customer_id FROM {ref} WHERE amount > 0 AND category IN (SELECT UNNEST($cats)) "
           "AND ($as_of IS NULL OR order_date <= $as_of) AND ($start IS NULL OR order_date > $start)")
    rows = store.cursor().execute(sql, {"cats": [str(c) for c in categories], "as_of": as_of,
                                        "start": start}).fetchall()
    return {r[0] for r in rows}


def restrict(scored: pd.DataFrame, regions=(), buyers: set | None = None) -> pd.DataFrame:
    """The customers of ``scored`` in ``regions`` (all when empty) and among ``buyers`` (all when None)."""
    mask = pd.Series(True, index=scored.index)
    if regions and "region" in scored:
        mask &= scored["region"].isin(list(regions))
    if buyers is not None:
        mask &= scored["customer_id"].isin(buyers)
    return scored[mask]


def revenue_change(store: Store, dataset: str, as_of: dt.date, months: int) -> pd.DataFrame:
    """Per customer: revenue in the last ``months`` months against the ``months`` before (SQL, as-of aware).

    Returns ``customer_id``, ``revenue_before``, ``revenue_recent`` and ``change``
    (recent − before), for customers with an order row in either window.
    """
    sql, params = build_growth_query(store.table_ref(dataset, "orders"), as_of, months)
    out = fetch_frame(store.cursor(), sql, params)  # through Arrow: a row per customer
    for col in ("revenue_before", "revenue_recent"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    out["change"] = out["revenue_recent"] - out["revenue_before"]
    return out


def fastest_growing(change: pd.DataFrame, scored: pd.DataFrame | None = None, min_base: float = 5000.0,
                    top: int = 20, by: str = "rate") -> pd.DataFrame:
    """Customers whose revenue grew most between the two windows of :func:`revenue_change`.

    ``growth_rate`` = change / revenue_before, defined only when the earlier window
    had at least ``min_base`` of revenue (a tiny base makes any rate meaningless).
    ``by="rate"`` ranks those by rate; ``by="change"`` ranks every grower by the
    amount gained. Only customers who grew are listed. With ``scored``, name, tier,
    region and industry are added.
    """
    _require(change, ["customer_id", "revenue_before", "revenue_recent", "change"], "fastest_growing")
    if by not in ("rate", "change"):
        raise ValueError(f"by must be 'rate' or 'change', got {by!r}")
    out = change.copy()
    base_ok = out["revenue_before"] >= float(min_base)
    out["growth_rate"] = np.where(base_ok, out["change"] / out["revenue_before"].where(base_ok, 1.0), np.nan)
    out = out[out["change"] > 0]
    if by == "rate":
        out = out[out["growth_rate"].notna()].sort_values(["growth_rate", "change", "customer_id"],
                                                          ascending=[False, False, True], kind="mergesort")
    else:
        out = out.sort_values(["change", "customer_id"], ascending=[False, True], kind="mergesort")
    out = out.head(top)
    if scored is not None:
        extra = [c for c in ("name", "tier", "region", "industry") if c in scored]
        out = out.merge(scored[["customer_id", *extra]], on="customer_id", how="left")
        out = out[["customer_id", *extra, "revenue_before", "revenue_recent", "change", "growth_rate"]]
    return out.reset_index(drop=True)
