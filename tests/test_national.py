"""The national-context chapter: figures from the real public data, and its absence handled."""

from __future__ import annotations

import json

import numpy as np
import papermill as pm
import pytest

from analysis.paths import NOTEBOOKS, ROOT, SHARED_PUBLIC_DATA
from analysis.public_data.national import (
    national_context,
    published_context,
    published_table,
    write_national_outputs,
)

needs_public = pytest.mark.skipif(
    not SHARED_PUBLIC_DATA.exists(), reason=f"real public data not found at {SHARED_PUBLIC_DATA}"
)


def test_without_public_data_writes_unavailable_with_reason(tmp_path):
    result = write_national_outputs("", tmp_path)
    written = json.loads((tmp_path / "results" / "national.json").read_text())
    assert written == result and written["available"] is False and written["reason"]
    assert not list((tmp_path / "figures").glob("*.png"))


def test_empty_folder_lists_the_missing_files(tmp_path):
    result = write_national_outputs(tmp_path / "empty", tmp_path / "out")
    assert result["available"] is False
    assert len(result["problems"]) == 5


@needs_public
def test_headline_figures_from_real_data():
    ctx = national_context(SHARED_PUBLIC_DATA, borough="Camden")
    assert ctx["london_homes"] == 161 and ctx["england_homes"] == 2821
    assert ctx["problems"] == []
    region = ctx["tables"]["homes_by_region"].set_index("area")
    assert region.drop(index="England")["homes"].sum() == 2821
    borough = ctx["tables"]["homes_by_borough"]
    assert len(borough) == 33 and borough["homes"].sum() == 161
    mix = ctx["tables"]["grade_mix"]
    assert mix[mix["area"] == "London"]["homes"].sum() == 161
    loc = ctx["tables"]["placement_location"]
    assert set(loc["year"]) == {2020, 2021, 2022, 2023, 2024}
    assert {"London", "England", "Camden"} <= set(loc["area"])
    # shares are fractions 0-1 in the code; the published table writes them in per cent
    assert loc["share_outside_la"].dropna().between(0, 1).all()
    assert ctx["london_share_of_england_homes"] == pytest.approx(161 / 2821)
    assert 0 <= ctx["london_good_or_outstanding"] <= 1
    published = published_table(loc)
    assert "share_outside_la" not in published and "outside_la_pct" in published
    np.testing.assert_allclose(published["outside_la_pct"], 100 * loc["share_outside_la"])
    record = published_context(ctx)
    assert record["london_share_of_england_homes_pct"] == pytest.approx(100 * 161 / 2821)
    assert "london_share_of_england_homes" not in record
    gain = ctx["tables"]["net_gain"].set_index(["area", "year"])
    row = gain.loc[("Camden", 2024)]
    assert row["placed_in_by_other_las"] - row["placed_outside_by_this_la"] == row["net_gain"]


@needs_public
def test_suppressed_dfe_component_gives_missing_share_not_a_number():
    loc = national_context(SHARED_PUBLIC_DATA)["tables"]["placement_location"]
    # Barking and Dagenham 2020: a "more than 20 miles" count is `c` in the DfE file
    row = loc[(loc["area"] == "Barking and Dagenham") & (loc["year"] == 2020)].iloc[0]
    assert row["share_over_20_miles"] != row["share_over_20_miles"]  # NaN


@needs_public
def test_notebook_borough_edition_writes_results_figures_and_tables(tmp_path):
    out = tmp_path / "camden"
    pm.execute_notebook(
        str(NOTEBOOKS / "national.ipynb"),
        str(tmp_path / "national.ipynb"),
        parameters={
            "data_dir": "",
            "year": 2024,
            "edition": "camden",
            "output_dir": str(out),
            "seed": 0,
            "config_dir": str(ROOT / "config"),
            "public_data_dir": str(SHARED_PUBLIC_DATA),
        },
        cwd=str(ROOT),
        progress_bar=False,
    )
    result = json.loads((out / "results" / "national.json").read_text())
    assert result["available"] is True and result["borough"] == "Camden"
    assert result["borough_homes"] == 4
    assert "161 of England's 2,821" in result["summary"] and "Camden had 4" in result["summary"]
    for name in ("national_homes_by_region", "national_grade_mix", "national_net_gain"):
        assert (out / "figures" / f"{name}.png").exists()
        assert json.loads((out / "figures" / f"{name}.json").read_text())["alt"]
        assert (out / "tables" / f"{name}.csv").exists()
