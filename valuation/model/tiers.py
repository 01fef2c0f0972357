"""Tier pyramid, value classes, RFM segments, recommended actions and concentration (whale curve)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from valuation.model.scoring import average_ranks, labels_from_codes
from valuation.model.settings import ClassRules, TierCuts

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
    ranker = TierRanker(net_profit_12m, has_orders, customer_id, index=composite.index)
    return ranker.labels(ranker.codes(composite.to_numpy(dtype=float), cuts))


TIER_LABELS = np.array(TIERS, dtype=object)


class TierRanker:
    """Tiers for many composites of the same customers (one slider move each), without sorting.

    What does not depend on the composite is worked out once: who is below zero, who is a
    prospect, and the order of the ranked customers' ids (the tie-break). Each call of
    :meth:`codes` then finds the A/B/C/D boundaries by selection (``np.partition``, linear
    time) instead of sorting a million scores, and only customers tied exactly on a
    boundary score are ordered, by id. The result is the same as sorting by
    (composite descending, customer_id ascending) and cutting at the boundaries.
    """

    def __init__(self, net_profit_12m: pd.Series, has_orders: pd.Series,
                 customer_id: pd.Series | None = None, index: pd.Index | None = None):
        self._split(net_profit_12m, has_orders, index)
        ids = (customer_id if customer_id is not None else pd.Series(self.index, index=self.index))
        ids = pd.Series(ids).iloc[self.ranked].astype(str)
        if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow" and not ids.hasnans:
            values = pa.array(ids.array)  # the same strings, without a Python object per id
        else:
            values = pa.array(ids.to_numpy(dtype=object), pa.string())
        # Stable: equal ids keep their row order, as the stable sort did.
        order = np.asarray(pc.sort_indices(values, sort_keys=[("", "ascending")]))
        self.id_rank = np.empty(len(order), dtype=np.int64)
        self.id_rank[order] = np.arange(len(order))

    def _split(self, net_profit_12m: pd.Series, has_orders: pd.Series, index: pd.Index | None) -> None:
        """Who is below zero, who is a prospect (``base``), and the rows ranked into A-D."""
        self.index = net_profit_12m.index if index is None else index
        has = np.asarray(has_orders, dtype=bool)
        below = has & (np.asarray(net_profit_12m, dtype=float) < 0)
        self.base = np.where(below, TIERS.index("below_zero"), TIERS.index("prospect")).astype(np.int8)
        self.ranked = np.flatnonzero(has & ~below)

    def id_order(self) -> np.ndarray:
        """Each customer's place in the id order of the ranked customers (-1 for the others): what
        the constructor sorts, to keep beside a prepared dataset (:meth:`from_id_order`)."""
        full = np.full(len(self.base), -1, dtype=np.int64)
        full[self.ranked] = self.id_rank
        return full

    @classmethod
    def from_id_order(cls, net_profit_12m: pd.Series, has_orders: pd.Series, id_order: np.ndarray,
                      index: pd.Index | None = None) -> "TierRanker":
        """The ranker :meth:`id_order` came from (the same customers, profits and orders), without
        sorting the ids again; ValueError when the order does not fit them."""
        self = cls.__new__(cls)
        self._split(net_profit_12m, has_orders, index)
        id_order = np.asarray(id_order, dtype=np.int64)
        if len(id_order) != len(self.base) or not np.array_equal(np.flatnonzero(id_order >= 0), self.ranked):
            raise ValueError("the kept id order is not of these customers")
        self.id_rank = id_order[self.ranked]
        return self

    def _top(self, values: np.ndarray, k: int, kth: float) -> np.ndarray:
        """Mask of the k first ranked customers by (value descending, id ascending)."""
        n = len(values)
        if k <= 0:
            return np.zeros(n, dtype=bool)
        if k >= n:
            return np.ones(n, dtype=bool)
        top = values > kth
        missing = k - int(np.count_nonzero(top))
        tied = np.flatnonzero(values == kth)  # at least the k-th itself
        if len(tied) > missing:  # a tie across the boundary: the smaller ids get in
            tied = tied[np.argsort(self.id_rank[tied], kind="stable")][:missing]
        top[tied] = True
        return top

    def codes(self, composite: np.ndarray, cuts: TierCuts = TierCuts()) -> np.ndarray:
        """Tier codes (index into ``TIERS``) per customer for one composite score array."""
        out = self.base.copy()
        n = len(self.ranked)
        if n == 0:
            return out
        values = np.asarray(composite, dtype=float)[self.ranked]
        if np.isnan(values).any():  # never from the scoring, but keep sort semantics (NaN last)
            values = np.where(np.isnan(values), -np.inf, values)
        # Round up, so even a tiny dataset has its best customer in A (rounding first drops float noise).
        bounds = np.ceil(np.round(np.cumsum([cuts.a, cuts.b, cuts.c]) * n, 6)).astype(int)
        inner = sorted({n - int(b) for b in bounds if 0 < b < n})  # k-th largest = (n-k)-th smallest
        kth = dict(zip(inner, np.partition(values, inner)[inner])) if inner else {}
        label = np.full(n, 3, dtype=np.int8)  # D
        for code in (2, 1, 0):  # C, B, A: each top set holds the next
            b = int(bounds[code])
            label[self._top(values, b, kth.get(n - b, np.nan))] = code
        out[self.ranked] = label
        return out

    def labels(self, codes: np.ndarray) -> pd.Series:
        return pd.Series(TIER_LABELS[codes], index=self.index, dtype=object)


def _fewest_reaching(values: np.ndarray, eligible: np.ndarray, share: float, total: float) -> np.ndarray:
    """Mask of the fewest ``eligible`` rows, largest ``values`` first (ties in row order), whose
    values add up to at least ``share`` of ``total``; none when nothing is positive."""
    out = np.zeros(len(values), dtype=bool)
    candidates = np.flatnonzero(eligible & (values > 0))
    if len(candidates) == 0 or not total > 0:
        return out
    order = candidates[np.argsort(-values[candidates], kind="stable")]
    reached = np.cumsum(values[order]) >= share * total * (1 - 1e-12)
    k = int(np.argmax(reached)) + 1 if reached.any() else len(order)
    out[order[:k]] = True
    return out


def strategic_value(wallet_profit: pd.Series, rules: ClassRules = ClassRules()) -> pd.Series:
    """Strategic value (战略价值, ¥): the achievable share of the profit on a customer's untapped
    wallet over the CLV horizon (``wallet_profit_pv``, from the pipeline); NaN without a wallet estimate."""
    return (wallet_profit * float(rules.achievable_share)).rename("strategic_value")


def value_class_codes(actual: np.ndarray, strategic: np.ndarray, growth: np.ndarray | None,
                      net_profit_12m: np.ndarray, has_orders: np.ndarray,
                      rules: ClassRules = ClassRules()) -> np.ndarray:
    """Codes into ``VALUE_CLASSES + ("prospect",)`` per customer (see :func:`assign_value_class`)."""
    actual = np.nan_to_num(np.asarray(actual, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    has = np.asarray(has_orders, dtype=bool)
    below = has & (np.asarray(net_profit_12m, dtype=float) < 0)
    rest = has & ~below
    codes = np.full(len(actual), VALUE_CLASSES.index("maintain"), dtype=np.int8)
    codes[~has] = len(VALUE_CLASSES)  # prospect: no value class before a first order
    codes[below] = VALUE_CLASSES.index("below_zero")
    most = _fewest_reaching(actual, rest, rules.most_valuable_share, float(actual[has].clip(min=0).sum()))
    codes[most] = VALUE_CLASSES.index("most_valuable")
    others = rest & ~most
    strategic = np.asarray(strategic, dtype=float)
    if np.isfinite(strategic[has]).any():
        money = np.where(np.isfinite(strategic), strategic, 0.0)
        grow = _fewest_reaching(money, others, rules.growable_share, float(money[others].clip(min=0).sum()))
    elif growth is not None:  # no wallet estimates: growth potential by score, said on the matrix
        grow = others & (np.nan_to_num(np.asarray(growth, dtype=float), nan=0.0) >= rules.growth_cut)
    else:
        grow = np.zeros(len(actual), dtype=bool)
    codes[grow] = VALUE_CLASSES.index("growable")
    return codes


def assign_value_class(actual: pd.Series, strategic: pd.Series, net_profit_12m: pd.Series,
                       has_orders: pd.Series, rules: ClassRules = ClassRules(),
                       growth: pd.Series | None = None) -> pd.Series:
    """Value class (Peppers & Rogers, seed 000) from actual and strategic value in money.

    - ``below_zero``: bought, and the last 12 months' net profit is negative;
    - ``most_valuable``: the fewest other buyers whose actual value (net CLV, ¥) adds up to
      ``rules.most_valuable_share`` of all buyers' positive actual value (largest first);
    - ``growable``: of the remaining buyers, the fewest whose strategic value (¥) adds up to
      ``rules.growable_share`` of theirs; without any wallet estimate (strategic value all NaN)
      those with a growth score of at least ``rules.growth_cut``;
    - ``maintain``: the other buyers; ``prospect``: no orders yet, so no value class.
    """
    codes = value_class_codes(actual.to_numpy(dtype=float), np.asarray(strategic, dtype=float),
                              None if growth is None else np.asarray(growth, dtype=float),
                              np.asarray(net_profit_12m, dtype=float), np.asarray(has_orders, dtype=bool), rules)
    return labels_from_codes(list(VALUE_CLASSES) + ["prospect"], codes, actual.index)


def quintile(values: pd.Series, within: pd.Series) -> pd.Series:
    """Scores 1–5 by quintile of ``values`` among ``within`` (5 = highest); 0 elsewhere."""
    out = pd.Series(0, index=values.index, dtype="int64")
    n = int(within.sum())
    if n == 0:
        return out
    fast = (isinstance(within, pd.Series) and within.dtype == bool and within.index.equals(values.index)
            and pd.api.types.is_numeric_dtype(values.dtype))
    if fast:
        mask = within.to_numpy()
        x = values.to_numpy(dtype=float, na_value=np.nan)[mask]
        fast = not np.isnan(x).any() and not (values.dtype.kind in "iu" and np.abs(x).max() >= 2**53)
    if not fast:  # labels to align, missing values, integers a float cannot hold: pandas' way
        pct = values[within].rank(method="average", pct=True)
        out[within] = np.clip(np.ceil(pct * 5), 1, 5).astype("int64")
        return out
    # pandas' rank(pct=True) is the average rank over the count: the same numbers.
    result = np.zeros(len(values), dtype="int64")
    result[mask] = np.clip(np.ceil(average_ranks(x) / n * 5), 1, 5).astype("int64")
    return pd.Series(result, index=values.index)


def rfm_scores(days_since_last_order: pd.Series, frequency: pd.Series, monetary: pd.Series,
               has_orders: pd.Series) -> pd.DataFrame:
    """R, F and M quintile scores (5 best): R from recency (fewer days better), F from
    purchase days, M from revenue over the whole history."""
    return pd.DataFrame({
        "r_score": quintile(-days_since_last_order, has_orders),
        "f_score": quintile(frequency, has_orders),
        "m_score": quintile(monetary, has_orders),
    })


# The eight RFM classes Chinese CRM practice uses: recency, frequency and monetary value each high or
# low against the buyers' average; M decides 重要 (important) or 一般 (general), then R and F:
# both high = value, R high only = develop, F high only = keep, neither = win back (挽留).
RFM_CLASSES = ("important_value", "important_develop", "important_keep", "important_retain",
               "general_value", "general_develop", "general_keep", "general_retain", "no_orders")


def rfm_class(days_since_last_order: pd.Series, frequency: pd.Series, monetary: pd.Series,
              has_orders: pd.Series) -> pd.Series:
    """The 8-class RFM model (重要价值 … 一般挽留) per customer; ``no_orders`` without orders.

    Against the mean over customers with orders, as the model is taught and used in Chinese CRM
    practice: R is high when the days since the last purchase are at most the mean, F when the
    purchase days are at least the mean, M when the all-time revenue is at least the mean (money
    is heavy-tailed, so "important" is a minority, as intended).
    """
    has = np.asarray(has_orders, dtype=bool)
    days = np.asarray(days_since_last_order, dtype=float)
    freq = np.asarray(frequency, dtype=float)
    money = np.asarray(monetary, dtype=float)
    codes = np.full(len(has), RFM_CLASSES.index("no_orders"), dtype=np.int8)
    if has.any():
        r_high = days[has] <= np.nanmean(days[has])
        f_high = freq[has] >= np.nanmean(freq[has])
        m_high = money[has] >= np.nanmean(money[has])
        # the index into RFM_CLASSES: 4 × (M low) + 2 × (R low) + (F low)
        codes[has] = 4 * ~m_high + 2 * ~r_high + ~f_high
    index = has_orders.index if isinstance(has_orders, pd.Series) else pd.RangeIndex(len(has))
    return labels_from_codes(list(RFM_CLASSES), codes, index)


# Grades per dimension (seed 004): profit 高/中/低, potential 重要/有潜力/一般, loyalty 忠诚/一般/不稳定.
GRADES = {"grade_profit": ("high", "medium", "low"),
          "grade_potential": ("important", "promising", "general"),
          "grade_loyalty": ("loyal", "average", "unstable")}
GRADE_CUTS = (80.0, 50.0)  # a dimension score at or above 80 (the top fifth of buyers), 50-80, below 50
DRIFTING = ("at_risk", "dormant", "churned")


def grades(scores: pd.DataFrame, has_orders: pd.Series, net_profit_12m: pd.Series,
           stage: pd.Series | None = None) -> pd.DataFrame:
    """Three-level grades per buyer (seed 004), ``None`` for prospects.

    - profit (利润贡献) from the current-contribution score; a loss in the last 12 months is low;
    - potential (潜力) from the growth-potential score;
    - loyalty (忠诚度) from the loyalty score; a customer now at risk, dormant or churned is
      unstable whatever their past loyalty.

    Each dimension score is a percentile among buyers, so the top grade is the top fifth of buyers
    and the middle one the next 30%.
    """
    has = np.asarray(has_orders, dtype=bool)
    out = {}
    for column, dim in (("grade_profit", "current"), ("grade_potential", "growth"), ("grade_loyalty", "loyalty")):
        if dim not in scores:
            continue
        s = scores[dim].to_numpy(dtype=float)
        codes = np.where(s >= GRADE_CUTS[0], 0, np.where(s >= GRADE_CUTS[1], 1, 2))
        if column == "grade_profit":
            codes = np.where(np.asarray(net_profit_12m, dtype=float) < 0, 2, codes)
        if column == "grade_loyalty" and stage is not None:
            codes = np.where(np.asarray(stage.isin(DRIFTING), dtype=bool), 2, codes)
        codes = np.where(has, codes, 3)
        out[column] = labels_from_codes(list(GRADES[column]) + [None], codes, scores.index)
    return pd.DataFrame(out, index=scores.index)


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
    if len(r) == 0:
        return pd.Series(np.select(conditions, choices, default="lost"), index=r.index)
    codes = np.select(conditions, list(range(len(choices))), default=len(choices))
    return labels_from_codes(choices + ["lost"], codes, r.index)


def concentration(scored: pd.DataFrame) -> pd.DataFrame:
    """Per tier: customers, revenue and net profit over 12 months, and each one's share.

    Needs ``tier``, ``revenue_12m`` and ``net_profit_12m``. Shares of profit are of
    the total net profit, so the below-zero tier shows a negative share.
    """
    g = scored.groupby("tier", observed=True).agg(
        customers=("tier", "size"), revenue_12m=("revenue_12m", "sum"),
        net_profit_12m=("net_profit_12m", "sum"))
    g = g.reindex([t for t in TIERS if t in g.index])
    return _with_shares(g)


def _with_shares(g: pd.DataFrame) -> pd.DataFrame:
    """Per-tier totals (indexed by tier) with each one's share of customers, revenue and profit."""
    return _table(g.index, g["customers"].to_numpy(), g["revenue_12m"].to_numpy(dtype=float),
                  g["net_profit_12m"].to_numpy(dtype=float))


