"""Statistical disclosure control for published counts of children.

Default rules (``config/disclosure.yaml``) follow the DfE's practice for children's social care
statistics:

* **Primary suppression** - a count of children from 1 to 5 is published as ``c``.
* **Secondary suppression** - a table declares its arithmetic: *lines* (cells that sum to a
  total a reader can see: the count columns of a row with a row-total column or a declared row
  sum, the rows of a column with a total row, and - ``assume_column_totals_published`` - the
  rows of any count column, whose sum the report quotes elsewhere) and *shares* (a share column
  with its numerator and denominator). Further cells are suppressed until the attacker's linear
  programme (:func:`analysis.disclosure_audit.hidden_bounds`) cannot narrow any suppressed count
  to fewer than ``protection_interval`` + 1 whole numbers, each suppressed count taken as at
  least 1: for each exposed cell, a published non-zero cell tied to it, smallest first, tried
  with the LP (see :func:`apply_secondary_suppression`). Where no published cell can cover, a
  table may withhold a column total known from elsewhere (``withhold_column_totals``, off in the
  build, :func:`secondary_suppression`) or, when declared (``fold``), merge declared count
  columns (:func:`fold_columns`: a column whose small total the other column totals give back)
  and, for a list of categories, the rows it cannot protect into one "other" row
  (:func:`fold_rows`).
* **Derived figures** - a share is suppressed with its numerator or its denominator; a rate or
  average computed from a suppressed count (named in ``derived_from``) is suppressed with it.
* **One version of each number** - ``key``/``quantities`` say which number a count cell holds;
  :func:`follow` makes a table suppress what a linked table suppresses, and
  :mod:`analysis.disclosure_audit` checks every edition as a whole before it is published.
* **Rounding** - optional (``rounding_base``), applied to unsuppressed counts after suppression.

Caveat: the partner choice is greedy (smallest first, checked by LP), not the optimal pattern a
solver such as tau-argus' would find, so it can hide more than needed; relations between tables
are only known through declared quantities. Use ``by`` to give the groups of a long table (e.g.
one line per year) so that group totals are protected too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.paths import CONFIG

SUPPRESSED = "c"
#: The built-in range of primary suppression (used when ``config/disclosure.yaml`` is absent or
#: does not say); read the rule in force with :func:`load_rules` (``lower``, ``upper``).
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
    sentence_small: str = f"fewer than {UPPER + 1}"
    symbols: Mapping[str, str] = field(default_factory=dict)
    protection_interval: float = 2.0
    withhold_column_totals: bool = False
    folds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@lru_cache(maxsize=8)
def _load_rules_cached(path: str) -> DisclosureRules:
    raw: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    upper = int(raw.get("upper", UPPER))
    return DisclosureRules(
        lower=int(raw.get("lower", LOWER)),
        upper=upper,
        symbol=str(raw.get("symbol", SUPPRESSED)),
        secondary=bool(raw.get("secondary", True)),
        assume_column_totals_published=bool(raw.get("assume_column_totals_published", True)),
        total_column_names=tuple(s.lower() for s in raw.get("total_column_names", ["total"])),
        total_row_labels=tuple(s.lower() for s in raw.get("total_row_labels", ["total"])),
        rounding_base=(int(raw["rounding_base"]) if raw.get("rounding_base") else None),
        sentence_small=str(raw.get("sentence_small", f"fewer than {upper + 1}")),
        symbols=dict(raw.get("symbols", {})),
        protection_interval=float(raw.get("protection_interval", 2)),
        withhold_column_totals=bool(raw.get("withhold_column_totals", False)),
        folds={str(k): dict(v) for k, v in (raw.get("fold") or {}).items()},
    )


def load_rules(path: Path | str | None = None) -> DisclosureRules:
    """Read the disclosure rules from YAML (default ``config/disclosure.yaml``).

    Falls back to the built-in DfE defaults when the default file is absent.
    """
    target = Path(path) if path is not None else CONFIG / "disclosure.yaml"
    if path is None and not target.exists():
        return DisclosureRules()
    return _load_rules_cached(str(target.resolve()))


def small_range(rules: DisclosureRules | None = None) -> tuple[int, int]:
    """``(lower, upper)``: counts of children from ``lower`` to ``upper`` are suppressed (the
    rules in force, :func:`load_rules`, when ``rules`` is None; 1 to 5 by default)."""
    rules = rules or load_rules()
    return rules.lower, rules.upper


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
    if isinstance(n, str) and n.strip() == rules.symbol:  # withheld upstream (results files)
        return rules.sentence_small
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


def apply_secondary_suppression(
    values: np.ndarray,
    suppressed: np.ndarray,
    lines: Sequence[Line],
    *,
    line_values: Sequence[float | None] | None = None,
    protection: float = 2.0,
) -> np.ndarray:
    """Extend the ``suppressed`` mask until no suppressed count can be narrowed to a range
    narrower than ``protection`` from the lines (the attacker's audit,
    :func:`analysis.disclosure_audit.hidden_bounds`, on this table alone).

    ``line_values`` gives the known total of each line whose ``total`` is None (a column sum
    published elsewhere); None for a line whose total is not known. For each exposed cell a
    partner is suppressed: among the published non-zero cells of its lines (then of the lines
    of the suppressed cells tied to it), smallest first, the first whose suppression leaves
    both the exposed cell and the partner itself safe (tried with the LP), else the smallest.
    Repeats until the audit finds nothing or no line has a cell left (see
    :func:`secondary_suppression` for the version that may also withhold a column total).
    """
    return secondary_suppression(
        values, suppressed, lines, line_values=line_values, protection=protection
    )[0]


def secondary_suppression(
    values: np.ndarray,
    suppressed: np.ndarray,
    lines: Sequence[Line],
    *,
    line_values: Sequence[float | None] | None = None,
    protection: float = 2.0,
    withhold_totals: bool = False,
) -> tuple[np.ndarray, set[int], list[Cell]]:
    """:func:`apply_secondary_suppression`, returning the mask, the indices (into ``lines``)
    of the column totals withheld and the cells still exposed (none when it succeeded).

    With ``withhold_totals``, a column total known from elsewhere (a line with a value and no
    in-table total) is itself a candidate, the margin cell of tau-argus' tables: when no
    published cell can cover an exposed cell (every partner tried leaves it or itself
    exposed), the first such total of its lines whose withholding makes it safe is withheld
    (the table then promises that total is quoted nowhere: ``withheld_totals`` in its sidecar).
    This covers what partners cannot: a column of single children and zeros whose total is
    known, or a column total from 1 to 5 that the other column totals give back.
    """
    from analysis.disclosure_audit import sum_relation

    mask = suppressed.copy()
    if line_values is None:
        line_values = [None] * len(lines)
    used = [
        (index, line, value)
        for index, (line, value) in enumerate(zip(lines, line_values, strict=True))
        if line.total is not None or value is not None
    ]
    relations = [
        sum_relation([c for c in line.cells if not np.isnan(values[c])], line.total, value)
        for _, line, value in used
    ]
    through: dict[Cell, list[Line]] = {}
    margins: dict[Cell, list[int]] = {}  # cell -> positions in ``used`` of its known totals
    for position, (_, line, _) in enumerate(used):
        for cell in [*line.cells, *([line.total] if line.total is not None else [])]:
            through.setdefault(cell, []).append(line)
        if line.total is None and withhold_totals:
            for cell in line.cells:
                margins.setdefault(cell, []).append(position)
    audit = _TableAudit(values, relations, protection)
    safe: set[Cell] = set()  # more suppression only widens a reader's ranges: safe stays safe
    while True:
        hidden = [
            (int(r), int(c))
            for r, c in zip(*np.nonzero(mask), strict=True)
            if not np.isnan(values[r, c])
        ]
        todo = [cell for cell in hidden if cell not in safe]
        exposed = audit.exposed(mask, todo)
        safe.update(cell for cell in todo if cell not in exposed)
        if not exposed:
            break
        added = False
        for cell in exposed:
            if not audit.exposed(mask, [cell]):  # covered by a partner chosen this pass
                continue
            partner = _choose_partner(cell, through, values, mask, audit, margins=margins)
            if isinstance(partner, int):
                audit.withheld.add(partner)
                safe.clear()  # a withheld total changes the relations: check all again
                added = True
            elif partner is not None:
                mask[partner] = True
                added = True
        if not added:
            break
    return mask, {used[position][0] for position in audit.withheld}, exposed


class _TableAudit:
    """The attacker's bounds on one table's suppressed cells (one LP set-up per question);
    ``withheld`` are the positions of the relations (column totals) no longer published."""

    def __init__(self, values: np.ndarray, relations: list, protection: float) -> None:
        self.values, self.relations, self.protection = values, relations, protection
        self.withheld: set[int] = set()

    def exposed(
        self, mask: np.ndarray, cells: Sequence[Cell], withheld: Iterable[int] = ()
    ) -> list[Cell]:
        """The cells of ``cells`` (suppressed under ``mask``) a reader can narrow too far."""
        from analysis.disclosure_audit import hidden_bounds, is_exposed

        if not cells:
            return []
        values = self.values
        hidden = [
            (int(r), int(c))
            for r, c in zip(*np.nonzero(mask), strict=True)
            if not np.isnan(values[r, c])
        ]
        known = {
            (int(r), int(c)): float(values[r, c])
            for r, c in zip(*np.nonzero(~mask), strict=True)
            if not np.isnan(values[r, c])
        }
        gone = self.withheld.union(withheld)
        relations = [r for i, r in enumerate(self.relations) if i not in gone]
        # the reader's knowledge, as in the published audit: a suppressed count is at least 1;
        # when that contradicts the relations (a suppressed zero), the audit's reader falls back
        # to at least 0, and this stricter one to knowing which hidden cells are 0 (each other
        # at least 1): a hidden zero is no cover (its bounds are never looser than the audit's)
        bounds = hidden_bounds(
            known,
            hidden,
            relations,
            lower=1.0,
            enough=self.protection + 1,
            targets=cells,
            fallback={cell: float(values[cell] >= 1) for cell in hidden},
        )
        return [cell for cell in cells if is_exposed(bounds[cell], self.protection)]


def _candidates(
    cell: Cell, through: Mapping[Cell, list[Line]], values: np.ndarray, mask: np.ndarray
) -> list[Cell]:
    """Published non-zero cells (published zeros when a step finds none) that could cover
    ``cell``: first those reached through lines
    with an in-table total (the row relations a reader combines), then through every line;
    breadth first from the cell over the suppressed cells tied to it, each step smallest first
    (a part before an in-table total)."""
    out: list[Cell] = []
    for row_lines_only in (True, False):
        seen_lines: set[Line] = set()
        frontier, seen_cells = [cell], {cell}
        for _ in range(3):
            lines = [
                line
                for c in frontier
                for line in through.get(c, [])
                if line not in seen_lines and (line.total is not None or not row_lines_only)
            ]
            if not lines:
                break
            seen_lines.update(lines)
            group = {
                c: (values[c], is_total)
                for line in lines
                for c, is_total in [
                    *((c, 0) for c in line.cells),
                    *([(line.total, 1)] if line.total is not None else []),
                ]
                if not mask[c] and not np.isnan(values[c]) and values[c] > 0 and c not in out
            }
            out += sorted(group, key=lambda c: (group[c][1], group[c][0], c))
            if not out:  # only zeros left to cover with: a suppressed zero hides which cells
                # are the non-zero ones (the reader can no longer assume each is at least 1)
                zeros = {
                    c
                    for line in lines
                    for c in line.cells
                    if not mask[c] and not np.isnan(values[c]) and values[c] == 0
                }
                out += sorted(zeros)
            frontier = []
            for line in lines:
                for c in [*line.cells, *([line.total] if line.total is not None else [])]:
                    if mask[c] and c not in seen_cells:
                        seen_cells.add(c)
                        frontier.append(c)
    return out


def _choose_partner(
    cell: Cell,
    through: Mapping[Cell, list[Line]],
    values: np.ndarray,
    mask: np.ndarray,
    audit: _TableAudit,
    tries: int = 8,
    margins: Mapping[Cell, list[int]] | None = None,
) -> Cell | int | None:
    """The partner to suppress for an exposed cell (see :func:`apply_secondary_suppression`);
    None when no published cell is tied to it (zeros are candidates only when no non-zero is).
    A column total (an ``int``: its position among the audit's relations) is chosen only when
    no candidate leaves both the cell and itself safe and withholding it makes the cell safe
    (``margins``: the known totals of each cell's lines, :func:`secondary_suppression`)."""
    candidates = _candidates(cell, through, values, mask)
    covers_cell = None
    for candidate in candidates[:tries]:
        trial = mask.copy()
        trial[candidate] = True
        exposed = audit.exposed(trial, [cell, candidate])
        if not exposed:
            return candidate
        if covers_cell is None and cell not in exposed:
            covers_cell = candidate
    for position in _margin_candidates(cell, mask, margins or {}, audit):
        if not audit.exposed(mask, [cell], withheld=[position]):
            return position
    if covers_cell is not None:
        return covers_cell
    return candidates[0] if candidates else None


def _margin_candidates(
    cell: Cell, mask: np.ndarray, margins: Mapping[Cell, list[int]], audit: _TableAudit
) -> list[int]:
    """The known column totals that could cover ``cell``: those of its own lines, then those
    of the other suppressed cells (the reader combines the lines they share), in order."""
    out = [p for p in margins.get(cell, []) if p not in audit.withheld]
    for r, c in zip(*np.nonzero(mask), strict=True):
        for p in margins.get((int(r), int(c)), []):
            if p not in audit.withheld and p not in out:
                out.append(p)
    return out


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
    sums: Mapping[str, Sequence[str]] | None = None,
) -> list[Line]:
    """The lines (cells that sum to a visible total) of a table; cells index ``count_columns``.

    ``sums`` declares row relations: a total column and the columns that add up to it (e.g.
    ``{"placements": ["outside_london", "in_own_borough", "in_other_london"]}``).
    """
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
        for total, parts in (sums or {}).items():
            lines.append(Line(tuple((i, cols.index(p)) for p in parts), (i, cols.index(total))))
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
            elif rules.assume_column_totals_published and len(cells) > 1:
                # the sum of one cell quoted elsewhere is that cell's own number, published
                # under the same control: no relation (a one-borough dataset's London total)
                lines.append(Line(cells, None))
    return lines


@dataclass
class ProtectedTable:
    """A table after disclosure control: the published ``frame``, the ``mask`` of suppressed
    count cells and the ``sidecar`` declaring its arithmetic for the attacker's audit."""

    frame: pd.DataFrame
    mask: pd.DataFrame
    sidecar: dict[str, Any]
    source: pd.DataFrame | None = None  # the table before control (local only, never written)
    exposed: int = 0  # suppressed cells secondary suppression could not protect (the audit's)


def _count_values(
    df: pd.DataFrame, columns: Sequence[str], symbol: str
) -> tuple[np.ndarray, np.ndarray]:
    """The numbers of ``columns`` (NaN where missing or already suppressed) and the mask of
    cells that already show the suppression symbol (a table cut from a published one)."""
    if not columns:
        return np.empty((len(df), 0)), np.zeros((len(df), 0), dtype=bool)
    values = np.column_stack(
        [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in columns]
    )
    already = np.column_stack(
        [
            df[c].astype(object).map(lambda v: str(v).strip() == symbol).to_numpy(dtype=bool)
            for c in columns
        ]
    )
    return values, already


def protect_table(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    derived_from: Mapping[str, str] | None = None,
    *,
    rules: DisclosureRules | None = None,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
    sums: Mapping[str, Sequence[str]] | None = None,
    shares: Mapping[str, Mapping[str, Any]] | None = None,
    key: str | None = None,
    quantities: Mapping[str, str] | None = None,
    force: pd.DataFrame | None = None,
    column_totals: bool | None = None,
    fold: Mapping[str, Any] | None = None,
) -> ProtectedTable:
    """Disclosure control of one table with its arithmetic declared (see module doc).

    ``count_columns`` count children; ``derived_from`` maps a rate/average column to the count
    it was computed from; ``shares`` maps a share column to ``{"numerator": col,
    "denominator": col, "scale": 100}`` (suppressed when either count is); ``sums`` declares row
    totals (see :func:`table_lines`); ``key``/``quantities`` name the row and the quantity each
    count column holds, so that the audit links the same number across tables and editions;
    ``force`` (a boolean frame over count columns) suppresses cells chosen elsewhere (the same
    number suppressed in another table). Cells already showing the symbol stay suppressed.
    ``column_totals`` overrides ``assume_column_totals_published`` for this table (False for a
    table of a subset of rows whose column sums are not quoted anywhere). ``fold`` (a table's
    entry of ``fold`` in ``config/disclosure.yaml``) is the last resort: when secondary
    suppression cannot protect every suppressed count, the count columns of each group of
    ``fold["columns"]`` (``{new column: [columns]}``, in order) are merged into one column
    (:func:`fold_columns`), one group at a time, and the table is protected again; then, for a
    list of categories (``fold["label_column"]``), the rows holding a suppressed count are
    merged into one row labelled ``fold["label"]`` (see :func:`fold_rows`), until nothing is
    exposed.
    """
    rules = rules or load_rules()
    if column_totals is not None and column_totals != rules.assume_column_totals_published:
        from dataclasses import replace

        rules = replace(rules, assume_column_totals_published=column_totals)
    memo_key = _memo_key(
        df,
        count_columns,
        derived_from,
        rules,
        row_total,
        by,
        sums,
        shares,
        key,
        quantities,
        force,
        fold,
    )
    if memo_key in _MEMO:
        done = _MEMO[memo_key]
        return ProtectedTable(
            done.frame.copy(),
            done.mask.copy(),
            json.loads(json.dumps(done.sidecar)),
            done.source if {"folded_into", "folded_columns"} & set(done.sidecar) else df,
            done.exposed,
        )

    def protect(
        frame: pd.DataFrame,
        counts: Sequence[str],
        quantities: Mapping[str, str] | None,
        force: pd.DataFrame | None,
    ) -> ProtectedTable:
        """:func:`_protect_table` with this call's rules and relations."""
        return _protect_table(
            frame,
            counts,
            derived_from,
            rules=rules,
            row_total=row_total,
            by=by,
            sums=sums,
            shares=shares,
            key=key,
            quantities=quantities,
            force=force,
        )

    result = protect(df, count_columns, quantities, force)
    current, counts = df, list(count_columns)
    folded_columns: dict[str, list[str]] = {}
    for into, parts in ((fold or {}).get("columns") or {}).items():
        if not result.exposed:
            break
        parts = [c for c in parts if c in counts]
        if len(parts) < 2:
            continue
        _check_column_fold(parts, derived_from, sums, shares)
        current = fold_columns(current, parts, into)
        counts = list(dict.fromkeys(into if c in parts else c for c in counts))
        # the merged column is a number of its own (no quantity, nothing forced on it)
        quantities = {c: q for c, q in (quantities or {}).items() if c not in parts}
        force = None if force is None else force.drop(columns=parts, errors="ignore")
        result = protect(current, counts, quantities, force)
        folded_columns = {**folded_columns, into: parts}
        result.sidecar["folded_columns"] = folded_columns
    while fold and fold.get("label_column") and result.exposed:
        rows = [i for i, hide in enumerate(result.mask.any(axis=1).to_numpy()) if hide]
        labels = current[fold["label_column"]].astype(str).to_numpy()
        if all(labels[i] == fold["label"] for i in rows):  # nothing left to fold
            break
        current = fold_rows(current, rows, fold)
        result = protect(current, counts, quantities, None)
        result.sidecar["folded_into"] = fold["label"]
        if folded_columns:
            result.sidecar["folded_columns"] = folded_columns
    result.source = current  # the table controlled (folded, when it was)
    if len(_MEMO) >= 64:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[memo_key] = result
    return ProtectedTable(
        result.frame.copy(),
        result.mask.copy(),
        json.loads(json.dumps(result.sidecar)),
        current,
        result.exposed,
    )


def fold_columns(df: pd.DataFrame, parts: Sequence[str], into: str) -> pd.DataFrame:
    """Merge the count columns ``parts`` into one column ``into`` (their sum, row by row),
    placed where the first of them was. For a table whose row total and other column totals are
    published, a column whose total is 1 to 5 is given back by them (the row total less the
    other columns, summed over the rows): no suppression pattern inside the table protects its
    cells, but the column merged with a neighbour no longer exists. Caveat: the merged column
    says less (e.g. "in London" for "own borough" and "another London borough")."""
    numbers = df[list(parts)].apply(pd.to_numeric, errors="coerce")
    merged = numbers.sum(axis=1, min_count=1)
    if all(pd.api.types.is_integer_dtype(df[c]) for c in parts):
        merged = merged.astype(int)
    position = min(df.columns.get_loc(c) for c in parts)
    out = df.drop(columns=list(parts))
    out.insert(position, into, merged)
    return out


def _check_column_fold(
    parts: Sequence[str],
    derived_from: Mapping[str, str] | None,
    sums: Mapping[str, Sequence[str]] | None,
    shares: Mapping[str, Mapping[str, Any]] | None,
) -> None:
    """Refuse a column fold whose columns another declared relation names (a share, a rate or
    a declared row sum would be left pointing at a column that is gone)."""
    named = {
        *(derived_from or {}).values(),
        *(sums or {}),
        *(p for ps in (sums or {}).values() for p in ps),
        *(
            c
            for sh in (shares or {}).values()
            for c in (sh.get("numerator"), sh.get("denominator"))
        ),
    }
    clash = sorted(set(parts) & named)
    if clash:
        raise ValueError(
            f"disclosure control: cannot fold columns used by other relations: {clash}"
        )


def fold_rows(df: pd.DataFrame, rows: Sequence[int], fold: Mapping[str, Any]) -> pd.DataFrame:
    """Merge the rows at positions ``rows`` (and an earlier folded row) into one last row
    labelled ``fold["label"]`` in ``fold["label_column"]``: the columns of ``fold["sum"]`` (counts
    and shares of one total) are summed, every other column is left blank. The categories
    folded are not named and their number is not given (with the total it could give their
    counts back)."""
    label_column, label = fold["label_column"], fold["label"]
    merged = set(rows) | set(np.flatnonzero(df[label_column].astype(str).to_numpy() == label))
    positions = sorted(int(i) for i in merged)
    part = df.iloc[positions]
    other: dict[str, Any] = {c: "" for c in df.columns}
    for col in fold.get("sum", []):
        other[col] = pd.to_numeric(part[col], errors="coerce").sum()
        if pd.api.types.is_integer_dtype(df[col]):
            other[col] = int(other[col])
    other[label_column] = label
    keep = df.drop(index=df.index[positions])
    return pd.concat([keep, pd.DataFrame([other])], ignore_index=True)


#: Tables already protected in this process (a build's kernels publish the London-level tables
#: in every edition): content key -> result. The LPs of a large table take seconds.
_MEMO: dict[str, ProtectedTable] = {}


def _memo_key(df: pd.DataFrame, *spec: Any) -> str:
    import hashlib

    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(df.astype(str), index=True).to_numpy().tobytes())
    digest.update(repr(list(df.columns)).encode())
    for part in spec:
        if isinstance(part, pd.DataFrame):
            digest.update(
                pd.util.hash_pandas_object(part.astype(str), index=True).to_numpy().tobytes()
            )
            digest.update(repr(list(part.columns)).encode())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()


