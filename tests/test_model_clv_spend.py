"""The log-normal spend model: a customer's own spend, the first purchase included, shrunk toward the
population on the log scale, so heavy-tailed B2B order values never blow up the prior."""

from __future__ import annotations

import numpy as np
import pytest

from valuation.model.clv import ConvergenceError, GammaGammaModel, LogNormalSpendModel


def simulate(n_customers=20000, *, mu=8.0, tau=1.2, s=0.5, repeat_rate=2.0, one_and_done=0.33, seed=0):
    """Customers whose orders are log-normal around a customer mean exp(theta), theta ~ N(mu, tau^2)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(mu, tau, n_customers)
    n = 1 + rng.poisson(repeat_rate, n_customers) * (rng.random(n_customers) > one_and_done)
    owner = np.repeat(np.arange(n_customers), n)
    orders = np.exp(rng.normal(theta[owner] - s * s / 2, s))
    average = np.bincount(owner, weights=orders) / n
    return theta, n, average


def test_parameters_are_recovered_from_a_known_process():
    theta, n, average = simulate()
    model = LogNormalSpendModel().fit(n, average)
    assert model.params_["mu"] == pytest.approx(8.0, abs=0.03)
    assert model.params_["tau2"] == pytest.approx(1.44, rel=0.05)
    assert 0.15 < model.params_["s2"] < 0.35  # delta-method s2 ~ exp(s^2) - 1 = 0.28
    assert not model.boundary_


def test_expected_spend_is_unbiased_and_closer_than_the_customers_own_average():
    theta, n, average = simulate(seed=1)
    model = LogNormalSpendModel().fit(n, average)
    expected = np.asarray(model.expected_customer_spend(n, average))
    truth = np.exp(theta)
    for k in (1, 2, 4):
        sel = n == k
        assert expected[sel].sum() / truth[sel].sum() == pytest.approx(1.0, abs=0.03)
        own_error = np.sqrt(np.mean((np.log(average[sel]) - theta[sel]) ** 2))
        our_error = np.sqrt(np.mean((np.log(expected[sel]) - theta[sel]) ** 2))
        assert our_error < own_error


def test_a_one_time_buyer_is_valued_between_what_they_spent_and_the_population():
    theta, n, average = simulate(seed=2)
    model = LogNormalSpendModel().fit(n, average)
    population = model.expected_new_customer_spend()
    small, large = population / 50, population * 50
    spend = np.asarray(model.expected_customer_spend([1, 1, 1], [small, population, large]))
    assert small < spend[0] < population
    assert spend[2] < large and spend[2] > population
    assert np.all(spend > 0)


def test_more_purchases_make_the_customers_own_spend_count_more():
    theta, n, average = simulate(seed=3)
    model = LogNormalSpendModel().fit(n, average)
    high = model.expected_new_customer_spend() * 20
    spend = np.asarray(model.expected_customer_spend([1, 3, 10, 40], [high] * 4))
    assert np.all(np.diff(spend) > 0) and spend[-1] == pytest.approx(high, rel=0.1)


def test_heavy_tails_keep_the_prior_finite_where_gamma_gamma_explodes():
    # Order values spread over three orders of magnitude between customers.
    theta, n, average = simulate(n_customers=5000, tau=2.0, seed=4)
    model = LogNormalSpendModel().fit(n, average)
    observed_mean = average.mean()
    assert model.expected_new_customer_spend() < 3 * observed_mean
    repeat = n > 1
    gg = GammaGammaModel().fit(n[repeat] - 1, average[repeat])
    prior_gg = gg.expected_new_customer_spend()
    assert not (prior_gg < 3 * observed_mean)  # NaN (q <= 1) or far above what anyone spends


def test_customers_without_a_purchase_get_the_population_mean():
    theta, n, average = simulate(n_customers=3000, seed=5)
    model = LogNormalSpendModel().fit(n, average)
    spend = model.expected_customer_spend(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    assert spend == pytest.approx([model.expected_new_customer_spend()] * 2)


def test_identical_customers_are_a_boundary_fit_not_an_error():
    rng = np.random.default_rng(6)
    n = 1 + rng.poisson(3, 4000)
    owner = np.repeat(np.arange(4000), n)
    average = np.bincount(owner, weights=np.exp(rng.normal(6.0, 0.4, owner.size))) / n
    model = LogNormalSpendModel().fit(n, average)
    assert model.boundary_
    spend = np.asarray(model.expected_customer_spend(n, average))
    assert spend.std() / spend.mean() < 0.02  # nobody differs: everyone gets the population mean


def test_weights_equal_repeated_rows_and_row_order_does_not_matter():
    theta, n, average = simulate(n_customers=2000, seed=7)
    once = LogNormalSpendModel().fit(np.r_[n, n[:500]], np.r_[average, average[:500]])
    weights = np.ones(len(n))
    weights[:500] = 2
    weighted = LogNormalSpendModel().fit(n, average, weights=weights)
    order = np.random.default_rng(0).permutation(len(n))
    shuffled = LogNormalSpendModel().fit(n[order], average[order], weights=weights[order])
    for key in ("mu", "tau2", "s2"):
        assert weighted.params_[key] == pytest.approx(once.params_[key], rel=1e-5)
        assert shuffled.params_[key] == pytest.approx(weighted.params_[key], rel=1e-5)


def test_fewer_than_two_different_buyers_raise_convergence_error():
    with pytest.raises(ConvergenceError):
        LogNormalSpendModel().fit([1, 2], [100.0, 100.0])
    with pytest.raises(ConvergenceError):
        LogNormalSpendModel().fit([0, 1], [0.0, 50.0])
