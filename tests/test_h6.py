"""Hypothesis 6 (staffing): places out of use, vacancy rate and acceptance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h6
from analysis.hypotheses.registry import load_rules
from analysis.stats import cluster_bootstrap_ratio

YEAR = 2022


def make_dataset(
    unavailable_share: float, vacancy_effect: float, n_homes: int = 150, seed: int = 4
) -> Dataset:
    """Homes (half in London) with staffing returns; ``unavailable_share`` of places out of use
    for lack of staff; acceptance log-odds fall by ``vacancy_effect`` per 10 points of vacancy."""
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    ons = np.where(rng.random(n_homes) < 0.5, rng.choice(ref["ons_code"], n_homes), "E10000014")
    urn = [f"SC{i:05d}" for i in range(n_homes)]
    homes = pd.DataFrame(
        {
            "urn": urn,
            "la_ons_code": ons,
            "in_london": pd.Series(ons).str.startswith("E09").to_numpy(),
        }
    )
    places = rng.integers(2, 7, n_homes)
    unavailable = rng.binomial(places, unavailable_share)
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
    for i in range(1500):
        h = rng.integers(n_homes)
        logit = 0.5 - vacancy_effect * vacancy[h] * 10
        accepted = rng.random() < 1 / (1 + np.exp(-logit))
        rows.append(
            {
                "referral_id": f"R{i}",
                "CHILD": f"C{i}",
                "LA": "Camden",
                "URN": urn[h],
                "referral_date": pd.Timestamp("2021-10-01"),
                "needed_by": "Today",
                "response": "Accepted" if accepted else "Declined",
                "decline_reason": ""
                if accepted
                else (h6.STAFF_DECLINE if rng.random() < vacancy[h] * 3 else "No vacancy"),
                "profile_strengths_based": True,
                "profile_completeness": 0.8,
            }
        )
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


def test_planted_staffing_effect_is_supported(rules):
    result = h6.evaluate(make_dataset(0.08, 0.6), YEAR, rules)
    assert result.verdict == "Supported"
    share = result.indicators[0]
    assert share.ci_low < 0.08 < share.ci_high
    assert result.indicators[5].ci_high < 1  # odds ratio per 10 points of vacancy


def test_no_staffing_effect_is_not_supported(rules):
    result = h6.evaluate(make_dataset(0.0, 0.0, seed=9), YEAR, rules)
    assert result.verdict == "Not supported"
    assert result.indicators[0].estimate == 0


def test_only_places_out_of_use_is_partly_supported(rules):
    assert h6.evaluate(make_dataset(0.08, 0.0, seed=11), YEAR, rules).verdict == "Partly supported"


def test_without_referrals_the_verdict_rests_on_places(rules):
    ds = make_dataset(0.08, 0.6)
    del ds.tables["referrals"]
    result = h6.evaluate(ds, YEAR, rules)
    assert result.verdict == "Partly supported"
    assert "referrals" in result.insufficient[0]


def test_missing_staffing_gives_insufficient_data(rules):
    ds = make_dataset(0.08, 0.6)
    del ds.tables["home_staffing"]
    assert h6.evaluate(ds, YEAR, rules).verdict == "Insufficient data"


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
