"""The data contract: every kind of bad input gives a readable Problem, good input a Dataset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.contract import DataValidationError, Problem, dataset_from_frames, load_dataset
from analysis.contract.normalise import parse_dates
from analysis.contract.sample import minimal_frames, write_frames
from analysis.paths import EXAMPLE_DATA


def _problems(data_dir: Path, **kwargs) -> list[Problem]:
    with pytest.raises(DataValidationError) as info:
        load_dataset(data_dir, **kwargs)
    assert info.value.problems, "a DataValidationError must carry at least one problem"
    return info.value.problems


def _has(
    problems: list[Problem],
    *,
    table: str,
    rule: str,
    column: str | None = None,
    row: int | None = None,
) -> bool:
    return any(
        p.table == table
        and rule in p.rule
        and (column is None or p.column == column)
        and (row is None or p.row == row)
        for p in problems
    )


@pytest.fixture()
def frames() -> dict[str, pd.DataFrame]:
    return minimal_frames()


def test_valid_dataset_loads_with_canonical_types(tmp_path: Path, frames) -> None:
    ds = load_dataset(write_frames(frames, tmp_path))
    eps = ds.table("episodes")
    assert pd.api.types.is_datetime64_any_dtype(eps["DECOM"])
    assert eps.loc[eps["CHILD"] == "C003", "DECOM"].iloc[0] == pd.Timestamp(2020, 1, 10)
    assert eps["URN"].dtype == "str"
    assert ds.years() == [2022]
    homes = ds.table("homes")
    assert list(homes.columns[:9]) == [
        "urn", "provision_type", "local_authority", "sector", "places",
        "registration_status", "grade", "latest_inspection_date", "owner",
    ]  # fmt: skip
    assert homes.set_index("urn").loc["1000003", "grade"] == ""
    assert homes.set_index("urn")["in_london"].to_dict() == {
        "1000001": True, "1000002": False, "1000003": False,
    }  # fmt: skip
    needs = ds.table("needs")
    assert needs["risk_missing"].tolist() == [True, False]
    assert needs["ehcp"].dtype == "boolean"
    assert ds.has("boroughs") and len(ds.table("boroughs")) == 33
    assert ds.warnings == []


def test_derived_placement_fields(tmp_path: Path, frames) -> None:
    eps = load_dataset(write_frames(frames, tmp_path)).table("episodes").set_index("CHILD")
    # C001 (Tower Hamlets) is in home 1000001, in Hackney: outside the placing LA, inside London.
    first = eps[eps["PLACE"] == "K2"]
    assert first.loc["C001", "PL_LA"] == "E09000012"
    assert first.loc["C001", "PL_LOCATION"] == "OUT"
    assert first.loc["C002", "PL_LA"] == "E06000035"  # Medway, via URN
    # C004 has no URN: PL_LA from the PL_POST sector (E8 2 is in Hackney), so IN Hackney.
    assert eps.loc["C004", "PL_LA"] == "E09000012"
    assert eps.loc["C004", "PL_LOCATION"] == "IN"
    # Birmingham B1 1 is about 100 miles (straight line) from Islington N1 9.
    assert 90 < eps.loc["C003", "PL_DISTANCE"] < 110
    assert eps.loc["C004", "PL_DISTANCE"] < 2


def test_supplied_derived_fields_are_kept(tmp_path: Path, frames) -> None:
    frames["episodes"]["PL_LA"] = "E09000001"
    frames["episodes"]["PL_LOCATION"] = "OUT"
    frames["episodes"]["PL_DISTANCE"] = "12.5"
    eps = load_dataset(write_frames(frames, tmp_path)).table("episodes")
    assert set(eps["PL_LA"]) == {"E09000001"}
    assert set(eps["PL_DISTANCE"]) == {12.5}


def test_missing_required_table(tmp_path: Path, frames) -> None:
    del frames["homes"]
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="homes", rule="required table missing")


def test_missing_optional_table_is_fine(tmp_path: Path, frames) -> None:
    del frames["referrals"]
    ds = load_dataset(write_frames(frames, tmp_path))
    assert not ds.has("referrals")


def test_missing_column(tmp_path: Path, frames) -> None:
    frames["episodes"] = frames["episodes"].drop(columns=["PLACE_PROVIDER"])
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", column="PLACE_PROVIDER", rule="required column missing")


def test_unknown_code(tmp_path: Path, frames) -> None:
    frames["episodes"].loc[1, "PLACE"] = "Q9"
    problems = _problems(write_frames(frames, tmp_path))
    # row 3 in the file: header is row 1, frame row 0 is row 2.
    assert _has(problems, table="episodes", column="PLACE", row=3, rule="not an allowed value")


def test_code_valid_only_from_a_later_year(tmp_path: Path, frames) -> None:
    frames["episodes"].loc[3, "PLACE"] = "K3"  # K3 exists from the 2025 return
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", column="PLACE", row=5, rule="YEAR 2022")


def test_duplicate_key(tmp_path: Path, frames) -> None:
    eps = frames["episodes"]
    frames["episodes"] = pd.concat([eps, eps.iloc[[0]]], ignore_index=True)
    frames["homes"] = pd.concat([frames["homes"], frames["homes"].iloc[[2]]], ignore_index=True)
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", rule="duplicate key", row=7)
    assert _has(problems, table="episodes", rule="duplicate key", row=2)
    assert _has(problems, table="homes", rule="duplicate key", row=5)


def test_unparseable_date(tmp_path: Path, frames) -> None:
    frames["episodes"].loc[0, "DECOM"] = "31/02/2021"
    frames["referrals"].loc[2, "referral_date"] = "next Tuesday"
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", column="DECOM", row=2, rule="not a date")
    assert _has(problems, table="referrals", column="referral_date", row=4, rule="not a date")
    # the blank-DECOM check must not report the same cell twice
    assert sum(1 for p in problems if p.table == "episodes" and p.row == 2) == 1


def test_negative_cost_and_inconsistent_total(tmp_path: Path, frames) -> None:
    frames["costs"].loc[0, "education_weekly_cost"] = "-100"
    frames["costs"].loc[1, "total_weekly_cost"] = "9999"
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="costs", column="education_weekly_cost", row=2, rule="negative")
    assert _has(problems, table="costs", column="total_weekly_cost", row=3, rule="sum of the cost")


def test_unknown_la_name(tmp_path: Path, frames) -> None:
    frames["episodes"].loc[2, "LA"] = "Gotham"
    frames["homes"].loc[1, "Local authority"] = "Atlantis"
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", column="LA", row=4, rule="33 London")
    assert _has(problems, table="homes", column="Local authority", row=3, rule="English local")


def test_usual_la_spellings_are_canonicalised(tmp_path: Path, frames) -> None:
    frames["header"].loc[0, "LA"] = "London Borough of Tower Hamlets"
    frames["episodes"]["LA"] = frames["episodes"]["LA"].str.upper()
    ds = load_dataset(write_frames(frames, tmp_path))
    assert ds.table("header").loc[0, "LA"] == "Tower Hamlets"
    assert "Tower Hamlets" in set(ds.table("episodes")["LA"])


def test_urn_absent_from_homes(tmp_path: Path, frames) -> None:
    """Only children's-home (K2) placements need their home in homes, and an unknown one is a
    warning (a home since closed): the placement's LA then comes from its postcode sector."""
    frames["episodes"].loc[0, "URN"] = "9999999"  # K2, PL_POST E2 8 (Hackney)
    frames["episodes"].loc[3, "URN"] = "SC123456"  # U1: a fostering agency's URN, fine
    frames["episodes"].loc[4, "URN"] = "XXXXXXX"  # no URN: fine
    ds = load_dataset(write_frames(frames, tmp_path))
    urn = [p for p in ds.warnings if p.column == "URN"]
    assert [(p.row, p.severity) for p in urn] == [(2, "warning")]
    assert "children's home URN not in homes" in urn[0].rule
    eps = ds.table("episodes").set_index("URN")
    assert eps.loc["9999999", "PL_LA"] == "E09000012"  # Hackney, from the sector


