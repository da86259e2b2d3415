"""Which file of a dataset folder is which table: by name first, then by content.

A folder as users hold it (``../shared/real-formats.md``) keeps its files' own names: LIIA's
``pan_London_SSDA903_Episodes.csv``, the pipeline's ``PAN_ssda903_episodes_part1.csv`` /
``_part2.csv``, Ofsted's provider file under Ofsted's name. A file named exactly like a table
(``episodes.csv``) is that table; any other CSV/XLSX/ODS is recognised by its column headings:
it is table T when it carries every heading T requires (canonical names or aliases), the
table with most matching headings winning. Files split in ``_partN`` pieces are read as one.
Files that match no table are listed as not used, with the reason.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.contract.reader import (
    MAX_TITLE_ROWS,
    SUFFIXES,
    decode_bytes,
    find_header_row,
    heading_key,
)
from analysis.contract.schemas import TABLE_SPECS

_PART = re.compile(r"^(?P<base>.+?)[_\- ]?part[_\- ]?(?P<n>\d+)$", re.IGNORECASE)
#: liia-tools-pipeline's per-LA files, ``<LA>_ssda903_<table>`` (``PAN_`` is the pan-London one).
_PER_LA = re.compile(r"^(?P<la>.+?)_ssda903_(?P<table>.+)$", re.IGNORECASE)
#: files never considered (the dataset's own metadata and outputs of ``report validate``).
_SKIP = {"dataset.yaml", "validation_problems.csv", "readme.md"}
#: share of a table's required headings a file must carry to be reported as "looks like" it.
NEAR_MISS = 0.6


@dataclass
class Discovery:
    """Where each table comes from and which files are not used (with the reason)."""

    sources: dict[str, list[Path]] = field(default_factory=dict)
    unused: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (table, message)

    def describe(self) -> list[str]:
        """Lines for the console: ``table <- file(s)`` then ``not used: file (reason)``."""
        lines = [
            f"{table:<20} <- {', '.join(p.name for p in paths)}"
            for table, paths in sorted(self.sources.items())
        ]
        lines += [f"{'not used':<20}    {p.name} ({why})" for p, why in self.unused]
        return lines


def required_headings(table: str) -> list[set[str]]:
    """For each required column of ``table``: the heading keys that name it."""
    return [
        {heading_key(h) for h in (c.name, *c.aliases)}
        for c in TABLE_SPECS[table].columns
        if c.required
    ]


def all_headings(table: str) -> set[str]:
    """Every heading key a file of ``table`` may carry (canonical names and aliases)."""
    return {heading_key(h) for c in TABLE_SPECS[table].columns for h in (c.name, *c.aliases)}


def read_headings(path: Path) -> set[str]:
    """The heading keys of a file: the first line of a CSV; for a spreadsheet, the row among the
    top rows naming most known headings (title rows above it are skipped). Empty when unreadable."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open("rb") as handle:
                first = handle.readline(200_000)
            decoded = decode_bytes(first)
            if decoded is None:
                return set()
            cells = pd.read_csv(io.StringIO(decoded[0]), header=None, dtype=str)
            return {heading_key(v) for v in cells.iloc[0].dropna()} if len(cells) else set()
        engine = "odf" if path.suffix.lower() == ".ods" else "openpyxl"
        grid = pd.read_excel(path, header=None, dtype=str, engine=engine, nrows=MAX_TITLE_ROWS)
    except Exception:  # noqa: BLE001 - an unreadable file is reported by the reader, not here
        return set()
    if grid.empty:
        return set()
    known = set().union(*(all_headings(t) for t in TABLE_SPECS))
    row = find_header_row(grid, known)
    return {heading_key(v) for v in grid.iloc[row].dropna()}


#: SSDA903 tables this report does not use, known by a heading only they carry.
UNUSED_SSDA903: dict[str, str] = {
    "duc": "UASC",
    "date_placed": "placed for adoption",
    "review": "reviews",
    "missing": "missing",
    "sw_id": "social worker episodes",
    "in_touch": "care leavers (OC3)",
    "convicted": "outcomes (OC2)",
    "date_int": "adoption (AD1)",
    "prev_perm": "previous permanence",
}


