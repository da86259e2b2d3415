"""Issue 10: SEX and ETHNIC codes are checked against the DfE's SSDA903 lists for the return
year; an unknown code is a warning (the row is kept), named by the file's own heading."""

from __future__ import annotations

from pathlib import Path

from analysis.contract import validate_dir
from analysis.contract.rules import header_code_problems
from analysis.contract.sample import minimal_frames, write_frames
from analysis.paths import EXAMPLE_DATA


def test_unknown_sex_and_ethnic_codes_are_warnings(tmp_path: Path) -> None:
    frames = minimal_frames()
    frames["header"].loc[0, "SEX"] = "7"
    frames["header"].loc[1, "ETHNIC"] = "XXXX"
    frames["header"].loc[2, "ETHNIC"] = "XXXX"
    write_frames(frames, tmp_path)
    dataset, problems = validate_dir(tmp_path)
    assert dataset is not None  # warnings only: the dataset still loads
    found = {(p.column, p.value, p.severity) for p in problems if p.table == "header"}
    assert ("SEX", "7", "warning") in found
    assert ("ETHNIC", "XXXX", "warning") in found
    ethnic = [p for p in problems if p.table == "header" and p.column == "ETHNIC"]
    assert len(ethnic) == 1 and ethnic[0].rule.startswith("2 row(s)")


def test_listed_codes_and_the_example_pass() -> None:
    import pandas as pd

    header = pd.DataFrame(
        {"SEX": ["1", "2", 1.0], "ETHNIC": ["WBRI", "NOBT", "REFU"], "YEAR": [2021, 2024, 2026]}
    )
    assert header_code_problems(header) == []
    _, problems = validate_dir(EXAMPLE_DATA)
    assert not [p for p in problems if p.table == "header" and p.column in ("SEX", "ETHNIC")]
