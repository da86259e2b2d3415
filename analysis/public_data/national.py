"""London in national context, from the official public data (Ofsted register, DfE CLA tables).

All figures here are published official statistics (Ofsted provider-level data at 31 March;
DfE "Children looked after in England including adoptions", explore-education-statistics tidy
files). DfE suppression symbols stay missing-with-reason: a share computed from a suppressed
component is missing, never computed as if the component were zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.boroughs import london_boroughs, resolve_borough
from analysis.public_data.fetch import check_public_folder, choose_files
from analysis.public_data.ofsted import GRADE_COLUMN, GRADES, childrens_homes, read_register
from analysis.public_data.tidy import read_tidy
from analysis.shares import columns_in_per_cent, per_cent

LONDON_REGION_CODES = frozenset({"E12000007", "E13000001", "E13000002"})
OUTSIDE = (
    "Placed outside LA boundary less than 20 miles from home",
    "Placed outside LA boundary more than 20 miles from home",
)
OVER_20 = (
    "Placed inside LA boundary more than 20 miles from home",
    "Placed outside LA boundary more than 20 miles from home",
)
TOTAL_NEW = "Total new placements"
PLACED_IN = "1. Children who are the responsibility of other LAs placed within this LA boundary"
PLACED_OUT = "2. Children who are the responsibility of this LA placed outside the LA boundary"
NET_GAIN = "Net gain of children by responsible LA"


@dataclass
class PublicData:
    """The parsed public files (None for a file that is absent) and the problems found.

    ``years`` gives, per file kind, the snapshot year of the file used; ``notes`` says where it
    differs from the report year; ``provenance`` describes each file used (manifest entry).
    """

    register: pd.DataFrame | None = None
    net_gain: pd.DataFrame | None = None
    new_placements: pd.DataFrame | None = None
    problems: list[str] = field(default_factory=list)
    years: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)


_LOADED: dict[tuple[Any, ...], PublicData] = {}


def load_public_data(folder: Path | str, year: int | None = None) -> PublicData:
    """Read the public files of ``folder`` for report year ``year`` (latest files when None).

    Files are chosen by name and year (``analysis.public_data.fetch.choose_files``). Memoised
    per process on the folder, the year and the files' sizes and modification times: a build's
    kernel reads the same files for every edition (about 2 s each time otherwise). Callers
    must not modify the returned tables.
    """
    folder = Path(folder)
    fingerprint = (
        str(folder.resolve()),
        year,
        tuple(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.glob("*"))
            if p.is_file()
        )
        if folder.is_dir()
        else (),
    )
    if fingerprint not in _LOADED:
        if len(_LOADED) >= 2:  # the report year and the previous year
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[fingerprint] = _read_public_data(folder, year)
    return _LOADED[fingerprint]


def _up_to(tidy: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """Rows of a tidy table up to ``year`` (all rows when None): a later release's past years."""
    return tidy if year is None else tidy[tidy["time_period"] <= year].reset_index(drop=True)


def _read_public_data(folder: Path, year: int | None = None) -> PublicData:
    from analysis.public_data.manifest import provenance

    chosen = choose_files(folder, year)
    data = PublicData(problems=check_public_folder(folder, year))
    for key, pick in chosen.items():
        if pick.path is not None and pick.file_year is not None:
            data.years[key] = pick.file_year
        if pick.note:
            data.notes.append(pick.note)
    register = chosen.get("ofsted_register")
    if register is not None and register.path is not None:
        data.register = read_register(register.path)
    net_gain = chosen.get("dfe_net_gain")
    if net_gain is not None and net_gain.path is not None:
        data.net_gain = _up_to(read_tidy(net_gain.path), net_gain.restrict_to_year)
    new_placements = chosen.get("dfe_new_placements")
    if new_placements is not None and new_placements.path is not None:
        data.new_placements = _up_to(
            read_tidy(new_placements.path), new_placements.restrict_to_year
        )
    used = [c.path for c in chosen.values() if c.path is not None]
    data.provenance = provenance(folder, used)
    return data


def homes_places_by_region(register: pd.DataFrame) -> pd.DataFrame:
    """Children's homes and registered places by English region, plus an England row."""
    homes = childrens_homes(register)
    by_region = (
        homes.groupby("Government Office Region", observed=True)
        .agg(homes=("URN", "size"), places=("Places", "sum"))
        .reset_index()
        .rename(columns={"Government Office Region": "area"})
        .sort_values("area")
    )
    england = pd.DataFrame(
        {"area": ["England"], "homes": [len(homes)], "places": [homes["Places"].sum()]}
    )
    out = pd.concat([by_region, england], ignore_index=True)
    out["places"] = out["places"].astype(int)
    out["share_of_england_homes"] = out["homes"] / len(homes)
    return out


