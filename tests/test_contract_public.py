"""Ofsted's own provider-level file is accepted as the homes table as it is published."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.contract import load_dataset
from analysis.contract.sample import minimal_frames, write_frames
from analysis.paths import SHARED_PUBLIC_DATA

OFSTED = SHARED_PUBLIC_DATA / "ofsted_childrens_homes_2023-03-31.csv"


@pytest.mark.skipif(not OFSTED.exists(), reason=f"public data not found at {OFSTED}")
def test_ofsted_register_is_a_valid_homes_table(tmp_path: Path) -> None:
    frames = minimal_frames()
    del frames["homes"]
    # point the sample's episodes, referrals and costs at real URNs: one in London, two outside
    urns = {"1000001": "2562430", "1000002": "2611190", "1000003": "2611447"}
    for table in ("episodes", "referrals", "costs", "home_registrations", "home_staffing"):
        frames[table]["URN"] = frames[table]["URN"].replace(urns)
    write_frames(frames, tmp_path)
    shutil.copy(OFSTED, tmp_path / "Homes.csv")  # temporary copy under pytest's tmp_path only
    ds = load_dataset(tmp_path, year=2022)
    homes = ds.table("homes")
    assert len(homes) == 2890
    assert set(homes["grade"]) <= {"Outstanding", "Good", "Requires improvement to be good",
                                   "Inadequate", ""}  # fmt: skip
    assert int((homes["in_london"] & (homes["provision_type"] == "Children's home")).sum()) == 161
    # Ofsted's extra columns are kept and warned about, never an error
    warned = {p.column for p in ds.warnings if p.table == "homes"}
    assert "Ofsted region" in warned
    eps = ds.table("episodes").set_index("CHILD")
    assert eps.loc["C002", "PL_LA"] == "E06000062"  # West Northamptonshire, via URN 2611190


@pytest.mark.skipif(not OFSTED.exists(), reason=f"public data not found at {OFSTED}")
def test_ofsted_file_under_its_own_name_beside_a_liia_extract(tmp_path: Path) -> None:
    """Issue #10: Ofsted's real file, untouched name, is found by its headings; its 7
    "Children's Home" rows count as children's homes; it covers England, so H2's England
    comparison can come from it."""
    from analysis.example.real_formats import write_liia_folder
    from analysis.hypotheses import h2
    from analysis.paths import CONFIG
    from analysis.yaml_files import read_yaml

    info = write_liia_folder(tmp_path)
    info["ofsted"].unlink()  # the synthetic copy; the real file instead (tmp_path only)
    shutil.copy(OFSTED, tmp_path / OFSTED.name)
    ds = load_dataset(tmp_path)
    assert ds.files["homes"].name == OFSTED.name
    homes = ds.table("homes")
    assert int((homes["provision_type"] == "Children's home").sum()) == 2814 + 7
    rules = read_yaml(CONFIG / "decision_rules" / "h2.yaml")
    assert len(h2.england_from_homes(ds, rules)) > 2000
