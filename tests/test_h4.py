"""Hypothesis 4 (cost): the London premium adjusted for start year, clustered by provider, with
borough effects, judged by the common evidence rule; price inflation (the rival) must not give
Supported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h4
from analysis.hypotheses.evidence import evidence_verdict
from analysis.hypotheses.registry import load_rules

YEAR = 2022


def make_dataset(
    premium: float,
    n: int = 400,
    seed: int = 1,
    with_needs: bool = True,
    inflation: float = 0.0,
    noise: float = 0.2,
    london_share_recent: float = 0.6,
) -> Dataset:
    """Placements of London children, 40% in London; weekly cost driven by needs and provider,
    with London placements ``exp(premium)`` times dearer. Needier children are placed outside
    London more (so the unadjusted comparison is confounded by needs). ``inflation``: log price
    rise per year since the start; London placements started in the last year with probability
    ``london_share_recent`` (others 0.3), so with inflation London looks dearer unadjusted.
    Homes belong to 40 providers."""
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    la = rng.choice(ref["la_name"], n)
    cse = rng.random(n) < 0.3
    in_london = rng.random(n) < np.where(cse, 0.2, 0.5)
    pl_la = np.where(in_london, rng.choice(ref["ons_code"], n), "E10000014")
    provider = rng.choice(["PR1", "PR4", "PR5"], n, p=[0.2, 0.6, 0.2])
    recent = rng.random(n) < np.where(in_london, london_share_recent, 0.3)
    years_before = np.where(recent, rng.uniform(0, 1, n), rng.uniform(1, 3, n))
    start = pd.Timestamp("2022-03-31") - pd.to_timedelta(np.round(years_before * 365.25), "D")
    home = rng.integers(0, 120, n)
    log_cost = (
        np.log(4500)
        + 0.4 * cse
        - 0.2 * (provider == "PR1")
        + premium * in_london
        - inflation * years_before
        + rng.normal(0, noise, n)
    )
    child = [f"C{i}" for i in range(n)]
    episodes = pd.DataFrame(
        {
            "CHILD": child,
            "LA": la,
            "DECOM": start,
            "DEC": pd.NaT,
            "PLACE": "K2",
            "PLACE_PROVIDER": provider,
            "PL_LA": pl_la,
            "YEAR": YEAR,
        }
    )
    urns = [f"SC{h:05d}" for h in home]
    costs = pd.DataFrame(
        {
            "CHILD": child,
            "LA": la,
            "URN": urns,
            "placement_start": start,
            "core_weekly_cost": np.exp(log_cost).round(2),
            "total_weekly_cost": (np.exp(log_cost) + 450 * rng.integers(0, 2, n)).round(2),
            "procurement": np.where(provider == "PR1", "In-house", "Spot"),
        }
    )
    homes = pd.DataFrame(
        {
            "urn": [f"SC{h:05d}" for h in range(120)],
            "owner": [f"Provider {h % 40}" for h in range(120)],
        }
    )
    needs = pd.DataFrame(
        {"CHILD": child, "LA": la, "risk_criminal_exploitation": pd.array(cse, dtype="boolean")}
    )
    tables = {"episodes": episodes, "header": pd.DataFrame(), "homes": homes, "costs": costs}
    if with_needs:
        tables["needs"] = needs
    return Dataset(tables=tables, source_dir=Path("."))


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules(4)


def test_financial_year_and_years_since():
    dates = pd.Series(pd.to_datetime(["2021-05-01", "2022-02-01", "2021-03-31", None]))
    assert h4.financial_year(dates).tolist()[:3] == [2021, 2021, 2020]
    assert h4.financial_year(dates).isna().tolist()[3]
    since = h4.years_since(dates, pd.Timestamp("2022-03-31"))
    assert since.iloc[2] == pytest.approx(1.0, abs=0.01) and np.isnan(since.iloc[3])


def test_planted_premium_is_supported_and_estimated(rules):
    result = h4.evaluate(make_dataset(premium=np.log(1.25)), YEAR, rules)
    assert result.verdict == "Supported"
    adjusted = result.indicators[0]
    assert adjusted.ci_low < 0.25 < adjusted.ci_high
    assert adjusted.estimate == pytest.approx(0.25, abs=0.06)
    part = result.evidence["parts"][0]
    assert part["name"] == "london_premium" and part["verdict"] == "Supported"
    assert result.to_dict()["evidence"]["parts"][0]["smallest_effect"] == pytest.approx(0.049)


def test_verdict_is_the_evidence_rule_on_the_adjusted_coefficient(rules):
    ds = make_dataset(premium=0.03, seed=4)
    result = h4.evaluate(ds, YEAR, rules)
    coef = h4.london_premiums(h4.costed_placements(ds, YEAR))["adjusted"]
    verdict, _ = evidence_verdict(rules, {"london_premium": h4.premium_evidence(coef)})
    assert result.verdict == verdict
    assert result.verdict in {"Supported", "Not supported", "Inconclusive"}


def test_price_inflation_rival_is_not_supported_but_would_be_without_start_year(rules):
    # no premium; prices rise 15% a year and London placements are much more recent
    ds = make_dataset(
        premium=0.0, n=3000, seed=7, inflation=0.15, noise=0.1, london_share_recent=0.95
    )
    result = h4.evaluate(ds, YEAR, rules)
    assert result.verdict != "Supported"
    by_name = {i.name: i for i in result.indicators}
    naive = by_name["London premium, adjusted but not for start year"]
    assert naive.ci_low > 0 and naive.estimate > 0.049  # the rival's surface pattern
    test = result.indicators[0]
    assert test.ci_low < 0 < test.ci_high


def test_small_significant_premium_is_not_supported_by_equivalence(rules):
    # a real 1% premium, precisely estimated: under the smallest effect that matters
    result = h4.evaluate(make_dataset(premium=0.01, n=4000, seed=9, noise=0.05), YEAR, rules)
    assert result.verdict == "Not supported"
    part = result.evidence["parts"][0]
    assert -0.049 < part["ci_low"] and part["ci_high"] < 0.049


def test_no_premium_in_a_small_sample_is_inconclusive_not_not_supported(rules):
    result = h4.evaluate(make_dataset(premium=0.0, n=120, seed=3, noise=0.3), YEAR, rules)
    assert result.verdict == "Inconclusive"
    assert "times as many costed placements would narrow" in result.summary


def test_no_premium_although_raw_costs_differ(rules):
    result = h4.evaluate(make_dataset(premium=0.0, seed=3), YEAR, rules)
    assert result.verdict != "Supported"
    adjusted = result.indicators[0]
    unadjusted = next(i for i in result.indicators if i.name.endswith("unadjusted"))
    assert adjusted.ci_low < 0 < adjusted.ci_high
    # needier (dearer) children are placed outside London, so London looks cheaper unadjusted
    assert unadjusted.estimate < 0


def test_provider_clusters_use_owner_then_home_then_own_row():
    ds = make_dataset(premium=0.0, n=50)
    df = h4.costed_placements(ds, YEAR)
    assert df["provider"].str.startswith("owner:").all()
    assert df["provider"].nunique() <= 40
    ds.tables["costs"].loc[:9, "URN"] = ""
    ds.tables["homes"] = pd.DataFrame({"urn": ["SC00001"], "owner": [""]})
    df = h4.costed_placements(ds, YEAR)
    assert df["provider"].str.startswith("row:").sum() == 10
    assert df["provider"].str.startswith("home:").sum() == 40


def test_hard_to_place_gap_is_found_when_planted_and_not_otherwise():
    ds = make_dataset(premium=0.0, seed=5)
    df = h4.costed_placements(ds, YEAR)
    gap = h4.hard_to_place_premium_gap(df, ["risk_criminal_exploitation"])
    assert gap.ci_low < 0 < gap.ci_high
    # London 30% dearer only for exploited children
    london_cse = (df["in_london"] == 1) & (df["risk_criminal_exploitation"] == 1)
    df.loc[london_cse, "log_cost"] += 0.26
    gap = h4.hard_to_place_premium_gap(df, ["risk_criminal_exploitation"])
    assert gap.ci_low > 0 and gap.estimate == pytest.approx(0.26, abs=0.08)
    assert h4.hard_to_place_premium_gap(df, ["not_a_field"]) is None


def test_missing_costs_is_inconclusive_with_the_reason(rules):
    ds = make_dataset(premium=0.2)
    del ds.tables["costs"]
    result = h4.evaluate(ds, YEAR, rules)
    assert result.verdict == "Inconclusive"
    assert "costs" in result.insufficient[0]
    assert result.evidence["parts"][0]["estimate"] is None
    assert result.to_dict()["verdict"] == "Inconclusive"


def test_missing_needs_is_flagged_not_fatal(rules):
    result = h4.evaluate(make_dataset(premium=np.log(1.25), with_needs=False), YEAR, rules)
    assert result.verdict == "Supported"
    assert any("needs" in s for s in result.insufficient)


def test_borough_edition_adds_borough_indicator(rules):
    result = h4.evaluate(make_dataset(premium=0.2), YEAR, rules, la="Camden")
    assert result.indicators[-1].name.startswith("Camden")


def test_cost_table_counts_every_placement():
    df = h4.costed_placements(make_dataset(premium=0.0), YEAR)
    table = h4.cost_table(df)
    assert (
        h4.cost_figure(
            df, [("London boroughs", ["Camden", "Hackney"]), ("Camden", ["Camden"])]
        ).name
        == "h4_cost_by_location"
    )
    assert table["placements"].sum() == len(df) == 400
    assert {"In London", "Outside London"} == set(table["location"])
