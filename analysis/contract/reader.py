"""Reading a dataset directory: find each table's file, decode it, find its header row.

Every table is read as text (no type guessing: a CHILD id ``007`` stays ``007``); parsing to
dates and numbers is :mod:`analysis.contract.normalise`'s job. The frame's index is the row
number the user sees in Excel or a text editor, so problems can point at it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.contract.problems import ERROR, WARNING, Problem

SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".ods")
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252")
#: how many rows above the header an XLSX may carry (titles, notes).
MAX_TITLE_ROWS = 30


@dataclass
class ReadResult:
    """A table read from its file: text frame indexed by file row number, or problems."""

    table: str
    path: Path | None
    frame: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)


def heading_key(text: object) -> str:
    """How headings are compared: trimmed, lower case, inner spaces collapsed."""
    return re.sub(r"\s+", " ", str(text).strip().lower())


def find_table_file(data_dir: Path, table: str) -> list[Path]:
    """Files in ``data_dir`` whose base name is ``table`` (any case) and suffix CSV/XLSX."""
    if not data_dir.is_dir():
        return []
    return sorted(
        p
        for p in data_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.stem.strip().lower() == table
    )


def decode_bytes(raw: bytes) -> tuple[str, str] | None:
    """Decode file bytes as UTF-8 (with or without BOM), else Windows-1252; ``None`` if neither."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None


def _clean_text_frame(frame: pd.DataFrame, first_row_number: int) -> pd.DataFrame:
    """Trim cells and headings, blank -> missing, number rows as the user sees them, drop blank rows."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(first_row_number, first_row_number + len(frame))
    for column in frame.columns:
        frame[column] = stripped_text(frame[column])
    return frame.dropna(how="all")


def stripped_text(values: pd.Series) -> pd.Series:
    """Cells trimmed of spaces, blank -> missing, as ``str`` (each distinct value handled once)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = [str(u).strip() or None for u in uniques] + [None]
    out = pd.Series(np.asarray(cleaned, dtype=object)[codes], index=values.index, dtype="str")
    return out


def read_csv_text(text: str) -> pd.DataFrame:
    """Parse CSV text with every cell as text; header on row 1, data from row 2."""
    frame = pd.read_csv(
        io.StringIO(text),
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
    )
    frame = frame.loc[
        :, [not str(c).startswith("Unnamed: ") or frame[c].ne("").any() for c in frame.columns]
    ]
    return _clean_text_frame(frame, first_row_number=2)


def find_header_row(grid: pd.DataFrame, expected: set[str]) -> int:
    """Position of the header row in a sheet read without header: the first of the top rows
    naming the most expected columns (ties -> earliest); row 0 when none names any."""
    best, best_hits = 0, 0
    for position in range(min(MAX_TITLE_ROWS, len(grid))):
        cells = {heading_key(v) for v in grid.iloc[position].dropna()}
        hits = len(cells & expected)
        if hits > best_hits:
            best, best_hits = position, hits
    return best


def read_xlsx(path: Path, expected: set[str]) -> pd.DataFrame:
    """Read the first sheet of an XLSX (or ODS), finding the header row below any title rows."""
    engine = "odf" if path.suffix.lower() == ".ods" else "openpyxl"
    grid = pd.read_excel(path, header=None, dtype=str, engine=engine)
    if grid.empty:
        raise pd.errors.EmptyDataError("no rows")
    header_position = find_header_row(grid, expected)
    header = [
        str(v).strip() if pd.notna(v) else f"Unnamed: {i}"
        for i, v in enumerate(grid.iloc[header_position])
    ]
    body = grid.iloc[header_position + 1 :].copy()
    body.columns = header
    keep = [c for c in body.columns if not c.startswith("Unnamed: ") or body[c].notna().any()]
    body = body[keep]
    # Excel rows are 1-based; the first data row sits just below the header.
    return _clean_text_frame(body, first_row_number=header_position + 2)


def read_table(data_dir: Path, table: str, expected: set[str]) -> ReadResult:
    """Read one table's file; problems (missing, ambiguous, empty, undecodable) instead of raising."""
    paths = find_table_file(data_dir, table)
    if not paths:
        return ReadResult(table, None, None)
    path = paths[0]
    problems: list[Problem] = []
    if len(paths) > 1:
        problems.append(
            Problem(
                table,
                None,
                "",
                ", ".join(p.name for p in paths),
                f"several files for this table; using {path.name}",
                WARNING,
            )
        )
    result = read_table_file(table, path, expected)
    result.problems[:0] = problems
    return result


def read_table_parts(table: str, paths: list[Path], expected: set[str]) -> ReadResult:
    """Read a table from one file or from its ``_partN`` pieces (same headings), joined in
    order. Rows of later pieces are numbered on from the previous piece (header counted once),
    so each problem's row is unique."""
    first = read_table_file(table, paths[0], expected)
    if len(paths) == 1 or first.frame is None:
        return first
    frames, problems = [first.frame], list(first.problems)
    for path in paths[1:]:
        part = read_table_file(table, path, expected)
        problems += part.problems
        if part.frame is None:
            return ReadResult(table, paths[0], None, problems)
        if list(part.frame.columns) != list(frames[0].columns):
            problems.append(
                Problem(table, None, "", path.name, "headings differ from the first part")
            )
            return ReadResult(table, paths[0], None, problems)
        offset = int(frames[-1].index.max()) - 1 if len(frames[-1]) else 0
        frames.append(part.frame.set_axis(part.frame.index + offset))
    return ReadResult(table, paths[0], pd.concat(frames), problems)


def read_table_file(table: str, path: Path, expected: set[str]) -> ReadResult:
    """Read one file as ``table``; problems (empty, undecodable, unparseable) instead of raising."""
    problems: list[Problem] = []
    try:
        if path.suffix.lower() in {".xlsx", ".ods"}:
            frame = read_xlsx(path, expected)
        else:
            decoded = decode_bytes(path.read_bytes())
            if decoded is None:
                problems.append(
                    Problem(
                        table, None, "", path.name, "file is neither UTF-8 nor Windows-1252 text"
                    )
                )
                return ReadResult(table, path, None, problems)
            frame = read_csv_text(decoded[0])
    except pd.errors.EmptyDataError:
        problems.append(Problem(table, None, "", path.name, "file is empty (no header row)"))
        return ReadResult(table, path, None, problems)
    except pd.errors.ParserError as exc:
        problems.append(Problem(table, None, "", path.name, f"cannot parse CSV: {exc}"))
        return ReadResult(table, path, None, problems)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError) as exc:
        problems.append(
            Problem(table, None, "", path.name, f"cannot read file: {type(exc).__name__}: {exc}")
        )
        return ReadResult(table, path, None, problems)
    except Exception as exc:  # openpyxl raises its own exception types on corrupt workbooks
        problems.append(
            Problem(
                table, None, "", path.name, f"cannot read file: {type(exc).__name__}: {exc}", ERROR
            )
        )
        return ReadResult(table, path, None, problems)
    return ReadResult(table, path, frame, problems)


def read_metadata(data_dir: Path) -> tuple[dict[str, Any], list[Problem]]:
    """``dataset.yaml`` beside the tables (optional): ``name``, ``synthetic``, ``description``."""
    path = data_dir / "dataset.yaml"
    if not path.is_file():
        return {}, []
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return {}, [Problem("dataset.yaml", None, "", "", f"not valid YAML: {exc}")]
    if meta is None:
        return {}, []
    if not isinstance(meta, dict):
        return {}, [Problem("dataset.yaml", None, "", "", "must be a mapping of keys to values")]
    return meta, []
