"""A borough edition's own figures beside its behaviour group and London, chapter by chapter.

The notebooks of a borough edition write tables whose rows are its comparison scopes
(:func:`analysis.hypotheses.scopes.comparison_scopes`: ``London boroughs``, the borough's group,
the borough) and borough-level tables (``patterns_by_borough``, ``groups_borough_indicators``,
``h3_borough_variation``). The groups notebook records the scopes themselves, names and member
boroughs, in ``results/scopes.json`` (:class:`ComparisonScopes`): the group is the borough's
behaviour group, or its Inner/Outer London half when the typology does not place it, and its
rows are found by that name. :func:`comparisons` reads them and returns, per chapter, rows
``[measure, borough, group, London]`` of report text. Anything that is missing or suppressed
shows as a dash or ``c``; a chapter with nothing to show has no rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.document.markdown import fmt, small_base
from analysis.hypotheses.indicator_ids import UnknownIndicatorId, find_indicator
from analysis.hypotheses.scopes import LONDON_SCOPE
from analysis.outputs import EditionPaths, read_json
from analysis.shares import per_cent

if TYPE_CHECKING:
    from analysis.hypotheses.registry import Hypothesis

Row = list[str]
DASH = "–"


def _table(edition_dir: Path, name: str) -> pd.DataFrame | None:
    path = edition_dir / "tables" / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _share(value: Any, *, percent_already: bool = False) -> str:
    """A share as ``67%`` (``c`` stays ``c``, blanks become a dash)."""
    if isinstance(value, str) and value.strip().lower() == "c":
        return "c"
    v = _num(value)
    if v is None:
        return DASH
    return f"{v if percent_already else per_cent(v):.0f}%"


def _number(value: Any, digits: int = 1) -> str:
    if isinstance(value, str) and value.strip().lower() == "c":
        return "c"
    v = _num(value)
    if v is None:
        return DASH
    return fmt(int(v)) if v.is_integer() else f"{v:,.{digits}f}"


def _money(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() == "c":
        return "c"
    v = _num(value)
    return DASH if v is None else f"£{v:,.0f}"


#: Tables of homes name a scope's row ``Homes in <scope>`` and London's ``London homes``
#: (H6's ``h6_places_unavailable``, H2's ``h2_grade_mix``).
HOMES_IN = "Homes in {}"
LONDON_HOMES = "London homes"


@dataclass(frozen=True)
class ComparisonScopes:
    """The scopes a borough edition compares, as the notebooks computed them
    (:func:`analysis.hypotheses.scopes.comparison_scopes`): the borough, its group (its
    behaviour group, or its Inner/Outer London half when the typology cannot place it) with
    the group's member boroughs, and London. Without a record (``results/scopes.json``, written
    by the groups notebook) the group is unknown: its column shows dashes."""

    borough: str
    group: str = ""
    members: tuple[str, ...] = ()
    london: str = LONDON_SCOPE

    @classmethod
    def read(cls, edition_dir: Path, la: str) -> ComparisonScopes:
        """The record of ``edition_dir`` (``la``'s edition); no group when there is none."""
        path = EditionPaths(Path(edition_dir)).scopes
        if not path.exists():
            return cls(la)
        doc = read_json(path)
        group = doc.get("group") or {}
        return cls(
            borough=str((doc.get("borough") or {}).get("name", la)),
            group=str(group.get("name", "")),
            members=tuple(group.get("members", ())),
            london=str((doc.get("london") or {}).get("name", LONDON_SCOPE)),
        )

    def row_names(self) -> list[set[str]]:
        """The names a scope table gives the rows of the borough, the group and London."""
        own = {self.borough, HOMES_IN.format(self.borough)}
        group = {self.group, HOMES_IN.format(self.group)} if self.group else set()
        return [own, group, {self.london, LONDON_HOMES}]


class _Scopes:
    """Rows of a scope table: the borough's, its group's and London's."""

    def __init__(self, df: pd.DataFrame | None, column: str, scopes: ComparisonScopes) -> None:
        self.df, self.column, self.scopes = df, column, scopes

    def _row(self, names: set[str], **where: str) -> pd.Series | None:
        if self.df is None or self.column not in self.df or not names:
            return None
        sel = self.df[self.df[self.column].isin(names)]
        for key, value in where.items():
            if key in sel:
                sel = sel[sel[key] == value]
        return sel.iloc[0] if len(sel) else None

    def values(self, field: str, render: Callable[[Any], str], **where: str) -> list[str]:
        rows = [self._row(names, **where) for names in self.scopes.row_names()]
        return [render(r[field]) if r is not None and field in r else DASH for r in rows]


def _mean(values: pd.Series) -> float | None:
    nums = [v for v in (_num(x) for x in values) if v is not None]
    return sum(nums) / len(nums) if nums else None


def _borough_vs_mean(
    df: pd.DataFrame | None,
    key: str,
    field: str,
    la: str,
    members: list[str],
    render: Callable[[Any], str],
) -> list[str]:
    """The borough's value, the mean over its group's boroughs and the mean over all boroughs."""
    if df is None or field not in df or key not in df:
        return [DASH] * 3
    own = df.loc[df[key] == la, field]
    group = df.loc[df[key].isin(members), field] if members else pd.Series(dtype=str)
    return [
        render(own.iloc[0]) if len(own) else DASH,
        render(_mean(group)) if members else DASH,
        render(_mean(df[field])),
    ]


def _indicator(results: dict | None, indicator_id: str, declared: Collection[str]) -> Any:
    """The estimate of the indicator with the stable id ``indicator_id``; ``c`` when it was
    counted on 1 to 5 (withheld, as disclosure control does); None when the results do not hold
    it. An id that is not ``declared`` (by the registry entry) is an error, not a dash:
    :class:`~analysis.hypotheses.indicator_ids.UnknownIndicatorId`."""
    if indicator_id not in declared:
        raise UnknownIndicatorId(
            f"borough row: unknown indicator id {indicator_id!r} (its registry entry declares "
            f"{', '.join(sorted(declared)) or 'none'})"
        )
    ind = find_indicator((results or {}).get("indicators"), indicator_id)
    if ind is None:
        return None
    return "c" if small_base(ind.get("n")) else ind.get("estimate")


def _points(value: Any) -> str:
    """A difference of shares as signed percentage points (``+3``)."""
    v = _num(value)
    return DASH if v is None else f"{per_cent(v):+.0f}"


#: How a borough table row's values are written (``format`` of a registry entry's row).
FORMATS: dict[str, Callable[[Any], str]] = {
    "share": lambda v: _share(v),
    "number": lambda v: _number(v),
    "money": lambda v: _money(v),
    "points": _points,
}

_SCOPE_INDEX = {"borough": 0, "group": 1, "london": 2}


def registered_row(
    spec: dict[str, Any],
    tables: Callable[[str], pd.DataFrame | None],
    results: dict | None,
    scopes: ComparisonScopes,
    *,
    declared: Collection[str] = (),
) -> list[str]:
    """The values ``[borough, group, London]`` of one row a registry entry declares
    (``borough_rows``): ``scopes`` (a scope table), ``mean_of_boroughs`` (a per-borough table)
    or three ``cells`` (``{indicator: id}``, ``{table, field, scope, column, where}`` or null).
    A table or indicator that is missing shows as a dash; an unknown row kind, or an indicator
    id not among the entry's ``declared`` ids, is an error."""
    render = FORMATS[spec.get("format", "share")]

    def scope_values(cell: dict[str, Any]) -> list[str]:
        df = tables(cell["table"])
        scoped = _Scopes(df, cell.get("column", "scope"), scopes)
        return scoped.values(cell["field"], render, **(cell.get("where") or {}))

    if "scopes" in spec:
        return scope_values(spec["scopes"])
    if "mean_of_boroughs" in spec:
        m = spec["mean_of_boroughs"]
        return _borough_vs_mean(
            tables(m["table"]), m["key"], m["field"], scopes.borough, list(scopes.members), render
        )
    if "cells" in spec:
        out = []
        for cell in spec["cells"]:
            if cell is None:
                out.append(DASH)
            elif "indicator" in cell:
                out.append(render(_indicator(results, cell["indicator"], declared)))
            else:
                out.append(scope_values(cell)[_SCOPE_INDEX[cell["scope"]]])
        return out
    raise ValueError(f"borough row {spec.get('measure')!r}: give scopes, mean_of_boroughs or cells")


def comparisons(
    edition_dir: Path,
    scopes: ComparisonScopes,
    hypotheses: dict[int, dict | None],
    patterns: dict | None,
    registered: Sequence[Hypothesis] = (),
) -> dict[str, list[Row]]:
    """``chapter -> rows [measure, borough, group, London]`` for the borough edition of
    ``scopes.borough``; the group is ``scopes``' group (its rows, its member boroughs' mean).
    The hypotheses' chapters get the rows their ``registered`` entries declare
    (``borough_rows``)."""
    edition_dir = Path(edition_dir)
    la, members = scopes.borough, list(scopes.members)

    def tables(name: str) -> pd.DataFrame | None:
        return _table(edition_dir, name)

    out: dict[str, list[Row]] = {}

    def add(chapter: str, measure: str, values: list[str]) -> None:
        if any(v != DASH for v in values):
            out.setdefault(chapter, []).append([measure, *values])

    # Placement patterns and the summary: where the borough's children live.
    by_borough = _table(edition_dir, "patterns_by_borough")
    outside = _Scopes(tables("h1_outside_by_scope"), "scope", scopes)
    add("patterns", "Children in children's homes", outside.values("children", _number))
    add("patterns", "Share placed outside London", outside.values("share", _share))
    add(
        "patterns",
        "Share placed in their own borough (group and London: average of boroughs)",
        _borough_vs_mean(by_borough, "la_name", "pct_in_own_borough", la, members, _share),
    )
    home_use = _table(edition_dir, "patterns_home_use")
    add(
        "patterns",
        "Places in external children's homes in the borough (group and London: average)",
        _borough_vs_mean(home_use, "la_name", "external_places", la, members, _number),
    )
    add(
        "patterns",
        "Share of those places used by London boroughs (group and London: average)",
        _borough_vs_mean(home_use, "la_name", "pct_places_used_by_london", la, members, _share),
    )

    # Behaviour groups: the typology's indicators, borough vs group average vs all boroughs.
    indicators = _table(edition_dir, "groups_borough_indicators")
    for field, label, render in (
        ("pct_residential", "% of looked-after children in children's homes", _pct_text),
        ("pct_in_borough", "% of those placed in own borough", _pct_text),
        ("pct_london_oob", "% placed in London, outside own borough", _pct_text),
        ("pct_outside_london", "% placed outside London", _pct_text),
        ("n_london_las", "London boroughs used for placements", _number),
        ("children_per_london_la", "Children per London borough used", _number),
    ):
        add(
            "groups",
            label + " (group and London: average of boroughs)",
            _borough_vs_mean(indicators, "la_name", field, la, members, render),
        )

    # The hypotheses' chapters: the rows their registry entries declare.
    for h in registered:
        for spec in h.borough_rows:
            add(
                h.key,
                str(spec["measure"]),
                registered_row(spec, tables, hypotheses.get(h.id), scopes, declared=h.indicators),
            )

    out["summary"] = out.get("patterns", [])[:3] + out.get("groups", [])[-2:]
    if not out["summary"]:
        del out["summary"]
    return out


def _pct_text(value: Any) -> str:
    """A value already in per cent (``88.9``) as ``89%``."""
    return _share(value, percent_already=True)