def _table(tiers_shown, customers: np.ndarray, revenue: np.ndarray, profit: np.ndarray) -> pd.DataFrame:
    """The concentration table of these tiers' totals, its shares of the tiers shown; one frame made
    at once (the pyramid's table is made on every slider move)."""
    def share(values):
        total = values.sum()
        return values / total if total else np.zeros(len(values))

    return pd.DataFrame({"tier": list(tiers_shown), "customers": customers, "revenue_12m": revenue,
                         "net_profit_12m": profit, "customer_share": share(customers),
                         "revenue_share": share(revenue), "profit_share": share(profit)})


def concentration_from_codes(codes: np.ndarray, revenue_12m, net_profit_12m,
                             shown: list[str] | None = None) -> pd.DataFrame:
    """:func:`concentration` from tier codes (``TierRanker.codes``, ``pipeline.tier_codes``).

    The same table without grouping a million labels: one weighted count per column. ``shown``:
    exactly these tiers in this order, absent ones as zeros, shares of them (the pyramid leaves
    the prospects' own count out without masking anyone); default: the tiers present.
    """
    codes = np.asarray(codes)
    k = len(TIERS)
    customers = np.bincount(codes, minlength=k).astype("int64")
    revenue = np.bincount(codes, weights=np.asarray(revenue_12m, dtype=float), minlength=k)
    profit = np.bincount(codes, weights=np.asarray(net_profit_12m, dtype=float), minlength=k)
    rows = [TIERS.index(t) for t in shown] if shown is not None else np.flatnonzero(customers > 0)
    return _table(np.array(TIERS, dtype=object)[rows], customers[rows], revenue[rows], profit[rows])


