"""What the pages show beyond the scores: KPIs, migrations, filters, profiles, CLV diagnostics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation.analysis import frames
from valuation.data.features import fetch_frame
from valuation.data.store import Store
from valuation.model import clv as clv_models
from valuation.model import lifecycle, persist, scoring, tiers
from valuation.model.settings import ClvSettings, Weights

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
              direction: str = "all", codes: tuple | None = None, keep_rows: bool = False,
              composites: tuple | None = None) -> pd.DataFrame:
    """Customers whose tier or composite moved between two scorings of the same customers.

    ``direction`` "up" keeps customers who moved to a better tier (largest score
    gain first), "down" those who moved to a worse one (largest loss first), and
    "all" every customer whose tier or score moved, tier changes first.
    ``codes`` (before, after): the two scorings' tier codes (``pipeline.tier_codes``), which
    spare looking up a million tier labels. ``keep_rows`` adds ``row``, each mover's position
    in the scorings (for :func:`move_drivers`). ``composites`` (before, after): the two scorings'
    composites (``pipeline.composite``), read instead of a ``composite`` column: with ``codes``
    too, ``before`` and ``after`` may be the prepared features (only ``after``'s ids and names are
    read then).
    """
    if codes is not None:
        steps = np.asarray(codes[1], dtype=np.int64) - np.asarray(codes[0], dtype=np.int64)
    else:
        order = {t: i for i, t in enumerate(tiers.TIERS)}
        # Negative steps = towards A.
        steps = (pd.Series(after["tier"].to_numpy()).map(order)
                 - pd.Series(before["tier"].to_numpy()).map(order)).to_numpy()
    if composites is not None:
        composite_before, composite_after = (np.asarray(c, dtype=float) for c in composites)
    else:
        composite_before, composite_after = before["composite"].to_numpy(), after["composite"].to_numpy()
    score_moved = composite_after - composite_before
    if direction == "up":
        rows = np.flatnonzero(steps < 0)
        rows = rows[_candidates(None, score_moved[rows], top)]
    elif direction == "down":
        rows = np.flatnonzero(steps > 0)
        rows = rows[_candidates(None, -score_moved[rows], top)]
    else:
        rows = np.flatnonzero((steps != 0) | (np.abs(score_moved) > 1e-9))
        rows = rows[_candidates(np.abs(steps[rows]), np.abs(score_moved[rows]), top)]
    # Only the rows that can make the list are sorted, in NumPy (a stable sort by the keys, then the
    # id), and the frame is built once from the rows that made it: ~50 rows on every slider move,
    # where building and sorting a frame of them took milliseconds of pandas calls.
    moved = score_moved[rows]
    _, id_order = np.unique(after["customer_id"].iloc[rows].to_numpy(), return_inverse=True)
    if direction == "up":
        keys = (id_order, -moved)
    elif direction == "down":
        keys = (id_order, moved)
    else:
        keys = (id_order, -np.abs(moved), -np.abs(steps[rows]))
    rows = rows[np.lexsort(keys)] if len(rows) else rows
    if top is not None:
        rows = rows[:max(top, 0)]
    out = pd.DataFrame({
        "customer_id": _text_rows(after["customer_id"], rows),
        "name": _text_rows(after["name"], rows) if "name" in after else None,
        "tier_before": _tier_rows(before, rows, None if codes is None else codes[0]),
        "tier_after": _tier_rows(after, rows, None if codes is None else codes[1]),
        "composite_before": composite_before[rows],
        "composite_after": composite_after[rows],
        "score_moved": composite_after[rows] - composite_before[rows],
        "tier_steps": steps[rows],
    })
    if keep_rows:
        out["row"] = rows
    return out


def move_drivers(scores: pd.DataFrame, rows: np.ndarray, before: Weights, after: Weights,
                 composite_before: np.ndarray, composite_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Why each of ``rows`` (positions in ``scores``, the prepared dimension scores) moved between two
    weightings: the dimension whose points (w·s/Σw) changed most, or ``"tilt"`` when the strategic
    tilt's points (the composite beyond the weighted sum, after the cap) did; and by how much.

    ``composite_before``/``composite_after``: those rows' composites under each (the tilt included).
    Returns the drivers (dimension keys) and their points (signed), one per row; the movers list
    asks on every slider move, so it is a few small arrays, no frame.
    """
    columns = tuple(scores.columns)
    matrix = scores.iloc[np.asarray(rows)].to_numpy(dtype=float)
    parts = []
    for weights, composite in ((before, composite_before), (after, composite_after)):
        points = scoring.contribution_points(matrix, columns, weights)
        tilt = np.asarray(composite, dtype=float) - np.nansum(points, axis=1)
        parts.append(np.column_stack([points, tilt]))
    delta = parts[1] - parts[0]
    names = np.array(columns + ("tilt",), dtype=object)
    pick = np.argmax(np.abs(delta), axis=1) if len(delta) else np.zeros(0, dtype=int)
    return names[pick], delta[np.arange(len(delta)), pick]


