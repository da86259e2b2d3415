"""The synthetic example dataset: reproducible bytes, coverage, calibration, planted effects."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.example.generate import (
    TABLE_COLUMNS,
    generate_frames,
    largest_remainder,
    load_config,
    weighted_pick,
    with_effects,
    write_dataset,
)
from analysis.paths import EXAMPLE_DATA

pytestmark = pytest.mark.skipif(
    not any(EXAMPLE_DATA.glob("episodes.*")), reason="data/example is not generated"
)


@pytest.fixture(scope="module")
def config() -> dict:
    return load_config()


@pytest.fixture(scope="module")
def frames(config: dict) -> dict[str, pd.DataFrame]:
    return generate_frames(config)


@pytest.fixture(scope="module")
def example():
    from analysis.contract import load_dataset

    return load_dataset(EXAMPLE_DATA)


def test_regeneration_is_byte_identical(frames, tmp_path: Path) -> None:
    write_dataset(frames, tmp_path)
    committed = sorted(p.name for p in EXAMPLE_DATA.iterdir() if p.suffix in {".csv", ".yaml"})
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (EXAMPLE_DATA / name).read_bytes(), name


def test_file_format_columns(frames) -> None:
    for name, cols in TABLE_COLUMNS.items():
        assert list(frames[name].columns) == cols, name
    assert "PL_LA" not in frames["episodes"].columns  # the loader derives it


def test_metadata_says_synthetic() -> None:
    import yaml

    meta = yaml.safe_load((EXAMPLE_DATA / "dataset.yaml").read_text())
    assert meta["synthetic"] is True and meta["name"] and meta["description"]


def test_all_33_boroughs_and_two_years(example) -> None:
    eps = example.table("episodes")
    assert example.years() == [2021, 2022]
    for year in (2021, 2022):
        las = set(eps.loc[eps["YEAR"] == year, "LA"])
        assert las == set(london_boroughs()["la_name"])


def test_cohort_matches_dfe_counts(example, config) -> None:
    header = example.table("header")
    for year in (2021, 2022):
        counts = header[header["YEAR"] == year].groupby("LA").size()
        for la, b in config["boroughs"].items():
            assert counts.get(la, 0) == b[f"cla_{year}"], (la, year)


def test_homes_in_and_out_of_london(example) -> None:
    homes = example.table("homes")
    assert homes["in_london"].any() and (~homes["in_london"]).any()
    assert homes["urn"].str.startswith("SC9").all()
    used = set(example.table("episodes")["URN"].dropna()) - {""}
    assert used <= set(homes["urn"])


def test_children_ids_stable_across_years(example) -> None:
    header = example.table("header")
    both = set(header.loc[header["YEAR"] == 2021, "CHILD"]) & set(
        header.loc[header["YEAR"] == 2022, "CHILD"]
    )
    assert len(both) > 1000


def test_eight_destinations_take_just_under_half(example, config) -> None:
    from analysis.snapshot import residential_placements

    codes = {v["code"] for v in config["destinations"].values()}
    placed = residential_placements(example.table("episodes"), 2022)
    out = placed[placed["outside_london"] & placed["PL_LA"].notna()]
    share = out["PL_LA"].isin(codes).mean()
    assert 0.45 <= share < 0.50


def test_referrals_volume_and_fieldwork(example) -> None:
    assert len(example.table("referrals")) > 3000
    fw = example.table("fieldwork")
    assert 120 <= len(fw) <= 180  # 60-90 statements a year, two years
    stance = fw.groupby("hypothesis")["stance"].agg(lambda s: s.value_counts().idxmax())
    assert stance[1] == stance[3] == stance[5] == stance[6] == "Supports"
    assert stance[2] == stance[4] == "Contradicts"


def test_with_effects_copies_and_rejects_unknown(config) -> None:
    new = with_effects(config, h2_quality=0.5)
    assert new["effects"]["h2_quality"] == 0.5 and config["effects"]["h2_quality"] == 0.0
    with pytest.raises(KeyError):
        with_effects(config, h7_weather=1.0)


def test_h6_zero_takes_no_place_out_of_use(config) -> None:
    frames = generate_frames(with_effects(config, h6_staffing=0.0))
    assert (frames["home_staffing"]["places_unavailable_staffing"] == 0).all()


def test_allocation_helpers() -> None:
    import numpy as np

    out = largest_remainder(np.array([1.0, 1.0, 2.0]), 7, caps=np.array([10, 1, 10]))
    assert out.sum() == 7 and out[1] <= 1
    picked = weighted_pick(np.random.default_rng(0), np.array([0.0, 1.0, 1.0, 0.0]) + 1e-12, 2)
    assert sorted(picked.tolist()) == [1, 2]


def test_flipped_effects_generate_and_keep_london_totals(config) -> None:
    """All effects flipped (the simulation study's other corner): generation still succeeds,
    London totals are kept, the planted per-borough design is dropped with h3_practice = 0, and
    London core costs carry the h4 premium."""
    flipped = with_effects(
        config, h1_needs=0, h2_quality=0.8, h3_practice=0, h4_cost=0.4, h5_risk=0, h6_staffing=0
    )
    frames = generate_frames(flipped)
    eps = frames["episodes"]
    k2 = eps[(eps["YEAR"] == 2022) & (eps["PLACE"] == "K2") & (eps["DEC"] == "")]
    assert len(k2) == 790
    homes = frames["homes"].set_index("URN")
    london = set(london_boroughs()["la_name"])
    in_london = k2["URN"].map(homes["Local authority"]).isin(london)
    assert (~in_london).sum() == 532
    # With h3_practice = 0 no borough is planted at 0% outside London any more.
    share_out = (~in_london).groupby(k2["LA"]).mean()
    assert (share_out == 0).sum() < 2
    costs = frames["costs"]
    cost_in_london = costs["URN"].map(homes["Local authority"]).isin(london)
    log_core = costs["core_weekly_cost"].astype(float).map(math.log)
    assert log_core[cost_in_london].mean() - log_core[~cost_in_london].mean() > 0.2
