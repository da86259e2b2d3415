"""London's externally provided places not used by London boroughs: how many were vacant, out
of use for lack of staff, or (the rest) filled by children from outside London or out of use
for another reason - as far as the homes' staffing returns (``home_staffing``) can tell.

Definitions: ``registered`` are the register's places of London's private and voluntary homes
(the headline's 569 in 2022, A5); ``used_by_london`` London boroughs' children in those homes on
31 March (children linked by URN); ``vacant`` the ``places_available`` and ``out_of_use_staffing``
the ``places_unavailable_staffing`` of the staffing returns at the snapshot date. Caveats: a home
without a staffing return for the date adds nothing to vacant or out-of-use, so ``rest`` is an
upper bound; the data hold no record of which authority placed the children of other regions, so
"filled by other regions" and "out of use for other reasons" cannot be told apart.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.providers import external_sector
from analysis.snapshot import snapshot_date


def london_external_homes(homes: pd.DataFrame) -> pd.DataFrame:
    """The register's private and voluntary children's homes in London (``urn``, ``places``;
    externally provided as :func:`analysis.providers.external_sector` defines it)."""
    keep = homes["in_london"].fillna(False).astype(bool) & external_sector(homes["sector"])
    if "provision_type" in homes.columns:
        keep &= homes["provision_type"].fillna("Children's home").eq("Children's home")
    out = homes.loc[keep, ["urn"]].copy()
    out["urn"] = out["urn"].astype(str)
    out["places"] = pd.to_numeric(homes.loc[keep, "places"], errors="coerce").fillna(0).astype(int)
    return out.reset_index(drop=True)


def staffing_at(staffing: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """Staffing returns dated 31 March ``year`` (all rows when the table has no date)."""
    if staffing is None or staffing.empty:
        return pd.DataFrame(columns=["URN", "places_available", "places_unavailable_staffing"])
    if "snapshot_date" not in staffing.columns:
        return staffing
    dates = pd.to_datetime(staffing["snapshot_date"], errors="coerce", dayfirst=True)
    return staffing[dates == pd.Timestamp(snapshot_date(year))]


def external_places_split(
    res: pd.DataFrame, homes: pd.DataFrame, staffing: pd.DataFrame | None, year: int
) -> dict[str, Any]:
    """The split of London's external places on 31 March ``year`` (see the module doc):
    ``registered``, ``used_by_london``, ``not_used_by_london``, ``vacant``,
    ``out_of_use_staffing``, ``rest`` (= not used by London - vacant - out of use for staff,
    at least 0), ``homes``, ``homes_with_staffing_return`` and ``staffing_available``."""
    ext = london_external_homes(homes)
    urns = set(ext["urn"])
    used = int(res["URN"].astype(str).isin(urns).sum())
    registered = int(ext["places"].sum())
    staff = staffing_at(staffing, year)
    staff = staff[staff["URN"].astype(str).isin(urns)] if len(staff) else staff
    vacant = int(pd.to_numeric(staff.get("places_available"), errors="coerce").fillna(0).sum())
    out_of_use = int(
        pd.to_numeric(staff.get("places_unavailable_staffing"), errors="coerce").fillna(0).sum()
    )
    not_used = registered - used
    return {
        "registered": registered,
        "used_by_london": used,
        "not_used_by_london": not_used,
        "vacant": vacant,
        "out_of_use_staffing": out_of_use,
        "rest": max(not_used - vacant - out_of_use, 0),
        "homes": len(ext),
        "homes_with_staffing_return": int(staff["URN"].astype(str).nunique()) if len(staff) else 0,
        "staffing_available": bool(len(staff)),
    }


def split_table(split: dict[str, Any]) -> pd.DataFrame:
    """The split as a table of places (``part``, ``places``, ``share`` of registered, 0-1)."""
    parts = [
        ("Filled by London boroughs' children", split["used_by_london"]),
        ("Vacant (available to take a child)", split["vacant"]),
        ("Out of use for lack of staff", split["out_of_use_staffing"]),
        ("Filled by children from outside London, or out of use for other reasons", split["rest"]),
    ]
    total = split["registered"]
    return pd.DataFrame(
        {
            "part": [p for p, _ in parts],
            "places": [int(v) for _, v in parts],
            "share": [(v / total) if total else None for _, v in parts],
        }
    )
