"""Placement patterns: where London's children in children's homes are placed, the destinations
outside London, and how much each borough's homes are used by London boroughs.

All counts are of children in K2 placements open on the snapshot date (31 March), one per child
(:func:`analysis.snapshot.residential_placements`). Caveat: a snapshot undercounts short stays;
"places" are registered places from the homes table, which may include places out of use.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.providers import external_sector
from analysis.shares import per_cent


def _share(part: float, whole: float) -> float | None:
    return None if not whole else float(part) / float(whole)


def placements_by_borough(res: pd.DataFrame) -> pd.DataFrame:
    """Per placing London borough: ``placements``, ``outside_london``, ``in_own_borough``,
    ``in_other_london`` and the shares of placements outside London and in the own borough.

    Boroughs with no residential placement appear with zeros (and missing shares)."""
    ref = london_boroughs()[["la_name", "ons_code", "inner_outer"]]
    df = res.merge(ref[["la_name", "ons_code"]], left_on="LA", right_on="la_name", how="left")
    df["in_own_borough"] = df["PL_LA"] == df["ons_code"]
    grouped = df.groupby("LA").agg(
        placements=("CHILD", "size"),
        outside_london=("outside_london", "sum"),
        in_own_borough=("in_own_borough", "sum"),
    )
    out = ref.set_index("la_name").join(grouped).fillna({c: 0 for c in grouped.columns})
    for col in ("placements", "outside_london", "in_own_borough"):
        out[col] = out[col].astype(int)
    out["in_other_london"] = out["placements"] - out["outside_london"] - out["in_own_borough"]
    total = out["placements"].where(out["placements"] > 0)
    out["pct_outside_london"] = out["outside_london"] / total
    out["pct_in_own_borough"] = out["in_own_borough"] / total
    return out.reset_index().rename(columns={"index": "la_name"})


def destinations(res: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` local authorities outside London receiving most London children (``la``,
    ``ons_code``, ``placements``, ``share`` of all placements outside London)."""
    from analysis.geography import english_las

    outside = res[res["outside_london"] & res["PL_LA"].notna()]
    counts = outside.groupby("PL_LA").size().sort_values(ascending=False, kind="stable")
    names = english_las().set_index("ons_code")["la_name"]
    out = pd.DataFrame({"ons_code": counts.index, "placements": counts.to_numpy()})
    out["la"] = out["ons_code"].map(names).fillna(out["ons_code"]).astype(str)
    out["share"] = out["placements"] / max(len(outside), 1)
    out = out.sort_values(["placements", "la"], ascending=[False, True], kind="stable")
    return out.head(top)[["la", "ons_code", "placements", "share"]].reset_index(drop=True)


def home_use_by_borough(res: pd.DataFrame, homes: pd.DataFrame) -> pd.DataFrame:
    """Per London borough where homes are: ``external_places`` (private/voluntary homes' places),
    ``used_by_london`` (London children placed in those homes), ``pct_places_used_by_london`` and
    ``placing_boroughs`` (how many London boroughs placed a child there).

    Caveat: a child is linked to a home by URN; placements without a URN are not counted."""
    ref = london_boroughs()[["la_name", "ons_code"]]
    ext = homes[external_sector(homes["sector"]) & homes["la_ons_code"].isin(ref["ons_code"])]
    places = ext.groupby("la_ons_code")["places"].sum()
    placed = res[res["URN"].astype(str).isin(set(ext["urn"].astype(str)))]
    placed = placed.merge(
        ext[["urn", "la_ons_code"]].astype({"urn": str}), left_on="URN", right_on="urn"
    )
    used = placed.groupby("la_ons_code").size()
    placers = placed.groupby("la_ons_code")["LA"].nunique()
    out = ref.copy()
    out["external_places"] = out["ons_code"].map(places).fillna(0).astype(int)
    out["used_by_london"] = out["ons_code"].map(used).fillna(0).astype(int)
    out["placing_boroughs"] = out["ons_code"].map(placers).fillna(0).astype(int)
    out["pct_places_used_by_london"] = out["used_by_london"] / out["external_places"].where(
        out["external_places"] > 0
    )
    return out


