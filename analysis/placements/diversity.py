"""The ethnic background of London's children in children's homes against where they are
placed (the 2022 report: "a high proportion of looked-after children in London are from
racialised backgrounds and we need to consider the impact of placing them in less ethnically
diverse areas").

Ethnicity is the SSDA903 header's ``ETHNIC`` code, grouped into the ONS's five high-level groups
(White British kept apart from other White backgrounds) plus "not recorded" (REFU, NOBT).
Caveat: this compares the children placed in and outside London; how diverse the receiving
areas are needs the Census 2021 ethnic group of each area's population, not in the dataset.
"""

from __future__ import annotations

import pandas as pd

from .distance import LOCATIONS, placement_location

#: Ethnic group of each SSDA903 ETHNIC code (first letter decides for the others).
GROUPS: tuple[str, ...] = (
    "White British",
    "White other",
    "Mixed",
    "Asian",
    "Black",
    "Other",
    "Not recorded",
)


def ethnic_group(code: object) -> str:
    """The :data:`GROUPS` label of one SSDA903 ethnicity code (``WBRI``, ``BAFR``, ...)."""
    text = str(code or "").strip().upper()
    if text == "WBRI":
        return "White British"
    if text in ("REFU", "NOBT", ""):
        return "Not recorded"
    return {"W": "White other", "M": "Mixed", "A": "Asian", "B": "Black"}.get(text[:1], "Other")


def child_ethnicity(header: pd.DataFrame, year: int) -> pd.Series:
    """``ETHNIC`` by ``CHILD`` from the header rows of ``year`` (the latest row of a child when
    the table has no ``YEAR`` or none for the year)."""
    h = header
    if "YEAR" in h.columns and (h["YEAR"] == year).any():
        h = h[h["YEAR"] == year]
    return h.drop_duplicates("CHILD", keep="last").set_index("CHILD")["ETHNIC"]


def ethnicity_by_location(res: pd.DataFrame, header: pd.DataFrame, year: int) -> pd.DataFrame:
    """Children in children's homes per ethnic group (rows, :data:`GROUPS`) and placement
    location (columns ``own_borough``, ``other_london``, ``outside_london``, ``total``)."""
    codes = res["CHILD"].map(child_ethnicity(header, year))
    df = pd.DataFrame({"group": codes.map(ethnic_group), "location": placement_location(res)})
    counts = df.groupby(["group", "location"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"group": list(GROUPS)})
    names = dict(zip(LOCATIONS, ("own_borough", "other_london", "outside_london"), strict=True))
    for location, col in names.items():
        series = counts[location] if location in counts.columns else pd.Series(dtype=int)
        out[col] = out["group"].map(series).fillna(0).astype(int)
    out["total"] = out[list(names.values())].sum(axis=1)
    return out


def minority_share_by_location(table: pd.DataFrame) -> dict[str, float | None]:
    """Share (0-1) of children from an ethnic group other than White British, among those with
    a recorded ethnicity, in each location column of :func:`ethnicity_by_location` and overall."""
    known = table[table["group"] != "Not recorded"]
    out: dict[str, float | None] = {}
    for col in ("own_borough", "other_london", "outside_london", "total"):
        whole = int(known[col].sum())
        minority = int(known.loc[known["group"] != "White British", col].sum())
        out[col] = minority / whole if whole else None
    return out
