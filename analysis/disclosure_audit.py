"""The attacker's audit: can a suppressed count of children be worked out from what is published?

A published table declares its arithmetic in ``tables/<name>.disclosure.json`` (written by
:func:`analysis.outputs.write_table`, see :func:`analysis.disclosure.protect_table`):

* ``lines`` - cells that add up to a total: an in-table total cell (row total, total row) or a
  total published elsewhere (``value``: e.g. a column's sum, which the report quotes);
* ``shares`` - a share/percentage/rate column and its numerator and denominator columns
  (``share = scale * numerator / denominator``);
* ``key`` and ``quantities`` - the column naming what a row is about (``la_name``) and, per count
  column, the quantity it holds: cells with the same quantity and key value are one number
  wherever they appear (another table, the figure data, the London edition beside a borough's).

:func:`audit_edition` collects every such number of an edition (CSV tables, the sheets of
``tables.xlsx``, the values each figure draws, recorded from the chart itself in
``figures/<name>.json``) and bounds every suppressed count by linear programming (HiGHS, as
tau-argus' audit does with interval bounds): the smallest and largest value it can take given
everything published and that each suppressed count is at least 1. A count whose range is
narrower than the protection interval (``config/disclosure.yaml``) is a finding; so is a count
published in one place and suppressed in another, and a figure that draws a suppressed value.

Caveat: only declared relations are used. Numbers in prose and results JSON are not linked to
table cells (they pass through the same suppression functions); a relation nobody declared
(e.g. a difference between two unrelated tables) is not tried.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

QId = Hashable

#: relative tolerance of a published share (written to 6 significant digits)
SHARE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class LinearRelation:
    """``lo <= sum(coef * x) <= hi`` over numbers identified by ``QId``."""

    terms: tuple[tuple[QId, float], ...]
    lo: float
    hi: float


def sum_relation(parts: Sequence[QId], total: QId | None, value: float | None) -> LinearRelation:
    """``sum(parts) == total`` (an in-table total cell) or ``== value`` (a known total)."""
    terms = tuple((p, 1.0) for p in parts)
    if total is not None:
        return LinearRelation((*terms, (total, -1.0)), 0.0, 0.0)
    return LinearRelation(terms, float(value), float(value))  # type: ignore[arg-type]


def share_relations(
    share: float, numerator: QId, denominator: QId | float, scale: float = 1.0
) -> list[LinearRelation]:
    """A published ``share = scale * numerator / denominator`` (rounded): two inequalities
    ``scale * numerator - (share -/+ tol) * denominator`` around 0, tolerance for the rounding."""
    tol = max(abs(share) * SHARE_TOLERANCE, 1e-9 * max(abs(scale), 1.0))
    out = []
    for s, lo, hi in ((share + tol, -math.inf, 0.0), (share - tol, 0.0, math.inf)):
        if isinstance(denominator, (int, float)):
            out.append(
                LinearRelation(((numerator, scale),), lo + s * denominator, hi + s * denominator)
            )
        else:
            out.append(LinearRelation(((numerator, scale), (denominator, -s)), lo, hi))
    return out


def _components(hidden: list[QId], relations: list[LinearRelation]) -> list[list[int]]:
    """Groups of relation indices that share hidden numbers (union-find)."""
    parent = list(range(len(relations)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[QId, int] = {}
    for i, rel in enumerate(relations):
        for q, _ in rel.terms:
            if q in first:
                a, b = find(i), find(first[q])
                if a != b:
                    parent[a] = b
            else:
                first[q] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(relations)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def hidden_bounds(
    known: Mapping[QId, float],
    hidden: Iterable[QId],
    relations: Iterable[LinearRelation],
    *,
    lower: float | Mapping[QId, float] = 1.0,
    enough: float | None = None,
    targets: Iterable[QId] | None = None,
    fallback: Mapping[QId, float] | None = None,
) -> dict[QId, tuple[float, float]]:
    """The smallest and largest value of each hidden number given the known ones and the
    relations (linear programming, HiGHS). ``lower`` is the least value of a hidden number (a
    suppressed count is at least 1; per number, a suppressed zero at least 0). A hidden number
    in no relation gets ``(lower, inf)``; when the relations of a group contradict a lower bound
    of 1 the group is bounded again from 0, and ``(nan, nan)`` marks numbers whose relations
    contradict each other even then. With ``enough``, a number shown to range at least that
    far by the solutions found so far is not bounded further (its bounds are then the range
    seen, an inner estimate): enough to decide the protection test with far fewer LPs.
    ``targets`` limits the numbers bounded (the others still take part in the LPs).
    ``fallback`` gives the lower bounds used instead of 0 when the relations contradict
    ``lower`` (secondary suppression's stricter reader, who knows which hidden cells are 0)."""
    hidden = list(dict.fromkeys(hidden))
    hidden_set = set(hidden)
    wanted = set(targets) if targets is not None else None
    reduced: list[LinearRelation] = []
    for rel in relations:
        shift = 0.0
        terms: dict[QId, float] = {}
        for q, coef in rel.terms:
            if q in hidden_set:
                terms[q] = terms.get(q, 0.0) + coef
            elif q in known and known[q] is not None and not math.isnan(known[q]):
                shift += coef * known[q]
            else:  # a number neither published nor hidden (missing): relation unusable
                terms = {}
                break
        terms = {q: c for q, c in terms.items() if c != 0.0}
        if terms:
            reduced.append(LinearRelation(tuple(terms.items()), rel.lo - shift, rel.hi - shift))
    low_of = (
        (lambda q: float(lower.get(q, 1.0)))
        if isinstance(lower, Mapping)
        else (lambda q: float(lower))
    )
    bounds: dict[QId, tuple[float, float]] = {q: (low_of(q), math.inf) for q in hidden}
    for group in _components(hidden, reduced):
        rels = [reduced[i] for i in group]
        names = list(dict.fromkeys(q for r in rels for q, _ in r.terms))
        if wanted is not None and not wanted.intersection(names):
            continue
        index = {q: j for j, q in enumerate(names)}
        a_eq, b_eq, a_ub, b_ub = [], [], [], []
        for r in rels:
            row = np.zeros(len(names))
            for q, c in r.terms:
                row[index[q]] += c
            if r.lo == r.hi:
                a_eq.append(row)
                b_eq.append(r.lo)
                continue
            if math.isfinite(r.hi):
                a_ub.append(row)
                b_ub.append(r.hi)
            if math.isfinite(r.lo):
                a_ub.append(-row)
                b_ub.append(-r.lo)
        kwargs: dict[str, Any] = {"bounds": [(low_of(q), None) for q in names], "method": "highs"}
        if a_eq:
            kwargs.update(A_eq=np.array(a_eq), b_eq=np.array(b_eq))
        if a_ub:
            kwargs.update(A_ub=np.array(a_ub), b_ub=np.array(b_ub))
        lp = _LinearProgramme(len(names), kwargs)
        if lp.solve(np.zeros(len(names))).status == 2:  # a suppressed zero somewhere
            lows = [float((fallback or {}).get(q, 0.0)) for q in names]
            kwargs["bounds"] = [(low, None) for low in lows]
            lp.lower_bounds(lows)
        seen_lo = np.full(len(names), math.inf)
        seen_hi = np.full(len(names), -math.inf)

        def solve(
            c: np.ndarray,
            lp: _LinearProgramme = lp,
            seen_lo: np.ndarray = seen_lo,
            seen_hi: np.ndarray = seen_hi,
        ) -> Any:
            res = lp.solve(c)
            if res.status == 0:
                np.minimum(seen_lo, res.x, out=seen_lo)
                np.maximum(seen_hi, res.x, out=seen_hi)
            return res

        targets_here = len(wanted.intersection(names)) if wanted is not None else len(names)
        if enough is not None and targets_here > 4:  # far-apart solutions settle most at once
            rng = np.random.default_rng(len(names))  # seeded: the same answer every run
            directions = [np.ones(len(names)), *rng.choice([-1.0, 1.0], size=(3, len(names)))]
            for direction in directions:
                solve(direction)
                solve(-direction)
        for q, j in index.items():
            if wanted is not None and q not in wanted:
                continue
            if enough is not None and seen_hi[j] - seen_lo[j] >= enough - 1e-9:
                bounds[q] = (float(seen_lo[j]), float(seen_hi[j]))
                continue
            c = np.zeros(len(names))
            c[j] = 1.0
            low = solve(c)
            if low.status == 2:  # infeasible: the published numbers contradict each other
                bounds[q] = (math.nan, math.nan)
                continue
            if enough is not None and seen_hi[j] - seen_lo[j] >= enough - 1e-9:
                bounds[q] = (float(seen_lo[j]), float(seen_hi[j]))
                continue
            high = solve(-c)
            lo = float(low.fun) if low.status == 0 else kwargs["bounds"][j][0]
            hi = -float(high.fun) if high.status == 0 else math.inf
            bounds[q] = (lo, hi)
    return bounds


@dataclass(frozen=True)
class _Solution:
    """What :func:`scipy.optimize.linprog` reports: ``status`` 0 optimal, 2 infeasible,
    3 unbounded; the objective ``fun`` and the solution ``x`` when optimal."""

    status: int
    fun: float = math.nan
    x: np.ndarray | None = None


class _LinearProgramme:
    """One LP set up once and solved for many objectives (min ``c @ x`` subject to the
    constraints and bounds of ``linprog``'s keyword arguments ``spec``), with HiGHS through the
    interface scipy ships (``scipy.optimize._highspy``): set-up and option checks of each
    ``linprog`` call cost about a hundred times the solve of these small LPs, and the solver
    starts each objective from the last basis. Falls back to ``linprog`` when that interface
    is missing (it is private to scipy: pinned in requirements.lock)."""

    def __init__(self, n: int, spec: dict[str, Any]) -> None:
        self.n, self.spec = n, spec
        try:
            from scipy.optimize._highspy import _core
        except ImportError:  # pragma: no cover - another scipy
            self.highs = None
            return
        self.core = _core
        inf = _core.kHighsInf
        h = _core._Highs()
        h.setOptionValue("output_flag", False)
        lows = np.array([b[0] for b in spec["bounds"]], dtype=float)
        h.addVars(n, lows, np.full(n, inf))
        rows: list[tuple[np.ndarray, float, float]] = []
        for row, value in zip(spec.get("A_eq", []), spec.get("b_eq", []), strict=True):
            rows.append((row, float(value), float(value)))
        for row, value in zip(spec.get("A_ub", []), spec.get("b_ub", []), strict=True):
            rows.append((row, -inf, float(value)))
        if rows:
            starts, index, coefs = [], [], []
            for row, _, _ in rows:
                starts.append(len(index))
                nonzero = np.flatnonzero(row)
                index += nonzero.tolist()
                coefs += row[nonzero].tolist()
            h.addRows(
                len(rows),
                np.array([r[1] for r in rows]),
                np.array([r[2] for r in rows]),
                len(index),
                np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32),
                np.array(coefs, dtype=float),
            )
        self.highs = h
        self.columns = np.arange(n, dtype=np.int32)

    def lower_bounds(self, lows: Sequence[float]) -> None:
        """Set the numbers' lower bounds to ``lows``."""
        self.spec["bounds"] = [(low, None) for low in lows]
        if self.highs is not None:
            inf = self.core.kHighsInf
            self.highs.changeColsBounds(
                self.n, self.columns, np.array(lows, dtype=float), np.full(self.n, inf)
            )

    def solve(self, c: np.ndarray) -> _Solution:
        """Minimise ``c @ x``."""
        if self.highs is None:  # pragma: no cover - another scipy
            from scipy.optimize import linprog

            res = linprog(c, **self.spec)
            return _Solution(int(res.status), float(res.fun or 0.0), res.x)
        h, status_of = self.highs, self.core.HighsModelStatus
        h.changeColsCost(self.n, self.columns, np.asarray(c, dtype=float))
        h.run()
        status = h.getModelStatus()
        if status == status_of.kOptimal:
            x = np.array(h.getSolution().col_value, dtype=float)
            return _Solution(0, float(h.getInfo().objective_function_value), x)
        if status == status_of.kInfeasible:
            return _Solution(2)
        if status in (status_of.kUnbounded, status_of.kUnboundedOrInfeasible):
            return _Solution(3)
        from scipy.optimize import linprog  # anything else: the reference solver decides

        res = linprog(c, **self.spec)
        return _Solution(int(res.status), float(res.fun or 0.0), res.x)


