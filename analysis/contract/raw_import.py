"""``report import``: one borough's own SSDA903 returns -> a dataset folder of the contract.

A borough's returns as submitted to the DfE have the DfE's column names, no ``LA`` and no
``YEAR`` column (the borough is the submitter, the year the collection year) and full postcodes
(``../shared/real-formats.md`` section 1). This module reads one file per table per year (a
folder per year, or the year in the file name), adds ``LA`` (from ``--la`` or the CHILD ids'
``_XXX`` suffix) and ``YEAR``, cuts postcodes to sectors (the dataset then holds no full
postcode) and writes ``episodes.csv`` and ``header.csv`` beside a ``dataset.yaml`` naming the
borough. Ofsted's file, when given, is copied in under its own name.

The year of a file is the collection year ending 31 March: ``2022``, ``2021-22``, ``2021_22``
and ``202122`` in a folder or file name all mean the return for the year to 31 March 2022.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.boroughs import london_boroughs, resolve_borough
from analysis.contract.problems import Problem
from analysis.contract.reader import SUFFIXES, decode_bytes, heading_key, read_csv_text, read_xlsx
from analysis.geography import postcode_sectors

_SPAN = re.compile(r"(?<!\d)(20\d\d)\s*[-_/ ]?\s*(\d\d)(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
#: the DfE tables this report uses, and a heading only that table carries.
TABLES: dict[str, tuple[str, set[str]]] = {
    "episodes": ("episodes", {"decom", "place"}),
    "header": ("header", {"sex", "dob", "ethnic"}),
}
POSTCODE_COLUMNS = ("HOME_POST", "PL_POST")


class ImportError_(Exception):
    """The returns cannot be imported; the message says what to do."""


@dataclass
class ImportResult:
    out_dir: Path
    source: Path
    la: str
    years: list[int]
    files: dict[str, list[Path]] = field(default_factory=dict)
    unused: list[Path] = field(default_factory=list)
    #: per table, the return file and its own row number of each row written, in order (the
    #: dataset's row ``r`` is entry ``r - 2``: its header is row 1)
    rows: dict[str, list[tuple[Path, int]]] = field(default_factory=dict)

    def source_of(self, problem: Problem) -> str:
        """Where a problem's row of the new dataset came from: ``2022/episodes.csv row 3``
        (relative to ``source``), or "" for a whole-table problem or another table."""
        rows = self.rows.get(problem.table, [])
        if problem.row is None or not 2 <= problem.row < len(rows) + 2:
            return ""
        path, row = rows[problem.row - 2]
        shown = path.relative_to(self.source) if path.is_relative_to(self.source) else path
        return f"{shown.as_posix()} row {row}"


def return_year(text: str) -> int | None:
    """The collection year (ending 31 March) a folder or file name carries: ``2021-22`` and
    ``202122`` give 2022, a lone ``2022`` gives 2022; ``None`` when the name has no year."""
    span = _SPAN.search(text)
    if span and (int(span.group(1)) + 1) % 100 == int(span.group(2)):
        return int(span.group(1)) + 1
    years = _YEAR.findall(text)
    return int(years[-1]) if years else None


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in {".xlsx", ".ods"}:
        return read_xlsx(path, {"child", "decom", "sex"})
    decoded = decode_bytes(path.read_bytes())
    if decoded is None:
        raise ImportError_(f"{path.name}: neither UTF-8 nor Windows-1252 text")
    return read_csv_text(decoded[0])


def table_of(path: Path, frame: pd.DataFrame) -> str | None:
    """``episodes`` or ``header`` by the file's headings (the DfE names), else ``None``."""
    headings = {heading_key(c) for c in frame.columns}
    if "child" not in headings:
        return None
    for table, (_, signature) in TABLES.items():
        if signature <= headings:
            return table
    return None


def borough_from_suffix(children: pd.Series) -> str | None:
    """The borough named by the CHILD ids' ``_XXX`` suffix (LIIA's style) when every id carries
    the same suffix and it names exactly one borough (its name, code or the first letters of
    exactly one borough's name); ``None`` otherwise."""
    suffixes = children.dropna().astype(str).str.extract(r"_([A-Za-z]{2,})$")[0]
    if suffixes.isna().any() or suffixes.nunique() != 1:
        return None
    suffix = str(suffixes.iloc[0])
    direct = resolve_borough(suffix)
    if direct:
        return direct
    letters = {
        name: "".join(ch for ch in name.upper() if ch.isalpha())
        for name in london_boroughs()["la_name"]
    }
    matches = [name for name, text in letters.items() if text.startswith(suffix.upper())]
    return matches[0] if len(matches) == 1 else None


