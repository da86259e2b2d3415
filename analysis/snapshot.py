"""The snapshot: children in placement on 31 March of the report year.

These functions work on canonical tables (see :mod:`analysis.dataset`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from analysis.boroughs import london_boroughs, london_ons_codes
from analysis.london_memo import london_level
from analysis.providers import EXTERNAL_PROVIDERS, IN_HOUSE_PROVIDERS

if TYPE_CHECKING:
    from analysis.dataset import Dataset


def snapshot_date(year: int) -> dt.date:
    """The snapshot date of a report year: 31 March (the SSDA903 year end)."""
    return dt.date(year, 3, 31)


def year_window(year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The collection year ending on the snapshot date: (1 April of year-1, 31 March of year]."""
    return pd.Timestamp(year - 1, 3, 31), pd.Timestamp(year, 3, 31)


def resolve_resent_episodes(episodes: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per ``CHILD`` + ``DECOM``: an episode re-sent (or corrected) in several returns
    keeps the row of its LATEST return (highest ``YEAR``), as LIIA's aggregation does.

    Returns the resolved episodes (original row order and index kept) and how many rows were
    dropped. Stacked per-year returns, LIIA's latest-year-labelled extract and a mix of the two
    all resolve to the same table. Caveat: an episode whose ``DECOM`` was corrected in a later
    return has a different key, so both versions stay (the snapshot picks one, see
    :func:`open_episodes`).
    """
    if not {"CHILD", "DECOM", "YEAR"} <= set(episodes.columns) or episodes.empty:
        return episodes, 0
    order = episodes.sort_values("YEAR", kind="stable", na_position="first")
    keep = ~order.duplicated(["CHILD", "DECOM"], keep="last")
    kept_index = order.index[keep.to_numpy()]
    resolved = episodes.loc[episodes.index.isin(kept_index)]
    return resolved, len(episodes) - len(resolved)


def open_episodes(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Episodes open on the snapshot date, taken from the dates, not from the ``YEAR`` label.

    An episode is open on 31 March ``year`` when ``DECOM <= date`` and (``DEC`` blank or
    ``DEC > date``), whatever return it came from. When the table carries return years
    (``YEAR``): re-sent episodes are resolved first (:func:`resolve_resent_episodes`), rows whose
    latest return is before ``year`` are not used (an episode open on 31 March ``year`` is in
    that year's return, so its latest return is ``year`` or later), and a child with open rows
    from several returns keeps those of the earliest such return (the return for ``year``
    itself when the child is in it; in LIIA's latest-labelled extract the one row).
    Caveat: a return that re-sends an old episode with a corrected start date leaves two
    versions; the return nearest the snapshot wins.
    """
    date = pd.Timestamp(snapshot_date(year))
    eps = episodes
    if "YEAR" in eps.columns:
        eps, _ = resolve_resent_episodes(eps)
        eps = eps[eps["YEAR"] >= year]
    is_open = (eps["DECOM"] <= date) & (eps["DEC"].isna() | (eps["DEC"] > date))
    eps = eps[is_open.fillna(False).astype(bool)]
    if {"YEAR", "CHILD"} <= set(eps.columns) and not eps.empty:
        first_return = eps.groupby("CHILD")["YEAR"].transform("min")
        eps = eps[eps["YEAR"] == first_return]
    return eps.copy()


def episodes_in_year(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """Episodes open at some time in the collection year ending 31 March ``year`` (what that
    year's return holds), from the dates: ``DECOM <= 31/03/year`` and ``DEC`` blank or on or
    after 1 April of ``year - 1``. With ``YEAR`` present, re-sent episodes are resolved and rows
    whose latest return is before ``year`` are not used (as :func:`open_episodes`)."""
    start, end = year_window(year)
    eps = episodes
    if "YEAR" in eps.columns:
        eps, _ = resolve_resent_episodes(eps)
        eps = eps[eps["YEAR"] >= year]
    overlaps = (eps["DECOM"] <= end) & (eps["DEC"].isna() | (eps["DEC"] > start))
    return eps[overlaps.fillna(False).astype(bool)].copy()


def reportable_years(episodes: pd.DataFrame) -> list[int]:
    """Snapshot years the episodes can report: every year from the earliest to the latest return
    ``YEAR`` (or DECOM year when there is no ``YEAR``) with at least one episode open on its
    31 March (from the dates, :func:`open_episodes`), a children's-home (K2) one among them
    when the table has ``PLACE``: the report is about children's homes."""
    if episodes.empty:
        return []
    if "YEAR" in episodes.columns and episodes["YEAR"].notna().any():
        first, last = int(episodes["YEAR"].min()), int(episodes["YEAR"].max())
    else:
        first = int(episodes["DECOM"].dt.year.min())
        last = int(episodes["DECOM"].dt.year.max()) + 1
    years = []
    for year in range(first, last + 1):
        still_open = open_episodes(episodes, year)
        if not still_open.empty and (
            "PLACE" not in still_open or still_open["PLACE"].eq("K2").any()
        ):
            years.append(year)
    return years


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


def referrals_in_year(referrals: pd.DataFrame, year: int) -> tuple[pd.DataFrame, bool]:
    """Referrals dated within the collection year ending 31 March ``year``.

    Returns the rows and whether the year filter was applied (False when no referral date lies
    in the window, in which case all rows are kept and the caller says so).
    """
    dates = pd.to_datetime(referrals["referral_date"], errors="coerce", dayfirst=True)
    start, end = year_window(year)
    inside = (dates > start) & (dates <= end)
    if inside.any():
        return referrals[inside].copy(), True
    return referrals.copy(), False


@london_level
def placements_with_needs(ds: Dataset, year: int, need_columns: Iterable[str]) -> pd.DataFrame:
    """London boroughs' K2 placements on the snapshot date with their needs as 0/1 columns.

    Children without a needs record are dropped (coverage is reported by :func:`needs_coverage`);
    a blank need within a record counts as 0 (not recorded as present). Adds ``outside`` (0/1).
    """
    placements = k2_placements(ds, year)
    needs = for_year(ds.table("needs"), year)
    cols = [c for c in need_columns if c in needs.columns]
    keys = ["CHILD", "LA"] if "LA" in needs.columns else ["CHILD"]
    needs = needs.drop_duplicates(keys, keep="last")[keys + cols]
    merged = placements.merge(needs, on=keys, how="inner")
    for c in cols:
        merged[c] = merged[c].astype("boolean").fillna(False).astype(int)
    merged["outside"] = merged["outside_london"].astype(int)
    return merged


def needs_coverage(ds: Dataset, year: int) -> tuple[int, int]:
    """(placements with a needs record, all London K2 placements) on the snapshot date."""
    placements = k2_placements(ds, year)
    if not ds.has("needs"):
        return (0, len(placements))
    needs = for_year(ds.table("needs"), year)
    keys = ["CHILD", "LA"] if "LA" in needs.columns else ["CHILD"]
    matched = placements.merge(needs[keys].drop_duplicates(), on=keys, how="inner")
    return (len(matched), len(placements))
