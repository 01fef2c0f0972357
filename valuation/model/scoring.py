"""The five dimensions (plus influence and custom ones) on 0–100, and the weighted composite."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from valuation.data import threads
from valuation.data.features import Availability
from valuation.model.settings import TILT_ATTRIBUTES, Tilt, Weights

NEUTRAL = 50.0  # a customer with no data for a sub-metric (no invoices yet, say) sits mid-field

# Each dimension is a weighted mean of percentile scores of its sub-metrics.
# (feature column, weight within the dimension, direction: +1 = higher is better)
SUB_METRICS: dict[str, list[tuple[str, float, int]]] = {
    "current": [("net_profit_12m", 1.0, +1)],
    "future": [("clv", 1.0, +1)],
    # Seed 002: credit is the payment cycle (付款周期) and the arrears (欠款额), in money as well as
    # against the customer's business; paying on time and how late come beside them.
    "credit": [("on_time_payment_ratio", 0.25, +1), ("avg_days_to_pay", 0.20, -1), ("avg_days_late", 0.15, -1),
               ("overdue_ratio", 0.20, -1), ("overdue_arrears", 0.20, -1)],
    "loyalty": [("tenure_days", 0.20, +1), ("orders_12m", 0.20, +1), ("p_alive", 0.20, +1),
                ("category_coverage", 0.10, +1), ("share_of_wallet", 0.10, +1),
                ("satisfaction_any", 0.10, +1), ("offseason_index", 0.10, +1)],
    "growth": [("revenue_trend", 0.5, +1), ("wallet_headroom", 0.5, +1)],
    # Seed 002: influence (影响力) by industry and region: the customer's weight in its industry's and
    # region's business, reference accounts, referrals and the manager's own rating.
    "influence": [("referrals", 0.25, +1), ("importance", 0.25, +1), ("reference_account", 0.2, +1),
                  ("industry_share", 0.15, +1), ("region_share", 0.15, +1)],
}

# The customer attributes whose revenue a customer's influence share is taken of.
SHARE_OF = {"industry_share": "industry", "region_share": "region"}

# Sub-metrics that need a table or column the dataset may not have.
NEEDS = {
    "on_time_payment_ratio": "payments", "avg_days_late": "payments", "overdue_ratio": "payments",
    "avg_days_to_pay": "payments", "overdue_arrears": "payments",
    "category_coverage": "category", "share_of_wallet": "wallet", "wallet_headroom": "wallet",
    "satisfaction_any": "satisfaction", "referrals": "influence", "importance": "influence",
    "reference_account": "influence",
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
    if within is not None and not (isinstance(within, pd.Series) and within.dtype == bool
                                   and within.index.equals(x.index)):
        return _percentile_score_by_pandas(x, within)  # aligned on labels: the plain way
    xv = x.to_numpy(dtype=float)
    mask = ~np.isnan(xv)
    if within is not None:
        mask &= within.to_numpy(dtype=bool)
    out = np.full(len(xv), np.nan)
    n = int(np.count_nonzero(mask))
    if n == 1:
        out[mask] = 100.0
    elif n > 1:
        out[mask] = (average_ranks(xv[mask]) - 1) / (n - 1) * 100.0
    return pd.Series(out, index=values.index)


def _percentile_score_by_pandas(x: pd.Series, within) -> pd.Series:
    """:func:`percentile_score` on ``x`` (numeric, direction applied) with pandas' alignment and rank."""
    mask = x.notna() if within is None else (x.notna() & within)
    out = pd.Series(np.nan, index=x.index)
    n = int(mask.sum())
    if n == 0:
        return out
    if n == 1:
        out[mask] = 100.0
        return out
    ranks = x[mask].rank(method="average")
    out[mask] = (ranks - 1) / (n - 1) * 100.0
    return out


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (float, no NaN), ties sharing their mean rank: pandas'
    ``rank(method="average")``, value for value (ranks are whole or half numbers, exact).

    The way is chosen for speed only: whole numbers in a narrow range (days, orders) are
    counted, no sort at all; values that repeat a lot (a sample of them says so: ratios of
    small counts, scores on a scale) are hashed and only the distinct ones sorted; mostly
    distinct values (money) are sorted once.
    """
    v = np.asarray(values, dtype=float) + 0.0  # -0.0 -> 0.0: one value for hashing (they tie anyway)
    n = len(v)
    if n == 0:
        return np.empty(0)
    lo, hi = v.min(), v.max()
    if np.isfinite(lo) and np.isfinite(hi) and hi - lo <= 4 * n and np.array_equal(np.floor(v), v):
        return _ranks_from_codes((v - lo).astype(np.int64), int(hi - lo) + 1)
    sample = v[:: max(1, n // 4096)]  # a few thousand say it as well as more, for a tenth of the cost
    if len(np.unique(sample)) < 0.6 * len(sample):
        codes, uniques = pd.factorize(v)
        position = np.empty(len(uniques), dtype=np.int64)
        position[np.argsort(uniques)] = np.arange(len(uniques))
        return _ranks_from_codes(position[codes], len(uniques))
    order = np.argsort(v)
    ordered = v[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    ranks = np.empty(n)
    if first.all():  # no ties (money, composites): the sorted position is the rank
        ranks[order] = np.arange(1.0, n + 1.0)
        return ranks
    starts = np.flatnonzero(first)  # each run of equal values holds ranks starts+1 .. ends
    ends = np.append(starts[1:], n)
    ranks[order] = ((starts + 1 + ends) / 2.0)[np.cumsum(first) - 1]
    return ranks


def _ranks_from_codes(codes: np.ndarray, k: int) -> np.ndarray:
    """Mean ranks from codes 0..k-1 that order the values (equal values, equal codes)."""
    counts = np.bincount(codes, minlength=k)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[codes]


def labels_from_codes(labels, codes: np.ndarray, index: pd.Index, name=None) -> pd.Series:
    """``pd.Series(np.array(labels)[codes], index=index)``: the same labels and dtype (pandas
    infers it from the labels, the pyarrow-backed ``str`` by default), without a numpy array of
    fixed-width strings and a million Python strings to convert (0.5 s per column at 1.5M rows)."""
    template = pd.Series(np.asarray(labels, dtype=object))
    return pd.Series(template.array.take(np.asarray(codes, dtype=np.intp)), index=index, name=name)


@dataclass(frozen=True)
class DimensionReport:
    """Which dimensions run on real data, which sub-metrics each uses, and what is missing."""

    available: tuple[str, ...]
    missing: tuple[str, ...]
    used_sub_metrics: dict

    def __hash__(self):
        return hash((self.available, self.missing))

    def __deepcopy__(self, memo) -> "DimensionReport":
        return self  # read-only, shared by the frames whose attrs carry it (see ClvFit.__deepcopy__)


def _metric_available(metric: str, availability: Availability, features: pd.DataFrame) -> bool:
    need = NEEDS.get(metric)
    if need is not None and not getattr(availability, need):
        return False
    return metric in features and features[metric].notna().any()


def prepare_metrics(features: pd.DataFrame) -> pd.DataFrame:
    """Add the derived sub-metric columns scoring needs (overdue ratio and arrears, any satisfaction)."""
    f = features.copy(deep=False)  # copy-on-write: new columns only, the caller's frame untouched
    exposure = f["revenue_12m"].clip(lower=0) + f["overdue_amount"]
    f["overdue_ratio"] = np.where(f["invoices"] > 0, f["overdue_amount"] / exposure.where(exposure > 0, 1.0), np.nan)
    f["overdue_arrears"] = np.where(f["invoices"] > 0, f["overdue_amount"], np.nan)  # yuan owed past due
    f["satisfaction_any"] = f["satisfaction"].fillna(f["avg_service_satisfaction"])
    for metric, attribute in SHARE_OF.items():
        f[metric] = group_share(f, attribute)
    return f


def group_share(features: pd.DataFrame, attribute: str, amount: str = "revenue_12m") -> np.ndarray:
    """Each customer's share of its ``attribute`` group's ``amount`` (its industry's revenue, say; 0–1).

    NaN without the attribute (the column absent or the customer's value blank) or where the
    group has no positive amount; returns count as nothing (amounts clipped at 0).
    """
    n = len(features)
    if attribute not in features or amount not in features:
        return np.full(n, np.nan)
    codes, _ = pd.factorize(features[attribute].astype("string").str.strip().replace("", pd.NA))
    if n == 0 or codes.max(initial=-1) < 0:
        return np.full(n, np.nan)
    money = np.clip(np.nan_to_num(features[amount].to_numpy(dtype=float, na_value=np.nan)), 0.0, None)
    known = codes >= 0
    totals = np.bincount(codes[known], weights=money[known], minlength=int(codes.max()) + 1)
    group_total = np.where(known, totals[np.where(known, codes, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(known & (group_total > 0), money / group_total, np.nan)


def _weighted_sums(parts: list[np.ndarray], weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per customer, the weights of the sub-metrics present (not NaN) and the weighted sum of their scores.

    The same values as ``(~isnan(M) * w).sum(axis=1)`` and ``nansum(nan_to_num(M) * w, axis=1)``
    on the stacked matrix ``M``: numpy adds fewer than 8 values along a row one after the
    other, as this loop does column by column, without a matrix and its row-wise reduction.
    """
    if len(parts) >= 8:  # numpy sums 8 or more values pairwise: keep its order
        stacked = np.column_stack(parts)
        w = np.array(weights)
        return (~np.isnan(stacked) * w).sum(axis=1), np.nansum(np.nan_to_num(stacked) * w, axis=1)
    wsum = np.zeros(len(parts[0]))
    total = np.zeros(len(parts[0]))
    for part, weight in zip(parts, weights):
        present = ~np.isnan(part)
        wsum += present * weight
        total += np.where(present, part, 0.0) * weight
    return wsum, total


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
    has_orders = orders_mask.to_numpy()
    scores = pd.DataFrame(index=f.index)
    used: dict[str, list[str]] = {}
    missing = []
    # Which percentile each dimension needs: (metric, direction, among buyers only).
    plan: dict[str, list[tuple[tuple[str, int, bool], float]]] = {}
    for dim, metrics in SUB_METRICS.items():
        plan[dim] = []
        for metric, weight, direction in metrics:
            if not _metric_available(metric, availability, f) and metric in FALLBACK:
                metric, direction = FALLBACK[metric]
            if not _metric_available(metric, availability, f):
                continue
            buyers_only = dim in ZERO_WITHOUT_ORDERS or metric in ("revenue_trend",)
            plan[dim].append(((metric, direction, buyers_only), weight))
    # Each distinct percentile once, over the cores (the sorts release the GIL: 1.0 -> 0.6 s at 1M).
    keys = list(dict.fromkeys(key for entries in plan.values() for key, _ in entries))
    ranked = dict(zip(keys, threads.map_threads(
        lambda key: percentile_score(f[key[0]], orders_mask if key[2] else None, key[1]), keys)))
    for dim, entries in plan.items():
        parts = [ranked[key] for key, _ in entries]
        weights = [weight for _, weight in entries]
        names = [key[0] for key, _ in entries]
        if not parts:
            missing.append(dim)
            continue
        # Renormalise over the sub-metrics a customer has; none at all -> neutral.
        wsum, total = _weighted_sums([p.to_numpy() for p in parts], weights)
        value = np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1), NEUTRAL)
        if dim in ZERO_WITHOUT_ORDERS:
            value = np.where(has_orders, value, 0.0)
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


