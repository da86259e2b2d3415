"""Report assembly: recommendations follow verdicts, markdown writers, chapters, workbook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.paths import CONFIG, REPORT_SOURCES
from analysis.report.assemble import build_context, write_sources
from analysis.report.markdown import figure, pct, pipe_table
from analysis.report.recommendations import load_bank, select
from analysis.report.workbook import write_workbook
from analysis.verdicts import HypothesisResult, Indicator


def test_recommendations_follow_verdicts():
    bank = load_bank(CONFIG)
    assert len(bank) >= 10
    ids_2022 = {
        r["id"]
        for r in select(
            bank,
            {
                1: "Supported",
                2: "Not supported",
                3: "Supported",
                4: "Not supported",
                5: "Supported",
                6: "Supported",
            },
        )
    }
    assert {"strengths-referrals", "risk-support", "staffing"} <= ids_2022
    assert "quality-assurance" not in ids_2022
    flipped = {r["id"] for r in select(bank, {2: "Supported", 5: "Not supported"})}
    assert "quality-assurance" in flipped and "risk-support" not in flipped


def test_every_recommendation_names_known_hypotheses():
    for rec in load_bank(CONFIG):
        assert rec.get("always") or rec.get("when"), rec["id"]
        for key in rec.get("when", {}):
            assert int(str(key).lstrip("H")) in range(1, 7)


def test_pipe_table_and_figure_markdown():
    text = pipe_table(["Name", "n"], [["a|b", 1200], ["c", None]], "Caption")
    assert "| a\\|b | 1,200 |" in text and "|:---|---:|" in text and ": Caption" in text
    assert pct(0.675) == "68%" and pct(None) == "–"
    fig = figure("figures/x.png", "Cap [1]", 'say "hi"', "fig-x")
    assert fig.startswith("![Cap (1)](figures/x.png){#fig-x fig-alt=\"say 'hi'\"")
    assert "figure-data" not in fig
    with_data = figure("figures/x.png", "Cap", "alt", "fig-x", data="tables/x.csv")
    assert "::: {.figure-data}\nData behind @fig-x: [tables/x.csv](tables/x.csv) (CSV)\n:::" in (
        with_data
    )


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    (tmp_path / "results").mkdir()
    (tmp_path / "figures").mkdir()
    (tmp_path / "tables").mkdir()
    res = HypothesisResult(
        5,
        "Supported",
        "rule",
        [Indicator("odds ratio", 0.7, 0.6, 0.8, 0.001)],
        summary="High-risk referrals are declined more.",
        caveats=["c1"],
    )
    (tmp_path / "results" / "h5.json").write_text(json.dumps(res.to_dict()))
    return tmp_path


def test_chapters_missing_results_say_not_yet_available(edition, tmp_path):
    ctx = build_context(
        edition,
        edition="camden",
        la_name="Camden",
        year=2022,
        previous_year=None,
        metadata={"synthetic": True, "name": "x"},
        data_hashes={"episodes.csv": "ab" * 32},
        parameters={"seed": 1},
        config_dir=CONFIG,
        settings={"top_recommendations": 3, "synthetic_banner": "Synthetic"},
    )
    files = write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src")
    names = [f.stem for f in files]
    assert (
        names[0] == "index" and "h1" in names and "changes" not in names and "national" not in names
    )
    h1 = (tmp_path / "src" / "h1.qmd").read_text()
    assert "Not yet available" in h1
    h5 = (tmp_path / "src" / "h5.qmd").read_text()
    assert "**Verdict: Supported.**" in h5 and "odds ratio" in h5
    summary = (tmp_path / "src" / "index.qmd").read_text()
    assert "Synthetic" in summary and "Raise providers' and boroughs' confidence" in summary


def test_workbook_is_byte_stable(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    pd.DataFrame({"la": ["A", "B"], "n": ["c", "12"]}).to_csv(tables / "t.csv", index=False)
    a = write_workbook(tables, tmp_path / "a.xlsx").read_bytes()
    b = write_workbook(tables, tmp_path / "b.xlsx").read_bytes()
    assert a == b


def test_every_figure_links_the_csv_behind_it(edition, tmp_path):
    for name in ("h5_demo", "h5_nodata"):
        (edition / "figures" / f"{name}.png").write_bytes(b"png")
        (edition / "figures" / f"{name}.json").write_text(
            json.dumps({"caption": "Cap", "alt": f"Description of {name}"})
        )
    (edition / "tables" / "h5_demo.csv").write_text("a,n\nx,10\n")
    data = json.loads((edition / "results" / "h5.json").read_text())
    data["figures"] = ["h5_demo", "h5_nodata"]
    (edition / "results" / "h5.json").write_text(json.dumps(data))
    ctx = build_context(
        edition,
        edition="london",
        la_name=None,
        year=2022,
        previous_year=None,
        metadata={},
        data_hashes={},
        parameters={},
        config_dir=CONFIG,
        settings={"top_recommendations": 3},
    )
    assert ctx.figures["h5_demo"]["csv"] == "tables/h5_demo.csv"
    assert ctx.figures["h5_nodata"]["csv"] == ""
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src")
    h5 = (tmp_path / "src" / "h5.qmd").read_text()
    assert 'fig-alt="Description of h5_demo"' in h5
    assert "Data behind @fig-h5-demo: [tables/h5_demo.csv](tables/h5_demo.csv)" in h5
    assert "Data behind @fig-h5-nodata" not in h5