def test_empty_file(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "header.csv").write_bytes(b"")
    problems = _problems(tmp_path)
    assert _has(problems, table="header", rule="empty")


def test_undecodable_file(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "fieldwork.csv").write_bytes(b"evidence_id,summary\n\x81\x8d\x8f,\x90\x9d\n")
    problems = _problems(tmp_path)
    assert _has(problems, table="fieldwork", rule="neither UTF-8 nor Windows-1252")


def test_windows_1252_file(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    frames["fieldwork"].loc[0, "summary"] = "Cost of £4,000 a week – ‘too high’"
    (tmp_path / "fieldwork.csv").unlink()
    frames["fieldwork"].to_csv(tmp_path / "Fieldwork.CSV", index=False, encoding="cp1252")
    ds = load_dataset(tmp_path)
    assert ds.table("fieldwork").loc[0, "summary"] == "Cost of £4,000 a week – ‘too high’"


def test_utf8_bom_file(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    frames["header"].to_csv(tmp_path / "header.csv", index=False, encoding="utf-8-sig")
    assert list(load_dataset(tmp_path).table("header").columns)[0] == "CHILD"


def test_xlsx_with_title_rows_above_the_header(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "homes.csv").unlink()
    homes = frames["homes"]
    with pd.ExcelWriter(tmp_path / "Homes.xlsx") as writer:
        pd.DataFrame([["Children's homes register"], ["As at 31 March 2022"], [None]]).to_excel(
            writer, index=False, header=False
        )
        homes.to_excel(writer, index=False, startrow=3)
    ds = load_dataset(tmp_path)
    assert ds.table("homes")["urn"].tolist() == ["1000001", "1000002", "1000003"]
    assert ds.files["homes"].name == "Homes.xlsx"
    # a problem in the sheet is reported at its Excel row (header on row 4, data from row 5)
    # ... and named by the heading the analyst sees in the file, not the contract's column name
    homes.loc[1, "Places"] = "lots"
    with pd.ExcelWriter(tmp_path / "Homes.xlsx") as writer:
        pd.DataFrame([["Title"], ["Subtitle"], [None]]).to_excel(writer, index=False, header=False)
        homes.to_excel(writer, index=False, startrow=3)
    assert _has(_problems(tmp_path), table="homes", column="Places", row=6, rule="not a number")


def test_unreadable_xlsx(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "costs.csv").unlink()
    (tmp_path / "costs.xlsx").write_bytes(b"this is not a zip file")
    assert _has(_problems(tmp_path), table="costs", rule="cannot read file")


def test_snapshot_year_without_open_episodes(tmp_path: Path, frames) -> None:
    eps = frames["episodes"]
    eps["DEC"] = "01/01/2022"
    eps["REC"] = "E11"
    eps["DECOM"] = "01/01/2021"
    eps["CHILD"] = [f"C{i}" for i in range(len(eps))]
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="episodes", rule="no episode open on 31/03/2022")


def test_requested_year_absent(tmp_path: Path, frames) -> None:
    problems = _problems(write_frames(frames, tmp_path), year=2019)
    assert _has(problems, table="episodes", column="YEAR", rule="no return for YEAR 2019")


def test_column_matching_ignores_case_and_spaces(tmp_path: Path, frames) -> None:
    frames["episodes"].columns = [f"  {c.lower()} " for c in frames["episodes"].columns]
    frames["homes"].columns = [c.upper() for c in frames["homes"].columns]
    ds = load_dataset(write_frames(frames, tmp_path))
    assert "PLACE_PROVIDER" in ds.table("episodes").columns
    assert "grade" in ds.table("homes").columns


def test_unknown_columns_are_kept_and_warned(tmp_path: Path, frames) -> None:
    frames["episodes"]["UASC_FLAG"] = "N"
    ds = load_dataset(write_frames(frames, tmp_path))
    assert "UASC_FLAG" in ds.table("episodes").columns
    assert [(p.table, p.column, p.severity) for p in ds.warnings] == [
        ("episodes", "UASC_FLAG", "warning")
    ]


def test_ignored_header_columns_are_dropped(tmp_path: Path, frames) -> None:
    frames["header"]["UPN"] = "A123"
    ds = load_dataset(write_frames(frames, tmp_path))
    assert "UPN" not in ds.table("header").columns and ds.warnings == []


def test_enums_and_flags(tmp_path: Path, frames) -> None:
    frames["referrals"].loc[0, "response"] = "Maybe"
    frames["needs"].loc[1, "ehcp"] = "perhaps"
    frames["referrals"].loc[1, "profile_completeness"] = "1.5"
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="referrals", column="response", row=2, rule="not an allowed")
    assert _has(problems, table="needs", column="ehcp", row=3, rule="Y or N")
    assert _has(problems, table="referrals", column="profile_completeness", rule="between 0 and 1")


