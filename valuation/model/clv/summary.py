"""Per-customer (frequency, recency, T, monetary value) summaries from transactions, with a holdout split."""

# References (cited in comments as [n]):
# [1] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "'Counting Your Customers' the
#     Easy Way: An Alternative to the Pareto/NBD Model." Marketing Science 24(2), 275-284.
# [2] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2008). "Computing P(alive) Using the
#     BG/NBD Model." http://www.brucehardie.com/notes/021/
# [3] Fader, P.S. & Hardie, B.G.S. (2013). "The Gamma-Gamma Model of Monetary Value."
#     http://www.brucehardie.com/notes/025/
# [4] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "RFM and CLV: Using Iso-Value
#     Curves for Customer Base Analysis." Journal of Marketing Research 42(4), 415-430.
# [5] Fader, P.S. & Hardie, B.G.S. (2013). "Overcoming the BG/NBD Model's #NUM! Error
#     Problem." http://www.brucehardie.com/notes/027/
# [6] Abramowitz, M. & Stegun, I.A. (1964). Handbook of Mathematical Functions, 15.3.3
#     (Euler's transformation of the Gauss hypergeometric function).
# [7] Gupta, S. & Lehmann, D.R. (2003). "Customers as Assets." Journal of Interactive
#     Marketing 17(1), 9-24 (the retention-based CLV formula).
# [8] lifetimes 0.11.3 (C. Davidson-Pilon): `summary_data_from_transaction_data`,
#     `calibration_and_holdout_data`, `customer_lifetime_value` -- the data definitions
#     and the monthly CLV sum followed here.

from __future__ import annotations

import numpy as np
import pandas as pd

from valuation.model.clv.base import _day, _day_numbers, _timestamp_day_number, _unit_days, _validate_columns

# --------------------------------------------------------------------------- RFM summaries


def _daily_purchases(ids: pd.Series, days: np.ndarray, amounts: np.ndarray | None):
    """Distinct (customer, day) pairs -- same-day purchases merged -- and their spend.

    Returns ``(customers, customer_code, day, spend)``: ``customers`` is an Index of ids
    (sorted when the ids are comparable) and the other three have one entry per pair.
    Hash-based (``pd.factorize``) rather than a groupby or a sort of all rows.
    """
    codes, customers = pd.factorize(ids)
    try:
        order = customers.argsort()
    except TypeError:  # mixed id types cannot be sorted: keep first-seen order
        order = None
    if order is not None:
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, customers = rank[codes], customers[order]
    if len(codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return customers, empty, empty, np.zeros(0)
    day0 = int(days.min())
    span = int(days.max()) - day0 + 1
    pair, keys = pd.factorize(codes.astype(np.int64) * span + (days - day0))
    spend = (
        np.zeros(len(keys)) if amounts is None
        else np.bincount(pair, weights=amounts, minlength=len(keys))
    )
    return customers, keys // span, keys % span + day0, spend


def _customer_days(ids: pd.Series, days: np.ndarray, amounts: np.ndarray | None):
    """Per-customer statistics of purchase *days* (same-day purchases merged).

    Returns a DataFrame indexed by customer id with ``n_days``, ``first_day``,
    ``last_day`` (int64 day numbers), ``total_spend`` and ``repeat_spend`` (spend on all
    days but the first).
    """
    customers, customer, day, spend = _daily_purchases(ids, days, amounts)
    n = len(customers)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, customer, day)
    np.maximum.at(last, customer, day)
    is_first = day == first[customer]
    return pd.DataFrame(
        {
            "n_days": np.bincount(customer, minlength=n).astype(np.int64),
            "first_day": first,
            "last_day": last,
            "total_spend": np.bincount(customer, weights=spend, minlength=n),
            "repeat_spend": np.bincount(
                customer, weights=np.where(is_first, 0.0, spend), minlength=n
            ),
        },
        index=customers,
    )


