"""Gamma-Gamma: what a customer will spend per purchase, given what they spent."""

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

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from valuation.model.clv.base import ConvergenceError, _all_equal, _as_float, _check_weights, _dot, _minimize, _wrap

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
                f"spend; found {int(len(x))} usable customer row(s)", code="gg_few", n=int(len(x))
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
            hint_key="clvfit.hint_homogeneous_spend",
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


# --------------------------------------------------------------------------- log-normal spend
#
# B2B order values are heavy-tailed: a Gamma-Gamma fit then has q near 1, its prior mean spend
# p*gamma/(q-1) explodes, and every customer without a repeat purchase inherits it (FACTS.md,
# issue #13: a 517 yuan one-off valued as a 28,372 yuan-a-purchase customer). Here spend is
# modelled on the log scale, where a heavy tail is an ordinary spread, and the first purchase is
# evidence like any other:
#
#   orders of customer i are log-normal around their mean exp(theta_i);
#   z_i = log(average spend over the customer's n_i purchase days)
#       ~ N(theta_i - s2 / (2 n_i), s2 / n_i)          (delta method on the log of an average)
#   theta_i ~ N(mu, tau2)                              (customers differ; the population)
#
# so z_i ~ N(mu - s2/(2 n_i), tau2 + s2/n_i) marginally (fitted by maximum likelihood), and the
# posterior of theta_i is normal: the customer's own log average shrunk toward mu by the
# weight k_i = tau2 / (tau2 + s2/n_i) (empirical Bayes, as in Efron & Morris 1975). The expected
# spend of a future purchase is E[exp(theta_i) | z_i] = exp(post_mean + post_var / 2): positive
# for every customer, finite for any tail, and a new customer's is exp(mu + tau2 / 2).


def _lognormal_negative_loglik(theta: np.ndarray, z: np.ndarray, n: np.ndarray, w: np.ndarray, total: float):
    """Mean negative log-likelihood of z ~ N(mu - s2/(2n), tau2 + s2/n) and its gradient in
    (mu, log tau2, log s2)."""
    mu, tau2, s2 = theta[0], np.exp(theta[1]), np.exp(theta[2])
    v = tau2 + s2 / n
    e = z - mu + s2 / (2.0 * n)
    ev = e / v
    nll = 0.5 * _dot(w, np.log(2.0 * np.pi * v) + e * ev) / total
    dv = 0.5 * (1.0 / v - ev * ev)  # d nll_i / d v_i
    grad = np.array([
        -_dot(w, ev) / total,
        tau2 * _dot(w, dv) / total,
        s2 * (_dot(w, dv / n) + _dot(w, ev / (2.0 * n))) / total,
    ])
    return nll, grad


