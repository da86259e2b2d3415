"""The 2022 report's five borough behaviour groups, as declared rules from ``config/groups.yaml``.

A borough takes the first rule (in order) whose conditions all hold; boroughs listed under
``exclude`` and boroughs no rule matches are "not grouped" (``<NA>``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.paths import CONFIG
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

    Boroughs with ``<NA>`` group are left out. Caveat: a mean of borough percentages is not
    the percentage of the group's children.
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


def typology_assignments(groups: pd.Series, labels: Mapping[int, str]) -> pd.DataFrame:
    """``la_name, group, label`` with ``not grouped`` for boroughs outside the groups."""
    out = pd.DataFrame({"la_name": groups.index})
    out["group"] = groups.to_numpy()
    out["label"] = [labels.get(int(g), "") if pd.notna(g) else NOT_GROUPED for g in groups]
    return out
