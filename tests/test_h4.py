"""Hypothesis 4 (cost): the adjusted London premium finds a planted premium and not a null one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h4
from analysis.hypotheses.registry import load_rules

YEAR = 2022


def make_dataset(premium: float, n: int = 400, seed: int = 1, with_needs: bool = True) -> Dataset:
    """Placements of London children, 40% in London; weekly cost driven by needs and provider,
    with London placements ``exp(premium)`` times dearer. Needier children are placed outside
    London more (so the unadjusted comparison is confounded by needs)."""
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    la = rng.choice(ref["la_name"], n)
    cse = rng.random(n) < 0.3
    in_london = rng.random(n) < np.where(cse, 0.2, 0.5)
    pl_la = np.where(in_london, rng.choice(ref["ons_code"], n), "E10000014")
    provider = rng.choice(["PR1", "PR4", "PR5"], n, p=[0.2, 0.6, 0.2])
    log_cost = (
        np.log(4500)
        + 0.4 * cse
        - 0.2 * (provider == "PR1")
        + premium * in_london
        + rng.normal(0, 0.2, n)
    )
    child = [f"C{i}" for i in range(n)]
    episodes = pd.DataFrame(
        {
            "CHILD": child,
            "LA": la,
            "DECOM": pd.Timestamp("2021-06-01"),
            "DEC": pd.NaT,
            "PLACE": "K2",
            "PLACE_PROVIDER": provider,
            "PL_LA": pl_la,
            "YEAR": YEAR,
        }
    )
    costs = pd.DataFrame(
        {
            "CHILD": child,
            "LA": la,
            "URN": "X",
            "total_weekly_cost": np.exp(log_cost).round(2),
            "procurement": np.where(provider == "PR1", "In-house", "Spot"),
        }
    )
    needs = pd.DataFrame(
        {"CHILD": child, "LA": la, "risk_criminal_exploitation": pd.array(cse, dtype="boolean")}
    )
    tables = {
        "episodes": episodes,
        "header": pd.DataFrame(),
        "homes": pd.DataFrame(),
        "costs": costs,
    }
    if with_needs:
        tables["needs"] = needs
    return Dataset(tables=tables, source_dir=Path("."))


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules(4)


def test_planted_premium_is_supported_and_estimated(rules):
    result = h4.evaluate(make_dataset(premium=np.log(1.25)), YEAR, rules)
    assert result.verdict == "Supported"
    adjusted = result.indicators[0]
    assert adjusted.ci_low < 0.25 < adjusted.ci_high
    assert adjusted.estimate == pytest.approx(0.25, abs=0.06)


def test_no_premium_is_not_supported_although_raw_costs_differ(rules):
    result = h4.evaluate(make_dataset(premium=0.0, seed=3), YEAR, rules)
    assert result.verdict == "Not supported"
    adjusted, unadjusted = result.indicators[0], result.indicators[1]
    assert adjusted.ci_low < 0 < adjusted.ci_high
    # needier (dearer) children are placed outside London, so London looks cheaper unadjusted
    assert unadjusted.estimate < 0


def test_hard_to_place_gap_is_found_when_planted_and_not_otherwise():
    ds = make_dataset(premium=0.0, seed=5)
    df = h4.costed_placements(ds, YEAR)
    assert (
        h4.hard_to_place_premium_gap(df, ["risk_criminal_exploitation"]).ci_low
        < 0
        < (h4.hard_to_place_premium_gap(df, ["risk_criminal_exploitation"]).ci_high)
    )
    # London 30% dearer only for exploited children
    london_cse = (df["in_london"] == 1) & (df["risk_criminal_exploitation"] == 1)
    df.loc[london_cse, "log_cost"] += 0.26
    gap = h4.hard_to_place_premium_gap(df, ["risk_criminal_exploitation"])
    assert gap.ci_low > 0 and gap.estimate == pytest.approx(0.26, abs=0.08)
    assert h4.hard_to_place_premium_gap(df, ["not_a_field"]) is None


def test_missing_costs_gives_insufficient_data(rules):
    ds = make_dataset(premium=0.2)
    del ds.tables["costs"]
    result = h4.evaluate(ds, YEAR, rules)
    assert result.verdict == "Insufficient data"
    assert "costs" in result.insufficient[0]
    assert result.to_dict()["verdict"] == "Insufficient data"


def test_missing_needs_is_flagged_not_fatal(rules):
    result = h4.evaluate(make_dataset(premium=np.log(1.25), with_needs=False), YEAR, rules)
    assert result.verdict in {"Supported", "Partly supported"}
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