def test_every_problem_is_collected(tmp_path: Path, frames) -> None:
    frames["episodes"].loc[0, "PLACE"] = "XX"
    frames["header"].loc[0, "DOB"] = "yesterday"
    frames["costs"].loc[0, "core_weekly_cost"] = "-1"
    problems = _problems(write_frames(frames, tmp_path))
    assert {p.table for p in problems if p.severity == "error"} >= {"episodes", "header", "costs"}


def test_dataset_yaml_metadata(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "dataset.yaml").write_text("name: Tiny\nsynthetic: true\ndescription: test\n")
    ds = load_dataset(tmp_path)
    assert ds.synthetic and ds.name == "Tiny"


def test_boroughs_override(tmp_path: Path, frames) -> None:
    from analysis.boroughs import london_boroughs

    ref = london_boroughs().drop(columns=["slug"])
    frames["boroughs"] = ref.assign(subregion="Somewhere")
    ds = load_dataset(write_frames(frames, tmp_path))
    assert set(ds.table("boroughs")["subregion"]) == {"Somewhere"}


def test_dataset_from_frames_matches_files(tmp_path: Path, frames) -> None:
    in_memory = dataset_from_frames(minimal_frames(), metadata={"name": "memory"})
    from_files = load_dataset(write_frames(frames, tmp_path))
    for name in from_files.tables:
        pd.testing.assert_frame_equal(in_memory.table(name), from_files.table(name))
    assert in_memory.name == "memory"


