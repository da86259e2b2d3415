"""Load a dataset: read (or take in memory) -> normalise -> validate -> derive -> :class:`Dataset`.

``load_dataset`` and ``dataset_from_frames`` share one path after reading, so the in-memory
frames of the simulation study are held to exactly the same contract as files.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.contract import rules
from analysis.contract.derive import add_derived_fields, add_home_geography
from analysis.contract.discover import discover
from analysis.contract.normalise import match_columns, normalise_table
from analysis.contract.problems import (
    ERROR,
    WARNING,
    DataValidationError,
    Problem,
    errors_only,
    in_reading_order,
)
from analysis.contract.reader import heading_key, read_metadata, read_table_parts
from analysis.contract.schemas import TABLE_SPECS
from analysis.dataset import OPTIONAL_TABLES, REQUIRED_TABLES, Dataset
from analysis.snapshot import resolve_resent_episodes


def expected_headings(table: str) -> set[str]:
    """Headings (normalised) a table's file may carry: canonical names and aliases."""
    spec = TABLE_SPECS[table]
    return {heading_key(h) for c in spec.columns for h in (c.name, *c.aliases)}


def read_dataset_dir(
    data_dir: Path,
) -> tuple[dict[str, pd.DataFrame], dict[str, Path], list[Problem]]:
    """Read every table file of a dataset directory as text; problems for what cannot be read."""
    frames: dict[str, pd.DataFrame] = {}
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    if not data_dir.is_dir():
        return frames, files, [Problem("", None, "", str(data_dir), "dataset directory not found")]
    found = discover(data_dir)
    problems += [Problem(table, None, "", "", note, WARNING) for table, note in found.notes]
    problems += [  # the hint a "required table missing" needs: which files were not used, why
        Problem("", None, "", path.name, f"file not used: {why}", WARNING)
        for path, why in found.unused
    ]
    for table in REQUIRED_TABLES + OPTIONAL_TABLES:
        paths = found.sources.get(table)
        if not paths:
            continue
        result = read_table_parts(table, paths, expected_headings(table))
        problems += result.problems
        files[table] = paths[0]
        if result.frame is not None:
            frames[table] = result.frame
    return frames, files, problems


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """An in-memory file-format frame as text cells, rows numbered as if written to CSV."""
    out = pd.DataFrame(index=pd.RangeIndex(2, 2 + len(frame)))
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(values):
            text = values.map({True: "Y", False: "N"})
        elif pd.api.types.infer_dtype(values, skipna=False) in ("string", "integer"):
            # every cell already a str (or an int): the cell-by-cell branch gives str(v) for
            # each, so convert the column at once (a generated dataset's tables are this)
            text = values.astype("str")
        else:
            text = values.map(
                lambda v: (
                    None
                    if v is None or (not isinstance(v, str) and pd.isna(v))
                    else (str(v) if not isinstance(v, float) or v % 1 else str(int(v)))
                )
            )
        text = text.astype("str").str.strip()
        out[str(column).strip()] = text.where(text.ne("")).astype("str").to_numpy()
    return out


def _repeated_columns(frame: pd.DataFrame) -> list[str]:
    """Column names (as written, spaces stripped) that appear more than once in ``frame``."""
    names = pd.Series([str(c).strip() for c in frame.columns])
    return sorted(set(names[names.duplicated()]))


def as_file_headings(problem: Problem, headings: dict[str, dict[str, str]]) -> Problem:
    """The problem with its column named by the file's own heading (``Overall experiences and
    progress of children and young people``, not ``grade``) when the file spells it otherwise."""
    heading = headings.get(problem.table, {}).get(problem.column)
    if heading is None or heading == problem.column:
        return problem
    return dataclasses.replace(problem, column=heading)


