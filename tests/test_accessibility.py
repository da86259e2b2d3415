"""Accessibility and self-containment: checker proven on bad pages, then run on the built report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from analysis.paths import ROOT

_spec = importlib.util.spec_from_file_location("axe_check", ROOT / "scripts" / "axe_check.py")
axe_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(axe_check)

needs_axe = pytest.mark.skipif(
    axe_check.chromium_binary() is None or not axe_check.AXE.exists(),
    reason="Chromium or axe-core missing: run scripts/system-deps.sh",
)

BAD = """<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<style>body { background: url('https://example.org/bg.png'); }</style></head>
<body><img src="fig.png"><script src="//cdn.example.org/x.js"></script>
<div style="color:#aaa;background:#bbb">low contrast</div><input type="text"><a href="#"></a>
</body></html>"""

GOOD = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Good</title></head>
<body><main><h1>Report</h1>
<figure><img src="data:image/png;base64,iVBORw0KGgo=" alt="Bar chart: London has 161 homes">
<figcaption>Homes</figcaption></figure>
<table><caption>Data</caption><tr><th scope="col">Area</th><th scope="col">Homes</th></tr>
<tr><td>London</td><td>161</td></tr></table>
<figure><img src="fig2.png" alt="Line chart of net gain"></figure>
<p><a href="tables/net_gain.csv">Data behind the chart (CSV)</a>;
source: <a href="https://www.gov.uk/">Ofsted</a></p></main></body></html>"""


@pytest.fixture()
def pages(tmp_path: Path) -> tuple[Path, Path]:
    bad, good = tmp_path / "bad.html", tmp_path / "good.html"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(GOOD, encoding="utf-8")
    return bad, good


def test_static_checks_catch_the_bad_page(pages):
    bad, good = pages
    assert len(axe_check.external_resources(bad)) == 3  # stylesheet, CSS url(), script
    assert axe_check.images_without_alt(bad)
    assert axe_check.figures_without_data(bad)
    assert axe_check.check_page(good, run_axe=False) == []


def test_alt_text_must_be_the_description_not_the_caption(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<figure><img src="a.png" alt="Homes by region" data-fig-alt="London has fewest homes">'
        '</figure><a href="t.csv">data</a>',
        encoding="utf-8",
    )
    assert axe_check.alt_texts_that_repeat_the_caption(page)
    page.write_text(GOOD, encoding="utf-8")
    assert axe_check.alt_texts_that_repeat_the_caption(page) == []


def test_a_figure_separated_from_the_next_table_by_a_heading_fails(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<figure><img src="a.png" alt="x"></figure><h2>Next</h2><table><tr><td>1</td></tr></table>',
        encoding="utf-8",
    )
    assert axe_check.figures_without_data(page)


