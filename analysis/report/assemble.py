"""Gather an edition's results into a context and fill the report templates (report/templates).

The templates produce portable Quarto markdown (see /work/shared/portable-quarto.md): pipe
tables, figures with ``fig-alt``, callouts, no executable cells. A chapter whose results file
is missing says "not yet available" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from analysis.report import markdown as md
from analysis.report.recommendations import load_bank, select
from analysis.verdicts import HYPOTHESIS_TITLES

HYPOTHESES = tuple(range(1, 7))


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def figure_catalogue(edition_dir: Path) -> dict[str, dict[str, str]]:
    """``name -> {caption, alt, png, svg, csv}`` for every figure with a JSON sidecar; ``csv`` is
    the data behind it (``tables/<name>.csv``, relative to the report), "" when missing."""
    out = {}
    for side in sorted((edition_dir / "figures").glob("*.json")):
        meta = _read(side) or {}
        png = side.with_suffix(".png")
        if png.exists():
            out[side.stem] = {
                "caption": str(meta.get("caption", side.stem)),
                "alt": str(meta.get("alt", meta.get("caption", side.stem))),
                "png": f"figures/{side.stem}.png",
                "svg": f"figures/{side.stem}.svg",
                "csv": f"tables/{side.stem}.csv"
                if (edition_dir / "tables" / f"{side.stem}.csv").exists()
                else "",
            }
    return out


@dataclass
class ReportContext:
    """Everything the templates need for one edition."""

    edition: str
    la_name: str | None
    year: int
    previous_year: int | None
    metadata: dict[str, Any]
    hypotheses: dict[int, dict[str, Any] | None]
    groups: Any
    headlines: Any
    patterns: Any
    national: Any
    previous: dict[str, Any]
    figures: dict[str, dict[str, str]]
    recommendations: list[dict[str, Any]]
    parameters: dict[str, Any]
    data_hashes: dict[str, str]
    versions: dict[str, str]
    settings: dict[str, Any]
    used_figures: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return self.la_name or "London"

    @property
    def verdicts(self) -> dict[int, str]:
        return {n: r["verdict"] for n, r in self.hypotheses.items() if r}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "london-provision",
        "pandas",
        "numpy",
        "scipy",
        "statsmodels",
        "scikit-learn",
        "matplotlib",
        "afcharts",
        "papermill",
        "pypandoc-binary",
        "typst",
        "jinja2",
    ]
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_context(
    edition_dir: Path,
    *,
    edition: str,
    la_name: str | None,
    year: int,
    previous_year: int | None,
    metadata: dict[str, Any],
    data_hashes: dict[str, str],
    parameters: dict[str, Any],
    config_dir: Path,
    settings: dict[str, Any],
) -> ReportContext:
    results = edition_dir / "results"
    previous_dir = edition_dir / "previous" / "results"
    hyps = {n: _read(results / f"h{n}.json") for n in HYPOTHESES}
    previous = {}
    if previous_year is not None and previous_dir.exists():
        previous = {
            "headlines": _read(previous_dir / "headlines.json"),
            "groups": _read(previous_dir / "groups.json"),
            "hypotheses": {n: _read(previous_dir / f"h{n}.json") for n in HYPOTHESES},
        }
    ctx = ReportContext(
        edition=edition,
        la_name=la_name,
        year=year,
        previous_year=previous_year,
        metadata=metadata,
        hypotheses=hyps,
        groups=_read(results / "groups.json"),
        headlines=_read(results / "headlines.json"),
        patterns=_read(results / "patterns.json"),
        national=_read(results / "national.json"),
        previous=previous,
        figures=figure_catalogue(edition_dir),
        recommendations=[],
        parameters=parameters,
        data_hashes=data_hashes,
        versions=package_versions(),
        settings=settings,
    )
    ctx.recommendations = select(load_bank(config_dir), ctx.verdicts)
    return ctx


def _environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # ``{#sec-x}`` is pandoc attribute syntax, so Jinja comments use ``{##  ##}``.
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters.update(fmt=md.fmt, pct=md.pct, humanise=md.humanise)
    env.globals.update(
        pipe_table=md.pipe_table,
        callout=md.callout,
        md_figure=md.figure,
        titles=HYPOTHESIS_TITLES,
        isinstance=isinstance,
        dict=dict,
        list=list,
        str=str,
        sorted=sorted,
        json=json,
    )
    return env


CHAPTERS: tuple[tuple[str, str], ...] = (
    ("index", "index.qmd.j2"),
    ("patterns", "patterns.qmd.j2"),
    ("groups", "groups.qmd.j2"),
    ("hypotheses", "hypothesis.qmd.j2"),
    ("national", "national.qmd.j2"),
    ("recommendations", "recommendations.qmd.j2"),
    ("changes", "changes.qmd.j2"),
    ("methods", "methods.qmd.j2"),
)


def write_sources(ctx: ReportContext, templates: Path, target: Path) -> list[Path]:
    """Fill the chapter templates into ``target/*.qmd``; returns the chapter files in order.

    The national chapter appears only when ``results/national.json`` exists, the "what changed"
    chapter only when the previous year's results were built.
    """
    env = _environment(templates)

    def fig(name: str, width: str = "75%") -> str:
        meta = ctx.figures.get(name)
        if meta is None:
            return md.callout(
                "note",
                "Figure not yet available",
                f"The figure `{name}` was not produced by this build.",
            )
        ctx.used_figures.add(name)
        return md.figure(
            meta["png"],
            meta["caption"],
            meta["alt"],
            "fig-" + name.replace("_", "-"),
            width,
            data=meta.get("csv") or None,
        )

    env.globals["figure"] = fig
    files = []
    for name, template in CHAPTERS:
        if name == "national" and not (ctx.national and ctx.national.get("available", True)):
            continue
        if name == "changes" and not ctx.previous:
            continue
        if name == "hypotheses":
            for n in HYPOTHESES:
                text = env.get_template(template).render(ctx=ctx, n=n, h=ctx.hypotheses[n])
                files.append(_write(target / f"h{n}.qmd", text))
            continue
        text = env.get_template(template).render(ctx=ctx, today=dt.date.today())
        files.append(_write(target / f"{name}.qmd", text))
    return files


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
