"""Statistical disclosure control for published counts of children.

Default rules (``config/disclosure.yaml``) follow the DfE's practice for children's social care
statistics:

* **Primary suppression** - a count of children from 1 to 5 is published as ``c``.
* **Secondary suppression** - a *line* is a set of cells that sum to a total a reader can see: the
  count columns of a row with a row-total column, the rows of a column with a total row, and
  (``assume_column_totals_published``) the rows of any count column, whose sum the report quotes
  elsewhere. When a line with a known total has exactly one suppressed cell, or suppressed cells
  whose sum is their smallest possible value (all ones, so each is known), the smallest non-zero
  published cell of the line is suppressed too, repeating until no line gives a cell away. A line
  without a spare cell suppresses its in-table total instead.
* **Derived figures** - a rate, percentage or average computed from a suppressed count (named in
  ``derived_from``) is suppressed with it.
* **Rounding** - optional (``rounding_base``), applied to unsuppressed counts after suppression.

Caveat: lines are checked one at a time (row or column). In a two-way table with both row and
column totals, a chain of suppressed cells can in rare patterns still be solved by combining
several lines; and differences between *different* tables (e.g. two editions) are not checked.
Use ``by`` to give the groups of a long table (e.g. one line per year) so that group totals are
protected too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.paths import CONFIG

SUPPRESSED = "c"
LOWER, UPPER = 1, 5

Cell = tuple[int, int]


@dataclass(frozen=True)
class DisclosureRules:
    """The disclosure-control settings (see ``config/disclosure.yaml``)."""

    lower: int = LOWER
    upper: int = UPPER
    symbol: str = SUPPRESSED
    secondary: bool = True
    assume_column_totals_published: bool = True
    total_column_names: tuple[str, ...] = ("total", "all")
    total_row_labels: tuple[str, ...] = ("total", "all")
    rounding_base: int | None = None
    sentence_small: str = "fewer than 6"
    symbols: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=8)
def _load_rules_cached(path: str) -> DisclosureRules:
    raw: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return DisclosureRules(
        lower=int(raw.get("lower", LOWER)),
        upper=int(raw.get("upper", UPPER)),
        symbol=str(raw.get("symbol", SUPPRESSED)),
        secondary=bool(raw.get("secondary", True)),
        assume_column_totals_published=bool(raw.get("assume_column_totals_published", True)),
        total_column_names=tuple(s.lower() for s in raw.get("total_column_names", ["total"])),
        total_row_labels=tuple(s.lower() for s in raw.get("total_row_labels", ["total"])),
        rounding_base=(int(raw["rounding_base"]) if raw.get("rounding_base") else None),
        sentence_small=str(raw.get("sentence_small", "fewer than 6")),
        symbols=dict(raw.get("symbols", {})),
    )


def load_rules(path: Path | str | None = None) -> DisclosureRules:
    """Read the disclosure rules from YAML (default ``config/disclosure.yaml``).

    Falls back to the built-in DfE defaults when the default file is absent.
    """
    target = Path(path) if path is not None else CONFIG / "disclosure.yaml"
    if path is None and not target.exists():
        return DisclosureRules()
    return _load_rules_cached(str(target.resolve()))


def is_small_count(value: Any, rules: DisclosureRules | None = None) -> bool:
    """True when ``value`` is a number in the suppressed range (1 to 5 by default)."""
    rules = rules or load_rules()
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return bool(pd.notna(number) and rules.lower <= number <= rules.upper)


def round_count(value: float, base: int | None) -> float:
    """Round a count to the nearest ``base`` (halves up); unchanged when ``base`` is None."""
    if base is None or pd.isna(value):
        return value
    return float(np.floor(value / base + 0.5) * base)


def suppress_count(value: Any, rules: DisclosureRules | None = None) -> Any:
    """One published count: the symbol when small, else the (rounded, if configured) number."""
    rules = rules or load_rules()
    if is_small_count(value, rules):
        return rules.symbol
    if rules.rounding_base and isinstance(value, (int, float, np.integer, np.floating)):
        return int(round_count(float(value), rules.rounding_base))
    return value


def suppress_sentence_count(n: Any, rules: DisclosureRules | None = None) -> str:
    """How a count of children reads in a published sentence.

    ``0`` -> ``"0"``; 1 to 5 -> ``"fewer than 6"`` (configurable); larger counts with thousands
    separators (rounded if configured); missing -> ``"an unknown number"``. A sentence must not
    also print a total and the other parts from which a suppressed count could be worked out.
    """
    rules = rules or load_rules()
    number = pd.to_numeric(pd.Series([n]), errors="coerce").iloc[0]
    if pd.isna(number):
        return "an unknown number"
    if rules.lower <= number <= rules.upper:
        return rules.sentence_small
    number = round_count(float(number), rules.rounding_base)
    if float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:,.1f}"


def symbols_note(rules: DisclosureRules | None = None) -> str:
    """Markdown note explaining the symbols used in published tables (for the report)."""
    rules = rules or load_rules()
    lines = [
        f"Counts of children from {rules.lower} to {rules.upper} are shown as `{rules.symbol}`, "
        "and so are other figures (including percentages, rates and averages) that would reveal "
        "them, following the DfE's practice for children's social care statistics."
    ]
    if rules.rounding_base:
        lines.append(f"Other counts are rounded to the nearest {rules.rounding_base}.")
    symbol_text = "; ".join(f"`{sym}` {text}" for sym, text in rules.symbols.items())
    if symbol_text:
        lines.append(f"Symbols: {symbol_text}.")
    return " ".join(lines)


# --- secondary suppression -------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """Cells that add up to a total: ``total`` is an in-table cell, or None when external."""

    cells: tuple[Cell, ...]
    total: Cell | None


def _line_total_known(line: Line, suppressed: np.ndarray, values: np.ndarray) -> bool:
    if line.total is None:
        return True
    r, c = line.total
    return not suppressed[r, c] and not np.isnan(values[r, c])


def line_gives_away_a_cell(line: Line, values: np.ndarray, suppressed: np.ndarray) -> bool:
    """True when a reader who sees the line's total could work out a suppressed cell.

    The reader knows the total and the published cells, so the sum of the suppressed cells; each
    suppressed count is at least 1. One suppressed cell is then known exactly, and so are several
    whose sum equals their number (all ones).
    """
    if not _line_total_known(line, suppressed, values):
        return False
    hidden = [
        values[r, c] for r, c in line.cells if suppressed[r, c] and not np.isnan(values[r, c])
    ]
    if not hidden:
        return False
    return len(hidden) == 1 or sum(hidden) <= len(hidden)


def _next_cell_to_suppress(line: Line, values: np.ndarray, suppressed: np.ndarray) -> Cell | None:
    """The smallest non-zero published cell of the line; else a zero; else the in-table total."""
    open_cells = [
        (values[r, c], (r, c))
        for r, c in line.cells
        if not suppressed[r, c] and not np.isnan(values[r, c])
    ]
    non_zero = [item for item in open_cells if item[0] > 0]
    pool = non_zero or open_cells
    if pool:
        return min(pool, key=lambda item: (item[0], item[1]))[1]
    if line.total is not None and not suppressed[line.total]:
        return line.total
    return None


def apply_secondary_suppression(
    values: np.ndarray, suppressed: np.ndarray, lines: Sequence[Line]
) -> np.ndarray:
    """Extend the ``suppressed`` mask until no line gives away a suppressed cell (see module doc)."""
    mask = suppressed.copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            if line_gives_away_a_cell(line, values, mask):
                cell = _next_cell_to_suppress(line, values, mask)
                if cell is not None:
                    mask[cell] = True
                    changed = True
    return mask


def _total_row_positions(
    df: pd.DataFrame, count_columns: Sequence[str], labels: Sequence[str]
) -> set[int]:
    wanted = {label.lower() for label in labels}
    rows: set[int] = set()
    for col in df.columns:
        if col in count_columns or pd.api.types.is_numeric_dtype(df[col]):
            continue
        text = df[col].astype("string").str.strip().str.lower()
        rows.update(np.flatnonzero(text.isin(wanted).fillna(False).to_numpy()).tolist())
    return rows


def table_lines(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    rules: DisclosureRules,
    *,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
) -> list[Line]:
    """The lines (cells that sum to a visible total) of a table; cells index ``count_columns``."""
    cols = list(count_columns)
    total_cols = [
        j
        for j, col in enumerate(cols)
        if col == row_total or str(col).strip().lower() in rules.total_column_names
    ]
    part_cols = [j for j in range(len(cols)) if j not in total_cols]
    total_rows = _total_row_positions(df, cols, rules.total_row_labels)
    lines: list[Line] = []
    for i in range(len(df)):
        for t in total_cols:
            lines.append(Line(tuple((i, j) for j in part_cols), (i, t)))
    groups: list[np.ndarray]
    if by:
        keys = df[list(by)].astype("string").fillna("<NA>").agg("\x1f".join, axis=1).to_numpy()
        groups = [np.flatnonzero(keys == key) for key in dict.fromkeys(keys)]
    else:
        groups = [np.arange(len(df))]
    for rows in groups:
        totals_here = [r for r in rows if r in total_rows]
        parts = [int(r) for r in rows if r not in total_rows]
        for j in range(len(cols)):
            cells = tuple((r, j) for r in parts)
            if len(totals_here) == 1:
                lines.append(Line(cells, (int(totals_here[0]), j)))
            elif rules.assume_column_totals_published:
                lines.append(Line(cells, None))
    return lines


def suppression_mask(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    rules: DisclosureRules | None = None,
    *,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Boolean frame (``count_columns``) of the cells to publish as the suppression symbol."""
    rules = rules or load_rules()
    values = (
        np.column_stack(
            [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in count_columns]
        )
        if count_columns
        else np.empty((len(df), 0))
    )
    primary = (values >= rules.lower) & (values <= rules.upper)
    mask = primary
    if rules.secondary and len(df):
        lines = table_lines(df, count_columns, rules, row_total=row_total, by=by)
        mask = apply_secondary_suppression(values, primary, lines)
    return pd.DataFrame(mask, columns=list(count_columns), index=df.index)


