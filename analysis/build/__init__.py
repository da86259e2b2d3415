"""Orchestration of ``report build``: editions, Papermill workers, content cache, atomic publish.

:func:`build_command` is what the CLI calls; :func:`analysis.build.pipeline.run_build` does the
work. Exit codes: 0 built (or nothing to do), 1 invalid data or a failing notebook, 2 bad
command-line value (unknown borough, year not in the data, unknown engine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.build.editions import UnknownBoroughError, editions_to_build
from analysis.build.pipeline import (
    BuildFailed,
    BuildSettings,
    default_jobs,
    load_report_config,
    run_build,
)
from analysis.build.validation import DatasetFacts, InvalidDataset, dataset_facts
from analysis.caches import cache_root, using_root
from analysis.paths import CONFIG, OUTPUTS

ENGINES = ("auto", "quarto", "pandoc")

__all__ = ["build_command", "run_build", "BuildSettings", "BuildFailed"]


def build_command(
    *,
    data_dir: Path,
    year: int | None = None,
    borough: str | None = None,
    all_boroughs: bool = False,
    engine: str = "auto",
    jobs: int | None = None,
    output_root: Path | None = None,
    public_data: Path | None = None,
) -> int:
    """Run a build from command-line values, printing progress and a summary; returns the exit code."""
    from rich.console import Console

    console = Console(stderr=True)
    if engine not in ENGINES:
        console.print(f"[red]Unknown engine {engine!r}[/]: choose one of {', '.join(ENGINES)}.")
        return 2
    from analysis.document import quarto_available

    if engine == "quarto" and not quarto_available():
        console.print(
            "[red]--engine quarto: the quarto binary is not installed.[/] Use --engine pandoc."
        )
        return 2
    try:
        editions = editions_to_build(borough, all_boroughs)
    except UnknownBoroughError as exc:
        console.print(f"[red]Unknown borough {exc.given!r}.[/] Valid names (or DfE/ONS codes):")
        console.print(", ".join(exc.valid))
        return 2
    output_root = Path(output_root or OUTPUTS)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        console.print(f"[red]No dataset folder at {data_dir}[/]")
        return 2
    # one cache root for this build, its workers and their kernels (analysis.caches)
    with using_root(cache_root(output_root)):
        return _build(
            console, data_dir, output_root, editions, year, engine, jobs, public_data, all_boroughs
        )


def _build(
    console: Any,
    data_dir: Path,
    output_root: Path,
    editions: list[Any],
    year: int | None,
    engine: str,
    jobs: int | None,
    public_data: Path | None,
    all_boroughs: bool = False,
) -> int:
    """The rest of :func:`build_command`, inside the build's cache root."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.build import publish
    from analysis.contract.validate import print_file_roles

    print_file_roles(console, data_dir)
    restored = publish.recover(output_root)
    for item in restored:
        console.print(f"Recovered the previous {item} edition left by an interrupted build.")
    try:
        facts: DatasetFacts = dataset_facts(data_dir, output_root)
    except InvalidDataset as exc:
        from analysis.contract.validate import DEFAULT_PROBLEMS_CSV, write_problems_csv

        console.print(exc.render())
        csv_path = write_problems_csv(exc.problems, DEFAULT_PROBLEMS_CSV)
        console.print(f"All {len(exc.problems)} problem(s) written to {csv_path}")
        console.print("[red]The dataset is invalid: nothing was built.[/]")
        return 1
    report_year = year if year is not None else facts.latest_year
    if report_year not in facts.years:
        console.print(
            f"[red]Year {report_year} is not in the data[/] (years present: "
            + ", ".join(map(str, facts.years))
            + ")."
        )
        return 2
    covered = set(facts.metadata.get("boroughs_in_data") or ())
    if covered and len(covered) < 33:  # a dataset of some boroughs: only their editions
        outside = [e for e in editions if e.la_name is not None and e.la_name not in covered]
        if outside and not all_boroughs:
            console.print(
                f"[red]{outside[0].la_name} is not in this dataset[/] (boroughs in it: "
                + ", ".join(sorted(covered))
                + ")."
            )
            return 2
        if outside:
            console.print(
                f"{len(outside)} borough edition(s) left out: the dataset covers "
                f"{len(covered)} of the 33 London local authorities."
            )
            editions = [e for e in editions if e not in outside]
    previous = report_year - 1 if (report_year - 1) in facts.years else None
    settings = BuildSettings(
        data_dir=data_dir,
        year=report_year,
        editions=editions,
        output_root=output_root,
        engine=engine,
        jobs=jobs or default_jobs(),
        public_data=Path(public_data) if public_data else None,
        config_dir=CONFIG,
        previous_year=previous,
        metadata=facts.metadata,
        report_config=load_report_config(CONFIG),
    )

    def bar() -> Progress:
        return Progress(
            TextColumn("{task.description:<32}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    try:
        summary = run_build(settings, progress_factory=bar)
    except BuildFailed as exc:
        console.print(f"[red]Build failed:[/] {exc}")
        console.print("Nothing was published; the previous outputs are unchanged.")
        return 1
    where = output_root / str(report_year)
    if summary.published:
        console.print(
            f"Built {len(summary.published)} edition(s) of {report_year} into {where} "
            f"({summary.executed} notebook run(s), {summary.from_cache} from cache, "
            f"{summary.seconds:.1f} s"
            + (
                ": " + ", ".join(f"{k} {v:.1f} s" for k, v in summary.stages.items())
                if summary.stages
                else ""
            )
            + ")."
        )
    if summary.unchanged:
        console.print(
            f"{len(summary.unchanged)} edition(s) unchanged since the last build: nothing to do."
        )
    return 0
