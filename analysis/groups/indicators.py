"""Borough placement indicators: one row per London LA, the columns of the 2022 report's table
and more a commissioner would want.

All shares are fractions 0-1 of the borough's children in residential children's homes (K2)
at the snapshot, except ``pct_residential`` (share of the borough's whole looked-after cohort).
The published table (``tables/groups_borough_indicators.csv``) writes them in per cent
(:data:`PERCENT_COLUMNS`, :func:`published_indicators`), converted when written.
"""

from __future__ import annotations

import pandas as pd

from analysis.boroughs import london_boroughs, london_ons_codes
from analysis.dataset import Dataset
from analysis.shares import columns_in_per_cent
from analysis.snapshot import k2_placements, open_episodes

GOOD_OR_BETTER = frozenset({"outstanding", "good"})

#: Indicator columns and what they measure (used for table notes and chart labels).
INDICATOR_LABELS: dict[str, str] = {
    "cla_cohort": "Children looked after at the snapshot",
    "k2_children": "Children in residential children's homes",
    "k2_in_borough": "Children placed in own borough",
    "k2_london_oob": "Children placed in London, out of borough",
    "k2_outside_london": "Children placed outside London",
    "k2_in_london": "Children placed in London",
    "pct_residential": "% of looked-after cohort in residential homes",
    "pct_in_borough": "% placed in own borough",
    "pct_london_oob": "% in London, out of borough",
    "pct_outside_london": "% placed outside London",
    "n_london_las": "London LAs used",
    "children_per_london_la": "Children per London LA used",
    "in_house_k2": "Children in in-house homes",
    "pct_in_house": "% in in-house homes",
    "la_home_places": "Places in LA-run homes in the borough",
    "median_distance_miles": "Median distance from home (miles)",
    "pct_good_or_better": "% in homes rated Good or better",
}

#: The share columns (fractions 0-1 in the code) that the published indicator table writes in
#: per cent (0-100), as it always has: :func:`published_indicators`.
PERCENT_COLUMNS: tuple[str, ...] = (
    "pct_residential",
    "pct_in_borough",
    "pct_london_oob",
    "pct_outside_london",
    "pct_in_house",
    "pct_good_or_better",
)

#: Count-of-children columns and the percentages derived from each (disclosure control).
#: A percentage is suppressed with its numerator (a share of a large total can reveal a small
#: count) - the numerators are published counts too.
CHILD_COUNT_COLUMNS: tuple[str, ...] = (
    "cla_cohort",
    "k2_children",
    "k2_in_borough",
    "k2_london_oob",
    "k2_outside_london",
    "k2_in_london",
    "in_house_k2",
)
DERIVED_FROM: dict[str, str] = {
    "median_distance_miles": "k2_children",
    "pct_good_or_better": "k2_children",
}
#: The arithmetic of the published indicator table, for secondary suppression and the
#: attacker's audit (:mod:`analysis.disclosure_audit`): row totals, and each share with its
#: numerator and denominator (suppressed when either is). They describe the table as published
#: (:func:`published_indicators`: shares in per cent, hence ``scale: 100``).
INDICATOR_SUMS: dict[str, tuple[str, ...]] = {
    "k2_children": ("k2_in_borough", "k2_london_oob", "k2_outside_london"),
    "k2_in_london": ("k2_in_borough", "k2_london_oob"),
}
INDICATOR_SHARES: dict[str, dict[str, object]] = {
    "pct_residential": {"numerator": "k2_children", "denominator": "cla_cohort", "scale": 100},
    "pct_in_borough": {"numerator": "k2_in_borough", "denominator": "k2_children", "scale": 100},
    "pct_london_oob": {"numerator": "k2_london_oob", "denominator": "k2_children", "scale": 100},
    "pct_outside_london": {
        "numerator": "k2_outside_london",
        "denominator": "k2_children",
        "scale": 100,
    },
    "children_per_london_la": {
        "numerator": "k2_in_london",
        "denominator": "n_london_las",
        "scale": 1,
    },
    "pct_in_house": {"numerator": "in_house_k2", "denominator": "k2_children", "scale": 100},
}
#: Each count column is one quantity per borough wherever it is published (same names are
#: used by the placement-patterns tables), so the audit links the tables.
INDICATOR_QUANTITIES: dict[str, str] = {c: c for c in CHILD_COUNT_COLUMNS}