class LogNormalSpendModel:
    """Expected spend per purchase with the first purchase as evidence, robust to heavy tails.

    See the comment above the class for the model. Fitted values end in ``_``:

    Attributes
    ----------
    params_ : dict
        ``{"mu", "tau2", "s2"}``: the population mean and variance of customers' log mean
        spend, and the within-customer variance of a log purchase.
    loglik_ : float
        Total log-likelihood at ``params_``.
    boundary_ : bool
        True when a variance ended at its bound (no heterogeneity between customers, or none
        within them): still a valid fit, its limit case.
    """

    param_names = ("mu", "tau2", "s2")

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.loglik_: float | None = None
        self.boundary_ = False

    @classmethod
    def from_params(cls, mu: float, tau2: float, s2: float) -> LogNormalSpendModel:
        model = cls()
        model.params_ = {"mu": float(mu), "tau2": float(tau2), "s2": float(s2)}
        return model

    def _params(self):
        if self.params_ is None:
            raise RuntimeError("LogNormalSpendModel is not fitted: call fit() first")
        return self.params_["mu"], self.params_["tau2"], self.params_["s2"]

    @staticmethod
    def _inputs(purchases, mean_spend):
        n = _as_float(purchases, "purchases").ravel()
        m = _as_float(mean_spend, "mean_spend").ravel()
        if n.shape != m.shape:
            raise ValueError("purchases and mean_spend must have the same length")
        return n, m

    def fit(self, purchases, mean_spend, weights=None) -> LogNormalSpendModel:
        """Maximum-likelihood fit on customers with at least one purchase and positive spend.

        Parameters
        ----------
        purchases : array_like
            Purchase occasions per customer, the first included (frequency + 1).
        mean_spend : array_like
            Average spend per purchase occasion, the first included.
        weights : array_like, optional
            Number of customers per row.

        Returns
        -------
        LogNormalSpendModel
            ``self`` with ``params_``, ``loglik_`` and ``boundary_``.

        Raises
        ------
        ConvergenceError
            With fewer than two customers with different spend, or when the optimiser fails.
        """
        n, m = self._inputs(purchases, mean_spend)
        w = _check_weights(weights, len(n))
        keep = (n >= 1) & (m > 0) & np.isfinite(m) & (w > 0)
        n, m, w = n[keep], m[keep], w[keep]
        if len(n) < 2 or _all_equal(m):
            raise ConvergenceError("the spend model needs at least two buyers with different, positive spend; "
                                   f"found {int(len(n))}", code="spend_few", n=int(len(n)))
        z = np.log(m)
        total = float(w.sum())
        centre = _dot(w, z) / total
        spread = max(_dot(w, (z - centre) ** 2) / total, 1e-6)
        # Variances bounded to [spread * 1e-8, spread * 100]: at the lower bound the limit case
        # (no heterogeneity, or none within customers) is the answer, not a failure.
        lo, hi = np.log(spread * 1e-8), np.log(spread * 100.0)
        theta0 = np.array([0.0, np.log(spread / 2), np.log(spread / 2)])
        zc = z - centre  # mu is fitted relative to the mean log spend: a well-scaled problem
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = optimize.minimize(_lognormal_negative_loglik, theta0, args=(zc, n, w, total), jac=True,
                                       method="L-BFGS-B", bounds=[(None, None), (lo, hi), (lo, hi)],
                                       options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-9})
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise ConvergenceError("spend model fit failed: the likelihood became non-finite",
                                   code="spend_non_finite")
        d, log_tau2, log_s2 = result.x
        self.params_ = {"mu": float(centre + d), "tau2": float(np.exp(log_tau2)), "s2": float(np.exp(log_s2))}
        self.loglik_ = float(-result.fun * total)
        self.boundary_ = bool(min(log_tau2, log_s2) <= lo + 1e-6 or max(log_tau2, log_s2) >= hi - 1e-6)
        self.n_customers_ = total
        return self

    def expected_customer_spend(self, purchases, mean_spend):
        """Expected spend of each customer's next purchase: ``exp(post_mean + post_var / 2)``.

        Customers with no purchase (or no positive spend) get the population mean
        ``exp(mu + tau2 / 2)``.

        Returns
        -------
        float, ndarray or Series
        """
        mu, tau2, s2 = self._params()
        n, m = self._inputs(purchases, mean_spend)
        n_shape = np.shape(_as_float(purchases, "purchases"))
        seen = (n >= 1) & (m > 0) & np.isfinite(m)
        n_safe = np.where(seen, n, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(seen, np.log(np.where(seen, m, 1.0)), mu)
            noise = s2 / n_safe
            k = np.where(seen, tau2 / (tau2 + noise), 0.0)  # how much the customer's own spend counts
            post_mean = mu + k * (z + s2 / (2.0 * n_safe) - mu)
            post_var = np.where(seen, k * noise, tau2)
        spend = np.exp(post_mean + post_var / 2.0).reshape(n_shape)
        return _wrap(spend, purchases, mean_spend)

    def expected_new_customer_spend(self) -> float:
        """Population mean spend per purchase of a customer not yet seen: ``exp(mu + tau2 / 2)``."""
        mu, tau2, _ = self._params()
        return float(np.exp(mu + tau2 / 2.0))
