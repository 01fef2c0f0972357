"""How well the models fit: holdout by frequency, P(alive) matrix, cumulative repeat purchases."""

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

import math

import numpy as np
import pandas as pd

from valuation.model.clv.base import _day, _dot, _timestamp_day_number, _unit_days, _validate_columns
from valuation.model.clv.purchase import BetaGeoModel
from valuation.model.clv.summary import _daily_purchases, _transaction_arrays

# --------------------------------------------------------------------------- diagnostics


def holdout_by_frequency(
    summary_with_holdout: pd.DataFrame, model: BetaGeoModel, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Actual vs predicted mean holdout purchases by calibration frequency (Fig. 4 of [1]).

    Parameters
    ----------
    summary_with_holdout : DataFrame
        Output of :func:`calibration_holdout_summary`; required columns ``frequency``,
        ``recency``, ``T``, ``frequency_holdout``, ``duration_holdout``.
    model : fitted BetaGeoModel
    max_frequency : int, default 7
        Frequencies at or above it are pooled into one ``"7+"`` group.

    Returns
    -------
    DataFrame
        Indexed by ``frequency`` (0..max_frequency), columns ``label`` ("0", ..., "7+"),
        ``customers``, ``actual`` and ``predicted`` (mean repeat purchases per customer
        in the holdout).
    """
    _validate_columns(
        summary_with_holdout,
        ["frequency", "recency", "T", "frequency_holdout", "duration_holdout"],
    )
    s = summary_with_holdout
    predicted = np.asarray(
        model.conditional_expected_purchases(
            s["duration_holdout"].to_numpy(), s["frequency"].to_numpy(),
            s["recency"].to_numpy(), s["T"].to_numpy(),
        )
    )
    band = np.minimum(s["frequency"].to_numpy(dtype=np.int64), max_frequency)
    frame = pd.DataFrame(
        {"frequency": band, "actual": s["frequency_holdout"].to_numpy(dtype=float),
         "predicted": predicted}
    )
    out = frame.groupby("frequency").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    out = out.reindex(range(max_frequency + 1))
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    out.insert(0, "label", [str(f) for f in range(max_frequency)] + [f"{max_frequency}+"])
    return out


def probability_alive_matrix(
    model: BetaGeoModel, max_frequency: int, max_recency: int, T: float | None = None
) -> pd.DataFrame:
    """P(alive) for every frequency 0..max_frequency and recency 0..max_recency at age T.

    Parameters
    ----------
    model : fitted BetaGeoModel
    max_frequency, max_recency : int
        Grid limits (recency in the model's time unit, whole steps).
    T : float, optional
        Customer age for the whole grid; defaults to ``max_recency``. Must be at least
        ``max_recency``.

    Returns
    -------
    DataFrame
        Index ``frequency``, columns ``recency``. Row 0 is 1 (no repeat purchase yet: the
        model cannot have seen the customer drop out).
    """
    T = float(max_recency if T is None else T)
    if T < max_recency:
        raise ValueError("T must be at least max_recency")
    frequency = np.arange(int(max_frequency) + 1, dtype=float)
    recency = np.arange(int(max_recency) + 1, dtype=float)
    xx, rr = np.meshgrid(frequency, recency, indexing="ij")
    grid = np.asarray(model.probability_alive(xx.ravel(), rr.ravel(), np.full(xx.size, T)))
    return pd.DataFrame(
        grid.reshape(xx.shape),
        index=pd.Index(frequency.astype(int), name="frequency"),
        columns=pd.Index(recency.astype(int), name="recency"),
    )


def cumulative_repeat_transactions(
    transactions: pd.DataFrame,
    model: BetaGeoModel,
    *,
    end,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str | None = None,
    observation_start=None,
    time_unit: str = "W",
    positive_amounts_only: bool = False,
) -> pd.DataFrame:
    """Actual vs predicted cumulative repeat purchase days of the cohort (Fig. 2 of [1]).

    Period k (1, 2, ...) covers the days before ``start + k`` time units, where start is
    the first purchase day in the data. The prediction sums, over customers acquired
    before the end of period k, the unconditional expectation ``E[X(t)]`` (Eq. (9) in
    [1]) for the time since their first purchase.

    Parameters
    ----------
    transactions : DataFrame
        Required columns ``customer_col``, ``date_col`` (and ``amount_col`` when
        given). Not modified.
    model : BetaGeoModel
        Fitted in ``time_unit``.
    end : date-like
        Last day tracked (inclusive), e.g. the holdout end.
    amount_col, observation_start, positive_amounts_only
        As in :func:`rfm_summary` (``amount_col`` only matters for
        ``positive_amounts_only``).
    time_unit : {"W", "D"}

    Returns
    -------
    DataFrame
        Columns ``period`` (1..K), ``period_end`` (first day after the period),
        ``actual`` and ``predicted`` cumulative repeat purchase days.
    """
    unit = _unit_days(time_unit)
    ids, days, _ = _transaction_arrays(
        transactions, customer_col, date_col, amount_col, positive_amounts_only
    )
    last = _timestamp_day_number(_day(end))
    keep = days <= last
    if observation_start is not None:
        keep &= days >= _timestamp_day_number(_day(observation_start))
    ids, days = ids[keep], days[keep]
    if len(days) == 0:
        return pd.DataFrame(columns=["period", "period_end", "actual", "predicted"])
    _, customer, day, _ = _daily_purchases(ids, days, None)
    first = np.full(int(customer.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, day)
    start = int(first.min())
    n_periods = int(math.ceil((last - start + 1) / unit))
    bounds = start + unit * np.arange(1, n_periods + 1)  # exclusive period ends, in days
    # Repeat purchase days = all purchase days but the first of each customer.
    purchase_days_sorted = np.sort(day)
    first_days, first_counts = np.unique(first, return_counts=True)
    days_before = np.searchsorted(purchase_days_sorted, bounds, side="left")
    firsts_before = np.searchsorted(first_days, bounds, side="left")
    actual = days_before - np.r_[0, np.cumsum(first_counts)][firsts_before]
    predicted = np.empty(n_periods)
    for k, bound in enumerate(bounds):
        acquired = first_days < bound
        elapsed = (bound - first_days[acquired]) / unit
        predicted[k] = _dot(first_counts[acquired], np.asarray(model.expected_purchases(elapsed)))
    period_end = pd.to_datetime(np.ceil(bounds).astype(np.int64), unit="D")
    return pd.DataFrame(
        {"period": np.arange(1, n_periods + 1), "period_end": period_end,
         "actual": actual.astype(np.int64), "predicted": predicted}
    )