def integer_width(lo: float, hi: float) -> float:
    """How many steps apart the smallest and largest whole counts in ``[lo, hi]`` are
    (``inf`` when unbounded above, ``-1`` when contradictory)."""
    if math.isnan(lo) or math.isnan(hi):
        return -1.0
    if math.isinf(hi):
        return math.inf
    return float(math.floor(hi + 1e-6) - math.ceil(lo - 1e-6))


def proven_zero(lo: float, hi: float) -> bool:
    """True when a suppressed cell can only be 0: it counts no child, so working it out
    discloses nothing (a zero hidden as a partner, a structurally empty row). A cell narrowed
    to ``[0, 1]`` may hold one child and is still exposed."""
    return not math.isnan(hi) and math.floor(hi + 1e-6) <= 0 and not math.isnan(lo)


def is_exposed(bound: tuple[float, float], protection: float) -> bool:
    """True when a suppressed count's range is narrower than the protection interval (and it
    is not a proven zero, :func:`proven_zero`)."""
    return integer_width(*bound) < protection and not proven_zero(*bound)


# --- reading an edition ------------------------------------------------------------------------


@dataclass
class PublishedTable:
    """One published table with its declared arithmetic (the sidecar)."""

    edition: str
    name: str
    frame: pd.DataFrame  # as published: text cells
    spec: dict[str, Any]

    def qid(self, row: int, column: str) -> QId:
        """The number a cell holds: shared with other tables when its quantity is declared."""
        quantity = self.spec.get("quantities", {}).get(column)
        keys = self.keys
        # a folded "other" row sums this table's own choice of rows: its number is its own
        folded = keys is not None and keys[row] == self.spec.get("folded_into")
        if quantity and keys is not None and not folded:
            return ("q", quantity, keys[row])
        return ("cell", self.edition, self.name, row, column)

    @property
    def keys(self) -> list[str] | None:
        """The key column's values (what each row is about), None without a key."""
        if not hasattr(self, "_keys"):
            key = self.spec.get("key")
            self._keys = (
                self.frame[key].astype(str).tolist() if key and key in self.frame.columns else None
            )
        return self._keys


