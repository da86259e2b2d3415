"""``report build``: validate, execute the notebooks per edition (cached), render, publish.

Flow for one run:

1. recover from any interrupted earlier build (:mod:`analysis.build.publish`);
2. hash the input files; validate the dataset (result cached by the data hash), stop with the
   problem list if it is invalid - nothing is built and earlier outputs are untouched;
3. for every edition x notebook compute the content key; execute only the misses, in worker
   processes that each keep one kernel (:mod:`analysis.build.execute`);
4. a failing notebook stops the build: the message names the notebook, cell and error, the
   staging folders are deleted and nothing is published;
5. assemble and render each edition in its staging folder, then swap them all into
   ``outputs/<year>/<edition>`` and write ``outputs/<year>/index.html``.

An edition whose inputs, notebooks and report sources are all unchanged is not touched at all.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analysis.build import publish
from analysis.build.cache import NotebookCache
from analysis.build.editions import Edition
from analysis.build.execute import NotebookOutcome, NotebookTask, run_in_worker_kernel
from analysis.caches import ENV_VAR as CACHE_ENV_VAR
from analysis.caches import cache_dir, cache_root
from analysis.document import (
    choose_engine,
    render_edition,
    renderer_fingerprint,
    renderer_info,
    write_index,
)
from analysis.hashing import (
    digest,
    directory_hashes,
    inputs_for,
    notebook_key,
    package_version,
)
from analysis.outputs import read_json, write_json
from analysis.paths import CONFIG, NOTEBOOKS, REPORT_SOURCES
from analysis.yaml_files import read_yaml

BUILD_MANIFEST = "build.json"
PREVIOUS_YEAR_DIR = "previous"


class BuildFailed(RuntimeError):
    """A notebook or the rendering failed; nothing from this run was published."""


@dataclass
class BuildSettings:
    """Everything one build needs to know (resolved from the command line and config)."""

    data_dir: Path
    year: int
    editions: list[Edition]
    output_root: Path
    engine: str = "auto"
    jobs: int = 2
    public_data: Path | None = None
    notebooks_dir: Path = NOTEBOOKS
    config_dir: Path = CONFIG
    report_sources: Path = REPORT_SOURCES
    previous_year: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    report_config: dict[str, Any] = field(default_factory=dict)
    render: bool = True

    def __post_init__(self) -> None:
        # Notebooks execute in their own folder and pandoc in the edition's staging folder, so
        # every path handed to them is made absolute here, whatever the caller's working folder.
        self.data_dir = Path(self.data_dir).resolve()
        self.output_root = Path(self.output_root).resolve()
        self.public_data = Path(self.public_data).resolve() if self.public_data else None
        self.notebooks_dir = Path(self.notebooks_dir).resolve()
        self.config_dir = Path(self.config_dir).resolve()
        self.report_sources = Path(self.report_sources).resolve()


@dataclass
class BuildSummary:
    year: int
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    executed: int = 0
    from_cache: int = 0
    seconds: float = 0.0
    #: wall-clock seconds of the stages: notebooks, assembly + rendering, publishing
    stages: dict[str, float] = field(default_factory=dict)


def load_report_config(config_dir: Path = CONFIG) -> dict[str, Any]:
    """``config/report.yaml`` with the hypotheses' notebook lists, inputs and typical seconds
    derived from the hypothesis registry (:func:`analysis.hypotheses.registry.notebook_settings`)."""
    from analysis.hypotheses.registry import notebook_settings

    path = Path(config_dir) / "report.yaml"
    return notebook_settings(read_yaml(path) if path.exists() else {}, config_dir)


def discover_notebooks(folder: Path, order: Sequence[str]) -> list[Path]:
    """The notebooks in ``folder`` (``_*.ipynb`` and checkpoints skipped): configured order
    first, then any others alphabetically."""
    found = {p.stem: p for p in sorted(Path(folder).glob("*.ipynb")) if not p.stem.startswith("_")}
    ordered = [found.pop(name) for name in order if name in found]
    return ordered + [found[k] for k in sorted(found)]


def notebook_parameters(settings: BuildSettings, edition: str, year: int) -> dict[str, Any]:
    """The Papermill parameters shared by every notebook (``output_dir`` set per run)."""
    return {
        "data_dir": str(Path(settings.data_dir).resolve()),
        "year": int(year),
        "edition": edition,
        "output_dir": "",
        "seed": int(settings.report_config.get("seed", 0)),
        "config_dir": str(Path(settings.config_dir).resolve()),
        "public_data_dir": str(Path(settings.public_data).resolve())
        if settings.public_data
        else "",
    }


@dataclass
class PlannedRun:
    """One notebook for one edition (and year): its key and whether the cache has it."""

    edition: str
    year: int
    notebook: Path
    parameters: dict[str, Any]
    key: str
    cached: bool
    target: str  # edition slug, or "previous": London's previous-year results, used by all


def _config_hashes(config_dir: Path) -> dict[str, str]:
    """Hashes of the configuration YAML files (editor backups and caches ignored)."""
    return {
        k: v
        for k, v in directory_hashes(config_dir).items()
        if k.endswith((".yaml", ".yml", ".csv", ".json"))
    }


def plan_runs(
    settings: BuildSettings,
    notebooks: list[Path],
    data_hashes: dict[str, str],
    cache: NotebookCache,
) -> list[PlannedRun]:
    """Every notebook execution the build needs, with content keys."""
    config_hashes = _config_hashes(settings.config_dir)
    public_hashes = directory_hashes(settings.public_data) if settings.public_data else {}
    deps: dict[str, list[str]] = settings.report_config.get("notebook_inputs", {}) or {}
    runs: list[PlannedRun] = []
    jobs: list[tuple[str, int, str]] = [(e.slug, settings.year, e.slug) for e in settings.editions]
    if settings.previous_year is not None:
        jobs.append(("london", settings.previous_year, PREVIOUS_YEAR_DIR))
    previous_only = settings.report_config.get("previous_year_notebooks")
    for edition, year, target in jobs:
        params = notebook_parameters(settings, edition, year)
        for nb in notebooks:
            if target == PREVIOUS_YEAR_DIR and previous_only and nb.stem not in previous_only:
                continue
            inputs = inputs_for(data_hashes, deps.get(nb.stem))
            if nb.stem == "national":
                inputs = {**inputs, **{f"public/{k}": v for k, v in public_hashes.items()}}
            # the previous year's runs draw no figures (their results feed "what changed")
            key_params = {**params, "_figures": target != PREVIOUS_YEAR_DIR}
            key = notebook_key(nb, key_params, inputs, config_hashes)
            runs.append(PlannedRun(edition, year, nb, params, key, cache.has(key), target))
    return runs


def edition_key(settings: BuildSettings, runs: list[PlannedRun], edition: str) -> str:
    """Key of a whole published edition: its notebook keys, the report sources and renderer."""
    keys = sorted(r.key for r in runs if r.target in (edition, PREVIOUS_YEAR_DIR))
    return digest(
        {
            "notebooks": keys,
            "report_sources": directory_hashes(settings.report_sources),
            "config": _config_hashes(settings.config_dir),
            "renderer": renderer_fingerprint(),
            "engine": _renderer(settings.engine),
            "version": package_version(),
            "metadata": settings.metadata,
        }
    )


def _renderer(engine: str) -> dict[str, str]:
    """The engine ``engine`` resolves to on this machine and its version (``auto`` is Quarto
    when installed): part of the edition key and recorded in ``build.json``."""
    return renderer_info(choose_engine(engine))


def _unchanged(settings: BuildSettings, edition: str, key: str) -> bool:
    manifest = publish.published_dir(settings.output_root, settings.year, edition) / BUILD_MANIFEST
    if not manifest.exists():
        return False
    try:
        return read_json(manifest).get("edition_key") == key
    except (ValueError, OSError):
        return False


def _execute_missing(
    runs: list[PlannedRun],
    settings: BuildSettings,
    scratch: Path,
    cache: NotebookCache,
    progress: Callable[[NotebookOutcome], None],
) -> list[NotebookOutcome]:
    """Execute the cache misses in worker processes; stop at the first failure."""
    html_setting = settings.report_config.get("notebook_html", True)
    tasks = []
    seen: set[str] = set()
    for r in runs:
        if r.cached or r.key in seen:
            continue
        seen.add(r.key)
        workdir = scratch / r.key
        # the previous year's runs feed only "what changed": no figures, no reviewer page
        current = r.target != PREVIOUS_YEAR_DIR
        html = current and (
            html_setting is True or (html_setting == "london" and r.edition == "london")
        )
        # named with its year when it is last year's (progress and error messages)
        label = r.edition if current else f"{r.edition} {r.year}"
        tasks.append(NotebookTask(r.notebook, label, r.parameters, workdir, r.key, html, current))
    outcomes: list[NotebookOutcome] = []
    if not tasks:
        return outcomes
    tasks = longest_first(tasks, settings.report_config.get("notebook_seconds", {}) or {})
    # the workers' kernels inherit the build's cache root (analysis.caches), and with it the
    # figure cache: identical figures (London-level charts in every edition) are drawn once
    # (analysis.figure_cache); a figure cache folder set by the user wins
    from analysis.figure_cache import ENV_VAR

    worker_env = {
        CACHE_ENV_VAR: str(cache_root(settings.output_root)),
        ENV_VAR: os.environ.get(ENV_VAR) or str(cache_dir("figures", settings.output_root)),
    }
    with ProcessPoolExecutor(
        max_workers=max(1, min(settings.jobs, len(tasks))),
        initializer=_set_environment,
        initargs=(worker_env,),
    ) as pool:
        pending: set[Future[NotebookOutcome]] = {
            pool.submit(run_in_worker_kernel, t) for t in tasks
        }
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION, timeout=1)
            for fut in done:
                outcome = fut.result()
                outcomes.append(outcome)
                progress(outcome)
                if not outcome.ok:
                    for other in pending:
                        other.cancel()
                    raise BuildFailed(outcome.message())
                cache.store(outcome.key, scratch / outcome.key)
    return outcomes


def longest_first(tasks: list[NotebookTask], seconds: dict[str, float]) -> list[NotebookTask]:
    """Tasks in decreasing order of their expected run time (longest-processing-time-first).

    With a pool of workers the build ends when its slowest worker does; starting the long
    notebooks first keeps one long notebook from running alone at the end. ``seconds`` gives
    a notebook's typical time (config ``notebook_seconds``; unknown notebooks count as 1 s);
    a run that draws no figures (previous year) counts as a third of that. Ties keep their
    planned order, so the order is deterministic.
    """

    def expected(task: NotebookTask) -> float:
        base = float(seconds.get(task.notebook.stem, 1.0))
        return base if task.figures else base / 3

    return sorted(tasks, key=expected, reverse=True)


def _set_environment(values: dict[str, str]) -> None:
    """Worker initialiser: environment for this worker and the kernel it starts."""
    os.environ.update(values)


def _render_one(args: tuple[Path, dict[str, Any]]) -> str:
    staged, options = args
    render_edition(staged, **options)
    return str(staged)


def run_build(settings: BuildSettings, *, progress_factory: Any = None) -> BuildSummary:
    """Build the requested editions; raises :class:`BuildFailed` (nothing published) on error."""
    start = time.perf_counter()
    summary = BuildSummary(year=settings.year)
    publish.recover(settings.output_root)  # leftovers of an interrupted build, if any
    cache = NotebookCache(cache_dir("notebooks", settings.output_root))
    data_hashes = directory_hashes(settings.data_dir)
    from analysis.hypotheses.registry import notebooks_for_build

    notebooks = notebooks_for_build(  # and each registered hypothesis's chapter (its layout)
        settings.notebooks_dir,
        discover_notebooks(
            settings.notebooks_dir, settings.report_config.get("notebook_order", [])
        ),
        cache_dir("notebooks", settings.output_root),
        settings.config_dir,
        settings.report_config.get("notebook_order"),
    )
    runs = plan_runs(settings, notebooks, data_hashes, cache)
    keys = {e.slug: edition_key(settings, runs, e.slug) for e in settings.editions}
    todo = [e for e in settings.editions if not _unchanged(settings, e.slug, keys[e.slug])]
    summary.unchanged = [e.slug for e in settings.editions if e not in todo]
    if not todo:
        summary.seconds = time.perf_counter() - start
        return summary
    wanted = {e.slug for e in todo}
    runs = [r for r in runs if r.target in wanted or r.target == PREVIOUS_YEAR_DIR]
    scratch = publish.new_staging_dir(settings.output_root, settings.year, "_work")
    staged: dict[str, Path] = {}
    try:
        with _progress(progress_factory, sum(not r.cached for r in runs)) as tick:
            outcomes = _execute_missing(runs, settings, scratch, cache, tick)
        summary.stages["notebooks"] = time.perf_counter() - start
        summary.executed = len(outcomes)
        summary.from_cache = sum(r.cached for r in runs)
        restore_start = time.perf_counter()
        for e in todo:
            staged[e.slug] = publish.new_staging_dir(settings.output_root, settings.year, e.slug)
        for r in runs:
            if r.target == PREVIOUS_YEAR_DIR:
                for path in staged.values():
                    cache.restore(r.key, path / PREVIOUS_YEAR_DIR)
            else:
                cache.restore(r.key, staged[r.target])
        from analysis.disclosure_results import control_results

        for path in staged.values():  # results as published: declared counts 1-5 withheld
            control_results(path)
        render_start = time.perf_counter()
        summary.stages["restore"] = render_start - restore_start
        if settings.render:
            options = [
                (
                    staged[e.slug],
                    {
                        "edition": e.slug,
                        "la_name": e.la_name,
                        "year": settings.year,
                        "previous_year": settings.previous_year,
                        "metadata": settings.metadata,
                        "data_hashes": data_hashes,
                        "parameters": notebook_parameters(settings, e.slug, settings.year),
                        "engine": settings.engine,
                        "config_dir": settings.config_dir,
                        "report_sources": settings.report_sources,
                    },
                )
                for e in todo
            ]
            try:
                if settings.jobs > 1 and len(options) > 1:
                    with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
                        list(pool.map(_render_one, options))
                else:
                    for item in options:
                        _render_one(item)
            except Exception as exc:
                raise BuildFailed(
                    f"rendering the report failed: {type(exc).__name__}: {exc}"
                ) from exc
        summary.stages["render"] = time.perf_counter() - render_start
        audit_start = time.perf_counter()
        audit_staged_editions(
            staged,
            settings.output_root,
            settings.year,
            settings.jobs,
            london_current=_london_current(settings, notebooks, data_hashes, cache),
            data_dir=settings.data_dir,
        )
        summary.stages["audit"] = time.perf_counter() - audit_start
        publish_start = time.perf_counter()
        renderer = _renderer(settings.engine) if settings.render else None
        for e in todo:
            write_json(
                staged[e.slug] / BUILD_MANIFEST,
                {
                    "edition": e.slug,
                    "edition_key": keys[e.slug],
                    "year": settings.year,
                    "renderer": renderer if settings.render else None,
                },
            )
        for e in todo:
            publish.publish(staged.pop(e.slug), settings.output_root, settings.year, e.slug)
            summary.published.append(e.slug)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        for path in staged.values():
            shutil.rmtree(path, ignore_errors=True)
    write_index(settings.output_root / str(settings.year), settings.metadata)
    if "render" in summary.stages:
        summary.stages["publish"] = time.perf_counter() - publish_start
    summary.seconds = time.perf_counter() - start
    return summary


def _audit_one(item: tuple[str, Path, Path | None]) -> list[str]:
    from analysis.disclosure_audit import audit_edition

    slug, path, beside = item
    return [
        f"{slug}: {f.table} {f.row} {f.column}: {f.kind} ({f.detail})"
        for f in audit_edition(path, beside)
    ]


def _london_current(
    settings: BuildSettings,
    notebooks: list[Path],
    data_hashes: dict[str, str],
    cache: NotebookCache,
) -> bool | None:
    """Whether the published London edition is the one this build would publish (same edition
    key: data, code, config, renderer); None when this build publishes London itself or none is
    published. A borough edition is audited beside it (:func:`audit_staged_editions`)."""
    if any(e.is_london for e in settings.editions):
        return None
    manifest = publish.published_dir(settings.output_root, settings.year, "london") / BUILD_MANIFEST
    if not manifest.exists():
        return None
    london = replace(settings, editions=[Edition("london")])
    key = edition_key(london, plan_runs(london, notebooks, data_hashes, cache), "london")
    return _unchanged(settings, "london", key)


#: Problems listed when the audit fails; the rest are counted.
AUDIT_LINES_SHOWN = 20
#: Problems listed when the London edition beside was built from something else (the cause).
AUDIT_LINES_SHOWN_STALE = 5


def audit_staged_editions(
    staged: dict[str, Path],
    output_root: Path,
    year: int,
    jobs: int = 1,
    *,
    london_current: bool | None = None,
    data_dir: Path | None = None,
) -> None:
    """The attacker's audit (:mod:`analysis.disclosure_audit`) of every staged edition, each
    beside the London edition it is published with (staged, else already published): raises
    :class:`BuildFailed` before anything is published when a suppressed count can be worked out.
    ``london_current`` False (the published London edition was built from other data, code or
    settings) makes the message lead with that mismatch, the likely cause.
    """
    london = staged.get("london") or publish.published_dir(output_root, year, "london")
    items = [
        (slug, path, london if slug != "london" else None) for slug, path in sorted(staged.items())
    ]
    if jobs > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_audit_one, items))
    else:
        results = [_audit_one(item) for item in items]
    problems = [p for result in results for p in result]
    if not problems:
        return
    if london_current is False:
        shown = problems[:AUDIT_LINES_SHOWN_STALE]
        more = (
            f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        )
        raise BuildFailed(
            f"the London edition in {london} was built from other data, code or settings than "
            "this build. A borough edition is published beside the London edition and audited "
            "with it, so the two disagree: the disclosure audit found "
            f"{len(problems)} contradiction(s) or recoverable count(s) and nothing was published. "
            f"Build the London edition from this data first (report build --data "
            f"{data_dir or 'DIR'}, same --output), or build this borough edition into an output folder of its own "
            "(--output DIR). The first problems:\n  " + "\n  ".join(shown) + more
        )
    shown = problems[:AUDIT_LINES_SHOWN]
    more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    raise BuildFailed(
        f"disclosure audit: {len(problems)} suppressed count(s) could be worked out from "
        "what would be published; nothing was published:\n  "
        + "\n  ".join(shown)
        + more
        + (
            ""
            if "london" in staged or london_current
            else "\nEach borough edition is audited beside the published London edition: if "
            f"{london} was built from other data or code, rebuild it first (report build)."
        )
    )


class _progress:
    """A rich progress bar over notebook executions (silent when no factory is given)."""

    def __init__(self, factory: Any, total: int) -> None:
        self.factory, self.total, self.bar, self.task = factory, total, None, None

    def __enter__(self) -> Callable[[NotebookOutcome], None]:
        if self.factory is not None and self.total:
            self.bar = self.factory()
            self.bar.__enter__()
            self.task = self.bar.add_task("Executing notebooks", total=self.total)

        def tick(outcome: NotebookOutcome) -> None:
            if self.bar is not None:
                self.bar.update(
                    self.task, advance=1, description=f"{outcome.edition}: {outcome.notebook}"
                )

        return tick

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)