def _tier_rows(scored: pd.DataFrame, rows: np.ndarray, codes):
    """The tier labels of ``rows``: from the codes when given (every label is text), else ``scored``'s."""
    if codes is None:
        return _text_rows(scored["tier"], rows)
    return pd.array(tiers.TIER_LABELS[np.asarray(codes)[rows]], dtype="str")


def _text_rows(column: pd.Series, rows: np.ndarray):
    """``column.to_numpy()[rows]`` typed as a frame of the whole column would type it (str when
    every value present is text, else object), however few rows are taken."""
    if isinstance(column.dtype, pd.StringDtype):  # text already: str unless nothing is there
        text = bool(column.notna().any())
    else:
        text = pd.api.types.infer_dtype(column.to_numpy(), skipna=True) == "string"
    return pd.array(column.iloc[rows].to_numpy(), dtype="str" if text else object)


def _candidates(primary: np.ndarray | None, secondary: np.ndarray, top: int | None) -> np.ndarray:
    """Positions of the rows that can be among the ``top`` first by (primary, secondary) descending.

    Rows tied on both keys at the cut are all kept (the final sort breaks those ties), so
    sorting only these rows gives the same head as sorting every row. Linear time.
    """
    m = len(secondary)
    if top is None or m <= top or np.isnan(secondary).any() or (
            primary is not None and np.isnan(primary.astype(float)).any()):
        return np.arange(m)
    if top <= 0:
        return np.arange(0)
    if primary is None:
        kth = np.partition(secondary, m - top)[m - top]
        return np.flatnonzero(secondary >= kth)
    keep, count = [], 0
    if primary.dtype.kind in "iu" and primary.min() >= 0:  # tier steps: counted, not hashed
        levels = np.flatnonzero(np.bincount(primary))
    else:
        levels = np.unique(primary)
    for level in levels[::-1]:
        at = np.flatnonzero(primary == level)
        if count + len(at) <= top:
            keep.append(at)
            count += len(at)
            if count == top:
                break
            continue
        need = top - count
        values = secondary[at]
        kth = np.partition(values, len(values) - need)[len(values) - need]
        keep.append(at[values >= kth])
        break
    return np.sort(np.concatenate(keep)) if keep else np.arange(0)


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


SEED_REPLACEMENT = (4, 5)  # seed 000: losing one most valuable customer takes at least 4-5 second-tier ones


def value_classes_in_money(scored: pd.DataFrame) -> dict:
    """Seed 000's checks in yuan: what share of buyers the most valuable are, what share of actual value
    (net CLV) and of the last 12 months' revenue they bring, and how many average growable customers'
    actual value one of them equals (the replacement rule, seed: 4-5). Buyers only."""
    has = scored["has_orders"].to_numpy(dtype=bool)
    cls = scored["value_class"].to_numpy(dtype=object)
    actual = scored["actual_value"].to_numpy(dtype=float)
    revenue = scored["revenue_12m"].to_numpy(dtype=float)
    strategic = scored["strategic_value"].to_numpy(dtype=float)
    most, grow = has & (cls == "most_valuable"), has & (cls == "growable")
    buyers = int(has.sum())
    total_actual = float(np.clip(actual[has], 0, None).sum())
    total_revenue = float(revenue[has].sum())
    mean_most = float(actual[most].mean()) if most.any() else float("nan")
    mean_grow = float(actual[grow].mean()) if grow.any() else float("nan")
    return {
        "buyers": buyers,
        "most_valuable": int(most.sum()),
        "customer_share": most.sum() / buyers if buyers else float("nan"),
        "actual_value": float(actual[most].sum()),
        "actual_share": float(actual[most].sum()) / total_actual if total_actual > 0 else float("nan"),
        "revenue_share": float(revenue[most].sum()) / total_revenue if total_revenue > 0 else float("nan"),
        "growable": int(grow.sum()),
        "growable_strategic": float(np.nansum(strategic[grow])),
        "replacement": mean_most / mean_grow if mean_grow > 0 else None,
        "wallet_known": bool(np.isfinite(strategic[has]).any()),
    }


def value_replacement(scored: pd.DataFrame, customer_id: str) -> float | None:
    """How many average growable customers' actual value one customer's actual value equals
    (None unless both are positive)."""
    row = scored.loc[scored["customer_id"] == customer_id]
    grow = scored.loc[scored["value_class"] == "growable", "actual_value"]
    if row.empty or grow.empty or not grow.mean() > 0 or not row["actual_value"].iloc[0] > 0:
        return None
    return float(row["actual_value"].iloc[0] / grow.mean())


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


AGEING_BUCKETS = ("0_30", "31_90", "90_plus")


