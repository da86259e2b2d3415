"""Scan published files for what must never be published: identifiers, postcodes, small counts.

``scan_published(root, identifiers)`` reads every published file under ``root`` (HTML, PDF
text, CSV, XLSX, JSON, SVG, Markdown, Typst) and reports:

* ``child_id`` / ``referral_id`` - any CHILD or referral id of the dataset (whole-token match);
* ``postcode`` - a full UK postcode or postcode sector (``E1 6``) by pattern, and any of the
  dataset's own ``HOME_POST``/``PL_POST`` values;
* ``small_count`` - an unsuppressed count in the suppressed range (1 to 5: ``lower`` and
  ``upper`` of ``config/disclosure.yaml``, :func:`analysis.disclosure.small_range`) in a table
  that counts children: the columns declared in the table's ``.disclosure.json`` sidecar
  (written by :func:`analysis.outputs.write_table`), or, without a sidecar, columns whose header
  names a count of children (``children``, ``placements``, ``n`` ...; not rates, homes or
  places), in CSV, XLSX and HTML tables; and phrases such as "3 children" in prose.

Caveat: a count in a PDF table is only checked through the same table in the HTML report (PDF
text loses the table structure); heuristics on headers can miss an undeclared, oddly named column.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.disclosure import small_range

#: UK postcode areas (the letters before the first digit of every postcode).
POSTCODE_AREAS = (
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY "
    "E EC EH EN EX FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV JE GY IM KA KT KW KY L LA LD LE "
    "LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL "
    "SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
_AREA = "(?:" + "|".join(sorted(POSTCODE_AREAS, key=len, reverse=True)) + ")"
FULL_POSTCODE = re.compile(
    rf"(?<![A-Za-z0-9]){_AREA}[0-9][0-9A-Z]? ?[0-9][ABD-HJLNP-UW-Z]{{2}}(?![A-Za-z0-9])"
)
POSTCODE_SECTOR = re.compile(rf"(?<![A-Za-z0-9]){_AREA}[0-9][0-9A-Z]? [0-9](?![A-Za-z0-9])")
#: SSDA903 placement-provider codes that look like Preston outward codes (PR0-PR5).
NOT_POSTCODES = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})

CHILD_HEADER = re.compile(
    r"\b(n|count|number|children|child|young people|placements?|placed|cla|looked after|"
    r"referrals?|episodes?|starters|leavers|moves|requests)\b",
    re.IGNORECASE,
)
NOT_CHILD_HEADER = re.compile(
    r"pct|percent|%|rate|share|mean|median|average|avg|\bhomes?\b|\bplaces\b|providers?|beds|"
    r"distance|miles|km|year|\bage\b|cost|£|rank|score|ratio|\bper\b|index|code|urn|\bid\b|grade|"
    r"weeks?|days?|\bse\b|\bci\b|lower|upper|p[ _]?value|\bsd\b|std|occupancy|vacanc|"
    r"\blas\b|\bboroughs\b|\bauthorities\b|\bregions\b",
    re.IGNORECASE,
)
#: First-column headers of tables laid out with one measure per row.
#: (Indicator tables are not: their counts sit in an ``n`` column.)
ROW_LABEL_HEADERS = frozenset({"measure"})


@lru_cache(maxsize=8)
def small_count_prose(lower: int, upper: int) -> re.Pattern[str]:
    """A count from ``lower`` to ``upper`` of children (placements, referrals ...) in a
    sentence: "3 children" (not "4 children's homes", which counts homes)."""
    numbers = "|".join(str(n) for n in range(upper, lower - 1, -1)) or "(?!)"
    return re.compile(
        rf"(?<![0-9.,£-])\b({numbers})\s+(children|child|young people|looked-after children|"
        r"placements|referrals|girls|boys)\b(?!['’]s)",
        re.IGNORECASE,
    )


#: A number after these words is a threshold or rule ("fewer than 2 children per LA"), or the
#: upper end of a range ("1 to 5 children": the suppression rule itself), not a count of children.
THRESHOLD_WORDS = re.compile(
    r"(fewer\s+than|less\s+than|more\s+than|at\s+least|at\s+most|under|over|up\s+to|below|"
    r"above|minimum\s+of|maximum\s+of|\b\d+\s*(?:to|-|\u2013))\s*$",
    re.IGNORECASE,
)
TEXT_SUFFIXES = {".html", ".htm", ".json", ".svg", ".md", ".txt", ".typ", ".qmd", ".csv"}
SCANNED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".xlsx"}
_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Finding:
    """One thing that must not be published, where it was found (value masked)."""

    path: str
    kind: str
    where: str
    detail: str = ""


@dataclass
class Identifiers:
    """The values of the dataset under test that must never appear in a published file."""

    child_ids: set[str] = field(default_factory=set)
    referral_ids: set[str] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    _matchers: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def matcher(self, kind: str) -> TokenMatcher:
        """The prepared matcher of ``child_ids``, ``referral_ids`` or ``postcodes`` (upper
        case), built on first use."""
        if kind not in self._matchers:
            values = getattr(self, kind)
            if kind == "postcodes":
                values = {v.upper() for v in values}
            self._matchers[kind] = TokenMatcher(values)
        return self._matchers[kind]


def _mask(value: str) -> str:
    return value[:2] + "*" * max(len(value) - 2, 0)


def dataset_identifiers(data_dir: Path | str) -> Identifiers:
    """CHILD ids, referral ids and HOME_POST/PL_POST values of every table in a dataset folder."""
    ids = Identifiers()
    wanted = {"child": ids.child_ids, "referral_id": ids.referral_ids}
    for path in sorted(Path(data_dir).iterdir()):
        if path.suffix.lower() == ".csv":
            frames = {path.name: pd.read_csv(path, dtype=str, encoding_errors="replace")}
        elif path.suffix.lower() == ".xlsx":
            frames = pd.read_excel(path, dtype=str, sheet_name=None)
        else:
            continue
        for df in frames.values():
            for col in df.columns:
                key = str(col).strip().lower()
                values = {v.strip() for v in df[col].dropna().astype(str) if v.strip()}
                if key in wanted:
                    wanted[key].update(values)
                elif key in {"home_post", "pl_post"}:
                    ids.postcodes.update(v.upper() for v in values)
    return ids


# --- reading published files as text and tables -----------------------------------------------


class _HTMLTables(HTMLParser):
    """Collects the visible text (one piece per element) and the tables of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._skip = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        for name, value in attrs:
            if name in ("alt", "title", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def pdf_text(path: Path) -> str:
    """Text of a PDF (``pdftotext``, else ``pypdf``); raises RuntimeError when neither exists."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        return done.stdout.decode("utf-8", errors="replace")
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError("neither pdftotext nor pypdf is available to read PDFs") from exc
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_sheets(path: Path) -> dict[str, list[list[str]]]:
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
    return {name: df.fillna("").astype(str).values.tolist() for name, df in sheets.items()}


@dataclass
class Published:
    """A published file read for scanning."""

    visible: list[str]  # text a reader sees, piece by piece (patterns, prose)
    raw: list[str]  # everything, incl. markup and scripts (exact identifier search)
    tables: list[list[list[str]]]
    table_names: list[str] = field(default_factory=list)  # an XLSX file's sheet names


def read_published(path: Path) -> Published:
    """The visible text, raw text and tables of a published file."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = pdf_text(path)
        return Published([text], [text], [])
    if suffix == ".xlsx":
        sheets = _xlsx_sheets(path)
        tables = list(sheets.values())
        cells = [cell for table in tables for row in table for cell in row]
        return Published(cells, cells, tables, list(sheets))
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".html", ".htm", ".svg"):
        parser = _HTMLTables()
        parser.feed(text)
        return Published(parser.texts, [text], parser.tables if suffix != ".svg" else [])
    if suffix == ".csv":
        rows = _csv_rows(text)
        cells = [cell for row in rows for cell in row]
        return Published(cells, [text], [rows])
    return Published([text], [text], [])


