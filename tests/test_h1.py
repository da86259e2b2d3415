"""Hypothesis 1 (needs): mismatch, not quantity; needs adjusted for child covariates; the verdict
by the common evidence rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.hypotheses import h1
from analysis.hypotheses.evidence import Estimate, evidence_verdict
from analysis.paths import CONFIG
from tests.hyp_frames import YEAR, make_dataset, without

COMPAT = {"all_children_require": ["EBD"], "needs": {"mh": ["MD"]}}


@pytest.fixture(scope="module")
def rules() -> dict:
    r = yaml.safe_load((CONFIG / "decision_rules" / "h1.yaml").read_text(encoding="utf-8"))
    return {**r, "bootstrap": 100}


def _part(result, name: str) -> dict:
    return next(p for p in result.evidence["parts"] if p["name"] == name)


def _verdict_from_record(rules: dict, result) -> str:
    """The verdict evidence_verdict gives for the estimates the result recorded."""
    estimates = {
        p["name"]: Estimate(p["estimate"], p["ci_low"], p["ci_high"], p["n"], p["unit"])
        for p in result.evidence["parts"]
    }
    return evidence_verdict(rules, estimates)[0]


def test_planted_needs_and_mismatch_is_supported(rules) -> None:
    # needs push children out AND London's homes are rarely registered for mental disorders
    ds = make_dataset(
        1, needs_effect=1.0, mental_disorders_share=0.0, out_mental_disorders_share=0.6
    )
    result = h1.evaluate(ds, YEAR, rules)
    assert result.verdict == "Supported"
    assert _part(result, "needs_outside_london")["verdict"] == "Supported"
    mismatch = _part(result, "registration_mismatch")
    assert mismatch["verdict"] == "Supported" and mismatch["ci_low"] > 0
    assert result.verdict == _verdict_from_record(rules, result)
    assert result.to_dict()["fieldwork"]["supports"] == 2


def test_quantity_without_mismatch_is_not_supported(rules) -> None:
    # the rival: few free places (quantity), registrations as elsewhere, needs do not push
    ds = make_dataset(
        2, free_places_per_home=1, mental_disorders_share=0.5, out_mental_disorders_share=0.5
    )
    result = h1.evaluate(ds, YEAR, rules)
    assert result.verdict != "Supported"
    assert _part(result, "registration_mismatch")["verdict"] != "Supported"
    # the old measure (matched share at the real quantity) is low on quantity alone
    feas = next(i for i in result.indicators if i.id == "h1_feasible_share")
    assert feas.estimate < 0.5


def test_quantity_alone_does_not_move_the_mismatch() -> None:
    children = pd.DataFrame({"mh": [1, 1, 0, 0]})
    homes = pd.DataFrame(
        {"categories": [frozenset({"EBD"}), frozenset({"EBD", "MD"})], "free_places": [5, 5]}
    )
    full = h1.equal_quantity_share(children, homes, COMPAT, "free_places")
    scarce = h1.equal_quantity_share(
        children, homes.assign(free_places=[1, 1]), COMPAT, "free_places"
    )
    assert full == scarce == 1.0  # half the places fit the half who need them
    no_md = h1.equal_quantity_share(children, homes.iloc[:1], COMPAT, "free_places")
    assert no_md == 0.5  # only the two without the need fit


def test_mismatch_estimate_is_zero_for_the_same_mix_and_positive_for_a_worse_one() -> None:
    rng = np.random.default_rng(0)
    children = pd.DataFrame({"mh": rng.integers(0, 2, 200)})
    cats = [frozenset({"EBD", "MD"}) if i % 2 else frozenset({"EBD"}) for i in range(60)]
    bench = pd.DataFrame({"categories": cats, "places": 4})
    same = pd.DataFrame({"categories": cats, "free_places": 1})
    est, lo, hi, s_lon, s_ben = h1.mismatch_estimate(
        children, same, bench, COMPAT, n_boot=100, seed=1
    )
    assert est == pytest.approx(0.0) and lo <= 0 <= hi and s_lon == s_ben
    worse = pd.DataFrame({"categories": [frozenset({"EBD"})] * 60, "free_places": 1})
    est, lo, hi, s_lon, _ = h1.mismatch_estimate(children, worse, bench, COMPAT, n_boot=100, seed=1)
    assert est > 0.3 and lo > 0.1 and s_lon == pytest.approx(1 - children["mh"].mean())


def test_reversed_effect_is_not_evidence_for_the_hypothesis(rules) -> None:
    result = h1.evaluate(make_dataset(3, needs_effect=-1.0, free_places_per_home=4), YEAR, rules)
    part = _part(result, "needs_outside_london")
    assert part["estimate"] < 0 and part["verdict"] != "Supported"
    assert result.verdict != "Supported"


def test_criminal_exploitation_is_adjusted_for_not_counted(rules) -> None:
    # one trait, one hypothesis: H5 counts criminal exploitation as a high risk
    assert "risk_criminal_exploitation" not in rules["hard_to_place_needs"]
    assert "risk_criminal_exploitation" in rules["adjust_for"]
    h5 = yaml.safe_load((CONFIG / "decision_rules" / "h5.yaml").read_text(encoding="utf-8"))
    assert "risk_criminal_exploitation" in str(h5)


def test_category_map_covers_the_needs_the_fieldwork_named(rules) -> None:
    compat = rules["compatibility"]
    covered = set(compat["needs"]) | set(compat["not_registration_categories"])
    for need in (
        "risk_criminal_exploitation",
        "risk_sexual_exploitation",
        "solo_placement_recommended",
        "deprivation_of_liberty",
        "mental_health_need",
        "mental_health_inpatient_stepdown",
    ):
        assert need in covered


def test_child_covariates_from_the_ssda903() -> None:
    ds = make_dataset(6)
    placements = pd.DataFrame(
        {"CHILD": ["C00000", "C00001", "C00002"], "LA": None, "LS": ["C2", "V2", "J2"]}
    )
    header = ds.table("header").set_index("CHILD")
    placements["LA"] = header.loc[placements["CHILD"], "LA"].to_numpy()
    out = h1.child_covariates(ds, YEAR, placements)
    assert out["ls_accommodated"].tolist() == [0, 1, 0]
    assert out["ls_other"].tolist() == [0, 0, 1]
    assert out["age"].between(10, 17.1).all()
    assert set(out["female"]) <= {0, 1}


def test_missing_needs_gives_inconclusive(rules) -> None:
    result = h1.evaluate(without(make_dataset(4), "needs"), YEAR, rules)
    assert result.verdict == "Inconclusive"
    assert any(s.startswith("needs") for s in result.insufficient)


def test_missing_registrations_leaves_the_mismatch_untested(rules) -> None:
    ds = without(make_dataset(5, needs_effect=1.0), "home_registrations")
    result = h1.evaluate(ds, YEAR, rules)
    assert result.verdict == "Inconclusive"
    assert _part(result, "registration_mismatch")["estimate"] is None
    assert any("home_registrations" in s for s in result.insufficient)


def test_matching_respects_registration_categories_and_capacity() -> None:
    children = pd.DataFrame({"mh": [1, 1, 1, 0, 0]})
    homes = pd.DataFrame(
        {"categories": [frozenset({"EBD"}), frozenset({"EBD", "MD"})], "free_places": [5, 1]}
    )
    matched, any_ok = h1.feasibility_matching(children, homes, COMPAT)
    assert matched == 3  # one MH child in the MD home, two others in the EBD home
    assert any_ok.tolist() == [True] * 5
    matched_none, any_none = h1.feasibility_matching(children, homes.iloc[:1], COMPAT)
    assert matched_none == 2 and any_none.tolist() == [False, False, False, True, True]