def _transaction_arrays(transactions, customer_col, date_col, amount_col,
                        positive_amounts_only=False):
    if positive_amounts_only and amount_col is None:
        raise ValueError("positive_amounts_only needs an amount_col")
    required = [customer_col, date_col] + ([amount_col] if amount_col is not None else [])
    _validate_columns(transactions, required)
    ids = transactions[customer_col].reset_index(drop=True)
    if ids.isna().any():
        raise ValueError(f"{int(ids.isna().sum())} row(s) have no {customer_col}")
    days = _day_numbers(transactions[date_col])
    amounts = None
    if amount_col is not None:
        amounts = pd.to_numeric(transactions[amount_col], errors="coerce").to_numpy(dtype=float)
        if np.isnan(amounts).any():
            bad = int(np.isnan(amounts).sum())
            raise ValueError(f"{bad} {amount_col} value(s) are not numbers")
        if positive_amounts_only:
            purchase = amounts > 0
            ids = ids[purchase].reset_index(drop=True)
            days, amounts = days[purchase], amounts[purchase]
    return ids, days, amounts


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str | None = "amount",
    observation_end,
    observation_start=None,
    time_unit: str = "W",
    positive_amounts_only: bool = False,
) -> pd.DataFrame:
    """Frequency / recency / T / monetary value per customer, as in the BTYD literature.

    Definitions follow lifetimes' ``summary_data_from_transaction_data`` [8] and the CDNOW
    files of [1]: purchases are first merged per customer and calendar day; the first
    purchase day does not count as a repeat.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase. Required columns: ``customer_col``, ``date_col`` (datetime
        or parseable text; the time of day is ignored) and, unless ``amount_col`` is None,
        ``amount_col`` (numeric). Not modified.
    customer_col, date_col, amount_col : str
        Column names. ``amount_col=None`` leaves out ``monetary_value``.
    observation_end : date-like
        Last day of the observation period (inclusive); later purchases are ignored.
    observation_start : date-like, optional
        Purchases before this day are ignored (a customer's first purchase is then the
        first one on or after it).
    time_unit : {"W", "D"}
        Unit of ``recency`` and ``T``: weeks (days / 7, not calendar weeks -- unlike
        lifetimes' ``freq="W"``, purchases in the same week stay separate) or days.
    positive_amounts_only : bool, default False
        False counts every row as a purchase, as the CDNOW files do (they include
        USD 0.00 orders). True keeps only rows with ``amount > 0`` -- returns and free
        orders are not purchases -- as ``features.py`` does; needs ``amount_col``.

    Returns
    -------
    DataFrame
        Indexed by customer (name ``customer_col``, sorted), columns:

        * ``frequency`` -- number of repeat purchase days (int),
        * ``recency`` -- last purchase day minus first purchase day, in ``time_unit``,
        * ``T`` -- ``observation_end`` minus first purchase day, in ``time_unit``,
        * ``monetary_value`` -- mean spend per repeat purchase day (first day excluded),
          0 when ``frequency == 0``.
    """
    unit = _unit_days(time_unit)
    arrays = _transaction_arrays(
        transactions, customer_col, date_col, amount_col, positive_amounts_only
    )
    return _rfm_from_arrays(*arrays, _day(observation_end), observation_start, unit, customer_col)


def _rfm_from_arrays(ids, days, amounts, observation_end, observation_start, unit, name):
    end = _timestamp_day_number(observation_end)
    keep = days <= end
    if observation_start is not None:
        keep &= days >= _timestamp_day_number(_day(observation_start))
    stats = _customer_days(ids[keep], days[keep], None if amounts is None else amounts[keep])
    frequency = stats["n_days"].to_numpy() - 1
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (stats["last_day"] - stats["first_day"]).to_numpy() / unit,
            "T": (end - stats["first_day"]).to_numpy() / unit,
        },
        index=stats.index,
    )
    if amounts is not None:
        summary["monetary_value"] = np.where(
            frequency > 0, stats["repeat_spend"].to_numpy() / np.maximum(frequency, 1), 0.0
        )
    summary.index.name = name
    return summary


def calibration_holdout_summary(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    holdout_end,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str | None = "amount",
    observation_start=None,
    time_unit: str = "W",
    positive_amounts_only: bool = False,
) -> pd.DataFrame:
    """Calibration-period RFM summary plus what each customer did in the holdout period.

    Parameters
    ----------
    transactions : DataFrame
        Required columns as in :func:`rfm_summary`. Not modified.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    holdout_end : date-like
        Last day of the holdout period (inclusive); the holdout is
        ``(calibration_end, holdout_end]``.
    customer_col, date_col, amount_col, observation_start, time_unit, positive_amounts_only
        As in :func:`rfm_summary`.

    Returns
    -------
    DataFrame
        The :func:`rfm_summary` columns for the calibration period (customers whose first
        purchase falls in it) plus ``frequency_holdout`` (purchase days in the holdout,
        all of which are repeats), ``monetary_value_holdout`` (mean spend per holdout
        purchase day, 0 when none; only with ``amount_col``) and ``duration_holdout``
        (holdout length in ``time_unit``).
    """
    unit = _unit_days(time_unit)
    cal_end = _day(calibration_end)
    hold_end = _day(holdout_end)
    if hold_end <= cal_end:
        raise ValueError("holdout_end must be after calibration_end")
    ids, days, amounts = _transaction_arrays(
        transactions, customer_col, date_col, amount_col, positive_amounts_only
    )
    summary = _rfm_from_arrays(ids, days, amounts, cal_end, observation_start, unit, customer_col)
    keep = (days > _timestamp_day_number(cal_end)) & (days <= _timestamp_day_number(hold_end))
    stats = _customer_days(ids[keep], days[keep], None if amounts is None else amounts[keep])
    # Customers first seen in the holdout are not in the calibration summary: dropped here.
    stats = stats.reindex(summary.index)
    n_days = stats["n_days"].fillna(0).to_numpy(dtype=np.int64)
    summary["frequency_holdout"] = n_days
    if amounts is not None:
        total = stats["total_spend"].fillna(0.0).to_numpy(dtype=float)
        summary["monetary_value_holdout"] = np.where(n_days > 0, total / np.maximum(n_days, 1), 0.0)
    summary["duration_holdout"] = (hold_end - cal_end).days / unit
    return summary
