"""Headline figures: unit tests on hand-made canonical tables, and the 2022 back-test on the
bundled synthetic example (its calibration targets are the 2022 report's figures)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.headlines import (
    borough_shares_outside_london,
    busiest_host,
    headline_figures,
    headline_shares,
    london_external_places,
    published_headlines,
)
from analysis.paths import CONFIG, EXAMPLE_DATA
from analysis.snapshot import residential_placements

CODES = london_boroughs().set_index("la_name")["ons_code"]
KENT = "E10000016"


def _episode(child: str, la: str, pl_la: str, provider: str = "PR4", place: str = "K2", **kw):
    row = {
        "CHILD": child,
        "DECOM": pd.Timestamp(2021, 6, 1),
        "DEC": pd.NaT,
        "PLACE": place,
        "PLACE_PROVIDER": provider,
        "LA": la,
        "PL_LA": pl_la,
        "URN": "",
        "YEAR": 2022,
    }
    row.update(kw)
    return row


def _dataset(rows: list[dict], homes: pd.DataFrame | None = None) -> Dataset:
    episodes = pd.DataFrame(rows)
    if homes is None:
        homes = pd.DataFrame(
            {
                "urn": ["SC1", "SC2", "SC3", "SC4"],
                "provision_type": ["Children's home"] * 4,
                "local_authority": ["Camden", "Camden", "Barnet", "Kent"],
                "sector": ["Private", "Local Authority", "Voluntary", "Private"],
                "places": [4, 6, 3, 5],
                "in_london": [True, True, True, False],
            }
        )
    return Dataset(tables={"episodes": episodes, "homes": homes}, source_dir=Path("<test>"))


@pytest.fixture
def tiny() -> Dataset:
    rows = [
        # Camden (Inner): 1 of 4 outside London (25%); one in-house placement in London.
        _episode("a1", "Camden", CODES["Camden"]),
        _episode("a2", "Camden", CODES["Camden"], provider="PR1"),
        _episode("a3", "Camden", CODES["Barnet"], provider="PR5"),
        _episode("a4", "Camden", KENT),
        # Islington (Inner): 1 of 1 outside (100%).
        _episode("b1", "Islington", KENT),
        # Barnet (Outer): 0 of 2 outside (0%), both in Camden.
        _episode("c1", "Barnet", CODES["Camden"]),
        _episode("c2", "Barnet", CODES["Camden"]),
        # Not counted: closed before the snapshot, not K2, not a London placing LA, other year.
        _episode("x1", "Barnet", KENT, DEC=pd.Timestamp(2022, 1, 1)),
        _episode("x2", "Barnet", KENT, place="U4"),
        _episode("x3", "Kent", KENT),
        _episode("x4", "Barnet", KENT, YEAR=2021),
    ]
    return _dataset(rows)


def test_counts_and_pooled_share(tiny: Dataset) -> None:
    h = headline_figures(tiny, 2022)
    assert h["placements_total"] == 7
    assert h["placements_outside_london"] == 2
    assert h["share_outside_london"] == pytest.approx(28.6)


def test_inner_outer_are_unweighted_means_of_borough_shares(tiny: Dataset) -> None:
    h = headline_figures(tiny, 2022)
    # Inner boroughs: Camden 25%, Islington 100% -> mean 62.5 (pooled 2/5 = 40%).
    assert h["inner_share_outside_london"] == pytest.approx(62.5)
    assert h["inner_pooled_share_outside_london"] == pytest.approx(40.0)
    assert h["outer_share_outside_london"] == pytest.approx(0.0)


def test_shares_are_fractions_and_the_record_writes_per_cent(tiny: Dataset) -> None:
    """One definition per quantity: the computed shares are fractions 0-1 (unrounded); only
    the published record (results/headlines.json) writes them in per cent to one decimal."""
    s = headline_shares(tiny, 2022)
    assert s["share_outside_london"] == pytest.approx(2 / 7)
    assert s["inner_share_outside_london"] == pytest.approx(0.625)  # (1/4 + 1) / 2
    assert s["inner_pooled_share_outside_london"] == pytest.approx(0.4)
    assert s["share_used_by_london"] == pytest.approx(4 / 7)
    shares = borough_shares_outside_london(residential_placements(tiny.table("episodes"), 2022))
    assert shares.between(0, 1).all() and shares["Islington"] == 1.0
    assert published_headlines(s) == headline_figures(tiny, 2022)
    assert published_headlines(s)["share_outside_london"] == 28.6
    assert published_headlines(s)["placements_total"] == 7  # counts pass through


def test_boroughs_none_and_all_outside(tiny: Dataset) -> None:
    h = headline_figures(tiny, 2022)
    assert h["boroughs_none_outside_london"] == 1  # Barnet
    assert h["boroughs_all_outside_london"] == 1  # Islington
    shares = borough_shares_outside_london(residential_placements(tiny.table("episodes"), 2022))
    assert list(shares.index) == ["Barnet", "Camden", "Islington"]


def test_external_places_and_use(tiny: Dataset) -> None:
    h = headline_figures(tiny, 2022)
    assert h["london_external_places"] == 7  # Private 4 + Voluntary 3 in London; LA and Kent out
    # PR4/PR5 placements in London: a1, a3, c1, c2 (a2 is in-house).
    assert h["london_external_places_used_by_london"] == 4
    assert h["share_used_by_london"] == pytest.approx(57.1)


def test_busiest_host(tiny: Dataset) -> None:
    placements = residential_placements(tiny.table("episodes"), 2022)
    assert busiest_host(placements) == ("Camden", 2)  # Camden hosts Camden and Barnet
    assert headline_figures(tiny, 2022)["max_london_las_placing_in_one_borough"] == 2


def test_external_places_ignore_other_provision_types() -> None:
    homes = pd.DataFrame(
        {
            "provision_type": ["Children's home", "Residential special school"],
            "sector": ["Private", "Private"],
            "places": [4, 40],
            "in_london": [True, True],
        }
    )
    assert london_external_places(homes) == 4


def test_empty_year_gives_zero_counts(tiny: Dataset) -> None:
    h = headline_figures(tiny, 2020)
    assert h["placements_total"] == 0
    assert h["max_london_las_placing_in_one_borough"] == 0


# --------------------------------------------------------------------------- the back-test
@pytest.fixture(scope="module")
def example():
    if not any(EXAMPLE_DATA.glob("episodes.*")):
        pytest.skip("data/example is not generated")
    from analysis.contract import load_dataset

    return load_dataset(EXAMPLE_DATA)


def test_backtest_2022_report_figures(example) -> None:
    """The synthetic example reproduces the 2022 report's headline figures exactly."""
    targets = yaml.safe_load((CONFIG / "example.yaml").read_text())["report_targets_2022"]
    h = headline_figures(example, 2022)
    assert h["placements_total"] == 790 == targets["placements_total"]
    assert h["placements_outside_london"] == 532
    assert h["share_outside_london"] == pytest.approx(67.3)
    assert h["london_external_places"] == 569
    assert h["london_external_places_used_by_london"] == 201
    assert h["boroughs_none_outside_london"] == 2
    assert h["boroughs_all_outside_london"] == 3
    assert h["inner_share_outside_london"] == pytest.approx(67.8)
    assert h["outer_share_outside_london"] == pytest.approx(70.8)
    assert h["max_london_las_placing_in_one_borough"] == 14
    assert h["busiest_host_borough"] == "Redbridge"


def test_backtest_2021_differs(example) -> None:
    h21, h22 = headline_figures(example, 2021), headline_figures(example, 2022)
    assert h21["placements_total"] != h22["placements_total"]
    assert h21["share_outside_london"] < h22["share_outside_london"]
