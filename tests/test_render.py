"""Rendering: the HTML is self-contained and accessible, the PDF carries the synthetic banner on
every page (Quarto against pandoc: tests/test_quarto.py)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.document import render_edition
from analysis.paths import ROOT
from analysis.verdicts import HypothesisResult

_spec = importlib.util.spec_from_file_location("axe_check", ROOT / "scripts" / "axe_check.py")
axe_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(axe_check)

FIGURE_ALT = "Bar chart: b is three times a, so most children are in b"


def _write_figure(d: Path, name: str) -> None:
    """A real figure as analysis.charts.save_figure writes it: PNG, SVG, CSV and JSON sidecar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [3, 9])
    fig.savefig(d / "figures" / f"{name}.png", dpi=50, metadata={"Software": None})
    fig.savefig(d / "figures" / f"{name}.svg", metadata={"Date": None})
    plt.close(fig)
    (d / "tables" / f"{name}.csv").write_text("group,n\na,3\nb,9\n")
    (d / "figures" / f"{name}.json").write_text(
        json.dumps({"name": name, "caption": "Children by group", "alt": FIGURE_ALT})
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("edition")
    for sub in ("results", "figures", "tables"):
        (d / sub).mkdir()
    res = HypothesisResult(
        1, "Supported", "rule", summary="Needs are not matched.", figures=["h1_demo"]
    )
    (d / "results" / "h1.json").write_text(json.dumps(res.to_dict()))
    (d / "tables" / "t.csv").write_text("a,n\nx,10\n")
    _write_figure(d, "h1_demo")
    render_edition(
        d,
        edition="london",
        la_name=None,
        year=2022,
        metadata={"synthetic": True, "name": "test"},
        engine="pandoc",
    )
    return d


def test_html_is_self_contained_and_accessible(rendered):
    html = (rendered / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en-GB"' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert "Synthetic example data - not real children" in html
    assert not re.search(r'(src|href)="https?://', html)
    assert "<th " not in html.replace('<th scope="col"', "")


def test_figure_alt_is_the_description_and_data_follows(rendered):
    html = (rendered / "report.html").read_text(encoding="utf-8")
    img = re.search(r"<img [^>]*>", html).group(0)
    assert f'alt="{FIGURE_ALT}"' in img and "data-fig-alt" not in img
    after = html[html.index(img) :]
    # the CSV is embedded (a data: link), so the HTML works when it travels alone; the link
    # keeps the file's path as its fragment, and that file is in the published edition folder
    link = re.search(r'<a href="data:text/csv[^"#]*#(tables/h1_demo\.csv)"', after)
    assert link and after.index(link.group(0)) < after.index("<h", 1)
    assert (rendered / link.group(1)).exists()
    report = rendered / "report.html"
    assert axe_check.check_page(report, run_axe=False) == []


def test_pdf_figure_has_data_line(rendered):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(
        ["pdftotext", str(rendered / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Data behind Figure 1: tables/h1_demo.csv (CSV)" in " ".join(text.split())
    assert axe_check.pdf_outline_problems(rendered / "report.pdf") == []
    assert axe_check.pdf_is_tagged(rendered / "report.pdf")


def test_pdf_has_banner_on_every_page(rendered):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(
        ["pdftotext", str(rendered / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    assert all("Synthetic example data" in p for p in pages)


def test_tables_workbook_written(rendered):
    assert (rendered / "tables.xlsx").exists()


def _stage(source: Path, target: Path) -> Path:
    """A copy of an edition's executed results (what the build hands to the renderer)."""
    target.mkdir(parents=True)
    for sub in ("results", "figures", "tables", "previous"):
        if (source / sub).exists():
            shutil.copytree(source / sub, target / sub)
    return target


def _render_twice_and_compare(source: Path, tmp: Path, monkeypatch, **options) -> None:
    """Render staged copies of one set of executed results with the real report sources: the
    same build time gives identical HTML, PDF and tables.xlsx; another build time changes only
    the timestamp."""
    outs = []
    for name, epoch in (("a", "1700000000"), ("b", "1700000000"), ("c", "1800000000")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        staged = _stage(source, tmp / name)
        render_edition(staged, engine="pandoc", **options)
        outs.append(staged)
    a, b, c = outs
    for rel in ("report.html", "report.pdf", "tables.xlsx", "report-sources/report.typ"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    stamp = {a: "2023-11-14 22:13 UTC", c: "2027-01-15 08:00 UTC"}
    for rel in ("report.html", "report-sources/report.typ"):
        texts = [(p / rel).read_text(encoding="utf-8") for p in (a, c)]
        assert stamp[a] in texts[0] and stamp[c] in texts[1], rel
        assert texts[0].replace(stamp[a], "TIME") == texts[1].replace(stamp[c], "TIME"), rel
    assert (a / "tables.xlsx").read_bytes() == (c / "tables.xlsx").read_bytes()


def test_two_renders_of_the_same_results_are_identical(rendered, tmp_path, monkeypatch):
    _render_twice_and_compare(
        rendered,
        tmp_path,
        monkeypatch,
        edition="london",
        la_name=None,
        year=2022,
        metadata={"synthetic": True, "name": "test"},
    )


@pytest.mark.slow
def test_two_renders_of_the_built_report_are_identical(built_outputs, tmp_path, monkeypatch):
    """The same check on the real executed results of the example build (London edition)."""
    root, data = built_outputs
    london = next(p for p in sorted(root.rglob("report.html")) if p.parent.name == "london")
    edition = london.parent
    from analysis.hashing import directory_hashes

    _render_twice_and_compare(
        edition,
        tmp_path,
        monkeypatch,
        edition="london",
        la_name=None,
        year=int(edition.parent.name),
        previous_year=int(edition.parent.name) - 1 if (edition / "previous").exists() else None,
        metadata={"synthetic": True, "name": "London example (synthetic)"},
        data_hashes=directory_hashes(data),
        parameters={"data_dir": str(data), "seed": 2022, "edition": "london"},
    )


def test_typst_compiles_in_a_child_process_and_reports_errors(tmp_path):
    from analysis.document.render import compile_typst

    good = tmp_path / "good.typ"
    good.write_text("= Title\n\nSome text.\n", encoding="utf-8")
    compile_typst(good, tmp_path / "good.pdf", tmp_path)
    assert (tmp_path / "good.pdf").read_bytes().startswith(b"%PDF")
    bad = tmp_path / "bad.typ"
    bad.write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="typst failed on bad.typ"):
        compile_typst(bad, tmp_path / "bad.pdf", tmp_path)