def overdue_ageing(store: Store, dataset: str, as_of: dt.date | None, scored: pd.DataFrame) -> pd.DataFrame:
    """Overdue receivables by how long past due (0–30, 31–90, over 90 days) per tier, in yuan, as of
    ``as_of`` (seed 002: credit is the payment cycle and the arrears): invoices due before the as-of
    date and not paid by it. Rows: tiers with any overdue amount and a total row; columns: the
    buckets, the total and the customers owing."""
    ref = store.table_ref(dataset, "payments")
    sql = (f"SELECT customer_id, amount, date_diff('day', due_date, $as_of) AS days FROM {ref} "
           "WHERE due_date < $as_of AND (paid_date IS NULL OR paid_date > $as_of) "
           "AND COALESCE(invoice_date, due_date) <= $as_of AND amount > 0")
    day = as_of or dt.date.today()
    rows = fetch_frame(store.cursor(), sql, {"as_of": day})  # through Arrow: one row per overdue invoice
    columns = list(AGEING_BUCKETS) + ["total", "customers"]
    if rows.empty:
        return pd.DataFrame(columns=["tier"] + columns)
    rows["bucket"] = np.select([rows["days"] <= 30, rows["days"] <= 90], ["0_30", "31_90"], "90_plus")
    tier = scored.drop_duplicates("customer_id").set_index("customer_id")["tier"]
    rows["tier"] = rows["customer_id"].map(tier).fillna("prospect")
    table = rows.pivot_table(index="tier", columns="bucket", values="amount", aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=list(AGEING_BUCKETS), fill_value=0.0)
    table["total"] = table.sum(axis=1)
    table["customers"] = rows.groupby("tier")["customer_id"].nunique()
    table = table.reindex([t_ for t_ in tiers.TIERS if t_ in table.index])
    total = table.sum(numeric_only=True).to_frame().T.assign(tier="total").set_index("tier")
    total["customers"] = rows["customer_id"].nunique()
    return pd.concat([table, total]).rename_axis("tier").reset_index()


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
    return fetch_frame(store.cursor(), sql, {"as_of": as_of})  # through Arrow: .df() took 1.8 s for 11M rows


def clv_diagnostics(orders: pd.DataFrame, as_of: dt.date, holdout_weeks: int = 26,
                    purchase_model: str = "bgnbd") -> dict:
    """Fit the scoring's purchase model on a calibration period and compare with the holdout that follows.

    ``purchase_model`` is the one scoring chose for the dataset ("bgnbd" or "mbgnbd"), fitted the
    way scoring fits it (with the small ridge when a plain fit does not converge), so the
    diagnostics check the model the scores come from. The calibration period ends
    ``holdout_weeks`` before the as-of date. Returns
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
        model = clv_models.fit_purchase_model(purchase_model, summary["frequency"].to_numpy(dtype=float),
                                              summary["recency"].to_numpy(dtype=float),
                                              summary["T"].to_numpy(dtype=float))
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
        "purchase_model": purchase_model,
        "holdout": by_freq,
        "actual_total": int(summary["frequency_holdout"].sum()),
        "predicted_total": float(predicted.sum()),
        "p_alive": clv_models.probability_alive_matrix(model, 20, max_recency, max_recency),
    }


def best_first(frame: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """``frame.sort_values(column, ascending=False, kind="stable").head(n)`` (ties in row order,
    missing values last) without sorting every row: only the rows at or above the n-th largest
    value can be among the first n."""
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    threshold = frames.top_threshold(values, n)
    if threshold is not None:
        frame = frame[values >= threshold]
    return frame.sort_values(column, ascending=False, kind="stable").head(n)


DIAGNOSTICS_KEPT_FORMAT = 1  # in the kept files' names: raise when clv_diagnostics' result changes


def kept_clv_diagnostics(store: Store, dataset: str, as_of: dt.date, holdout_weeks: int = 26,
                         purchase_model: str = "bgnbd") -> dict:
    """:func:`clv_diagnostics` of the dataset's purchases up to ``as_of``, kept beside the date's
    prepared file (:func:`valuation.model.persist.companion`): a restarted server reads it instead
    of reading every purchase and fitting again (11.7 s at a million customers)."""
    path = persist.companion(store, dataset, as_of, ClvSettings(), (),
                             f"clvdiag{DIAGNOSTICS_KEPT_FORMAT}-{int(holdout_weeks)}w-{purchase_model}")
    kept = persist.load_result(path)
    if kept is not None:
        return kept
    result = clv_diagnostics(transactions(store, dataset, as_of), as_of, holdout_weeks, purchase_model)
    persist.save_result(path, result)
    return result


def tier_a_share_from_codes(scored: pd.DataFrame, codes: np.ndarray) -> float:
    """Tier A's share of the buyers' 12-month net profit, from tier codes (``tiers.TIERS`` order),
    as :func:`kpis` reports it from labels; NaN when the buyers made no profit in total."""
    has = scored["has_orders"].to_numpy(dtype=bool)
    profit = scored["net_profit_12m"].to_numpy(dtype=float)
    total = float(profit[has].sum())
    return float(profit[codes == tiers.TIERS.index("A")].sum()) / total if total else float("nan")
