"""Public-data parsers and the local folder: tidy-format symbols, Ofsted files (the APIs: test_public_api)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.paths import SHARED_PUBLIC_DATA
from analysis.public_data.fetch import check_public_folder
from analysis.public_data.ofsted import childrens_homes, read_joiners_leavers, read_register
from analysis.public_data.tidy import missing_reasons, read_tidy

needs_public = pytest.mark.skipif(
    not SHARED_PUBLIC_DATA.exists(), reason=f"real public data not found at {SHARED_PUBLIC_DATA}"
)

TIDY = (
    "\ufefftime_period,time_identifier,geographic_level,old_la_code,la_name,characteristic,number,percentage\n"
    "2024,Reporting year,Local authority,202,Camden,A,12,40\n"
    "2024,Reporting year,Local authority,202,Camden,B,c,c\n"
    "2024,Reporting year,Local authority,202,Camden,C,z,x\n"
    "2024,Reporting year,Local authority,202,Camden,D,low,k\n"
)


def test_tidy_symbols_are_missing_with_reason_never_zero(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TIDY, encoding="utf-8")
    df = read_tidy(path)
    assert df["number"].iloc[0] == 12 and df["old_la_code"].iloc[0] == "202"
    assert df["number"].iloc[1:].isna().all()
    assert df["number_symbol"].tolist()[1:] == ["c", "z", "low"]
    assert df["percentage_symbol"].tolist()[1:] == ["c", "x", "k"]
    assert df["number"].sum() == 12  # the symbols were not counted as anything
    assert df["time_period"].iloc[0] == 2024
    assert missing_reasons(df, "number").sum() == 3


def test_local_folder_check_names_what_is_missing(tmp_path):
    problems = check_public_folder(tmp_path, 2024)
    assert len(problems) == 5 and all("missing" in p for p in problems)
    assert any("ofsted_childrens_homes_2024-03-31.csv" in p for p in problems)


@needs_public
def test_shared_public_folder_is_complete_and_valid():
    assert check_public_folder(SHARED_PUBLIC_DATA) == []
    assert check_public_folder(SHARED_PUBLIC_DATA, 2023) == []
    assert check_public_folder(SHARED_PUBLIC_DATA, 2024) == []  # the 2023 register, said so


@needs_public
def test_register_sanity_figures_from_readme():
    homes = childrens_homes(
        read_register(SHARED_PUBLIC_DATA / "ofsted_childrens_homes_2023-03-31.csv")
    )
    assert len(homes) == 2821
    assert int(homes["is_london"].sum()) == 161
    assert homes.loc[homes["is_london"], "borough"].notna().all()


@needs_public
def test_joiners_leavers_skip_title_rows():
    df = read_joiners_leavers(SHARED_PUBLIC_DATA / "ofsted_joiners_leavers_2022-04_to_2023-03.csv")
    assert df["URN"].str.len().gt(0).all()
    assert df["joined"].any() and df["left"].any()


@needs_public
def test_real_tidy_file_keeps_confidential_cells_missing():
    df = read_tidy(SHARED_PUBLIC_DATA / "dfe_cla_new_placements_location_reason_2020-2024.csv")
    assert (df["number_symbol"] == "c").sum() > 0
    assert df.loc[df["number_symbol"].notna(), "number"].isna().all()
    assert set(df["time_period"].dropna().unique()) == {2020, 2021, 2022, 2023, 2024}
    assert isinstance(df, pd.DataFrame)
