"""Rendering: the HTML is self-contained and accessible, the PDF carries the synthetic banner on
every page; Quarto rendering when the binary is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.report import render_edition
from analysis.verdicts import HypothesisResult


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("edition")
    for sub in ("results", "figures", "tables"):
        (d / sub).mkdir()
    res = HypothesisResult(1, "Supported", "rule", summary="Needs are not matched.")
    (d / "results" / "h1.json").write_text(json.dumps(res.to_dict()))
    (d / "tables" / "t.csv").write_text("a,n\nx,10\n")
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
