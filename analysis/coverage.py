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
    def possessive(self) -> str:
        """Whose figures "London" figures are: "London's", "Barnet's", "these 5 boroughs'"."""
        if self.full or self.count == 1:
            return f"{self.label}'s"
        return f"these {self.count} boroughs'"

    @property
    def note(self) -> str:
        """A sentence for chapters whose text says "London": what it means here ("" when the
        dataset covers all 33)."""
        if self.full:
            return ""
        return (
            f'Here "London" means the {"borough" if self.count == 1 else "boroughs"} in this '
            f"dataset ({', '.join(self.boroughs)}), {self.count} of the {ALL_BOROUGHS} London "
            "local authorities."
        )

    @property
    def children(self) -> str:
        """Whose children the "London" counts are, mid-sentence: "London boroughs' children",
        "Hackney's children", "the children of these 5 boroughs"."""
        if self.full:
            return "London boroughs' children"
        if self.count == 1:
            return f"{self.boroughs[0]}'s children"
        return f"the children of these {self.count} boroughs"

    @property
    def children_capitalised(self) -> str:
        """:attr:`children` at the start of a sentence (a borough's name keeps its capitals)."""
        text = self.children
        return text[:1].upper() + text[1:]

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


def covered_boroughs(ds: Any) -> list[str]:
    """The London boroughs a dataset covers (:func:`boroughs_in_data` of its episodes)."""
    return boroughs_in_data(ds.table("episodes"))


def limit_to_coverage(
    df: pd.DataFrame, boroughs: Iterable[str] | None, column: str = "la_name"
) -> pd.DataFrame:
    """The rows of ``df`` about the boroughs a dataset covers (``column`` holds the borough's
    reference name, or the index does when ``column`` is not a column).

    A table of London boroughs lists only the boroughs in the dataset when the dataset covers
    fewer than all 33: the others' rows would be structurally empty (no return, not "no
    child"), and among 32 empty rows a borough's small counts cannot be protected by secondary
    suppression. With full coverage (or no coverage recorded) ``df`` is returned unchanged, so
    a borough with no child in a children's home still has its row of zeros.
    """
    covered = set(boroughs or ())
    if not covered or len(covered) >= ALL_BOROUGHS:
        return df
    names = df[column] if column in df.columns else df.index.to_series(index=df.index)
    return df[names.astype(str).isin(covered).to_numpy()]