# --- the checks --------------------------------------------------------------------------------


def _is_small_count(cell: str, small: tuple[int, int] | None = None) -> bool:
    """A count in the suppressed range ``small`` (default :func:`analysis.disclosure.
    small_range`, 1 to 5) as a count is written: an integer ("3", not an estimate "1.00")."""
    if not re.fullmatch(r"\s*[0-9][0-9,]*\s*", cell):
        return False
    try:
        value = float(cell.replace(",", "").strip())
    except ValueError:
        return False
    lower, upper = small or small_range()
    return value.is_integer() and lower <= value <= upper


def is_child_count_header(header: str) -> bool:
    """True when a column header names a count of children (heuristic, see module doc)."""
    text = re.sub(r"[_\-]+", " ", header).strip()
    # "children's homes" names homes, not children: "Children in children's homes" counts
    # children, "Children's homes in London" and "Places in children's homes" do not
    text = re.sub(r"children['’]?s homes?", " ", text, flags=re.IGNORECASE)
    return bool(CHILD_HEADER.search(text)) and not NOT_CHILD_HEADER.search(text)


def small_counts_in_table(
    rows: list[list[str]],
    declared: Iterable[str] | None = None,
    small: tuple[int, int] | None = None,
) -> Iterator[tuple[int, str]]:
    """(row number, column) of every published count in the suppressed range ``small``
    (default :func:`analysis.disclosure.small_range`, 1 to 5) in a child-count column.

    The first row is the header. ``declared`` (from a sidecar) overrides the header heuristic.
    """
    if not rows:
        return
    small = small or small_range()
    header = [str(h) for h in rows[0]]
    if declared is None and header and header[0].strip().lower() in ROW_LABEL_HEADERS:
        # a measures-by-column table (first column "Measure"): each row's label names what
        # its cells count, so the heuristic reads the row label, not the column headers
        for i, row in enumerate(rows[1:], start=2):
            if row and is_child_count_header(str(row[0])):
                for j in range(1, len(row)):
                    if _is_small_count(str(row[j]), small):
                        yield i, header[j] if j < len(header) else str(j)
        return
    if declared is not None:
        columns = [j for j, h in enumerate(header) if h in set(declared)]
    else:
        columns = [j for j, h in enumerate(header) if is_child_count_header(h)]
    for i, row in enumerate(rows[1:], start=2):
        for j in columns:
            if j < len(row) and _is_small_count(str(row[j]), small):
                yield i, header[j]


