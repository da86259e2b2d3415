"""The sub-regional picture: London's five sub-regions (the ICS footprints the 2022 report's
recommendations name: North Central, North East, North West, South East, South West London),
from the ``subregion`` column of the boroughs reference.

Caveat: sub-region counts are sums of borough counts; where a borough's count is withheld, the
sub-region's is withheld too (:func:`forced_by_boroughs`), or it would give the borough's away.
"""

from __future__ import annotations

import pandas as pd

from analysis.boroughs import london_boroughs

from .distance import placement_location

#: Count columns of :func:`subregion_summary` and the borough-table quantity each sums.
BOROUGH_QUANTITY: dict[str, str] = {
    "children": "k2_children",
    "outside_london": "k2_outside_london",
    "used_by_london": "london_children_in_borough_homes",
}


def subregion_of_ons(boroughs: pd.DataFrame | None = None) -> pd.Series:
    """Sub-region by ONS code of the 33 London LAs."""
    ref = london_boroughs() if boroughs is None else boroughs
    return ref.set_index("ons_code")["subregion"]


def subregion_summary(res: pd.DataFrame, home_use: pd.DataFrame) -> pd.DataFrame:
    """One row per sub-region: ``boroughs``; its boroughs' ``children`` in children's homes,
    placed ``in_own_subregion`` (own borough or another borough of the sub-region),
    ``other_subregion`` (elsewhere in London) and ``outside_london``, with shares (0-1); the
    ``external_places`` in its private and voluntary homes and the London children in them
    (``used_by_london``, from :func:`analysis.patterns.home_use_by_borough`)."""
    ref = london_boroughs()
    sub_of_la = ref.set_index("la_name")["subregion"]
    sub_of_ons = ref.set_index("ons_code")["subregion"]
    df = res.assign(
        subregion=res["LA"].map(sub_of_la),
        host=res["PL_LA"].map(sub_of_ons),
        location=placement_location(res),
    )
    same = (df["host"] == df["subregion"]) & ~df["outside_london"]
    df["in_own_subregion"] = same
    df["other_subregion"] = ~same & ~df["outside_london"]
    agg = df.groupby("subregion").agg(
        children=("CHILD", "size"),
        in_own_subregion=("in_own_subregion", "sum"),
        other_subregion=("other_subregion", "sum"),
        outside_london=("outside_london", "sum"),
    )
    use = home_use.assign(subregion=home_use["la_name"].map(sub_of_la))
    places = use.groupby("subregion")[["external_places", "used_by_london"]].sum()
    names = sorted(ref["subregion"].dropna().unique())
    out = pd.DataFrame({"subregion": names})
    out["boroughs"] = out["subregion"].map(ref.groupby("subregion").size()).astype(int)
    for col in ("children", "in_own_subregion", "other_subregion", "outside_london"):
        out[col] = out["subregion"].map(agg[col]).fillna(0).astype(int)
    for col in ("external_places", "used_by_london"):
        out[col] = out["subregion"].map(places[col]).fillna(0).astype(int)
    whole = out["children"].where(out["children"] > 0)
    out["pct_in_own_subregion"] = out["in_own_subregion"] / whole
    out["pct_outside_london"] = out["outside_london"] / whole
    out["pct_places_used_by_london"] = out["used_by_london"] / out["external_places"].where(
        out["external_places"] > 0
    )
    return out


def forced_by_boroughs(summary: pd.DataFrame, borough_masks: dict[str, pd.Series]) -> pd.DataFrame:
    """Cells of ``summary`` to withhold because a borough count they add up is withheld:
    ``borough_masks`` maps a count column of ``summary`` (:data:`BOROUGH_QUANTITY`) to a boolean
    Series by borough name (True = withheld in a published borough table)."""
    sub_of_la = london_boroughs().set_index("la_name")["subregion"]
    out = pd.DataFrame(False, index=summary.index, columns=list(borough_masks))
    for col, mask in borough_masks.items():
        hidden = {sub_of_la.get(la) for la, h in mask.items() if bool(h)}
        out[col] = summary["subregion"].isin(hidden).to_numpy()
    return out
