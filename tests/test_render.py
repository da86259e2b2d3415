"""Rendering: the HTML is self-contained and accessible, the PDF carries the synthetic banner on
every page; Quarto rendering when the binary is installed."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.paths import ROOT
from analysis.report import render_edition
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
    link = re.search(r'<a href="(tables/h1_demo\.csv)"', after)
    assert link and after.index(link.group(0)) < after.index("<h", 1)
    # the link resolves from the published edition folder (report.html beside tables/)
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


@pytest.mark.quarto
def test_quarto_render(tmp_path):
    if shutil.which("quarto") is None:
        pytest.skip("the quarto binary is not installed on this machine (pandoc path used instead)")
    for sub in ("results", "figures", "tables"):
        (tmp_path / sub).mkdir()
    written = render_edition(tmp_path, edition="london", la_name=None, year=2022, engine="quarto")
    assert written["html"].exists() and written["pdf"].exists()
