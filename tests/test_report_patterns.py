"""Placement patterns on a hand-made snapshot whose answers are known."""

from __future__ import annotations

import pandas as pd

from analysis.patterns import (
    borough_summary,
    destinations,
    home_use_by_borough,
    london_summary,
    placements_by_borough,
    suppress_borough_summary,
)

CAMDEN, HACKNEY, KENT = "E09000007", "E09000012", "E10000016"


def snapshot() -> pd.DataFrame:
    """Camden: 4 children (2 in Kent, 1 in Camden, 1 in Hackney home H1); Hackney: 1 in Kent."""
    rows = [
        ("c1", "Camden", KENT, "", True),
        ("c2", "Camden", KENT, "", True),
        ("c3", "Camden", CAMDEN, "", False),
        ("c4", "Camden", HACKNEY, "H1", False),
        ("c5", "Hackney", KENT, "", True),
    ]
    return pd.DataFrame(rows, columns=["CHILD", "LA", "PL_LA", "URN", "outside_london"])


def homes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urn": ["H1", "H2", "H3"],
            "sector": ["Private", "Voluntary", "Local Authority"],
            "places": [4, 6, 5],
            "la_ons_code": [HACKNEY, HACKNEY, CAMDEN],
        }
    )


def test_placements_by_borough_counts_and_shares():
    by = placements_by_borough(snapshot()).set_index("la_name")
    assert by.loc[
        "Camden", ["placements", "outside_london", "in_own_borough", "in_other_london"]
    ].tolist() == [4, 2, 1, 1]
    assert by.loc["Camden", "pct_outside_london"] == 0.5
    assert by.loc["Hackney", "pct_outside_london"] == 1.0
    assert by.loc["Barnet", "placements"] == 0 and pd.isna(by.loc["Barnet", "pct_outside_london"])


def test_home_use_counts_external_places_only():
    use = home_use_by_borough(snapshot(), homes()).set_index("la_name")
    assert use.loc[
        "Hackney", ["external_places", "used_by_london", "placing_boroughs"]
    ].tolist() == [10, 1, 1]
    assert use.loc["Camden", "external_places"] == 0  # council home is not external


def test_destinations_and_london_summary():
    dest = destinations(snapshot())
    assert (
        dest.loc[0, "la"] == "Kent"
        and dest.loc[0, "placements"] == 3
        and dest.loc[0, "share"] == 1.0
    )
    by = placements_by_borough(snapshot())
    summary = london_summary(by, home_use_by_borough(snapshot(), homes()))
    assert summary["placements"] == 5 and summary["outside_london"] == 3
    assert summary["pct_outside_london"] == 0.6
    assert (
        summary["external_places_in_london"] == 10
        and summary["external_places_used_by_london"] == 1
    )
    assert summary["boroughs_all_outside"] == 1


def test_borough_summary_suppresses_small_counts():
    by = placements_by_borough(snapshot())
    use = home_use_by_borough(snapshot(), homes())
    camden = suppress_borough_summary(borough_summary("Camden", by, use))
    assert camden["placements"] == "c" and camden["pct_outside_london"] == "c"
