"""The 2022 report's five borough behaviour groups, as declared rules from ``config/groups.yaml``.

A borough takes the first rule (in order) whose conditions all hold; boroughs listed under
``exclude`` and boroughs no rule matches are "not grouped" (``<NA>``). Share indicators are
fractions 0-1 (rules, margins and the 2022 table in ``groups.yaml`` too); the published profile
and comparison write them in per cent (:func:`published_profile`, :func:`published_comparison`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.groups.indicators import INDICATOR_LABELS, PERCENT_COLUMNS
from analysis.paths import CONFIG
from analysis.shares import columns_in_per_cent, per_cent
from analysis.yaml_files import read_yaml

NOT_GROUPED = "not grouped"

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

#: The 2022 table's columns: indicator -> heading.
PROFILE_COLUMNS: dict[str, str] = {
    "pct_in_borough": "Average % placed in borough",
    "pct_london_oob": "Average % in London but out of borough",
    "n_london_las": "Average number of London LAs used",
    "children_per_london_la": "Average children placed per London LA used",
}


#: Tolerance of the borderline margins: a value exactly at its margin from a threshold (3.5%
#: from 3%: 0.035 - 0.03 = 0.0050000000000000044 in floating point) counts as within it.
_MARGIN_TOLERANCE = 1e-12


def load_config(config_dir: Path | str | None = None) -> dict[str, Any]:
    """Read ``groups.yaml`` from ``config_dir`` (default: the project's ``config/``)."""
    path = Path(config_dir or CONFIG) / "groups.yaml"
    return read_yaml(path)


def condition_holds(indicators: pd.DataFrame, condition: Mapping[str, Any]) -> pd.Series:
    """Boolean per borough: ``indicator op value``; a missing indicator never satisfies it."""
    op = _OPS[str(condition["op"])]
    values = pd.to_numeric(indicators[condition["indicator"]], errors="coerce")
    return op(values, float(condition["value"])).fillna(False).astype(bool)


def assign_typology(indicators: pd.DataFrame, rules: Mapping[str, Any]) -> pd.Series:
    """Group number (1-5, nullable ``Int64``) of each borough by the ordered rules in
    ``rules["rules"]``; ``rules["exclude"]`` boroughs and unmatched boroughs are ``<NA>``.

    ``rules`` is the ``typology`` section of ``groups.yaml``.
    """
    group = pd.Series(pd.NA, index=indicators.index, dtype="Int64", name="typology_group")
    unassigned = pd.Series(True, index=indicators.index)
    unassigned &= ~indicators.index.isin(list(rules.get("exclude", [])))
    for rule in rules["rules"]:
        matches = unassigned.copy()
        for condition in rule["when"]:
            matches &= condition_holds(indicators, condition)
        group[matches] = int(rule["group"])
        unassigned &= ~matches
    return group


#: The interface name agreed in docs/architecture.md.
typology = assign_typology


def group_labels(rules: Mapping[str, Any]) -> dict[int, str]:
    """Group number -> short label."""
    return {int(r["group"]): str(r["label"]) for r in rules["rules"]}


def typology_profile(
    indicators: pd.DataFrame,
    groups: pd.Series,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The 2022 table: per group, the number of boroughs and the unweighted mean over boroughs
    of each indicator (a borough counts once whatever its number of children).

    Boroughs with ``<NA>`` group are left out. Shares stay fractions 0-1
    (:func:`published_profile` writes them in per cent). Caveat: a mean of borough shares is not
    the share of the group's children.
    """
    columns = dict(columns or PROFILE_COLUMNS)
    grouped = indicators.loc[groups.notna(), list(columns)].astype(float)
    keys = groups[groups.notna()].astype(int)
    means = grouped.groupby(keys).mean()
    sizes = keys.value_counts().sort_index()
    out = pd.DataFrame({"group": sizes.index.astype(int), "n_boroughs": sizes.to_numpy()})
    for col in columns:
        out[col] = means[col].reindex(sizes.index).to_numpy()
    return out


def compare_with_report(profile: pd.DataFrame, report: Mapping[str, Any]) -> pd.DataFrame:
    """Long table ``group, measure, this_data, report_2022, difference`` for the back-test."""
    rows = []
    measures = {"n_boroughs": "sizes", **{c: c for c in PROFILE_COLUMNS}}
    by_group = profile.set_index("group")
    for group, row in by_group.iterrows():
        for col, key in measures.items():
            expected = report.get(key, {}).get(int(group))
            if expected is None:
                continue
            rows.append(
                {
                    "group": int(group),
                    "measure": col,
                    "this_data": float(row[col]),
                    "report_2022": float(expected),
                    "difference": float(row[col]) - float(expected),
                }
            )
    return pd.DataFrame(rows)


def published_profile(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile as published (``groups_typology_profile.csv``, ``groups.json``): share
    columns in per cent, as the 2022 report's table; a copy."""
    return columns_in_per_cent(profile, PERCENT_COLUMNS)


def published_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison with the 2022 table as published: rows of share measures in per cent."""
    out = comparison.copy()
    if out.empty:
        return out
    share = out["measure"].isin(PERCENT_COLUMNS)
    for col in ("this_data", "report_2022", "difference"):
        out[col] = out[col].astype(float).where(~share, per_cent(out[col]))
    return out


def indicator_phrase(indicator: str) -> str:
    """An indicator as a reader's words inside a sentence: its label
    (:data:`analysis.groups.indicators.INDICATOR_LABELS`) in quotation marks, as written
    (``"London LAs used"``: a label may start with a proper noun), or the id with spaces when
    it has no label."""
    return '"' + INDICATOR_LABELS.get(indicator, indicator.replace("_", " ")) + '"'


def _margin_text(indicator: str, margin: float, threshold: float) -> str:
    """``has "<indicator>" within <margin> of the threshold <t>``; shares in per cent."""
    name = indicator_phrase(indicator)
    if indicator in PERCENT_COLUMNS:
        return (
            f"has {name} within {per_cent(margin):g} percentage points of the threshold "
            f"{per_cent(threshold):g}%"
        )
    return f"has {name} within {margin:g} of the threshold {threshold:g}"


def typology_assignments(groups: pd.Series, labels: Mapping[int, str]) -> pd.DataFrame:
    """``la_name, group, label`` with ``not grouped`` for boroughs outside the groups."""
    out = pd.DataFrame({"la_name": groups.index})
    out["group"] = groups.to_numpy()
    out["label"] = [labels.get(int(g), "") if pd.notna(g) else NOT_GROUPED for g in groups]
    return out


def _thresholds(rules: Mapping[str, Any]) -> dict[str, set[float]]:
    """Indicator -> the thresholds the rules compare it with."""
    out: dict[str, set[float]] = {}
    for rule in rules["rules"]:
        for cond in rule["when"]:
            out.setdefault(str(cond["indicator"]), set()).add(float(cond["value"]))
    return out


def _group_of(row: pd.Series, rules: Mapping[str, Any]) -> int | None:
    g = assign_typology(row.to_frame().T, rules).iloc[0]
    return None if pd.isna(g) else int(g)


def _deciding_indicators(rules: Mapping[str, Any], group: Any) -> list[str]:
    """The indicators of the rules up to and including the one that assigned ``group`` (all
    rules for an unmatched borough): the ones its assignment can depend on. A function of the
    published group and the public rules only."""
    out: list[str] = []
    for rule in rules["rules"]:
        out += [str(c["indicator"]) for c in rule["when"] if str(c["indicator"]) not in out]
        if pd.notna(group) and int(rule["group"]) == int(group):
            break
    return out


def borderline(
    indicators: pd.DataFrame,
    rules: Mapping[str, Any],
    suppressed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Boroughs whose 2022 group rests on a knife edge: one row per borough with
    ``borderline`` (bool), ``borderline_with`` (the other groups reachable, e.g. ``"4"``) and
    ``borderline_reason``.

    A borough is borderline when (a) moving ONE indicator by at most its declared margin
    (``rules["borderline_margins"]``, indicator units) across a threshold of the rules would
    change its group, or (b) an indicator its group depends on (the indicators of the rules up
    to the one that assigned it) is suppressed for it in the published indicator table
    (``suppressed``: borough x indicator, True where the published cell is hidden): its group
    then rests on a count of 5 or fewer children. Rule (b) also keeps the
    flag disclosure-safe: it never depends on a hidden value (rule (a) is only applied to
    indicators published for that borough). Excluded boroughs are never borderline.
    Caveat: indicators are moved one at a time; two small moves together could also flip.
    """
    margins = {str(k): float(v) for k, v in (rules.get("borderline_margins") or {}).items()}
    thresholds = _thresholds(rules)
    exclude = set(rules.get("exclude", []))
    base = assign_typology(indicators, rules)
    rows = []
    for la in indicators.index:
        record = {"la_name": str(la), "borderline": False, "borderline_with": "", "reason": ""}
        if la in exclude:
            rows.append(record)
            continue
        hidden = [
            ind
            for ind in _deciding_indicators(rules, base[la])
            if suppressed is not None
            and ind in suppressed.columns
            and la in suppressed.index
            and bool(suppressed.loc[la, ind])
        ]
        if hidden:
            record.update(
                borderline=True,
                reason="rests on a count of 5 or fewer children ("
                + ", ".join(indicator_phrase(ind) for ind in sorted(hidden))
                + ")",
            )
            rows.append(record)
            continue
        row = indicators.loc[la].copy()
        own = None if pd.isna(base[la]) else int(base[la])
        others: set[int | None] = set()
        reasons = []
        for ind, cuts in sorted(thresholds.items()):
            margin = margins.get(ind, 0.0)
            value = pd.to_numeric(pd.Series([row.get(ind)]), errors="coerce").iloc[0]
            if margin <= 0 or pd.isna(value):
                continue
            for t in sorted(cuts):
                if abs(float(value) - t) > margin + _MARGIN_TOLERANCE:
                    continue
                for probe in (np.nextafter(t, -np.inf), t, np.nextafter(t, np.inf)):
                    if abs(probe - float(value)) > margin + _MARGIN_TOLERANCE:
                        continue
                    moved = row.copy()
                    moved[ind] = probe
                    g = _group_of(moved, rules)
                    if g != own:
                        others.add(g)
                        reasons.append(_margin_text(ind, margin, t))
        if others:
            record.update(
                borderline=True,
                borderline_with=", ".join(
                    str(g) if g is not None else NOT_GROUPED
                    for g in sorted(others, key=lambda g: -1 if g is None else g)
                ),
                reason="; ".join(dict.fromkeys(reasons)),
            )
        rows.append(record)
    return pd.DataFrame(rows).set_index("la_name")
