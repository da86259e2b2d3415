"""The comparison scopes of a borough edition: London, the borough's behaviour group, the borough.

A borough edition shows the borough beside London and beside its behaviour group (the 2022
typology, :mod:`analysis.groups`). When the typology does not place the borough (it is "not
grouped", or the dataset covers too few boroughs to group them) the group is the borough's
Inner/Outer London half, and the reason is given as a warning. Any other error surfaces.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset

LONDON_SCOPE = "London boroughs"


class GroupFallbackWarning(UserWarning):
    """The typology could not place the borough: its Inner/Outer London half is used instead."""


def behaviour_group(
    ds: Dataset, year: int, la: str, config_dir: Path | str | None = None
) -> tuple[str, list[str]]:
    """The borough's comparison group: its 2022-typology behaviour group (``analysis.groups``),
    or, when the typology cannot place it (not grouped, or the groups cannot be formed from
    this data: a :class:`GroupFallbackWarning` says why), its Inner/Outer London half.
    Returns (label, member boroughs including ``la``)."""
    from analysis.groups.indicators import borough_indicators
    from analysis.groups.typology import assign_typology, group_labels, load_config

    ref = london_boroughs()
    rules = load_config(config_dir)["typology"]
    try:
        groups = ds.derived(
            ("typology", int(year), json.dumps(rules, sort_keys=True, default=str)),
            lambda: assign_typology(borough_indicators(ds, year), rules),
        )
    except (ValueError, KeyError) as exc:  # too few boroughs or indicators to group
        warnings.warn(
            f"{la}: behaviour groups cannot be formed from this data ({type(exc).__name__}: "
            f"{exc}); compared with its Inner/Outer London half instead",
            GroupFallbackWarning,
            stacklevel=2,
        )
        groups = pd.Series(dtype=object)
    number = groups.get(la)
    if number is not None and not pd.isna(number):
        members = sorted(groups[groups == number].index)
        return (f"Group {int(number)}: {group_labels(rules)[int(number)]}", members)
    half = str(ref.set_index("la_name").loc[la, "inner_outer"])
    return (f"{half} London", sorted(ref.loc[ref["inner_outer"] == half, "la_name"]))


def comparison_scopes(
    ds: Dataset, year: int, la: str | None, config_dir: Path | str | None = None
) -> list[tuple[str, list[str]]]:
    """``[("London boroughs", all 33)]`` plus, for a borough edition, its group and itself."""
    scopes = [(LONDON_SCOPE, sorted(london_boroughs()["la_name"]))]
    if la is not None:
        scopes.append(behaviour_group(ds, year, la, config_dir))
        scopes.append((la, [la]))
    return scopes
