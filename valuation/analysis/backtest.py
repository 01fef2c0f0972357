"""Backtest on the user's own history: score as of an earlier date, compare with what happened next.

The customers are scored as they stood ``horizon_months`` before the as-of date (the
features are as-of aware, so nothing later is used), and what each of them really bought
in the window after that date is measured from the store. The figures say whether the
tiers sort customers by the profit they went on to earn, whether CLV ranks them better
than last year's profit would have, and how close the purchase forecast came.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from valuation.data import sources
from valuation.data.features import Availability, fetch_frame
from valuation.data.store import Store
from valuation.model import clv as clv_models
from valuation.model import persist
from valuation.model.settings import Settings

TIER_ROWS = ("A", "B", "C", "D", "below_zero")
CLASS_ROWS = ("most_valuable", "growable", "maintain", "below_zero")
PREDICTORS = {"clv": "clv", "naive": "net_profit_12m", "composite": "composite"}
TOP_SHARE = 0.10
FREQUENCY_CAP = 7  # frequency rows 0 … 6, then "7+"
FREQUENCY_ROWS = tuple(str(i) for i in range(FREQUENCY_CAP)) + (f"{FREQUENCY_CAP}+",)
GROUP_COLUMNS = ("customers", "customer_share", "bought", "revenue", "net_profit", "profit_share",
                 "profit_per_customer")

# What each customer did in (scored_at, as_of]: one query, dates as parameters. Purchase days
# count days with a positive amount, once per day, as the features' purchase_days does.
REALISED_SQL = """
WITH o AS (
    SELECT customer_id,
           COUNT(*) AS order_rows,
           COUNT(DISTINCT CASE WHEN amount > 0 THEN order_date END) AS purchase_days,
           SUM(amount) AS revenue,
           SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS spend,
           SUM(amount - COALESCE(cost, 0)) AS margin
    FROM {orders}
    WHERE order_date > $scored_at AND order_date <= $as_of
    GROUP BY customer_id
),
s AS (
    SELECT customer_id, SUM(COALESCE(cost, 0)) AS service_cost
    FROM {service}
    WHERE date > $scored_at AND date <= $as_of
    GROUP BY customer_id
)
SELECT COALESCE(o.customer_id, s.customer_id) AS customer_id,
       o.order_rows, o.purchase_days, o.revenue, o.spend, o.margin, s.service_cost
