"""BG/NBD: how many purchases a customer will make, and the probability they are still alive."""

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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from valuation.model.clv.base import (
    ConvergenceError,
    _all_equal,
    _as_float,
    _check_rfm,
    _check_weights,
    _dot,
    _group_rows,
    _minimize,
    _wrap,
)

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
            raise ConvergenceError("BG/NBD fit needs customers with positive weight", code="no_weight",
                                   model="BG/NBD")
        if data.n_rows < 2 if group else _all_equal(x[w > 0], tx[w > 0], age[w > 0]):
            raise ConvergenceError("BG/NBD fit needs at least two distinct customer histories",
                                   code="not_distinct", model="BG/NBD")
        if len(data.x1) == 0:
            raise ConvergenceError(
                "BG/NBD fit needs repeat buyers: no customer has frequency > 0, so purchase "
                "rates and dropout cannot be told apart", code="no_repeat", model="BG/NBD"
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

    def _cumulative_parts(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray):
        """``E[Y(t) | x, t_x, T] = bracket(t) * factor`` (Eq. (10) in [1]): the bracket depends on
        (x, T) only and is evaluated once per distinct pair for many customers; the factor is
        P(alive), once per customer. Used by :func:`discounted_expected_purchases`."""
        r, alpha, a, b = self._params()
        factor = np.asarray(self.probability_alive(x, tx, T), dtype=float)
        if x.ndim == 1 and len(x) >= _PAIRS_FROM:
            pairs = _PairBracket(x, T)

            def bracket(t, out):
                return pairs(np.asarray(t), r, alpha, a, b, out=out)
        else:
            def bracket(t, out):
                out[...] = _bgnbd_bracket(np.asarray(t), x, T, r, alpha, a, b)
                return out
        return bracket, factor

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
