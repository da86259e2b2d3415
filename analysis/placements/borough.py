"""One borough's own signals for its page in a borough edition (issue 16): how far its children
in children's homes live from home, how many providers it uses, and how often it refers to a
provider it already knows - each beside London's figure counted the same way (all London
boroughs' children or referrals together).

Disclosure: a median distance of 1 to 5 children, a share of 1 to 5 referrals, and the number of
providers of a borough with 1 to 5 children in children's homes are withheld (``c``); no count of
children is returned.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.disclosure import is_small_count, load_rules


def _median(miles: pd.Series) -> float | str | None:
    """The median of ``miles`` (None without values; ``c`` from 1 to 5 children)."""
    values = pd.to_numeric(miles, errors="coerce").dropna()
    if values.empty:
        return None
    if is_small_count(len(values)):
        return load_rules().symbol
    return round(float(values.median()), 1)


def _share(flags: pd.Series) -> float | str | None:
    """The share of True in ``flags`` (None when empty; ``c`` from 1 to 5 referrals)."""
    if flags.empty:
        return None
    if is_small_count(len(flags)):
        return load_rules().symbol
    return round(float(flags.mean()), 6)


def providers_used(res: pd.DataFrame, homes: pd.DataFrame) -> int:
    """The number of providers (the register's ``owner``) of the homes the children in ``res``
    live in (children in a home not in the register are not counted). Caveat: owners are
    matched by name as the register writes them."""
    owner = homes.assign(urn=homes["urn"].astype(str)).set_index("urn")["owner"]
    urns = res["URN"].dropna().astype(str)
    return int(urns.map(owner).dropna().astype(str).str.strip().nunique())


def borough_signals(
    res: pd.DataFrame, homes: pd.DataFrame, flags: pd.DataFrame | None, la: str
) -> dict[str, Any]:
    """``{median_miles, london_median_miles, providers_used, london_providers_used,
    known_share, london_known_share}`` for borough ``la``: ``res`` are the snapshot's K2
    placements (``LA``, ``PL_DISTANCE``, ``URN``), ``flags`` the year's referrals with
    ``known_provider`` (:func:`analysis.placements.providers.known_provider_flags`; None
    without a referrals table). Medians are of straight-line distances between postcode
    sectors (A7)."""
    mine = res[res["LA"] == la]
    # At most one provider per child: a count of providers would bound a withheld count of
    # children, so it is withheld with it.
    used: int | str = providers_used(mine, homes)
    if is_small_count(len(mine)):
        used = load_rules().symbol
    out: dict[str, Any] = {
        "median_miles": _median(mine["PL_DISTANCE"]),
        "london_median_miles": _median(res["PL_DISTANCE"]),
        "providers_used": used,
        "london_providers_used": providers_used(res, homes),
        "known_share": None,
        "london_known_share": None,
    }
    if flags is not None and not flags.empty:
        known = flags["known_provider"].astype(bool)
        out["known_share"] = _share(known[flags["LA"] == la])
        out["london_known_share"] = _share(known)
    return out
