"""MBG/NBD: the BG/NBD in which a customer may also drop out right after her first purchase."""

# References (cited in comments as [n]; [1] to [8] as in base.py):
# [1] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005). "'Counting Your Customers' the
#     Easy Way: An Alternative to the Pareto/NBD Model." Marketing Science 24(2), 275-284.
# [2] Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2008). "Computing P(alive) Using the
#     BG/NBD Model." http://www.brucehardie.com/notes/021/
# [5] Fader, P.S. & Hardie, B.G.S. (2013). "Overcoming the BG/NBD Model's #NUM! Error
#     Problem." http://www.brucehardie.com/notes/027/
# [6] Abramowitz, M. & Stegun, I.A. (1964). Handbook of Mathematical Functions, 15.3.3.
# [8] lifetimes 0.11.3 (C. Davidson-Pilon): `ModifiedBetaGeoFitter`, the implementation
#     the tests compare with.
# [9] Batislam, E.P., Denizel, M. & Filiztekin, A. (2007). "Empirical Validation and
#     Comparison of Models for Customer Base Analysis." International Journal of
#     Research in Marketing 24(3), 201-209 (where the MBG/NBD is introduced).
# [10] Wagner, U. & Hoppe, D. (2008). "Erratum on the MBG/NBD Model." International
#     Journal of Research in Marketing 25(3), 225-226 (which [8] follows for the
#     conditional expectation).
#
# The MBG/NBD [9] is the BG/NBD of [1] with one more "coin flip": the customer may drop
# out at time 0, right after her first purchase, as well as after each repeat purchase.
# A customer alive at T with x repeat purchases has therefore survived x + 1 flips
# instead of x, which turns every expression of [1] into the same one with b + x + 1 in
# place of b + x. Each formula below is cited as the equation of [1] it modifies; the
# modified forms are those of [9] (with [10]'s correction) and of [8].

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from valuation.model.clv.base import (
    ConvergenceError,
    _all_equal,
    _as_float,
    _check_rfm,
    _check_weights,
    _dot,
    _minimize,
    _wrap,
)
from valuation.model.clv.purchase import (
    _PAIRS_FROM,
    _bgnbd_bracket,
    _BGNBDData,
    _PairBracket,
)

# A fit whose mean log-likelihood is not above the NBD limit's by more than this (relative)
# is on the boundary: only round-off separates the two.
_BOUNDARY_RTOL = 1e-10


@dataclass(frozen=True)
class _MBGData:
    """Grouped (x, t_x, T) triples; unlike the BG/NBD, x = 0 needs no separate term."""

    total_weight: float
    x_values: np.ndarray  # unique frequencies ...
    x_weights: np.ndarray  # ... and their total weights (for the terms in x only)
    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray

    @classmethod
    def build(cls, x, tx, T, w, *, group: bool = True) -> _MBGData:
        # The BG/NBD's grouping, with the x = 0 triples put back (their t_x is 0 by
        # definition: the last purchase is the first).
        bg = _BGNBDData.build(x, tx, T, w, group=group)
        zeros = np.zeros(len(bg.T0))
        return cls(
            total_weight=bg.total_weight, x_values=bg.x_values, x_weights=bg.x_weights,
            x=np.concatenate([zeros, bg.x1]), tx=np.concatenate([zeros, bg.tx1]),
            T=np.concatenate([bg.T0, bg.T1]), w=np.concatenate([bg.w0, bg.w1]),
        )


def _gamma_step(y, a: float, order: int) -> np.ndarray:
    """``lnG(y+a) - lnG(y)`` (order 0) or ``psi(y+a) - psi(y)`` (order 1), for arrays y.

    The direct differences lose ``eps * y ln y`` once y is large -- as b is, near the NBD
    limit -- and the optimiser then chases round-off. Where ``a <= y/50`` the Taylor series
    in a, ``sum_k a^k/k! psi^(k-1+order)(y)``, is used instead: its k-th term is about
    ``(a/y)^k / k`` of the first, so seven terms reach double precision.
    """
    y = np.atleast_1d(np.asarray(y, dtype=float))
    if order == 0:
        step = special.gammaln(y + a) - special.gammaln(y)
    else:
        step = special.digamma(y + a) - special.digamma(y)
    small = a <= 0.02 * y
    if small.any():
        ys, term, series = y[small], 1.0, 0.0
        for k in range(1, 8):
            term *= a / k
            series = series + term * special.polygamma(k - 1 + order, ys)
        step[small] = series
    return step