def _protect_table(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    derived_from: Mapping[str, str] | None,
    *,
    rules: DisclosureRules,
    row_total: str | None,
    by: Sequence[str] | None,
    sums: Mapping[str, Sequence[str]] | None,
    shares: Mapping[str, Mapping[str, Any]] | None,
    key: str | None,
    quantities: Mapping[str, str] | None,
    force: pd.DataFrame | None,
) -> ProtectedTable:
    derived_from = dict(derived_from or {})
    shares = {k: dict(v) for k, v in (shares or {}).items()}
    share_counts = [
        c
        for sh in shares.values()
        for c in (sh.get("numerator"), sh.get("denominator"))
        if c in count_columns
    ]
    columns = list(dict.fromkeys([*count_columns, *derived_from.values(), *share_counts]))
    missing = [
        c
        for c in [
            *columns,
            *derived_from,
            *shares,
            *(sums or {}),
            *[p for ps in (sums or {}).values() for p in ps],
        ]
        if c not in df.columns
    ]
    if missing:
        raise KeyError(f"disclosure control: columns not in the table: {missing}")
    values, already = _count_values(df, columns, rules.symbol)
    primary = ((values >= rules.lower) & (values <= rules.upper)) | already
    if force is not None:
        for j, col in enumerate(columns):
            if col in force.columns:
                primary[:, j] |= force[col].reindex(df.index).fillna(False).to_numpy(dtype=bool)
    lines = (
        table_lines(df, columns, rules, row_total=row_total, by=by, sums=sums) if len(df) else []
    )
    line_values: list[float | None] = []
    for line in lines:
        total = float(np.nansum([values[c] for c in line.cells]))
        if line.total is not None or any(already[c] for c in line.cells):
            line_values.append(None)
        elif rules.lower <= total <= rules.upper:
            # a column total quoted elsewhere is a count of children too: from 1 to 5 it is
            # withheld wherever it is quoted (the results files are controlled and audited)
            line_values.append(None)
        else:
            line_values.append(total)
    mask_values = primary
    withheld: set[int] = set()
    exposed_left: list[Cell] = []
    if rules.secondary and len(df):
        mask_values, withheld, exposed_left = secondary_suppression(
            values,
            primary,
            lines,
            line_values=line_values,
            protection=rules.protection_interval,
            withhold_totals=rules.withhold_column_totals,
        )
    withheld_totals = [
        {"column": columns[lines[i].cells[0][1]], "rows": [r for r, _ in lines[i].cells]}
        for i in sorted(withheld)
        if lines[i].cells
    ]
    line_values = [None if i in withheld else v for i, v in enumerate(line_values)]
    mask = pd.DataFrame(mask_values, columns=columns, index=df.index)
    out = df.copy()
    for col in columns:
        col_values = out[col]
        if rules.rounding_base:
            numeric = pd.to_numeric(col_values, errors="coerce")
            rounded = numeric.map(lambda v: round_count(v, rules.rounding_base))
            col_values = col_values.astype(object).where(
                numeric.isna(), rounded.astype("Int64").astype(object)
            )
        out[col] = col_values.astype(object).where(~mask[col], rules.symbol)
    for derived, source in derived_from.items():
        out[derived] = out[derived].astype(object).where(~mask[source], rules.symbol)
    for col, sh in shares.items():
        hide = pd.Series(False, index=df.index)
        for part in (sh.get("numerator"), sh.get("denominator")):
            if part in mask.columns:
                hide |= mask[part]
        out[col] = out[col].astype(object).where(~hide, rules.symbol)
    sidecar: dict[str, Any] = {
        "child_counts": list(count_columns),
        "derived_from": derived_from,
        "lines": [
            {
                "parts": [[r, columns[c]] for r, c in line.cells],
                "total": [line.total[0], columns[line.total[1]]]
                if line.total is not None
                else None,
                "value": value,
            }
            for line, value in zip(lines, line_values, strict=True)
            if line.total is not None or value is not None
        ],
        "shares": shares,
    }
    if withheld_totals:
        # the column totals this table withholds: quoting them anywhere would undo its control
        sidecar["withheld_totals"] = withheld_totals
    if key is not None:
        sidecar["key"] = key
        sidecar["quantities"] = dict(quantities or {})
    return ProtectedTable(out, mask, sidecar, exposed=len(exposed_left))