def classify(headings: set[str]) -> tuple[str | None, str]:
    """The table a file's headings make it (``None`` when none) and, when none, the reason
    (the nearest table and the headings it lacks, or the SSDA903 table it is)."""
    for heading, name in UNUSED_SSDA903.items():
        if "child" in headings and heading in headings:
            return None, f"SSDA903 {name} table: not used by this report"
    matches: list[tuple[int, str]] = []
    nearest: tuple[float, str, list[str]] = (0.0, "", [])
    for table in TABLE_SPECS:
        needed = required_headings(table)
        if not needed:
            continue
        present = [bool(names & headings) for names in needed]
        if all(present):
            matches.append((len(all_headings(table) & headings), table))
        else:
            share = sum(present) / len(present)
            required = [c for c in TABLE_SPECS[table].columns if c.required]
            missing = [c.name for c, ok in zip(required, present, strict=True) if not ok]
            if share > nearest[0]:
                nearest = (share, table, missing)
    if matches:
        return max(matches)[1], ""
    if nearest[0] >= NEAR_MISS:
        return None, (
            f"looks like {nearest[1]} but has no {', '.join(nearest[2])} column"
            + (
                "; one borough's own return? see `report import`"
                if {"LA", "YEAR"} & set(nearest[2])
                else ""
            )
        )
    return None, "not a table this report uses"


def _part_key(path: Path) -> tuple[str, int]:
    match = _PART.match(path.stem)
    if match:
        return match.group("base").lower() + path.suffix.lower(), int(match.group("n"))
    return path.name.lower(), 0


def discover(data_dir: Path) -> Discovery:
    """Assign the files of ``data_dir`` to tables (see the module docstring)."""
    found = Discovery()
    if not Path(data_dir).is_dir():
        return found
    files = sorted(
        p
        for p in Path(data_dir).iterdir()
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and p.name.lower() not in _SKIP
        and not p.name.startswith((".", "~$"))
    )
    for sub in sorted(p for p in Path(data_dir).iterdir() if p.is_dir()):
        tables_inside = any(p.suffix.lower() in SUFFIXES for p in sub.iterdir())
        if not sub.name.startswith(".") and tables_inside:
            found.unused.append(
                (
                    sub,
                    "a folder: files in sub-folders are not read (one borough's yearly "
                    "returns? see `report import`)",
                )
            )
    named: set[Path] = set()
    for table in TABLE_SPECS:
        same = [p for p in files if p.stem.strip().lower() == table]
        if same:
            found.sources[table] = same[:1]
            named.update(same)
            if len(same) > 1:
                found.notes.append((table, f"several files for this table; using {same[0].name}"))
    groups: dict[str, list[tuple[int, Path]]] = {}
    for path in files:
        if path in named:
            continue
        key, number = _part_key(path)
        groups.setdefault(key, []).append((number, path))
    for _key, members in sorted(groups.items()):
        paths = [p for _, p in sorted(members)]
        table, reason = classify(read_headings(paths[0]))
        if table is None:
            found.unused += [(p, reason) for p in paths]
        elif table in found.sources and _stackable(found.sources[table], paths):
            found.sources[table] = [*found.sources[table], *paths]
        elif table in found.sources:
            found.unused += [(p, f"another file was read as {table}") for p in paths]
        else:
            found.sources[table] = paths
    for table, paths in found.sources.items():
        las = {_per_la(p) for p in paths}
        if len(las) > 1 and None not in las:
            found.notes.append(
                (table, f"{len(las)} per-LA files of liia-tools-pipeline stacked into one table")
            )
    return found


def _per_la(path: Path) -> str | None:
    """The LA of a pipeline per-LA file (``Barnet_ssda903_episodes.csv`` -> ``barnet``);
    None for any other file, the pan-London ``PAN_ssda903_...`` included."""
    stem = _PART.match(path.stem).group("base") if _PART.match(path.stem) else path.stem
    match = _PER_LA.match(stem)
    if match is None or match.group("la").lower() == "pan":
        return None
    return match.group("la").lower()


def _stackable(have: list[Path], more: list[Path]) -> bool:
    """True when ``more`` is another LA's per-LA file of the same table as ``have``: the
    pipeline writes one file per LA, and a folder holding several is read as their stack."""
    mine = {_per_la(p) for p in have}
    theirs = {_per_la(p) for p in more}
    return None not in mine | theirs and not mine & theirs
