"""One definition of a referral's outcome, shared by every hypothesis that reads referrals
(H3 practice, H5 attitude to risk, H6 staffing; issue 13).

A referral is *decided* when the provider answered it or let it lapse: ``Accepted``,
``Declined`` or ``No response``. ``Withdrawn`` referrals (the borough withdrew the request, so
the provider's answer says nothing about the child) are left out. A decided referral is
*not accepted* when it was ``Declined`` or got ``No response``: to the child, a request nobody
answers is a request turned down, and counting silence as a decline stops a provider's
choice between declining and ignoring from changing a test's result.

A referral of a child to the home the child is placed in (:func:`placement_referrals`) records
the placement, not a provider's answer; the tests that compare answers leave it out.

Caveat: a provider that leaves a referral unanswered because the place had already gone is
counted as not accepting, like one that ignores it; the data do not tell the two apart.
"""

from __future__ import annotations

import pandas as pd

from analysis.dataset import Dataset
from analysis.snapshot import episodes_in_year, for_year

#: Responses after which a referral counts (the provider decided, or let it lapse).
DECIDED_RESPONSES: tuple[str, ...] = ("Accepted", "Declined", "No response")
#: Decided responses that are not an acceptance.
NOT_ACCEPTED_RESPONSES: tuple[str, ...] = ("Declined", "No response")


def _is_one_of(response: pd.Series, words: tuple[str, ...]) -> pd.Series:
    """True where a response, stripped, is one of ``words`` (False where blank)."""
    return response.astype("string").str.strip().isin(words).fillna(False).astype(bool)


def decided_referrals(referrals: pd.DataFrame) -> pd.DataFrame:
    """The referrals whose ``response`` is Accepted, Declined or No response (Withdrawn and
    blank responses left out), with an ``accepted`` column (1 = Accepted, 0 = not accepted)."""
    out = referrals[_is_one_of(referrals["response"], DECIDED_RESPONSES).to_numpy()].copy()
    out["accepted"] = (~is_not_accepted(out["response"])).astype(int)
    return out


def is_not_accepted(response: pd.Series) -> pd.Series:
    """True where a response is Declined or No response (the one definition of a decline)."""
    return _is_one_of(response, NOT_ACCEPTED_RESPONSES)


def placement_referrals(ds: Dataset, year: int, refs: pd.DataFrame) -> pd.Series:
    """Boolean mask of ``refs``: the referral is to a home the child is placed in (same LA,
    CHILD and URN as an episode of the ``year`` return). All False without episodes or URNs.

    Why: the referral that led to a placement is accepted by construction; it says where the
    child went, not how a provider answered a risk. High-risk children are placed outside
    London more often (hypothesis 1), so these answers are not spread evenly over high-risk and
    other referrals to local and distant homes. In the simulation study, keeping them made the
    local-interaction test come out significant in about twice the nominal share of datasets
    with no effect planted (docs/mechanisms.md). Used by hypotheses 5 and 6.
    """
    none = pd.Series(False, index=refs.index)
    if not ds.has("episodes"):
        return none
    eps = ds.table("episodes")  # episodes of the collection year, from the dates when given
    eps = episodes_in_year(eps, year) if {"DECOM", "DEC"} <= set(eps) else for_year(eps, year)
    keys = ["LA", "CHILD", "URN"]
    if eps.empty or not set(keys) <= set(eps.columns) or not set(keys) <= set(refs.columns):
        return none
    eps = eps[eps["URN"].notna() & (eps["URN"].astype(str).str.strip() != "")]
    placed = pd.MultiIndex.from_frame(eps[keys].astype(str).drop_duplicates())
    mask = pd.MultiIndex.from_frame(refs[keys].astype(str)).isin(placed)
    return pd.Series(mask, index=refs.index)