def _mbgnbd_negative_loglik(theta: np.ndarray, data: _MBGData):
    """Mean negative log-likelihood of the MBG/NBD and its gradient in log-parameters.

    Eq. (6) of [1] with the dropout at time 0 of [9] (as in [8]): for every x, zero included,
    ``LL = A1 + A2 + log(exp(A3) + exp(A4))`` with
    ``A1 = lnG(r+x) - lnG(r) + r ln(alpha)``,
    ``A2 = ln B(a, b+x+1) - ln B(a, b) = H(b) - H(b+x+1)`` with ``H(y) = lnG(y+a) - lnG(y)``,
    ``A3 = -(r+x) ln(alpha+T)`` and ``A4 = ln(a) - ln(b+x) - (r+x) ln(alpha+t_x)``.
    """
    r, alpha, a, b = np.exp(theta)
    W = data.total_weight
    xv, xw = data.x_values, data.x_weights
    # A1 + A2 depend on x only: evaluate them once per distinct frequency, the b terms
    # with _gamma_step so that a large b keeps its precision.
    ll = _dot(xw, special.gammaln(r + xv) - _gamma_step(b + xv + 1.0, a, 0)) + W * (
        -special.gammaln(r) + r * np.log(alpha) + _gamma_step(b, a, 0)[0]
    )
    d_r = _dot(xw, special.digamma(r + xv)) + W * (np.log(alpha) - special.digamma(r))
    d_alpha = W * r / alpha
    d_a = W * special.digamma(a + b) - _dot(xw, special.digamma(a + b + xv + 1.0))
    # dA2/db = psi(a+b) - psi(b) - (psi(a+b+x+1) - psi(b+x+1))
    d_b = W * _gamma_step(b, a, 1)[0] - _dot(xw, _gamma_step(b + xv + 1.0, a, 1))

    # log(exp(A3) + exp(A4)) by logaddexp; p4 is the posterior probability that the
    # customer dropped out right after her last purchase (the first one when x = 0).
    rx = r + data.x
    log_aT = np.log(alpha + data.T)
    log_atx = np.log(alpha + data.tx)
    bx = b + data.x
    A3 = -rx * log_aT
    A4 = np.log(a) - np.log(bx) - rx * log_atx
    log_sum = np.logaddexp(A3, A4)
    p4 = np.exp(A4 - log_sum)
    p3 = 1.0 - p4
    w = data.w
    ll += _dot(w, log_sum)
    d_r -= _dot(w, p3 * log_aT + p4 * log_atx)
    d_alpha -= _dot(w * rx, p3 / (alpha + data.T) + p4 / (alpha + data.tx))
    d_a += _dot(w, p4) / a
    d_b -= _dot(w, p4 / bx)

    # Chain rule to log-parameters: d/d(log v) = v d/dv.
    grad = np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
    return -ll / W, -grad / W


def _nbd_negative_loglik(theta: np.ndarray, data: _MBGData):
    """The same for the NBD limit (no dropout, p = 0): A1 + A3 of Eq. (6) of [1].

    As a/(a+b) -> 0 the Beta(a, b) mass moves to p = 0: exp(A2) -> 1 and exp(A4) -> 0.
    """
    r, alpha = np.exp(theta)
    W = data.total_weight
    xv, xw = data.x_values, data.x_weights
    log_aT = np.log(alpha + data.T)
    ll = (_dot(xw, special.gammaln(r + xv)) + W * (r * np.log(alpha) - special.gammaln(r))
          - _dot(data.w * (r + data.x), log_aT))
    d_r = (_dot(xw, special.digamma(r + xv)) + W * (np.log(alpha) - special.digamma(r))
           - _dot(data.w, log_aT))
    d_alpha = W * r / alpha - _dot(data.w * (r + data.x), 1.0 / (alpha + data.T))
    return -ll / W, -np.array([r * d_r, alpha * d_alpha]) / W


