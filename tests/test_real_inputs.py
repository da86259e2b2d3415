"""Real inputs used as delivered (issue #10): LIIA's extract, stacked returns, Ofsted's file.

Fixtures come from :mod:`analysis.example.real_formats`: one consistent synthetic history of
episodes written the way each real source delivers it, and the truth computed from the
history's dates (not from any file).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.contract import load_dataset
from analysis.contract.codes import codes_for_year
from analysis.contract.discover import discover
from analysis.contract.loader import validate_dir
from analysis.contract.sample import minimal_frames, write_frames
from analysis.example import real_formats as rf
from analysis.headlines import headline_figures
from analysis.snapshot import open_episodes, resolve_resent_episodes

YEARS = rf.HISTORY_YEARS


@pytest.fixture(scope="module")
def liia(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("liia")
    info = rf.write_liia_folder(folder)
    info["folder"] = folder
    info["dataset"] = load_dataset(folder)
    return info


def _suffixed(stacked: pd.DataFrame) -> pd.DataFrame:
    out = stacked.copy()
    out["CHILD"] = out["CHILD"] + "_" + out["LA"].map(rf.short_code)
    return out


def _write_episodes(folder: Path, episodes: pd.DataFrame, liia: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    episodes.to_csv(folder / "episodes.csv", index=False)
    for name in ("pan_London_SSDA903_Header.csv",):
        (folder / "header.csv").write_bytes((liia["folder"] / name).read_bytes())
    (folder / "homes.csv").write_bytes(liia["ofsted"].read_bytes())
    return folder


def test_liia_folder_untouched_gives_the_true_snapshot_every_year(liia) -> None:
    ds = liia["dataset"]
    assert ds.years() == list(YEARS)
    for year in YEARS:
        h = headline_figures(ds, year)
        expected = rf.truth(liia["history"], year)
        assert h["placements_total"] == expected["placements_total"], year
        assert h["placements_outside_london"] == expected["placements_outside_london"], year
    # the YEAR label alone would have lost the children still placed in a later return
    eps = ds.table("episodes")
    k2 = (eps["PLACE"] == "K2") & (eps["YEAR"] == 2022)
    labelled = open_episodes(eps[k2].drop(columns="YEAR"), 2022)
    assert len(labelled) < rf.truth(liia["history"], 2022)["placements_total"]


def test_same_snapshot_for_stacked_liia_and_mixed(liia, tmp_path: Path) -> None:
    stacked = _suffixed(liia["stacked"])
    extract = pd.read_csv(liia["folder"] / "pan_London_SSDA903_Episodes.csv", dtype=str)
    # a mix: LIIA's extract of the 2021-2022 returns, then the 2023 and 2024 returns as sent
    early = rf.liia_extract(liia["stacked"][liia["stacked"]["YEAR"] <= 2022], liia_codes=0)
    mixed = pd.concat([early, stacked[stacked["YEAR"] >= 2023]], ignore_index=True)
    children = {}
    for name, frame in (("stacked", stacked), ("liia", extract), ("mixed", mixed)):
        ds = load_dataset(_write_episodes(tmp_path / name, frame, liia))
        children[name] = {
            year: sorted(open_episodes(ds.table("episodes"), year).query("PLACE == 'K2'")["CHILD"])
            for year in YEARS
        }
        resent = [p for p in ds.warnings if "re-sent in a later return" in p.rule]
        if name == "liia":
            assert not resent
        else:
            assert resent and int(resent[0].value) > 0
    assert children["stacked"] == children["liia"] == children["mixed"]
    for year in YEARS:
        assert len(children["liia"][year]) == rf.truth(liia["history"], year)["placements_total"]


def test_resent_episode_resolution_keeps_the_latest_return() -> None:
    eps = pd.DataFrame(
        {
            "CHILD": ["a", "a", "b"],
            "DECOM": pd.to_datetime(["2020-05-01", "2020-05-01", "2021-01-01"]),
            "DEC": pd.to_datetime([None, "2022-06-01", None]),
            "YEAR": [2021, 2023, 2022],
        }
    )
    resolved, dropped = resolve_resent_episodes(eps)
    assert dropped == 1
    assert resolved.set_index("CHILD").loc["a", "YEAR"] == 2023
    # open on 31/03/2022 by the dates of the latest return; not on 31/03/2023
    assert sorted(open_episodes(eps, 2022)["CHILD"]) == ["a", "b"]
    assert sorted(open_episodes(eps, 2023)["CHILD"]) == []


def test_urns_as_the_dfe_return_uses_them(liia) -> None:
    ds = liia["dataset"]
    eps = ds.table("episodes")
    closed = ~eps["URN"].isin(set(ds.table("homes")["urn"]))
    k2_closed = eps["PLACE"].eq("K2") & closed & eps["URN"].notna()
    warned = [p for p in ds.warnings if p.column == "URN"]
    assert len(warned) == int(k2_closed.sum()) > 0
    assert all(p.severity == "warning" for p in warned)
    assert eps.loc[k2_closed, "PL_LA"].notna().all()  # from the postcode sector
    assert (eps["URN"] == "XXXXXXX").any() and (eps["PLACE"] == "U4").any()


def test_liia_codes_and_columns_accepted_with_a_warning(liia) -> None:
    ds = liia["dataset"]
    rules = {p.column: p for p in ds.warnings if "LIIA" in p.rule}
    assert "20 row(s)" in rules["REC"].rule and "20 row(s)" in rules["REASON_PLACE_CHANGE"].rule
    assert {"YEAR_latest", "Episode_source"} <= set(rules)
    assert (ds.table("episodes")["REC"] == "E99").sum() == 20


def test_code_lists_follow_the_return_year(tmp_path: Path) -> None:
    assert "Z11" in codes_for_year("PLACE", 2026) and "Z11" not in codes_for_year("PLACE", 2025)
    assert "K3" in codes_for_year("PLACE", 2025) and "K3" not in codes_for_year("PLACE", 2024)
    frames = minimal_frames()
    frames["episodes"].loc[3, "PLACE"] = "Z12"
    _, problems = validate_dir(write_frames(frames, tmp_path))
    assert any(p.column == "PLACE" and "YEAR 2022" in p.rule for p in problems)
    frames["episodes"]["YEAR"] = "2026"
    frames["episodes"]["DECOM"] = "01/06/2025"
    frames["header"]["YEAR"] = "2026"
    _, problems = validate_dir(write_frames(frames, tmp_path / "y2026"))
    assert not [p for p in problems if p.column == "PLACE"]


def test_files_recognised_by_content_and_reported(liia, tmp_path: Path) -> None:
    found = discover(liia["folder"])
    assert {t: [p.name for p in ps] for t, ps in found.sources.items()} == {
        "episodes": ["pan_London_SSDA903_Episodes.csv"],
        "header": ["pan_London_SSDA903_Header.csv"],
        "homes": [liia["ofsted"].name],
    }
    assert [(p.name, why) for p, why in found.unused] == [
        ("pan_London_SSDA903_UASC.csv", "SSDA903 UASC table: not used by this report")
    ]
    # liia-tools-pipeline: the pan-London file split in parts, per-LA names
    extract = pd.read_csv(liia["folder"] / "pan_London_SSDA903_Episodes.csv", dtype=str)
    split = tmp_path / "pipeline"
    split.mkdir()
    half = len(extract) // 2
    extract.iloc[:half].to_csv(split / "PAN_ssda903_episodes_part1.csv", index=False)
    extract.iloc[half:].to_csv(split / "PAN_ssda903_episodes_part2.csv", index=False)
    (split / "ssda903_header.csv").write_bytes(
        (liia["folder"] / "pan_London_SSDA903_Header.csv").read_bytes()
    )
    (split / liia["ofsted"].name).write_bytes(liia["ofsted"].read_bytes())
    raw = extract.drop(columns=["LA", "YEAR"]).iloc[:3]
    raw.to_csv(split / "Barnet_2023_episodes.csv", index=False)
    ds = load_dataset(split)
    assert len(ds.table("episodes")) == len(liia["dataset"].table("episodes"))
    found = discover(split)
    assert [p.name for p in found.sources["episodes"]] == [
        "PAN_ssda903_episodes_part1.csv",
        "PAN_ssda903_episodes_part2.csv",
    ]
    (unused,) = found.unused
    assert unused[0].name == "Barnet_2023_episodes.csv" and "report import" in unused[1]
    # a problem in the second part points at a unique row number
    extract.iloc[half:].assign(PLACE="??").to_csv(
        split / "PAN_ssda903_episodes_part2.csv", index=False
    )
    _, problems = validate_dir(split)
    rows = [p.row for p in problems if p.column == "PLACE"]
    assert len(rows) == len(extract) - half and min(rows) == half + 2


def test_pipeline_per_la_files_are_stacked(liia, tmp_path: Path) -> None:
    """liia-tools-pipeline writes one ``<LA>_ssda903_<table>.csv`` per borough: a folder of
    them is read as one table, the same snapshot as the pan-London file."""
    folder = tmp_path / "per_la"
    folder.mkdir()
    for name, table in (("Episodes", "episodes"), ("Header", "header")):
        stacked = pd.read_csv(liia["folder"] / f"pan_London_SSDA903_{name}.csv", dtype=str)
        for la, rows in stacked.groupby("LA"):
            rows.to_csv(folder / f"{la.replace(' ', '')}_ssda903_{table}.csv", index=False)
    (folder / liia["ofsted"].name).write_bytes(liia["ofsted"].read_bytes())
    found = discover(folder)
    assert len(found.sources["episodes"]) == len(found.sources["header"]) == 33
    assert ("episodes", "33 per-LA files of liia-tools-pipeline stacked into one table") in (
        found.notes
    )
    ds = load_dataset(folder)
    whole = liia["dataset"]
    assert len(ds.table("episodes")) == len(whole.table("episodes"))
    for year in (2022, 2023):
        assert (
            headline_figures(ds, year)["placements_total"]
            == (headline_figures(whole, year)["placements_total"])
        )


def test_validate_and_build_print_which_file_is_which(liia) -> None:
    from typer.testing import CliRunner

    from analysis.cli import app

    result = CliRunner().invoke(app, ["validate", str(liia["folder"])], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "episodes             <- pan_London_SSDA903_Episodes.csv" in result.output
    assert "not used" in result.output and "pan_London_SSDA903_UASC.csv" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".ods"])
def test_ofsted_file_as_downloaded(liia, tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "ofsted"
    folder.mkdir()
    for name in ("pan_London_SSDA903_Episodes.csv", "pan_London_SSDA903_Header.csv"):
        (folder / name).write_bytes((liia["folder"] / name).read_bytes())
    path = rf.write_ofsted_file(liia["register"], folder, suffix)
    ds = load_dataset(folder)
    homes = ds.table("homes")
    assert ds.files["homes"] == path
    assert sorted(homes["urn"]) == sorted(liia["register"]["URN"])  # other types left out
    assert set(homes["provision_type"]) == {"Children's home"}  # "Children's Home" too
    not_graded = [p for p in ds.warnings if "not a grade" in p.rule]
    assert len(not_graded) == 3
    assert {p.column for p in not_graded} == {
        "Overall experiences and progress of children and young people"
    }
    first_data_row = 2 if suffix == ".csv" else len(rf.OFSTED_TITLE_ROWS) + 3
    assert min(p.row for p in not_graded) == first_data_row + 5
    assert (homes["grade"] == "").sum() >= 3
    left_out = [p for p in ds.warnings if "not a children's home" in p.rule]
    assert sum(int(p.rule.split()[0]) for p in left_out) == 4


def test_validation_names_a_year_that_cannot_be_reported(tmp_path: Path) -> None:
    frames = minimal_frames()
    # the previous year (2021) is in the data but nobody was placed on 31/03/2021
    frames["episodes"].loc[4, "YEAR"] = "2021"
    frames["episodes"].loc[4, "DECOM"] = "01/05/2020"
    frames["episodes"].loc[4, "DEC"] = "01/06/2020"
    frames["episodes"].loc[2, "DECOM"] = "10/01/2022"  # C003 was open since 2020
    ds, problems = validate_dir(write_frames(frames, tmp_path / "a"))
    assert ds is not None and ds.years() == [2022]
    (previous,) = [p for p in problems if p.value == "2021"]
    assert previous.severity == "warning" and "year 2021 cannot be reported" in previous.rule
    # the report year itself with nobody placed on its 31 March is an error naming it
    frames = minimal_frames()
    frames["episodes"]["DEC"] = "01/01/2022"
    frames["episodes"]["REC"] = "E11"
    ds, problems = validate_dir(write_frames(frames, tmp_path / "b"))
    assert ds is None
    assert any(p.severity == "error" and "year 2022 cannot be reported" in p.rule for p in problems)


def test_england_comparison_from_homes_when_it_covers_england(liia) -> None:
    from analysis.hypotheses import h2

    rules = {"grade_scores": {"Good": 3, "Outstanding": 4}, "england_min_las": 5}
    england = h2.england_from_homes(liia["dataset"], rules)
    assert not england.empty
    assert h2.england_from_homes(liia["dataset"], {**rules, "england_min_las": 10_000}).empty


def test_return_year_from_names() -> None:
    from analysis.contract.raw_import import return_year

    assert return_year("2021-22") == 2022
    assert return_year("SSDA903_202122_episodes") == 2022
    assert return_year("episodes_2023") == 2023
    assert return_year("Barnet_2023_header") == 2023
    assert return_year("episodes") is None


def test_borough_from_child_suffix() -> None:
    from analysis.contract.raw_import import borough_from_suffix

    assert borough_from_suffix(pd.Series(["1_CAMD", "2_CAMD"])) == "Camden"
    assert borough_from_suffix(pd.Series(["1_BAR", "2_BAR"])) is None  # Barking or Barnet
    assert borough_from_suffix(pd.Series(["1_HAC", "2"])) is None


def test_import_a_boroughs_raw_returns(liia, tmp_path: Path) -> None:
    from analysis.contract.raw_import import ImportError_, import_returns

    raw = rf.write_raw_returns(liia["history"], "Barnet", tmp_path / "raw")
    first = (raw / "2022-23" / "episodes.csv").read_text().splitlines()
    assert first[0] == ",".join(rf.DFE_EPISODE_COLUMNS)  # DfE names only, no LA or YEAR
    with pytest.raises(ImportError_, match="--la"):
        import_returns(raw, tmp_path / "nope")
    ofsted = rf.write_ofsted_file(liia["register"], tmp_path, ".xlsx")
    result = import_returns(raw, tmp_path / "barnet", la="barnet", ofsted=ofsted)
    assert result.la == "Barnet" and result.years == [2021, 2022, 2023]
    text = (tmp_path / "barnet" / "episodes.csv").read_text()
    assert "UPN" not in (tmp_path / "barnet" / "header.csv").read_text()
    ds = load_dataset(tmp_path / "barnet")
    eps = ds.table("episodes")
    # postcodes cut to sectors: no full postcode left in the dataset
    assert eps["PL_POST"].dropna().str.fullmatch(r"[A-Z0-9]+ \d").all()
    assert not any(len(p.split()[-1]) == 3 for p in eps["HOME_POST"].dropna())
    assert "Barnet" in text and set(eps["LA"]) == {"Barnet"}
    history = liia["history"][liia["history"]["LA"] == "Barnet"]
    for year in (2022, 2023):
        h = headline_figures(ds, year)
        assert h["placements_total"] == rf.truth(history, year)["placements_total"]
    assert ds.metadata["la"] == "Barnet"


def test_a_year_without_any_childrens_home_placement_is_named(tmp_path: Path) -> None:
    frames = minimal_frames()
    frames["episodes"]["PLACE"] = "U1"
    frames["episodes"]["URN"] = ""
    ds, problems = validate_dir(write_frames(frames, tmp_path))
    assert ds is None
    assert any("no child in a children's home (PLACE K2) on 31/03/2022" in p.rule for p in problems)


def test_a_folder_of_raw_returns_given_to_validate_points_to_import(liia, tmp_path: Path) -> None:
    raw = rf.write_raw_returns(liia["history"], "Barnet", tmp_path / "raw")
    _, problems = validate_dir(raw)
    hints = [p for p in problems if "report import" in p.rule]
    assert {p.value for p in hints} == {"2020-21", "2021-22", "2022-23"}
    assert any(p.rule == "required table missing" for p in problems)


def test_coverage_labels_and_what_it_supports() -> None:
    from analysis.boroughs import london_boroughs
    from analysis.coverage import coverage_from

    one = coverage_from(["Barnet"], {"coverage": {"min_boroughs_for_groups": 25}})
    assert (one.label, one.count, one.full, one.groups_supported) == ("Barnet", 1, False, False)
    assert "covers 1 of the 33" in one.groups_reason
    some = coverage_from(["Barnet", "Camden"])
    assert some.label == "2 London boroughs" and "Barnet, Camden" in some.subject
    everyone = coverage_from(london_boroughs()["la_name"])
    assert everyone.label == "London" and everyone.full and not everyone.groups_reason
    assert coverage_from(None).full  # not recorded (older cache): treated as all 33
    # the one variable the chapters use for "London" figures
    assert (everyone.possessive, everyone.note) == ("London's", "")
    assert one.possessive == "Barnet's" and "means the borough in this dataset (Barnet)" in one.note
    assert some.possessive == "these 2 boroughs'" and "2 of the 33" in some.note


def test_tables_of_boroughs_list_the_boroughs_a_dataset_covers() -> None:
    """A dataset of some boroughs publishes their rows only (a structurally empty row is no
    borough's "0"); a pan-London dataset keeps every row, zeros included."""
    import pandas as pd

    from analysis.boroughs import london_boroughs
    from analysis.coverage import limit_to_coverage

    table = london_boroughs()[["la_name"]].assign(placements=0)
    assert limit_to_coverage(table, ["Camden"])["la_name"].tolist() == ["Camden"]
    two = limit_to_coverage(table.set_index("la_name"), ["Camden", "Barnet"], "la_name")
    assert sorted(two.index) == ["Barnet", "Camden"]
    everyone = list(london_boroughs()["la_name"])
    assert len(limit_to_coverage(table, everyone)) == 33
    assert len(limit_to_coverage(table, None)) == 33  # not recorded: all
    assert isinstance(limit_to_coverage(table, ["Camden"]), pd.DataFrame)


def test_headline_counts_of_children_go_through_disclosure_control() -> None:
    from analysis.document.assemble import publishable_headlines
    from analysis.paths import CONFIG
    from analysis.yaml_files import read_yaml

    specs = read_yaml(CONFIG / "report.yaml")["headlines"]
    headlines = {
        "placements_total": 10,
        "placements_outside_london": 8,  # its complement (2 in London) is small
        "share_outside_london": 80.0,
        "inner_share_outside_london": 75.0,
        "london_external_places": 500,
        "london_external_places_used_by_london": 3,
        "share_used_by_london": 0.6,
        "boroughs_none_outside_london": 0,
    }
    shown = publishable_headlines(headlines, specs)
    assert shown["placements_total"] == 10
    for key in (
        "placements_outside_london",
        "share_outside_london",
        "inner_share_outside_london",
        "london_external_places_used_by_london",
        "share_used_by_london",
    ):
        assert shown[key] == "c", key
    assert shown["london_external_places"] == 500
    big = publishable_headlines({**headlines, "placements_total": 100}, specs)
    assert big["placements_outside_london"] == 8 and big["share_outside_london"] == "80.0%"


@st.composite
def _histories(draw) -> pd.DataFrame:
    """A few children's consecutive episodes (true dates) between 2018 and 2024."""
    rows = []
    for child in range(draw(st.integers(1, 6))):
        start = pd.Timestamp("2018-04-01") + pd.Timedelta(days=draw(st.integers(0, 1800)))
        for _ in range(draw(st.integers(1, 4))):
            length = draw(st.integers(1, 900))
            end = start + pd.Timedelta(days=length)
            rows.append(
                {
                    "CHILD": f"c{child}",
                    "DECOM": start,
                    "DEC": end if end <= pd.Timestamp("2024-03-31") else pd.NaT,
                    "PLACE": draw(st.sampled_from(["K2", "U1"])),
                    "LA": "Camden",
                    "URN": None,
                    "HOME_POST": "E1 6",
                    "PL_POST": "E1 6",
                    "REC": None,
                    "REASON_PLACE_CHANGE": None,
                    "outside_london": False,
                }
            )
            if pd.isna(rows[-1]["DEC"]):
                break
            start = end + pd.Timedelta(days=draw(st.integers(0, 30)))
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_histories(), split=st.sampled_from([2021, 2022, 2023]))
def test_snapshot_from_dates_whatever_the_shape_of_the_returns(history, split) -> None:
    """Stacked returns, LIIA's latest-labelled extract and a mix (extract up to ``split``,
    returns after) give the children truly in placement on each 31 March."""
    stacked = rf.stacked_returns(history)
    extract = rf.liia_extract(stacked, liia_codes=0)
    extract["CHILD"] = extract["CHILD"].str.replace(r"_[A-Z]+$", "", regex=True)
    for column in ("DECOM", "DEC"):
        extract[column] = pd.to_datetime(extract[column])
    early = rf.liia_extract(stacked[stacked["YEAR"] <= split], liia_codes=0)
    early["CHILD"] = early["CHILD"].str.replace(r"_[A-Z]+$", "", regex=True)
    for column in ("DECOM", "DEC"):
        early[column] = pd.to_datetime(early[column])
    mixed = pd.concat([early, stacked[stacked["YEAR"] > split]], ignore_index=True)
    for year in YEARS:
        date = pd.Timestamp(year, 3, 31)
        truly = history[
            (history["DECOM"] <= date) & (history["DEC"].isna() | (history["DEC"] > date))
        ]
        expected = sorted(truly["CHILD"])
        for frame in (stacked, extract, mixed):
            assert sorted(open_episodes(frame, year)["CHILD"]) == expected, year


