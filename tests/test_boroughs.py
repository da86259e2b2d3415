"""The London borough reference and name matching."""

import pytest

from analysis.boroughs import (
    inner_outer,
    london_boroughs,
    london_ons_codes,
    resolve_borough,
    slugify,
)


def test_reference_has_33_london_las_with_unique_codes():
    ref = london_boroughs()
    assert len(ref) == 33
    assert ref["ons_code"].is_unique and ref["dfe_code"].is_unique and ref["slug"].is_unique
    assert set(ref["inner_outer"]) == {"Inner", "Outer"}
    assert len(london_ons_codes()) == 33


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Camden", "Camden"),
        ("camden", "Camden"),
        ("  CAMDEN ", "Camden"),
        ("202", "Camden"),
        ("E09000007", "Camden"),
        ("e09000007", "Camden"),
        ("London Borough of Camden", "Camden"),
        ("kingston-upon-thames", "Kingston upon Thames"),
        ("Kingston", "Kingston upon Thames"),
        ("Hammersmith & Fulham", "Hammersmith and Fulham"),
        ("Royal Borough of Kensington and Chelsea", "Kensington and Chelsea"),
        ("City of London Corporation", "City of London"),
    ],
)
def test_resolve_borough_accepts_usual_spellings_and_codes(given, expected):
    assert resolve_borough(given) == expected


@pytest.mark.parametrize("given", ["Kent", "Camdem", "", "999"])
def test_resolve_borough_unknown_is_none(given):
    assert resolve_borough(given) is None


def test_statistical_inner_outer_definition():
    # The DfE/ONS statistical definition: Haringey and Newham Inner, Greenwich Outer.
    assert inner_outer("Haringey") == "Inner"
    assert inner_outer("Newham") == "Inner"
    assert inner_outer("Greenwich") == "Outer"


def test_slugify():
    assert slugify("Barking & Dagenham") == "barking-and-dagenham"
    assert slugify("Richmond upon Thames") == "richmond-upon-thames"
