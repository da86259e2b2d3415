"""The breakdown of London's children's-home placements by who provides the home and where it
is (the 2022 report's "placement availability" figures: how many placements were in London and
outside, by provider).

Provider is the SSDA903 ``PLACE_PROVIDER`` in three groups: PR1 the borough's own homes, PR2/PR3
another council's or public body's, PR4/PR5 private or voluntary (the report's "externally
provided"); finer rows would leave small counts in most cells, withheld. Caveat: a code recorded
wrongly moves a child between rows; the register's sector is not used here.
"""

from __future__ import annotations

import pandas as pd

from .distance import LOCATIONS, placement_location

PROVIDERS: dict[str, str] = {
    "PR1": "Own council's homes",
    "PR2": "Another council's or public body's homes",
    "PR3": "Another council's or public body's homes",
    "PR4": "Private or voluntary homes",
    "PR5": "Private or voluntary homes",
}


def provider_by_location(res: pd.DataFrame) -> pd.DataFrame:
    """Children per provider group (rows, :data:`PROVIDERS` order, then "Not recorded", rows with
    no child left out) and location
    (columns ``own_borough``, ``other_london``, ``outside_london``, ``total``), with
    ``pct_outside_london`` (0-1) of each row."""
    provider = res["PLACE_PROVIDER"].map(PROVIDERS).fillna("Not recorded")
    df = pd.DataFrame({"provider": provider, "location": placement_location(res)})
    counts = df.groupby(["provider", "location"]).size().unstack(fill_value=0)
    out = pd.DataFrame({"provider": [*dict.fromkeys(PROVIDERS.values()), "Not recorded"]})
    names = dict(zip(LOCATIONS, ("own_borough", "other_london", "outside_london"), strict=True))
    for location, col in names.items():
        series = counts[location] if location in counts.columns else pd.Series(dtype=int)
        out[col] = out["provider"].map(series).fillna(0).astype(int)
    out["total"] = out[list(names.values())].sum(axis=1)
    out["pct_outside_london"] = out["outside_london"] / out["total"].where(out["total"] > 0)
    return out[out["total"] > 0].reset_index(drop=True)