@dataclass(frozen=True)
class AuditFinding:
    """A suppressed count an attacker can work out (or narrow too far), and how."""

    edition: str
    table: str
    row: str
    column: str
    kind: str  # recovered | narrowed | published_elsewhere | drawn | contradiction
    detail: str


def _number(text: Any) -> float | None:
    if text is None:
        return None
    s = str(text).strip().replace(",", "")
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def read_tables(root: Path, edition: str | None = None) -> list[PublishedTable]:
    """Every ``tables/*.csv`` of an edition that has a disclosure sidecar."""
    edition = edition or root.name
    out = []
    for csv in sorted((root / "tables").glob("*.csv")):
        sidecar = csv.with_suffix(".disclosure.json")
        if not sidecar.exists():
            continue
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
        out.append(PublishedTable(edition, csv.stem, frame, spec))
    return out


def _workbook_sheets(root: Path, wanted: Iterable[str]) -> dict[str, pd.DataFrame]:
    """The sheets of ``tables.xlsx`` named in ``wanted`` (one per declared table), as text."""
    book = root / "tables.xlsx"
    if not book.exists():
        return {}
    from openpyxl import load_workbook

    wb = load_workbook(book, read_only=True, data_only=True)
    out = {}
    try:
        for name in set(wanted) & set(wb.sheetnames):
            rows = [
                ["" if v is None else str(v) for v in row]
                for row in wb[name].iter_rows(values_only=True)
            ]
            if rows:
                out[name] = pd.DataFrame(rows[1:], columns=[str(h) for h in rows[0]])
    finally:
        wb.close()
    return out