def migration_from_codes(before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """Customers per (tier before, tier after) from two arrays of tier codes: every tier, in order."""
    k = len(TIERS)
    counts = np.bincount(np.asarray(before, dtype=np.int64) * k + np.asarray(after, dtype=np.int64),
                         minlength=k * k).reshape(k, k)
    return pd.DataFrame(counts, index=pd.Index(TIERS, name="before"), columns=pd.Index(TIERS, name="after"))


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
    ``peak_share`` (the curve's highest point: profit before the loss-makers), ``customers`` and,
    as Kotler meant the 30 (the least profitable 30% halve the *potential* profit),
    ``bottom_of_peak``: the bottom's profit as a share of that peak (negative when they lose money).
    """
    values = np.sort(pd.to_numeric(net_profit, errors="coerce").dropna().to_numpy())[::-1]
    n = len(values)
    total = values.sum()
    if n == 0 or total == 0:
        return {"customers": n, "total_profit": float(total), "top_share": float("nan"),
                "bottom_share": float("nan"), "peak_share": float("nan"), "bottom_of_peak": float("nan")}
    k_top = max(1, int(round(top * n)))
    k_bottom = max(1, int(round(bottom * n)))
    return {
        "customers": n,
        "total_profit": float(total),
        "top_share": float(values[:k_top].sum() / total),
        "bottom_share": float(values[n - k_bottom:].sum() / total),
        "peak_share": float(np.max(np.cumsum(values)) / total),
        "bottom_of_peak": float(values[n - k_bottom:].sum() / peak) if (peak := float(np.max(np.cumsum(values)))) > 0
        else float("nan"),
    }


# Recommended action per value class (text in i18n under action.<class>).
ACTIONS = {
    "most_valuable": "action.most_valuable",
    "growable": "action.growable",
    "below_zero": "action.below_zero",
    "maintain": "action.maintain",
}