FROM o FULL OUTER JOIN s ON s.customer_id = o.customer_id
"""
REALISED_COLUMNS = ("purchase_days", "revenue", "spend", "gross_profit", "service_cost", "net_profit")


class BacktestError(ValueError):
    """The data cannot be backtested as asked; the message says what to change."""


@dataclass
class BacktestResult:
    """What :func:`backtest` found; every table is a DataFrame, :meth:`summary` is JSON-able.

    Attributes
    ----------
    customers : one row per customer scored at ``scored_at``: ``customer_id``, ``has_orders``,
        ``tier``, ``value_class``, ``frequency``, ``clv``, ``composite``, ``net_profit_12m``
        (the naive predictor), ``predicted_purchases``, ``predicted_spend`` and the realised
        ``purchase_days``, ``revenue``, ``spend``, ``gross_profit``, ``service_cost``,
        ``net_profit`` in the window.
    by_tier, by_class : rows A…below_zero / most_valuable…below_zero (buyers only), columns
        ``customers``, ``customer_share``, ``bought``, ``revenue``, ``net_profit``,
        ``profit_share``, ``profit_per_customer``; ``prospects`` is the same for prospects.
        Shares are of all scored customers and of their total realised net profit.
    ranking : rows clv, naive, composite, perfect; columns ``spearman``, ``top10_capture``.
    by_frequency : rows "0"…"7+" (frequency at scored_at, buyers); columns ``customers``,
        ``predicted_purchases``, ``actual_purchases``, ``predicted_per_customer``,
        ``actual_per_customer``, ``predicted_spend``, ``actual_spend``.
    totals : predicted and actual repeat purchase days and spend of the buyers.
    counts : customers_scored, buyers, prospects, bought_in_window, buyers_bought_again,
        prospects_converted, new_customers_in_window.
    """

    dataset: str
    scored_at: dt.date
    as_of: dt.date
    horizon_months: int
    clv_method: str | None
    customers: pd.DataFrame
    by_tier: pd.DataFrame
    by_class: pd.DataFrame
    prospects: pd.DataFrame
    ranking: pd.DataFrame
    by_frequency: pd.DataFrame
    totals: dict
    counts: dict
    notes: tuple[str, ...] = ()
    scored: pd.DataFrame | None = field(default=None, repr=False)  # pipeline.run at scored_at

    @property
    def tiers_ordered(self) -> bool:
        """True when realised profit per customer falls from A to below_zero (tiers with customers)."""
        per = self.by_tier.loc[self.by_tier["customers"] > 0, "profit_per_customer"].to_numpy()
        return bool(np.all(np.diff(per) <= 0))

    @property
    def winner(self) -> dict:
        """``clv``, ``naive`` or ``tie`` per measure (None when either figure is missing)."""
        out = {}
        for measure in ("spearman", "top10_capture"):
            a, b = self.ranking.loc["clv", measure], self.ranking.loc["naive", measure]
            out[measure] = None if not (np.isfinite(a) and np.isfinite(b)) else (
                "clv" if a > b else "naive" if b > a else "tie")
        return out

    def summary(self) -> dict:
        """Every figure as plain JSON values (NaN and infinities as None)."""
        return {
            "dataset": self.dataset,
            "scored_at": str(self.scored_at),
            "as_of": str(self.as_of),
            "horizon_months": self.horizon_months,
            "clv_method": self.clv_method,
            "counts": {k: int(v) for k, v in self.counts.items()},
            "ranking": _records(self.ranking),
            "winner": self.winner,
            "tiers_ordered": self.tiers_ordered,
            "by_tier": _records(self.by_tier),
            "by_value_class": _records(self.by_class),
            "prospects": _records(self.prospects)["prospect"],
            "predicted_vs_actual": {k: {m: _number(v) for m, v in d.items()} for k, d in self.totals.items()},
            "by_frequency": _records(self.by_frequency),
            "notes": list(self.notes),
        }


def _number(value):
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _records(frame: pd.DataFrame) -> dict:
    return {str(idx): {col: _number(frame.at[idx, col]) for col in frame.columns} for idx in frame.index}


def scoring_date(as_of: dt.date, horizon_months: int) -> dt.date:
    """``as_of`` less ``horizon_months`` calendar months (as the features' 12-month window starts)."""
    return (pd.Timestamp(as_of) - pd.DateOffset(months=horizon_months)).date()


def realised(store: Store, dataset: str, scored_at: dt.date, as_of: dt.date, availability) -> pd.DataFrame:
    """What every customer did in ``(scored_at, as_of]``, from one parameterised query.

    Returns
    -------
    DataFrame with ``customer_id``, ``order_rows``, ``purchase_days`` (days with a positive
    amount, each day once), ``revenue`` (all amounts, returns included), ``spend`` (positive
    amounts), ``gross_profit`` (amount − cost with cost data, else revenue), ``service_cost``
    (0 without service records) and ``net_profit`` (gross profit − service cost). Customers
    with neither orders nor service in the window have no row.
    """
    sql = REALISED_SQL.format(orders=store.table_ref(dataset, "orders"),
                              service=store.table_ref(dataset, "service"))
    # Through Arrow (features.fetch_frame): .df() took 1.1-1.5 s for 900,000 customers.
    raw = fetch_frame(store.cursor(), sql, {"scored_at": pd.Timestamp(scored_at).date(),
                                            "as_of": pd.Timestamp(as_of).date()})
    out = pd.DataFrame({"customer_id": raw["customer_id"].astype(object)})
    for col in ("order_rows", "purchase_days"):
        out[col] = pd.to_numeric(raw[col]).fillna(0).astype("int64")
    for col in ("revenue", "spend", "margin", "service_cost"):
        out[col] = pd.to_numeric(raw[col]).astype(float).fillna(0.0)
    out["gross_profit"] = out["margin"] if availability.cost else out["revenue"]
    if not availability.service:
        out["service_cost"] = 0.0
    out["net_profit"] = out["gross_profit"] - out["service_cost"]
    return out.drop(columns="margin")


def _predicted_spend(scored: pd.DataFrame, purchases: np.ndarray) -> np.ndarray:
    """Expected purchases × the spend model's expected order value (NaN without a spend model).

    The scored frame's ``expected_order_value`` when it has one; otherwise the Gamma-Gamma
    expected spend from the fit's parameters (an earlier pipeline's output).
    """
    if "expected_order_value" in scored:
        return purchases * scored["expected_order_value"].to_numpy(dtype=float)
    params = getattr(scored.attrs.get("clv_fit"), "gamma_gamma", None) or {}
    if not {"p", "q", "gamma"} <= set(params):
        return np.full(len(scored), np.nan)
    model = clv_models.GammaGammaModel.from_params(params["p"], params["q"], params["gamma"])
    per_purchase = model.expected_customer_spend(scored["frequency"].to_numpy(dtype=float),
                                                 scored["monetary_value"].clip(lower=0).to_numpy(dtype=float))
    return purchases * np.asarray(per_purchase, dtype=float)


def _group(c: pd.DataFrame, key: str, rows, total_customers: int, total_profit: float) -> pd.DataFrame:
    g = c.groupby(key, sort=False).agg(customers=("customer_id", "size"), bought=("bought", "sum"),
                                       revenue=("revenue", "sum"), net_profit=("net_profit", "sum"))
    g = g.reindex(list(rows)).fillna(0.0)
    g["customers"] = g["customers"].astype("int64")
    g["bought"] = g["bought"].astype("int64")
    g["customer_share"] = g["customers"] / total_customers if total_customers else np.nan
    g["profit_share"] = g["net_profit"] / total_profit if total_profit > 0 else np.nan
    g["profit_per_customer"] = g["net_profit"] / g["customers"].where(g["customers"] > 0)
    g.index.name = key
    return g[list(GROUP_COLUMNS)]


def ranking_quality(predicted, actual, ids) -> tuple[float, float]:
    """Spearman correlation and top-10% capture of ``predicted`` against realised ``actual``.

    Capture is the share of the total positive realised profit earned by the 10% (rounded
    up) with the highest prediction, ties broken by id. NaN when undefined (constant input,
    fewer than two customers, no positive profit).
    """
    frame = pd.DataFrame({"p": np.asarray(predicted, dtype=float), "a": np.asarray(actual, dtype=float),
                          "id": np.asarray(ids, dtype=object)})
    rho = np.nan
    if len(frame) >= 2 and frame["p"].nunique() > 1 and frame["a"].nunique() > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rho = float(stats.spearmanr(frame["p"], frame["a"]).statistic)
    positive = frame["a"].clip(lower=0)
    total = float(positive.sum())
    if total <= 0 or not len(frame):
        return rho, np.nan
    n_top = max(1, math.ceil(TOP_SHARE * len(frame)))
    top = frame.sort_values(["p", "id"], ascending=[False, True], kind="mergesort").index[:n_top]
    return rho, float(positive.loc[top].sum() / total)


def _by_frequency(buyers: pd.DataFrame) -> pd.DataFrame:
    bucket = np.minimum(buyers["frequency"].to_numpy(dtype="int64"), FREQUENCY_CAP)
    labels = np.array(FREQUENCY_ROWS, dtype=object)[bucket]
    g = buyers.assign(bucket=labels).groupby("bucket").agg(
        customers=("customer_id", "size"), predicted_purchases=("predicted_purchases", "sum"),
        actual_purchases=("purchase_days", "sum"), predicted_spend=("predicted_spend", "sum"),
        actual_spend=("spend", "sum"))
    g = g.reindex(list(FREQUENCY_ROWS)).fillna(0.0)
    g["customers"] = g["customers"].astype("int64")
    n = g["customers"].where(g["customers"] > 0)
    g["predicted_per_customer"] = g["predicted_purchases"] / n
    g["actual_per_customer"] = g["actual_purchases"] / n
    if buyers["predicted_purchases"].isna().all():
        g[["predicted_purchases", "predicted_per_customer"]] = np.nan
    if buyers["predicted_spend"].isna().all():
        g["predicted_spend"] = np.nan
    g.index.name = "frequency"
    return g[["customers", "predicted_purchases", "actual_purchases", "predicted_per_customer",
              "actual_per_customer", "predicted_spend", "actual_spend"]]


def _check_dates(store: Store, dataset: str, as_of, horizon_months: int) -> tuple[dt.date, dt.date, dt.date, list]:
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) \
            or horizon_months < 1:
        raise BacktestError(f"The horizon must be a whole number of months of at least 1, got {horizon_months!r}.")
    if sources.dataset_kind(store, dataset) == sources.KIND_FEATURES:
        raise BacktestError(f"Dataset {dataset!r} holds features computed elsewhere, not orders; a backtest "
                            "needs the order history: import the orders and backtest that dataset.")
    first, last = sources.date_range(store, dataset)
    if first is None:
        raise BacktestError(f"Dataset {dataset!r} has no orders; import an orders file with dates before "
                            "backtesting it.")
    as_of = pd.Timestamp(as_of if as_of is not None else last).date()
    scored_at = scoring_date(as_of, int(horizon_months))
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    if first > scored_at:
        raise BacktestError(
            f"No order history before the scoring date {scored_at} ({horizon_months} months before "
            f"{as_of}): the orders start on {first}. Choose a shorter horizon (--horizon-months) or a "
            "later as-of date (--as-of).")
    notes = []
    if last < as_of:
        notes.append(f"The orders end on {last}, before the as-of date {as_of}: the window's last "
                     f"{(as_of - last).days} days have no data, so realised figures may be low.")
    return scored_at, as_of, last, notes