def _figure_draws(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((root / "figures").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for series in doc.get("drawn", []) or []:
            out.append({**series, "figure": path.stem})
    return out


@dataclass
class _Collected:
    occurrences: dict[QId, list[tuple[str, str, str, str, float | None, bool]]]
    relations: list[LinearRelation]
    extra_known: dict[
        QId, tuple[float, str]
    ]  # values given away outside the tables (figures, xlsx)


def _collect(tables: list[PublishedTable], roots: Mapping[str, Path], symbol: str) -> _Collected:
    occ: dict[QId, list[tuple[str, str, str, str, float | None, bool]]] = {}
    relations: list[LinearRelation] = []
    extra: dict[QId, tuple[float, str, str]] = {}
    by_name = {(t.edition, t.name): t for t in tables}
    for t in tables:
        counts = list(t.spec.get("child_counts", []))
        shares = dict(t.spec.get("shares", {}))
        for col in [*counts, *[s["numerator"] for s in shares.values()]]:
            if col not in t.frame.columns:
                continue
            for i, text in enumerate(t.frame[col]):
                occ.setdefault(t.qid(i, col), []).append(
                    (t.edition, t.name, _row_label(t, i), col, _number(text), _is(text, symbol))
                )
        for line in t.spec.get("lines", []):
            parts = [t.qid(r, c) for r, c in line["parts"]]
            total = t.qid(*line["total"]) if line.get("total") else None
            if total is None and line.get("value") is None:
                continue
            relations.append(sum_relation(parts, total, line.get("value")))
        for col, share in shares.items():
            if col not in t.frame.columns:
                continue
            for i, text in enumerate(t.frame[col]):
                value = _number(text)
                if value is None:
                    continue
                den = share.get("denominator")
                if den and den in t.frame.columns:
                    den_q: QId | float = t.qid(i, den)
                    if den not in counts and share["numerator"] != den:
                        dv = _number(t.frame[den].iloc[i])
                        if dv is None:
                            continue
                        den_q = dv
                elif share.get("denominator_value") is not None:
                    den_q = float(share["denominator_value"])
                else:
                    continue
                relations += share_relations(
                    value, t.qid(i, share["numerator"]), den_q, float(share.get("scale", 1.0))
                )
    for edition, root in roots.items():
        names = [name for e, name in by_name if e == edition]
        for sheet, frame in _workbook_sheets(root, names).items():
            t = by_name.get((edition, sheet))
            if t is None:
                continue
            for col in t.spec.get("child_counts", []):
                if col not in frame.columns or col not in t.frame.columns:
                    continue
                for i in range(min(len(frame), len(t.frame))):
                    value = _number(frame[col].iloc[i])
                    if value is not None and _is(t.frame[col].iloc[i], symbol):
                        extra[t.qid(i, col)] = (
                            value,
                            f"tables.xlsx sheet {sheet}",
                            "published_elsewhere",
                        )
        for series in _figure_draws(root):
            t = by_name.get((edition, series.get("table", series["figure"])))
            col = series.get("column")
            if t is None or col not in t.frame.columns:
                continue
            labels = t.frame[series["label"]].astype(str).tolist() if series.get("label") else []
            scale = float(series.get("scale", 1.0))
            for label, value in zip(series["labels"], series["values"], strict=True):
                if label not in labels or value is None:
                    continue
                i = labels.index(label)
                if not _is(t.frame[col].iloc[i], symbol):
                    continue
                if col in t.spec.get("child_counts", []):
                    extra[t.qid(i, col)] = (value / scale, f"figure {series['figure']}", "drawn")
                else:  # a drawn share/rate whose table cell is suppressed
                    share = t.spec.get("shares", {}).get(col)
                    extra[("drawn", edition, t.name, _row_label(t, i), col)] = (
                        value,
                        f"figure {series['figure']}",
                        "drawn",
                    )
                    if share:
                        den = share.get("denominator")
                        den_q = t.qid(i, den) if den else share.get("denominator_value")
                        if den_q is not None:
                            relations += share_relations(
                                value / scale,
                                t.qid(i, share["numerator"]),
                                den_q,
                                float(share.get("scale", 1.0)),
                            )
    return _Collected(occ, relations, extra)


def _row_label(t: PublishedTable, i: int) -> str:
    return t.keys[i] if t.keys is not None else f"row {i + 2}"


def _add_results(
    col: _Collected,
    tables: list[PublishedTable],
    results: Sequence[tuple[str, Any]],
    symbol: str,
    small: tuple[float, float],
) -> list[AuditFinding]:
    """Put the declared counts of the results files (:mod:`analysis.disclosure_results`) among
    the published numbers: a borough's number is its table cells' number, a total is the sum
    of its quantity over the boroughs (or over a table's rows); a count from 1 to 5 shown is a
    finding in itself."""
    from analysis.boroughs import london_boroughs

    findings = []
    boroughs = set(london_boroughs()["la_name"])
    by_name = {(t.edition, t.name): t for t in tables}
    keys_of: dict[str, set[str]] = {}
    for q in col.occurrences:
        if q[0] == "q" and q[2] in boroughs:
            keys_of.setdefault(q[1], set()).add(q[2])
    for edition, dc in results:
        value = dc.value if isinstance(dc.value, (int, float)) else _number(dc.value)
        is_symbol = _is(dc.value, symbol)
        if isinstance(dc.value, bool) or (value is None and not is_symbol):
            continue
        if value is not None and small[0] <= value <= small[1]:
            findings.append(
                AuditFinding(edition, dc.file, dc.path, "", "small_count", f"{value:g} published")
            )
        place = (edition, dc.file, dc.path, "", value, is_symbol)
        if dc.quantity and dc.key:
            col.occurrences.setdefault(("q", dc.quantity, dc.key), []).append(place)
        elif dc.total:
            total_q = ("total", dc.total, dc.rows_of or "*")
            col.occurrences.setdefault(total_q, []).append(place)
            if dc.rows_of:
                table = by_name.get((edition, dc.rows_of))
                keys = set(table.keys or []) if table is not None else set()
            else:
                keys = keys_of.get(dc.total, set())
            if keys:
                parts = [("q", dc.total, k) for k in sorted(keys)]
                col.relations.append(sum_relation(parts, total_q, None))
    return findings


def audit_tables(
    tables: list[PublishedTable],
    roots: Mapping[str, Path] | None = None,
    *,
    protection: float = 2.0,
    symbol: str = "c",
    small: tuple[float, float] | None = None,
    results: Sequence[tuple[str, Any]] = (),
) -> list[AuditFinding]:
    """Try to recover every suppressed count of ``tables`` (see module doc). ``small`` is the
    range of primary suppression (a number in it shown anywhere is a finding; default the
    rules', :func:`analysis.disclosure.small_range`). ``results`` are the declared counts of
    the results files, ``(edition, DeclaredCount)``."""
    from analysis.disclosure import small_range

    small = small or small_range()
    col = _collect(tables, roots or {}, symbol)
    findings: list[AuditFinding] = _add_results(col, tables, results, symbol, small)
    known: dict[QId, float] = {}
    hidden: list[QId] = []
    for q, places in col.occurrences.items():
        values = [p[4] for p in places if p[4] is not None]
        suppressed = [p for p in places if p[5]]
        if values:
            known[q] = values[0]
            # a small count shown elsewhere is given away; a larger number hidden here as a
            # partner is simply known, and what it was protecting is bounded below
            if small[0] <= values[0] <= small[1]:
                for e, name, row, column, *_ in suppressed:
                    findings.append(
                        AuditFinding(
                            e,
                            name,
                            row,
                            column,
                            "published_elsewhere",
                            f"{values[0]:g} published in another table",
                        )
                    )
        elif suppressed:
            hidden.append(q)
    for q, (value, where, kind) in col.extra_known.items():
        if q in col.occurrences:
            for e, name, row, column, _, is_symbol in col.occurrences[q]:
                if is_symbol:
                    findings.append(
                        AuditFinding(e, name, row, column, kind, f"{value:g} in {where}")
                    )
        elif q[0] == "drawn":
            _, e, name, row, column = q
            findings.append(AuditFinding(e, name, row, column, kind, f"{value:g} in {where}"))
    bounds = hidden_bounds(known, hidden, col.relations, enough=protection + 1)
    for q in hidden:
        lo, hi = bounds[q]
        width = integer_width(lo, hi)
        if width >= protection or proven_zero(lo, hi):
            continue
        kind = "contradiction" if width < 0 else ("recovered" if width == 0 else "narrowed")
        for e, name, row, column, _, is_symbol in col.occurrences[q]:
            if is_symbol:
                findings.append(
                    AuditFinding(e, name, row, column, kind, f"range [{lo:.2f}, {hi:.2f}]")
                )
    return sorted(set(findings), key=lambda f: (f.edition, f.table, f.row, f.column, f.kind))


def _is(text: Any, symbol: str) -> bool:
    return str(text).strip() == symbol


def audit_edition(
    root: Path | str,
    beside: Path | str | None = None,
    *,
    protection: float | None = None,
    symbol: str | None = None,
) -> list[AuditFinding]:
    """The attacker's audit of one edition folder, together with the edition it is published
    beside (the London edition, for a borough's). Empty list: nothing can be worked out."""
    from analysis.disclosure import load_rules

    rules = load_rules()
    root = Path(root)
    roots = {root.name: root}
    if beside is not None and Path(beside).resolve() != root.resolve() and Path(beside).exists():
        roots[f"{Path(beside).name} (beside)"] = Path(beside)
    from analysis.disclosure_results import declared_counts

    tables: list[PublishedTable] = []
    results: list[tuple[str, Any]] = []
    for name, path in roots.items():
        tables += read_tables(path, name)
        results += [(name, dc) for dc in declared_counts(path)]
    findings = audit_tables(
        tables,
        roots,
        protection=rules.protection_interval if protection is None else protection,
        symbol=symbol or rules.symbol,
        small=(rules.lower, rules.upper),
        results=results,
    )
    prose = prose_findings(
        root, tables, results, symbol=symbol or rules.symbol, small=(rules.lower, rules.upper)
    )
    from analysis.disclosure_results import split_leaks

    splits = [
        AuditFinding(root.name, file, where, "estimate", "split", f"gives back {parts}")
        for file, where, parts in split_leaks(root)
    ]
    return sorted(
        set(findings) | set(prose) | set(splits),
        key=lambda f: (f.edition, f.table, f.row, f.column, f.kind),
    )


#: A count of children in a sentence: "**790** children", "30 children" (not "children's homes").
PROSE_COUNT = re.compile(
    r"(?<![0-9.,£+-])(?:\*\*)?([0-9][0-9,]*)(?:\*\*)?\s+(?:children|child|young people)\b(?!['’]s)",
    re.IGNORECASE,
)
#: "per 10,000 children": the denominator of a rate, not a count of children.
RATE_DENOMINATOR = re.compile(r"\bper\s+(?:\*\*)?$", re.IGNORECASE)
#: Chapters that print fixed documents (the assumptions log, the simulation study), not data.
PROSE_SKIPPED = frozenset({"methods.qmd"})


def prose_findings(
    root: Path,
    tables: list[PublishedTable],
    results: Sequence[tuple[str, Any]],
    *,
    symbol: str = "c",
    small: tuple[float, float] | None = None,
) -> list[AuditFinding]:
    """Counts of children in the report's text (the Markdown each chapter was written to,
    ``report-sources/*.qmd``): a count in the suppressed range ``small`` (default the rules',
    :func:`analysis.disclosure.small_range`, 1 to 5) in a sentence is a finding
    (``small_count``), and so is a larger count of children that is none of the numbers the
    audit reads (a table's count cell, a declared results count, here or in the edition beside):
    the text may only repeat published, audited numbers (``unlinked``). Numbers after
    "fewer than", "at least" ... are thresholds, and after "per" a rate's denominator, not counts; the methods chapter prints fixed
    documents and is not read."""
    from analysis.disclosure import small_range
    from analysis.disclosure_scan import THRESHOLD_WORDS

    small = small or small_range()

    published: set[float] = set()
    for t in tables:
        for col in t.spec.get("child_counts", []):
            if col in t.frame.columns:
                published.update(v for v in map(_number, t.frame[col]) if v is not None)
    for _, dc in results:
        value = dc.value if isinstance(dc.value, (int, float)) else _number(dc.value)
        if value is not None and not isinstance(dc.value, bool):
            published.add(float(value))
    findings = []
    for path in sorted((root / "report-sources").glob("*.qmd")):
        if path.name in PROSE_SKIPPED:
            continue
        text = path.read_text(encoding="utf-8")
        for match in PROSE_COUNT.finditer(text):
            before = text[max(0, match.start() - 20) : match.start()]
            if THRESHOLD_WORDS.search(before) or RATE_DENOMINATOR.search(before):
                continue
            value = float(match.group(1).replace(",", ""))
            where = f"report-sources/{path.name}"
            snippet = " ".join(match.group(0).split())
            if small[0] <= value <= small[1]:
                findings.append(
                    AuditFinding(root.name, where, snippet, "", "small_count", "in the text")
                )
            elif value not in published:
                findings.append(
                    AuditFinding(
                        root.name,
                        where,
                        snippet,
                        "",
                        "unlinked",
                        "a count of children in the text that no table or declared results "
                        "number publishes (declare it in config/disclosure.yaml results_counts)",
                    )
                )
    return findings


class DisclosureAuditFailed(RuntimeError):
    """An edition would publish a suppressed count that can be worked out."""

    def __init__(self, findings: list[AuditFinding]) -> None:
        self.findings = findings
        lines = [
            f"{f.edition}: {f.table} {f.row} {f.column}: {f.kind} ({f.detail})"
            for f in findings[:20]
        ]
        more = f"\n... and {len(findings) - 20} more" if len(findings) > 20 else ""
        super().__init__(
            f"disclosure audit: {len(findings)} suppressed count(s) can be worked out:\n"
            + "\n".join(lines)
            + more
        )


def check_edition(root: Path | str, beside: Path | str | None = None) -> None:
    """Raise :class:`DisclosureAuditFailed` when the audit of an edition finds anything."""
    findings = audit_edition(root, beside)
    if findings:
        raise DisclosureAuditFailed(findings)
