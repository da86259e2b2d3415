"""A borough's own children's-home places against its use of residential care, and the places
of Inner against Outer London (the 2022 report: "only a weak association between the number of
children's home places per borough and the number of young people placed in residential homes";
"on average, Outer London boroughs have higher numbers of places than Inner London").

Places are registered places in the homes register (every sector); registered places overstate
usable capacity (A5). The association is Spearman's rank correlation over the boroughs: it says
how closely the order of boroughs by places follows their order by children, not why.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.providers import external_sector
from analysis.stats import spearman_correlation

LA_SECTORS = frozenset({"local authority"})


def places_by_borough(homes: pd.DataFrame) -> pd.DataFrame:
    """Per London borough (``la_name``, ``inner_outer``): registered places in children's homes
    located there, ``places`` (all sectors), ``la_places`` (council-run) and ``external_places``
    (private and voluntary: :func:`analysis.providers.external_sector`), and the number of
    ``homes``."""
    ref = london_boroughs()[["la_name", "ons_code", "inner_outer"]]
    h = homes[homes["la_ons_code"].isin(ref["ons_code"])].copy()
    h["places"] = pd.to_numeric(h["places"], errors="coerce").fillna(0)
    sector = h["sector"].astype(str).str.strip().str.lower()
    h["la_places"] = h["places"].where(sector.isin(LA_SECTORS), 0)
    h["external_places"] = h["places"].where(external_sector(h["sector"]), 0)
    agg = h.groupby("la_ons_code").agg(
        homes=("urn", "size"),
        places=("places", "sum"),
        la_places=("la_places", "sum"),
        external_places=("external_places", "sum"),
    )
    out = ref.copy()
    for col in ("homes", "places", "la_places", "external_places"):
        out[col] = out["ons_code"].map(agg[col]).fillna(0).astype(int)
    return out.drop(columns="ons_code")


def spearman(x: pd.Series, y: pd.Series) -> dict[str, Any]:
    """Spearman's rank correlation of two aligned series (rows missing either left out):
    ``rho``, ``p_value`` (two-sided), ``n``. Caveat: with about 30 boroughs only a correlation
    above about 0.35 in size is distinguishable from none at the 5% level
    (:func:`analysis.stats.spearman_correlation`; None when it is not defined)."""
    both = pd.concat([pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")], axis=1)
    corr = spearman_correlation(both.iloc[:, 0], both.iloc[:, 1])
    if math.isnan(corr.estimate):
        return {"rho": None, "p_value": None, "n": corr.n}
    return {"rho": corr.estimate, "p_value": corr.p_value, "n": corr.n}


def strength(rho: float | None) -> str:
    """Plain words for the size of a correlation (Cohen's rough guide: 0.1 weak, 0.3 moderate,
    0.5 strong)."""
    if rho is None:
        return "not measurable"
    size = abs(rho)
    word = (
        "no"
        if size < 0.1
        else "a weak"
        if size < 0.3
        else "a moderate"
        if size < 0.5
        else "a strong"
    )
    if word == "no":
        return "no"
    return f"{word} {'positive' if rho > 0 else 'negative'}"


def places_and_use(places: pd.DataFrame, indicators: pd.DataFrame) -> dict[str, Any]:
    """How a borough's places relate to its use of residential care, over the 33 boroughs:
    Spearman's rho of ``places`` with the borough's children in children's homes
    (``k2_children``) and with the share of its looked-after children in them
    (``pct_residential``); and Inner/Outer London's mean and median places per borough."""
    ind = indicators if "la_name" in indicators.columns else indicators.reset_index()
    df = places.merge(ind[["la_name", "k2_children", "pct_residential"]], on="la_name", how="left")
    out: dict[str, Any] = {
        "places_vs_children": spearman(df["places"], df["k2_children"]),
        "places_vs_pct_residential": spearman(df["places"], df["pct_residential"]),
    }
    for key, value in list(out.items()):
        value["strength"] = strength(value["rho"])
        out[key] = value
    for area in ("Inner", "Outer"):
        sub = df[df["inner_outer"] == area]["places"]
        out[area.lower()] = {
            "boroughs": len(sub),
            "mean_places": float(sub.mean()) if len(sub) else None,
            "median_places": float(sub.median()) if len(sub) else None,
            "places": int(sub.sum()),
        }
    return out