def test_a_figure_without_its_table_fails(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(GOOD.replace('<a href="tables/net_gain.csv">', "<a>"), encoding="utf-8")
    assert axe_check.figures_without_data(page) == [
        "figure 2 ('Line chart of net gain') has no data table or link to one after it"
    ]


@needs_axe
def test_axe_finds_serious_violations_on_bad_page_and_none_on_good(pages):
    bad, good = pages
    ids = {v.split(":")[1].split()[0] for v in axe_check.axe_violations(bad)}
    assert {"image-alt", "html-has-lang", "label", "link-name", "color-contrast"} <= ids
    assert axe_check.axe_violations(good) == []


needs_chromium = pytest.mark.skipif(
    axe_check.chromium_binary() is None, reason="Chromium missing: run scripts/system-deps.sh"
)

WIDE_TABLE = (
    "<!DOCTYPE html><html lang='en'><head><title>T</title>{style}</head><body>{before}"
    "<table><tr>" + "".join(f"<td>column{i:02d}value</td>" for i in range(12)) + "</tr></table>"
    "{after}</body></html>"
)


@needs_chromium
def test_the_sideways_probe_sees_a_wide_table_and_its_scrolling_box(tmp_path):
    """The probe measures the page's sideways scroll: a wide table makes the page scroll; the
    same table in the box ``filters/tables.lua`` writes (styled by ``report.css``) does not."""
    css = (ROOT / "report_templates" / "assets" / "report.css").read_text(encoding="utf-8")
    bare, boxed = tmp_path / "bare.html", tmp_path / "boxed.html"
    bare.write_text(WIDE_TABLE.format(style="", before="", after=""), encoding="utf-8")
    boxed.write_text(
        WIDE_TABLE.format(
            style=f"<style>{css}</style>",
            before="<div class='table-wrap' tabindex='0' role='region' aria-label='T'>",
            after="</div>",
        ),
        encoding="utf-8",
    )
    assert axe_check.sideways_overflow(bare) > 100
    assert axe_check.sideways_overflow(boxed) == 0


def test_pdf_outline_check(tmp_path):
    typst = pytest.importorskip("typst", reason="typst (PyPI) not installed")
    pytest.importorskip("pypdf", reason="pypdf not installed")
    with_headings, without = tmp_path / "a.typ", tmp_path / "b.typ"
    with_headings.write_text("= Chapter one\ntext\n== Section\nmore\n", encoding="utf-8")
    without.write_text("just text\n", encoding="utf-8")
    typst.compile(str(with_headings), output=str(tmp_path / "a.pdf"))
    typst.compile(str(without), output=str(tmp_path / "b.pdf"))
    assert axe_check.pdf_outline_problems(tmp_path / "a.pdf") == []
    assert axe_check.pdf_outline_problems(tmp_path / "b.pdf")


def test_pdf_tagging_check(tmp_path):
    typst = pytest.importorskip("typst", reason="typst (PyPI) not installed")
    pypdf = pytest.importorskip("pypdf", reason="pypdf not installed")
    (tmp_path / "a.typ").write_text("= Heading\ntext\n", encoding="utf-8")
    typst.compile(str(tmp_path / "a.typ"), output=str(tmp_path / "a.pdf"))
    assert axe_check.pdf_is_tagged(tmp_path / "a.pdf")  # Typst tags headings by default
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(str(tmp_path / "untagged.pdf"))
    assert not axe_check.pdf_is_tagged(tmp_path / "untagged.pdf")


def _reports(root: Path) -> list[Path]:
    reports = sorted(root.rglob("report.html"))
    if not reports:
        pytest.fail(f"no report.html under {root}")
    london = [p for p in reports if p.parent.name == "london"]
    return (london or reports[:1]) + [p for p in reports if p.parent.name == "camden"]


@pytest.mark.slow
def test_built_report_is_self_contained_and_described(built_outputs):
    root, _ = built_outputs
    problems = []
    for report in sorted(root.rglob("report.html")):
        problems += [
            f"{report.relative_to(root)}: {p}" for p in axe_check.check_page(report, run_axe=False)
        ]
    assert problems == []


@pytest.mark.slow
@needs_axe
def test_built_report_has_no_serious_axe_violation(built_outputs):
    root, _ = built_outputs
    problems = []
    for report in _reports(root):
        problems += [f"{report.relative_to(root)}: {p}" for p in axe_check.axe_violations(report)]
    print("\nAXE:", problems or "no serious or critical violations")
    assert problems == []


@pytest.mark.slow
@needs_chromium
def test_built_report_does_not_scroll_sideways_on_a_phone(built_outputs):
    """Every table of the built report scrolls in its own box (``filters/tables.lua``): at 420
    pixels wide the page itself does not scroll sideways (before, 208 pixels of the London
    edition did, from its widest tables)."""
    root, _ = built_outputs
    html = [r.read_text(encoding="utf-8") for r in _reports(root)]
    assert all(page.count("<table") == page.count('class="table-wrap"') for page in html)
    assert {str(r.relative_to(root)): axe_check.sideways_overflow(r) for r in _reports(root)} == {
        str(r.relative_to(root)): 0 for r in _reports(root)
    }


@pytest.mark.slow
def test_built_pdf_has_an_outline(built_outputs):
    pytest.importorskip("pypdf", reason="pypdf not installed")
    root, _ = built_outputs
    pdfs = sorted(root.rglob("report.pdf"))
    if not pdfs:
        pytest.skip("no PDF was built (Typst unavailable)")
    assert [p for pdf in pdfs for p in axe_check.pdf_outline_problems(pdf)] == []
    assert [pdf for pdf in pdfs if not axe_check.pdf_is_tagged(pdf)] == []
