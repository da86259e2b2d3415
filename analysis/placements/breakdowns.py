"""How London's children's-home placements ended during the year, by where the home was
(the 2022 fieldwork: providers "take young people they struggle to accommodate, leading to
placement breakdown").

A K2 placement of a London borough ended during the year (``DEC`` from 1 April to 31 March) is
followed by the child's next episode, whose ``REASON_PLACE_CHANGE`` says why the placement
changed (SSDA903). ``unplanned`` endings are those at the carer's or home's request (CREQB,
CREQO), the child's request (CHILD), after an allegation or a standards concern (ALLEG, STAND),
or because the home closed or lost approval (CLOSE, APPRR). Caveats: an ending with no next
episode (the child left care) has no reason and is counted apart; the reason is the placing
authority's record, not the provider's.
"""

from __future__ import annotations

import pandas as pd

from analysis.boroughs import london_boroughs, london_ons_codes
from analysis.snapshot import episodes_in_year, year_window

UNPLANNED = frozenset({"CREQB", "CREQO", "CHILD", "ALLEG", "STAND", "CLOSE", "APPRR"})
REASON_LABELS: dict[str, str] = {
    "CARPL": "change to the care plan",
    "CREQB": "home's request: the child's behaviour",
    "CREQO": "home's request: other reason",
    "CHILD": "the child's request",
    "ALLEG": "allegation (s47)",
    "STAND": "standards of care concern",
    "CLOSE": "home closed or resigned",
    "APPRR": "approval removed",
    "LAREQ": "the authority's request, other than the care plan",
    "PLACE": "change of placement status only",
    "CUSTOD": "custody",
    "OTHER": "other",
}


def ended_placements(episodes: pd.DataFrame, year: int) -> pd.DataFrame:
    """K2 episodes of London boroughs that ended in the year to 31 March ``year``, each with
    ``reason`` (the next episode's ``REASON_PLACE_CHANGE``; "left care" when the child has no
    next episode) and ``outside_london`` (the home's LA)."""
    start, end = year_window(year)
    eps = episodes_in_year(episodes, year)
    eps = eps.sort_values(["CHILD", "DECOM"], kind="stable")
    nxt = eps.groupby("CHILD")["REASON_PLACE_CHANGE"].shift(-1)
    nxt_start = eps.groupby("CHILD")["DECOM"].shift(-1)
    ended = (eps["DEC"] > start) & (eps["DEC"] <= end)
    keep = (
        ended.fillna(False).astype(bool)
        & (eps["PLACE"] == "K2")
        & eps["LA"].isin(london_boroughs()["la_name"])
    )
    out = eps.loc[keep, ["CHILD", "LA", "DEC", "PL_LA"]].copy()
    reason = nxt[keep].astype("string").str.strip()
    follows = nxt_start[keep].notna()
    out["reason"] = reason.where(follows, "left care").fillna("not recorded")
    out.loc[follows & (reason.isna() | (reason == "")), "reason"] = "not recorded"
    out["outside_london"] = ~out["PL_LA"].isin(london_ons_codes())
    return out.reset_index(drop=True)


def endings_by_location(ended: pd.DataFrame) -> pd.DataFrame:
    """Ended placements by kind (``unplanned``, ``planned or other``, ``left care``, ``not
    recorded``) and the home's location (columns ``in_london``, ``outside_london``, ``total``),
    (the share of moves that were unplanned is worked out, from protected counts, where it is
    published: :func:`analysis.placements.publish.write_breakdowns`)."""
    kind = ended["reason"].map(
        lambda r: (
            "left care"
            if r == "left care"
            else "not recorded"
            if r == "not recorded"
            else "unplanned"
            if r in UNPLANNED
            else "planned or other"
        )
    )
    df = pd.DataFrame({"kind": kind, "outside": ended["outside_london"]})
    rows = ("unplanned", "planned or other", "left care", "not recorded")
    out = pd.DataFrame({"ending": list(rows)})
    for col, flag in (("in_london", False), ("outside_london", True)):
        counts = df[df["outside"] == flag]["kind"].value_counts()
        out[col] = out["ending"].map(counts).fillna(0).astype(int)
    out["total"] = out["in_london"] + out["outside_london"]
    return out
