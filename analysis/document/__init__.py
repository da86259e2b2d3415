"""Report assembly and rendering: results -> portable Quarto sources -> HTML and PDF.

:func:`render_edition` runs inside an edition's staging folder (after its notebooks ran):
fills ``report_templates/templates`` with the results, renders HTML + PDF with Quarto or pandoc + Typst,
writes ``tables.xlsx``. :func:`write_index` writes the year's index page linking the editions.

This package renders; it never imports :mod:`analysis.build` (which orchestrates and calls the
names in ``__all__`` below, and nothing deeper: ``tests/test_layers.py``). What both need, the
content hashes, is in :mod:`analysis.hashing` below them.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

from analysis.document.render import choose_engine, quarto_available, renderer_info
from analysis.hashing import digest, directory_hashes, file_sha256
from analysis.paths import CONFIG, REPORT_SOURCES, ROOT
from analysis.yaml_files import read_yaml

__all__ = [
    "render_edition",
    "write_index",
    "renderer_fingerprint",
    "renderer_info",
    "choose_engine",
    "quarto_available",
]


def renderer_fingerprint() -> str:
    """Hash of the report code and of the documents the report prints (the simulation power
    table, the assumptions log), so a change to either re-renders editions."""
    from analysis.document.assemble import DOCUMENTS

    files = directory_hashes(ROOT / "analysis" / "document")
    docs = {k: file_sha256(ROOT / v) if (ROOT / v).exists() else "" for k, v in DOCUMENTS.items()}
    return digest({"code": {k: v for k, v in files.items() if k.endswith(".py")}, "docs": docs})


def _report_settings(config_dir: Path) -> dict[str, Any]:
    path = Path(config_dir) / "report.yaml"
    return read_yaml(path) if path.exists() else {}


def render_edition(
    edition_dir: Path,
    *,
    edition: str,
    la_name: str | None,
    year: int,
    previous_year: int | None = None,
    metadata: dict[str, Any] | None = None,
    data_hashes: dict[str, str] | None = None,
    parameters: dict[str, Any] | None = None,
    engine: str = "auto",
    config_dir: Path = CONFIG,
    report_sources: Path = REPORT_SOURCES,
) -> dict[str, Path]:
    """Assemble and render one edition in ``edition_dir``; returns the written files."""
    from analysis.document.assemble import build_context, write_sources
    from analysis.document.render import build_time, render_pandoc, render_quarto
    from analysis.document.workbook import write_workbook
    from analysis.snapshot import snapshot_date

    metadata = dict(metadata or {})
    settings = _report_settings(config_dir)
    ctx = build_context(
        Path(edition_dir),
        edition=edition,
        la_name=la_name,
        year=year,
        previous_year=previous_year,
        metadata=metadata,
        data_hashes=dict(data_hashes or {}),
        parameters=dict(parameters or {}),
        config_dir=config_dir,
        settings=settings,
    )
    chosen = choose_engine(engine)
    ctx.renderer = renderer_info(chosen)
    src = Path(edition_dir) / "report-src"
    chapters = write_sources(ctx, Path(report_sources) / "templates", src, Path(edition_dir))
    # Figures are referenced as figures/<name>.png relative to the edition folder.
    for chapter in chapters:
        shutil.move(str(chapter), Path(edition_dir) / chapter.name)
    chapters = [Path(edition_dir) / c.name for c in chapters]
    shutil.rmtree(src, ignore_errors=True)
    synthetic = bool(metadata.get("synthetic"))
    meta = {
        "title": settings.get("title", "Under-utilisation of London provision"),
        "subtitle": settings.get("subtitle", ""),
        "author": settings.get("author", ""),
        # shown on the title page; Quarto rewrites ``author`` into structured authors
        "prepared-by": settings.get("author", ""),
        "edition-label": ctx.label,
        "year": str(year),
        "snapshot-date": snapshot_date(year).strftime("%-d %B %Y"),
        "data-source": str(metadata.get("name", "dataset"))
        + (
            " (synthetic example data)"
            if synthetic and "synthetic" not in str(metadata.get("name", "")).lower()
            else ""
        )
        + (f" - boroughs in this dataset: {ctx.coverage.count}" if not ctx.coverage.full else ""),
        "synthetic-banner": settings.get("synthetic_banner", "") if synthetic else "",
        "build-time": build_time(),
    }
    render = render_quarto if chosen == "quarto" else render_pandoc
    written = render(chapters, Path(edition_dir), meta, Path(report_sources))
    sources_dir = Path(edition_dir) / "report-sources"
    sources_dir.mkdir(exist_ok=True)
    for chapter in chapters:
        shutil.move(str(chapter), sources_dir / chapter.name)
    typ = Path(edition_dir) / "report.typ"
    if typ.exists():
        shutil.move(str(typ), sources_dir / "report.typ")
    xlsx = write_workbook(Path(edition_dir) / "tables", Path(edition_dir) / "tables.xlsx")
    if xlsx:
        written["xlsx"] = xlsx
    return written


def write_index(year_dir: Path, metadata: dict[str, Any] | None = None) -> Path | None:
    """``outputs/<year>/index.html`` linking every published edition of that year."""
    from analysis.boroughs import london_boroughs

    year_dir = Path(year_dir)
    if not year_dir.exists():
        return None
    names = dict(zip(london_boroughs()["slug"], london_boroughs()["la_name"], strict=True))
    editions = sorted(
        (p.name for p in year_dir.iterdir() if p.is_dir() and (p / "report.html").exists()),
        key=lambda s: (s != "london", s),
    )
    synthetic = bool((metadata or {}).get("synthetic"))
    items = "\n".join(
        f'<li><a href="{e}/report.html">{html.escape(names.get(e, "London (pan-London)"))}</a>'
        f' (<a href="{e}/report.pdf">PDF</a>, <a href="{e}/tables.xlsx">tables</a>)</li>'
        for e in editions
    )
    banner = (
        '<div class="synthetic-banner" role="note">Synthetic example data - not real children</div>'
        if synthetic
        else ""
    )
    css = (REPORT_SOURCES / "assets" / "report.css").read_text(encoding="utf-8")
    page = (
        f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Under-utilisation of London provision - {year_dir.name} editions</title>\n"
        f"<style>\n{css}</style>\n</head>\n<body>\n"
        f'<a class="skip-link" href="#main">Skip to main content</a>\n{banner}\n'
        f'<main id="main">\n<h1>Under-utilisation of London provision: {year_dir.name}</h1>\n'
        f"<p>The pan-London report and one edition per borough.</p>\n<ul>\n{items}\n</ul>\n"
        f"</main>\n</body>\n</html>\n"
    )
    target = year_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
