"""Customer lifetime value: formula CLV, BG/NBD purchase counts and Gamma-Gamma spend."""

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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "ConvergenceError",
    "BetaGeoModel",
    "GammaGammaModel",
    "formula_clv",
    "formula_clv_table",
    "rfm_summary",
    "calibration_holdout_summary",
    "customer_lifetime_value",
    "fit_clv",
    "holdout_by_frequency",
    "probability_alive_matrix",
    "cumulative_repeat_transactions",
    "simulate_bgnbd",
]

TIME_UNIT_DAYS = {"D": 1.0, "W": 7.0}
DAYS_PER_MONTH = 365.25 / 12

# Log-parameter box for the optimiser: exp(+-25) is far outside any sensible value, so
# a parameter that ends on it means the data do not identify the model.
_LOG_PARAM_BOUND = 25.0


class ConvergenceError(RuntimeError):
    """A model could not be fitted: the optimiser failed or the data are degenerate."""


# --------------------------------------------------------------------------- helpers


def _unit_days(time_unit: str) -> float:
    try:
        return TIME_UNIT_DAYS[time_unit]
    except KeyError:
        raise ValueError(f"time_unit must be 'D' or 'W', got {time_unit!r}") from None


def _validate_columns(frame: pd.DataFrame, required: Sequence[str]) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"missing required column(s): {', '.join(map(str, missing))}")


def _as_float(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _wrap(result: np.ndarray, *inputs):
    """Return a float for scalar results, a Series when an input was a Series of the same length."""
    result = np.asarray(result, dtype=float)
    if result.ndim == 0:
        return float(result)
    for value in inputs:
        if isinstance(value, pd.Series) and len(value) == result.shape[0] and result.ndim == 1:
            return pd.Series(result, index=value.index)
    return result


def _day(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 as int64 (the time of day is dropped)."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        try:
            dates = pd.to_datetime(dates)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"order dates could not be parsed: {exc}") from None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise ValueError(f"{int(dates.isna().sum())} order date(s) are missing")
    return dates.dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)


