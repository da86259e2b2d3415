"""``report validate``: check a dataset directory and tell the analyst what to fix.

The report is local (it may show cell values such as CHILD ids, to find the row); it is never
part of a published output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from analysis.contract.loader import validate_dir
from analysis.contract.problems import ERROR, Problem, problems_frame

DEFAULT_PROBLEMS_CSV = Path("validation_problems.csv")
#: rows shown on screen; the CSV always has them all.
MAX_SHOWN = 200


def problems_table(problems: list[Problem], limit: int = MAX_SHOWN) -> Table:
    """A rich table of problems: table / row / column / value / rule (and severity)."""
    table = Table(title="Problems found", show_lines=False)
    sources = any(p.source for p in problems)
    for heading in ("table", "row", "column", "value", "rule", "severity"):
        table.add_column(heading, overflow="fold")
    if sources:
        table.add_column("in the file you gave", overflow="fold")
    for p in problems[:limit]:
        row = "" if p.row is None else str(p.row)
        cells = [p.table, row, p.column, p.value[:60], p.rule, p.severity]
        table.add_row(*cells, *([p.source] if sources else []))
    return table


def summary_table(dataset_tables: dict[str, pd.DataFrame]) -> Table:
    """Rows per table of a valid dataset."""
    table = Table(title="Dataset is valid")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, frame in sorted(dataset_tables.items()):
        table.add_row(name, f"{len(frame):,}")
    return table


def print_file_roles(console: Console, data_dir: Path) -> None:
    """Print which file was read as which table and which files were not used (and why)."""
    from analysis.contract.discover import discover

    lines = discover(data_dir).describe()
    if lines:
        console.print(f"Files in {data_dir}:")
        for line in lines:
            console.print("  " + line, markup=False, highlight=False)


def write_problems_csv(problems: list[Problem], path: Path) -> Path:
    """Write every problem to ``path`` (UTF-8 CSV, one row per problem)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    problems_frame(problems).to_csv(path, index=False)
    return path


def validate_command(
    data_dir: Path,
    year: int | None = None,
    problems_csv: Path | None = None,
    source_of: Callable[[Problem], str] | None = None,
) -> int:
    """Validate ``data_dir``; print problems or a summary; return 1 on any error, else 0.

    The problems CSV (default ``validation_problems.csv`` in the current directory) is written
    whenever there is any problem, errors or warnings. ``source_of`` gives each problem's
    ``source`` (``report import``: the return file and row the dataset's row came from).
    """
    console = Console()
    print_file_roles(console, Path(data_dir))
    try:
        dataset, problems = validate_dir(Path(data_dir), year=year)
    except Exception as exc:  # a bug, not a data problem: say so plainly, no traceback
        console.print(f"[red]Unexpected error while validating {data_dir}: {exc!r}[/red]")
        return 2
    if source_of is not None:
        problems = [replace(p, source=source_of(p)) for p in problems]
    errors = [p for p in problems if p.severity == ERROR]
    if problems:
        console.print(problems_table(problems))
        if len(problems) > MAX_SHOWN:
            console.print(f"... and {len(problems) - MAX_SHOWN} more (all in the CSV).")
        csv_path = write_problems_csv(problems, problems_csv or DEFAULT_PROBLEMS_CSV)
        console.print(f"All problems written to {csv_path}")
    if errors:
        by_table = pd.Series([p.table for p in errors]).value_counts().sort_index()
        counts = ", ".join(f"{t or '(dataset)'}: {n}" for t, n in by_table.items())
        console.print(f"[red]{len(errors)} error(s) in {data_dir}[/red] ({counts}). Nothing built.")
        return 1
    assert dataset is not None
    console.print(summary_table(dataset.tables))
    warnings = len(problems)
    console.print(
        f"[green]{data_dir} meets the data contract[/green]"
        + (f" ({warnings} warning(s))." if warnings else ".")
    )
    return 0