def backtest(store: Store, dataset: str, as_of: dt.date | str | None = None, *, horizon_months: int = 12,
             settings: Settings = Settings(), wait: bool = True) -> BacktestResult:
    """Score the customers as of ``as_of − horizon_months`` and compare with the window after it.

    Parameters
    ----------
    store, dataset : the DuckDB store and an imported (or Parquet) dataset with orders.
    as_of : end of the window (default: the last order date, as the pipeline's).
    horizon_months : the window's length; the scoring date is this many months before ``as_of``.
    settings : weights, tier cuts and rules for :func:`valuation.model.pipeline.run`.
    wait : write a new prepared file of the scoring date before returning (False: in the
        background, as the dashboard does; :func:`valuation.model.persist.prepare_dataset`).

    Returns
    -------
    BacktestResult
        Per-customer predictions (``clv``, ``net_profit_12m``, ``composite``,
        ``expected_purchases_12m`` scaled by ``horizon_months / 12``) beside the realised
        ``purchase_days``, ``revenue``, ``spend``, ``gross_profit``, ``net_profit`` in
        ``(scored_at, as_of]``; tables per tier, value class and frequency; ranking quality.

    Raises
    ------
    BacktestError
        No orders on or before the scoring date, or none in the window after it.
    """
    scored_at, as_of, last, notes = _check_dates(store, dataset, as_of, horizon_months)
    availability = Availability.from_provided(store.provided_columns(dataset))
    done = realised(store, dataset, scored_at, as_of, availability)
    if int(done["order_rows"].sum()) == 0:
        raise BacktestError(f"No orders after the scoring date {scored_at} up to {as_of} to compare the scores "
                            f"with (the orders end on {last}). Choose an as-of date within the data (--as-of) "
                            "or a longer horizon (--horizon-months).")
    # Prepared as any date is: read from its file when the evidence beside the sliders (the same
    # date for a 12-month horizon), another process or an earlier run prepared it.
    scored = persist.run(store, dataset, scored_at, settings, wait=wait)
    fit = scored.attrs.get("clv_fit")
    scale = horizon_months / 12
    has = scored["has_orders"].astype(bool).to_numpy()
    modelled = fit is not None and fit.method != "formula"
    purchases = np.where(has, scored["expected_purchases_12m"].to_numpy(dtype=float) * scale, 0.0)
    if not modelled:
        purchases = np.where(has, np.nan, 0.0)
        notes.append("CLV came from the formula (" + (fit.reason if fit else "no fit") + "): there is no "
                     "purchase or spend forecast to compare.")
    elif horizon_months != 12:
        notes.append(f"Predicted purchases are the 12-month forecast scaled by {horizon_months}/12; the "
                     "model's forecast is not linear in time, so read them as approximate.")
    if not availability.cost:
        notes.append("No cost column: gross and net profit are revenue (less service cost).")
    keep = ["customer_id", "has_orders", "tier", "value_class", "frequency", "clv", "composite",
            "net_profit_12m"]
    c = scored[keep].copy()
    c["customer_id"] = c["customer_id"].astype(object)
    c["has_orders"] = has
    c["predicted_purchases"] = purchases
    c["predicted_spend"] = np.where(has, _predicted_spend(scored, purchases), 0.0)
    c = c.merge(done[["customer_id", *REALISED_COLUMNS]], on="customer_id", how="left")
    c[list(REALISED_COLUMNS)] = c[list(REALISED_COLUMNS)].fillna(0)
    c["purchase_days"] = c["purchase_days"].astype("int64")
    c["bought"] = c["purchase_days"] > 0

    total_customers, total_profit = len(c), float(c["net_profit"].sum())
    buyers, prospects = c[c["has_orders"]], c[~c["has_orders"]]
    by_tier = _group(buyers, "tier", TIER_ROWS, total_customers, total_profit)
    by_class = _group(buyers, "value_class", CLASS_ROWS, total_customers, total_profit)
    prospect_row = _group(prospects, "tier", ("prospect",), total_customers, total_profit)
    ranking = pd.DataFrame(
        [ranking_quality(buyers[col], buyers["net_profit"], buyers["customer_id"]) for col in PREDICTORS.values()]
        + [ranking_quality(buyers["net_profit"], buyers["net_profit"], buyers["customer_id"])],
        index=pd.Index([*PREDICTORS, "perfect"], name="predictor"), columns=["spearman", "top10_capture"])
    totals = {
        "purchases": _pair(buyers["predicted_purchases"], buyers["purchase_days"]),
        "spend": _pair(buyers["predicted_spend"], buyers["spend"]),
    }
    scored_ids = set(c["customer_id"])
    counts = {
        "customers_scored": total_customers,
        "buyers": len(buyers),
        "prospects": len(prospects),
        "bought_in_window": int(c["bought"].sum()),
        "buyers_bought_again": int(buyers["bought"].sum()),
        "prospects_converted": int(prospects["bought"].sum()),
        "new_customers_in_window": int(((done["purchase_days"] > 0)
                                        & ~done["customer_id"].isin(scored_ids)).sum()),
    }
    return BacktestResult(dataset, scored_at, as_of, int(horizon_months), fit.method if fit else None, c,
                          by_tier, by_class, prospect_row, ranking, _by_frequency(buyers), totals, counts,
                          tuple(notes), scored)


def _pair(predicted: pd.Series, actual: pd.Series) -> dict:
    """Predicted and actual totals and the relative error (predicted / actual − 1)."""
    p = float(predicted.sum(min_count=1)) if predicted.notna().any() else np.nan
    a = float(actual.sum())
    return {"predicted": p, "actual": a, "error": p / a - 1 if a and np.isfinite(p) else np.nan}
