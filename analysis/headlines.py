"""The 2022 report's headline figures, computed from any dataset for any snapshot year.

All figures count K2 (children's home) placements of the 33 London boroughs open on 31 March
(:func:`analysis.snapshot.residential_placements`) and the London children's homes of the Ofsted
register (canonical ``homes`` table). Shares are fractions 0-1 (:func:`headline_shares`); the
published record (:func:`headline_figures`, ``results/headlines.json``) writes them in per cent
rounded to one decimal (:data:`SHARE_KEYS`, :func:`percent`).

Definitions (and their caveats):

- *placements outside London*: the placement LA (``PL_LA``) is not one of the 33 London LAs.
- *externally provided places in London homes*: registered places of London children's homes
  whose sector is Private or Voluntary (PR4/PR5 providers). Caveat: the register is one table for
  all years (the latest register), so the figure does not change between snapshot years.
- *places used by London boroughs*: K2 placements of London boroughs with a PR4/PR5 provider
  whose placement LA is in London (one child occupies one place).
- *inner/outer share outside London*: the UNWEIGHTED mean, over the boroughs of the sub-area with
  at least one K2 placement, of each borough's share placed outside London. The 2022 report's
  67.8% (Inner) and 70.8% (Outer) cannot both be pooled shares when the pooled London share is
  532/790 = 67.3%; the unweighted mean of borough shares is the reading that fits all three. The
  pooled shares are returned too (``*_pooled_share_outside_london``).
- *boroughs placing none / all outside London*: among boroughs with at least one K2 placement.
- *max London LAs placing in one borough*: for each London LA hosting K2 placements of London
  boroughs, the number of distinct London boroughs (itself included) with a child placed there;
  the maximum, and the host that reaches it (ties: alphabetical first).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset
from analysis.providers import external_sector
from analysis.shares import per_cent
from analysis.snapshot import k2_placements


def share(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` (a fraction 0-1); NaN when the denominator is 0."""
    return numerator / denominator if denominator else float("nan")


def percent(value: float) -> float:
    """A share (0-1) in per cent rounded to one decimal, as the published record writes it."""
    return round(per_cent(value), 1)


def share_placed_outside_london(placements: pd.DataFrame) -> float:
    """Pooled share (0-1) of K2 placements outside London (``outside_london`` flag)."""
    return share(int(placements["outside_london"].sum()), len(placements))


def borough_shares_outside_london(placements: pd.DataFrame) -> pd.Series:
    """Each placing borough's share (0-1) of its K2 placements outside London, indexed by LA.

    Only boroughs with at least one K2 placement appear (a share of nothing is undefined).
    """
    by_la = placements.groupby("LA")["outside_london"].agg(["sum", "size"])
    return (by_la["sum"] / by_la["size"]).sort_index()


def unweighted_mean_share(placements: pd.DataFrame, inner_outer: str) -> float:
    """Unweighted mean of borough shares (0-1) outside London over one sub-area ("Inner"/"Outer").

    Caveat: a borough with 2 placements weighs as much as one with 60.
    """
    shares = borough_shares_outside_london(placements)
    io = london_boroughs().set_index("la_name")["inner_outer"]
    chosen = shares[shares.index.map(io) == inner_outer]
    return float(chosen.mean()) if len(chosen) else float("nan")


def pooled_share(placements: pd.DataFrame, inner_outer: str) -> float:
    """Pooled share (0-1) outside London of the K2 placements made by one sub-area's boroughs."""
    sub = placements[placements["inner_outer"] == inner_outer]
    return share_placed_outside_london(sub)


def count_boroughs_with_share(placements: pd.DataFrame, value: float) -> int:
    """Number of boroughs (with K2 placements) whose share (0-1) outside London is ``value``."""
    return int((borough_shares_outside_london(placements) == value).sum())


def london_external_places(homes: pd.DataFrame) -> int:
    """Registered places of Private and Voluntary children's homes located in London."""
    keep = homes["in_london"].fillna(False).astype(bool) & external_sector(homes["sector"])
    if "provision_type" in homes.columns:
        keep &= homes["provision_type"].fillna("Children's home").eq("Children's home")
    return int(pd.to_numeric(homes.loc[keep, "places"], errors="coerce").fillna(0).sum())


def external_places_used_by_london(placements: pd.DataFrame) -> int:
    """K2 placements of London boroughs with a PR4/PR5 provider located in London."""
    return int((placements["external"] & ~placements["outside_london"]).sum())


def placing_boroughs_per_host(placements: pd.DataFrame) -> pd.Series:
    """Distinct London placing boroughs per London host LA (ONS code), sorted descending."""
    in_london = placements[~placements["outside_london"]]
    counts = in_london.groupby("PL_LA")["LA"].nunique()
    return counts.sort_index().sort_values(ascending=False, kind="stable")


def busiest_host(placements: pd.DataFrame) -> tuple[str | None, int]:
    """The London LA hosting children from the most London boroughs: (name, number)."""
    counts = placing_boroughs_per_host(placements)
    if counts.empty:
        return None, 0
    names = london_boroughs().set_index("ons_code")["la_name"]
    top = int(counts.iloc[0])
    hosts = sorted(names.get(code, code) for code, n in counts.items() if n == top)
    return hosts[0], top


#: The headline figures that are shares (0-1 in :func:`headline_shares`, per cent in the
#: published record; ``unit: "%"`` in ``config/report.yaml``).
SHARE_KEYS: tuple[str, ...] = (
    "share_outside_london",
    "share_used_by_london",
    "inner_share_outside_london",
    "outer_share_outside_london",
    "inner_pooled_share_outside_london",
    "outer_pooled_share_outside_london",
)


def headline_shares(ds: Dataset, year: int) -> dict[str, Any]:
    """The 2022 report's headline figures for ``year`` (see the module docstring), shares as
    fractions 0-1 (unrounded)."""
    placements = k2_placements(ds, year)
    host, n_hosts = busiest_host(placements)
    places = london_external_places(ds.table("homes"))
    used = external_places_used_by_london(placements)
    return {
        "placements_total": len(placements),
        "placements_outside_london": int(placements["outside_london"].sum()),
        "share_outside_london": share_placed_outside_london(placements),
        "london_external_places": places,
        "london_external_places_used_by_london": used,
        "share_used_by_london": share(used, places),
        "inner_share_outside_london": unweighted_mean_share(placements, "Inner"),
        "outer_share_outside_london": unweighted_mean_share(placements, "Outer"),
        "inner_pooled_share_outside_london": pooled_share(placements, "Inner"),
        "outer_pooled_share_outside_london": pooled_share(placements, "Outer"),
        "boroughs_none_outside_london": count_boroughs_with_share(placements, 0.0),
        "boroughs_all_outside_london": count_boroughs_with_share(placements, 1.0),
        "max_london_las_placing_in_one_borough": n_hosts,
        "busiest_host_borough": host,
    }


def published_headlines(figures: dict[str, Any]) -> dict[str, Any]:
    """The headline record as written (``results/headlines.json``): the shares of
    :data:`SHARE_KEYS` in per cent rounded to one decimal, the rest as they are."""
    return {k: percent(v) if k in SHARE_KEYS else v for k, v in figures.items()}


def headline_figures(ds: Dataset, year: int) -> dict[str, Any]:
    """The published headline record for ``year``: :func:`headline_shares` with the shares in
    per cent to one decimal (:func:`published_headlines`), what ``results/headlines.json`` holds
    and the report's headline table shows with its unit."""
    return published_headlines(headline_shares(ds, year))