def published_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicator table as published: the shares of :data:`PERCENT_COLUMNS` (fractions 0-1)
    in per cent; a copy."""
    return columns_in_per_cent(indicators, PERCENT_COLUMNS)


def indicator_disclosure() -> dict[str, object]:
    """The keyword arguments of :func:`analysis.outputs.write_table` /
    :func:`analysis.disclosure.protect_table` for the published borough indicator table (index
    reset, :func:`published_indicators`)."""
    return {
        "child_counts": list(CHILD_COUNT_COLUMNS),
        "derived_from": dict(DERIVED_FROM),
        "sums": INDICATOR_SUMS,
        "shares": INDICATOR_SHARES,
        "key": "la_name",
        "quantities": INDICATOR_QUANTITIES,
    }


def protected_indicators(ds: Dataset, year: int):  # noqa: ANN201 - ProtectedTable
    """The borough indicator table as published (:func:`published_indicators`: shares in per
    cent) after disclosure control (computed once per dataset and year): the one suppressed
    version of each borough count, which the placement-patterns tables follow."""
    from analysis.coverage import covered_boroughs, limit_to_coverage
    from analysis.disclosure import protect_table

    def compute():  # noqa: ANN202
        ind = published_indicators(borough_indicators(ds, year))
        ind = ind.drop(columns=["ons_code"]).reset_index()
        ind = limit_to_coverage(ind, covered_boroughs(ds)).reset_index(drop=True)
        spec = indicator_disclosure()
        return protect_table(ind, spec.pop("child_counts"), spec.pop("derived_from"), **spec)

    return ds.derived(("protected_indicators", int(year)), compute)


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``part / whole`` (a fraction 0-1), missing where ``whole`` is 0."""
    return (part / whole.where(whole > 0)).astype(float)


def cohort_sizes(episodes: pd.DataFrame, year: int) -> pd.Series:
    """Distinct children with an open episode on the snapshot date, per placing LA (``LA``).

    Caveat: the cohort is every open episode of the borough (all placement types), as in 2022.
    """
    eps = open_episodes(episodes, year)
    return eps.groupby("LA")["CHILD"].nunique()


def placement_location_counts(k2: pd.DataFrame, ons_of: pd.Series) -> pd.DataFrame:
    """Per borough: K2 children in own borough, in London out of borough, outside London, and
    the number of distinct London LAs used (own borough included)."""
    london = london_ons_codes()
    own = k2["LA"].map(ons_of)
    in_borough = k2["PL_LA"] == own
    in_london = k2["PL_LA"].isin(london)
    frame = pd.DataFrame(
        {
            "LA": k2["LA"],
            "PL_LA": k2["PL_LA"].where(in_london),
            "in_borough": in_borough,
            "london_oob": in_london & ~in_borough,
            "outside_london": ~in_london,
            "in_london": in_london,
            "in_house": k2["in_house"],
        }
    )
    grouped = frame.groupby("LA")
    return pd.DataFrame(
        {
            "k2_children": grouped.size(),
            "k2_in_borough": grouped["in_borough"].sum(),
            "k2_london_oob": grouped["london_oob"].sum(),
            "k2_outside_london": grouped["outside_london"].sum(),
            "k2_in_london": grouped["in_london"].sum(),
            "n_london_las": grouped["PL_LA"].nunique(),
            "in_house_k2": grouped["in_house"].sum(),
        }
    )