class ModifiedBetaGeoModel:
    """MBG/NBD model of repeat purchases (Batislam, Denizel & Filiztekin 2007 [9]).

    As the BG/NBD ([1], :class:`~valuation.model.clv.BetaGeoModel`): while alive, a
    customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``, and drops
    out with probability ``p ~ Beta(a, b)`` after each repeat purchase -- and also right
    after her first purchase, so a customer who never came back may be gone (P(alive) < 1,
    where the BG/NBD says 1). Fitted by maximum likelihood with an analytic gradient on
    grouped (frequency, recency, T) triples.

    When the data show no dropout at all (accounts that hardly ever lapse), the likelihood
    keeps rising towards p = 0: the maximum is the NBD limit, a boundary of the parameter
    space. The fit then returns that limit instead of failing: ``boundary_`` is True,
    ``params_`` has ``a = 0`` and ``b = inf`` (Beta(a, b) is a point mass at p = 0), and
    every prediction is the NBD's (P(alive) = 1, ``E[Y(t) | x, T] = (r+x) t / (alpha+T)``).

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}`` after :meth:`fit` (``alpha`` is in the time unit of
        recency and T): 0.525, 6.18, 0.891, 1.61 on the CDNOW sample in weeks.
    loglik_ : float
        Total log-likelihood at ``params_`` (weights included): -9582.1 on CDNOW.
    penalizer_ : float
        The ridge weight the fit used.
    boundary_ : bool
        True when the fit is the NBD limit (no dropout), see above.
    n_customers_, n_groups_, n_iter_ : int
        Customers (total weight), distinct triples and optimiser iterations (of the NBD
        fit when ``boundary_``).
    """

    param_names = ("r", "alpha", "a", "b")

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.loglik_: float | None = None
        self.boundary_: bool = False

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> ModifiedBetaGeoModel:
        """A model with known parameters; ``a = 0`` or ``b = inf`` is the NBD limit."""
        model = cls()
        model.params_ = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        model.boundary_ = model.params_["a"] == 0.0 or math.isinf(model.params_["b"])
        return model

    def _values(self):
        # Not named _params like BetaGeoModel's: code that feeds a BG/NBD's parameters to
        # the BG/NBD formulas fails on this model instead of mixing the two.
        if self.params_ is None:
            raise RuntimeError("ModifiedBetaGeoModel is not fitted: call fit() first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def fit(self, frequency, recency, T, weights=None, *, group: bool = True,
            penalizer: float = 0.0) -> ModifiedBetaGeoModel:
        """Maximum-likelihood fit (optionally with a small ridge penalty on the log-parameters).

        Parameters
        ----------
        frequency, recency, T : array_like
            Repeat purchases x, time of the last purchase t_x and age T per customer (or
            per distinct triple when ``weights`` are counts).
        weights : array_like, optional
            Number of customers per row (default 1 each).
        group : bool, default True
            Collapse identical triples before fitting (same result, much faster on large
            data); False evaluates every row, for testing.
        penalizer : float, default 0
            Weight of a ridge penalty on the log-parameters (per customer). With 0, data
            without dropout give the NBD limit (``boundary_``); a positive value keeps a
            and b finite instead. ``loglik_`` is always the unpenalised likelihood.

        Returns
        -------
        ModifiedBetaGeoModel
            ``self``, with ``params_``, ``loglik_``, ``penalizer_`` and ``boundary_``.

        Raises
        ------
        ConvergenceError
            With fewer than two distinct customer histories, no repeat purchase at all,
            or when the optimiser fails away from the NBD limit.
        """
        x, tx, age = _check_rfm(frequency, recency, T)
        x, tx, age = x.ravel(), tx.ravel(), age.ravel()
        w = _check_weights(weights, len(x))
        data = _MBGData.build(x, tx, age, w, group=group)
        if data.total_weight <= 0:
            raise ConvergenceError("MBG/NBD fit needs customers with positive weight", code="no_weight",
                                   model="MBG/NBD")
        if len(data.T) < 2 if group else _all_equal(x[w > 0], tx[w > 0], age[w > 0]):
            raise ConvergenceError("MBG/NBD fit needs at least two distinct customer histories",
                                   code="not_distinct", model="MBG/NBD")
        if not np.any(data.x > 0):
            # Without repeat purchases the likelihood grows as everyone drops out at time 0.
            raise ConvergenceError(
                "MBG/NBD fit needs repeat buyers: no customer has frequency > 0, so purchase "
                "rates and dropout cannot be told apart", code="no_repeat", model="MBG/NBD"
            )
        # Start where the mean purchase rate r/alpha matches sum(x)/sum(T).
        mean_x = _dot(data.x, data.w) / data.total_weight
        mean_T = _dot(data.T, data.w) / data.total_weight
        alpha0 = max(mean_T, 1e-3) / max(mean_x, 1e-3)
        theta0 = np.log([1.0, alpha0, 1.0, 1.0])
        best = [np.inf]  # lowest objective seen: what a failed fit had reached

        def objective(theta, d):
            value, grad = _mbgnbd_negative_loglik(theta, d)
            if penalizer > 0:
                # As BetaGeoModel.fit: a tiny ridge on log-parameters gives a finite optimum
                # with the same forecasts where plain ML runs off to the NBD limit.
                value, grad = value + penalizer * float(theta @ theta), grad + 2 * penalizer * theta
            best[0] = min(best[0], value)
            return value, grad

        try:
            result, failure = _minimize(objective, theta0, data, "MBG/NBD", self.param_names), None
        except ConvergenceError as exc:
            result, failure = None, exc
        nll = best[0] if result is None else float(_mbgnbd_negative_loglik(result.x, data)[0])
        boundary_possible = penalizer == 0 and np.isfinite(nll)
        limit = self._nbd_limit(data, theta0[:2], nll) if boundary_possible else None
        if limit is not None:
            result, nll = limit
            self.params_ = dict(zip(("r", "alpha"), map(float, np.exp(result.x))))
            self.params_.update(a=0.0, b=math.inf)
        elif failure is not None:
            raise failure
        else:
            self.params_ = dict(zip(self.param_names, map(float, np.exp(result.x))))
        self.boundary_ = limit is not None
        self.penalizer_ = float(penalizer)
        self.loglik_ = -nll * data.total_weight
        self.n_customers_ = float(data.total_weight)
        self.n_groups_ = len(data.T)
        self.n_iter_ = int(result.nit)
        return self

    @staticmethod
    def _nbd_limit(data: _MBGData, theta0: np.ndarray, nll: float):
        """``(result, nll)`` of the NBD fit when it is at least as good as ``nll``, else None.

        Every MBG/NBD likelihood is below its supremum, and the NBD limit is part of the
        closure; so when the best point the four-parameter optimiser found (or stopped at,
        drifting) is no better than the NBD's maximum, the maximum is on that boundary.
        """
        try:
            result = _minimize(_nbd_negative_loglik, theta0, data, "NBD", ("r", "alpha"))
        except ConvergenceError:
            return None  # the NBD itself is degenerate (e.g. r -> inf): not this boundary
        nbd_nll = float(_nbd_negative_loglik(result.x, data)[0])
        if nbd_nll <= nll + _BOUNDARY_RTOL * max(1.0, abs(nll)):
            return result, nbd_nll
        return None

    def _cumulative_parts(self, x: np.ndarray, tx: np.ndarray, T: np.ndarray):
        """``E[Y(t) | x, t_x, T] = bracket(t) * factor``, as BetaGeoModel's: the bracket
        depends on (x, T) only (once per distinct pair for many customers), the factor is
        P(alive), once per customer. See :meth:`conditional_expected_purchases`."""
        r, alpha, a, b = self._values()
        if self.boundary_:
            def bracket(t, out):
                np.multiply(r + x, np.asarray(t) / (alpha + T), out=out)
                return out
            return bracket, np.ones(np.shape(x))
        factor = np.asarray(self.probability_alive(x, tx, T), dtype=float)
        if x.ndim == 1 and len(x) >= _PAIRS_FROM:
            pairs = _PairBracket(x, T)

            def bracket(t, out):
                return pairs(np.asarray(t), r, alpha, a, b + 1.0, out=out)
        else:
            def bracket(t, out):
                out[...] = _bgnbd_bracket(np.asarray(t), x, T, r, alpha, a, b + 1.0)
                return out
        return bracket, factor

    def log_likelihood(self, frequency, recency, T):
        """Per-customer log-likelihood, Eq. (6) of [1] as modified by [9] (no grouping).

        Returns
        -------
        float, ndarray or Series
        """
        r, alpha, a, b = self._values()
        x, tx, age = _check_rfm(frequency, recency, T)
        tx = np.where(x > 0, tx, 0.0)
        A1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        A3 = -(r + x) * np.log(alpha + age)
        if self.boundary_:
            return _wrap(A1 + A3, frequency, recency, T)  # NBD limit of Eq. (6) of [1]
        # Eq. (6) of [1] with B(a, b+x+1) for B(a, b+x) and B(a+1, b+x) for B(a+1, b+x-1) ([9])
        A2 = _gamma_step(b, a, 0)[0] - _gamma_step(b + x + 1.0, a, 0).reshape(np.shape(x))
        A4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
        return _wrap(A1 + A2 + np.logaddexp(A3, A4), frequency, recency, T)

    def probability_alive(self, frequency, recency, T):
        """Probability that a customer with history (x, t_x, T) is still alive at T.

        ``1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))`` for every x (t_x = 0 when x = 0):
        Bayes' rule on the two terms of the likelihood, as [2] does for Eq. (6) of [1],
        with b + x for b + x - 1 ([9], [8]). Below 1 for one-time buyers, and
        falling with T. Computed as a logistic of a log-ratio so heavy buyers cannot
        overflow; 1 in the NBD limit.

        Returns
        -------
        float, ndarray or Series
        """
        r, alpha, a, b = self._values()
        x, tx, age = _check_rfm(frequency, recency, T)
        if self.boundary_:
            return _wrap(np.ones(np.shape(x)), frequency, recency, T)
        tx = np.where(x > 0, tx, 0.0)
        # Eq. (2) of [2] with b + x for b + x - 1, and no exception for x = 0 ([9], [8])
        log_ratio = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        return _wrap(special.expit(-log_ratio), frequency, recency, T)

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """Expected repeat purchases in ``(T, T + t]`` given the history (x, t_x, T).

        Eq. (10) of [1] for the MBG/NBD, in the form of [10] and [8]:
        ``(a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]
        * P(alive)`` with ``z = t/(alpha+T+t)``. The bracket is the BG/NBD's with b + 1
        for b (the posterior of p given alive is Beta(a, b+x+1)), so it is evaluated by
        ``purchase._bgnbd_bracket`` -- Euler's transformation ([5], [6]) and its fallbacks
        included. In the NBD limit: ``(r+x) t / (alpha+T)``.

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
        r, alpha, a, b = self._values()
        x, tx, age = _check_rfm(frequency, recency, T)
        t_arr = _as_float(t, "t")
        if np.any(t_arr < 0):
            raise ValueError("t must be non-negative")
        if self.boundary_:
            return _wrap((r + x) * t_arr / (alpha + age), frequency, recency, T, t)
        alive = self.probability_alive(x, tx, age)
        # Eq. (10) of [1] with b + 1 for b ([10], [8]): bracket(b + 1) * P(alive)
        with np.errstate(invalid="ignore", divide="ignore"):
            if t_arr.ndim == 0 and x.ndim == 1 and len(x) >= _PAIRS_FROM:
                # One window for many customers: the bracket depends on (x, T) only.
                expected = _PairBracket(x, age)(t_arr, r, alpha, a, b + 1.0) * alive
            else:
                expected = _bgnbd_bracket(t_arr, x, age, r, alpha, a, b + 1.0) * alive
        return _wrap(expected, frequency, recency, T, t)

    def expected_purchases(self, t):
        """Expected repeat purchases in ``(0, t]`` for a new customer.

        Eq. (9) of [1] for the MBG/NBD ([9], [8]):
        ``b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]``, i.e. the
        conditional expectation at x = t_x = T = 0 (bracket times P(alive) = b/(a+b)).
        ``r t / alpha`` in the NBD limit.

        Returns
        -------
        float or ndarray
        """
        r, alpha, a, b = self._values()
        t_arr = _as_float(t, "t")
        if np.any(t_arr < 0):
            raise ValueError("t must be non-negative")
        if self.boundary_:
            return _wrap(r * t_arr / alpha, t)
        # Eq. (9) of [1] for the MBG/NBD ([9], [8]) = Eq. (10) at x = t_x = T = 0
        return _wrap(_bgnbd_bracket(t_arr, 0.0, 0.0, r, alpha, a, b + 1.0) * (b / (a + b)), t)
