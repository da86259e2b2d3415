"""Gather an edition's results into a context and fill the report templates (report_templates/templates).

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

from analysis.coverage import Coverage, coverage_from
from analysis.document import findings
from analysis.document import markdown as md
from analysis.document.borough import ComparisonScopes, comparisons
from analysis.document.borough_page import borough_page
from analysis.document.recommendations import load_bank, measure_changes, select
from analysis.hypotheses import registry
from analysis.hypotheses.evidence import evidence_short
from analysis.paths import ROOT
from analysis.verdicts import fieldwork_reading, hypothesis_key, load_fieldwork_rule

#: Documents the methodology chapter prints (paths relative to the project root; report.yaml
#: ``documents`` overrides them): the simulation study's confusion matrix (power and false
#: positives, each hypothesis against its rivals), the assumptions log.
DOCUMENTS = {
    "rivals": "data/validation/simulation_rivals.md",
    "assumptions": "docs/assumptions.md",
}


def document_paths(settings: dict[str, Any]) -> dict[str, Path]:
    """The documents the report includes, as absolute paths."""
    chosen = {**DOCUMENTS, **(settings.get("documents") or {})}
    return {k: ROOT / v for k, v in chosen.items()}


def read_document_table(path: Path) -> dict[str, Any] | None:
    """``{headers, rows, notes, path}`` of the first pipe table of a markdown document (None when
    the file or its table is missing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    headers, rows, notes = md.read_markdown_table(text)
    if not headers:
        return None
    try:
        rel = path.relative_to(ROOT).as_posix()
    except ValueError:
        rel = path.name
    return {"headers": headers, "rows": rows, "notes": notes, "path": rel}


def input_summary(data_dir: str | None, data_hashes: dict[str, str]) -> list[dict[str, Any]]:
    """Each input file: name, data rows (CSV files; None otherwise) and SHA-256."""
    import csv

    out = []
    for name, sha in sorted(data_hashes.items()):
        rows = None
        path = Path(data_dir) / name if data_dir else None
        if path is not None and path.suffix.lower() == ".csv" and path.exists():
            try:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    rows = max(0, sum(1 for _ in csv.reader(handle)) - 1)
            except (OSError, UnicodeDecodeError, csv.Error):
                rows = None
        out.append({"name": name, "rows": rows, "sha256": sha})
    return out


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
    #: ``id -> results`` (None when missing) of every registered hypothesis, in registry order.
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
    #: ``chapter -> rows [measure, borough, group, London]`` (borough editions only).
    borough: dict[str, list[list[str]]] = field(default_factory=dict)
    #: The scopes those rows compare (borough editions only).
    scopes: ComparisonScopes | None = None
    #: The simulation study's confusion matrix and the assumptions log
    #: (``read_document_table``), or None.
    rivals: dict[str, Any] | None = None
    assumptions: dict[str, Any] | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    used_figures: set[str] = field(default_factory=set)
    #: The engine rendering this edition (``analysis.document.render.renderer_info``).
    renderer: dict[str, str] = field(default_factory=dict)
    #: ``id -> title`` of the registered hypotheses (:mod:`analysis.hypotheses.registry`).
    titles: dict[int, str] = field(default_factory=dict)
    #: ``id -> origin`` of the registered hypotheses ("" for a new one).
    origins: dict[int, str] = field(default_factory=dict)
    #: Recommendations assessed but not printed (evidence absent or contrary), with the reason.
    left_out: list[dict[str, Any]] = field(default_factory=list)
    #: ``id -> fieldwork reading`` (:func:`analysis.verdicts.fieldwork_reading`).
    readings: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: The borough page (:func:`analysis.document.borough_page.borough_page`), None for London.
    borough_page: dict[str, Any] | None = None
    #: Each printed recommendation's measure in both years ("what changed").
    measures: list[dict[str, Any]] = field(default_factory=list)
    #: What fieldwork may change (:func:`analysis.verdicts.load_fieldwork_rule`).
    fieldwork_rule: dict[str, Any] = field(default_factory=dict)

    def results(self) -> dict[str, Any]:
        """The edition's results files by stem (``headlines``, ``patterns``, ``h1``...)."""
        out = {
            "headlines": self.headlines,
            "patterns": self.patterns,
            "groups": self.groups,
            "national": self.national,
        }
        out.update({hypothesis_key(n): h for n, h in self.hypotheses.items()})
        return {k: v for k, v in out.items() if v is not None}

    @property
    def label(self) -> str:
        return self.la_name or self.coverage.label

    @property
    def coverage(self) -> Coverage:
        """The boroughs the dataset covers (:mod:`analysis.coverage`)."""
        return coverage_from(self.metadata.get("boroughs_in_data"), self.settings)

    def suppressed_headlines(self, headlines: dict[str, Any] | None) -> set[str]:
        """Keys of ``headlines`` that disclosure control hides (see :func:`publishable_headlines`)."""
        from analysis.disclosure import load_rules

        shown = publishable_headlines(headlines or {}, self.settings.get("headlines", []))
        return {k for k, v in shown.items() if v == load_rules().symbol}

    @property
    def headline_rows(self) -> list[list[Any]]:
        """The headline table's rows (``settings['headlines']``), counts of children through
        disclosure control (:func:`publishable_headlines`), plus the number of boroughs when
        the dataset does not cover all 33."""
        shown = publishable_headlines(self.headlines or {}, self.settings.get("headlines", []))
        rows = [
            [h["label"], shown[h["key"]]]
            for h in self.settings.get("headlines", [])
            if h["key"] in shown
        ]
        if not self.coverage.full:
            rows.insert(0, ["Boroughs in this dataset", self.coverage.count])
        return rows

    @property
    def group(self) -> dict[str, Any] | None:
        """The borough's behaviour group: ``{id, label, name, members}`` (None for London or
        when the borough is not grouped)."""
        if not self.la_name:
            return None
        t = (self.groups or {}).get("typology") or {}
        gid = (t.get("assignments") or {}).get(self.la_name)
        if gid is None or str(gid) == "not grouped":
            return None
        label = (t.get("labels") or {}).get(str(gid), "")
        members = sorted(la for la, g in (t.get("assignments") or {}).items() if str(g) == str(gid))
        name = f"Group {gid}" + (f": {label}" if label else "")
        return {"id": str(gid), "label": label, "name": name, "members": members}

    @property
    def caveats(self) -> list[str]:
        """The hypotheses' caveats, each once, with the hypotheses that raise it."""
        seen: dict[str, list[int]] = {}
        for n, h in sorted(self.hypotheses.items()):
            for c in (h or {}).get("caveats", []):
                seen.setdefault(c, []).append(n)
        return [
            ", ".join(f"H{n}" for n in ns) + ": " + c if len(ns) < len(self.hypotheses) else c
            for c, ns in seen.items()
        ]

    @property
    def hypotheses_tested(self) -> str:
        """The hypotheses the report tests, in words: ``the six hypotheses of <origin>`` when
        they share one origin, else ``seven hypotheses, six of them from <origin>``."""
        count = md.number_word(len(self.hypotheses))
        origins = [self.origins.get(n, "") for n in self.hypotheses]
        common = max(set(origins), key=origins.count) if origins else ""
        if not common:
            return f"{count} hypotheses"
        if origins.count(common) == len(origins):
            return f"the {count} hypotheses of the {common}"
        share = md.number_word(origins.count(common))
        return f"{count} hypotheses, {share} of them from the {common}"

    @property
    def verdicts(self) -> dict[int, str]:
        return {n: r["verdict"] for n, r in self.hypotheses.items() if r}


def publishable_headlines(headlines: dict[str, Any], specs: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline values as published: a count of children (``children: true`` in the headline's
    settings) from 1 to 5 is suppressed (:func:`analysis.disclosure.suppress_count`), and so is
    a count whose complement (``complement_of``: total minus it) is small, and every share
    ``derived_from`` a suppressed count. Shares are formatted with their unit."""
    from analysis.disclosure import is_small_count, load_rules, suppress_count

    rules = load_rules()
    suppressed: set[str] = set()
    for h in specs:
        key = h["key"]
        if not h.get("children") or key not in headlines:
            continue
        value = headlines[key]
        total = headlines.get(h.get("complement_of", ""))
        complement = (
            total - value
            if isinstance(total, (int, float)) and isinstance(value, (int, float))
            else None
        )
        withheld = value == rules.symbol  # already withheld in the results file
        if withheld or is_small_count(value, rules) or is_small_count(complement, rules):
            suppressed.add(key)
    out: dict[str, Any] = {}
    for h in specs:
        key = h["key"]
        if key not in headlines:
            continue
        value = headlines[key]
        if key in suppressed or suppressed & set(h.get("derived_from", [])):
            out[key] = rules.symbol
        elif h.get("children"):
            out[key] = suppress_count(value, rules)
        elif h.get("unit") == "%" and value is not None and value != rules.symbol:
            out[key] = md.fmt(value, 1) + "%"
        else:
            out[key] = value
    return out


def children_count(value: Any) -> str:
    """A count of children in a sentence, through disclosure control ("fewer than 6")."""
    from analysis.disclosure import suppress_sentence_count

    return suppress_sentence_count(value)


def child_share(
    part: Any, whole: Any, share: Any, digits: int = 0, rest_is_children: bool = True
) -> str:
    """A share of children ``part / whole`` in a sentence; withheld when the part, or the rest
    of the whole when it counts children too, is a small count (it would give it away)."""
    from analysis.disclosure import is_small_count

    if is_small_count(part):
        return "a withheld share"
    numbers = all(isinstance(v, (int, float)) for v in (part, whole))
    if rest_is_children and numbers and is_small_count(whole - part):
        return "a withheld share"
    return md.pct(share, digits)


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
    registered = registry.registry(config_dir)
    hyps = {h.id: _read(edition_dir / h.results_file) for h in registered}
    previous = {}
    if previous_year is not None and previous_dir.exists():
        previous = {
            "headlines": _read(previous_dir / "headlines.json"),
            "groups": _read(previous_dir / "groups.json"),
            "hypotheses": {h.id: _read(previous_dir / f"{h.key}.json") for h in registered},
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
        titles={h.id: h.title for h in registered},
        origins={h.id: h.origin for h in registered},
    )
    if not ctx.coverage.groups_supported:  # the coverage cannot support the groupings
        ctx.groups = None
        if ctx.previous:
            ctx.previous["groups"] = None
    ctx.recommendations, ctx.left_out = select(load_bank(config_dir), ctx.results(), ctx.titles)
    rule = ctx.fieldwork_rule = load_fieldwork_rule(config_dir)
    ctx.readings = {
        n: fieldwork_reading(h["verdict"], h.get("fieldwork"), year, rule)
        for n, h in hyps.items()
        if h
    }
    if previous:
        before = {
            "headlines": previous.get("headlines"),
            "groups": previous.get("groups"),
            "patterns": _read(previous_dir / "patterns.json"),
            **{hypothesis_key(n): h for n, h in (previous.get("hypotheses") or {}).items()},
        }
        ctx.measures = measure_changes(
            ctx.recommendations, {k: v for k, v in before.items() if v}, ctx.results()
        )
    docs = document_paths(settings)
    ctx.rivals = read_document_table(docs["rivals"]) if "rivals" in docs else None
    ctx.assumptions = read_document_table(docs["assumptions"])
    ctx.inputs = input_summary(parameters.get("data_dir"), data_hashes)
    if la_name:
        ctx.scopes = ComparisonScopes.read(edition_dir, la_name)
        ctx.borough = comparisons(edition_dir, ctx.scopes, hyps, ctx.patterns, registered)
        ctx.borough_page = borough_page(
            edition_dir,
            la_name,
            ctx.patterns,
            comparator_label="London" if ctx.coverage.full else "Boroughs in this dataset",
            comparator_subject=(
                "London boroughs' children"
                if ctx.coverage.full
                else "the children of the boroughs in this dataset"
            ),
            recommendations=ctx.recommendations,
        )
    return ctx


class _CompiledTemplates(jinja2.BytecodeCache):
    """The chapter templates compiled once per process, not once per edition.

    A build renders many editions in each render worker, and every edition gets a fresh
    :func:`_environment` (its globals are the edition's); parsing and compiling the 13
    templates took 0.3-0.5 s of each edition's render. Jinja stores the compiled code here under
    the template's name and file, with the source's checksum: an edited template (or another
    templates folder) is compiled again. Caveat: held in memory for the process's life (about
    1 MB for the project's templates).
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._compiled.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # ignored when the source's checksum differs

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _CompiledTemplates()


def _environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        bytecode_cache=_COMPILED_TEMPLATES,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # ``{#sec-x}`` is pandoc attribute syntax, so Jinja comments use ``{##  ##}``.
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters.update(
        fmt=md.fmt,
        pct=md.pct,
        humanise=md.humanise,
        p_value=md.p_value,
        evidence=md.evidence,
        plain=md.plain,
        union=lambda a, b: set(a) | set(b),
        children=children_count,
        number_word=md.number_word,
    )
    env.globals.update(
        pipe_table=md.pipe_table,
        child_share=child_share,
        indicator_row=md.indicator_row,
        callout=md.callout,
        verdict_words=findings.verdict_words,
        verdict_sentence=findings.verdict_sentence,
        evidence_short=evidence_short,
        evidence_parts=findings.evidence_parts,
        fieldwork_text=findings.fieldwork_text,
        fieldwork_short=findings.fieldwork_short,
        themes_text=findings.themes_text,
        md_figure=md.figure,
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
    ("borough", "borough.qmd.j2"),
    ("patterns", "patterns.qmd.j2"),
    ("groups", "groups.qmd.j2"),
    ("hypotheses", "hypothesis.qmd.j2"),
    ("recommendations", "recommendations.qmd.j2"),
    ("changes", "changes.qmd.j2"),
    ("annex", "annex.qmd.j2"),
    # Context from England's official statistics, not London's findings: after the annex.
    ("national", "national.qmd.j2"),
    ("methods", "methods.qmd.j2"),
)

#: The first chapter of the technical annex: the main text is every chapter before it.
ANNEX_FIRST = "sec-annex"


#: The tallest a figure may be, as a multiple of the text width (an A4 page's text is about 1.4
#: times as high as it is wide): taller charts are narrowed so they fit on one page.
MAX_FIGURE_ASPECT = 1.25


def _png_size(path: Path) -> tuple[int, int] | None:
    try:
        head = path.read_bytes()[:24]
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _fit_width(png: Path, width: str) -> str:
    """``width`` (``"75%"``), narrowed so that the figure is at most ``MAX_FIGURE_ASPECT`` text
    widths tall."""
    size = _png_size(png)
    if not size or not width.endswith("%") or size[0] == 0:
        return width
    ratio = size[1] / size[0]
    cap = int(100 * MAX_FIGURE_ASPECT / ratio) if ratio > 0 else 100
    return f"{min(float(width[:-1]), cap):g}%"


def write_sources(
    ctx: ReportContext, templates: Path, target: Path, edition_dir: Path | None = None
) -> list[Path]:
    """Fill the chapter templates into ``target/*.qmd``; returns the chapter files in order.

    The national chapter appears only when ``results/national.json`` exists, the "what changed"
    chapter only when the previous year's results were built. ``edition_dir`` (where the figures
    are) lets tall figures be narrowed to fit a page.
    """
    edition_dir = Path(edition_dir) if edition_dir is not None else Path(".")
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
        width = _fit_width(edition_dir / meta["png"], width)
        return md.figure(
            meta["png"],
            meta["caption"],
            meta["alt"],
            "fig-" + name.replace("_", "-"),
            width,
            data=meta.get("csv") or None,
        )

    def group_name() -> str:
        """The group a borough edition compares the borough with: the comparison scopes'
        group (its behaviour group, or its Inner/Outer London half when it is in none)."""
        group = ctx.group
        return (ctx.scopes.group if ctx.scopes else "") or (group["name"] if group else "")

    def compared_group() -> str:
        """The group column in running text, possessive: "its group's", or e.g. "Inner
        London's" when the borough is in no behaviour group."""
        gname = group_name()
        return f"{gname}'s" if gname and not ctx.group else "its group's"

    def borough_table(chapter: str) -> str:
        """The borough's own figures beside its group and London, for one chapter."""
        rows = ctx.borough.get(chapter)
        if not ctx.la_name or not rows:
            return ""
        # the group column is the comparison scopes' group: the behaviour group, or (the
        # borough in none) the group the scopes module compares it with instead
        group = ctx.group
        gname = group_name()
        london = "London" if ctx.coverage.full else "Boroughs in this dataset"
        if group:
            compared = f"its behaviour group ({gname})"
        elif gname:
            compared = f"{gname} (it is in no behaviour group)"
        else:
            compared = "its behaviour group (Group)"
        caption = f"{ctx.la_name} against {compared} and {london}"
        headers = ["Measure", ctx.la_name, gname or "Group (not grouped)", london]
        # A blank line first: a table directly under a paragraph would be read as its text.
        return "\n" + md.pipe_table(
            headers, rows, caption, widths=[52, 16, 16, 16], right=(1, 2, 3)
        )

    env.globals["figure"] = fig
    env.globals["titles"] = ctx.titles
    env.globals["borough_table"] = borough_table
    env.globals["compared_group"] = compared_group
    from analysis.document.totals import notes_for_chapter

    env.globals["totals_notes"] = lambda n: notes_for_chapter(ctx, n)
    files = []
    for name, template in CHAPTERS:
        if name == "national" and not (ctx.national and ctx.national.get("available", True)):
            continue
        if name == "changes" and not ctx.previous:
            continue
        if name == "borough" and not ctx.borough_page:
            continue
        if name == "hypotheses":
            for n, h in ctx.hypotheses.items():
                text = env.get_template(template).render(ctx=ctx, n=n, h=h)
                files.append(_write(target / f"{hypothesis_key(n)}.qmd", text))
            continue
        text = env.get_template(template).render(ctx=ctx, today=dt.date.today())
        files.append(_write(target / f"{name}.qmd", text))
    return files


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
