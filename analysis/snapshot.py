"""The snapshot: children in placement on 31 March of the report year.

These functions work on canonical tables (see :mod:`analysis.dataset`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from analysis.boroughs import london_boroughs, london_ons_codes

if TYPE_CHECKING:
    from analysis.dataset import Dataset

IN_HOUSE_PROVIDERS = frozenset({"PR1"})
EXTERNAL_PROVIDERS = frozenset({"PR4", "PR5"})


def snapshot_date(year: int) -> dt.date:
    """The snapshot date of a report year: 31 March (the SSDA903 year end)."""
    return dt.date(year, 3, 31)


def year_window(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The collection year ending on the snapshot date: (1 April of year-1, 31 March of year]."""
    return pd.Timestamp(year - 1, 3, 31), pd.Timestamp(year, 3, 31)


def open_episodes(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Episodes open on the snapshot date: ``DECOM <= date`` and (``DEC`` blank or ``DEC > date``).

    When the table carries several returns (``YEAR``), only the return for ``year`` is used, so a
    child's episode repeated in two returns is counted once.
    """
    date = pd.Timestamp(snapshot_date(year))
    eps = episodes
    if "YEAR" in eps.columns:
        eps = eps[eps["YEAR"] == year]
    is_open = (eps["DECOM"] <= date) & (eps["DEC"].isna() | (eps["DEC"] > date))
    return eps[is_open].copy()


def for_year(table: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of a per-child table (needs, costs) for ``year``; all rows when it has no ``YEAR``."""
    if "YEAR" in table.columns:
        return table[table["YEAR"] == year].copy()
    return table.copy()


def residential_placements(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """K2 (children's home) placements of London boroughs open on the snapshot date, one row each.

    Adds ``outside_london`` (placement LA not one of the 33), ``in_house`` (PR1), ``external``
    (PR4/PR5), ``inner_outer`` of the placing borough. Requires the derived ``PL_LA``.
    Caveat: a child with two open K2 episodes on the date (data error) keeps the latest DECOM.
    """
    eps = open_episodes(episodes, year)
    eps = eps[(eps["PLACE"] == "K2") & eps["LA"].isin(london_boroughs()["la_name"])]
    eps = eps.sort_values(["CHILD", "DECOM"]).drop_duplicates("CHILD", keep="last")
    london = london_ons_codes()
    eps["outside_london"] = ~eps["PL_LA"].isin(london)
    eps["in_house"] = eps["PLACE_PROVIDER"].isin(IN_HOUSE_PROVIDERS)
    eps["external"] = eps["PLACE_PROVIDER"].isin(EXTERNAL_PROVIDERS)
    io = london_boroughs().set_index("la_name")["inner_outer"]
    eps["inner_outer"] = eps["LA"].map(io)
    return eps.reset_index(drop=True)


def k2_placements(ds: Dataset, year: int) -> pd.DataFrame:
    """:func:`residential_placements` of ``ds``'s episodes: computed once per dataset and year
    (:meth:`analysis.dataset.Dataset.derived`), a shallow copy handed out each call."""
    year = int(year)
    return ds.derived(
        ("residential_placements", year),
        lambda: residential_placements(ds.table("episodes"), year),
    ).copy(deep=False)
