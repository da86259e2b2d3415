"""Derived fields: where each placement is (``PL_LA``), whether it is inside the placing LA
(``PL_LOCATION``) and how far from home (``PL_DISTANCE``), and each home's LA code.

Values the file supplies are kept; only blanks (or absent columns) are derived.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.geography import la_ons_code, postcode_sectors, sector_distance_miles, sector_la_codes

_ONS_CODE = re.compile(r"^[EWSN]\d{8}$")


def la_codes(names: pd.Series) -> pd.Series:
    """ONS code of each LA name (DfE/Ofsted spelling or a code already); NA when unknown."""
    uniques = pd.unique(names.dropna())
    table = {name: la_ons_code(str(name)) for name in uniques}
    return names.map(table).astype("str")


def add_home_geography(homes: pd.DataFrame, london_codes: frozenset[str]) -> pd.DataFrame:
    """Add ``la_ons_code`` (from ``local_authority``) and ``in_london`` to the homes table;
    a blank ``grade`` (not yet inspected) becomes ``""`` as :mod:`analysis.dataset` specifies."""
    out = homes.copy()
    if "grade" in out.columns:
        out["grade"] = out["grade"].fillna("").astype("str")
    out["la_ons_code"] = la_codes(out["local_authority"])
    out["in_london"] = out["la_ons_code"].isin(london_codes)
    return out


def derive_pl_la(episodes: pd.DataFrame, homes: pd.DataFrame) -> pd.Series:
    """``PL_LA``: the file's value when given (a name is turned into its code), else the ONS code
    of the home's LA found by ``URN``, else the LA of the ``PL_POST`` sector.

    Caveat: the postcode fallback gives the lower-tier (district) code in two-tier areas, which
    is still correctly "outside London" and "outside the placing borough".
    """
    given = (
        episodes["PL_LA"]
        if "PL_LA" in episodes.columns
        else pd.Series(np.nan, index=episodes.index, dtype="str")
    )
    given = given.astype("str")
    not_code = given.notna() & ~given.str.match(_ONS_CODE.pattern, na=False)
    given = given.where(~not_code, la_codes(given.where(not_code)))
    by_urn = episodes["URN"].map(homes.drop_duplicates("urn").set_index("urn")["la_ons_code"])
    out = given.fillna(by_urn.astype("str")).astype("str")
    todo = out.isna() & episodes["PL_POST"].notna()
    if todo.any():
        by_post = sector_la_codes(postcode_sectors(episodes.loc[todo, "PL_POST"]))
        out = out.fillna(by_post).astype("str")
    return out


def derive_pl_location(episodes: pd.DataFrame, boroughs: pd.DataFrame) -> pd.Series:
    """``PL_LOCATION``: ``IN`` when ``PL_LA`` is the placing LA's ONS code, ``OUT`` otherwise,
    missing when ``PL_LA`` is unknown; file values kept."""
    placing_code = episodes["LA"].map(boroughs.set_index("la_name")["ons_code"])
    derived = pd.Series(
        np.where(episodes["PL_LA"] == placing_code, "IN", "OUT"), index=episodes.index, dtype="str"
    ).where(episodes["PL_LA"].notna())
    if "PL_LOCATION" in episodes.columns:
        return episodes["PL_LOCATION"].astype("str").fillna(derived).astype("str")
    return derived.astype("str")


def derive_pl_distance(episodes: pd.DataFrame) -> pd.Series:
    """``PL_DISTANCE``: straight-line miles between the OS-grid centroids of the ``HOME_POST`` and
    ``PL_POST`` sectors (full postcodes cut to sectors first); file values kept; NaN when a
    sector is blank or unknown. Caveat: sector centroids, not addresses."""
    if "PL_DISTANCE" in episodes.columns:
        out = episodes["PL_DISTANCE"].astype(float)
    else:
        out = pd.Series(np.nan, index=episodes.index, dtype=float)
    todo = out.isna() & episodes["HOME_POST"].notna() & episodes["PL_POST"].notna()
    if todo.any():
        home = postcode_sectors(episodes.loc[todo, "HOME_POST"])
        placement = postcode_sectors(episodes.loc[todo, "PL_POST"])
        out = out.fillna(sector_distance_miles(home, placement))
    return out


def add_derived_fields(
    episodes: pd.DataFrame, homes: pd.DataFrame, boroughs: pd.DataFrame
) -> pd.DataFrame:
    """Episodes with ``PL_LA``, ``PL_LOCATION`` and ``PL_DISTANCE`` filled in (see above)."""
    out = episodes.copy()
    out["PL_LA"] = derive_pl_la(out, homes)
    out["PL_LOCATION"] = derive_pl_location(out, boroughs)
    out["PL_DISTANCE"] = derive_pl_distance(out)
    return out
