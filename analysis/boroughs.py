"""The 33 London local authorities: reference table, name matching and slugs."""

from __future__ import annotations

import re
from functools import lru_cache

import networkx as nx
import pandas as pd

from analysis.paths import REFERENCE

#: Spellings met in councils' and DfE's files, mapped to the reference name.
_ALIASES: dict[str, str] = {
    "city of london corporation": "City of London",
    "city": "City of London",
    "hammersmith & fulham": "Hammersmith and Fulham",
    "kensington & chelsea": "Kensington and Chelsea",
    "royal borough of kensington and chelsea": "Kensington and Chelsea",
    "rbkc": "Kensington and Chelsea",
    "barking & dagenham": "Barking and Dagenham",
    "kingston": "Kingston upon Thames",
    "richmond": "Richmond upon Thames",
    "lbbd": "Barking and Dagenham",
    "royal borough of greenwich": "Greenwich",
    "royal borough of kingston upon thames": "Kingston upon Thames",
}


@lru_cache(maxsize=1)
def london_boroughs() -> pd.DataFrame:
    """Return the reference table: ``la_name, dfe_code, ons_code, inner_outer, subregion``.

    Inner/Outer follows the ONS statistical definition used by the DfE (Haringey and Newham
    Inner, Greenwich Outer). Subregions are London's five sub-regional (ICS) footprints.
    """
    df = pd.read_csv(REFERENCE / "boroughs.csv", dtype={"dfe_code": str})
    df["slug"] = df["la_name"].map(slugify)
    return df


def slugify(name: str) -> str:
    """Lower-case, hyphen-separated form of a name: ``Kingston upon Thames`` -> ``kingston-upon-thames``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", "and")).strip("-")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("london borough of ", ""))


@lru_cache(maxsize=8192)
def resolve_borough(name_or_code: str) -> str | None:
    """Return the reference name for a borough given by name, usual spelling, slug, DfE or ONS code.

    Returns ``None`` when nothing matches (callers list the valid names).
    """
    key = _key(name_or_code)
    ref = london_boroughs()
    for _, row in ref.iterrows():
        if key in {
            row["la_name"].lower(),
            row["slug"],
            str(row["dfe_code"]),
            row["ons_code"].lower(),
        }:
            return str(row["la_name"])
    if key in _ALIASES:
        return _ALIASES[key]
    key_and = key.replace("&", "and")
    for _, row in ref.iterrows():
        if key_and == row["la_name"].lower() or slugify(key) == row["slug"]:
            return str(row["la_name"])
    return None


def london_ons_codes() -> frozenset[str]:
    """ONS codes (E09...) of the 33 London LAs."""
    return frozenset(london_boroughs()["ons_code"])


def inner_outer(la_name: str) -> str:
    """``Inner`` or ``Outer`` for a London borough's reference name."""
    ref = london_boroughs().set_index("la_name")
    return str(ref.loc[la_name, "inner_outer"])


@lru_cache(maxsize=1)
def london_adjacency() -> nx.Graph:
    """Graph of London boroughs sharing a boundary (``data/reference/london_adjacency.csv``).

    Boundaries include mid-Thames ones (``border == "river"``): boroughs facing each other
    across the river are treated as neighbours, as a placement across a bridge is close to home.
    """
    df = pd.read_csv(REFERENCE / "london_adjacency.csv")
    graph = nx.Graph()
    graph.add_nodes_from(london_boroughs()["la_name"])
    graph.add_edges_from(zip(df["la_name"], df["neighbour"], strict=True))
    return graph


def is_local(placing_la: str, home_la: str | None) -> bool:
    """True when a home is in the placing borough itself or in a borough bordering it."""
    if not isinstance(home_la, str) or not home_la:
        return False
    if home_la == placing_la:
        return True
    graph = london_adjacency()
    return graph.has_node(placing_la) and graph.has_edge(placing_la, home_la)


def ons_to_london_name() -> dict[str, str]:
    """ONS code (E09...) -> reference name of the London borough."""
    ref = london_boroughs()
    return dict(zip(ref["ons_code"], ref["la_name"], strict=True))


def home_locations(homes: pd.DataFrame) -> pd.DataFrame:
    """``urn, home_in_london, home_la`` (reference name of the London borough, "" outside)."""
    names = ons_to_london_name()
    out = pd.DataFrame(
        {
            "URN": homes["urn"].astype(str),
            "home_in_london": homes["in_london"].astype(bool).astype(int),
            "home_la": homes["la_ons_code"].map(names).fillna("").astype(str),
        }
    )
    return out.drop_duplicates("URN")