def test_provision_type_spellings_of_childrens_homes(tmp_path: Path) -> None:
    frames = minimal_frames()
    frames["homes"]["Provision type"] = ["Children\u2019s Home", "CHILDRENS HOME", ""]
    ds = load_dataset(write_frames(frames, tmp_path))
    assert list(ds.table("homes")["provision_type"].fillna("")) == [
        "Children's home",
        "Children's home",
        "",
    ]


def test_import_names_the_return_file_and_row_of_each_problem(liia, tmp_path: Path) -> None:
    """A bad value in a borough's own return is reported with the return file and its own row
    (as the analyst opens it), beside the row of the dataset the import wrote."""
    from analysis.contract.raw_import import import_command

    raw = rf.write_raw_returns(liia["history"], "Barnet", tmp_path / "raw")
    episodes = raw / "2021-22" / "episodes.csv"
    frame = pd.read_csv(episodes, dtype=str, keep_default_na=False)
    frame.loc[1, "DECOM"] = "31/02/2021"  # the file's row 3 (its header is row 1)
    frame.to_csv(episodes, index=False)
    ofsted = rf.write_ofsted_file(liia["register"], tmp_path, ".xlsx")
    assert import_command(raw, tmp_path / "barnet", la="Barnet", ofsted=ofsted) == 1
    problems = pd.read_csv(tmp_path / "barnet" / "validation_problems.csv", dtype=str)
    (bad,) = problems[(problems["column"] == "DECOM") & (problems["value"] == "31/02/2021")].index
    row = problems.loc[bad]
    assert row["source"] == "2021-22/episodes.csv row 3"
    first_year_rows = len(pd.read_csv(raw / "2020-21" / "episodes.csv", dtype=str))
    assert int(row["row"]) == 2 + first_year_rows + 1  # the combined dataset's own row
