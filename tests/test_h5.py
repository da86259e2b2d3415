"""Hypothesis 5 (risk): acceptance gap for high-risk profiles, local interaction, adjacency."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import is_local, london_adjacency, london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h5
from analysis.hypotheses.registry import load_rules
from analysis.paths import REFERENCE
from analysis.stats import difference_in_proportions

YEAR = 2022


def make_dataset(
    risk_effect: float, local_extra: float = 0.0, n_children: int = 300, seed: int = 2
) -> Dataset:
    """Children of London boroughs (35% high-risk) each referred to 4 homes; acceptance log-odds
    fall by ``risk_effect`` for high-risk profiles and by ``local_extra`` more for homes in the
    child's own or a neighbouring borough."""
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    n_homes = 120
    home_ons = np.where(
        rng.random(n_homes) < 0.5, rng.choice(ref["ons_code"], n_homes), "E10000014"
    )
    homes = pd.DataFrame(
        {
            "urn": [f"SC{i:05d}" for i in range(n_homes)],
            "la_ons_code": home_ons,
            "in_london": pd.Series(home_ons).str.startswith("E09").to_numpy(),
        }
    )
    names = dict(zip(ref["ons_code"], ref["la_name"], strict=True))
    child_la = rng.choice(ref["la_name"], n_children)
    high = rng.random(n_children) < 0.35
    needs = pd.DataFrame(
        {
            "CHILD": [f"C{i}" for i in range(n_children)],
            "LA": child_la,
            "risk_to_others": pd.array(high, dtype="boolean"),
        }
    )
    rows = []
    for i in range(n_children):
        for h in rng.choice(n_homes, 4, replace=False):
            local = is_local(child_la[i], names.get(home_ons[h], ""))
            logit = 0.3 - risk_effect * high[i] - local_extra * high[i] * local
            accepted = rng.random() < 1 / (1 + np.exp(-logit))
            reason = (
                ""
                if accepted
                else (h5.RISK_DECLINE if high[i] and rng.random() < 0.5 else "No vacancy")
            )
            rows.append(
                {
                    "referral_id": f"R{len(rows)}",
                    "CHILD": f"C{i}",
                    "LA": child_la[i],
                    "URN": homes["urn"][h],
                    "referral_date": pd.Timestamp("2021-10-01"),
                    "needed_by": "More than 5 days",
                    "response": "Accepted" if accepted else "Declined",
                    "decline_reason": reason,
                    "profile_strengths_based": pd.NA,
                    "profile_completeness": rng.random(),
                }
            )
    tables = {
        "episodes": pd.DataFrame(),
        "header": pd.DataFrame(),
        "homes": homes,
        "needs": needs,
        "referrals": pd.DataFrame(rows),
    }
    return Dataset(tables=tables, source_dir=Path("."))


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules(5)