def find_return_files(source: Path) -> tuple[list[tuple[int, Path]], list[Path]]:
    """Files under ``source`` (one level of year folders, or the folder itself) with the year
    their folder or file name carries; files without a year are returned as unused."""
    found: list[tuple[int, Path]] = []
    unused: list[Path] = []
    for path in sorted(Path(source).rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        relative = path.relative_to(source)
        year = return_year(path.stem) or return_year(str(relative.parent))
        if year is None:
            unused.append(path)
        else:
            found.append((year, path))
    return found, unused


def import_returns(
    source: Path, out_dir: Path, *, la: str | None = None, ofsted: Path | None = None
) -> ImportResult:
    """Turn one borough's yearly returns under ``source`` into a dataset folder ``out_dir``
    (see the module docstring). Raises :class:`ImportError_` with a readable message."""
    source, out_dir = Path(source), Path(out_dir)
    if not source.is_dir():
        raise ImportError_(f"no folder at {source}")
    located, unused = find_return_files(source)
    tables: dict[str, list[pd.DataFrame]] = {"episodes": [], "header": []}
    files: dict[str, list[Path]] = {"episodes": [], "header": []}
    for year, path in located:
        frame = _read(path)
        table = table_of(path, frame)
        if table is None:
            unused.append(path)
            continue
        dropped = {"la", "year", "upn", "mother", "mc_dob"}  # personal fields the report never uses
        frame = frame.drop(columns=[c for c in frame.columns if heading_key(c) in dropped])
        frame = frame.assign(YEAR=str(year))
        tables[table].append(frame)
        files[table].append(path)
    if not tables["episodes"]:
        raise ImportError_(
            f"no episodes file with a year in its folder or file name under {source} "
            "(e.g. 2022/episodes.csv or episodes_2021-22.csv)"
        )
    episodes = pd.concat(tables["episodes"], ignore_index=True)
    borough = resolve_borough(la) if la else borough_from_suffix(episodes["CHILD"])
    if borough is None:
        raise ImportError_(
            f"unknown borough {la!r}" if la else "the borough is not in the CHILD ids: give --la"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[tuple[Path, int]]] = {}
    for table, frames in tables.items():
        if not frames:
            continue
        # each frame's index is its file's own row numbers (the reader numbers them so)
        rows[table] = [
            (path, int(row))
            for path, f in zip(files[table], frames, strict=True)
            for row in f.index
        ]
        frame = pd.concat(frames, ignore_index=True).assign(LA=borough)
        for column in frame.columns:
            if column.strip().upper() in POSTCODE_COLUMNS:
                sectors = postcode_sectors(frame[column])
                frame[column] = sectors.where(sectors.notna(), None)
        frame.to_csv(out_dir / f"{table}.csv", index=False)
    if ofsted is not None:
        shutil.copy2(ofsted, out_dir / Path(ofsted).name)
    years = sorted({year for year, path in located if path in files["episodes"]})
    (out_dir / "dataset.yaml").write_text(
        f"name: {borough} (own SSDA903 returns {years[0]}-{years[-1]})\n"
        f"la: {borough}\nsynthetic: false\n",
        encoding="utf-8",
    )
    return ImportResult(out_dir, source, borough, years, files, unused, rows)


def import_command(
    source: Path, out_dir: Path, la: str | None = None, ofsted: Path | None = None
) -> int:
    """``report import``: import, then validate the new folder; 0 when it validates."""
    from rich.console import Console

    from analysis.contract.validate import validate_command

    console = Console()
    try:
        result = import_returns(source, out_dir, la=la, ofsted=ofsted)
    except ImportError_ as exc:
        console.print(f"[red]Cannot import:[/] {exc}")
        return 1
    console.print(
        f"Imported {result.la}'s returns for {', '.join(map(str, result.years))} into "
        f"{result.out_dir}"
    )
    for table, paths in result.files.items():
        for path in paths:
            console.print(f"  {table:<10} <- {path}", markup=False, highlight=False)
    for path in result.unused:
        console.print(f"  not used   {path}", markup=False, highlight=False)
    others = [
        p
        for p in result.out_dir.iterdir()
        if p.suffix.lower() in SUFFIXES and p.stem.lower() not in {"episodes", "header"}
    ]
    if not others:
        console.print(
            "Add Ofsted's children's homes file to the folder (or use --ofsted) before building."
        )
    # the problems list (it may quote CHILD ids) stays beside the new dataset, never published
    # and names, beside each row of the new dataset, the return file and row it came from
    return validate_command(
        result.out_dir,
        problems_csv=result.out_dir / "validation_problems.csv",
        source_of=result.source_of,
    )
