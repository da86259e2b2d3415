"""Hypothesis 6 (staffing): London against elsewhere in places out of use for lack of staff,
and vacancies against acceptance, judged by the common evidence rule (both parts needed); a
staffing floor the same everywhere (the rival) must not give Supported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h6
from analysis.hypotheses.evidence import Estimate, evidence_verdict
from analysis.hypotheses.registry import load_rules
from analysis.stats import cluster_bootstrap_ratio

YEAR = 2022


def make_dataset(
    london_share: float,
    vacancy_effect: float,
    elsewhere_share: float | None = None,
    n_homes: int = 400,
    seed: int = 4,
    n_referrals: int = 1500,
) -> Dataset:
    """Homes (half in London) with staffing returns; ``london_share`` of London homes' places
    and ``elsewhere_share`` (default the same) of other homes' out of use for lack of staff;
    acceptance log-odds fall by ``vacancy_effect`` per 10 points of vacancy; 10% of referrals
    get no response (not accepted)."""
    elsewhere_share = london_share if elsewhere_share is None else elsewhere_share
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    ons = np.where(rng.random(n_homes) < 0.5, rng.choice(ref["ons_code"], n_homes), "E10000014")
    urn = [f"SC{i:05d}" for i in range(n_homes)]
    in_london = pd.Series(ons).str.startswith("E09").to_numpy()
    homes = pd.DataFrame({"urn": urn, "la_ons_code": ons, "in_london": in_london})
    places = rng.integers(2, 7, n_homes)
    unavailable = rng.binomial(places, np.where(in_london, london_share, elsewhere_share))
    establishment = places * 2.5
    vacancy = rng.beta(2, 12, n_homes)
    staffing = pd.DataFrame(
        {
            "URN": urn,
            "snapshot_date": pd.Timestamp("2022-03-31"),
            "registered_places": places,
            "places_available": rng.binomial(places - unavailable, 0.2),
            "places_unavailable_staffing": unavailable,
            "staff_vacancies_fte": (vacancy * establishment).round(1),
            "staff_establishment_fte": establishment,
            "staff_leavers_12m": 1,
        }
    )
    rows = []
    for i in range(n_referrals):
        h = rng.integers(n_homes)
        logit = 0.5 - vacancy_effect * vacancy[h] * 10
        accepted = rng.random() < 1 / (1 + np.exp(-logit))
        silent = not accepted and rng.random() < 0.2
        rows.append(
            {
                "referral_id": f"R{i}",
                "CHILD": f"C{i}",
                "LA": "Camden",
                "URN": urn[h],
                "referral_date": pd.Timestamp("2021-10-01"),
                "needed_by": "Today",
                "response": "Accepted" if accepted else ("No response" if silent else "Declined"),
                "decline_reason": ""
                if accepted or silent
                else (h6.STAFF_DECLINE if rng.random() < vacancy[h] * 3 else "No vacancy"),
                "profile_strengths_based": True,
                "profile_completeness": 0.8,
            }
        )
    rows.append({**rows[0], "referral_id": "RW", "response": "Withdrawn"})
    tables = {
        "episodes": pd.DataFrame(),
        "header": pd.DataFrame(),
        "homes": homes,
        "home_staffing": staffing,
        "referrals": pd.DataFrame(rows),
    }
    return Dataset(tables=tables, source_dir=Path("."))


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules(6)


def parts(result) -> dict[str, dict]:
    return {p["name"]: p for p in result.evidence["parts"]}


def test_london_worse_and_vacancies_turn_referrals_away_is_supported(rules):
    result = h6.evaluate(make_dataset(0.15, 0.6, elsewhere_share=0.03), YEAR, rules)
    assert result.verdict == "Supported"
    gap = parts(result)["london_staffing_gap"]
    assert gap["verdict"] == "Supported" and gap["ci_low"] < 0.12 < gap["ci_high"]
    assert parts(result)["vacancy_declines"]["verdict"] == "Supported"
    assert "points" in result.summary


def test_rival_staffing_floor_everywhere_is_not_supported(rules):
    # 10% of places out of use in every home, and vacancies do not change acceptance
    result = h6.evaluate(make_dataset(0.10, 0.0, seed=9), YEAR, rules)
    assert result.verdict != "Supported"
    assert parts(result)["london_staffing_gap"]["verdict"] != "Supported"
    # the old part (a), a floor of 2% of London's places, would have passed
    assert result.indicators[1].estimate > 0.05 and result.indicators[1].ci_low > 0.02


def test_floor_everywhere_with_vacancy_effect_is_not_supported(rules):
    # vacancies cut acceptance everywhere alike, but London's staffing is no worse
    result = h6.evaluate(make_dataset(0.10, 0.6, seed=12), YEAR, rules)
    assert parts(result)["vacancy_declines"]["verdict"] == "Supported"
    assert result.verdict != "Supported"


def test_no_staffing_effect_anywhere_is_not_supported_with_enough_homes(rules):
    ds = make_dataset(0.0, 0.0, seed=9, n_homes=600, n_referrals=6000)
    result = h6.evaluate(ds, YEAR, rules)
    assert parts(result)["london_staffing_gap"]["estimate"] == 0
    assert result.verdict == "Not supported"


def test_verdict_is_the_evidence_rule_on_both_parts(rules):
    ds = make_dataset(0.12, 0.3, elsewhere_share=0.05, seed=5)
    result = h6.evaluate(ds, YEAR, rules)
    p = parts(result)
    again, _ = evidence_verdict(
        rules,
        {name: Estimate(p[name]["estimate"], p[name]["ci_low"], p[name]["ci_high"]) for name in p},
    )
    assert result.verdict == again
    # all: the lower of the two parts
    order = ["Not supported", "Inconclusive", "Supported"]
    assert result.verdict == min((q["verdict"] for q in p.values()), key=order.index)


def test_unavailable_share_gap_is_difference_of_ratios_and_reproducible():
    london = pd.DataFrame({"places_unavailable_staffing": [1, 0, 2], "registered_places": [4] * 3})
    other = pd.DataFrame({"places_unavailable_staffing": [0, 1], "registered_places": [5, 5]})
    gap = h6.unavailable_share_gap(london, other, seed=1)
    assert gap[0] == pytest.approx(3 / 12 - 1 / 10)
    assert gap == h6.unavailable_share_gap(london, other, seed=1)
    assert gap[1] <= gap[0] <= gap[2]
    assert all(np.isnan(h6.unavailable_share_gap(london, other.iloc[:0])))


def test_no_response_counts_as_not_accepted_and_withdrawn_is_left_out(rules):
    ds = make_dataset(0.1, 0.0)
    staff = h6.staffing_frame(ds, YEAR)
    refs = h6.referral_staffing_frame(ds, YEAR, staff, rules)
    assert "Withdrawn" not in set(refs["response"])
    silent = refs[refs["response"] == "No response"]
    assert len(silent) > 0 and (silent["accepted"] == 0).all()


def test_without_referrals_the_verdict_cannot_be_supported(rules):
    ds = make_dataset(0.15, 0.6, elsewhere_share=0.03)
    del ds.tables["referrals"]
    result = h6.evaluate(ds, YEAR, rules)
    assert result.verdict == "Inconclusive"
    assert "referrals" in result.insufficient[0]
    assert parts(result)["vacancy_declines"]["estimate"] is None


def test_missing_staffing_is_inconclusive(rules):
    ds = make_dataset(0.08, 0.6)
    del ds.tables["home_staffing"]
    result = h6.evaluate(ds, YEAR, rules)
    assert result.verdict == "Inconclusive" and result.insufficient


def test_bootstrap_ratio_is_ratio_of_sums_and_reproducible():
    num, den = pd.Series([1, 0, 2, 1]), pd.Series([4, 4, 4, 4])
    a = cluster_bootstrap_ratio(num, den, seed=3)
    assert a[0] == pytest.approx(0.25)
    assert a == cluster_bootstrap_ratio(num, den, seed=3)
    assert a[1] <= 0.25 <= a[2]


def test_tables_for_figures(rules):
    ds = make_dataset(0.08, 0.6)
    staff = h6.staffing_frame(ds, YEAR)
    scopes = [("London boroughs", []), ("Camden", ["Camden"])]
    table = h6.places_table(staff, scopes)
    assert table["homes"].iloc[:2].sum() == len(staff)
    assert table["area"].iloc[-1] == "Homes in Camden"
    assert h6.places_figure(staff, scopes).alt
    refs = h6.referral_staffing_frame(ds, YEAR, staff, rules)
    bands = h6.acceptance_by_vacancy_band(refs, rules["vacancy_bands"])
    assert bands["referrals"].sum() == len(refs)
    assert (
        h6.vacancy_acceptance_figure(refs, rules["vacancy_bands"]).name == "h6_vacancy_acceptance"
    )
