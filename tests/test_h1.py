"""Hypothesis 1 (needs): planted effect found, none found when absent, missing tables handled."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from analysis.hypotheses import h1
from analysis.paths import CONFIG
from tests.hyp_frames import YEAR, make_dataset, without


@pytest.fixture(scope="module")
def rules() -> dict:
    return yaml.safe_load((CONFIG / "decision_rules" / "h1.yaml").read_text(encoding="utf-8"))


def _indicator(result, start: str):
    return next(i for i in result.indicators if i.name.startswith(start))


def test_planted_needs_effect_and_scarce_capacity_is_supported(rules) -> None:
    ds = make_dataset(1, needs_effect=1.0, mental_disorders_share=0.0, free_places_per_home=1)
    result = h1.evaluate(ds, YEAR, rules)
    assert result.verdict == "Supported"
    odds = _indicator(result, "Adjusted odds ratio")
    assert odds.estimate > 1.5 and odds.ci_low > 1 and odds.supports
    assert result.to_dict()["fieldwork"]["supports"] == 2


def test_no_effect_and_ample_capacity_is_not_supported(rules) -> None:
    result = h1.evaluate(make_dataset(2, free_places_per_home=4), YEAR, rules)
    assert result.verdict == "Not supported"
    feas = _indicator(result, "Share of out-of-London placements")
    assert feas.estimate >= rules["max_feasible_share"]


def test_reversed_effect_is_not_evidence_for_the_hypothesis(rules) -> None:
    result = h1.evaluate(make_dataset(3, needs_effect=-1.0, free_places_per_home=4), YEAR, rules)
    odds = _indicator(result, "Adjusted odds ratio")
    assert odds.estimate < 1 and not odds.supports


def test_missing_needs_gives_insufficient_data(rules) -> None:
    result = h1.evaluate(without(make_dataset(4), "needs"), YEAR, rules)
    assert result.verdict == "Insufficient data"
    assert any(s.startswith("needs") for s in result.insufficient)


def test_missing_registrations_tests_needs_only(rules) -> None:
    ds = without(make_dataset(5, needs_effect=1.0), "home_registrations")
    result = h1.evaluate(ds, YEAR, rules)
    assert result.verdict == "Partly supported"
    assert any("home_registrations" in s for s in result.insufficient)


def test_matching_respects_registration_categories_and_capacity() -> None:
    compat = {"all_children_require": ["EBD"], "needs": {"mh": ["MD"]}}
    children = pd.DataFrame({"mh": [1, 1, 1, 0, 0]})
    homes = pd.DataFrame(
        {"categories": [frozenset({"EBD"}), frozenset({"EBD", "MD"})], "free_places": [5, 1]}
    )
    matched, any_ok = h1.feasibility_matching(children, homes, compat)
    assert matched == 3  # one MH child in the MD home, two others in the EBD home
    assert any_ok.tolist() == [True] * 5
    matched_none, any_none = h1.feasibility_matching(children, homes.iloc[:1], compat)
    assert matched_none == 2 and any_none.tolist() == [False, False, False, True, True]


def test_two_part_verdict_rule() -> None:
    from analysis.hypotheses.evidence import two_part_verdict

    assert two_part_verdict(True, True) == "Supported"
    assert two_part_verdict(True, False) == "Partly supported"
    assert two_part_verdict(False, False) == "Not supported"
    assert two_part_verdict(None, True) == "Partly supported"
    assert two_part_verdict(None, False) == "Insufficient data"
    assert two_part_verdict(None, None) == "Insufficient data"


def test_borough_edition_adds_borough_indicators_but_same_verdict(rules) -> None:
    ds = make_dataset(6, needs_effect=1.0)
    london = h1.evaluate(ds, YEAR, rules)
    camden = h1.evaluate(ds, YEAR, rules, la="Camden")
    assert camden.verdict == london.verdict
    assert any(i.name.startswith("Camden:") for i in camden.indicators)
    assert not any(i.name.startswith("Camden:") for i in london.indicators)