def test_adjacency_reference_is_symmetric_connected_and_complete():
    df = pd.read_csv(REFERENCE / "london_adjacency.csv")
    pairs = set(zip(df["la_name"], df["neighbour"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    assert all(a != b for a, b in pairs)
    names = set(london_boroughs()["la_name"])
    assert set(df["la_name"]) == names and set(df["neighbour"]) <= names
    graph = london_adjacency()
    assert nx.is_connected(graph) and graph.number_of_nodes() == 33
    assert is_local("Camden", "Islington") and is_local("Camden", "Camden")
    assert not is_local("Camden", "Bromley")


def test_newcombe_interval_contains_difference_and_matches_known_case():
    d = difference_in_proportions(56, 70, 48, 80)
    # Newcombe (1998) table II example: 56/70 vs 48/80 -> 0.2 (0.0524, 0.3339)
    assert d.difference == pytest.approx(0.2)
    assert d.ci_low == pytest.approx(0.0524, abs=5e-4)
    assert d.ci_high == pytest.approx(0.3339, abs=5e-4)


def test_planted_risk_aversion_is_supported(rules):
    result = h5.evaluate(make_dataset(risk_effect=1.0), YEAR, rules)
    assert result.verdict == "Supported"
    gap, odds = result.indicators[0], result.indicators[1]
    assert gap.ci_high < 0 and odds.ci_high < 1


def test_no_risk_effect_is_not_supported(rules):
    result = h5.evaluate(make_dataset(risk_effect=0.0, seed=5), YEAR, rules)
    assert result.verdict == "Not supported"
    assert result.indicators[1].ci_low < 1 < result.indicators[1].ci_high


def test_local_interaction_detected_when_planted(rules):
    result = h5.evaluate(make_dataset(risk_effect=0.2, local_extra=2.5, seed=7), YEAR, rules)
    local = result.indicators[2]
    assert local.estimate < 1 and local.ci_high < 1


def test_referrals_to_the_home_a_child_is_placed_in_are_left_out(rules):
    """The referral that led to a placement records the placement (accepted by definition); with
    exclude_placement_referrals it is dropped, and only the child's own referrals to that home."""
    ds = make_dataset(risk_effect=0.0, n_children=60)
    refs = ds.tables["referrals"]
    first = refs.drop_duplicates("CHILD").head(10)
    ds.tables["episodes"] = pd.DataFrame(
        {
            "CHILD": first["CHILD"].tolist() + ["C_other"],
            "LA": first["LA"].tolist() + [first["LA"].iloc[0]],
            "URN": first["URN"].tolist() + [first["URN"].iloc[1]],
            "YEAR": YEAR,
        }
    )
    assert rules["exclude_placement_referrals"] is True
    kept, _ = h5.referral_frame(ds, YEAR, rules)
    every, _ = h5.referral_frame(ds, YEAR, {**rules, "exclude_placement_referrals": False})
    assert len(every) == len(refs) and every.attrs["placement_referrals_dropped"] == 0
    assert len(kept) == len(refs) - 10 and kept.attrs["placement_referrals_dropped"] == 10
    result = h5.evaluate(ds, YEAR, rules)
    assert any(
        c.startswith("10 referrals to the home the child is placed in") for c in result.caveats
    )


def test_missing_referrals_or_needs_gives_insufficient_data(rules):
    for table in ("referrals", "needs"):
        ds = make_dataset(risk_effect=1.0, n_children=40)
        del ds.tables[table]
        result = h5.evaluate(ds, YEAR, rules)
        assert result.verdict == "Insufficient data"
        assert table in result.insufficient[0]


def test_tables_for_borough_edition(rules):
    ds = make_dataset(risk_effect=1.0)
    df, filtered = h5.referral_frame(ds, YEAR, rules)
    assert filtered
    table = h5.acceptance_table(
        df, [("London boroughs", sorted(df["LA"].unique())), ("Camden", ["Camden"])]
    )
    assert set(table["scope"]) == {"London boroughs", "Camden"}
    london = table[table["scope"] == "London boroughs"]
    assert london["referrals"].sum() == len(df)
    reasons = h5.decline_reason_table(df)
    assert reasons.groupby("profile")["share"].sum().round(6).eq(1).all()
    assert h5.decline_reason_figure(df).alt
    assert h5.acceptance_figure(df).child_counts == ("referrals", "accepted")


def test_chart_does_not_draw_suppressed_borough_values(rules):
    df, _ = h5.referral_frame(make_dataset(risk_effect=1.0), YEAR, rules)
    scopes = [("London boroughs", sorted(df["LA"].unique())), ("Camden", ["Camden"])]
    table = h5.acceptance_table(df, scopes)
    small = table["accepted"].between(1, 5) | table["referrals"].between(1, 5)
    assert small.any()  # Camden has only a handful of referrals
    spec = h5.acceptance_figure(df, scopes)
    drawn = len(spec.fig.axes[0].containers)
    assert drawn == int((~table["accepted"].between(1, 5)).sum()) < len(table)