def weighted_sum(matrix: np.ndarray, weights) -> np.ndarray:
    """``matrix @ weights`` (rows × a few columns) without BLAS, one column at a time: OpenBLAS
    threads a matrix-vector product, and beside the browsers of a busy two-core server its threads'
    synchronisation made the composite of 100,000 customers take 13 ms instead of 0.2 ms."""
    matrix = np.asarray(matrix, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    out = matrix[:, 0] * weights[0]
    for i in range(1, matrix.shape[1]):
        out += matrix[:, i] * weights[i]
    return out


def composite(scores: pd.DataFrame, weights: Weights) -> pd.Series:
    """Composite score = Σ w·s / Σ w over the dimensions present in ``scores`` (0–100)."""
    eff = effective_weights(weights, tuple(scores.columns))
    if not eff:
        return pd.Series(0.0, index=scores.index, name="composite")
    cols = list(eff)
    values = weighted_sum(scores[cols].to_numpy(), [eff[c] for c in cols])
    return pd.Series(values, index=scores.index, name="composite")


def tilt_points(features: pd.DataFrame, tilt: Tilt) -> np.ndarray:
    """Points each customer gets from the strategic tilt (seed 001): the sum of the rules whose
    attribute value (trimmed) is the customer's; 0 where none applies or the attribute is absent."""
    out = np.zeros(len(features))
    for attribute in dict.fromkeys(a for a, _, _ in tilt.rules):
        if attribute not in features:
            continue
        codes, uniques = pd.factorize(features[attribute])
        points = tilt.points_for(attribute)
        per_value = np.array([points.get(str(u).strip(), 0.0) for u in uniques] + [0.0])
        out += per_value[codes]  # code -1 (blank) takes the trailing 0
    return out


TILT_MAX_OPTIONS = 200  # an attribute with more distinct values (the cities of a big file) is not offered


def tilt_options(features: pd.DataFrame) -> dict[str, list[str]]:
    """attribute -> its values, most customers first, for each attribute a tilt can name that the
    data holds with 2 to ``TILT_MAX_OPTIONS`` distinct values (blank values left out)."""
    out = {}
    for attribute in TILT_ATTRIBUTES:
        if attribute not in features:
            continue
        codes, uniques = pd.factorize(features[attribute].astype("string").str.strip().replace("", pd.NA))
        if not 2 <= len(uniques) <= TILT_MAX_OPTIONS:
            continue
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        order = sorted(range(len(uniques)), key=lambda i: (-counts[i], str(uniques[i])))
        out[attribute] = [str(uniques[i]) for i in order]
    return out


def tilted(composite: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The composite with the tilt's points added, held to 0–100."""
    return np.clip(composite + points, 0.0, 100.0)


def contributions(scores: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Each dimension's points in the composite (w·s / Σ w); rows sum to the composite."""
    points = contribution_points(scores.to_numpy(dtype=float), tuple(scores.columns), weights)
    return pd.DataFrame(points, index=scores.index, columns=list(scores.columns))


def contribution_points(matrix: np.ndarray, columns: tuple[str, ...], weights: Weights) -> np.ndarray:
    """:func:`contributions` of a score matrix whose columns are the dimensions ``columns``."""
    eff = effective_weights(weights, tuple(columns))
    # One broadcast product instead of a column set per dimension (this runs on every slider move).
    factors = np.array([eff.get(dim, 0.0) for dim in columns])
    points = np.asarray(matrix, dtype=float) * factors
    points[:, factors == 0] = 0.0  # an unweighted dimension gives no points, whatever its score
    return points


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
    }, index=f.index)  # one block (score concatenates it on every slider move: keep it consolidated)
    if len(out) == 0:
        main = out.idxmax(axis=1).where(out.max(axis=1) > 0, "no_revenue")
        out["main_loss_driver"] = main.where(f["net_profit_12m"] < 0, "")
        return out
    # idxmax / max across the row (NaN skipped; thin_margin is never NaN), as codes: the
    # column of the first largest, 3 = no_revenue where none is positive, 4 = "" unless a loss.
    values = np.column_stack([out[c].to_numpy(dtype=float) for c in out.columns])
    filled = np.where(np.isnan(values), -np.inf, values)
    codes = np.argmax(filled, axis=1)
    codes[~(filled.max(axis=1) > 0)] = 3
    codes[~(f["net_profit_12m"] < 0).to_numpy(dtype=bool)] = 4
    out["main_loss_driver"] = labels_from_codes(list(out.columns) + ["no_revenue", ""], codes, out.index)
    return out