def london_summary(by_borough: pd.DataFrame, use: pd.DataFrame) -> dict[str, Any]:
    """London-wide figures: placements, outside London (all, Inner, Outer), external places in
    London and the share of them filled by London boroughs' children."""
    tot = by_borough["placements"].sum()
    io = by_borough.groupby("inner_outer")[["placements", "outside_london"]].sum()

    def io_share(part: str) -> float | None:
        if part not in io.index:
            return None
        return _share(io.loc[part, "outside_london"], io.loc[part, "placements"])

    with_any = by_borough[by_borough["placements"] > 0]["pct_outside_london"]
    return {
        "placements": int(tot),
        "outside_london": int(by_borough["outside_london"].sum()),
        "pct_outside_london": _share(by_borough["outside_london"].sum(), tot),
        "pct_in_own_borough": _share(by_borough["in_own_borough"].sum(), tot),
        "pct_outside_inner": io_share("Inner"),
        "pct_outside_outer": io_share("Outer"),
        "boroughs_none_outside": int((with_any == 0).sum()),
        "boroughs_all_outside": int((with_any == 1).sum()),
        "external_places_in_london": int(use["external_places"].sum()),
        "external_places_used_by_london": int(use["used_by_london"].sum()),
        "pct_external_places_used_by_london": _share(
            use["used_by_london"].sum(), use["external_places"].sum()
        ),
    }


def borough_summary(la_name: str, by_borough: pd.DataFrame, use: pd.DataFrame) -> dict[str, Any]:
    """One borough's own figures, for its edition (same keys as its rows in the two tables)."""
    row = by_borough.set_index("la_name").loc[la_name]
    urow = use.set_index("la_name").loc[la_name]
    return {
        "la_name": la_name,
        "placements": int(row["placements"]),
        "outside_london": int(row["outside_london"]),
        "pct_outside_london": row["pct_outside_london"],
        "pct_in_own_borough": row["pct_in_own_borough"],
        "external_places": int(urow["external_places"]),
        "used_by_london": int(urow["used_by_london"]),
        "pct_places_used_by_london": urow["pct_places_used_by_london"],
        "placing_boroughs": int(urow["placing_boroughs"]),
    }


#: The arithmetic of ``patterns_by_borough`` (disclosure control and the attacker's audit): the
#: quantities are the borough indicator table's (same children, same definitions), so both
#: tables publish one suppressed version of each number.
BY_BOROUGH_QUANTITIES: dict[str, str] = {
    "placements": "k2_children",
    "outside_london": "k2_outside_london",
    "in_own_borough": "k2_in_borough",
    "in_other_london": "k2_london_oob",
}
BY_BOROUGH_SUMS: dict[str, tuple[str, ...]] = {
    "placements": ("outside_london", "in_own_borough", "in_other_london")
}
BY_BOROUGH_SHARES: dict[str, dict[str, Any]] = {
    "pct_outside_london": {"numerator": "outside_london", "denominator": "placements"},
    "pct_in_own_borough": {"numerator": "in_own_borough", "denominator": "placements"},
}
HOME_USE_SHARES: dict[str, dict[str, Any]] = {
    "pct_places_used_by_london": {"numerator": "used_by_london", "denominator": "external_places"}
}


def by_borough_disclosure() -> dict[str, Any]:
    """``write_table`` keyword arguments of the placements-by-borough table."""
    return {
        "child_counts": list(BY_BOROUGH_QUANTITIES),
        "sums": BY_BOROUGH_SUMS,
        "shares": BY_BOROUGH_SHARES,
        "key": "la_name",
        "quantities": BY_BOROUGH_QUANTITIES,
    }


def home_use_disclosure() -> dict[str, Any]:
    """``write_table`` keyword arguments of the use-of-London's-homes table."""
    return {
        "child_counts": ["used_by_london"],
        "shares": HOME_USE_SHARES,
        "key": "la_name",
        "quantities": {"used_by_london": "london_children_in_borough_homes"},
    }