def _timestamp_day_number(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def _group_rows(*columns: np.ndarray, weights: np.ndarray | None = None):
    """Collapse identical rows of ``columns`` into unique rows with summed weights.

    Each column is factorised (hashing, no sort) and the codes are packed into one int64
    key; the key is re-compressed whenever the next product could overflow. This avoids
    ``np.unique(axis=0)``, which sorts rows lexicographically and is ~2 s on 1M rows.

    Returns ``(unique_columns, group_weights, inverse)`` with ``inverse`` mapping each
    input row to its group.
    """
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    cardinality = 1
    # sort=True sorts only the distinct values: the groups come out in the order of their values,
    # not of the rows, so a fit sums them in the same order however the customers are ordered.
    for col in columns:
        codes, uniques = pd.factorize(col, sort=True)
        if cardinality * max(len(uniques), 1) >= 2**62:
            key, kept = pd.factorize(key, sort=True)
            cardinality = len(kept)
        key = key * len(uniques) + codes
        cardinality *= max(len(uniques), 1)
    inverse, _ = pd.factorize(key, sort=True)
    n_groups = int(inverse.max()) + 1 if n else 0
    representative = np.empty(n_groups, dtype=np.int64)
    representative[inverse] = np.arange(n)  # any row of a group will do: they are equal
    group_weights = np.bincount(inverse, weights=weights, minlength=n_groups).astype(float)
    return [np.asarray(c)[representative] for c in columns], group_weights, inverse


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Sum of u * v without BLAS: OpenBLAS threads its dot products, and on a busy
    two-core machine their synchronisation made a likelihood evaluation 10x slower."""
    return float(np.add.reduce(np.multiply(u, v), axis=None))


def _all_equal(*columns: np.ndarray) -> bool:
    """True when every row is the same (or there are no rows)."""
    return all(len(c) == 0 or bool(np.all(c == c[0])) for c in columns)


def _check_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _as_float(weights, "weights")
    if w.shape != (n,):
        raise ValueError(f"weights must have one value per customer ({n}), got shape {w.shape}")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    return w


def _check_rfm(frequency, recency, T):
    x = _as_float(frequency, "frequency")
    tx = _as_float(recency, "recency")
    age = _as_float(T, "T")
    x, tx, age = np.broadcast_arrays(x, tx, age)
    if np.any(x < 0) or np.any(tx < 0) or np.any(age < 0):
        raise ValueError("frequency, recency and T must be non-negative")
    if np.any(x != np.floor(x)):
        raise ValueError("frequency must be a whole number of repeat purchases")
    # Summary files round recency and T separately, so allow a rounding slack.
    slack = 1e-6 * np.maximum(1.0, age) + 1e-9
    if np.any(tx > age + slack):
        raise ValueError("recency cannot exceed T")
    return x, np.minimum(tx, age), age


def _minimize(
    objective, theta0: np.ndarray, data, model: str, names: Sequence[str], hint: str = ""
):
    """Minimise a (value, gradient) objective on log-parameters with L-BFGS-B.

    Raises ConvergenceError (with ``hint`` appended) when it fails or a parameter runs
    off to 0 or infinity.
    """
    bounds = [(-_LOG_PARAM_BOUND, _LOG_PARAM_BOUND)] * len(theta0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(
            objective, theta0, args=(data,), jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
    theta = result.x
    if not np.all(np.isfinite(theta)) or not np.isfinite(result.fun):
        raise ConvergenceError(f"{model} fit failed: the likelihood became non-finite")
    last = ", ".join(f"{n}={v:.3g}" for n, v in zip(names, np.exp(theta)))
    at_bound = [n for n, v in zip(names, theta) if abs(v) >= _LOG_PARAM_BOUND - 1e-6]
    if at_bound:
        raise ConvergenceError(
            f"{model} fit is degenerate: {', '.join(at_bound)} ran off to 0 or infinity "
            f"({last}); the data do not identify the model{hint}"
        )
    if not result.success:
        # L-BFGS-B may stop on a line search at the optimum when the objective is flat to
        # machine precision; accept that only when the gradient is negligible.
        gradient = np.asarray(result.jac)
        if not np.max(np.abs(gradient)) < 1e-5:
            drifting = [n for n, v in zip(names, theta) if abs(v) > 10]
            reason = (
                f"{', '.join(drifting)} drifting towards 0 or infinity, so the data do not "
                f"identify the model{hint}" if drifting
                else (str(result.message).strip() or "the line search failed")
            )
            raise ConvergenceError(f"{model} fit did not converge ({last}): {reason}")
    return result


# --------------------------------------------------------------------------- formula CLV


def _formula_inputs(retention, discount_rate, per_period, periods_per_year):
    retention = np.asarray(retention, dtype=float)
    discount_rate = np.asarray(discount_rate, dtype=float)
    if np.any((retention < 0) | (retention > 1)) or np.any(np.isnan(retention)):
        raise ValueError("retention must be between 0 and 1")
    if np.any(discount_rate <= -1) or np.any(np.isnan(discount_rate)):
        raise ValueError("discount_rate must be greater than -1")
    if not per_period:
        # Annual rates -> rates per period (e.g. per month with periods_per_year=12).
        retention = retention ** (1.0 / periods_per_year)
        discount_rate = (1.0 + discount_rate) ** (1.0 / periods_per_year) - 1.0
    return retention, discount_rate


def formula_clv(
    margin,
    retention,
    discount_rate,
    horizon,
    acquisition_cost=0.0,
    *,
    per_period: bool = True,
    first_period_retained: bool = False,
    periods_per_year: int = 12,
):
    """Retention-based CLV: discounted expected margins over a finite (or infinite) horizon.

    ``CLV = sum_{t=1..H} m * s_t / (1 + d)^t - AC`` with survival ``s_t = r^t`` ([7]).
    Periods are counted from t = 1: the first margin arrives at the *end* of period 1 and
    is discounted once. With ``first_period_retained=True`` the first margin is certain
    and ``s_t = r^(t-1)`` (the customer must survive t-1 renewals).

    Every argument may be a scalar, a numpy array or a Series; they broadcast together.

    Parameters
    ----------
    margin : float or array_like
        Margin (profit) per period while the customer is retained.
    retention : float or array_like
        Probability of being retained from one period to the next, in [0, 1].
    discount_rate : float or array_like
        Discount rate per period (> -1).
    horizon : int, array_like or ``np.inf``
        Number of periods. ``np.inf`` uses the perpetuity ``m q / (1 - q)`` with
        ``q = r / (1 + d)`` (requires ``q < 1``).
    acquisition_cost : float or array_like, default 0
        Subtracted once, undiscounted, at t = 0.
    per_period : bool, default True
        True: ``retention`` and ``discount_rate`` are rates per period of the horizon.
        False: they are annual rates, converted to ``periods_per_year`` periods per year
        (``r ** (1/k)`` and ``(1 + d) ** (1/k) - 1``); ``margin`` stays per period.
    first_period_retained : bool, default False
        If True the first period's margin is certain (survival ``r^(t-1)``).
    periods_per_year : int, default 12
        Only used when ``per_period=False``.

    Returns
    -------
    float, ndarray or Series
        CLV per customer (a float when all inputs are scalars).
    """
    retention_arr, rate = _formula_inputs(retention, discount_rate, per_period, periods_per_year)
    m = np.asarray(margin, dtype=float)
    h = np.asarray(horizon, dtype=float)
    ac = np.asarray(acquisition_cost, dtype=float)
    if np.any(h < 0) or np.any(np.isnan(h)) or np.any(np.isfinite(h) & (h != np.floor(h))):
        raise ValueError("horizon must be a non-negative whole number of periods (or inf)")
    m, retention_arr, rate, h, ac = np.broadcast_arrays(m, retention_arr, rate, h, ac)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log q = log r - log(1 + d); the geometric sum sum_{t=1..H} q^t written as
        # q (1 - q^H) / (1 - q) = q expm1(H log q) / expm1(log q), exact as q -> 1.
        log_q = np.log(retention_arr) - np.log1p(rate)
        q = np.exp(log_q)
        finite_h = np.where(np.isfinite(h), h, 0.0)
        finite_sum = np.where(
            log_q == 0.0, finite_h, q * np.expm1(finite_h * log_q) / np.expm1(log_q)
        )
        finite_sum = np.where((finite_h == 0) | (retention_arr == 0), 0.0, finite_sum)
        perpetuity = np.where(q < 1, q / -np.expm1(log_q), np.inf)
        total = np.where(np.isfinite(h), finite_sum, perpetuity)
        if first_period_retained:
            # sum_{t=1..H} r^(t-1)/(1+d)^t = (1/r) sum q^t; for r = 0 only t = 1 remains.
            total = np.where(
                retention_arr > 0, total / retention_arr, np.where(h >= 1, 1.0 / (1.0 + rate), 0.0)
            )
    clv = m * total - ac
    return _wrap(clv, margin, retention, discount_rate, horizon, acquisition_cost)


def formula_clv_table(
    margin: float,
    retention: float,
    discount_rate: float,
    horizon: int,
    acquisition_cost: float = 0.0,
    *,
    per_period: bool = True,
    first_period_retained: bool = False,
    periods_per_year: int = 12,
) -> pd.DataFrame:
    """Period-by-period worked example of :func:`formula_clv` for one customer.

    Parameters are scalars with the meaning of :func:`formula_clv`; ``horizon`` must be
    finite.

    Returns
    -------
    DataFrame
        One row per period with columns ``period`` (1..H), ``survival`` (probability the
        margin of that period is received), ``discount_factor`` (``1 / (1+d)^t``),
        ``discounted_margin`` (margin x survival x discount factor) and
        ``cumulative_clv`` (running sum minus the acquisition cost; its last value equals
        ``formula_clv``).
    """
    if not np.isfinite(horizon) or horizon < 0 or horizon != int(horizon):
        raise ValueError("horizon must be a finite, non-negative whole number")
    r, d = _formula_inputs(retention, discount_rate, per_period, periods_per_year)
    r, d = float(r), float(d)
    period = np.arange(1, int(horizon) + 1)
    survival = r ** (period - 1) if first_period_retained else r**period
    discount_factor = (1.0 + d) ** -period.astype(float)
    discounted = float(margin) * survival * discount_factor
    return pd.DataFrame(
        {
            "period": period,
            "survival": survival,
            "discount_factor": discount_factor,
            "discounted_margin": discounted,
            "cumulative_clv": np.cumsum(discounted) - float(acquisition_cost),
        }
    )


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


# --------------------------------------------------------------------------- BG/NBD


@dataclass(frozen=True)
class _BGNBDData:
    """Grouped (x, t_x, T) triples split the way the likelihood needs them."""

    total_weight: float
    x_values: np.ndarray  # unique frequencies ...
    x_weights: np.ndarray  # ... and their total weights (for the terms in x only)
    T0: np.ndarray  # triples with x == 0: only T matters
    w0: np.ndarray
    x1: np.ndarray  # triples with x > 0
    tx1: np.ndarray
    T1: np.ndarray
    w1: np.ndarray

    @classmethod
    def build(cls, x, tx, T, w, *, group: bool = True) -> _BGNBDData:
        keep = w > 0
        x, tx, T, w = x[keep], tx[keep], T[keep], w[keep]
        if group:
            (x, tx, T), w, _ = _group_rows(x, tx, T, weights=w)
        x_code, x_values = pd.factorize(x)  # hashing: no sort of all rows
        x_weights = np.bincount(x_code, weights=w, minlength=len(x_values))
        zero = x == 0
        return cls(
            total_weight=float(w.sum()), x_values=x_values, x_weights=x_weights,
            T0=T[zero], w0=w[zero], x1=x[~zero], tx1=tx[~zero], T1=T[~zero], w1=w[~zero],
        )

    @property
    def n_rows(self) -> int:
        return len(self.T0) + len(self.T1)


def _bgnbd_negative_loglik(theta: np.ndarray, data: _BGNBDData):
    """Mean negative log-likelihood of the BG/NBD and its gradient in log-parameters.

    Eq. (6) in [1], in the log form of Section 7 of [1]:
    ``LL = A1 + A2 + log(exp(A3) + d_{x>0} exp(A4))`` with
    ``A1 = lnG(r+x) - lnG(r) + r ln(alpha)``,
    ``A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)``,
    ``A3 = -(r+x) ln(alpha+T)`` and ``A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x)``.
    """
    r, alpha, a, b = np.exp(theta)
    W = data.total_weight
    xv, xw = data.x_values, data.x_weights
    # A1 + A2 depend on x only: evaluate them once per distinct frequency.
    ll = _dot(
        xw, special.gammaln(r + xv) + special.gammaln(b + xv) - special.gammaln(a + b + xv)
    ) + W * (-special.gammaln(r) + r * np.log(alpha) + special.gammaln(a + b)
             - special.gammaln(b))
    psi_ab = special.digamma(a + b)
    psi_abx = special.digamma(a + b + xv)
    d_r = _dot(xw, special.digamma(r + xv)) + W * (np.log(alpha) - special.digamma(r))
    d_alpha = W * r / alpha
    d_a = W * psi_ab - _dot(xw, psi_abx)
    d_b = W * (psi_ab - special.digamma(b)) + _dot(xw, special.digamma(b + xv) - psi_abx)

    # x == 0: the customer is alive at T for sure, only A3 = -r ln(alpha + T) remains.
    log_aT0 = np.log(alpha + data.T0)
    ll -= r * _dot(data.w0, log_aT0)
    d_r -= _dot(data.w0, log_aT0)
    d_alpha -= r * _dot(data.w0, 1.0 / (alpha + data.T0))

    # x > 0: log(exp(A3) + exp(A4)) by logaddexp; p4 is the posterior probability that
    # the customer died right after the last purchase (the second term of Eq. (6) in [1]).
    rx = r + data.x1
    log_aT = np.log(alpha + data.T1)
    log_atx = np.log(alpha + data.tx1)
    bx1 = b + data.x1 - 1.0
    A3 = -rx * log_aT
    A4 = np.log(a) - np.log(bx1) - rx * log_atx
    log_sum = np.logaddexp(A3, A4)
    p4 = np.exp(A4 - log_sum)
    p3 = 1.0 - p4
    w1 = data.w1
    ll += _dot(w1, log_sum)
    d_r -= _dot(w1, p3 * log_aT + p4 * log_atx)
    d_alpha -= _dot(w1 * rx, p3 / (alpha + data.T1) + p4 / (alpha + data.tx1))
    d_a += _dot(w1, p4) / a
    d_b -= _dot(w1, p4 / bx1)

    # Chain rule to log-parameters: d/d(log v) = v d/dv.
    grad = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
    return -ll / W, -grad / W


_GAUSS_LEGENDRE = np.polynomial.legendre.leggauss(64)


def _bgnbd_alive_expectation_by_quadrature(t, x, T, r, alpha, a, b):
    """``E[Y(t) | alive, x, T]`` as a one-dimensional integral over the dropout rate p.

    Given that she is alive, a customer's ``lambda | x, T ~ Gamma(r+x, alpha+T)`` and
    ``p | x ~ Beta(a, b+x)``, and she makes ``(1 - exp(-lambda p t)) / p`` purchases in
    expectation ([1], the individual-level expectation behind Eq. (9)); integrating
    lambda out leaves ``E_p[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p]``. Used only where
    both hypergeometric forms overflow, which needs a large ``a``: the Beta density is
    then smooth and unimodal, and 64 Gauss-Legendre nodes over its mean +- 12 sd suffice.
    """
    n = a + b + x
    mean = a / n
    sd = np.sqrt(mean * (1.0 - mean) / (n + 1.0))
    lo = np.maximum(mean - 12.0 * sd, 0.0)
    hi = np.minimum(mean + 12.0 * sd, 1.0)
    nodes, weights = _GAUSS_LEGENDRE
    half = (hi - lo)[:, None] / 2.0
    p = np.clip(lo[:, None] + half * (nodes + 1.0), 1e-300, 1.0 - 1e-16)
    log_density = (
        (a - 1.0) * np.log(p) + (b + x - 1.0)[:, None] * np.log1p(-p)
        - special.betaln(a, b + x)[:, None]
    )
    log_ratio = np.log(alpha + T)[:, None] - np.log(alpha + T[:, None] + p * t[:, None])
    purchases = -np.expm1((r + x)[:, None] * log_ratio) / p
    return np.sum(weights * half * np.exp(log_density) * purchases, axis=1)


def _bgnbd_bracket(t, x, T, r, alpha, a, b):
    """``(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]``.

    The numerator of Eq. (10) in [1] (Eq. (9) when x = T = 0): the expected purchases
    in the next t given that the customer is alive. ``(1-z)^(r+x) 2F1(r+x, b+x; c; z)``
    with ``c = a+b+x-1`` overflows for heavy buyers -- the "#NUM!" problem of [5].
    Euler's transformation ([6] 15.3.3) rewrites it as ``(1-z)^(a-1) 2F1(a+b-1-r, a-1;
    c; z)``, whose upper parameters do not grow with x; that form overflows instead when
    ``a`` is large (dropout probabilities tightly concentrated), where the original one
    is fine. Each element takes the first finite of: the Euler form, the original form,
    and a quadrature over p (large ``a`` *and* heavy buyer).
    """
    if abs(a - 1.0) < 1e-7:
        a = 1.0 + math.copysign(1e-7, a - 1.0)  # removable singularity at a = 1
    t, x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (t, x, T)))
    shape = t.shape
    t, x, T = t.ravel(), x.ravel(), T.ravel()
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    log_1mz = np.log1p(-z)
    with np.errstate(over="ignore", invalid="ignore"):
        # 1 - (1-z)^(a-1) F  =  -expm1((a-1) ln(1-z)) - (1-z)^(a-1) (F - 1): no
        # cancellation for short windows, where both terms are small.
        power = (a - 1.0) * log_1mz
        hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        bracket = c / (a - 1.0) * (-np.expm1(power) - np.exp(power) * (hyp - 1.0))
        bad = ~np.isfinite(bracket)
        if bad.any():
            rx = r + x[bad]
            hyp = special.hyp2f1(rx, b + x[bad], c[bad], z[bad])
            bracket[bad] = c[bad] / (a - 1.0) * (1.0 - np.exp(rx * log_1mz[bad]) * hyp)
            bad = ~np.isfinite(bracket)
    if bad.any():
        bracket[bad] = _bgnbd_alive_expectation_by_quadrature(
            t[bad], x[bad], T[bad], r, alpha, a, b
        )
    return bracket.reshape(shape)


_PAIRS_FROM = 4096  # below this many customers, grouping costs more than it saves


class _PairBracket:
    """:func:`_bgnbd_bracket` for many customers, evaluated once per distinct (x, T) pair.

    The bracket depends on the frequency and the age only (not on t_x), and customers
    share few such pairs (31 thousand among a million in the benchmark data), so the
    hypergeometric functions run per pair and the values are gathered back per customer.
    Each element is computed by the same operations as on the full arrays: same result.
    """

    def __init__(self, x: np.ndarray, T: np.ndarray):
        (self.x, self.T), _, self.inverse = _group_rows(x, T)

    def __call__(self, t, r, alpha, a, b, out: np.ndarray | None = None) -> np.ndarray:
        return np.take(_bgnbd_bracket(t, self.x, self.T, r, alpha, a, b), self.inverse, out=out)


class BetaGeoModel:
    """BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005 [1]).

    While alive, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r,
    alpha)``; after each repeat purchase she drops out with probability ``p ~ Beta(a,
    b)``. Fitted by maximum likelihood with an analytic gradient on grouped (frequency,
    recency, T) triples.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}`` after :meth:`fit` (``alpha`` is in the time unit of
        recency and T).
    loglik_ : float
        Total log-likelihood at ``params_`` (Eq. (6) of [1] summed over customers,
        weights included): -9582.4 on the CDNOW sample in weeks.
    n_customers_, n_groups_, n_iter_ : int
        Customers (total weight), distinct triples and optimiser iterations.
    """

    param_names = ("r", "alpha", "a", "b")

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.loglik_: float | None = None

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """A model with known parameters (e.g. published ones or a cached fit)."""
        model = cls()
        model.params_ = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        return model

    def _params(self):
        if self.params_ is None:
            raise RuntimeError("BetaGeoModel is not fitted: call fit() first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def fit(self, frequency, recency, T, weights=None, *, group: bool = True,
            penalizer: float = 0.0) -> BetaGeoModel:
        """Maximum-likelihood fit (optionally with a small ridge penalty on the log-parameters).

        Parameters
        ----------
        frequency, recency, T : array_like
            Repeat purchases x, time of the last purchase t_x and age T per customer (or
            per distinct triple when ``weights`` are counts), as from :func:`rfm_summary`.
        weights : array_like, optional
            Number of customers per row (default 1 each).
        group : bool, default True
            Collapse identical triples before fitting (same result, much faster on large
            data); False evaluates every row, for testing.
        penalizer : float, default 0
            Weight of a ridge penalty on the log-parameters (per customer). 0 is plain
            maximum likelihood; a small value (1e-4) keeps a and b finite for customers
            who almost never drop out. ``loglik_`` is always the unpenalised likelihood.

        Returns
        -------
        BetaGeoModel
            ``self``, with ``params_`` and ``loglik_``.

        Raises
        ------
        ConvergenceError
            With fewer than two distinct customer histories, no repeat purchase at all,
            or when the optimiser fails.
        """
        x, tx, age = _check_rfm(frequency, recency, T)
        x, tx, age = x.ravel(), tx.ravel(), age.ravel()
        w = _check_weights(weights, len(x))
        data = _BGNBDData.build(x, tx, age, w, group=group)
        if data.total_weight <= 0:
            raise ConvergenceError("BG/NBD fit needs customers with positive weight")
        if data.n_rows < 2 if group else _all_equal(x[w > 0], tx[w > 0], age[w > 0]):
            raise ConvergenceError("BG/NBD fit needs at least two distinct customer histories")
        if len(data.x1) == 0:
            raise ConvergenceError(
                "BG/NBD fit needs repeat buyers: no customer has frequency > 0, so purchase "
                "rates and dropout cannot be told apart"
            )
        # Start where the mean purchase rate r/alpha matches sum(x)/sum(T).
        mean_x = _dot(data.x1, data.w1) / data.total_weight
        mean_T = (_dot(data.T0, data.w0) + _dot(data.T1, data.w1)) / data.total_weight
        alpha0 = max(mean_T, 1e-3) / max(mean_x, 1e-3)
        theta0 = np.log([1.0, alpha0, 1.0, 1.0])
        objective = _bgnbd_negative_loglik
        if penalizer > 0:
            # When customers hardly ever drop out, the likelihood keeps rising as a and b grow
            # together (a/(a+b) fixed): a tiny ridge on log-parameters gives the finite optimum
            # with the same forecasts, where plain ML has none.
            def objective(theta, d, _base=_bgnbd_negative_loglik):
                value, grad = _base(theta, d)
                return value + penalizer * float(theta @ theta), grad + 2 * penalizer * theta
        result = _minimize(objective, theta0, data, "BG/NBD", self.param_names)
        self.params_ = dict(zip(self.param_names, map(float, np.exp(result.x))))
        self.penalizer_ = float(penalizer)
        self.loglik_ = float(-_bgnbd_negative_loglik(result.x, data)[0] * data.total_weight)
        self.n_customers_ = float(data.total_weight)
        self.n_groups_ = data.n_rows
        self.n_iter_ = int(result.nit)
        return self

    def log_likelihood(self, frequency, recency, T):
        """Per-customer log-likelihood, Eq. (6) in [1] (no grouping; for diagnostics).

        Returns
        -------
        float, ndarray or Series
        """
        r, alpha, a, b = self._params()
        x, tx, age = _check_rfm(frequency, recency, T)
        with np.errstate(divide="ignore"):
            A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
            A2 = special.betaln(a, b + x) - special.betaln(a, b)
            A3 = -(r + x) * np.log(alpha + age)
            A4 = np.where(
                x > 0,
                np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + tx),
                -np.inf,
            )
        return _wrap(A1 + A2 + np.logaddexp(A3, A4), frequency, recency, T)

    def probability_alive(self, frequency, recency, T):
        """Probability that a customer with history (x, t_x, T) is still alive at T.

        ``1`` for x = 0, else ``1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``.

        From the P(alive) note [2] (Bayes' rule on the two terms of Eq. (6) in [1]),
        computed as a logistic of a log-ratio so heavy buyers cannot overflow.

        Returns
        -------
        float, ndarray or Series
        """
        r, alpha, a, b = self._params()
        x, tx, age = _check_rfm(frequency, recency, T)
        log_ratio = (
            np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0)
            + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        )
        return _wrap(np.where(x > 0, special.expit(-log_ratio), 1.0), frequency, recency, T)

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """Expected repeat purchases in ``(T, T + t]`` given the history (x, t_x, T).

        Eq. (10) in [1]: ``E[Y(t) | x, t_x, T] = bracket(t, x, T) * P(alive)``, with the
        hypergeometric term evaluated after Euler's transformation (see [5], [6]).

        Parameters
        ----------
        t : float or array_like
            Length of the forecast window, in the time unit of the fit.
        frequency, recency, T : array_like
            Customer histories.

        Returns
        -------
        float, ndarray or Series
        """
        r, alpha, a, b = self._params()
        x, tx, age = _check_rfm(frequency, recency, T)
        t_arr = _as_float(t, "t")
        if np.any(t_arr < 0):
            raise ValueError("t must be non-negative")
        alive = self.probability_alive(x, tx, age)
        with np.errstate(invalid="ignore", divide="ignore"):
            if t_arr.ndim == 0 and x.ndim == 1 and len(x) >= _PAIRS_FROM:
                # One window for many customers: the bracket depends on (x, T) only.
                expected = _PairBracket(x, age)(t_arr, r, alpha, a, b) * alive
            else:
                expected = _bgnbd_bracket(t_arr, x, age, r, alpha, a, b) * alive
        return _wrap(expected, frequency, recency, T, t)

    def expected_purchases(self, t):
        """Expected repeat purchases in ``(0, t]`` for a new customer, Eq. (9) in [1].

        Returns
        -------
        float or ndarray
        """
        r, alpha, a, b = self._params()
        t_arr = _as_float(t, "t")
        if np.any(t_arr < 0):
            raise ValueError("t must be non-negative")
        return _wrap(_bgnbd_bracket(t_arr, 0.0, 0.0, r, alpha, a, b), t)


# --------------------------------------------------------------------------- Gamma-Gamma


@dataclass(frozen=True)
class _GGData:
    """Sufficient statistics of the Gamma-Gamma likelihood (repeat buyers, spend > 0)."""

    total_weight: float
    x_values: np.ndarray
    x_weights: np.ndarray
    sum_x_log_m: float  # sum w x ln m
    sum_log_m: float  # sum w ln m
    sum_x_log_x: float  # sum w x ln x
    x: np.ndarray
    mx: np.ndarray  # m x, the customer's total repeat spend
    w: np.ndarray

    @classmethod
    def build(cls, x, m, w) -> _GGData:
        x_code, x_values = pd.factorize(x)
        log_m = np.log(m)
        return cls(
            total_weight=float(w.sum()), x_values=x_values,
            x_weights=np.bincount(x_code, weights=w, minlength=len(x_values)),
            sum_x_log_m=_dot(w * x, log_m), sum_log_m=_dot(w, log_m),
            sum_x_log_x=_dot(w * x, np.log(x)), x=x, mx=m * x, w=w,
        )


def _gg_negative_loglik(theta: np.ndarray, data: _GGData):
    """Mean negative log-likelihood of the Gamma-Gamma spend model and its gradient.

    Eq. (1a) in [3] (the marginal density of the mean spend m of x transactions):
    ``ln f = lnG(px+q) - lnG(px) - lnG(q) + q ln(g) + (px-1) ln(m) + px ln(x)
    - (px+q) ln(g + m x)``. Every term but the last is a function of x or a fixed
    sum over customers, so one logarithm per customer is left per evaluation.
    """
    p, q, g = np.exp(theta)
    W = data.total_weight
    xv, xw = data.x_values, data.x_weights
    px_v = p * xv
    log_gmx = np.log(g + data.mx)
    wx = data.w * data.x
    inv_gmx = 1.0 / (g + data.mx)
    ll = (
        _dot(xw, special.gammaln(px_v + q) - special.gammaln(px_v))
        + W * (q * np.log(g) - special.gammaln(q))
        + p * (data.sum_x_log_m + data.sum_x_log_x) - data.sum_log_m
        - p * _dot(wx, log_gmx) - q * _dot(data.w, log_gmx)
    )
    psi_pxq = special.digamma(px_v + q)
    d_p = (
        _dot(xw * xv, psi_pxq - special.digamma(px_v))
        + data.sum_x_log_m + data.sum_x_log_x - _dot(wx, log_gmx)
    )
    d_q = _dot(xw, psi_pxq) - W * special.digamma(q) + W * np.log(g) - _dot(data.w, log_gmx)
    d_g = W * q / g - p * _dot(wx, inv_gmx) - q * _dot(data.w, inv_gmx)
    grad = np.array([p * d_p, q * d_q, g * d_g])
    return -ll / W, -grad / W


class GammaGammaModel:
    """Gamma-Gamma model of mean spend per transaction ([3], [4]).

    A customer's transaction values are Gamma(p, nu) around her mean ``p / nu``, and
    ``nu ~ Gamma(q, gamma)`` across customers. Only repeat buyers with positive mean
    spend enter the fit: the model is conditioned on the repeat transactions and
    ``ln 0`` has no likelihood.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "gamma"}`` after :meth:`fit`.
    loglik_ : float
        Total log-likelihood at ``params_`` over the customers used.
    n_customers_ : float
        Customers used (total weight).
    frequency_spend_correlation_ : float
        Weighted Pearson correlation of frequency and mean spend among them; the model
        assumes the two are independent ([3] checks this is small: 0.11 on CDNOW).
    """

    param_names = ("p", "q", "gamma")

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.loglik_: float | None = None

    @classmethod
    def from_params(cls, p: float, q: float, gamma: float) -> GammaGammaModel:
        """A model with known parameters (e.g. published ones or a cached fit)."""
        model = cls()
        model.params_ = {"p": float(p), "q": float(q), "gamma": float(gamma)}
        return model

    def _params(self):
        if self.params_ is None:
            raise RuntimeError("GammaGammaModel is not fitted: call fit() first")
        return self.params_["p"], self.params_["q"], self.params_["gamma"]

    def fit(self, frequency, monetary_value, weights=None) -> GammaGammaModel:
        """Maximum-likelihood fit on customers with frequency > 0 and monetary_value > 0.

        Parameters
        ----------
        frequency : array_like
            Repeat purchases per customer.
        monetary_value : array_like
            Mean spend per repeat purchase (as ``monetary_value`` of :func:`rfm_summary`).
        weights : array_like, optional
            Number of customers per row (default 1 each).

        Returns
        -------
        GammaGammaModel
            ``self``, with ``params_`` and ``loglik_``.

        Raises
        ------
        ConvergenceError
            With fewer than two distinct usable customers or when the optimiser fails.
        """
        x = _as_float(frequency, "frequency").ravel()
        m = _as_float(monetary_value, "monetary_value").ravel()
        if x.shape != m.shape:
            raise ValueError("frequency and monetary_value must have the same length")
        w = _check_weights(weights, len(x))
        keep = (x > 0) & (m > 0) & (w > 0)
        x, m, w = x[keep], m[keep], w[keep]
        if len(x) == 0 or _all_equal(x, m):
            raise ConvergenceError(
                "Gamma-Gamma fit needs at least two different repeat buyers with positive "
                f"spend; found {int(len(x))} usable customer row(s)"
            )
        data = _GGData.build(x, m, w)
        mean_spend = _dot(w, m) / data.total_weight
        # p = 1, q = 2 and gamma = mean spend make the prior mean p*gamma/(q-1) match the data.
        theta0 = np.log([1.0, 2.0, mean_spend])
        result = _minimize(
            _gg_negative_loglik, theta0, data, "Gamma-Gamma", self.param_names,
            hint=" (huge q and gamma mean the customers' mean spends differ no more than "
                 "chance would make them: spend looks homogeneous, so the overall mean "
                 "spend is the better forecast)",
        )
        self.params_ = dict(zip(self.param_names, map(float, np.exp(result.x))))
        self.loglik_ = float(-result.fun * data.total_weight)
        self.n_customers_ = data.total_weight
        self.n_iter_ = int(result.nit)
        xm, mm = _dot(w, x) / data.total_weight, mean_spend
        cov = _dot(w, (x - xm) * (m - mm))
        var = _dot(w, (x - xm) ** 2) * _dot(w, (m - mm) ** 2)
        self.frequency_spend_correlation_ = float(cov / np.sqrt(var)) if var > 0 else float("nan")
        return self

    def expected_customer_spend(self, frequency, monetary_value):
        """Expected mean spend of a customer's future transactions, Eq. (5) in [3].

        ``E[M | x, m] = (gamma + m x) p / (p x + q - 1)``: a weighted average of the
        population mean ``p gamma / (q - 1)`` and the customer's own mean ``m``. For
        x = 0 it is the population mean (NaN when q <= 1, where that mean is infinite).

        Returns
        -------
        float, ndarray or Series
        """
        p, q, g = self._params()
        x = _as_float(frequency, "frequency")
        m = _as_float(monetary_value, "monetary_value")
        if np.any(x < 0) or np.any(m < 0):
            raise ValueError("frequency and monetary_value must be non-negative")
        denominator = p * x + q - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            spend = np.where(denominator > 0, (g + m * x) * p / denominator, np.nan)
        return _wrap(spend, frequency, monetary_value)

    conditional_expected_average_profit = expected_customer_spend  # lifetimes' name

    def expected_new_customer_spend(self) -> float:
        """Population mean spend per transaction ``p gamma / (q - 1)`` ([3]; NaN if q <= 1)."""
        p, q, g = self._params()
        return p * g / (q - 1.0) if q > 1 else float("nan")


# --------------------------------------------------------------------------- CLV


def customer_lifetime_value(
    bgnbd: BetaGeoModel,
    gg: GammaGammaModel,
    frequency,
    recency,
    T,
    monetary_value,
    *,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin=1.0,
    time_unit: str = "W",
    days_per_month: float = DAYS_PER_MONTH,
):
    """Discounted expected margin over the next ``horizon_months`` months per customer.

    ``CLV = sum_{k=1..H} (E[Y(k)] - E[Y(k-1)]) * E[M] * margin / (1 + d)^k`` where
    ``E[Y(k)]`` is the BG/NBD expectation of purchases in the next k months (Eq. (10)
    in [1]), ``E[M]`` the Gamma-Gamma expected spend (Eq. (5) in [3]) and ``d`` the
    monthly discount rate -- the discrete sum of lifetimes' ``customer_lifetime_value``
    [8]. Months are converted to the models' time unit with ``days_per_month`` (365.25/12
    by default; lifetimes uses 30 days or 4.345 weeks).

    Parameters
    ----------
    bgnbd, gg : fitted BetaGeoModel and GammaGammaModel
        The BG/NBD must have been fitted in ``time_unit``.
    frequency, recency, T, monetary_value : array_like
        Customer histories, e.g. the columns of :func:`rfm_summary`.
    horizon_months : int, default 12
    monthly_discount_rate : float, default 0.01
    margin : float or array_like, default 1.0
        Share of spend that is profit (1.0 gives discounted revenue).
    time_unit : {"W", "D"}
    days_per_month : float

    Returns
    -------
    float, ndarray or Series
        CLV per customer (same money unit as ``monetary_value``).
    """
    if horizon_months < 0 or horizon_months != int(horizon_months):
        raise ValueError("horizon_months must be a non-negative whole number")
    if monthly_discount_rate <= -1:
        raise ValueError("monthly_discount_rate must be greater than -1")
    step = days_per_month / _unit_days(time_unit)
    x, tx, age = _check_rfm(frequency, recency, T)
    x, tx, age = x.ravel(), tx.ravel(), age.ravel()
    m = _as_float(monetary_value, "monetary_value").ravel()
    spend = np.asarray(gg.expected_customer_spend(x, m))
    # E[Y(k)] = bracket(k, x, T) * P(alive | x, t_x, T) (Eq. (10) in [1], as in
    # BetaGeoModel.conditional_expected_purchases): P(alive) once per customer, the
    # hypergeometric bracket once per distinct (x, T) pair and month.
    r, alpha, a, b = bgnbd._params()
    alive = np.asarray(bgnbd.probability_alive(x, tx, age), dtype=float)
    bracket = _PairBracket(x, age) if x.ndim == 1 and len(x) >= _PAIRS_FROM else None
    discounted_purchases = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    cumulative = np.empty(x.shape)
    in_month = np.empty(x.shape)
    for k in range(1, int(horizon_months) + 1):
        t = np.asarray(k * step, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            if bracket is not None:
                bracket(t, r, alpha, a, b, out=cumulative)
            else:
                cumulative[...] = _bgnbd_bracket(t, x, age, r, alpha, a, b)
            cumulative *= alive
        # (cumulative - previous) / (1 + d)^k, in place: a million customers, 36 months.
        np.subtract(cumulative, previous, out=in_month)
        in_month /= (1.0 + monthly_discount_rate) ** k
        discounted_purchases += in_month
        previous, cumulative = cumulative, previous
    clv = discounted_purchases * spend * np.asarray(margin, dtype=float)
    return _wrap(clv, frequency, recency, T, monetary_value)


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


# --------------------------------------------------------------------------- report


def fit_clv(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    holdout_end=None,
    time_unit: str = "W",
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "amount",
    observation_start=None,
    positive_amounts_only: bool = False,
) -> dict:
    """Fit BG/NBD and Gamma-Gamma on the calibration period and report as plain JSON data.

    Parameters
    ----------
    transactions : DataFrame
        Required columns ``customer_col``, ``date_col``, ``amount_col``. Not modified.
    calibration_end : date-like
        Last day of the calibration period (inclusive).
    holdout_end : date-like, optional
        When given, the report adds actual vs predicted repeat purchase days in
        ``(calibration_end, holdout_end]``.
    time_unit : {"W", "D"}
    customer_col, date_col, amount_col, observation_start, positive_amounts_only
        As in :func:`rfm_summary`.

    Returns
    -------
    dict
        ``{"time_unit", "calibration_end", "customers", "repeat_buyers",
        "bgnbd": {"r", "alpha", "a", "b", "loglik"},
        "gamma_gamma": {"p", "q", "gamma", "loglik", "customers"},
        "holdout": {"end", "duration", "actual", "predicted"}}`` (``holdout`` only with
        ``holdout_end``).

    Raises
    ------
    ConvergenceError
        When either model cannot be fitted.
    """
    common = dict(customer_col=customer_col, date_col=date_col, amount_col=amount_col,
                  observation_start=observation_start, time_unit=time_unit,
                  positive_amounts_only=positive_amounts_only)
    if holdout_end is None:
        summary = rfm_summary(transactions, observation_end=calibration_end, **common)
    else:
        summary = calibration_holdout_summary(
            transactions, calibration_end=calibration_end, holdout_end=holdout_end, **common
        )
    x, tx, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    bg = BetaGeoModel().fit(x, tx, age)
    gg = GammaGammaModel().fit(x, summary["monetary_value"].to_numpy(dtype=float))
    report = {
        "time_unit": time_unit,
        "calibration_end": _day(calibration_end).date().isoformat(),
        "customers": int(len(summary)),
        "repeat_buyers": int((x > 0).sum()),
        "bgnbd": {**bg.params_, "loglik": bg.loglik_},
        "gamma_gamma": {**gg.params_, "loglik": gg.loglik_, "customers": int(gg.n_customers_)},
    }
    if holdout_end is not None:
        duration = float(summary["duration_holdout"].iloc[0]) if len(summary) else 0.0
        predicted = np.asarray(bg.conditional_expected_purchases(duration, x, tx, age))
        report["holdout"] = {
            "end": _day(holdout_end).date().isoformat(),
            "duration": duration,
            "actual": int(summary["frequency_holdout"].sum()),
            "predicted": float(predicted.sum()),
        }
    return report


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T,
    *,
    seed=None,
    recency_step: float | None = None,
) -> pd.DataFrame:
    """Draw (frequency, recency, T) for ``n`` customers from the BG/NBD process of [1].

    Each customer gets ``lambda ~ Gamma(r, rate alpha)`` and ``p ~ Beta(a, b)``; she
    makes Poisson(lambda) repeat purchases and dies right after the N-th one,
    ``N ~ Geometric(p)``. The observed count is ``x = min(K, N)`` with ``K ~
    Poisson(lambda T)`` and, given K, the x-th of K uniform purchase times is
    ``T Beta(x, K - x + 1)``.

    Parameters
    ----------
    n : int
    r, alpha, a, b : float
    T : float or array_like
        Customer ages (broadcast to ``n``).
    seed : int or numpy Generator, optional
    recency_step : float, optional
        Express recency in whole steps (e.g. 1/7 for whole days in weeks), as real
        purchase dates are; None keeps it continuous.

    Returns
    -------
    DataFrame
        Columns ``frequency``, ``recency``, ``T``.
    """
    rng = np.random.default_rng(seed)
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    purchases = rng.poisson(lam * age)
    lifetime_purchases = rng.geometric(np.clip(p, 1e-12, 1.0))
    x = np.minimum(purchases, lifetime_purchases)
    recency = np.zeros(n)
    buyers = x > 0
    recency[buyers] = age[buyers] * rng.beta(x[buyers], purchases[buyers] - x[buyers] + 1)
    if recency_step is not None:
        # Purchases fall on whole days: the first one at a uniform moment of its day, so
        # the day difference floors (offset + recency) -- unbiased on average.
        offset = rng.random(n)
        recency = np.minimum(np.floor(recency / recency_step + offset) * recency_step, age)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": recency, "T": age})