def suppress_child_counts(
    df: pd.DataFrame,
    count_columns: list[str],
    derived_from: dict[str, str] | None = None,
    *,
    rules: DisclosureRules | None = None,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``df`` with disclosure control applied to its counts of children.

    ``count_columns`` count children; ``derived_from`` maps a rate/percentage/average column to
    the count column it was computed from (suppressed with it); ``row_total`` names a row-total
    column (columns called ``Total``/``All`` are recognised anyway); ``by`` names the columns that
    group the rows of a long table into separate column lines.
    """
    rules = rules or load_rules()
    derived_from = dict(derived_from or {})
    columns = list(dict.fromkeys([*count_columns, *derived_from.values()]))
    missing = [c for c in [*columns, *derived_from] if c not in df.columns]
    if missing:
        raise KeyError(f"disclosure control: columns not in the table: {missing}")
    mask = suppression_mask(df, columns, rules, row_total=row_total, by=by)
    out = df.copy()
    for col in columns:
        values = out[col]
        if rules.rounding_base:
            numeric = pd.to_numeric(values, errors="coerce")
            rounded = numeric.map(lambda v: round_count(v, rules.rounding_base))
            values = values.astype(object).where(
                numeric.isna(), rounded.astype("Int64").astype(object)
            )
        out[col] = values.astype(object).where(~mask[col], rules.symbol)
    for derived, source in derived_from.items():
        out[derived] = out[derived].astype(object).where(~mask[source], rules.symbol)
    return out