def forced_by_indicators(
    by_borough: pd.DataFrame, indicators_mask: pd.DataFrame, names: pd.Series
) -> pd.DataFrame:
    """The cells of ``by_borough`` whose number the indicator table suppresses (its mask,
    ``names`` its ``la_name`` column), as a boolean frame over the count columns."""
    lookup = indicators_mask.set_axis(names.astype(str).to_numpy())
    out = pd.DataFrame(index=by_borough.index)
    for col, quantity in BY_BOROUGH_QUANTITIES.items():
        if quantity in lookup.columns:
            out[col] = (
                by_borough["la_name"].astype(str).map(lookup[quantity]).fillna(False).astype(bool)
            )
    return out


def published_borough_summary(
    la_name: str, by_borough: pd.DataFrame, use: pd.DataFrame
) -> dict[str, Any]:
    """A borough's own figures as its rows of the two *published* tables show them (so the
    results JSON, the tables and the figures share one suppressed version of each number)."""

    def plain(value: Any) -> Any:
        number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if pd.isna(number):
            return None if pd.isna(value) else value  # the suppression symbol
        return (
            int(number)
            if float(number).is_integer() and not isinstance(value, float)
            else float(number)
        )

    row = by_borough.set_index("la_name").loc[la_name]
    urow = use.set_index("la_name").loc[la_name]
    return {
        "la_name": la_name,
        **{
            k: plain(row[k])
            for k in ("placements", "outside_london", "pct_outside_london", "pct_in_own_borough")
        },
        **{
            k: plain(urow[k])
            for k in (
                "external_places",
                "used_by_london",
                "pct_places_used_by_london",
                "placing_boroughs",
            )
        },
    }


_BOROUGH_COUNTS = {
    "placements": ("pct_outside_london", "pct_in_own_borough"),
    "outside_london": (),
    "used_by_london": ("pct_places_used_by_london",),
}


