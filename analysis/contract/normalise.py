"""File format -> canonical form (see :mod:`analysis.dataset` for the canonical names and types).

Each function takes a text table (every cell a string or missing; index = the user's row
number) and returns the canonical typed column plus a :class:`Problem` for each cell that
cannot be parsed. Parsing never raises on bad data.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from analysis.boroughs import resolve_borough
from analysis.contract import codes
from analysis.contract.problems import ERROR, WARNING, Problem, cell_text
from analysis.contract.reader import heading_key
from analysis.contract.schemas import ColumnSpec, TableSpec
from analysis.geography import postcode_sector

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}( 00:00:00)?$")
_UK = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


def match_columns(
    frame: pd.DataFrame, spec: TableSpec
) -> tuple[dict[str, str], list[str], list[str]]:
    """Map the file's headings to canonical names (trimmed, case-insensitive, aliases too).

    Returns ``(rename, unknown, ignored)``: file heading -> canonical name, headings the
    contract does not know (kept, warned about), and headings the contract ignores.
    """
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for heading in (column.name, *column.aliases):
            lookup[heading_key(heading)] = column.name
    ignored_keys = {heading_key(h) for h in spec.ignored}
    rename: dict[str, str] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    for heading in frame.columns:
        key = heading_key(heading)
        if key in lookup and lookup[key] not in rename.values():
            rename[heading] = lookup[key]
        elif key in ignored_keys:
            ignored.append(heading)
        else:
            unknown.append(heading)
    return rename, unknown, ignored


def _cell_problems(
    table: str, column: str, values: pd.Series, bad: pd.Series, rule: str, severity: str = ERROR
) -> list[Problem]:
    return [
        Problem(table, int(row), column, cell_text(value), rule, severity)
        for row, value in values[bad].items()
    ]


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ``dd/mm/yyyy`` or ISO ``yyyy-mm-dd`` text to ``datetime64[ns]``; NaT when neither."""
    text = values.astype("str")
    uk = text.where(text.str.match(_UK.pattern, na=False))
    iso = text.where(text.str.match(_ISO.pattern, na=False)).str.slice(0, 10)
    parsed_uk = pd.to_datetime(uk, format="%d/%m/%Y", errors="coerce")
    parsed_iso = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    return parsed_uk.fillna(parsed_iso).astype("datetime64[ns]")


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse numbers written as text (``1,250.50``, ``£300`` accepted) to float; NaN when not."""
    cleaned = values.astype("str").str.replace(r"[£,\s]", "", regex=True)
    return pd.to_numeric(cleaned, errors="coerce").astype(float)


def _map_case_insensitive(values: pd.Series, table: dict[str, object]) -> pd.Series:
    keys = values.astype("str").str.strip().str.lower()
    return keys.map(table)


def _enum(values: pd.Series, allowed: tuple[str, ...]) -> pd.Series:
    """Allowed values matched ignoring case; others left as written (the schema flags them)."""
    table = {a.lower(): a for a in allowed}
    mapped = _map_case_insensitive(values, table)
    return mapped.fillna(values).astype("str")


@cache
def _borough_name(text: str) -> str | None:
    return resolve_borough(text)


def _la_names(values: pd.Series) -> pd.Series:
    uniques = pd.unique(values.dropna())
    table = {v: _borough_name(str(v)) for v in uniques}
    return values.map(table).astype("str")


def _urns(values: pd.Series) -> pd.Series:
    """URNs as text: Excel's ``1234567.0`` becomes ``1234567``; other text kept as written."""
    text = values.astype("str").str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).astype("str")


