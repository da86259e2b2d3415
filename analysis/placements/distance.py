"""Distance and proximity of children's-home placements (``PL_DISTANCE``, straight-line miles
between the home postcode sector and the placement's, A7).

Caveat: sector centroids are about a mile out for short distances; travel time is not measured.
A placement with no distance (a postcode missing) is left out of the distance figures.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.boroughs import london_boroughs

#: The location of a placement seen from the placing borough.
LOCATIONS: tuple[str, ...] = ("own borough", "other London borough", "outside London")

#: Distance bands (lower bound inclusive, upper bound exclusive), in miles.
BANDS: tuple[tuple[float, float, str], ...] = (
    (0.0, 10.0, "under 10 miles"),
    (10.0, 20.0, "10 to 20 miles"),
    (20.0, 50.0, "20 to 50 miles"),
    (50.0, 100.0, "50 to 100 miles"),
    (100.0, math.inf, "100 miles or more"),
)

#: "Near home" for the proximity comparison: within this many miles.
NEAR_MILES = 20.0


def placement_location(res: pd.DataFrame) -> pd.Series:
    """Each placement's location: ``own borough`` (placement LA is the placing borough),
    ``other London borough`` or ``outside London`` (:data:`LOCATIONS`)."""
    ons = res["LA"].map(london_boroughs().set_index("la_name")["ons_code"])
    own = res["PL_LA"].astype("string") == ons.astype("string")
    out = pd.Series("other London borough", index=res.index, dtype=object)
    out[own.fillna(False).to_numpy(dtype=bool)] = "own borough"
    out[res["outside_london"].to_numpy(dtype=bool)] = "outside London"
    return out


def distance_band(miles: pd.Series) -> pd.Series:
    """The :data:`BANDS` label of each distance (missing stays missing)."""
    out = pd.Series(pd.NA, index=miles.index, dtype=object)
    values = pd.to_numeric(miles, errors="coerce")
    for low, high, label in BANDS:
        out[(values >= low) & (values < high)] = label
    return out


def distance_by_area(res: pd.DataFrame) -> pd.DataFrame:
    """Per placing area (Inner, Outer London) and location (:data:`LOCATIONS`): ``children``
    with a known distance, ``median_miles``, ``near_home`` (children within :data:`NEAR_MILES`)
    and ``pct_near_home`` (0-1).

    The 2022 fieldwork said a placement just outside London can be nearer home for an Outer
    London borough than one across London: compare ``median_miles`` of "other London borough"
    with "outside London" within an area. Medians of a few children are withheld by disclosure
    control with their count."""
    df = res.assign(
        location=placement_location(res),
        miles=pd.to_numeric(res["PL_DISTANCE"], errors="coerce"),
    ).dropna(subset=["miles"])
    rows = []
    for area in ("Inner", "Outer"):
        for location in LOCATIONS:
            sub = df[(df["inner_outer"] == area) & (df["location"] == location)]["miles"]
            near = int((sub < NEAR_MILES).sum())
            rows.append(
                {
                    "area": f"{area} London",
                    "location": location,
                    "label": f"{area} London: {location}",
                    "children": len(sub),
                    "median_miles": round(float(sub.median()), 1) if len(sub) else None,
                    "near_home": near,
                    "pct_near_home": near / len(sub) if len(sub) else None,
                }
            )
    return pd.DataFrame(rows)


def distance_bands_by_area(res: pd.DataFrame) -> pd.DataFrame:
    """Children per distance band (rows, :data:`BANDS` order) placed by Inner and by Outer
    London boroughs (columns ``inner``, ``outer``), with a ``total`` column."""
    df = res.assign(band=distance_band(res["PL_DISTANCE"])).dropna(subset=["band"])
    counts = df.groupby(["band", "inner_outer"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"band": [b[2] for b in BANDS]})
    for area in ("Inner", "Outer"):
        col = counts[area] if area in counts.columns else pd.Series(dtype=int)
        out[area.lower()] = out["band"].map(col).fillna(0).astype(int)
    out["total"] = out["inner"] + out["outer"]
    return out


def proximity_summary(by_area: pd.DataFrame) -> dict[str, object]:
    """The comparison the 2022 fieldwork suggested, per area: median miles to placements in
    another London borough and outside London, and which is nearer (None when a median is
    missing)."""
    out: dict[str, object] = {}
    for area in ("Inner London", "Outer London"):
        rows = by_area[by_area["area"] == area].set_index("location")
        london = rows.loc["other London borough", "median_miles"]
        outside = rows.loc["outside London", "median_miles"]
        nearer = None
        if (
            london is not None
            and outside is not None
            and not pd.isna(london)
            and not pd.isna(outside)
        ):
            nearer = "outside London" if outside < london else "other London borough"
        key = area.split()[0].lower()
        out[key] = {
            "median_other_london": None if pd.isna(london) else float(london),
            "median_outside_london": None if pd.isna(outside) else float(outside),
            "nearer": nearer,
        }
    return out