def home_grades_of_placements(k2: pd.DataFrame, homes: pd.DataFrame) -> pd.Series:
    """Share (0-1) of each borough's K2 children (with a graded home) in homes rated Good or
    Outstanding. Caveat: the home's latest grade, not its grade when the child was placed."""
    grade = homes.drop_duplicates("urn").set_index("urn")["grade"].astype(str).str.lower()
    child_grade = k2["URN"].astype(str).map(grade)
    graded = child_grade.notna() & (child_grade.str.strip() != "") & (child_grade != "nan")
    good = child_grade.isin(GOOD_OR_BETTER)
    frame = pd.DataFrame({"LA": k2["LA"], "graded": graded, "good": good & graded})
    sums = frame.groupby("LA")[["graded", "good"]].sum()
    return _share(sums["good"], sums["graded"])


def la_home_places(homes: pd.DataFrame) -> pd.Series:
    """Registered places in local-authority-run homes located in each borough (by ONS code).

    Caveat: a home run by a neighbouring council would count for the borough it stands in.
    """
    sector = homes["sector"].astype(str).str.strip().str.lower()
    la_run = homes[sector == "local authority"]
    places = pd.to_numeric(la_run["places"], errors="coerce")
    return places.groupby(la_run["la_ons_code"]).sum()


def borough_indicators(ds: Dataset, year: int) -> pd.DataFrame:
    """One row per London LA (index ``la_name``, all 33 in reference order) with the 2022 table's
    columns and commissioning indicators (see :data:`INDICATOR_LABELS`).

    ``children_per_london_la`` is London-placed K2 children / London LAs used (0 when none);
    shares (fractions 0-1) of K2 children are missing for a borough with no K2 children.
    Computed once per dataset and year (:meth:`analysis.dataset.Dataset.derived`); a copy each call.
    """
    year = int(year)
    return ds.derived(("borough_indicators", year), lambda: _borough_indicators(ds, year)).copy(
        deep=False
    )


def _borough_indicators(ds: Dataset, year: int) -> pd.DataFrame:
    ref = london_boroughs().set_index("la_name")
    episodes = ds.table("episodes")
    k2 = k2_placements(ds, year)
    counts = placement_location_counts(k2, ref["ons_code"]).reindex(ref.index, fill_value=0)
    out = pd.DataFrame(index=ref.index)
    out["ons_code"] = ref["ons_code"]
    out["inner_outer"] = ref["inner_outer"]
    out["cla_cohort"] = cohort_sizes(episodes, year).reindex(ref.index, fill_value=0).astype(int)
    for col in (
        "k2_children",
        "k2_in_borough",
        "k2_london_oob",
        "k2_outside_london",
        "k2_in_london",
        "in_house_k2",
        "n_london_las",
    ):
        out[col] = counts[col].astype(int)
    out["pct_residential"] = _share(out["k2_children"], out["cla_cohort"])
    out["pct_in_borough"] = _share(counts["k2_in_borough"], counts["k2_children"])
    out["pct_london_oob"] = _share(counts["k2_london_oob"], counts["k2_children"])
    out["pct_outside_london"] = _share(counts["k2_outside_london"], counts["k2_children"])
    per_la = counts["k2_in_london"] / counts["n_london_las"].where(counts["n_london_las"] > 0)
    out["children_per_london_la"] = per_la.fillna(0.0).astype(float)
    out["pct_in_house"] = _share(counts["in_house_k2"], counts["k2_children"])
    homes = ds.table("homes")
    out["la_home_places"] = (
        out["ons_code"].map(la_home_places(homes)).fillna(0).astype(int)
        if "la_ons_code" in homes.columns
        else pd.NA
    )
    if "PL_DISTANCE" in k2.columns:
        dist = pd.to_numeric(k2["PL_DISTANCE"], errors="coerce").groupby(k2["LA"]).median()
        out["median_distance_miles"] = dist.reindex(ref.index).astype(float)
    else:
        out["median_distance_miles"] = float("nan")
    out["pct_good_or_better"] = home_grades_of_placements(k2, homes).reindex(ref.index)
    out.index.name = "la_name"
    return out