def check_and_build(
    frames: dict[str, pd.DataFrame],
    *,
    year: int | None,
    read_problems: list[Problem],
) -> tuple[dict[str, pd.DataFrame] | None, list[Problem]]:
    """Normalise and validate text tables; the canonical tables when no error, and all problems."""
    problems = list(read_problems)
    unreadable = {p.table for p in read_problems if p.severity == ERROR}
    for table in REQUIRED_TABLES:
        if table not in frames and table not in unreadable:
            problems.append(Problem(table, None, "", "", "required table missing"))
    canonical: dict[str, pd.DataFrame] = {}
    headings: dict[str, dict[str, str]] = {}
    for table, frame in frames.items():
        rename, _, _ = match_columns(frame, TABLE_SPECS[table])
        headings[table] = {canonical_name: heading for heading, canonical_name in rename.items()}
        table_frame, table_problems = normalise_table(frame, TABLE_SPECS[table])
        problems += table_problems
        canonical[table] = table_frame
    if "homes" in canonical:
        canonical["homes"], home_problems = rules.childrens_homes_only(canonical["homes"])
        problems += home_problems
    already = {(p.table, p.row, p.column) for p in problems}
    for table, frame in canonical.items():
        for problem in rules.schema_problems(table, frame):
            if (problem.table, problem.row, problem.column) not in already:
                problems.append(problem)

    boroughs = canonical.get("boroughs", london_boroughs())
    if "homes" in canonical and "local_authority" in canonical["homes"]:
        canonical["homes"] = add_home_geography(
            canonical["homes"], frozenset(boroughs["ons_code"].dropna())
        )
        problems += rules.home_la_problems(canonical["homes"])
    homes = canonical.get("homes")
    if "header" in canonical:
        problems += rules.header_code_problems(canonical["header"])
    if "episodes" in canonical:
        episodes = canonical["episodes"]
        problems += rules.ssda_year_code_problems(episodes)
        problems += rules.episode_date_problems(episodes)
        problems += rules.liia_code_problems(episodes)
        problems += rules.episode_urn_problems(episodes, homes)
        problems += rules.snapshot_year_problems(episodes, year)
        episodes, dropped = resolve_resent_episodes(episodes)
        canonical["episodes"] = episodes
        problems += rules.resent_episode_problems(dropped)
    if "referrals" in canonical:
        problems += rules.urn_problems("referrals", canonical["referrals"], homes, "warning")
        problems += rules.referral_consistency_problems(canonical["referrals"])
    if "costs" in canonical:
        problems += rules.cost_total_problems(canonical["costs"])

    problems = in_reading_order([as_file_headings(p, headings) for p in problems])
    if errors_only(problems):
        return None, problems
    canonical["episodes"] = add_derived_fields(canonical["episodes"], canonical["homes"], boroughs)
    if "boroughs" not in canonical:
        canonical["boroughs"] = london_boroughs().drop(columns=["slug"], errors="ignore")
    tables = {name: frame.reset_index(drop=True) for name, frame in canonical.items()}
    return tables, problems


def validate_dir(
    data_dir: Path, *, year: int | None = None
) -> tuple[Dataset | None, list[Problem]]:
    """Read and check a dataset directory; the Dataset (None when any error) and every problem."""
    data_dir = Path(data_dir)
    frames, files, problems = read_dataset_dir(data_dir)
    metadata, meta_problems = read_metadata(data_dir) if data_dir.is_dir() else ({}, [])
    tables, problems = check_and_build(frames, year=year, read_problems=problems + meta_problems)
    if tables is None:
        return None, problems
    return Dataset(tables=tables, source_dir=data_dir, metadata=metadata, files=files), problems


def load_dataset(data_dir: Path, *, year: int | None = None) -> Dataset:
    """Read, normalise, validate and derive a dataset directory (see :mod:`analysis.dataset`).

    Raises :class:`DataValidationError` listing every problem when any is an error; warnings
    (unknown columns, etc.) are kept in ``Dataset.metadata["warnings"]`` as Problems.
    """
    dataset, problems = validate_dir(Path(data_dir), year=year)
    if dataset is None:
        raise DataValidationError(problems)
    dataset.warnings = problems
    return dataset


def dataset_from_frames(
    frames: dict[str, pd.DataFrame],
    *,
    metadata: dict[str, Any] | None = None,
    year: int | None = None,
) -> Dataset:
    """The same normalisation and validation for in-memory tables in file format.

    ``frames`` maps table names to frames with the contract's column names (any types: they
    are written to text first, as a file would be). Raises :class:`DataValidationError`.
    """
    known = set(REQUIRED_TABLES + OPTIONAL_TABLES)
    problems = [
        Problem(name, None, "", "", "unknown table (ignored)", "warning")
        for name in frames
        if name not in known
    ]
    repeated = [
        Problem(name, None, column, "", "column name appears more than once", ERROR)
        for name, frame in frames.items()
        if name in known
        for column in _repeated_columns(frame)
    ]
    if repeated:  # a file's reader would have renamed them; in memory it is a caller's error
        raise DataValidationError(problems + repeated)
    text_frames = {name: _text_frame(frame) for name, frame in frames.items() if name in known}
    tables, problems = check_and_build(text_frames, year=year, read_problems=problems)
    if tables is None:
        raise DataValidationError(problems)
    return Dataset(
        tables=tables,
        source_dir=Path("<memory>"),
        metadata=dict(metadata or {}),
        files={},
        warnings=problems,
    )