def suppression_mask(
    df: pd.DataFrame,
    count_columns: Sequence[str],
    rules: DisclosureRules | None = None,
    *,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Boolean frame (``count_columns``) of the cells to publish as the suppression symbol."""
    return protect_table(df, count_columns, rules=rules, row_total=row_total, by=by).mask


def suppress_child_counts(
    df: pd.DataFrame,
    count_columns: list[str],
    derived_from: dict[str, str] | None = None,
    *,
    rules: DisclosureRules | None = None,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
    **relations: Any,
) -> pd.DataFrame:
    """Return a copy of ``df`` with disclosure control applied to its counts of children.

    ``count_columns`` count children; ``derived_from`` maps a rate/percentage/average column to
    the count column it was computed from (suppressed with it); ``row_total`` names a row-total
    column (columns called ``Total``/``All`` are recognised anyway); ``by`` names the columns that
    group the rows of a long table into separate column lines; ``relations`` (``sums``,
    ``shares``, ``key``, ``quantities``, ``force``) as in :func:`protect_table`.
    """
    return protect_table(
        df, count_columns, derived_from, rules=rules, row_total=row_total, by=by, **relations
    ).frame


def follow(
    table: pd.DataFrame,
    key: str,
    quantities: Mapping[str, str],
    linked: ProtectedTable,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Make ``table`` publish the same suppressed version of numbers ``linked`` (a protected
    table with a key) already publishes: returns the cells to force-suppress and the
    quantities to declare. A column is linked to the ``linked`` column of the same quantity
    only when every row whose key ``linked`` has holds the same number there (else it is a
    different number, e.g. a subset of the children, and keeps its own quantity name
    ``<table quantity>:own``)."""
    other_key = linked.sidecar.get("key")
    by_quantity = {q: c for c, q in linked.sidecar.get("quantities", {}).items()}
    force = pd.DataFrame(index=table.index)
    declared: dict[str, str] = {}
    if other_key is None or linked.source is None:
        return force, {c: f"{q}:own" for c, q in quantities.items()}
    keys = table[key].astype(str)
    other_keys = linked.source[other_key].astype(str).to_numpy()
    for col, quantity in quantities.items():
        other = by_quantity.get(quantity)
        if other is None:
            declared[col] = f"{quantity}:own"
            continue
        truth = pd.Series(
            pd.to_numeric(linked.source[other], errors="coerce").to_numpy(), index=other_keys
        )
        mine = pd.to_numeric(table[col], errors="coerce")
        theirs = keys.map(truth)
        both = theirs.notna() & mine.notna()
        if not np.allclose(mine[both].to_numpy(dtype=float), theirs[both].to_numpy(dtype=float)):
            declared[col] = f"{quantity}:own"
            continue
        declared[col] = quantity
        mask = pd.Series(linked.mask[other].to_numpy(), index=other_keys)
        force[col] = keys.map(mask).fillna(False).astype(bool)
    return force, declared
