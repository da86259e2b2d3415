"""Whether boroughs refer children to providers they already use (the 2022 fieldwork:
"commissioners would rather use providers they know than a new untried home, even if that
enabled a London placement"), from the referrals table.

A referral goes to a *known provider* when the referring borough had a child placed, in an
episode that started before the referral date, in any home of the same owner (the register's
``Organisation which owns the provider``). Withdrawn referrals are left out (A9). Caveats: the
episodes only go back as far as the returns in the dataset, so a provider used before them looks
new; owners are matched by name as the register writes them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def known_provider_flags(
    referrals: pd.DataFrame, episodes: pd.DataFrame, homes: pd.DataFrame
) -> pd.DataFrame:
    """The referrals (not withdrawn, home in the register) with ``owner``, ``home_in_london``,
    ``accepted`` and ``known_provider`` (see the module doc)."""
    h = homes[["urn", "owner", "in_london"]].astype({"urn": str})
    owner = h.set_index("urn")["owner"].astype("string").str.strip()
    in_london = h.set_index("urn")["in_london"].fillna(False).astype(bool)
    refs = referrals[referrals["response"].astype(str) != "Withdrawn"].copy()
    refs["URN"] = refs["URN"].astype(str)
    refs = refs[refs["URN"].isin(owner.index)]
    refs["owner"] = refs["URN"].map(owner)
    refs["home_in_london"] = refs["URN"].map(in_london).astype(bool)
    refs["accepted"] = refs["response"].astype(str) == "Accepted"
    eps = episodes[episodes["URN"].notna()][["LA", "URN", "DECOM"]].copy()
    eps["owner"] = eps["URN"].astype(str).map(owner)
    first_use = eps.dropna(subset=["owner"]).groupby(["LA", "owner"])["DECOM"].min()
    key = pd.MultiIndex.from_arrays([refs["LA"], refs["owner"]])
    first = pd.Series(first_use.reindex(key).to_numpy(), index=refs.index)
    dates = pd.to_datetime(refs["referral_date"], errors="coerce", dayfirst=True)
    refs["known_provider"] = (first.notna() & (first < dates)).astype(bool)
    return refs.reset_index(drop=True)


def known_provider_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Referrals per provider kind (``known provider``, ``new provider``) and home location
    (``home``: in London, outside London): ``referrals``, ``accepted``, ``pct_accepted`` (0-1)."""
    rows = []
    for known, kind in ((True, "known provider"), (False, "new provider")):
        for london, where in ((True, "home in London"), (False, "home outside London")):
            sub = flags[(flags["known_provider"] == known) & (flags["home_in_london"] == london)]
            n, acc = len(sub), int(sub["accepted"].sum())
            rows.append(
                {
                    "provider": kind,
                    "home": where,
                    "referrals": n,
                    "accepted": acc,
                    "pct_accepted": acc / n if n else None,
                }
            )
    return pd.DataFrame(rows)


def known_provider_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Shares (0-1) of referrals that went to known providers, for homes in London and
    outside, and the acceptance rate of referrals to known and to new providers."""

    def share_known(where: str) -> float | None:
        sub = table[table["home"] == where]
        whole = int(sub["referrals"].sum())
        known = int(sub.loc[sub["provider"] == "known provider", "referrals"].sum())
        return known / whole if whole else None

    def acceptance(kind: str) -> float | None:
        sub = table[table["provider"] == kind]
        whole = int(sub["referrals"].sum())
        return int(sub["accepted"].sum()) / whole if whole else None

    return {
        "referrals": int(table["referrals"].sum()),
        "known_share_london_homes": share_known("home in London"),
        "known_share_outside_homes": share_known("home outside London"),
        "known_share_all": (
            int(table.loc[table["provider"] == "known provider", "referrals"].sum())
            / int(table["referrals"].sum())
            if int(table["referrals"].sum())
            else None
        ),
        "acceptance_known": acceptance("known provider"),
        "acceptance_new": acceptance("new provider"),
    }
