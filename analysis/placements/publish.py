"""Tables, figures and results of the placement analyses of :mod:`analysis.placements`, for the
placement-patterns chapter. Every table counting children goes through disclosure control
(:func:`analysis.outputs.write_table`, :func:`analysis.charts.save_figure`); a chart draws only
what its published table shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.shares import per_cent
from analysis.snapshot import year_window

#: What the data cannot support, and the data each would need (one plain sentence each).
OUT_OF_REACH: dict[str, str] = {
    "returning_home": (
        "Whether children placed outside London come back to their home borough as young adults "
        "cannot be measured from this dataset: it would need where care leavers live after care "
        "(boroughs' leaving-care records of address, by age), which the SSDA903 return does not "
        "hold (its care leavers' table records the type of accommodation, not where it is)."
    ),
    "area_diversity": (
        "How ethnically diverse the receiving areas are would need the Census 2021 ethnic group "
        "of each area's population (ONS table TS021 by local authority), which is not in the "
        "dataset; the figures here compare the children only."
    ),
    "other_regions": (
        "Which of London's external places are filled by children from other regions would need "
        "every placing authority's placements at home level (the national SSDA903 data with "
        "home URNs, held by the DfE), not only London boroughs' returns."
    ),
}


def _plain_int(value: Any) -> Any:
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else value


def _bars(
    labels: list[str], values: list[float | None], xlabel: str, colour: int = 0, wrap: int = 0
) -> Any:
    """A horizontal bar chart in the Analysis Function style; missing values draw no bar.
    ``wrap``: break long labels at this width (only for charts whose bars are not read back)."""
    import textwrap

    import matplotlib.pyplot as plt

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.4))
    shown = [float("nan") if v is None or pd.isna(v) else float(v) for v in values]
    if wrap:
        labels = ["\n".join(textwrap.wrap(lab, wrap)) for lab in labels]
    ax.barh(labels[::-1], shown[::-1], color=CATEGORICAL[colour])
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def _shown(value: float | None, unit: str = "%") -> str:
    """A value as an alt text says it: rounded with its unit, or "withheld"."""
    return "withheld" if value is None else f"{value:.0f}{unit}"


def _listed(labels: Any, values: Any, unit: str = "%") -> str:
    """``label: value; ...`` for an alt text (:func:`_shown`)."""
    return "; ".join(f"{lab}: {_shown(v, unit)}" for lab, v in zip(labels, values, strict=True))


def _numbers(series: pd.Series) -> list[float | None]:
    values = pd.to_numeric(series, errors="coerce")
    return [None if pd.isna(v) else float(v) for v in values]


def _published(paths: Any, name: str) -> pd.DataFrame:
    return pd.read_csv(paths.tables / f"{name}.csv", dtype=str, keep_default_na=False)


def write_distance(ds: Any, res: pd.DataFrame, paths: Any, year: int) -> dict[str, Any]:
    """Distance tables and figure (:mod:`analysis.placements.distance`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import protect_table
    from analysis.outputs import write_table

    from .distance import distance_bands_by_area, distance_by_area, proximity_summary

    by_area = distance_by_area(res)
    spec = {
        "derived_from": {"median_miles": "children"},
        "shares": {"pct_near_home": {"numerator": "near_home", "denominator": "children"}},
    }
    public = protect_table(by_area, ["children", "near_home"], **spec).frame
    share = _numbers(public["pct_near_home"])
    save_figure(
        lazy_figure(
            _bars,
            public["label"].tolist(),
            _numbers(public["median_miles"]),
            "Median straight-line distance from home (miles)",
        ),
        paths,
        "placements_distance",
        caption=f"How far from home children in children's homes were placed, 31 March {year}",
        alt=(
            "Bar chart of the median distance from home of children in children's homes, for "
            "Inner and Outer London boroughs, placed in their own borough, in another London "
            "borough and outside London. "
            + _listed(public["label"], _numbers(public["median_miles"]), " miles")
            + "."
        ),
        table=by_area,
        child_counts=["children", "near_home"],
        draws=[{"column": "median_miles", "label": "label"}],
        **spec,
    )
    bands = distance_bands_by_area(res)
    write_table(
        bands,
        paths.tables / "placements_distance_bands.csv",
        child_counts=["inner", "outer", "total"],
        row_total="total",
    )
    return {
        "by_area": public.to_dict(orient="records"),
        "near_miles": 20,
        "proximity": proximity_summary(by_area),
        "pct_near_home": dict(zip(public["label"], share, strict=True)),
    }


def write_subregions(
    ds: Any, res: pd.DataFrame, home_use: pd.DataFrame, paths: Any, year: int
) -> dict[str, Any]:
    """The sub-regional table and figure (:mod:`analysis.placements.subregions`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import protect_table
    from analysis.groups.indicators import protected_indicators
    from analysis.patterns import home_use_disclosure

    from .subregions import forced_by_boroughs, subregion_summary

    table = subregion_summary(res, home_use)
    ind = protected_indicators(ds, year)
    names = ind.frame["la_name"].astype(str).to_numpy()
    use_spec = home_use_disclosure()
    use_mask = protect_table(home_use, use_spec.pop("child_counts"), **use_spec).mask
    masks = {
        "children": pd.Series(ind.mask["k2_children"].to_numpy(), index=names),
        "outside_london": pd.Series(ind.mask["k2_outside_london"].to_numpy(), index=names),
        "used_by_london": pd.Series(
            use_mask["used_by_london"].to_numpy(), index=home_use["la_name"].astype(str)
        ),
    }
    force = forced_by_boroughs(table, masks)
    counts = ["children", "in_own_subregion", "other_subregion", "outside_london", "used_by_london"]
    spec = {
        "sums": {"children": ("in_own_subregion", "other_subregion", "outside_london")},
        "shares": {
            "pct_in_own_subregion": {"numerator": "in_own_subregion", "denominator": "children"},
            "pct_outside_london": {"numerator": "outside_london", "denominator": "children"},
            "pct_places_used_by_london": {
                "numerator": "used_by_london",
                "denominator": "external_places",
            },
        },
        "force": force,
    }
    public = protect_table(table, counts, **spec).frame
    labels = public["subregion"].tolist()
    own = [float("nan") if v is None else v * 100 for v in _numbers(public["pct_in_own_subregion"])]
    out = [float("nan") if v is None else v * 100 for v in _numbers(public["pct_outside_london"])]
    save_figure(
        lazy_figure(_subregions_chart, labels, own, out),
        paths,
        "placements_subregions",
        caption=f"Children in children's homes placed in their own sub-region and outside London, by sub-region, 31 March {year}",
        alt=(
            "Bar chart comparing London's five sub-regions: the share of their children in "
            "children's homes placed within the sub-region and the share placed outside London. "
            + "; ".join(
                f"{s}: {_shown(None if a is None else per_cent(a))} in the sub-region, "
                f"{_shown(None if b is None else per_cent(b))} outside London"
                for s, a, b in zip(
                    labels,
                    _numbers(public["pct_in_own_subregion"]),
                    _numbers(public["pct_outside_london"]),
                    strict=True,
                )
            )
            + "."
        ),
        table=table,
        child_counts=counts,
        draws=[
            {"column": "pct_in_own_subregion", "label": "subregion", "scale": 100},
            {"column": "pct_outside_london", "label": "subregion", "scale": 100},
        ],
        **spec,
    )
    return {"rows": public.to_dict(orient="records")}


def _subregions_chart(labels: list[str], own: list[float], out: list[float]) -> Any:
    """Paired bars per sub-region: % placed in the own sub-region and % outside London."""
    import matplotlib.pyplot as plt
    import numpy as np

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    y = np.arange(len(labels))
    ax.barh(y - 0.2, own, height=0.4, color=CATEGORICAL[0], label="In the own sub-region")
    ax.barh(y + 0.2, out, height=0.4, color=CATEGORICAL[1], label="Outside London")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the sub-region's children in children's homes")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def _local_places_chart(places: pd.DataFrame) -> Any:
    """Bars of each borough's registered places, coloured Inner/Outer London."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    df = places.sort_values(["places", "la_name"], kind="stable")
    fig, ax = plt.subplots(figsize=(8, 8))
    colours = [CATEGORICAL[0] if a == "Inner" else CATEGORICAL[1] for a in df["inner_outer"]]
    ax.barh(df["la_name"], df["places"], color=colours)
    ax.legend(
        handles=[Patch(color=CATEGORICAL[0]), Patch(color=CATEGORICAL[1])],
        labels=["Inner London", "Outer London"],
        loc="lower right",
        frameon=False,
    )
    ax.set_xlabel("Registered places in children's homes in the borough (all sectors)")
    fig.tight_layout()
    return fig


def write_local_places(ds: Any, paths: Any, year: int) -> dict[str, Any]:
    """Places per borough (no children counted) and their link with residential care use."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.groups.indicators import borough_indicators

    from .local_places import places_and_use, places_by_borough

    places = places_by_borough(ds.table("homes"))
    summary = places_and_use(places, borough_indicators(ds, year))
    inner, outer = summary["inner"], summary["outer"]
    save_figure(
        lazy_figure(_local_places_chart, places),
        paths,
        "placements_local_places",
        caption=f"Registered children's home places in each borough, Inner and Outer London, {year}",
        alt=(
            f"Bar chart of the registered places in children's homes in each London borough. "
            f"Inner London boroughs have {inner['mean_places'] or 0:.0f} places on average and "
            f"Outer London boroughs {outer['mean_places'] or 0:.0f}."
        ),
        table=places,
    )
    return summary


def write_capacity(ds: Any, res: pd.DataFrame, paths: Any, year: int) -> dict[str, Any]:
    """The split of London's external places (:mod:`analysis.placements.capacity`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import is_small_count, load_rules

    from .capacity import external_places_split, split_table

    staffing = ds.tables.get("home_staffing")
    split = external_places_split(res, ds.table("homes"), staffing, year)
    table = split_table(split)
    if is_small_count(split["used_by_london"]):  # the rest would give it away too
        symbol = load_rules().symbol
        table = table.astype(object)
        table.loc[[0, 3], ["places", "share"]] = symbol
        split = {**split, "used_by_london": symbol, "rest": symbol, "not_used_by_london": symbol}
    save_figure(
        lazy_figure(
            _bars,
            table["part"].tolist(),
            _numbers(table["places"]),
            "Places in London's private and voluntary children's homes",
            colour=2,
            wrap=34,
        ),
        paths,
        "placements_unused_places",
        caption=f"What London's externally provided children's home places were doing, 31 March {year}",
        alt=(
            f"Bar chart splitting the {split['registered']} registered places in London's private "
            "and voluntary children's homes: "
            + "; ".join(f"{p}: {v}" for p, v in zip(table["part"], table["places"], strict=True))
            + "."
        ),
        table=table,
    )
    return split


#: The receiving LAs' table declares its counts as children placed in each LA (key ``la``),
#: the quantity the destinations table (:mod:`analysis.patterns`) follows.
RECEIVING_SPEC: dict[str, Any] = {"key": "la", "quantities": {"children": "children_placed_in_la"}}


def protected_receiving(res: pd.DataFrame) -> Any:
    """The receiving LAs outside London after disclosure control (a
    :class:`analysis.disclosure.ProtectedTable`, folded when needed), as published in
    ``placements_receiving_las``."""
    from analysis.disclosure import load_rules, protect_table

    from .receiving import outside_table, receiving_las

    return protect_table(
        outside_table(receiving_las(res)),
        ["children"],
        fold=load_rules().folds.get("placements_receiving_las"),
        **RECEIVING_SPEC,
    )


def write_receiving(res: pd.DataFrame, paths: Any, year: int) -> dict[str, Any]:
    """Every receiving LA and the top eight's share (:mod:`analysis.placements.receiving`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import protect_table
    from analysis.outputs import write_table

    from .receiving import TOP, outside_table, receiving_las, receiving_summary

    rec = receiving_las(res)
    summary = receiving_summary(rec)
    # the same numbers as the destinations table (one quantity, key la: audited together)
    write_table(
        outside_table(rec),
        paths.tables / "placements_receiving_las.csv",
        child_counts=["children"],
        **RECEIVING_SPEC,
    )
    outside = rec[~rec["in_london"]]
    head = outside.head(TOP)
    others = len(outside) - len(head)
    fig_table = pd.DataFrame(
        {
            "la": [*head["la"], f"Other {others} authorities"],
            "children": [*head["children"].astype(int), int(outside["children"].iloc[TOP:].sum())],
        }
    )
    if not others:  # "Other 0 authorities" would tell a reader its hidden count is 0
        fig_table = fig_table.iloc[:-1]
    # a count of 1-5 (and its partner) draws no bar: the chart shows what its table publishes
    # (folded into "other" when that cannot protect them, config/disclosure.yaml fold)
    from analysis.disclosure import load_rules

    published = protect_table(
        fig_table, ["children"], fold=load_rules().folds.get("placements_receiving_top")
    ).frame
    drawn = _numbers(published["children"])
    # an authority folded into "other" is not named anywhere: with the number of authorities
    # and of children, its name would give its count back (seven authorities, seven children)
    shown = set(protected_receiving(res).source["la"]) & set(published["la"])
    if any(name not in shown for name in summary["top_las"]):
        summary = {
            **summary,
            "top_las": [
                *[name for name in summary["top_las"] if name in shown],
                "others not named (disclosure control)",
            ],
        }
    save_figure(
        lazy_figure(
            _bars, published["la"].tolist(), drawn, "London children placed there", colour=1
        ),
        paths,
        "placements_receiving_top",
        caption=f"The {TOP} local authorities outside London receiving most London children, and the rest, 31 March {year}",
        alt=(
            f"Bar chart: {summary['las_outside_london']} local authorities outside London received "
            f"London children in children's homes; the top {TOP} ({', '.join(summary['top_las'])}) "
            f"took {per_cent(summary['top_share']) if summary['top_share'] is not None else 0:.0f}% of them."
        ),
        table=fig_table,
        child_counts=["children"],
        draws=[{"column": "children", "label": "la"}],
    )
    return summary


#: The by-ethnic-group table the text points to; the figure's data table is
#: ``placements_ethnicity.csv`` (one file per published table).
ETHNICITY_TABLE = "placements_ethnicity_by_group"
_LOCATION_COLUMNS: dict[str, str] = {
    "own_borough": "Own borough",
    "other_london": "Other London borough",
    "outside_london": "Outside London",
}


def published_shares(
    public: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    label: str,
    share: str,
    numerator: str,
    denominator: str,
    symbol: str,
) -> dict[str, Any]:
    """The shares (0-1) a sentence may quote, from a figure's *published* table: one per row
    (``labels``: key -> the row's ``label`` value), the suppression symbol where the figure
    withholds the share, and ``total`` (the numerators' sum over the denominators'), withheld
    unless every row's share is shown (with the others it would give the withheld one back).
    Caveat: the total is then derivable from the figure, so quoting it adds nothing."""
    by_label = dict(zip(public[label], _numbers(public[share]), strict=True))
    out: dict[str, Any] = {
        key: symbol if by_label.get(row) is None else by_label[row] for key, row in labels.items()
    }
    if symbol in out.values():
        out["total"] = symbol
    else:
        num = pd.to_numeric(public[numerator], errors="coerce")
        den = pd.to_numeric(public[denominator], errors="coerce")
        out["total"] = float(num.sum() / den.sum()) if den.sum() else None
    return out


def published_minority_shares(public: pd.DataFrame, symbol: str) -> dict[str, Any]:
    """The shares of children from an ethnic group other than White British that the text may
    quote, from the ethnicity figure's published table (:func:`published_shares`)."""
    return published_shares(
        public,
        _LOCATION_COLUMNS,
        label="location",
        share="pct_minority",
        numerator="minority",
        denominator="children",
        symbol=symbol,
    )


def locations_hidden_by_groups(by_group: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The figure's cells (rows :data:`_LOCATION_COLUMNS`, columns ``children`` and
    ``minority``) to withhold because the by-group table withholds a cell of a recorded ethnic
    group in that location: the figure's numbers are sums of those cells (children = recorded
    groups, minority = children minus White British), so publishing them would give the
    withheld cells back. A location whose cells are all shown adds nothing to the by-group
    table."""
    recorded = by_group[by_group["group"] != "Not recorded"]
    hidden = [bool((recorded[col].astype(str) == symbol).any()) for col in _LOCATION_COLUMNS]
    return pd.DataFrame({"children": hidden, "minority": hidden})


def write_diversity(ds: Any, res: pd.DataFrame, paths: Any, year: int) -> dict[str, Any]:
    """Ethnic background against placement location (:mod:`analysis.placements.diversity`):
    the by-group table (:data:`ETHNICITY_TABLE`), the figure of the minority share by location
    (its data in ``placements_ethnicity.csv``) and the shares the text quotes, all protected
    together (:func:`locations_hidden_by_groups`, :func:`published_minority_shares`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import load_rules, protect_table
    from analysis.outputs import write_table

    from .diversity import ethnicity_by_location

    symbol = load_rules().symbol
    table = ethnicity_by_location(res, ds.table("header"), year)
    group_spec: dict[str, Any] = {"row_total": "total"}
    group_counts = ["own_borough", "other_london", "outside_london", "total"]
    write_table(
        table, paths.tables / f"{ETHNICITY_TABLE}.csv", child_counts=group_counts, **group_spec
    )
    by_group = protect_table(table, group_counts, **group_spec).frame
    known = table[table["group"] != "Not recorded"]
    fig_table = pd.DataFrame(
        {
            "location": list(_LOCATION_COLUMNS.values()),
            "children": [int(known[c].sum()) for c in _LOCATION_COLUMNS],
            "minority": [
                int(known.loc[known["group"] != "White British", c].sum())
                for c in _LOCATION_COLUMNS
            ],
        }
    )
    fig_table["pct_minority"] = fig_table["minority"] / fig_table["children"].where(
        fig_table["children"] > 0
    )
    spec: dict[str, Any] = {
        "shares": {"pct_minority": {"numerator": "minority", "denominator": "children"}},
        "force": locations_hidden_by_groups(by_group, symbol),
    }
    public = protect_table(fig_table, ["children", "minority"], **spec).frame
    pcts = [None if v is None else v * 100 for v in _numbers(public["pct_minority"])]
    save_figure(
        lazy_figure(
            _bars,
            public["location"].tolist(),
            pcts,
            "% from an ethnic group other than White British",
            colour=3,
        ),
        paths,
        "placements_ethnicity",
        caption=f"Children in children's homes from ethnic groups other than White British, by where they were placed, 31 March {year}",
        alt=(
            "Bar chart of the share of children in children's homes from an ethnic group other "
            "than White British: " + _listed(public["location"], pcts) + "."
        ),
        table=fig_table,
        child_counts=["children", "minority"],
        draws=[{"column": "pct_minority", "label": "location", "scale": 100}],
        **spec,
    )
    return {
        "minority_share": published_minority_shares(public, symbol),
        "by_location": public.to_dict(orient="records"),
    }


def write_providers(ds: Any, paths: Any, year: int) -> dict[str, Any] | None:
    """Referrals to known and new providers (:mod:`analysis.placements.providers`)."""
    if "referrals" not in ds.tables:
        return None
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import protect_table

    from .providers import known_provider_flags, known_provider_summary, known_provider_table

    refs = ds.table("referrals")
    start, end = year_window(year)
    dates = pd.to_datetime(refs["referral_date"], errors="coerce", dayfirst=True)
    refs = refs[(dates > start) & (dates <= end)]
    flags = known_provider_flags(refs, ds.table("episodes"), ds.table("homes"))
    table = known_provider_table(flags)
    table.insert(0, "label", table["provider"] + ", " + table["home"])
    spec = {"shares": {"pct_accepted": {"numerator": "accepted", "denominator": "referrals"}}}
    public = protect_table(table, ["referrals", "accepted"], **spec).frame
    pcts = [None if v is None else v * 100 for v in _numbers(public["pct_accepted"])]
    save_figure(
        lazy_figure(_bars, public["label"].tolist(), pcts, "% of referrals accepted", colour=4),
        paths,
        "placements_known_providers",
        caption=f"Referrals to providers the borough already used and to new ones, and how many were accepted, year to 31 March {year}",
        alt=(
            "Bar chart of the acceptance rate of referrals to children's homes, for providers "
            "the referring borough had used before and for new ones, homes in and outside "
            "London: " + _listed(public["label"], pcts) + "."
        ),
        table=table,
        child_counts=["referrals", "accepted"],
        draws=[{"column": "pct_accepted", "label": "label", "scale": 100}],
        **spec,
    )
    return {**known_provider_summary(table), "rows": public.to_dict(orient="records")}


def published_unplanned_shares(public: pd.DataFrame, symbol: str) -> dict[str, Any]:
    """The shares of placement moves that were unplanned that the text may quote, from the
    endings figure's published table (:func:`published_shares`)."""
    return published_shares(
        public,
        {"in_london": "Home in London", "outside_london": "Home outside London"},
        label="home",
        share="pct_unplanned",
        numerator="unplanned",
        denominator="moved",
        symbol=symbol,
    )


def write_breakdowns(ds: Any, paths: Any, year: int) -> dict[str, Any]:
    """How placements ended during the year (:mod:`analysis.placements.breakdowns`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import load_rules, protect_table

    from .breakdowns import ended_placements, endings_by_location

    table = endings_by_location(ended_placements(ds.table("episodes"), year))
    if int(table["total"].sum()) == 0:
        return {"available": False}
    spec = {"row_total": "total"}
    public = protect_table(table, ["in_london", "outside_london", "total"], **spec).frame
    moved = table[table["ending"].isin(("unplanned", "planned or other"))]
    fig_table = pd.DataFrame(
        {
            "home": ["Home in London", "Home outside London"],
            "moved": [int(moved[c].sum()) for c in ("in_london", "outside_london")],
            "unplanned": [
                int(moved.loc[moved["ending"] == "unplanned", c].sum())
                for c in ("in_london", "outside_london")
            ],
        }
    )
    fig_table["pct_unplanned"] = fig_table["unplanned"] / fig_table["moved"].where(
        fig_table["moved"] > 0
    )
    fspec = {"shares": {"pct_unplanned": {"numerator": "unplanned", "denominator": "moved"}}}
    fpublic = protect_table(fig_table, ["moved", "unplanned"], **fspec).frame
    # the text quotes only what the figure shows
    shares = published_unplanned_shares(fpublic, load_rules().symbol)
    pcts = [None if v is None else v * 100 for v in _numbers(fpublic["pct_unplanned"])]
    save_figure(
        lazy_figure(
            _bars,
            fpublic["home"].tolist(),
            pcts,
            "% of placement moves that were unplanned",
            colour=5,
        ),
        paths,
        "placements_endings",
        caption=f"Children's home placements that ended during the year to 31 March {year} with a move: share unplanned, by where the home was",
        alt=(
            "Bar chart of the share of children's-home placements ending in a move that ended "
            "unplanned (at the home's or the child's request, after an allegation or a "
            "standards concern, or a closure): " + _listed(fpublic["home"], pcts) + "."
        ),
        table=fig_table,
        child_counts=["moved", "unplanned"],
        draws=[{"column": "pct_unplanned", "label": "home", "scale": 100}],
        **fspec,
    )
    from analysis.outputs import write_table

    write_table(
        table,
        paths.tables / "placements_endings_by_kind.csv",
        child_counts=["in_london", "outside_london", "total"],
        **spec,
    )
    return {"available": True, "unplanned_share": shares, "rows": public.to_dict(orient="records")}


def write_mix(res: pd.DataFrame, paths: Any, year: int) -> dict[str, Any]:
    """Placements by provider and location (:mod:`analysis.placements.mix`)."""
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import load_rules, protect_table

    from .mix import provider_by_location

    table = provider_by_location(res)
    spec = {
        "row_total": "total",
        "shares": {"pct_outside_london": {"numerator": "outside_london", "denominator": "total"}},
    }
    counts = ["own_borough", "other_london", "outside_london", "total"]
    # when a location column's London total is 1 to 5 the other totals give it back: the table
    # merges own borough and other London boroughs (config/disclosure.yaml fold, A84), as the
    # table written with the figure does
    protected = protect_table(
        table, counts, fold=load_rules().folds.get("placements_by_provider"), **spec
    )
    public = protected.frame
    pcts = [None if v is None else v * 100 for v in _numbers(public["pct_outside_london"])]
    shown = public["total"].astype(str) != "0"
    save_figure(
        lazy_figure(
            _bars,
            public.loc[shown, "provider"].tolist(),
            [p for p, s in zip(pcts, shown, strict=True) if s],
            "% of the children placed outside London",
        ),
        paths,
        "placements_by_provider",
        caption=f"Children in children's homes by who runs the home: share placed outside London, 31 March {year}",
        alt=(
            "Bar chart of the share of London's children in children's homes placed outside "
            "London, by the home's provider: "
            + _listed(
                [p for p, s in zip(public["provider"], shown, strict=True) if s],
                [v for v, s in zip(pcts, shown, strict=True) if s],
            )
            + "."
        ),
        table=table,
        child_counts=counts,
        draws=[{"column": "pct_outside_london", "label": "provider", "scale": 100}],
        **spec,
    )
    folded = protected.sidecar.get("folded_columns")
    return {
        "rows": public.to_dict(orient="records"),
        **({"folded_columns": folded} if folded else {}),
    }


def borough_page_signals(ds: Any, res: pd.DataFrame, year: int, la: str) -> dict[str, Any]:
    """The borough's distance, providers used and referrals to known providers, beside
    London's (:func:`analysis.placements.borough.borough_signals`), for its page."""
    from .borough import borough_signals
    from .providers import known_provider_flags

    flags = None
    if "referrals" in ds.tables:
        refs = ds.table("referrals")
        start, end = year_window(year)
        dates = pd.to_datetime(refs["referral_date"], errors="coerce", dayfirst=True)
        refs = refs[(dates > start) & (dates <= end)]
        flags = known_provider_flags(refs, ds.table("episodes"), ds.table("homes"))
    return borough_signals(res, ds.table("homes"), flags, la)


def write_placement_analyses(
    ds: Any, year: int, paths: Any, home_use: pd.DataFrame, la: str | None = None
) -> dict[str, Any]:
    """All the analyses of :mod:`analysis.placements` for one edition: tables and figures
    written, the results returned for ``patterns.json`` (key ``analyses``); a borough edition
    (``la``) adds the borough's own signals (``borough``)."""
    from analysis.snapshot import k2_placements

    res = k2_placements(ds, year)
    extra = {"borough": borough_page_signals(ds, res, year, la)} if la else {}
    return {
        **extra,
        "distance": write_distance(ds, res, paths, year),
        "subregions": write_subregions(ds, res, home_use, paths, year),
        "local_places": write_local_places(ds, paths, year),
        "unused_places": write_capacity(ds, res, paths, year),
        "receiving": write_receiving(res, paths, year),
        "diversity": write_diversity(ds, res, paths, year),
        "providers": write_providers(ds, paths, year),
        "endings": write_breakdowns(ds, paths, year),
        "by_provider": write_mix(res, paths, year),
        "out_of_reach": OUT_OF_REACH,
    }
