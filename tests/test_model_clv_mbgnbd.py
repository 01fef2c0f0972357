"""Tests of the MBG/NBD model: lifetimes' numbers on CDNOW, the gradient, the NBD boundary."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from valuation.model import clv
from valuation.model.clv import (
    BetaGeoModel,
    ConvergenceError,
    ModifiedBetaGeoModel,
    mbgnbd,
)

# Reference values: lifetimes 0.11.3 `ModifiedBetaGeoFitter().fit(frequency, recency, T)`
# (default tol 1e-7) on cdnow_customers_summary.csv, run on 2026-12-05 with numpy 2.4.6,
# pandas 3.1.1 and scipy 1.17.1 in a throwaway virtualenv (lifetimes is not a dependency).
# The log-likelihood is lifetimes' `_negative_log_likelihood` at these parameters on the
# unscaled data (in weeks) times -2357: the `_negative_log_likelihood_` it stores after
# fitting is on time rescaled by 10 / max(T), a different constant.
LIFETIMES_MBGNBD = {
    "r": 0.5248377255676623,
    "alpha": 6.182988479133949,
    "a": 0.8913562809311403,
    "b": 1.6140000256721425,
}
LIFETIMES_LOGLIK = -9582.13268489992
# (x, t_x, T) in weeks, and lifetimes' `conditional_probability_alive`,
# `conditional_expected_number_of_purchases_up_to_time(t, ...)` at LIFETIMES_MBGNBD.
HISTORIES = [(0, 0.0, 38.86), (0, 0.0, 27.0), (1, 30.43, 38.86), (2, 10.0, 35.0),
             (7, 29.43, 35.0), (40, 36.0, 38.0)]
LIFETIMES_ALIVE = [0.38971644205016864, 0.42846310895988676, 0.6813373503042536,
                   0.2771715157066197, 0.7640348286546654, 0.8772048603169559]
LIFETIMES_CONDITIONAL = {
    1.0: [0.004521555409968457, 0.006737596305502209, 0.022938512008151345,
          0.01687626960408162, 0.138391621289905, 0.7969338942298956],
    39.0: [0.15395364436667586, 0.2206225365952359, 0.7530115873137128,
           0.5337980296359798, 4.172346262532476, 23.535288415843095],
    52.0: [0.1976284828820806, 0.2807758596067044, 0.9575473610028676,
           0.6729197062310236, 5.203665947612205, 29.226640394001016],
}
# `expected_number_of_purchases_up_to_time` at t = 1, 39, 78 weeks.
LIFETIMES_UNCONDITIONAL = [0.053060629447070545, 1.1822837952882788, 1.8036361932918632]
# The sum over the 2357 customers of the conditional expectation for the 39-week holdout.
LIFETIMES_HOLDOUT_SUM = 1576.7356993135181


@pytest.fixture(scope="module")
def cdnow(cdnow_dir) -> pd.DataFrame:
    return pd.read_csv(cdnow_dir / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_mbgnbd(cdnow) -> ModifiedBetaGeoModel:
    return ModifiedBetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def _histories():
    return (np.array(column, dtype=float) for column in zip(*HISTORIES))


def _simulate(n, r, alpha, a, b, T, *, seed, holdout=0.0):
    """(x, t_x, T, holdout purchases) from the MBG/NBD process; a = None means no dropout.

    ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``; the customer drops out at the G-th
    coin flip, ``G ~ Geometric(p)``, the flips coming at the first purchase and after each
    repeat one, so she makes G - 1 repeat purchases in her lifetime. Holdout purchases
    (Poisson(lambda t)) are drawn only without dropout, where everyone is alive.
    """
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    purchases = rng.poisson(lam * T)
    x = purchases
    if a is not None:
        x = np.minimum(purchases, rng.geometric(np.clip(rng.beta(a, b, n), 1e-12, 1.0)) - 1)
    recency = np.zeros(n)
    buyers = x > 0
    recency[buyers] = T[buyers] * rng.beta(x[buyers], purchases[buyers] - x[buyers] + 1)
    return x.astype(float), recency, T, rng.poisson(lam * holdout)


# --------------------------------------------------------------------------- CDNOW vs lifetimes


def test_parameters_on_cdnow_are_those_of_lifetimes(cdnow_mbgnbd):
    # Observed agreement 5e-7 (lifetimes' BFGS stops at tol 1e-7); 1e-5 leaves room for
    # other optimiser builds and is still far tighter than the 1e-3 asked for.
    for name, value in LIFETIMES_MBGNBD.items():
        assert cdnow_mbgnbd.params_[name] == pytest.approx(value, rel=1e-5), name
    assert cdnow_mbgnbd.boundary_ is False
    assert cdnow_mbgnbd.penalizer_ == 0.0
    assert cdnow_mbgnbd.n_customers_ == 2357


def test_log_likelihood_on_cdnow_equals_lifetimes(cdnow, cdnow_mbgnbd):
    # Both are maxima of the same function: they differ only to second order.
    assert cdnow_mbgnbd.loglik_ == pytest.approx(LIFETIMES_LOGLIK, abs=1e-6)
    per_customer = cdnow_mbgnbd.log_likelihood(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert per_customer.sum() == pytest.approx(cdnow_mbgnbd.loglik_, abs=1e-8)
    at_theirs = ModifiedBetaGeoModel.from_params(**LIFETIMES_MBGNBD)
    total = at_theirs.log_likelihood(cdnow["frequency"], cdnow["recency"], cdnow["T"]).sum()
    assert total == pytest.approx(LIFETIMES_LOGLIK, rel=1e-12)
    # Slightly above the BG/NBD's -9582.4 on the same data: one more way to drop out.
    assert cdnow_mbgnbd.loglik_ > BetaGeoModel().fit(
        cdnow["frequency"], cdnow["recency"], cdnow["T"]).loglik_


def test_a_one_time_buyer_may_be_gone_and_more_likely_the_longer_ago_she_bought(cdnow_mbgnbd):
    T = np.array([0.0, 1.0, 27.0, 32.0, 38.86, 78.0, 520.0])
    alive = cdnow_mbgnbd.probability_alive(np.zeros(len(T)), np.zeros(len(T)), T)
    assert np.all(alive < 1) and np.all(alive > 0)
    assert np.all(np.diff(alive) < 0)
    # At T = 0 nothing has happened since the first coin flip: P(alive) = b / (a + b).
    p = cdnow_mbgnbd.params_
    assert alive[0] == pytest.approx(p["b"] / (p["a"] + p["b"]), rel=1e-12)
    # The BG/NBD, by contrast, keeps every one-time buyer alive.
    bg = BetaGeoModel.from_params(0.243, 4.414, 0.793, 2.426)
    assert np.all(bg.probability_alive(np.zeros(len(T)), np.zeros(len(T)), T) == 1.0)


def test_probability_alive_matches_lifetimes(cdnow_mbgnbd):
    x, tx, T = _histories()
    at_theirs = ModifiedBetaGeoModel.from_params(**LIFETIMES_MBGNBD)
    np.testing.assert_allclose(at_theirs.probability_alive(x, tx, T), LIFETIMES_ALIVE, rtol=1e-12)
    np.testing.assert_allclose(cdnow_mbgnbd.probability_alive(x, tx, T), LIFETIMES_ALIVE, rtol=1e-5)


@pytest.mark.parametrize("t", sorted(LIFETIMES_CONDITIONAL))
def test_conditional_expected_purchases_match_lifetimes(cdnow_mbgnbd, t):
    x, tx, T = _histories()
    at_theirs = ModifiedBetaGeoModel.from_params(**LIFETIMES_MBGNBD)
    expected = LIFETIMES_CONDITIONAL[t]
    # The same formula at the same parameters (evaluated after Euler's transformation).
    np.testing.assert_allclose(at_theirs.conditional_expected_purchases(t, x, tx, T), expected,
                               rtol=1e-9)
    np.testing.assert_allclose(cdnow_mbgnbd.conditional_expected_purchases(t, x, tx, T),
                               expected, rtol=1e-5)


def test_unconditional_and_holdout_expectations_match_lifetimes(cdnow, cdnow_mbgnbd):
    at_theirs = ModifiedBetaGeoModel.from_params(**LIFETIMES_MBGNBD)
    t = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(at_theirs.expected_purchases(t), LIFETIMES_UNCONDITIONAL, rtol=1e-9)
    np.testing.assert_allclose(at_theirs.expected_purchases(t),
                               at_theirs.conditional_expected_purchases(t, 0, 0, 0), rtol=1e-12)
    holdout = cdnow_mbgnbd.conditional_expected_purchases(
        39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert isinstance(holdout, pd.Series)
    assert holdout.sum() == pytest.approx(LIFETIMES_HOLDOUT_SUM, rel=1e-6)


def test_the_clv_fast_path_gives_the_conditional_expectation(cdnow_mbgnbd):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 5000).astype(float)
    T = rng.integers(1, 273, 5000) / 7
    tx = np.where(x > 0, T * rng.random(5000), 0.0)
    for model in (cdnow_mbgnbd, ModifiedBetaGeoModel.from_params(2.0, 20.0, 0.0, math.inf)):
        for rows in (slice(None), slice(0, 50)):  # pairs grouped, and not
            bracket, factor = model._cumulative_parts(x[rows], tx[rows], T[rows])
            out = np.empty(len(x[rows]))
            np.testing.assert_allclose(
                bracket(26.0, out) * factor,
                model.conditional_expected_purchases(26.0, x[rows], tx[rows], T[rows]), rtol=1e-12)
        # What CLV uses: undiscounted, the months add up to the whole year's expectation.
        year = clv.discounted_expected_purchases(model, x, tx, T, horizon_months=12,
                                                 monthly_discount_rate=0.0)
        np.testing.assert_allclose(year, model.conditional_expected_purchases(
            12 * clv.DAYS_PER_MONTH / 7, x, tx, T), rtol=1e-9)


# --------------------------------------------------------------------------- the likelihood


def _cdnow_like_data(seed: int = 1) -> mbgnbd._MBGData:
    T = np.random.default_rng(seed).integers(190, 273, 3000) / 7
    x, tx, T, _ = _simulate(3000, **LIFETIMES_MBGNBD, T=T, seed=seed)
    return mbgnbd._MBGData.build(x, np.round(tx * 7) / 7, T, np.ones(len(x)))


def _assert_gradient(objective, theta) -> None:
    data = _cdnow_like_data()
    error = optimize.check_grad(lambda t: objective(t, data)[0], lambda t: objective(t, data)[1],
                                theta, epsilon=1e-6)
    assert error < 1e-5 * max(1.0, np.linalg.norm(objective(theta, data)[1]))


@pytest.mark.parametrize(
    "theta",
    [
        np.log(list(LIFETIMES_MBGNBD.values())),
        np.array([0.5, -1.0, 1.2, -0.3]),
        np.zeros(4),
        np.array([0.7, 3.0, -18.0, 2.0]),  # a -> 0: near the NBD limit
        np.array([0.7, 3.0, 2.0, 20.0]),  # b = 5e8: the series branch of _gamma_step
    ],
)
def test_gradient_matches_finite_differences(theta):
    _assert_gradient(mbgnbd._mbgnbd_negative_loglik, theta)


@pytest.mark.parametrize("theta", [np.log([2.0, 20.0]), np.array([-1.0, 0.5])])
def test_nbd_limit_gradient_matches_finite_differences(theta):
    _assert_gradient(mbgnbd._nbd_negative_loglik, theta)


def test_likelihood_keeps_its_precision_as_b_runs_off():
    # lnG(b + a) - lnG(b) directly loses eps * b ln b: at b = 1e12 the round-off was 1e-3 per
    # customer, above the NBD limit it tends to, and the optimiser chased it.
    data = _cdnow_like_data()
    nbd = mbgnbd._nbd_negative_loglik(np.log([0.5, 6.0]), data)[0]
    for a, b in [(1e-8, 1e12), (1e-11, 1.5e9), (1.0, 1e14)]:
        value = mbgnbd._mbgnbd_negative_loglik(np.log([0.5, 6.0, a, b]), data)[0]
        assert nbd - 1e-12 <= value < nbd + 1e-6, (a, b)  # never above the limit
    # The series agrees with the direct differences where those are still precise ...
    y = np.array([0.5, 3.0, 40.0])
    for order, direct in ((0, special.gammaln), (1, special.digamma)):
        np.testing.assert_allclose(mbgnbd._gamma_step(y, 1e-3, order),
                                   direct(y + 1e-3) - direct(y), rtol=1e-10)
    # ... and with Stirling's lnG(y+a) - lnG(y) = a ln y + a(a-1)/(2y) + O(a/y^2) where not.
    y, a = 1e8, 1e-3
    assert mbgnbd._gamma_step(y, a, 0)[0] == pytest.approx(
        a * math.log(y) + a * (a - 1) / (2 * y), rel=1e-12)


def test_fit_does_not_depend_on_the_order_of_the_customers(cdnow):
    shuffled = cdnow.sample(frac=1.0, random_state=11)
    a = ModifiedBetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    b = ModifiedBetaGeoModel().fit(shuffled["frequency"], shuffled["recency"], shuffled["T"])
    assert a.params_ == b.params_
    assert a.loglik_ == b.loglik_


def test_grouped_fit_equals_the_ungrouped_one_and_weights_count_customers(cdnow):
    args = (cdnow["frequency"], cdnow["recency"], cdnow["T"])
    grouped = ModifiedBetaGeoModel().fit(*args)
    plain = ModifiedBetaGeoModel().fit(*args, group=False)
    assert plain.n_groups_ == 2357 and grouped.n_groups_ < 2357
    counted = cdnow.groupby(["frequency", "recency", "T"], as_index=False).size()
    weighted = ModifiedBetaGeoModel().fit(counted["frequency"], counted["recency"], counted["T"],
                                          weights=counted["size"])
    for model in (plain, weighted):
        for name in grouped.param_names:
            assert model.params_[name] == pytest.approx(grouped.params_[name], rel=1e-6), name
        assert model.loglik_ == pytest.approx(grouped.loglik_, rel=1e-9)


def test_fit_recovers_the_parameters_it_simulated_from():
    truth = {"r": 0.525, "alpha": 6.18, "a": 0.891, "b": 1.614}
    T = np.random.default_rng(42).integers(7, 547, 200_000) / 7
    x, tx, T, _ = _simulate(200_000, **truth, T=T, seed=43)
    model = ModifiedBetaGeoModel().fit(x, tx, T)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.08), name


# --------------------------------------------------------------------------- the NBD limit


def _nbd_customers(n: int, seed: int):
    """Two purchases a year on average (r = 2, alpha = 20 weeks), nobody ever drops out."""
    T = np.random.default_rng(seed + 100).integers(7, 104 * 7, n) / 7
    return _simulate(n, 2.0, 20.0, None, None, T=T, seed=seed, holdout=52.0)


def test_data_without_dropout_give_the_nbd_limit_instead_of_an_error():
    x, tx, T, holdout = _nbd_customers(20_000, seed=3)
    model = ModifiedBetaGeoModel().fit(x, tx, T)
    assert model.boundary_ is True
    assert model.params_["a"] == 0.0 and model.params_["b"] == math.inf
    assert model.params_["r"] / model.params_["alpha"] == pytest.approx(0.1, rel=0.02)
    assert np.all(model.probability_alive(x, tx, T) == 1.0)
    # The NBD's forecasts: for the population, and per customer against what they then did.
    assert model.expected_purchases(52.0) == pytest.approx(5.2, rel=0.03)
    predicted = model.conditional_expected_purchases(52.0, x, tx, T)
    np.testing.assert_allclose(predicted, (model.params_["r"] + x) * 52.0
                               / (model.params_["alpha"] + T), rtol=1e-12)
    assert predicted.sum() == pytest.approx(holdout.sum(), rel=0.02)
    assert model.log_likelihood(x, tx, T).sum() == pytest.approx(model.loglik_, rel=1e-12)
    # from_params keeps the limit.
    again = ModifiedBetaGeoModel.from_params(**model.params_)
    assert again.boundary_ and again.expected_purchases(52.0) == model.expected_purchases(52.0)


@pytest.mark.parametrize("seed", range(5))
def test_data_without_dropout_never_fail_and_forecast_the_holdout(seed):
    # On NBD data the maximum is on the boundary in about half the samples; in the others a
    # tiny dropout rate fits a little better (an interior maximum, within a nat or so of the
    # limit). Either way: no exception, and the same forecasts.
    x, tx, T, holdout = _nbd_customers(10_000, seed=seed)
    model = ModifiedBetaGeoModel().fit(x, tx, T)
    predicted = model.conditional_expected_purchases(52.0, x, tx, T).sum()
    assert predicted == pytest.approx(holdout.sum(), rel=0.03)
    if not model.boundary_:
        p = model.params_
        assert p["a"] / (p["a"] + p["b"]) < 0.01


def test_a_small_ridge_keeps_a_and_b_finite_instead():
    x, tx, T, _ = _nbd_customers(20_000, seed=3)
    model = ModifiedBetaGeoModel().fit(x, tx, T, penalizer=1e-4)
    assert model.boundary_ is False and model.penalizer_ == 1e-4
    assert all(0 < v < math.inf for v in model.params_.values())
    assert model.loglik_ == pytest.approx(model.log_likelihood(x, tx, T).sum(), rel=1e-9)


# --------------------------------------------------------------------------- API and failures


def test_the_public_api_is_that_of_the_bg_nbd():
    assert clv.ModifiedBetaGeoModel is ModifiedBetaGeoModel
    assert "ModifiedBetaGeoModel" in clv.__all__
    public = {n for n in dir(BetaGeoModel) if not n.startswith("_")}
    assert public <= {n for n in dir(ModifiedBetaGeoModel) if not n.startswith("_")}
    for name in public:
        ours, theirs = getattr(ModifiedBetaGeoModel, name), getattr(BetaGeoModel, name)
        if callable(theirs):
            assert list(inspect.signature(ours).parameters) == list(
                inspect.signature(theirs).parameters), name
    assert ModifiedBetaGeoModel.param_names == BetaGeoModel.param_names


def test_fits_the_data_cannot_support_raise_convergence_error():
    with pytest.raises(ConvergenceError, match="repeat"):
        ModifiedBetaGeoModel().fit([0, 0, 0], [0, 0, 0], [10, 20, 30])
    with pytest.raises(ConvergenceError, match="distinct"):
        ModifiedBetaGeoModel().fit([2, 2, 2], [5, 5, 5], [10, 10, 10])
    with pytest.raises(RuntimeError, match="fit"):
        ModifiedBetaGeoModel().probability_alive(1, 1, 2)
    with pytest.raises(ValueError, match="recency"):
        ModifiedBetaGeoModel().fit([1, 2], [5, 50], [10, 20])