class TokenMatcher:
    """Finds a fixed set of values in texts as whole tokens (not inside a longer word or
    number). Prepared once per value set, then used on every published file.

    A value of several tokens ("SE15 4") is found by sliding a window of that many tokens over
    the text and looking the exact text of the window up in a set: linear in the text, where
    one regular expression alternating thousands of values was far too slow on large pages.
    """

    def __init__(self, values: Iterable[str]) -> None:
        values = set(values)
        self.plain = {v for v in values if _TOKEN.fullmatch(v)}
        others = values - self.plain
        self.edged = {v for v in others if not (v[:1].isalnum() and v[-1:].isalnum())}
        self.spans = others - self.edged
        self.widths = sorted({len(_TOKEN.findall(v)) for v in self.spans})

    def hits(self, texts: list[str]) -> set[str]:
        if not (self.plain or self.edged or self.spans):
            return set()
        joined = "\n".join(texts)
        tokens = list(_TOKEN.finditer(joined))
        found = {m.group(0) for m in tokens} & self.plain
        found.update(v for v in self.edged if v in joined)  # odd values: substring search
        for width in self.widths:
            for i in range(len(tokens) - width + 1):
                text = joined[tokens[i].start() : tokens[i + width - 1].end()]
                if text in self.spans:
                    found.add(text)
        return found


def postcode_patterns_in(texts: list[str]) -> set[str]:
    """Full UK postcodes and postcode sectors (by pattern) in ``texts``."""
    found: set[str] = set()
    for text in texts:
        for match in [*FULL_POSTCODE.findall(text), *POSTCODE_SECTOR.findall(text)]:
            if match.split(" ")[0] not in NOT_POSTCODES:
                found.add(match)
    return found


def _declared_columns(path: Path) -> list[str] | None:
    sidecar = path.with_suffix(".disclosure.json")
    if not sidecar.exists():
        return None
    return list(json.loads(sidecar.read_text(encoding="utf-8")).get("child_counts", []))


def scan_file(path: Path, identifiers: Identifiers, root: Path | None = None) -> list[Finding]:
    """Every finding in one published file."""
    name = str(path.relative_to(root)) if root else str(path)
    published = read_published(path)
    small = small_range()
    findings: list[Finding] = []
    for kind, attr in (("child_id", "child_ids"), ("referral_id", "referral_ids")):
        for hit in sorted(identifiers.matcher(attr).hits(published.raw)):
            findings.append(Finding(name, kind, "text", _mask(hit)))
    hits = postcode_patterns_in(published.visible) | identifiers.matcher("postcodes").hits(
        [t.upper() for t in published.raw]
    )
    for hit in sorted(hits):
        findings.append(Finding(name, "postcode", "text", _mask(hit)))
    declared_by_table: list[list[str] | None]
    if path.suffix.lower() == ".csv":
        declared_by_table = [_declared_columns(path)]
    elif path.suffix.lower() == ".xlsx":
        # the edition workbook has one sheet per tables/<name>.csv: use that table's sidecar
        declared_by_table = [
            _declared_columns(path.parent / "tables" / f"{sheet}.csv")
            for sheet in published.table_names
        ]
    else:
        declared_by_table = []
    for t, rows in enumerate(published.tables):
        declared = declared_by_table[t] if t < len(declared_by_table) else None
        for row, column in small_counts_in_table(rows, declared, small):
            findings.append(
                Finding(name, "small_count", f"table {t + 1} row {row} column {column!r}")
            )
    if path.suffix.lower() in (".html", ".htm", ".pdf", ".md", ".txt", ".typ", ".qmd", ".svg"):
        for text in published.visible:
            for match in small_count_prose(*small).finditer(text):
                if THRESHOLD_WORDS.search(text[max(0, match.start() - 20) : match.start()]):
                    continue
                findings.append(Finding(name, "small_count_prose", "text", match.group(0)))
    return findings


def published_files(root: Path | str) -> list[Path]:
    """Every file under ``root`` that is published (by suffix), sorted; sidecars and hidden
    folders (the build's ``.cache`` and staging folders, never published) excluded."""
    root = Path(root)
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.suffix.lower() in SCANNED_SUFFIXES
        and not p.name.endswith(".disclosure.json")
    )


def scan_published(root: Path | str, identifiers: Identifiers | None = None) -> list[Finding]:
    """Scan every published file under ``root``; an empty list means nothing disclosive was found."""
    root = Path(root)
    identifiers = identifiers or Identifiers()
    findings: list[Finding] = []
    for path in published_files(root):
        findings += scan_file(path, identifiers, root)
    return findings
