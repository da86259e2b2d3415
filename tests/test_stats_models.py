"""Unit tests of the statistics that moved into :mod:`analysis.stats` from the hypothesis modules
(random-intercept logit, OLS with clustered errors, the full-rank design, the difference of two
ratios of sums, Spearman's rho with a Fisher-z interval), each against a known answer: a hand
computation, statsmodels or scipy directly, or a planted value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from analysis import stats
from tests.hyp_frames import borough_effect_frame

# --- random-intercept logistic regression ----------------------------------------------------


def test_random_intercept_logit_recovers_a_planted_borough_sd() -> None:
    fit = stats.random_intercept_logit(borough_effect_frame(1, 1.0, 0.0), "outside", ["need"], "LA")
    assert 0.6 < fit.sd < 1.5 and 0 < fit.ci_low < 1.0 < fit.ci_high
    assert fit.coefficients["need"] == pytest.approx(0.5, abs=0.3)
    assert (fit.n, fit.groups) == (1200, 30)


def test_no_borough_effect_gives_an_interval_from_zero() -> None:
    fit = stats.random_intercept_logit(borough_effect_frame(2, 0.0, 0.0), "outside", ["need"], "LA")
    assert fit.ci_low == 0.0 and fit.sd < 0.43 and fit.ci_high < 0.8


def test_random_intercept_likelihood_at_zero_sd_is_the_plain_logit_likelihood() -> None:
    # with the group SD at ~0 the marginal likelihood is the ordinary logistic one (statsmodels)
    df = borough_effect_frame(4, 0.5, 0.0, boroughs=12, size=25)
    x = np.column_stack([np.ones(len(df)), df["need"].to_numpy()])
    y = df["outside"].astype(float).to_numpy()
    codes = pd.factorize(df["LA"])[0]
    glm = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    beta = np.asarray(glm.params)
    ll, grad, _ = stats._ri_loglik(beta, math.log(1e-9), y, x, codes, 12)
    assert ll == pytest.approx(float(glm.llf), abs=1e-9)
    assert np.allclose(grad, 0, atol=1e-6)  # the GLM's maximum


def test_random_intercept_gradient_matches_finite_differences() -> None:
    df = borough_effect_frame(5, 0.8, 0.0, boroughs=10, size=20)
    x = np.column_stack([np.ones(len(df)), df["need"].to_numpy()])
    y = df["outside"].astype(float).to_numpy()
    codes = pd.factorize(df["LA"])[0]
    beta, log_sd, h = np.array([0.2, 0.4]), math.log(0.7), 1e-6
    _, grad, grad_sd = stats._ri_loglik(beta, log_sd, y, x, codes, 10)
    for j in range(2):
        step = np.eye(2)[j] * h
        up = stats._ri_loglik(beta + step, log_sd, y, x, codes, 10)[0]
        down = stats._ri_loglik(beta - step, log_sd, y, x, codes, 10)[0]
        assert grad[j] == pytest.approx((up - down) / (2 * h), rel=1e-5)
    up = stats._ri_loglik(beta, log_sd + h, y, x, codes, 10)[0]
    down = stats._ri_loglik(beta, log_sd - h, y, x, codes, 10)[0]
    assert grad_sd == pytest.approx((up - down) / (2 * h), rel=1e-5)


def test_random_intercept_logit_is_nan_without_two_groups_or_outcome_variation() -> None:
    df = borough_effect_frame(6, 0.5, 0.0, boroughs=4, size=10)
    one = stats.random_intercept_logit(df.assign(LA="B00"), "outside", ["need"], "LA")
    flat = stats.random_intercept_logit(df.assign(outside=1), "outside", ["need"], "LA")
    for fit in (one, flat):
        assert math.isnan(fit.sd) and math.isnan(fit.ci_low) and fit.n == 40


# --- OLS with cluster-robust errors and the full-rank design -------------------------------


def test_clustered_ols_matches_the_cr1_sandwich_by_hand() -> None:
    rng = np.random.default_rng(8)
    n, k = 120, 9
    cluster = rng.integers(0, k, n)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.integers(0, 2, n).astype(float),
            "c": cluster.astype(str),
        }
    )
    df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.4, k)[cluster] + rng.normal(0, 1, n)
    coef = stats.ols_coefficient_clustered(df, "y", ["x", "z"], "x", "c")
    xm = np.column_stack([np.ones(n), df["x"], df["z"]])
    yv = df["y"].to_numpy()
    bread = np.linalg.inv(xm.T @ xm)
    b = bread @ xm.T @ yv
    u = yv - xm @ b
    groups = pd.factorize(df["c"])[0]
    meat = sum(
        np.outer(xm[groups == g].T @ u[groups == g], xm[groups == g].T @ u[groups == g])
        for g in range(k)
    )
    p = xm.shape[1]
    v = bread @ meat @ bread * (k / (k - 1)) * ((n - 1) / (n - p))
    se = math.sqrt(v[1, 1])
    t = sps.t.ppf(0.975, k - 1)
    assert coef.estimate == pytest.approx(b[1], rel=1e-10)
    assert coef.ci_low == pytest.approx(b[1] - t * se, rel=1e-9)
    assert coef.ci_high == pytest.approx(b[1] + t * se, rel=1e-9)
    assert coef.p_value == pytest.approx(2 * sps.t.sf(abs(b[1]) / se, k - 1), rel=1e-8)
    assert coef.n == n


def test_provider_clustering_widens_the_interval_when_providers_price_alike():
    rng = np.random.default_rng(0)
    n, k = 600, 12
    cluster = rng.integers(0, k, n)
    london = (cluster % 2 == 0).astype(int)  # location constant within provider
    y = rng.normal(0, 0.3, k)[cluster] + rng.normal(0, 0.05, n)
    df = pd.DataFrame({"y": y, "in_london": london, "provider": cluster.astype(str)})
    clustered = stats.ols_coefficient_clustered(df, "y", ["in_london"], "in_london", "provider")
    plain = stats.ols_coefficient(df, "y", ["in_london"], "in_london")
    assert (clustered.ci_high - clustered.ci_low) > 3 * (plain.ci_high - plain.ci_low)
    one = df.assign(provider="one")
    assert stats.ols_coefficient_clustered(one, "y", ["in_london"], "in_london", "provider") is None


def test_full_rank_design_drops_later_collinear_columns_like_the_slow_design():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.integers(0, 2, 50), "b": rng.normal(size=50), "k": 1.0})
    df["c"] = 1 - df["a"]  # collinear with the intercept and a
    df["d"] = df["a"] + 2 * df["b"]  # collinear with a and b
    df["e"] = rng.normal(size=50)
    terms = ["a", "b", "c", "k", "d", "e"]
    fast = stats.full_rank_design(df, terms)
    assert list(fast.columns) == ["const", "a", "b", "e"] == list(stats._design(df, terms).columns)


# --- difference of two ratios of sums --------------------------------------------------------


def test_ratio_difference_is_the_hand_difference_with_a_degenerate_interval_for_equal_ratios():
    # every unit of sample 1 has ratio 0.2 and of sample 2 ratio 0.1: any resample gives 0.1
    est, low, high = stats.ratio_difference_bootstrap(
        [1, 2, 3], [5, 10, 15], [1, 4], [10, 40], seed=1, n_boot=200
    )
    assert est == pytest.approx(0.1) and low == pytest.approx(0.1) and high == pytest.approx(0.1)
    est, low, high = stats.ratio_difference_bootstrap(
        [0, 3, 1, 2], [4, 6, 5, 5], [1, 0, 0], [8, 6, 6], seed=2
    )
    assert est == pytest.approx(6 / 20 - 1 / 20) and low < est < high


def test_ratio_difference_is_reproducible_and_nan_without_a_denominator():
    rng = np.random.default_rng(4)
    num1, den1 = rng.integers(0, 3, 40), rng.integers(3, 9, 40)
    num2, den2 = rng.integers(0, 2, 60), rng.integers(3, 9, 60)
    first = stats.ratio_difference_bootstrap(num1, den1, num2, den2, seed=7)
    assert first == stats.ratio_difference_bootstrap(num1, den1, num2, den2, seed=7)
    assert first != stats.ratio_difference_bootstrap(num1, den1, num2, den2, seed=8)
    for args in (([], [], num2, den2), (num1, den1, [1, 1], [0, 0])):
        assert all(math.isnan(v) for v in stats.ratio_difference_bootstrap(*args))


def test_ratio_difference_interval_covers_the_truth_about_95_percent_of_the_time():
    # simulation: homes of 2-8 places, each place out of use with probability 0.10 (sample 1)
    # or 0.05 (sample 2); the true difference of the ratios is 0.05
    rng = np.random.default_rng(11)
    hits, runs = 0, 200
    for run in range(runs):
        den1, den2 = rng.integers(2, 9, 80), rng.integers(2, 9, 80)
        num1, num2 = rng.binomial(den1, 0.10), rng.binomial(den2, 0.05)
        _, low, high = stats.ratio_difference_bootstrap(num1, den1, num2, den2, seed=run)
        hits += low <= 0.05 <= high
    assert 0.89 <= hits / runs <= 0.99


# --- Spearman's rank correlation with a Fisher-z interval ----------------------------------


def test_spearman_correlation_matches_scipy_and_the_fisher_interval_by_hand():
    rng = np.random.default_rng(9)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    est = stats.spearman_correlation(x, y)
    res = sps.spearmanr(x, y)
    z, se = math.atanh(res.statistic), 1 / math.sqrt(37)
    assert est.estimate == pytest.approx(res.statistic, rel=1e-12)
    assert est.p_value == pytest.approx(res.pvalue, rel=1e-12)
    assert est.ci_low == pytest.approx(math.tanh(z - 1.959963984540054 * se), rel=1e-12)
    assert est.ci_high == pytest.approx(math.tanh(z + 1.959963984540054 * se), rel=1e-12)
    assert est.n == 40


def test_spearman_correlation_drops_missing_pairs_and_is_nan_when_undefined():
    est = stats.spearman_correlation([1, 2, np.nan, 4, 5], [2, 1, 3, np.nan, 6])
    assert est.n == 3 and est.estimate == pytest.approx(0.5) and math.isnan(est.ci_low)
    perfect = stats.spearman_correlation([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])
    assert perfect.estimate == pytest.approx(1.0) and perfect.ci_high == pytest.approx(1.0)
    assert math.isnan(stats.spearman_correlation([1, 1, 1, 1], [1, 2, 3, 4]).estimate)
    assert math.isnan(stats.spearman_correlation([1, 2], [1, 2]).estimate)