def convert_column(
    table: str, spec: ColumnSpec, values: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """Convert one text column to its canonical type; a problem for each unparseable cell."""
    present = values.notna()
    kind = spec.kind
    problems: list[Problem] = []
    if kind == "date":
        out = parse_dates(values)
        bad = present & out.isna()
        problems = _cell_problems(
            table, spec.name, values, bad, "not a date (expected dd/mm/yyyy or yyyy-mm-dd)"
        )
    elif kind in {"int", "float", "share"}:
        numbers = parse_numbers(values)
        bad = present & numbers.isna()
        problems = _cell_problems(table, spec.name, values, bad, "not a number")
        if kind == "int":
            whole = numbers.notna() & (numbers % 1 != 0)
            problems += _cell_problems(table, spec.name, values, whole, "not a whole number")
            # beyond a 64-bit integer (e.g. 9.25e+18 written by a spreadsheet): no count or id
            huge = numbers.notna() & ~whole & (numbers.abs() >= 2.0**63)
            problems += _cell_problems(table, spec.name, values, huge, "number too large")
            numbers = numbers.where(~(whole | huge))
            out = numbers.round().astype("Int64")
        else:
            out = numbers
    elif kind in {"yn", "risk"}:
        table_map = codes.YES_NO if kind == "yn" else codes.RISK_VALUES
        out = _map_case_insensitive(values, dict(table_map)).astype("boolean")
        bad = present & out.isna()
        expected = "Y or N" if kind == "yn" else '"Risk Present" or "No known risk"'
        problems = _cell_problems(table, spec.name, values, bad, f"must be {expected} or blank")
    elif kind in {"la", "la_optional"}:
        out = _la_names(values)
        bad = present & out.isna()
        problems = _cell_problems(
            table, spec.name, values, bad, "not one of the 33 London local authorities"
        )
    elif kind == "code":
        out = values.astype("str").str.strip().str.upper().astype("str")
    elif kind == "grade":
        out = _enum(values, spec.allowed)
        bad = present & ~out.isin(spec.allowed)
        problems = _cell_problems(
            table,
            spec.name,
            values,
            bad,
            "not a grade (e.g. 'Not yet inspected'): read as no grade",
            WARNING,
        )
        out = out.where(~bad).astype("str")
    elif kind == "enum":
        out = _enum(values, spec.allowed)
    elif kind == "urn":
        out = _urns(values)
    elif kind == "postcode":
        out = values.astype("str").str.upper().str.replace(r"\s+", " ", regex=True).astype("str")
        uniques = pd.unique(out.dropna())
        valid = {v: postcode_sector(v) is not None for v in uniques}
        bad = out.notna() & ~out.map(valid).fillna(True).astype(bool)
        problems = _cell_problems(
            table, spec.name, values, bad, "not a postcode or postcode sector (e.g. E1 6 or E1 6AN)"
        )
    else:
        out = values.astype("str")
    return out, problems


def convert_by_unique(
    table: str, spec: ColumnSpec, values: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """:func:`convert_column` run once per distinct value (fast: most columns repeat a few
    values), then spread back to every row; each problem is reported on every row it occurs."""
    codes_, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype="str")
    converted, problems = convert_column(table, spec, distinct)
    converted = converted.reset_index(drop=True)
    missing = pd.Series([None], dtype=object).astype(converted.dtype)
    extended = pd.concat([converted, missing], ignore_index=True)
    out = extended.iloc[np.where(codes_ < 0, len(converted), codes_)]
    out.index = values.index
    if not problems:
        return out, []
    rows_of: dict[int, list[int]] = {}
    wanted = {p.row for p in problems}
    for row, code in zip(values.index, codes_, strict=True):
        if code in wanted:
            rows_of.setdefault(int(code), []).append(int(row))
    spread = [
        Problem(p.table, row, p.column, p.value, p.rule, p.severity)
        for p in problems
        for row in rows_of.get(int(p.row), [])  # type: ignore[arg-type]
    ]
    return out, sorted(spread, key=lambda p: (p.column, p.row))


def normalise_table(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename to canonical headings, convert every known column, keep unknown columns.

    Missing required columns are problems (the column stays absent: later checks skip it);
    unknown columns are warnings; columns the contract ignores are dropped.
    """
    table = spec.name
    problems: list[Problem] = []
    rename, unknown, ignored = match_columns(frame, spec)
    out = frame.drop(columns=ignored).rename(columns=rename)
    liia = {heading_key(c) for c in codes.LIIA_COLUMNS}
    for heading in unknown:
        rule = (
            "LIIA column (kept, not used)"
            if heading_key(heading) in liia
            else "unknown column (kept, not used)"
        )
        problems.append(Problem(table, None, heading, "", rule, WARNING))
    for column in spec.columns:
        if column.name not in out.columns:
            if column.required:
                problems.append(Problem(table, None, column.name, "", "required column missing"))
            continue
        converted, column_problems = convert_by_unique(table, column, out[column.name])
        out[column.name] = converted
        problems += column_problems
    known = [c.name for c in spec.columns if c.name in out.columns]
    out = out[known + [c for c in out.columns if c not in known]]
    return out, problems
