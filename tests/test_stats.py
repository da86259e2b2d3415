"""Unit tests of the shared statistical helpers (known values and planted effects)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import stats


def test_wilson_known_value() -> None:
    p, lo, hi = stats.wilson_ci(5, 10)
    assert p == 0.5
    assert lo == pytest.approx(0.2366, abs=1e-4)
    assert hi == pytest.approx(0.7634, abs=1e-4)
    assert all(math.isnan(v) for v in stats.wilson_ci(0, 0))


def test_newcombe_matches_published_example() -> None:
    # Newcombe (1998) table II, example (a): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    d = stats.difference_in_proportions(56, 70, 48, 80)
    assert d.difference == pytest.approx(0.2)
    assert d.ci_low == pytest.approx(0.0524, abs=1e-3)
    assert d.ci_high == pytest.approx(0.3339, abs=1e-3)
    assert 0 < d.p_value < 0.05
    empty = stats.difference_in_proportions(1, 0, 3, 10)
    assert math.isnan(empty.difference) and math.isnan(empty.ci_low)


@pytest.mark.parametrize("k,n", [(0, 7), (7, 7), (0, 1), (1, 1), (3, 40)])
def test_wilson_interval_contains_the_proportion(k: int, n: int) -> None:
    p, lo, hi = stats.wilson_ci(k, n)
    assert 0.0 <= lo <= p <= hi <= 1.0
    assert (lo == 0.0) == (k == 0) and (hi == 1.0) == (k == n)


def test_standardised_difference_sign_and_ci() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(400) < 0.4
    b = rng.random(400) < 0.2
    est = stats.standardised_mean_difference(a, b)
    assert est.estimate > 0.3
    assert est.ci_low < est.estimate < est.ci_high
    assert est.p_value < 0.001
    null = stats.standardised_mean_difference(rng.random(400) < 0.3, rng.random(400) < 0.3)
    assert null.ci_low < 0 < null.ci_high or abs(null.estimate) < 0.2


def test_cliffs_delta_matches_brute_force() -> None:
    x = np.array([1, 2, 3, 3, 4])
    y = np.array([1, 1, 2, 3])
    brute = np.mean([np.sign(a - b) for a in x for b in y])
    est = stats.cliffs_delta(x, y)
    assert est.estimate == pytest.approx(brute)
    assert est.ci_low <= est.estimate <= est.ci_high


def test_one_sided_p() -> None:
    assert stats.one_sided_p(0.04, 1.0) == pytest.approx(0.02)
    assert stats.one_sided_p(0.04, -1.0) == pytest.approx(0.98)


def _grouped_binary(seed: int, group_sd: float, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 30, n)
    x = rng.random(n) < 0.3
    eff = rng.normal(0, group_sd, 30)
    p = 1 / (1 + np.exp(-(-0.5 + 1.0 * x + eff[g])))
    return pd.DataFrame({"y": (rng.random(n) < p).astype(int), "x": x.astype(int), "g": g})


def test_logit_fixed_effects_recovers_effect_and_drops_separated_groups() -> None:
    df = _grouped_binary(1, 0.5)
    extra = pd.DataFrame({"y": [0] * 10, "x": [0, 1] * 5, "g": [99] * 10})  # all-0 group
    fit = stats.logit_fixed_effects(pd.concat([df, extra]), "y", ["x"], "g")
    row = fit.coefficients.loc["x"]
    assert row["ci_low"] < 1.0 < row["ci_high"]
    assert row["odds_ratio"] > 1.5
    assert fit.dropped_groups == ["99"]


def test_group_effects_lr_test_detects_planted_variation_only() -> None:
    _, _, p_planted, _ = stats.group_effects_lr_test(_grouped_binary(2, 1.0), "y", ["x"], "g")
    _, _, p_null, _ = stats.group_effects_lr_test(_grouped_binary(3, 0.0), "y", ["x"], "g")
    assert p_planted < 0.001
    assert p_null > 0.01


def test_likelihood_ratio_needs_same_rows() -> None:
    df = _grouped_binary(4, 0.0)
    full = stats.logit_fixed_effects(df, "y", ["x"], "g")
    reduced = stats.logit_fixed_effects(df.iloc[:100], "y", ["x"])
    with pytest.raises(ValueError):
        stats.likelihood_ratio_test(full, reduced)


def test_icc_near_zero_without_groups_and_positive_with() -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(20), 30)
    null = stats.bootstrap_icc(pd.Series(rng.normal(size=600)), pd.Series(g), n_boot=100)
    planted = stats.bootstrap_icc(
        pd.Series(rng.normal(size=600) + rng.normal(0, 1, 20)[g]), pd.Series(g), n_boot=100
    )
    assert abs(null.estimate) < 0.05
    assert planted.estimate > 0.3 and planted.ci_low > 0.1
    assert planted.p_value < 0.001


def test_spearman_bootstrap_ci_covers_estimate() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(1, 5, 100)
    y = x + rng.normal(0, 1, 100)
    est = stats.spearman_bootstrap(x, y, n_boot=200)
    assert est.estimate > 0.5 and est.ci_low < est.estimate < est.ci_high


def test_logit_contrast_positive_when_planted() -> None:
    rng = np.random.default_rng(8)
    n = 6000
    a = (rng.random(n) < 0.5).astype(int)
    b = rng.random(n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.6 * a + 0.6 * b)))).astype(int)
    df = pd.DataFrame({"y": y, "a": a, "b": b, "c": np.repeat(np.arange(n // 2), 2)})
    est, table = stats.logit_contrast(df, "y", ["a", "b"], {"a": 1, "b": 1}, cluster="c")
    assert est.ci_low < 1.2 < est.ci_high
    assert est.p_value < 0.001
    assert set(table.index) == {"const", "a", "b"}


def test_chi_square_independence() -> None:
    t = pd.DataFrame([[30, 10], [10, 30]])
    stat, dof, p = stats.chi_square_independence(t)
    assert dof == 1 and stat == pytest.approx(20.0) and p < 0.001


def test_a_separated_term_is_not_estimable_rather_than_a_narrow_huge_estimate():
    """Every referral with x = 1 declined: the likelihood has no maximum in x (quasi-complete
    separation). Before, the fit stopped near -22 with a narrow cluster-robust interval, which
    the evidence rule read as a large, sure effect (H5's near-home part on the example)."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "home": rng.integers(0, 20, n),
            "child": rng.integers(0, 150, n),
            "z": rng.integers(0, 2, n),
            "x": (rng.random(n) < 0.1).astype(int),
        }
    )
    df["y"] = ((rng.random(n) < 0.4) & (df["x"] == 0)).astype(int)
    fit = stats.logit_fixed_effects(df, "y", ["z", "x"], "home", cluster="child")
    assert math.isnan(fit.coefficients.loc["x", "coef"])
    assert math.isnan(fit.coefficients.loc["x", "ci_low"])
    assert math.isfinite(fit.coefficients.loc["z", "coef"])
    assert stats.separated_terms(df["y"], df[["z", "x"]]) == ["x"]
