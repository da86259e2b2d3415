"""Which London boroughs a dataset covers, and what that coverage can support.

A dataset need not hold all 33 London local authorities (one borough's own returns, or an
extract missing some boroughs). The report then says so on the title page and in every
headline ("Barnet, 31 March 2023", "Boroughs in this dataset: 1"), and leaves out the
pan-London comparisons and groupings the coverage cannot support, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.boroughs import london_boroughs

ALL_BOROUGHS = 33
#: boroughs a dataset must cover for the behaviour groups (config/report.yaml may override).
DEFAULT_MIN_BOROUGHS_FOR_GROUPS = 25


def boroughs_in_data(episodes: pd.DataFrame) -> list[str]:
    """The London boroughs (reference names) that placed any child in ``episodes``, sorted."""
    if "LA" not in episodes:
        return []
    london = set(london_boroughs()["la_name"])
    return sorted(set(episodes["LA"].dropna()) & london)


@dataclass(frozen=True)
class Coverage:
    """The boroughs a dataset covers; ``boroughs`` empty means "not recorded" (treated as all)."""

    boroughs: tuple[str, ...]
    min_for_groups: int = DEFAULT_MIN_BOROUGHS_FOR_GROUPS

    @property
    def count(self) -> int:
        return len(self.boroughs) if self.boroughs else ALL_BOROUGHS

    @property
    def full(self) -> bool:
        """True when the dataset covers all 33 London local authorities."""
        return self.count >= ALL_BOROUGHS

    @property
    def label(self) -> str:
        """ "London" for full coverage, the borough's name for one, else "N London boroughs"."""
        if self.full:
            return "London"
        if self.count == 1:
            return self.boroughs[0]
        return f"{self.count} London boroughs"

    @property
    def subject(self) -> str:
        """Who the "London" figures are about: "London boroughs", or the boroughs in the data."""
        if self.full:
            return "London boroughs"
        return f"The boroughs in this dataset ({', '.join(self.boroughs)})"

    @property
    def groups_supported(self) -> bool:
        return self.count >= self.min_for_groups

    @property
    def groups_reason(self) -> str:
        """Why the behaviour groups are left out ("" when they are not)."""
        if self.groups_supported:
            return ""
        return (
            f"The behaviour groups are left out: this dataset covers {self.count} of the "
            f"{ALL_BOROUGHS} London local authorities, and grouping boroughs by how they use "
            f"residential provision needs at least {self.min_for_groups} of them "
            "(config/report.yaml, coverage.min_boroughs_for_groups)."
        )


def coverage_from(
    boroughs: Iterable[str] | None, settings: Mapping[str, Any] | None = None
) -> Coverage:
    """A :class:`Coverage` from the recorded borough list and the report settings."""
    minimum = int(
        ((settings or {}).get("coverage") or {}).get(
            "min_boroughs_for_groups", DEFAULT_MIN_BOROUGHS_FOR_GROUPS
        )
    )
    return Coverage(tuple(sorted(boroughs if boroughs is not None else ())), minimum)