def test_dataset_from_frames_typed_input() -> None:
    frames = minimal_frames()
    eps = frames["episodes"]
    eps["YEAR"] = 2022
    eps["DECOM"] = parse_dates(eps["DECOM"])
    frames["homes"]["URN"] = frames["homes"]["URN"].astype(int)
    ds = dataset_from_frames(frames)
    assert ds.table("homes")["urn"].tolist() == ["1000001", "1000002", "1000003"]
    with pytest.raises(DataValidationError):
        bad = minimal_frames()
        bad["episodes"].loc[0, "LA"] = "Nowhere"
        dataset_from_frames(bad)


def test_cli_exit_codes(tmp_path: Path, frames) -> None:
    runner = CliRunner()
    good = write_frames(frames, tmp_path / "good")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "meets the data contract" in " ".join(result.output.split())  # rich wraps lines
    frames["episodes"].loc[0, "PLACE"] = "Q9"
    bad = write_frames(frames, tmp_path / "bad")
    csv_path = tmp_path / "problems.csv"
    result = runner.invoke(app, ["validate", str(bad), "--problems-csv", str(csv_path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    written = pd.read_csv(csv_path)
    assert list(written.columns) == ["table", "row", "column", "value", "rule", "severity"]
    assert ((written["column"] == "PLACE") & (written["row"] == 2)).any()
    result = runner.invoke(
        app, ["validate", str(tmp_path / "nowhere"), "--problems-csv", str(csv_path)]
    )
    assert result.exit_code == 1 and "not found" in result.output


def test_build_on_bad_data_lists_problems_and_leaves_outputs(tmp_path, frames, monkeypatch):
    monkeypatch.chdir(tmp_path)
    edition = tmp_path / "out" / "2022" / "london"
    edition.mkdir(parents=True)
    (edition / "report.html").write_text("earlier report", encoding="utf-8")
    frames["episodes"].loc[0, "PLACE"] = "Q9"
    bad = write_frames(frames, tmp_path / "bad")
    result = CliRunner().invoke(
        app, ["build", "--data", str(bad), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "nothing was built" in result.output
    written = pd.read_csv(tmp_path / "validation_problems.csv")
    assert ((written["column"] == "PLACE") & (written["row"] == 2)).any()
    assert sorted(p.name for p in edition.iterdir()) == ["report.html"]
    assert (edition / "report.html").read_text(encoding="utf-8") == "earlier report"


@pytest.mark.skipif(
    not (EXAMPLE_DATA / "episodes.csv").exists(), reason="data/example not generated yet"
)
def test_example_dataset_validates() -> None:
    result = CliRunner().invoke(
        app, ["validate", str(EXAMPLE_DATA), "--problems-csv", "/tmp/example_problems.csv"]
    )
    assert result.exit_code == 0, result.output


def test_xlsx_with_real_date_and_number_cells(tmp_path: Path, frames) -> None:
    write_frames(frames, tmp_path)
    (tmp_path / "episodes.csv").unlink()
    eps = frames["episodes"].copy()
    eps["DECOM"] = parse_dates(eps["DECOM"])  # real Excel date cells
    eps["YEAR"] = eps["YEAR"].astype(int)
    eps["URN"] = pd.to_numeric(eps["URN"]).astype("Int64")
    eps.to_excel(tmp_path / "episodes.xlsx", index=False)
    loaded = load_dataset(tmp_path).table("episodes")
    assert loaded.loc[loaded["CHILD"] == "C003", "DECOM"].iloc[0] == pd.Timestamp(2020, 1, 10)
    assert set(loaded["URN"].dropna()) == {"1000001", "1000002", "1000003"}


def test_a_whole_number_beyond_64_bits_is_a_problem_not_a_crash(tmp_path: Path, frames) -> None:
    """A spreadsheet can write an id or count as 9.25e+18: whole, but beyond a 64-bit integer
    (found by tests/test_robust_input.py's corrupted files)."""
    frames["fieldwork"].loc[0, "hypothesis"] = "9.25224879415026e+18"
    problems = _problems(write_frames(frames, tmp_path))
    assert _has(problems, table="fieldwork", column="hypothesis", row=2, rule="number too large")


def test_fieldwork_may_name_any_positive_hypothesis_id(tmp_path: Path, frames) -> None:
    """The contract does not know the registry: a row for hypothesis 7 validates (the report
    counts it when H7 is registered), a hypothesis 0 does not."""
    frames["fieldwork"].loc[0, "hypothesis"] = "7"
    ds = load_dataset(write_frames(frames, tmp_path / "seven"))
    assert 7 in set(ds.table("fieldwork")["hypothesis"])
    frames["fieldwork"].loc[0, "hypothesis"] = "0"
    problems = _problems(write_frames(frames, tmp_path / "zero"))
    assert _has(problems, table="fieldwork", column="hypothesis", row=2, rule="must be 1 or more")


def test_a_blank_cell_is_shown_blank_not_as_nan(tmp_path: Path, frames) -> None:
    """A required value left blank is reported with an empty value (the user's cell), not
    pandas' ``nan``, in the problems table and its CSV."""
    from analysis.contract.validate import problems_frame

    frames["episodes"].loc[1, "CHILD"] = None
    problems = _problems(write_frames(frames, tmp_path))
    blank = [p for p in problems if p.table == "episodes" and p.column == "CHILD" and p.row == 3]
    assert blank and all(p.value == "" for p in blank), blank
    assert not any(p.value.lower() in ("nan", "<na>", "nat", "none") for p in problems)
    assert problems_frame(blank)["value"].tolist() == [""] * len(blank)


def test_problems_are_listed_in_reading_order(tmp_path: Path, frames) -> None:
    """Problems found by different checks are listed table by table, rows top to bottom."""
    frames["episodes"].loc[0, "CHILD"] = None  # row 2
    frames["episodes"].loc[1, "DECOM"] = "31/02/2021"  # row 3, found by the date parser
    frames["episodes"].loc[2, "LS"] = "ZZ"  # row 4
    problems = [p for p in _problems(write_frames(frames, tmp_path)) if p.table == "episodes"]
    rows = [p.row for p in problems if p.row is not None]
    assert rows[:3] == [2, 3, 4] and rows == sorted(rows)
