"""Write the groups notebook's outputs: ``results/groups.json``, the tables and the figures.

Counts of children go through disclosure control (``write_table``/``save_figure`` with
``child_counts``); no CHILD id or postcode reaches any output (only borough-level figures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.boroughs import resolve_borough
from analysis.charts import lazy_figure, save_figure
from analysis.dataset import Dataset
from analysis.groups.clustering import ClusterResult, group_mean_z
from analysis.groups.figures import (
    borough_difference_chart,
    difference_heatmap,
    load_tiles,
    selection_chart,
    tile_map,
)
from analysis.groups.indicators import (
    INDICATOR_LABELS,
    indicator_disclosure,
    published_indicators,
)
from analysis.groups.public import PUBLIC_INDICATOR_LABELS, published_public_indicators
from analysis.groups.results import (
    GroupsAnalysis,
    analyse_groups,
    cached_analyse_groups,
    groups_json,
)
from analysis.groups.typology import (
    NOT_GROUPED,
    PROFILE_COLUMNS,
    published_comparison,
    published_profile,
)
from analysis.hypotheses.scopes import comparison_scopes
from analysis.outputs import EditionPaths, write_json, write_table

METHOD_NAMES = {"kmeans": "k-means", "ward": "Ward hierarchical", "gmm": "Gaussian mixture"}


#: The comparison scopes of a borough edition, in :func:`comparison_scopes`' order.
SCOPE_ROLES = ("london", "group", "borough")


def scopes_json(scopes: Sequence[tuple[str, Sequence[str]]]) -> dict[str, dict[str, Any]]:
    """A borough edition's comparison scopes (``[(name, member boroughs)]`` from
    :func:`analysis.hypotheses.scopes.comparison_scopes`: London, the borough's group, the
    borough) by role: ``{role: {name, members}}``. The report finds each scope's row in the
    chapters' tables by these names and averages over the group's members."""
    if len(scopes) != len(SCOPE_ROLES):
        raise ValueError(f"a borough edition has {len(SCOPE_ROLES)} scopes, not {len(scopes)}")
    return {
        role: {"name": name, "members": sorted(members)}
        for role, (name, members) in zip(SCOPE_ROLES, scopes, strict=True)
    }


def cluster_labels(result: ClusterResult, prefix: str = "Group") -> dict[int, str]:
    """Cluster number -> legend label with its size, e.g. ``Cluster of 12 boroughs``."""
    sizes = result.labels.value_counts()
    return {
        int(c): f"{prefix} of {int(n)} borough{'s' if n != 1 else ''}"
        for c, n in sizes.sort_index().items()
    }


def _borough_groups_table(a: GroupsAnalysis) -> pd.DataFrame:
    tiles = load_tiles().set_index("la_name")
    out = pd.DataFrame({"la_name": a.indicators.index})
    out["abbr"] = out["la_name"].map(tiles["abbr"])
    out["typology_group"] = [
        int(g) if pd.notna(g) else NOT_GROUPED for g in a.typology.reindex(out["la_name"])
    ]
    out["typology_label"] = [
        a.labels.get(int(g), "") if pd.notna(g) else NOT_GROUPED
        for g in a.typology.reindex(out["la_name"])
    ]
    if a.borderline is not None:
        flags = a.borderline.reindex(out["la_name"])
        out["typology_borderline"] = [
            "yes" if bool(f) else "no" for f in flags["borderline"].fillna(False)
        ]
        out["typology_borderline_with"] = flags["borderline_with"].fillna("").to_numpy()
        out["typology_borderline_reason"] = flags["reason"].fillna("").to_numpy()
    clusters = a.clusters.labels.reindex(out["la_name"])
    out["cluster"] = [int(c) if pd.notna(c) else NOT_GROUPED for c in clusters]
    if a.public_clusters is not None:
        pub = a.public_clusters.labels.reindex(out["la_name"])
        out["public_data_cluster"] = [int(c) if pd.notna(c) else NOT_GROUPED for c in pub]
    return out


def write_tables(
    a: GroupsAnalysis, paths: EditionPaths, boroughs: Sequence[str] | None = None
) -> None:
    """Borough indicators (with disclosure control; only the ``boroughs`` a dataset covers,
    :func:`analysis.coverage.limit_to_coverage`), the typology profile, the assignments."""
    from analysis.coverage import limit_to_coverage

    ind = published_indicators(a.indicators).drop(columns=["ons_code"]).reset_index()
    ind = limit_to_coverage(ind, boroughs).reset_index(drop=True)
    write_table(ind, paths.tables / "groups_borough_indicators.csv", **indicator_disclosure())
    profile = published_profile(a.profile)
    profile.insert(1, "label", profile["group"].map(a.labels))
    write_table(profile, paths.tables / "groups_typology_profile.csv")
    write_table(published_comparison(a.comparison), paths.tables / "groups_typology_vs_2022.csv")
    write_table(_borough_groups_table(a), paths.tables / "groups_assignments.csv")
    write_table(a.clusters.selection, paths.tables / "groups_k_selection.csv")
    write_table(a.clusters.stability_k, paths.tables / "groups_stability_by_k.csv")
    write_table(a.clusters.missing, paths.tables / "groups_missing_values.csv")
    if a.public_indicators is not None:
        write_table(
            published_public_indicators(a.public_indicators).reset_index(),
            paths.tables / "groups_public_indicators.csv",
        )


def _map_table(groups: pd.Series, labels: Mapping[int, str]) -> pd.DataFrame:
    tiles = load_tiles()
    g = groups.reindex(tiles["la_name"])
    out = tiles[["la_name", "abbr", "row", "col"]].copy()
    out["group"] = [int(v) if pd.notna(v) else NOT_GROUPED for v in g]
    out["label"] = [labels.get(int(v), "") if pd.notna(v) else NOT_GROUPED for v in g]
    return out


def _sizes_text(groups: pd.Series, labels: Mapping[int, str]) -> str:
    sizes = groups.dropna().astype(int).value_counts().sort_index()
    return "; ".join(f"{labels.get(int(k), k)}: {int(n)}" for k, n in sizes.items())


def _standout(mean_z: pd.DataFrame, names: Mapping[str, str]) -> str:
    """One phrase per group naming its most distinctive indicator."""
    parts = []
    for g, row in mean_z.iterrows():
        feat = row.abs().idxmax()
        word = "high" if row[feat] > 0 else "low"
        parts.append(f"group {int(g)} {word} on {names.get(feat, feat).lower()}")
    return "; ".join(parts)


def write_figures(
    a: GroupsAnalysis, paths: EditionPaths, *, year: int, borough: str | None
) -> list[str]:
    """Tile maps, group-difference heatmaps, the choice of k and (borough edition) the borough's
    gaps from its cluster. Returns the figure names in report order."""
    names: list[str] = []
    fig = tile_map(
        a.typology, a.labels, title=f"The 2022 behaviour groups, {year}", highlight=borough
    )
    save_figure(
        fig,
        paths,
        "groups_typology_map",
        caption=f"London boroughs by the 2022 behaviour groups, {year}",
        alt=(
            "Tile map of the 33 London local authorities, one square each, coloured and numbered "
            f"by the 2022 report's behaviour group. Boroughs per group: "
            f"{_sizes_text(a.typology, a.labels)}. The City of London is not grouped."
        ),
        table=_map_table(a.typology, a.labels),
    )
    names.append("groups_typology_map")

    typ_z = group_mean_z(a.z, a.typology.reindex(a.z.index))
    fig = lazy_figure(
        difference_heatmap,
        typ_z,
        INDICATOR_LABELS,
        a.labels,
        title="What sets the 2022 groups apart",
    )
    save_figure(
        fig,
        paths,
        "groups_typology_differences",
        caption="Average of each indicator by 2022 group, in standard deviations from London",
        alt=(
            "Heatmap of each 2022 group's average standardised indicator: "
            f"{_standout(typ_z, INDICATOR_LABELS)}."
        ),
        table=typ_z.round(3).reset_index(names="group"),
    )
    names.append("groups_typology_differences")

    c = a.clusters
    clabels = cluster_labels(c)
    method = METHOD_NAMES.get(c.method, c.method)
    fig = tile_map(
        c.labels.reindex(a.indicators.index),
        clabels,
        title=f"Data-driven groups ({method}, k = {c.k}), {year}",
        highlight=borough,
    )
    save_figure(
        fig,
        paths,
        "groups_cluster_map",
        caption=f"London boroughs by data-driven group ({method}, {c.k} groups), {year}",
        alt=(
            f"Tile map of the London boroughs coloured and numbered by {method} cluster on "
            f"standardised placement indicators; {_sizes_text(c.labels, clabels)}. Agreement "
            f"with the 2022 groups (adjusted Rand index): {_fmt(c.ari_vs_typology)}."
        ),
        table=_map_table(c.labels.reindex(a.indicators.index), clabels),
    )
    names.append("groups_cluster_map")

    cl_z = group_mean_z(a.z, c.labels)
    fig = lazy_figure(
        difference_heatmap,
        cl_z,
        INDICATOR_LABELS,
        clabels,
        title="What sets the data-driven groups apart",
    )
    save_figure(
        fig,
        paths,
        "groups_cluster_differences",
        caption="Average of each indicator by data-driven group, in standard deviations",
        alt=f"Heatmap of each cluster's average standardised indicator: {_standout(cl_z, INDICATOR_LABELS)}.",
        table=cl_z.round(3).reset_index(names="cluster"),
    )
    names.append("groups_cluster_differences")

    fig = lazy_figure(
        selection_chart, c.selection, c.chosen_k, title="Choosing the number of groups"
    )
    save_figure(
        fig,
        paths,
        "groups_k_selection",
        caption="Mean silhouette width by number of groups, and the Gaussian mixture's BIC",
        alt=(
            "Line charts of cluster quality by number of groups. Chosen k: "
            + ", ".join(f"{METHOD_NAMES.get(m, m)} {k}" for m, k in c.chosen_k.items())
            + f"; {method} kept (silhouette {_fmt(c.silhouette)})."
        ),
        table=c.selection,
    )
    names.append("groups_k_selection")

    if a.public_clusters is not None and a.public_z is not None:
        p = a.public_clusters
        plabels = cluster_labels(p)
        pmethod = METHOD_NAMES.get(p.method, p.method)
        fig = tile_map(
            p.labels.reindex(a.indicators.index),
            plabels,
            title=f"Groups on official DfE/Ofsted figures ({pmethod}, k = {p.k}), {year}",
            highlight=borough,
        )
        save_figure(
            fig,
            paths,
            "groups_public_map",
            caption=f"London LAs grouped on official DfE and Ofsted indicators, {year}",
            alt=(
                "Tile map of the London boroughs coloured and numbered by a grouping of published "
                "DfE and Ofsted indicators (placed outside the LA, new placements over 20 miles, "
                f"net gain, homes and places per 10,000 children); {_sizes_text(p.labels, plabels)}."
            ),
            table=_map_table(p.labels.reindex(a.indicators.index), plabels),
        )
        names.append("groups_public_map")
        pz = group_mean_z(a.public_z, p.labels)
        fig = lazy_figure(
            difference_heatmap,
            pz,
            PUBLIC_INDICATOR_LABELS,
            plabels,
            title="What sets the public-data groups apart",
        )
        save_figure(
            fig,
            paths,
            "groups_public_differences",
            caption="Average of each official indicator by public-data group, in standard deviations",
            alt=f"Heatmap of each public-data group's average standardised indicator: {_standout(pz, PUBLIC_INDICATOR_LABELS)}.",
            table=pz.round(3).reset_index(names="cluster"),
        )
        names.append("groups_public_differences")

    if borough is not None and borough in a.z.index:
        from analysis.groups.clustering import difference_from_group

        diff = difference_from_group(a.z, c.labels, borough)
        fig = borough_difference_chart(
            diff, INDICATOR_LABELS, title=f"{borough} compared with its data-driven group"
        )
        top = diff.iloc[0]
        save_figure(
            fig,
            paths,
            "groups_borough_difference",
            caption=f"How {borough} differs from the average of its data-driven group",
            alt=(
                f"Bar chart of {borough}'s standardised indicators minus its group's average; the "
                f"largest gap is {INDICATOR_LABELS.get(top['feature'], top['feature']).lower()} "
                f"({top['difference_sd']:+.1f} standard deviations)."
            ),
            table=diff.round(3),
        )
        names.append("groups_borough_difference")
    return names


def _fmt(value: float | None) -> str:
    return "not available" if value is None or pd.isna(value) else f"{value:.2f}"


def write_groups_outputs(
    ds: Dataset,
    year: int,
    edition: str,
    output_dir: Path | str,
    config: Mapping[str, Any],
    *,
    seed: int | None = None,
    public_dir: Path | str | None = None,
    use_cache: bool = True,
    config_dir: Path | str | None = None,
) -> tuple[GroupsAnalysis, dict[str, Any]]:
    """Run the whole groups analysis for one edition and write ``results/groups.json``, the
    tables and the figures; for a borough edition also its comparison scopes
    (``results/scopes.json``, :func:`scopes_json`; ``config_dir`` is where ``config`` was read).
    Returns the analysis and the JSON document. ``use_cache`` reuses the analysis of an
    earlier edition of the same data (:func:`cached_analyse_groups`)."""
    paths = EditionPaths.for_edition(output_dir)
    a = (
        cached_analyse_groups(ds, year, config, seed=seed, public_dir=public_dir or None)
        if use_cache
        else analyse_groups(ds, year, config, seed=seed, public_dir=public_dir or None)
    )
    doc = groups_json(a, config, year=year, edition=edition)
    borough = None if edition == "london" else resolve_borough(edition)
    from analysis.coverage import covered_boroughs

    write_tables(a, paths, covered_boroughs(ds))
    doc["figures"] = write_figures(a, paths, year=year, borough=borough)
    doc["profile_columns"] = PROFILE_COLUMNS
    write_json(paths.results / "groups.json", doc)
    if borough is not None:
        write_json(paths.scopes, scopes_json(comparison_scopes(ds, year, borough, config_dir)))
    return a, doc
