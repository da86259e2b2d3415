"""Assemble ``groups.json``: the typology, the data-driven clusters, the public-data clusters
and, in a borough edition, the borough's place among its peers."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.boroughs import resolve_borough
from analysis.dataset import Dataset
from analysis.groups.clustering import (
    ClusterResult,
    cluster_boroughs,
    difference_from_group,
    nearest_peers,
)
from analysis.groups.indicators import borough_indicators
from analysis.groups.public import public_data_available, public_data_indicators
from analysis.groups.typology import (
    NOT_GROUPED,
    assign_typology,
    borderline,
    compare_with_report,
    group_labels,
    published_comparison,
    published_profile,
    typology_profile,
)


@dataclass
class GroupsAnalysis:
    """Everything the notebook shows, before it is written out."""

    indicators: pd.DataFrame
    typology: pd.Series
    labels: dict[int, str]
    profile: pd.DataFrame
    comparison: pd.DataFrame
    clusters: ClusterResult
    z: pd.DataFrame
    public_indicators: pd.DataFrame | None = None
    public_clusters: ClusterResult | None = None
    public_z: pd.DataFrame | None = None
    public_note: str = ""
    #: The dataset declares itself synthetic (the bundled example).
    synthetic: bool = False
    #: per borough: ``borderline``, ``borderline_with``, ``reason`` (typology.borderline)
    borderline: pd.DataFrame | None = None


def suppressed_cells(ds: Dataset, year: int, columns: list[str]) -> pd.DataFrame:
    """Borough x ``columns``: True where the published borough indicator table hides the cell
    (the London edition's disclosure control, :func:`protected_indicators`)."""
    from analysis.disclosure import load_rules
    from analysis.groups.indicators import protected_indicators

    symbol = load_rules().symbol
    frame = protected_indicators(ds, year).frame.set_index("la_name")
    cols = [c for c in columns if c in frame.columns]
    return frame[cols].astype(str).apply(lambda s: s.str.strip() == symbol)


def grouped_rows(frame: pd.DataFrame, exclude: list[str]) -> pd.DataFrame:
    """Rows of ``frame`` not in ``exclude`` (the City of London by default)."""
    return frame.loc[~frame.index.isin(exclude)]


def analyse_groups(
    ds: Dataset,
    year: int,
    config: Mapping[str, Any],
    *,
    seed: int | None = None,
    public_dir: Path | str | None = None,
) -> GroupsAnalysis:
    """Indicators, typology, profile, clusters (and the public-data clusters when the files are
    in ``public_dir``) for one dataset and year."""
    rules = config["typology"]
    settings = config["clustering"]
    indicators = borough_indicators(ds, year)
    groups = assign_typology(indicators, rules)
    profile = typology_profile(indicators, groups)
    comparison = compare_with_report(profile, rules.get("report_2022", {}))
    exclude = list(rules.get("exclude", []))
    clusterable = grouped_rows(indicators, exclude)
    clusters = cluster_boroughs(
        clusterable, settings, seed=seed, typology=groups.reindex(clusterable.index)
    )
    z = clusters.z
    rule_indicators = sorted({str(c["indicator"]) for r in rules["rules"] for c in r["when"]})
    flags = borderline(indicators, rules, suppressed_cells(ds, year, rule_indicators))
    result = GroupsAnalysis(
        indicators=indicators,
        typology=groups,
        labels=group_labels(rules),
        profile=profile,
        comparison=comparison,
        clusters=clusters,
        z=z,
        synthetic=ds.synthetic,
        borderline=flags,
    )
    if public_data_available(public_dir):
        pub_cfg = config.get("public_data", {})
        pub = public_data_indicators(
            Path(str(public_dir)),
            year,
            provision_type=pub_cfg.get("ofsted_provision_type", "Children's home"),
        )
        if pub["cla_at_31_march"].notna().sum() == 0:
            result.public_note = f"the public files hold no {year} figures for London LAs"
        else:
            pub_rows = grouped_rows(pub, list(pub_cfg.get("exclude", exclude)))
            feats = list(pub_cfg["features"])
            result.public_indicators = pub
            result.public_clusters = cluster_boroughs(
                pub_rows,
                settings,
                seed=seed,
                features=feats,
                typology=groups.reindex(pub_rows.index),
            )
            result.public_z = result.public_clusters.z
    else:
        result.public_note = "public data files not available"
    return result


def typology_dict(a: GroupsAnalysis, rules: Mapping[str, Any]) -> dict[str, Any]:
    """The ``typology`` section of groups.json."""
    assignments = {
        str(la): (int(g) if pd.notna(g) else NOT_GROUPED) for la, g in a.typology.items()
    }
    sizes = {
        str(int(g)): int(n)
        for g, n in a.typology.dropna().astype(int).value_counts().sort_index().items()
    }
    return {
        "assignments": assignments,
        "sizes": sizes,
        "not_grouped": [str(la) for la, g in a.typology.items() if pd.isna(g)],
        "labels": {str(g): lab for g, lab in a.labels.items()},
        "descriptions": {str(r["group"]): r["description"] for r in rules["rules"]},
        "profile": published_profile(a.profile).to_dict(orient="records"),
        "comparison_with_2022": published_comparison(a.comparison).to_dict(orient="records"),
        "rules": [dict(r) for r in rules["rules"]],
        "borderline_margins": dict(rules.get("borderline_margins") or {}),
        "borderline": borderline_dict(a),
    }


def borderline_dict(a: GroupsAnalysis) -> dict[str, dict[str, Any]]:
    """Borderline boroughs only: ``{la: {"with": "4", "reason": ...}}``."""
    if a.borderline is None:
        return {}
    flagged = a.borderline[a.borderline["borderline"]]
    return {
        str(la): {"with": str(r["borderline_with"]), "reason": str(r["reason"])}
        for la, r in flagged.iterrows()
    }


def borough_dict(a: GroupsAnalysis, borough: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """A borough's typology group, cluster, nearest peers and largest gaps from its cluster."""
    g = a.typology.get(borough, pd.NA)
    out: dict[str, Any] = {
        "la_name": borough,
        "typology_group": int(g) if pd.notna(g) else NOT_GROUPED,
        "typology_label": a.labels.get(int(g), "") if pd.notna(g) else NOT_GROUPED,
        "typology_borderline": bool(
            a.borderline is not None
            and borough in a.borderline.index
            and a.borderline.loc[borough, "borderline"]
        ),
    }
    if out["typology_borderline"]:
        out["typology_borderline_with"] = str(a.borderline.loc[borough, "borderline_with"])
        out["typology_borderline_reason"] = str(a.borderline.loc[borough, "reason"])
    if borough in a.z.index:
        n = int(settings.get("peers", 3))
        out["cluster"] = int(a.clusters.labels[borough])
        out["nearest_peers"] = nearest_peers(a.z, borough, n)
        diff = difference_from_group(a.z, a.clusters.labels, borough)
        out["difference_from_cluster"] = diff.to_dict(orient="records")
        same = a.typology.reindex(a.z.index)
        if pd.notna(g):
            out["difference_from_typology_group"] = difference_from_group(
                a.z, same.dropna().astype(int), borough
            ).to_dict(orient="records")
    else:
        out["note"] = "outside the groups (excluded in config/groups.yaml)"
    if a.public_clusters is not None and a.public_z is not None and borough in a.public_z.index:
        out["public_data_cluster"] = int(a.public_clusters.labels[borough])
        out["public_data_nearest_peers"] = nearest_peers(
            a.public_z, borough, int(settings.get("peers", 3))
        )
    return out


def groups_json(
    a: GroupsAnalysis, config: Mapping[str, Any], *, year: int, edition: str
) -> dict[str, Any]:
    """The whole groups.json document for one edition."""
    settings = config["clustering"]
    doc: dict[str, Any] = {
        "year": year,
        "edition": edition,
        "typology": typology_dict(a, config["typology"]),
        "clusters": a.clusters.to_dict(settings),
    }
    if a.public_clusters is not None and a.public_indicators is not None:
        doc["public_data_clusters"] = {
            **a.public_clusters.to_dict(settings),
            "year": year,
            "ofsted_file": a.public_indicators.attrs.get("ofsted_file", ""),
        }
        if a.synthetic:
            doc["public_data_clusters"]["ari_vs_typology_note"] = (
                "the typology comes from a synthetic dataset and the public-data groups from "
                "real figures: their agreement means nothing here"
            )
    else:
        doc["public_data_clusters_note"] = a.public_note
    if edition != "london":
        borough = resolve_borough(edition)
        if borough is None:
            raise ValueError(f"unknown borough edition {edition!r}")
        doc["borough"] = borough_dict(a, borough, settings)
    return doc


def _frame_digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()


def analysis_key(
    ds: Dataset,
    year: int,
    config: Mapping[str, Any],
    seed: int | None,
    public_dir: Path | str | None,
) -> str:
    """Content key of one groups analysis: the dataset's episodes and homes, the configuration,
    seed, year, the public files (name, size, mtime) and the source of ``analysis.groups``."""
    parts = [
        _frame_digest(ds.table("episodes")),
        _frame_digest(ds.table("homes")),
        json.dumps(config, sort_keys=True, default=str),
        str(seed),
        str(year),
    ]
    if public_dir and Path(public_dir).is_dir():
        parts += [
            f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
            for f in sorted(Path(public_dir).glob("*.csv"))
        ]
    source = Path(__file__).parent
    parts += [f.read_text(encoding="utf-8") for f in sorted(source.glob("*.py"))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def cached_analyse_groups(
    ds: Dataset,
    year: int,
    config: Mapping[str, Any],
    *,
    seed: int | None = None,
    public_dir: Path | str | None = None,
    cache_dir: Path | None = None,
) -> GroupsAnalysis:
    """:func:`analyse_groups`, reused across the editions of one build: the London and the 33
    borough editions share one analysis (only the borough section differs). The cache is local
    (``groups/`` under the one cache root, :mod:`analysis.caches`), holds no published output,
    and is keyed by content (:func:`analysis_key`); it is written atomically so parallel workers
    can share it."""
    from analysis.caches import cache_dir as layer_dir

    cache_dir = Path(cache_dir or layer_dir("groups"))
    path = cache_dir / f"{analysis_key(ds, year, config, seed, public_dir)}.pkl"
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged cache entry is recomputed
            pass
    result = analyse_groups(ds, year, config, seed=seed, public_dir=public_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache_dir, delete=False, suffix=".tmp") as fh:
        pickle.dump(result, fh)
    os.replace(fh.name, path)
    return result