def homes_places_by_borough(register: pd.DataFrame) -> pd.DataFrame:
    """Children's homes and places in each of the 33 London LAs (zero where none)."""
    homes = childrens_homes(register)
    london = homes[homes["is_london"]]
    counts = london.groupby("borough").agg(homes=("URN", "size"), places=("Places", "sum"))
    ref = london_boroughs()[["la_name", "inner_outer"]].set_index("la_name")
    out = ref.join(counts).fillna({"homes": 0, "places": 0}).reset_index()
    out = out.rename(columns={"la_name": "borough"})
    out[["homes", "places"]] = out[["homes", "places"]].astype(int)
    return out.sort_values(["homes", "borough"], ascending=[False, True]).reset_index(drop=True)


def grade_mix(register: pd.DataFrame) -> pd.DataFrame:
    """Ofsted overall grade of children's homes, London vs England (share of graded homes)."""
    homes = childrens_homes(register)
    rows = []
    for area, subset in (("London", homes[homes["is_london"]]), ("England", homes)):
        grades = subset[GRADE_COLUMN].astype("string").str.strip()
        graded = grades.isin(GRADES)
        for grade in GRADES:
            n = int((grades == grade).sum())
            rows.append(
                {
                    "area": area,
                    "grade": grade,
                    "homes": n,
                    "share_of_graded": n / graded.sum() if graded.sum() else np.nan,
                }
            )
        rows.append(
            {
                "area": area,
                "grade": "Not yet graded",
                "homes": int((~graded).sum()),
                "share_of_graded": np.nan,
            }
        )
    return pd.DataFrame(rows)


def _london_la_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    la = tidy[
        tidy["geographic_level"].eq("Local authority")
        & tidy["region_code"].isin(LONDON_REGION_CODES)
    ]
    la = la.copy()
    la["area"] = la["la_name"].map(lambda n: resolve_borough(n) or n)
    return la


def _area_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """London boroughs, plus the London and England aggregates, with an ``area`` column."""
    boroughs = _london_la_rows(tidy)
    london = tidy[
        tidy["geographic_level"].eq("Regional") & tidy["region_code"].eq("E12000007")
    ].copy()
    london["area"] = "London"
    england = tidy[tidy["geographic_level"].eq("National")].copy()
    england["area"] = "England"
    return pd.concat([boroughs, london, england], ignore_index=True)


def _sum_or_missing(values: pd.Series) -> float:
    """Sum, missing when any part is missing (a suppressed part is not zero)."""
    return float(values.sum()) if values.notna().all() and len(values) else np.nan


