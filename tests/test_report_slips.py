"""Issue 16's slips, one check per class: status text in chapters, the verdict repeated in its
own evidence, links that break when the HTML travels alone, totals that do not reconcile, "what
changed" for a figure with one year of data, and a headline that leads with averages of boroughs.

The unit tests fail on the old behaviour; the ``built_outputs`` tests read the London edition of
the session's full build (``LONDON_BUILT_OUTPUTS`` to reuse a build).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from analysis.document.links import embed_data_links, link_target, relative_links
from analysis.document.markdown import evidence
from analysis.document.totals import indicator_kind, load_totals, reconciliation_notes
from analysis.hypotheses import registry

#: Text a reader should never see: messages for the analyst about the build itself.
STATUS_PATTERNS = (
    r"files? not available",
    r"\bnot written\b",
    r"\bnot run\b",
    r"Traceback",
    r"\bprint\(",
    r"is not available:",
    r"not in this checkout",
)


# --- unit checks: each fails on the behaviour issue 16 found ------------------------------------


def test_evidence_drops_the_verdict_sentence_it_would_repeat():
    summary = "London placements cost 0.1% less (95% CI -4.6% to 4.7%). Verdict: not supported."
    assert evidence(summary, "Not supported") == (
        "London placements cost 0.1% less (95% CI -4.6% to 4.7%)."
    )
    assert evidence("Supported: needs differ. Verdict: supported.", "Supported") == "Needs differ."
    assert "erdict" not in evidence("Verdict: inconclusive. Some sign.", "Inconclusive")


def test_data_links_are_embedded_so_the_html_works_alone(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "x.csv").write_text("a,n\nA,10\n", encoding="utf-8")
    html = '<p><a href="tables/x.csv">tables/x.csv</a> <a href="tables/gone.csv">g</a></p>'
    out = embed_data_links(html, tmp_path)
    href = re.search(r'href="(data:[^"]+)"', out).group(1)
    assert link_target(href) == "tables/x.csv" and 'download="x.csv"' in out
    payload = href.split(",", 1)[1].split("#")[0]
    assert base64.b64decode(payload).decode() == "a,n\nA,10\n"
    assert relative_links(out) == ["tables/gone.csv"]  # a missing file stays visible as broken
    assert relative_links(html) == ["tables/x.csv", "tables/gone.csv"]


def test_a_subset_count_is_explained_beside_its_figure():
    spec = load_totals(Path(__file__).resolve().parents[1] / "config")
    indicators = [
        {"id": "h6_vacancy_acceptance_or", "name": "Odds ratio of acceptance", "n": 3488},
        {"id": "h6_unavailable_share_london", "name": "Share of London homes'", "n": 668},
        {"id": "h6_staff_decline_share", "name": "Share of declines", "n": 2472},
        {"name": "An indicator without an id", "n": 5},
    ]
    notes = reconciliation_notes(indicators, {"referrals": 3942, "places": 569}, spec)
    assert len(notes) == 2
    assert "3,488" in notes[0] and "3,942" in notes[0] and "staffing return" in notes[0]
    assert "668" in notes[1] and "569" in notes[1] and "council-run" in notes[1]
    same = [{"id": "h3_profile_or", "name": "Odds ratio", "n": 3942}]
    assert reconciliation_notes(same, {"referrals": 3942}, spec) == []
    undeclared = {"referrals": {"total": "t", "indicators": [{"indicator": "h1_x"}]}}
    (note,) = reconciliation_notes([{"id": "h1_x", "n": 2}], {"referrals": 3}, undeclared)
    assert "not yet documented" in note


# --- checks on the built London edition ----------------------------------------------------------


@pytest.fixture(scope="module")
def london(built_outputs) -> Path:
    root, _ = built_outputs
    return next(p.parent for p in root.rglob("report.html") if p.parent.name == "london")


def _soup(edition: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup((edition / "report.html").read_text(encoding="utf-8"), "html.parser")


def _section_text(soup, ident: str) -> str:
    node = soup.find(id=ident)
    return " ".join(node.get_text(" ").split()) if node else ""


def test_no_status_messages_in_the_chapters(london):
    text = " ".join(_soup(london).get_text(" ").split())
    found = [p for p in STATUS_PATTERNS if re.search(p, text, re.IGNORECASE)]
    assert found == [], f"status text in the report: {found}"


def test_the_verdict_is_stated_once(london):
    soup = _soup(london)
    table = soup.find(id="sec-verdicts").find("table")
    for row in table.find_all("tr")[1:]:
        cells = [c.get_text(" ", strip=True) for c in row.find_all("td")]
        assert "verdict" not in cells[2].lower(), cells
    for n in registry.ids():
        chapter = _section_text(soup, f"sec-h{n}")
        assert chapter.count("Verdict:") == 1, (n, chapter.count("Verdict:"))


def test_the_html_has_no_link_that_breaks_when_it_travels_alone(london):
    html = (london / "report.html").read_text(encoding="utf-8")
    assert relative_links(html) == []
    targets = [link_target(h) for h in re.findall(r'href="(data:[^"]+)"', html)]
    assert targets and all((london / t).is_file() for t in targets if "#" not in t)
    assert all(t.endswith((".csv", ".xlsx")) for t in targets)


def test_totals_reconcile_across_chapters(london):
    """Every hypothesis indicator counting referrals or places either counts the year's total or
    says, in its chapter, how many of the total it counts and why."""
    spec = load_totals(Path(__file__).resolve().parents[1] / "config")
    soup = _soup(london)
    patterns = json.loads((london / "results" / "patterns.json").read_text(encoding="utf-8"))
    headlines = json.loads((london / "results" / "headlines.json").read_text(encoding="utf-8"))
    totals = {
        "referrals": patterns["analyses"]["providers"]["referrals"],
        "places": headlines["london_external_places"],
    }
    checked = 0
    for n in registry.ids():
        result = json.loads((london / "results" / f"h{n}.json").read_text(encoding="utf-8"))
        # The indicators are tabled in the technical annex, and their totals explained there.
        chapter = _section_text(soup, f"sec-annex-h{n}")
        for ind in result["indicators"]:
            name = ind["name"]
            counts_referrals = re.search(r"acceptance", name, re.IGNORECASE)
            counts_places = re.search(r"London homes' registered places", name)
            if not (counts_referrals or counts_places):
                continue
            kind = indicator_kind(ind.get("id"), spec)
            assert kind, f"H{n} '{name}' counts a total that config/totals.yaml does not list"
            total = totals[kind[0]]
            if ind["n"] in (None, total):
                continue
            checked += 1
            sentence = f"Counted here: {ind['n']:,} of the {total:,}"
            assert sentence in chapter, f"H{n}: {ind['n']} {kind[0]} against {total} unexplained"
    assert checked >= 2  # the example's H5/H6 subsets (3,004 and 3,488 referrals; 668 places)


def test_what_changed_compares_only_figures_with_two_years_of_data(london):
    soup = _soup(london)
    if not _section_text(soup, "sec-changes"):
        pytest.skip("no previous year in this build")
    # The headline figures of both years are tabled in the annex ("what changed" states two).
    text = _section_text(soup, "sec-annex-changes")
    table = soup.find(id="sec-annex-changes").find("table")
    rows = [r.get_text(" ", strip=True) for r in table.find_all("tr")]
    assert not any(r.startswith("Places in externally provided") for r in rows)
    assert "one register of homes for both years" in text


def test_the_headline_leads_with_children(london):
    text = _section_text(_soup(london), "sec-summary")
    headlines = json.loads((london / "results" / "headlines.json").read_text(encoding="utf-8"))
    pooled = f"{headlines['inner_pooled_share_outside_london']:.1f}%"
    average = f"{headlines['inner_share_outside_london']:.1f}%"
    assert pooled in text and average in text
    assert text.index(pooled) < text.index(average)
    assert re.search(r"2022 report averaged the boroughs['’] own shares", text)


def test_synthetic_fieldwork_is_not_called_the_2022_study(london):
    text = " ".join(_soup(london).get_text(" ").split())
    assert "coded statements of the 2022 study" not in text
    assert "2022 fieldwork (interviews" not in text


def test_groups_chapter_prints_no_status_note_without_public_data(london, tmp_path):
    """A build without public data used to print the clustering's status note ("public data
    files not available") in the groups chapter: render the chapter from the built results with
    that note, as such a build writes it."""
    import shutil

    from analysis.document.assemble import build_context, write_sources
    from analysis.paths import CONFIG, REPORT_SOURCES
    from analysis.yaml_files import read_yaml

    edition = tmp_path / "london"
    for sub in ("results", "figures", "tables"):
        shutil.copytree(london / sub, edition / sub)
    groups_json = edition / "results" / "groups.json"
    doc = json.loads(groups_json.read_text(encoding="utf-8"))
    doc["public_data_clusters_note"] = "public data files not available"
    groups_json.write_text(json.dumps(doc), encoding="utf-8")
    ctx = build_context(
        edition,
        edition="london",
        la_name=None,
        year=2022,
        previous_year=None,
        metadata={"synthetic": True, "name": "x"},
        data_hashes={},
        parameters={"seed": 1},
        config_dir=CONFIG,
        settings=read_yaml(CONFIG / "report.yaml"),
    )
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition)
    text = (tmp_path / "src" / "groups.qmd").read_text(encoding="utf-8")
    assert "Behaviour groups" in text
    found = [p for p in STATUS_PATTERNS if re.search(p, text, re.IGNORECASE)]
    assert found == [], found


def test_lists_and_sentences_are_well_formed(london):
    """No markdown left unrendered (a list item run into the line before it shows as "- **"),
    and no doubled full stop (a description ending in one, followed by the template's)."""
    soup = _soup(london)
    for node in soup.find_all(["p", "li", "td"]):
        text = " ".join(node.get_text(" ").split())
        assert "**" not in text and " - **" not in text, text[:200]
        assert not re.search(r"[^.]\.\.(?!\.)", text), text[:200]


def test_no_heading_or_figure_is_glued_to_the_line_above(built_outputs):
    """A Jinja block tag at the end of a line swallows the newline after it (trim_blocks), so a
    heading or figure written after ``{% endif %}`` and a blank line can land directly under a
    paragraph: pandoc then reads the heading as text (its anchor is lost) and Typst reads the
    figure's cross-reference as a citation. Every edition's sources are checked."""
    root, _ = built_outputs
    glued = []
    for qmd in sorted(root.glob("*/*/report-sources/*.qmd")):
        lines = qmd.read_text(encoding="utf-8").split("\n")
        for i in range(1, len(lines)):
            block = lines[i].startswith(("#", "!["))
            if block and lines[i - 1].strip() and not lines[i - 1].startswith(":::"):
                glued.append(f"{qmd.parent.parent.name}/{qmd.name}:{i + 1}: {lines[i][:40]}")
    assert glued == [], glued[:10]


#: A column or table id (``children_per_london_la``, ``home_staffing``) in running text; file
#: names (``h1_needs.ipynb``) and paths are not.
IDENTIFIER = re.compile(r"(?<![\w./#:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-]|\.\w)")


def _identifiers_in_prose(markdown: str) -> list[str]:
    """The ids in a chapter's Markdown outside code spans, link targets and attributes."""
    prose = re.sub(r"`[^`]*`", " ", markdown)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)
    prose = re.sub(r"\{[#.][^}]*\}", " ", prose)
    return IDENTIFIER.findall(prose)


def test_prose_names_no_column_ids():
    assert _identifiers_in_prose("it rests on children_per_london_la here") == [
        "children_per_london_la"
    ]
    assert _identifiers_in_prose("see `home_staffing` and [h1](tables/h1_x.csv)") == []
    assert _identifiers_in_prose("the h1_needs.ipynb notebook {#fig-h1_x}") == []


def test_no_column_ids_in_what_readers_read(london, built_outputs):
    """The London edition's text (HTML, code excluded) and every borough edition's own page and
    groups chapter name indicators and tables in words, not by their column ids."""
    soup = _soup(london)
    for node in soup(["code", "pre", "script", "style"]):
        node.decompose()
    found = {"london": IDENTIFIER.findall(" ".join(soup.get_text(" ").split()))}
    root, _ = built_outputs
    for sources in sorted(root.rglob("report-sources")):
        for chapter in ("borough.qmd", "groups.qmd"):
            if (sources / chapter).exists():
                text = (sources / chapter).read_text(encoding="utf-8")
                found[f"{sources.parent.name}/{chapter}"] = _identifiers_in_prose(text)
    assert {k: v for k, v in found.items() if v} == {}
