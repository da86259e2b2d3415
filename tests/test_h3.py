"""Hypothesis 3 (practice): borough variation beyond needs, profile quality vs acceptance."""

from __future__ import annotations

import pytest
import yaml

from analysis.hypotheses import h3
from analysis.paths import CONFIG
from tests.hyp_frames import YEAR, make_dataset, without


@pytest.fixture(scope="module")
def rules() -> dict:
    r = yaml.safe_load((CONFIG / "decision_rules" / "h3.yaml").read_text(encoding="utf-8"))
    return {**r, "bootstrap": 50}


def test_planted_practice_effects_are_supported(rules) -> None:
    ds = make_dataset(1, borough_sd=1.0, profile_effect=1.5, n_children=1200)
    result = h3.evaluate(ds, YEAR, rules, la="Camden")
    assert result.verdict == "Supported"
    icc = next(i for i in result.indicators if i.name.startswith("Intraclass"))
    assert icc.estimate > 0 and icc.ci_low <= icc.estimate <= icc.ci_high
    assert any(i.name.startswith("Camden:") for i in result.indicators)


def test_needs_only_variation_is_not_practice(rules) -> None:
    # a strong needs effect creates borough differences that needs fully explain
    ds = make_dataset(4, needs_effect=1.2, n_children=1200)  # one draw; FP rate: simulation
    result = h3.evaluate(ds, YEAR, rules)
    assert result.verdict == "Not supported"


def test_only_profile_effect_is_partly_supported(rules) -> None:
    result = h3.evaluate(make_dataset(3, profile_effect=1.5, n_children=1200), YEAR, rules)
    assert result.verdict == "Partly supported"


def test_missing_tables(rules) -> None:
    ds = make_dataset(4)
    assert h3.evaluate(without(ds, "needs", "referrals"), YEAR, rules).verdict == (
        "Insufficient data"
    )
    partial = h3.evaluate(without(ds, "referrals"), YEAR, rules)
    assert any(s.startswith("referral profiles") for s in partial.insufficient)


def test_borough_residuals_sum_to_observed(rules) -> None:
    ds = make_dataset(5)
    df = h3.borough_variation_data(ds, YEAR, rules)
    res = h3.borough_residuals(df, rules["needs_adjusted"])
    assert res["placed_outside"].sum() == df["outside"].sum()
    # a logistic model with an intercept reproduces the total expected count
    assert res["expected_outside"].sum() == pytest.approx(df["outside"].sum(), rel=1e-4)