def placement_location_by_area(new_placements: pd.DataFrame) -> pd.DataFrame:
    """Share of new placements outside the LA, and over 20 miles from home, by area and year.

    Shares are of all new placements in the year (including those with distance not recorded);
    missing when a component count is suppressed by the DfE.
    """
    loc = new_placements[
        new_placements["cla_group"].eq("Location of new placements during the year")
    ]
    rows = []
    for (area, year), g in _area_rows(loc).groupby(["area", "time_period"], sort=True):
        number = g.set_index("characteristic")["number"]
        total = number.get(TOTAL_NEW, np.nan)
        outside = _sum_or_missing(number.reindex(list(OUTSIDE)))
        far = _sum_or_missing(number.reindex(list(OVER_20)))
        rows.append(
            {
                "area": area,
                "year": int(year),
                "new_placements": total,
                "share_outside_la": outside / total if total else np.nan,
                "share_over_20_miles": far / total if total else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["new_placements"] = out["new_placements"].round().astype("Int64")
    return out


def net_gain_by_area(net_gain: pd.DataFrame) -> pd.DataFrame:
    """Children placed into the area by other LAs, placed outside by it, and the net gain."""
    rows = _area_rows(net_gain)
    wide = rows.pivot_table(
        index=["area", "time_period"], columns="characteristic", values="number", aggfunc="first"
    )
    out = pd.DataFrame(
        {
            "placed_in_by_other_las": wide.get(PLACED_IN),
            "placed_outside_by_this_la": wide.get(PLACED_OUT),
            "net_gain": wide.get(NET_GAIN),
        }
    ).reset_index()
    out = out.rename(columns={"time_period": "year"}).astype({"year": int})
    counts = ["placed_in_by_other_las", "placed_outside_by_this_la", "net_gain"]
    out[counts] = out[counts].round().astype("Int64")
    return out


def years_used_note(report_year: int | None, years: dict[str, int]) -> str:
    """A sentence saying which years of public data were used, when any differs from the report's.

    Empty when every file is for the report year (or no report year is given). A later DfE
    release used for an earlier report year is said to be used only up to that year.
    """
    if report_year is None or all(y == report_year for y in years.values()):
        return ""
    used = []
    if "ofsted_register" in years:
        used.append(f"the Ofsted register at 31 March {years['ofsted_register']}")
    for year in sorted({y for k, y in years.items() if k.startswith("dfe_")}):
        later = f" (its figures up to {report_year})" if year > report_year else ""
        used.append(f"the DfE {year} release{later}")
    return (
        f"This report is for 31 March {report_year}, but the public data folder does not hold "
        f"every official file for that year: this chapter uses {' and '.join(used)}."
    )


def national_context(
    folder: Path | str, *, borough: str | None = None, year: int | None = None
) -> dict[str, Any]:
    """Headline figures and tables of the national-context chapter (``available`` False if none).

    ``borough`` (reference name) adds the borough's own figures beside London's; ``year`` is the
    report year (the files for it are chosen, or the nearest, stated in ``years_note``).
    """
    data = load_public_data(folder, year)
    result: dict[str, Any] = {
        "available": False,
        "problems": data.problems,
        "tables": {},
        "report_year": year,
        "years_used": dict(data.years),
        "years_note": years_used_note(year, data.years),
        "file_notes": list(data.notes),
        "provenance": data.provenance,
    }
    if data.register is None and data.net_gain is None and data.new_placements is None:
        result["reason"] = "no public data files found in " + str(folder)
        return result
    result["available"] = True
    tables: dict[str, pd.DataFrame] = {}
    if data.register is not None:
        region = homes_places_by_region(data.register)
        tables["homes_by_region"] = region
        tables["homes_by_borough"] = homes_places_by_borough(data.register)
        tables["grade_mix"] = grade_mix(data.register)
        by_area = region.set_index("area")
        result["register_year"] = data.years.get("ofsted_register")
        result["london_homes"] = int(by_area.loc["London", "homes"])
        result["england_homes"] = int(by_area.loc["England", "homes"])
        result["london_places"] = int(by_area.loc["London", "places"])
        result["london_share_of_england_homes"] = float(
            by_area.loc["London", "share_of_england_homes"]
        )
        mix = tables["grade_mix"].set_index(["area", "grade"])["share_of_graded"]
        for area in ("London", "England"):
            result[f"{area.lower()}_good_or_outstanding"] = float(
                mix.loc[(area, "Outstanding")] + mix.loc[(area, "Good")]
            )
    if data.new_placements is not None:
        tables["placement_location"] = placement_location_by_area(data.new_placements)
    if data.net_gain is not None:
        tables["net_gain"] = net_gain_by_area(data.net_gain)
        latest = tables["net_gain"][tables["net_gain"]["area"].eq("London")].sort_values("year")
        if len(latest):
            result["london_net_gain_latest"] = float(latest["net_gain"].iloc[-1])
            result["net_gain_latest_year"] = int(latest["year"].iloc[-1])
    if borough:
        result["borough"] = borough
        if "homes_by_borough" in tables:
            row = tables["homes_by_borough"].set_index("borough").loc[borough]
            result["borough_homes"] = int(row["homes"])
            result["borough_places"] = int(row["places"])
    result["tables"] = tables
    return result


# --- outputs of the national-context chapter -------------------------------------------------

#: Tables whose columns count children (DfE figures pass through disclosure control again).
CHILD_COUNT_TABLES: dict[str, dict[str, Any]] = {
    "national_net_gain": {
        "child_counts": ["placed_in_by_other_las", "placed_outside_by_this_la"],
        "derived_from": {"net_gain": "placed_in_by_other_las"},
        "by": ["year"],
    },
    "national_placement_location": {
        "child_counts": ["new_placements"],
        "derived_from": {"outside_la_pct": "new_placements", "over_20_miles_pct": "new_placements"},
        "by": ["year"],
    },
}

#: Share columns of the chapter's tables (fractions 0-1) -> their published names, in per cent
#: (:func:`published_table`).
PERCENT_COLUMNS: dict[str, str] = {
    "share_of_england_homes": "share_of_england_homes_pct",
    "share_of_graded": "share_of_graded_pct",
    "share_outside_la": "outside_la_pct",
    "share_over_20_miles": "over_20_miles_pct",
}
#: Shares of ``results/national.json`` (fractions 0-1 in :func:`national_context`) -> their
#: published keys, in per cent (:func:`published_context`; ``"%"`` in the chapter's template).
PERCENT_KEYS: dict[str, str] = {
    "london_share_of_england_homes": "london_share_of_england_homes_pct",
    "london_good_or_outstanding": "london_good_or_outstanding_pct",
    "england_good_or_outstanding": "england_good_or_outstanding_pct",
    **{
        f"{area}_{share}": f"{area}_{share}_pct"
        for area in ("london", "england", "borough")
        for share in ("outside_la", "over_20_miles")
    },
}


def published_table(table: pd.DataFrame) -> pd.DataFrame:
    """A chapter table as published: its shares (:data:`PERCENT_COLUMNS`) in per cent, under
    their published names; a copy."""
    return columns_in_per_cent(table, PERCENT_COLUMNS).rename(columns=PERCENT_COLUMNS)


def published_context(context: dict[str, Any]) -> dict[str, Any]:
    """``results/national.json`` as written: the shares of :data:`PERCENT_KEYS` in per cent under
    their published keys, in the order of ``context``."""
    return {
        PERCENT_KEYS.get(k, k): per_cent(v) if k in PERCENT_KEYS and v is not None else v
        for k, v in context.items()
    }


def edition_borough(edition: str) -> str | None:
    """The reference name of a borough edition's borough (None for the London edition)."""
    return None if edition in ("", "london") else resolve_borough(edition)


def _bar_colours(labels: list[str], highlight: set[str]) -> list[str]:
    from analysis.charts import CATEGORICAL

    return [CATEGORICAL[1] if label in highlight else CATEGORICAL[0] for label in labels]


def _figure_homes_by_region(table: pd.DataFrame, paths: Any, register_year: int | None) -> None:
    import matplotlib.pyplot as plt

    from analysis.charts import save_figure

    regions = table[table["area"] != "England"].sort_values("homes")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.barh(
        regions["area"], regions["homes"], color=_bar_colours(list(regions["area"]), {"London"})
    )
    at = f"31 March {register_year}" if register_year else "31 March"
    ax.set_xlabel(f"Children's homes registered at {at}")
    london = int(table.set_index("area").loc["London", "homes"])
    england = int(table.set_index("area").loc["England", "homes"])
    save_figure(
        fig,
        paths,
        "national_homes_by_region",
        caption=f"Children's homes by region of England, {at} (Ofsted)",
        alt=(
            f"Horizontal bar chart of children's homes by region: London has {london} of "
            f"England's {england} homes ({per_cent(london / england):.1f}%), fewer than most regions; "
            f"the North West has the most ({int(regions['homes'].max())})."
        ),
        table=published_table(table),
    )


def _figure_grade_mix(table: pd.DataFrame, paths: Any, register_year: int | None) -> None:
    import matplotlib.pyplot as plt

    from analysis.charts import DUO, save_figure

    graded = table[table["grade"].isin(GRADES)]
    wide = per_cent(
        graded.pivot(index="grade", columns="area", values="share_of_graded").reindex(GRADES)
    )
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(GRADES))
    ax.bar(x - 0.2, wide["London"], width=0.4, color=DUO[0], label="London")
    ax.bar(x + 0.2, wide["England"], width=0.4, color=DUO[1], label="England")
    ax.set_xticks(x, ["Outstanding", "Good", "Requires\nimprovement", "Inadequate"])
    ax.set_ylabel("% of graded children's homes")
    ax.legend()
    good = {a: wide.loc["Outstanding", a] + wide.loc["Good", a] for a in ("London", "England")}
    save_figure(
        fig,
        paths,
        "national_grade_mix",
        caption=(
            "Ofsted overall grade of children's homes, London and England"
            + (f", 31 March {register_year}" if register_year else "")
        ),
        alt=(
            f"Grouped bar chart: {good['London']:.0f}% of London's graded children's homes are "
            f"good or outstanding against {good['England']:.0f}% in England; London has a smaller "
            "share rated outstanding."
        ),
        table=published_table(table),
    )


def _figure_borough_bars(
    table: pd.DataFrame,
    column: str,
    paths: Any,
    name: str,
    caption: str,
    alt: str,
    xlabel: str,
    borough: str | None,
    **table_options: Any,
) -> None:
    import matplotlib.pyplot as plt

    from analysis.charts import save_figure

    table = published_table(table)  # what is drawn and published: shares in per cent
    column = PERCENT_COLUMNS.get(column, column)
    data = table.dropna(subset=[column]).sort_values(column)
    fig, ax = plt.subplots(figsize=(7, 8))
    ax.barh(
        data["area"],
        data[column],
        color=_bar_colours(list(data["area"]), {borough or "", "London", "England"}),
    )
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", labelsize=8)
    options = {k: v for k, v in table_options.items() if k in ("child_counts", "derived_from")}
    save_figure(fig, paths, name, caption=caption, alt=alt, table=table, **options)


def write_national_outputs(
    public_data_dir: str | Path,
    output_dir: str | Path,
    edition: str = "london",
    year: int | None = None,
) -> dict[str, Any]:
    """Write ``results/national.json``, the tables and the figures of the national chapter.

    With no public data (``public_data_dir`` empty or without files) writes ``available: false``
    and the reason. In a borough edition the borough is highlighted and its figures added.
    """
    from analysis.charts import use_af_style
    from analysis.outputs import EditionPaths, write_json, write_table

    paths = EditionPaths.for_edition(output_dir)
    borough = edition_borough(edition)
    if not str(public_data_dir).strip():
        result: dict[str, Any] = {
            "available": False,
            "reason": "no public data folder given (report build --public-data DIR)",
        }
        write_json(paths.results / "national.json", result)
        return result
    context = national_context(public_data_dir, borough=borough, year=year)
    tables = context.pop("tables")
    if not context["available"]:
        write_json(paths.results / "national.json", context)
        return context
    use_af_style()
    if "homes_by_region" in tables:
        _figure_homes_by_region(tables["homes_by_region"], paths, context.get("register_year"))
        _figure_grade_mix(tables["grade_mix"], paths, context.get("register_year"))
        write_table(
            published_table(tables["homes_by_borough"]),
            paths.tables / "national_homes_by_borough.csv",
        )
    if "placement_location" in tables:
        loc = tables["placement_location"]
        latest = int(loc["year"].max())
        latest_rows = loc[loc["year"] == latest]
        by_area = latest_rows.set_index("area")
        _figure_borough_bars(
            latest_rows,
            "share_outside_la",
            paths,
            "national_placement_location",
            caption=f"New placements outside the placing LA, London boroughs, year to 31 March {latest} (DfE)",
            alt=(
                f"Bar chart by borough: in London "
                f"{per_cent(by_area.loc['London', 'share_outside_la']):.0f}% of new placements in "
                f"{latest} were outside the placing LA, against "
                f"{per_cent(by_area.loc['England', 'share_outside_la']):.0f}% in England."
            ),
            xlabel="% of new placements outside the LA",
            borough=borough,
            **CHILD_COUNT_TABLES["national_placement_location"],
        )
        write_table(
            published_table(loc),
            paths.tables / f"national_placement_location_{int(loc['year'].min())}_{latest}.csv",
            **CHILD_COUNT_TABLES["national_placement_location"],
        )
        context["placement_location_latest_year"] = latest
        for area in ("London", "England", *([borough] if borough else [])):
            if area in by_area.index:
                key = "borough" if area == borough else area.lower()
                context[f"{key}_outside_la"] = by_area.loc[area, "share_outside_la"]
                context[f"{key}_over_20_miles"] = by_area.loc[area, "share_over_20_miles"]
    if "net_gain" in tables:
        gain = tables["net_gain"]
        latest = int(gain["year"].max())
        latest_rows = gain[(gain["year"] == latest) & ~gain["area"].isin(["London", "England"])]
        _figure_borough_bars(
            latest_rows,
            "net_gain",
            paths,
            "national_net_gain",
            caption=f"Net gain of looked-after children by London borough, 31 March {latest} (DfE)",
            alt=(
                f"Bar chart by borough of children placed in by other LAs minus children placed outside: "
                f"{int((latest_rows['net_gain'] < 0).sum())} of {len(latest_rows)} London boroughs place "
                "more children outside than they receive."
            ),
            xlabel="Net gain (children placed in minus placed out)",
            borough=borough,
            **CHILD_COUNT_TABLES["national_net_gain"],
        )
        write_table(
            gain,
            paths.tables / f"national_net_gain_{int(gain['year'].min())}_{latest}.csv",
            **CHILD_COUNT_TABLES["national_net_gain"],
        )
    if year is not None:
        context["previous_register"] = previous_register(public_data_dir, year, context, borough)
    context["summary"] = national_summary(context)
    if context.get("years_note"):
        context["summary"] = context["years_note"] + " " + context["summary"]
    record = published_context(context)
    write_json(paths.results / "national.json", record)
    return record


def previous_register(
    folder: str | Path, year: int, current: dict[str, Any], borough: str | None
) -> dict[str, Any] | None:
    """Register figures at 31 March of the year before, for "what changed" (None if not held).

    Only when the folder holds a register for an earlier date than the one used this year:
    the same file twice is no comparison. Counts of homes and places are Ofsted's own.
    """
    this = current.get("register_year")
    if this is None:
        return None
    data = load_public_data(folder, year - 1)
    before = data.years.get("ofsted_register")
    if data.register is None or before is None or before >= this:
        return None
    region = homes_places_by_region(data.register).set_index("area")
    out: dict[str, Any] = {
        "register_year": before,
        "london_homes": int(region.loc["London", "homes"]),
        "london_places": int(region.loc["London", "places"]),
        "england_homes": int(region.loc["England", "homes"]),
    }
    if borough:
        row = homes_places_by_borough(data.register).set_index("borough").loc[borough]
        out["borough_homes"] = int(row["homes"])
        out["borough_places"] = int(row["places"])
    return out


def national_summary(ctx: dict[str, Any]) -> str:
    """A short paragraph of the chapter's headline figures (only those available); ``ctx`` as
    :func:`national_context` gives it (shares 0-1)."""
    parts: list[str] = []
    if "london_homes" in ctx:
        parts.append(
            f"At 31 March {ctx.get('register_year') or '?'} London had {ctx['london_homes']:,} of England's "
            f"{ctx['england_homes']:,} registered children's homes "
            f"({per_cent(ctx['london_share_of_england_homes']):.1f}%), with "
            f"{ctx['london_places']:,} places; "
            f"{per_cent(ctx['london_good_or_outstanding']):.0f}% of London's graded homes were "
            f"good or outstanding (England {per_cent(ctx['england_good_or_outstanding']):.0f}%)."
        )
    prev = ctx.get("previous_register")
    if prev and "london_homes" in ctx:
        parts.append(
            f"A year earlier, at 31 March {prev['register_year']}, London had "
            f"{prev['london_homes']:,} children's homes with {prev['london_places']:,} places "
            f"(England {prev['england_homes']:,})."
        )
    if "borough_homes" in ctx:
        parts.append(
            f"{ctx['borough']} had {ctx['borough_homes']} children's homes with "
            f"{ctx['borough_places']} places."
        )
    if ctx.get("london_outside_la") is not None and "england_outside_la" in ctx:
        year = ctx["placement_location_latest_year"]
        parts.append(
            f"In the year to 31 March {year}, {per_cent(ctx['london_outside_la']):.0f}% of new "
            f"placements by London boroughs were outside the placing authority (England "
            f"{per_cent(ctx['england_outside_la']):.0f}%) and "
            f"{per_cent(ctx['london_over_20_miles']):.0f}% were over 20 miles from home (England "
            f"{per_cent(ctx['england_over_20_miles']):.0f}%)."
        )
    if ctx.get("borough_outside_la") is not None and not pd.isna(ctx["borough_outside_la"]):
        parts.append(
            f"For {ctx['borough']} the share outside the authority was "
            f"{per_cent(ctx['borough_outside_la']):.0f}%."
        )
    if "london_net_gain_latest" in ctx:
        gain = ctx["london_net_gain_latest"]
        direction = "more" if gain < 0 else "fewer"
        parts.append(
            f"At 31 March {ctx['net_gain_latest_year']} London boroughs together placed "
            f"{abs(gain):,.0f} {direction} looked-after children outside their boundaries than other "
            "authorities placed in London (DfE net gain)."
        )
    parts.append("Sources: Ofsted and DfE official statistics (Open Government Licence v3.0).")
    return " ".join(parts)