def suppress_borough_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A borough's counts of children in the suppressed range (1 to 5, and the shares computed
    from them) as the suppression symbol (``c``; both from :func:`analysis.disclosure.load_rules`).

    Primary suppression only: published outputs use :func:`published_borough_summary` (the
    borough's rows of the published tables, secondary suppression included)."""
    from analysis.disclosure import is_small_count, load_rules

    rules = load_rules()
    out = dict(summary)
    for count, derived in _BOROUGH_COUNTS.items():
        value = summary.get(count)
        if isinstance(value, int) and is_small_count(value, rules):
            out[count] = rules.symbol
            for d in derived:
                out[d] = rules.symbol
    if out.get("outside_london") == rules.symbol:
        out["pct_outside_london"] = rules.symbol
    return out


def placement_patterns(ds: Any, year: int, la: str | None = None, top: int = 10) -> dict[str, Any]:
    """All pattern tables and figures' data for one year (and one borough's edition)."""
    from analysis.coverage import covered_boroughs, limit_to_coverage
    from analysis.snapshot import k2_placements

    res = k2_placements(ds, year)
    # only the boroughs the dataset covers (all 33 for a pan-London dataset)
    by_borough = limit_to_coverage(placements_by_borough(res), covered_boroughs(ds))
    use = home_use_by_borough(res, ds.table("homes"))
    result: dict[str, Any] = {
        "year": year,
        "london": london_summary(by_borough, use),
        "by_borough": by_borough,
        "destinations": destinations(res, top),
        "home_use": use,
    }
    if la is not None:
        result["borough"] = borough_summary(la, by_borough, use)
    return result


def _numeric(values: pd.Series) -> pd.Series:
    """A published column as numbers: suppressed cells (``c``) become NaN (not drawn)."""
    return pd.to_numeric(values, errors="coerce")


def _label_hidden(ax: Any, names: pd.Series, hidden: pd.Series, x: float) -> None:
    """Write the suppression symbol where a bar is left out because its value is suppressed."""
    from analysis.disclosure import load_rules

    positions = {name: i for i, name in enumerate(names)}
    for name in names[hidden.to_numpy()]:
        ax.text(x, positions[name], load_rules().symbol, va="center", ha="left", fontsize=9)
    ax.set_ylim(-0.6, len(names) - 0.4)  # every category, drawn or not


def _bar_outside_by_borough(published: pd.DataFrame, highlight: str | None) -> Any:
    """Bars of each borough's share placed outside London, drawn from the published table:
    a suppressed share has no bar, only the symbol."""
    import matplotlib.pyplot as plt

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    df = published[published["placements"].astype(str) != "0"].copy()
    df["_pct"] = _numeric(df["pct_outside_london"])
    df = df.sort_values("_pct", kind="stable", na_position="first")
    fig, ax = plt.subplots(figsize=(8, 8))
    colours = [CATEGORICAL[3] if n == highlight else CATEGORICAL[0] for n in df["la_name"]]
    ax.barh(df["la_name"], df["_pct"] * 100, color=colours)
    _label_hidden(ax, df["la_name"], df["_pct"].isna(), 1)
    ax.set_xlabel("% of the borough's children in children's homes placed outside London")
    ax.set_xlim(0, 100)
    fig.tight_layout()
    return fig


def _bar_destinations(published: pd.DataFrame) -> Any:
    """Bars of the destinations drawn from the published (controlled, maybe folded) table: a
    suppressed count has no bar, only the symbol."""
    import matplotlib.pyplot as plt

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    df = published.iloc[::-1].reset_index(drop=True)
    values = _numeric(df["placements"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.barh(df["la"], values, color=CATEGORICAL[1])
    _label_hidden(ax, df["la"], values.isna(), 0)
    ax.set_xlabel("London children placed in children's homes there")
    fig.tight_layout()
    return fig


def _bar_home_use(published: pd.DataFrame, highlight: str | None) -> Any:
    """Places in each borough's external homes and those used by London boroughs, drawn from
    the published table: a suppressed count has no bar, only the symbol."""
    import matplotlib.pyplot as plt

    from analysis.charts import CATEGORICAL, use_af_style

    use_af_style()
    df = published[_numeric(published["external_places"]) > 0].copy()
    df["_places"] = _numeric(df["external_places"])
    df["_used"] = _numeric(df["used_by_london"])
    df = df.sort_values("_places", kind="stable")
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.barh(df["la_name"], df["_places"], color="#cfd8e3", label="External places")
    colours = [CATEGORICAL[3] if n == highlight else CATEGORICAL[0] for n in df["la_name"]]
    ax.barh(df["la_name"], df["_used"], color=colours, label="Used by London boroughs")
    _label_hidden(ax, df["la_name"], df["_used"].isna(), 0.5)
    ax.set_xlabel("Places in private and voluntary children's homes")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def destinations_disclosure(ds: Any, year: int, dest: pd.DataFrame) -> dict[str, Any]:
    """How the destinations table is protected jointly with the receiving LAs' table
    (``placements_receiving_las``), which publishes the same counts for every LA: the
    destinations follow its suppression (:func:`analysis.disclosure.follow`, key ``la``) and
    withhold an LA it folded into "other" (publishing it would give the other row's parts
    back); both declare the quantity, so the audit reads them as one set of numbers."""
    from analysis.disclosure import follow
    from analysis.placements.publish import RECEIVING_SPEC, protected_receiving
    from analysis.snapshot import k2_placements

    receiving = protected_receiving(k2_placements(ds, year))
    quantity = RECEIVING_SPEC["quantities"]["children"]
    force, declared = follow(dest, "la", {"placements": quantity}, receiving)
    if "folded_into" in receiving.sidecar and declared["placements"] == quantity:
        folded = ~dest["la"].isin(receiving.source["la"])
        force["placements"] = force.get("placements", False) | folded
    return {"key": "la", "quantities": declared, "force": force}


def write_patterns_outputs(
    ds: Any, year: int, edition: str, output_dir: str, la: str | None = None
) -> dict[str, Any]:
    """Compute the patterns and write ``results/patterns.json``, the tables and three figures.

    Tables counting children go through disclosure control; ``patterns.json`` holds London's
    totals and the destinations and borough rows with small counts suppressed as in the tables.
    """
    from analysis.charts import lazy_figure, save_figure
    from analysis.disclosure import load_rules, protect_table
    from analysis.groups.indicators import protected_indicators
    from analysis.outputs import EditionPaths, write_json, write_table

    paths = EditionPaths.for_edition(output_dir)
    pat = placement_patterns(ds, year, la=la)
    L = pat["london"]
    by_b = pat["by_borough"]
    indicators = protected_indicators(ds, year)
    spec = by_borough_disclosure()
    force = forced_by_indicators(by_b, indicators.mask, indicators.frame["la_name"])
    by_b_public = protect_table(by_b, spec.pop("child_counts"), force=force, **spec).frame
    write_table(
        by_b, paths.tables / "patterns_by_borough.csv", force=force, **by_borough_disclosure()
    )
    save_figure(
        lazy_figure(_bar_outside_by_borough, by_b_public, la),
        paths,
        "patterns_outside_by_borough",
        caption=f"Share of each borough's children in children's homes placed outside London, 31 March {year}",
        alt=(
            f"Bar chart: across London {per_cent(L['pct_outside_london']) if L['pct_outside_london'] is not None else 0:.0f}% "
            f"of children in children's homes were placed outside London; {L['boroughs_all_outside']} "
            f"boroughs placed all of theirs outside London and {L['boroughs_none_outside']} none. "
            "A borough whose share would reveal a small count has no bar and is marked c."
        ),
        # the figure's data is the published table (already suppressed), cut to its columns
        table=by_b_public[["la_name", "placements", "outside_london", "pct_outside_london"]],
        child_counts=["placements", "outside_london"],
        shares={"pct_outside_london": BY_BOROUGH_SHARES["pct_outside_london"]},
        key="la_name",
        quantities={c: BY_BOROUGH_QUANTITIES[c] for c in ("placements", "outside_london")},
        draws=[{"column": "pct_outside_london", "label": "la_name", "scale": 100}],
    )
    dest = pat["destinations"]
    # one controlled version of the destinations for the table, the figure and patterns.json
    # (folded into "other" when secondary suppression cannot protect them, config fold)
    dest_spec = destinations_disclosure(ds, year, dest)
    dest_public = protect_table(
        dest,
        ["placements"],
        {"share": "placements"},
        fold=load_rules().folds.get("patterns_destinations"),
        **dest_spec,
    ).frame
    named = dest_public[_numeric(dest_public["placements"]).notna()]
    named = named[named["la"].isin(dest["la"])]
    top = ", ".join(named["la"].head(3)) or "not shown (disclosure control)"
    save_figure(
        lazy_figure(_bar_destinations, dest_public),
        paths,
        "patterns_destinations",
        caption=f"Most frequent destinations outside London, 31 March {year}",
        alt=f"Bar chart of the local authorities outside London receiving most London children; the top three are {top}.",
        table=dest,
        child_counts=["placements"],
        derived_from={"share": "placements"},
        draws=[{"column": "placements", "label": "la"}],
        **dest_spec,
    )
    use = pat["home_use"]
    use_spec = home_use_disclosure()
    use_public = protect_table(use, use_spec.pop("child_counts"), **use_spec).frame
    save_figure(
        lazy_figure(_bar_home_use, use_public, la),
        paths,
        "patterns_home_use",
        caption=f"Places in external children's homes in each borough and the number used by London boroughs, 31 March {year}",
        alt=(
            f"Bar chart: of {L['external_places_in_london']} places in private and voluntary homes in London, "
            f"London boroughs' children filled {L['external_places_used_by_london']}. "
            "A borough where the number would be a small count has no bar for it and is marked c."
        ),
        table=use,
        draws=[
            {"column": "external_places", "label": "la_name"},
            {"column": "used_by_london", "label": "la_name"},
        ],
        **home_use_disclosure(),
    )
    result = {
        "year": year,
        "edition": edition,
        "london": L,
        "destinations": dest_public.to_dict(orient="records"),
        "borough": (
            published_borough_summary(la, by_b_public, use_public) if "borough" in pat else None
        ),
    }
    from analysis.placements.publish import write_placement_analyses

    result["analyses"] = write_placement_analyses(ds, year, paths, use, la=la)
    write_json(paths.results / "patterns.json", result)
    return result
