"""Customer lifetime value from the purchase and spend models, and the fit-and-report of the `clv` command."""

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

from valuation.model.clv.base import DAYS_PER_MONTH, ConvergenceError, _as_float, _check_rfm, _day, _unit_days, _wrap
from valuation.model.clv.purchase import BetaGeoModel
from valuation.model.clv.selection import PURCHASE_MODELS, fit_purchase_model
from valuation.model.clv.spend import GammaGammaModel, LogNormalSpendModel
from valuation.model.clv.summary import calibration_holdout_summary, rfm_summary

# --------------------------------------------------------------------------- CLV


def discounted_expected_purchases(
    model,
    frequency,
    recency,
    T,
    *,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    time_unit: str = "W",
    days_per_month: float = DAYS_PER_MONTH,
) -> np.ndarray:
    """``sum_{k=1..H} (E[Y(k)] - E[Y(k-1)]) / (1 + d)^k`` per customer: expected purchases in each
    of the next ``horizon_months`` months, discounted to today.

    ``E[Y(k)]`` is the purchase model's conditional expectation of purchases in the next k months
    (Eq. (10) in [1] for the BG/NBD). A model offering ``_cumulative_parts(x, T)`` (a per-(x, T)
    bracket and a per-customer factor, as BG/NBD and MBG/NBD do) is evaluated once per distinct
    (x, T) pair and month; any other model through ``conditional_expected_purchases``.

    Parameters
    ----------
    model : fitted purchase model (BetaGeoModel, ModifiedBetaGeoModel, …)
        Fitted in ``time_unit``.
    frequency, recency, T : array_like
    horizon_months : int
    monthly_discount_rate : float
    time_unit : {"W", "D"}
    days_per_month : float

    Returns
    -------
    ndarray
    """
    if horizon_months < 0 or horizon_months != int(horizon_months):
        raise ValueError("horizon_months must be a non-negative whole number")
    if monthly_discount_rate <= -1:
        raise ValueError("monthly_discount_rate must be greater than -1")
    step = days_per_month / _unit_days(time_unit)
    x, tx, age = _check_rfm(frequency, recency, T)
    x, tx, age = x.ravel(), tx.ravel(), age.ravel()
    parts = getattr(model, "_cumulative_parts", None)
    if parts is not None:
        bracket, factor = parts(x, tx, age)
    else:
        bracket = factor = None
    discounted = np.zeros(x.shape)
    previous = np.zeros(x.shape)
    cumulative = np.empty(x.shape)
    in_month = np.empty(x.shape)
    for k in range(1, int(horizon_months) + 1):
        t = float(k * step)
        with np.errstate(invalid="ignore", divide="ignore"):
            if bracket is not None:
                bracket(t, out=cumulative)
                cumulative *= factor
            else:
                cumulative[...] = np.asarray(model.conditional_expected_purchases(t, x, tx, age), dtype=float)
        # (cumulative - previous) / (1 + d)^k, in place: a million customers, 36 months.
        np.subtract(cumulative, previous, out=in_month)
        in_month /= (1.0 + monthly_discount_rate) ** k
        discounted += in_month
        previous, cumulative = cumulative, previous
    return discounted


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
    bgnbd, gg : fitted purchase model (BetaGeoModel or any with the same methods) and GammaGammaModel
        The purchase model must have been fitted in ``time_unit``.
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
    x, _, _ = _check_rfm(frequency, recency, T)
    m = _as_float(monetary_value, "monetary_value").ravel()
    spend = np.asarray(gg.expected_customer_spend(x.ravel(), m))
    purchases = discounted_expected_purchases(bgnbd, frequency, recency, T, horizon_months=horizon_months,
                                              monthly_discount_rate=monthly_discount_rate, time_unit=time_unit,
                                              days_per_month=days_per_month)
    clv = purchases * spend * np.asarray(margin, dtype=float)
    return _wrap(clv, frequency, recency, T, monetary_value)


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
    """Fit the purchase models (BG/NBD, MBG/NBD) and spend models (Gamma-Gamma, log-normal) on the
    calibration period and report as plain JSON data; with a holdout, the purchase model with the
    smaller error per customer is ``holdout.chosen`` (the scoring's rule).

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
        "bgnbd": {"r", "alpha", "a", "b", "loglik", "penalizer"}, "mbgnbd": {…},
        "gamma_gamma": {"p", "q", "gamma", "loglik", "customers"},
        "log_normal_spend": {"mu", "tau2", "s2", "loglik", "new_customer_spend"},
        "holdout": {"end", "duration", "actual", "models": {name: {"predicted", "rmse"}}, "chosen",
        "predicted" (BG/NBD's, as published, where it fits)}}``. A model that cannot be fitted
        is ``{"error": message}``; ``holdout`` only with ``holdout_end``.

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
    purchase_models, errors = {}, {}
    for name in PURCHASE_MODELS:
        try:
            purchase_models[name] = fit_purchase_model(name, x, tx, age)
        except ConvergenceError as exc:
            errors[name] = str(exc)
    if not purchase_models:
        raise ConvergenceError("; ".join(f"{n}: {e}" for n, e in errors.items()))
    report = {
        "time_unit": time_unit,
        "calibration_end": _day(calibration_end).date().isoformat(),
        "customers": int(len(summary)),
        "repeat_buyers": int((x > 0).sum()),
    }
    for name in PURCHASE_MODELS:
        model = purchase_models.get(name)
        report[name] = ({**model.params_, "loglik": model.loglik_, "penalizer": model.penalizer_}
                        if model is not None else {"error": errors[name]})
    try:
        gg = GammaGammaModel().fit(x, summary["monetary_value"].to_numpy(dtype=float))
        report["gamma_gamma"] = {**gg.params_, "loglik": gg.loglik_, "customers": int(gg.n_customers_)}
    except ConvergenceError as exc:
        report["gamma_gamma"] = {"error": str(exc)}
    days, average = _purchase_days_and_average(transactions, summary.index, calibration_end, customer_col,
                                               date_col, amount_col, observation_start)
    try:
        spend = LogNormalSpendModel().fit(days, average)
        report["log_normal_spend"] = {**spend.params_, "loglik": spend.loglik_,
                                      "new_customer_spend": spend.expected_new_customer_spend()}
    except ConvergenceError as exc:
        report["log_normal_spend"] = {"error": str(exc)}
    if holdout_end is not None:
        duration = float(summary["duration_holdout"].iloc[0]) if len(summary) else 0.0
        actual = summary["frequency_holdout"].to_numpy(dtype=float)
        holdout = {"end": _day(holdout_end).date().isoformat(), "duration": duration,
                   "actual": int(actual.sum()), "models": {}}
        best = None
        for name, model in purchase_models.items():
            predicted = np.asarray(model.conditional_expected_purchases(duration, x, tx, age), dtype=float)
            rmse = float(np.sqrt(np.mean((predicted - actual) ** 2))) if len(actual) else 0.0
            holdout["models"][name] = {"predicted": float(predicted.sum()), "rmse": rmse}
            if best is None or rmse < holdout["models"][best]["rmse"]:
                best = name
        holdout["chosen"] = best
        # "predicted" stays BG/NBD's, the literature's figure (1,653.4 on CDNOW), where it fits.
        holdout["predicted"] = holdout["models"]["bgnbd" if "bgnbd" in holdout["models"] else best]["predicted"]
        report["holdout"] = holdout
    return report


def _purchase_days_and_average(transactions, customers, calibration_end, customer_col, date_col, amount_col,
                               observation_start) -> tuple[np.ndarray, np.ndarray]:
    """Purchase days and the average spend per purchase day, the first included, per customer of
    ``customers`` up to ``calibration_end`` (same-day purchases merged; days with spend > 0)."""
    dates = pd.to_datetime(transactions[date_col]).dt.normalize()
    keep = dates <= _day(calibration_end)
    if observation_start is not None:
        keep &= dates >= _day(observation_start)
    daily = (transactions.loc[keep, amount_col].groupby([transactions.loc[keep, customer_col], dates[keep]])
             .sum())
    daily = daily[daily > 0]
    per = daily.groupby(level=0).agg(["size", "mean"]).reindex(customers)
    return per["size"].fillna(0).to_numpy(dtype=float), per["mean"].fillna(0).to_numpy(dtype=float)
