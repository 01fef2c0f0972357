"""The lifecycle funnel by cohort: of those who entered a step in a period, how many took the next within N days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from valuation.data import purchase_days
from valuation.data.features import fetch_frame
from valuation.data.store import Store
from valuation.model import persist

DEFAULT_WINDOW_DAYS = 90
DEFAULT_PERIOD_MONTHS = 12
# Each step: who enters it (the date they entered) and the next step (the date they took it).
STEPS = ("lead", "first_purchase", "repeat")
OUTCOMES = {"lead": "first_purchase", "first_purchase": "repeat", "repeat": "third_purchase"}
_DATES = {"lead": ("created_at", "first_purchase"), "first_purchase": ("first_purchase", "second_purchase"),
          "repeat": ("second_purchase", "third_purchase")}
HISTORY_COLUMNS = ("customer_id", "created_at", "first_purchase", "second_purchase", "third_purchase")
HISTORY_KEPT_FORMAT = 1  # in the kept file's name: raise when the history's columns change
COLUMNS = ("step", "outcome", "entered", "open", "measured", "converted", "conversion", "available")

# Purchase days are days with an order line of a positive amount (returns and credit notes are not
# purchases), numbered as the feature SQL numbers them (purchase_days.py: stored at import where the
# dataset has the table); orders after the as-of date are not known yet.
HISTORY_SQL = """
WITH purchase_rows AS (
{purchase_rows}
),
purchases AS (
    SELECT customer_id,
           MAX(CASE WHEN day_no = 1 THEN order_date END) AS first_purchase,
           MAX(CASE WHEN day_no = 2 THEN order_date END) AS second_purchase,
           MAX(CASE WHEN day_no = 3 THEN order_date END) AS third_purchase
    FROM purchase_rows
    WHERE day_no <= 3
    GROUP BY customer_id
),
created AS (
    SELECT customer_id, MIN(created_at) AS created_at
    FROM {customers}
    WHERE created_at <= $as_of
    GROUP BY customer_id
)
SELECT COALESCE(p.customer_id, c.customer_id) AS customer_id, c.created_at,
       p.first_purchase, p.second_purchase, p.third_purchase
FROM purchases p
FULL OUTER JOIN created c ON c.customer_id = p.customer_id
"""


def build_history_query(purchase_rows: str, customers_ref: str, as_of: dt.date) -> tuple[str, dict]:
    """SQL and parameters for each customer's creation date and first three purchase days up to
    ``as_of``; ``purchase_rows``: the numbered purchase rows up to ``$as_of``
    (:func:`purchase_days.source_sql`)."""
    sql = HISTORY_SQL.replace("{purchase_rows}", purchase_rows).replace("{customers}", customers_ref)
    return sql, {"as_of": pd.Timestamp(as_of).date()}


def purchase_history(store: Store, dataset: str, as_of: dt.date) -> pd.DataFrame:
    """Per customer: ``created_at`` and the dates of the first, second and third purchase day.

    Customers created after ``as_of`` without an order by then are left out; a date
    that does not exist (no creation date, fewer purchase days) is NaT. The frame's
    ``attrs["as_of"]`` holds ``as_of``.
    """
    sql, params = build_history_query(purchase_days.source_sql(store, dataset),
                                      store.table_ref(dataset, "customers"), as_of)

    def query() -> pd.DataFrame:
        out = fetch_frame(store.cursor(), sql, params, sort_by="customer_id")
        for column in HISTORY_COLUMNS[1:]:
            out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
        return out[list(HISTORY_COLUMNS)]
    # kept beside the date's prepared file: a restart reads it (the query took 1.6 s at 1M)
    out = persist.kept_frame(store, dataset, params["as_of"], f"history{HISTORY_KEPT_FORMAT}", query)
    out.attrs["as_of"] = params["as_of"]
    return out


def default_period(as_of: dt.date, window_days: int = DEFAULT_WINDOW_DAYS,
                   months: int = DEFAULT_PERIOD_MONTHS) -> tuple[dt.date, dt.date]:
    """The ``months`` ending ``window_days`` before ``as_of``: every window of the period has closed."""
    end = pd.Timestamp(as_of) - pd.Timedelta(days=int(window_days))
    start = end - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)
    return start.date(), end.date()


def cohort_funnel(history: pd.DataFrame, start: dt.date, end: dt.date, window_days: int = DEFAULT_WINDOW_DAYS,
                  as_of: dt.date | None = None) -> pd.DataFrame:
    """Of the customers who entered each step between ``start`` and ``end``, those who took the next
    step within ``window_days``.

    The steps: a *lead* (``created_at`` in the period, no purchase before it) makes a
    first purchase; a *first buyer* (first purchase day in the period) buys again on
    another day; a *repeat buyer* (second purchase day in the period) buys on a third
    day. A customer whose window had not ended by ``as_of`` (entered less than
    ``window_days`` before it) is *open*: counted, but left out of the rate, which
    would otherwise fall for every recent cohort only because its time is not up.

    Parameters
    ----------
    history : DataFrame
        :func:`purchase_history`: ``created_at``, ``first_purchase``,
        ``second_purchase``, ``third_purchase`` (dates, NaT when absent).
    start, end : date
        The period, both days included; ``end`` is cut to ``as_of``.
    window_days : int
        N, the days allowed for the next step (the step's day included, day N included).
    as_of : date, optional
        Default: ``history.attrs["as_of"]``.

    Returns
    -------
    DataFrame, one row per step of :data:`STEPS`: ``step``, ``outcome`` (the next
    step), ``entered``, ``open``, ``measured`` (entered − open), ``converted`` (among
    the measured), ``conversion`` (converted / measured; NaN when none measured) and
    ``available`` (False for the lead step when no customer has a creation date).
    ``attrs`` hold start, end, window_days, as_of and ``without_created_at`` (buyers
    who cannot enter the lead step).
    """
    missing = [c for c in HISTORY_COLUMNS[1:] if c not in history]
    if missing:
        raise ValueError(f"cohort_funnel needs column(s) {', '.join(missing)}; got {', '.join(history.columns)}")
    window_days = int(window_days)
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    as_of = pd.Timestamp(as_of if as_of is not None else history.attrs["as_of"]).normalize()
    start, end = pd.Timestamp(start).normalize(), min(pd.Timestamp(end).normalize(), as_of)
    if start > end:
        raise ValueError(f"the period starts ({start.date()}) after it ends ({end.date()})")
    created = history["created_at"]
    rows = []
    for step in STEPS:
        entry_col, next_col = _DATES[step]
        entry, taken = history[entry_col], history[next_col]
        entered = entry.between(start, end).to_numpy()  # NaT is never between
        if step == "lead":  # a customer who bought before being created was never a lead
            entered = entered & ~(taken < entry).to_numpy()
        is_open = entered & ((as_of - entry).dt.days < window_days).to_numpy()
        measured = entered & ~is_open
        converted = measured & ((taken - entry).dt.days <= window_days).to_numpy()  # NaT: False
        n_measured, n_converted = int(measured.sum()), int(converted.sum())
        rows.append({"step": step, "outcome": OUTCOMES[step], "entered": int(entered.sum()),
                     "open": int(is_open.sum()), "measured": n_measured, "converted": n_converted,
                     "conversion": n_converted / n_measured if n_measured else np.nan,
                     "available": bool(created.notna().any()) if step == "lead" else True})
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out.attrs.update(start=start.date(), end=end.date(), window_days=window_days, as_of=as_of.date(),
                     without_created_at=int((history["first_purchase"].notna() & created.isna()).sum()))
    return out
