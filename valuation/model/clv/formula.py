"""Formula CLV: margin × retention × discount over a horizon, the transparent calculation."""

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

from valuation.model.clv.base import _wrap

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
