"""Report assembly: recommendations follow verdicts, markdown writers, chapters, workbook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.document.assemble import build_context, write_sources
from analysis.document.markdown import NotAFraction, figure, number_word, pct, pipe_table
from analysis.document.recommendations import load_bank, select
from analysis.document.workbook import write_workbook
from analysis.hypotheses import registry
from analysis.paths import CONFIG, REPORT_SOURCES, ROOT
from analysis.verdicts import HypothesisResult, Indicator


def _verdict_results(verdicts: dict[int, str]) -> dict:
    """Results files with these verdicts and the figures the bank cites (as in the example)."""
    ind = {
        1: [{"id": "h1_feasible_share", "name": "Share", "estimate": 0.4}],
        2: [{"id": "h2_good_share_london_homes", "name": "Share", "estimate": 0.8}],
        3: [
            {"id": "h3_acceptance_strengths_based", "name": "Rate", "estimate": 0.29},
            {"id": "h3_acceptance_not_strengths_based", "name": "Rate", "estimate": 0.23},
        ],
        5: [
            {"id": "h5_acceptance_gap", "name": "Gap", "estimate": -0.1},
            {"id": "h5_risk_decline_share", "name": "Share", "estimate": 0.18},
        ],
        6: [{"id": "h6_unavailable_share_london", "name": "Share", "estimate": 0.11}],
    }
    out = {f"h{n}": {"verdict": v, "indicators": ind.get(n, [])} for n, v in verdicts.items()}
    out["headlines"] = {"share_outside_london": 67.3, "placements_outside_london": 532}
    return out


def test_recommendations_follow_verdicts():
    bank = load_bank(CONFIG)
    assert len(bank) >= 10
    verdicts_2022 = {
        1: "Supported",
        2: "Not supported",
        3: "Supported",
        4: "Not supported",
        5: "Supported",
        6: "Supported",
    }
    printed, left_out = select(bank, _verdict_results(verdicts_2022))
    ids_2022 = {r["id"] for r in printed}
    assert {"strengths-referrals", "risk-support", "staffing"} <= ids_2022
    assert "quality-assurance" not in ids_2022
    assert {"quality-assurance", "uniform-costs"} <= {r["id"] for r in left_out}
    flipped, _ = select(bank, _verdict_results({2: "Supported", 5: "Not supported"}))
    flipped_ids = {r["id"] for r in flipped}
    assert "quality-assurance" in flipped_ids and "risk-support" not in flipped_ids


def test_every_recommendation_names_known_hypotheses_an_owner_and_a_measure():
    for rec in load_bank(CONFIG):
        assert rec.get("triggers") and rec.get("cites"), rec["id"]
        assert rec.get("owner") and (rec.get("measure") or {}).get("figure"), rec["id"]
        assert (rec["measure"].get("goal")) in ("up", "down"), rec["id"]
        for t in rec["triggers"]:
            if "hypothesis" in t:
                assert int(str(t["hypothesis"]).lstrip("H")) in registry.ids(CONFIG)
                assert t["verdict"] == "Supported", rec["id"]  # the common rule's word


def test_pct_takes_a_fraction_only():
    """Shares are fractions 0-1 until written: pct() formats them and refuses a value that is
    already in per cent instead of guessing (1.5 could be 1.5% or 150%)."""
    assert pct(0.015, 1) == "1.5%" and pct(1.0) == "100%" and pct(0) == "0%"
    assert pct(-0.25) == "-25%" and pct(float("nan")) == "–" and pct("c") == "c"
    for per_cent in (1.5, 67.3, 100.0, -12.0):
        with pytest.raises(NotAFraction):
            pct(per_cent)


def test_pct_filter_refuses_a_per_cent_value_in_a_template():
    """The report templates' ``|pct`` filter is the same function: a 0-100 value reaching it
    from a results file fails the build instead of printing 6730%."""
    from analysis.document.assemble import _environment
    from analysis.paths import REPORT_SOURCES

    env = _environment(REPORT_SOURCES / "templates")
    assert env.from_string("{{ x|pct }}").render(x=0.673) == "67%"
    with pytest.raises(NotAFraction):
        env.from_string("{{ x|pct }}").render(x=67.3)


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


def _context(edition_dir: Path, la_name: str | None = None, **given):  # noqa: ANN202
    """``build_context`` for the 2022 edition of ``la_name`` (London when None) from the files
    in ``edition_dir``: no metadata, inputs or parameters, three recommendations in the summary,
    unless ``given``."""
    slug = "london" if la_name is None else la_name.lower().replace(" ", "-")
    kwargs = {
        "year": 2022,
        "previous_year": None,
        "metadata": {},
        "data_hashes": {},
        "parameters": {},
        "config_dir": CONFIG,
        "settings": {"top_recommendations": 3},
    }
    return build_context(edition_dir, edition=slug, la_name=la_name, **{**kwargs, **given})


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
    ctx = _context(
        edition,
        "Camden",
        metadata={"synthetic": True, "name": "x"},
        data_hashes={"episodes.csv": "ab" * 32},
        parameters={"seed": 1},
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
    assert "**Verdict: Supported.**" in h5 and "@sec-annex-h5" in h5
    annex = (tmp_path / "src" / "annex.qmd").read_text()
    assert "{#sec-annex-h5}" in annex and "| odds ratio |" in annex  # the indicator table
    summary = (tmp_path / "src" / "index.qmd").read_text()
    assert "Synthetic" in summary
    # H5 is Supported but the figures its recommendations cite are not in this result: they
    # are left out, with the reason, never printed without their evidence.
    recs = (tmp_path / "src" / "recommendations.qmd").read_text()
    assert "Raise providers' and boroughs' confidence" not in summary
    assert "Raise providers' and boroughs' confidence in managing risk (none of the figures" in recs


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
    ctx = _context(edition)
    assert ctx.figures["h5_demo"]["csv"] == "tables/h5_demo.csv"
    assert ctx.figures["h5_nodata"]["csv"] == ""
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src")
    h5 = (tmp_path / "src" / "h5.qmd").read_text()
    assert 'fig-alt="Description of h5_demo"' in h5
    assert "Data behind @fig-h5-demo: [tables/h5_demo.csv](tables/h5_demo.csv)" in h5
    assert "Data behind @fig-h5-nodata" not in h5


def test_pipe_table_widths_alignment_and_digits():
    from analysis.document.markdown import pipe_table

    text = pipe_table(
        ["Name", "Share", "Note"], [["a", "67%", "–"], ["b", "c", "x"]], widths=[3, 1, 1]
    )
    sep = text.splitlines()[1]
    dashes = [len(c.strip(":")) for c in sep.strip("|").split("|")]
    assert dashes == [60, 20, 20] and len(sep) > 72  # pandoc reads relative widths
    assert sep.split("|")[2].endswith(":") and sep.split("|")[3].startswith(":")
    right = pipe_table(["a", "b"], [["x", "–"]], right=(1,))
    assert right.splitlines()[1] == "|:---|---:|"
    assert "| 8.3 |" in pipe_table(["v"], [[8.333]], digits=1)


def test_indicator_rows_p_values_and_evidence():
    from analysis.document.markdown import evidence, indicator_row, p_value

    assert [p_value(v) for v in (0.0, 0.004, 0.0123, 0.5, None)] == [
        "<0.001",
        "0.004",
        "0.01",
        "0.50",
        "–",
    ]
    row = indicator_row(
        {"name": "Share", "estimate": 0.673, "ci_low": 0.64, "ci_high": 0.705, "n": 790,
         "unit": "proportion", "supports": True}
    )  # fmt: skip
    assert row == ["Share", "67.3", "64.0 to 70.5", "–", 790, "%", "yes"]
    small = indicator_row(
        {"name": "Camden: share", "estimate": 1.0, "ci_low": 0.3, "ci_high": 1.0, "n": 2,
         "p_value": 0.5, "unit": "proportion"}
    )  # fmt: skip
    assert small[1:5] == ["c", "c", "c", "c"]
    bayes = indicator_row({"name": "x", "estimate": 1.2, "posterior_probability": 0.97})
    assert bayes[3] == "posterior 0.97" and bayes[6] == "–"
    assert evidence("Not supported: homes are no worse.", "Not supported") == "Homes are no worse."
    assert evidence("After allowing for needs.", "Supported") == "After allowing for needs."
    from analysis.document.markdown import plain

    assert plain("c") == "a withheld figure (c)" and plain(18) == "18"


def test_methods_chapter_prints_power_table_assumptions_and_inputs(edition, tmp_path):
    from analysis.document.assemble import read_document_table

    data = tmp_path / "data"
    data.mkdir()
    (data / "episodes.csv").write_text('a,b\n1,"two\nlines"\n3,4\n')
    power = tmp_path / "simulation_rivals.md"
    power.write_text(
        "| Arm | Datasets | H1 |\n|---|---|---|\n| H1 alone | 200 | 100% (98-100%) |\n\n"
        "Targets: 80%.\n"
    )
    assert read_document_table(power)["rows"] == [["H1 alone", "200", "100% (98-100%)"]]
    assert read_document_table(tmp_path / "missing.md") is None
    ctx = _context(
        edition,
        data_hashes={"episodes.csv": "ab" * 32},
        parameters={"data_dir": str(data)},
        settings={"top_recommendations": 3, "documents": {"rivals": str(power)}},
    )
    assert ctx.inputs == [{"name": "episodes.csv", "rows": 2, "sha256": "ab" * 32}]
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition)
    methods = (tmp_path / "src" / "methods.qmd").read_text()
    assert "| H1 alone | 200 | 100% (98-100%) |" in methods and "Targets: 80%." in methods
    # the first study ran on the earlier rules: named, not printed
    assert "data/validation/simulation.md" in methods and "Power (Supported)" not in methods
    # the assumptions log of the repository (docs/assumptions.md), every entry
    assert "Assumptions and caveats log" in methods and "| A14 |" in methods
    assert "`" + "ab" * 32 + "`" in methods and "| `episodes.csv` | 2 |" in methods
    # the rivals study ran every registered hypothesis's test
    tests = number_word(len(registry.ids(CONFIG)))
    assert f"ran every one of the {tests} tests on each" in methods


def test_borough_methods_chapter_names_the_log_and_keeps_its_own_caveats(edition, tmp_path):
    """A borough edition refers to the assumptions log (the same for every edition, printed in
    full by the London edition) instead of printing it; the caveats of its own analyses stay."""
    from analysis.document.assemble import DOCUMENTS, read_document_table

    entries = len(read_document_table(ROOT / DOCUMENTS["assumptions"])["rows"])
    ctx = _context(edition, "Camden")
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition)
    methods = (tmp_path / "src" / "methods.qmd").read_text()
    assert "| A14 |" not in methods and "Assumptions and caveats log" not in methods
    assert f"{entries} entries, the same for every edition" in methods
    assert "`london/report.html`" in methods and "`docs/assumptions.md`" in methods
    caveats = methods.split("{#sec-caveats}")[1].split("## Reproducibility")[0]
    assert "Caveats raised by the analyses of this edition:" in caveats and "- H5: c1" in caveats


def test_the_real_power_table_and_assumptions_log_are_found():
    from analysis.document.assemble import DOCUMENTS, document_paths, read_document_table

    docs = document_paths({})
    assert set(docs) == set(DOCUMENTS)
    rivals = read_document_table(docs["rivals"])
    assert rivals and rivals["headers"][:2] == ["Arm (what is planted)", "Datasets"]
    assert [f"H{n}" for n in registry.ids()] == rivals["headers"][2:]
    log = read_document_table(docs["assumptions"])
    assert log and log["rows"][0][0] == "A1"


def test_caveats_are_listed_once(edition):
    data = json.loads((edition / "results" / "h5.json").read_text())
    for n in registry.ids():
        data["hypothesis"], data["caveats"] = n, ["Synthetic example data.", f"only h{n}"]
        (edition / "results" / f"h{n}.json").write_text(json.dumps(data))
    ctx = _context(edition, settings={})
    assert ctx.caveats.count("Synthetic example data.") == 1
    assert "H3: only h3" in ctx.caveats


def test_tall_figures_are_narrowed_to_fit_a_page(tmp_path):
    import struct
    import zlib

    from analysis.document.assemble import _fit_width

    def png(path: Path, w: int, h: int) -> Path:
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
        chunk = b"IHDR" + ihdr
        path.write_bytes(
            b"\x89PNG\r\n\x1a\n"
            + struct.pack(">I", 13)
            + chunk
            + struct.pack(">I", zlib.crc32(chunk))
        )
        return path

    assert _fit_width(png(tmp_path / "wide.png", 1200, 600), "75%") == "75%"
    assert _fit_width(png(tmp_path / "tall.png", 1000, 4000), "75%") == "31%"
    assert _fit_width(tmp_path / "missing.png", "75%") == "75%"


def _borough_edition(root: Path) -> Path:
    """An edition of Camden with the scope tables the notebooks write for a borough."""
    for sub in ("results", "figures", "tables"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    tables = {
        "groups_assignments": "la_name,typology_group\nCamden,4\nSutton,4\nBrent,2\n",
        "patterns_by_borough": "la_name,placements,pct_in_own_borough\n"
        "Camden,18,0\nSutton,9,0.2\nBrent,30,0.4\n",
        "h1_outside_by_scope": "scope,children,share\nLondon boroughs,790,0.673\n"
        "Group 4: Scattergun,217,0.719\nCamden,18,0.889\n",
        "h4_cost_by_location": "scope,location,provider,median_weekly_cost\n"
        "London boroughs,In London,Private,5703\nGroup 4: Scattergun,In London,Private,5656\n"
        "Camden,In London,Private,c\n",
        "h6_places_unavailable": "area,unavailable_share,vacancy_rate\n"
        "London homes,0.108,0.16\nHomes in Group 4: Scattergun,0.115,0.186\n"
        "Homes in Camden,0.217,0.116\n",
    }
    for name, text in tables.items():
        (root / "tables" / f"{name}.csv").write_text(text)
    groups = {
        "typology": {
            "assignments": {"Camden": 4, "Sutton": 4, "Brent": 2},
            "labels": {"2": "In-house provision", "4": "Scattergun"},
            "sizes": {"2": 1, "4": 2},
            "profile": [],
        }
    }
    (root / "results" / "groups.json").write_text(json.dumps(groups))
    _scopes_record(root, "Camden", "Group 4: Scattergun", ["Camden", "Sutton"])
    for n in registry.ids():
        res = HypothesisResult(n, "Supported", "rule", summary="s")
        (root / "results" / f"h{n}.json").write_text(json.dumps(res.to_dict()))
    return root


def test_borough_edition_compares_the_borough_with_its_group_and_london(tmp_path):
    from analysis.document.borough import ComparisonScopes, comparisons

    edition = _borough_edition(tmp_path / "camden")
    h2 = {
        "indicators": [
            {"name": "renamed", "id": "h2_good_share_borough_in_london", "estimate": 1.0, "n": 2},
            {"name": "renamed", "id": "h2_good_share_borough_outside", "estimate": 0.875, "n": 16},
        ]
    }
    rows = comparisons(
        edition, ComparisonScopes.read(edition, "Camden"), {2: h2}, None, registry.registry(CONFIG)
    )
    assert [r[1] for r in rows["h2"]] == ["c", "88%"]  # a share of 2 children is withheld
    assert ["Share placed outside London", "89%", "72%", "67%"] in rows["patterns"]
    own = next(r for r in rows["patterns"] if r[0].startswith("Share placed in their own"))
    assert own[1:] == ["0%", "10%", "20%"]  # group: mean of Camden and Sutton; London: all
    assert ["Median weekly cost, private home in london", "c", "£5,656", "£5,703"] in rows["h4"]
    assert rows["h6"][0][1:] == ["22%", "12%", "11%"]
    assert "h5" not in rows  # no table: no rows, never an empty table

    ctx = _context(edition, "Camden")
    assert ctx.group == {
        "id": "4",
        "label": "Scattergun",
        "name": "Group 4: Scattergun",
        "members": ["Camden", "Sutton"],
    }
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition)
    caption = ": Camden against its behaviour group (Group 4: Scattergun) and London"
    for chapter in ("h1", "h4", "h6"):
        text = (tmp_path / "src" / f"{chapter}.qmd").read_text()
        assert caption in text, chapter
        assert "\n\n| Measure | Camden | Group 4: Scattergun | London |" in text, chapter
    h5 = (tmp_path / "src" / "h5.qmd").read_text()
    assert "give no separate figure for Camden" in h5


def _scopes_record(root: Path, la: str, group: str, members: list[str]) -> None:
    """``results/scopes.json`` as the groups notebook writes it for a borough edition (the
    comparison scopes of :func:`analysis.hypotheses.scopes.comparison_scopes`)."""
    from analysis.groups.publish import scopes_json
    from analysis.hypotheses.scopes import LONDON_SCOPE

    record = scopes_json(
        [(LONDON_SCOPE, ["Camden", "City of London", "Sutton"]), (group, members), (la, [la])]
    )
    (root / "results" / "scopes.json").write_text(json.dumps(record))


def test_a_borough_the_typology_does_not_place_is_compared_with_its_scopes_group(tmp_path):
    """City of London is not grouped: the scopes module compares it with Inner London, and the
    group column shows Inner London's figures under that name (it once showed dashes, the group
    row being found by the word "group")."""
    from analysis.document.borough import ComparisonScopes, comparisons

    root = tmp_path / "city"
    for sub in ("results", "figures", "tables"):
        (root / sub).mkdir(parents=True)
    tables = {
        "groups_assignments": "la_name,typology_group\nCity of London,not grouped\n"
        "Camden,4\nSutton,4\n",
        "patterns_by_borough": "la_name,placements,pct_in_own_borough\n"
        "City of London,6,0\nCamden,18,0.1\nSutton,9,0.4\n",
        "h1_outside_by_scope": "scope,children,share\nLondon boroughs,790,0.673\n"
        "Inner London,320,0.697\nCity of London,6,0.5\n",
        "h6_places_unavailable": "area,unavailable_share,vacancy_rate\n"
        "London homes,0.108,0.16\nHomes outside London,0.086,0.175\n"
        "Homes in Inner London,0.152,0.2\nHomes in City of London,0.217,0.116\n",
    }
    for name, text in tables.items():
        (root / "tables" / f"{name}.csv").write_text(text)
    groups = {"typology": {"assignments": {"City of London": "not grouped", "Camden": 4}}}
    (root / "results" / "groups.json").write_text(json.dumps(groups))
    _scopes_record(root, "City of London", "Inner London", ["Camden", "City of London"])
    for n in registry.ids():
        res = HypothesisResult(n, "Supported", "rule", summary="s")
        (root / "results" / f"h{n}.json").write_text(json.dumps(res.to_dict()))

    scopes = ComparisonScopes.read(root, "City of London")
    assert scopes.group == "Inner London"
    rows = comparisons(root, scopes, {}, None, registry.registry(CONFIG))
    assert ["Share placed outside London", "50%", "70%", "67%"] in rows["patterns"]
    own = next(r for r in rows["patterns"] if r[0].startswith("Share placed in their own"))
    assert own[1:] == ["0%", "5%", "17%"]  # group: City of London and Camden; London: all
    assert rows["h6"][0][1:] == ["22%", "15%", "11%"]  # "Homes in Inner London"

    ctx = _context(root, "City of London")
    assert ctx.group is None  # not in a behaviour group
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", root)
    text = (tmp_path / "src" / "h1.qmd").read_text()
    assert "\n\n| Measure | City of London | Inner London | London |" in text
    assert ": City of London against Inner London (it is in no behaviour group) and London" in text
    # the sentence above the table names the same group (it once said "its group's")
    assert "own figures are beside Inner London's and" in text


def test_th_scope_leaves_thead_alone():
    from analysis.document.render import _add_th_scope

    html = _add_th_scope('<thead><tr><th>a</th><th style="x">b</th><th scope="row">c</th>')
    assert html == (
        '<thead><tr><th scope="col">a</th><th scope="col" style="x">b</th><th scope="row">c</th>'
    )


def test_headline_of_a_dataset_without_outer_london_boroughs(edition, tmp_path):
    """One Inner London borough's own returns: no Outer London share to compare (a dataset
    that validates must build; this sentence once failed on ``None``)."""
    (edition / "results" / "headlines.json").write_text(
        json.dumps(
            {
                "placements_total": 40,
                "placements_outside_london": 25,
                "share_outside_london": 62.5,
                "inner_pooled_share_outside_london": 62.5,
                "outer_pooled_share_outside_london": None,
                "inner_share_outside_london": 62.5,
                "outer_share_outside_london": None,
            }
        )  # fmt: skip
    )
    ctx = _context(
        edition,
        "Hackney",
        year=2023,
        metadata={"synthetic": True, "name": "x", "boroughs_in_data": ["Hackney"]},
        parameters={"seed": 1},
        settings={"top_recommendations": 3, "synthetic_banner": "Synthetic"},
    )
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src")
    summary = (tmp_path / "src" / "index.qmd").read_text()
    assert "**25** of them (62.5%) were placed outside London." in summary
    assert "Outer London boroughs" not in summary


def test_chapter_templates_are_compiled_once_per_process_and_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each edition gets a new Jinja environment, but a template is parsed once per process
    (the compiled code is shared); an edited template is parsed again."""
    import jinja2

    from analysis.document.assemble import _environment

    (tmp_path / "chapter.qmd.j2").write_text("one {{ 1 + 1 }}", encoding="utf-8")
    assert _environment(tmp_path).get_template("chapter.qmd.j2").render() == "one 2"

    parsed: list[str] = []
    real_parse = jinja2.Environment._parse

    def counting_parse(self: jinja2.Environment, source: str, *args: object) -> object:
        parsed.append(source)
        return real_parse(self, source, *args)

    monkeypatch.setattr(jinja2.Environment, "_parse", counting_parse)
    assert _environment(tmp_path).get_template("chapter.qmd.j2").render() == "one 2"
    assert parsed == []  # a new environment, the same template: not parsed again

    (tmp_path / "chapter.qmd.j2").write_text("two {{ 2 + 2 }}", encoding="utf-8")
    assert _environment(tmp_path).get_template("chapter.qmd.j2").render() == "two 4"
    assert parsed == ["two {{ 2 + 2 }}"]
