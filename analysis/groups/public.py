"""Real LA-level placement indicators for the 33 London LAs from the DfE and Ofsted files in the
public-data folder (explore-education-statistics tidy format; Ofsted provider-level register).

Uses ``analysis.public_data.tidy.read_tidy`` when that parser exists; otherwise a minimal local
reader that treats the suppression symbols ``c, z, x, k, low`` (and blanks) as missing, never 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.shares import columns_in_per_cent

SUPPRESSION_SYMBOLS = frozenset({"c", "z", "x", "k", "low", "u", ":", ""})

#: The public files used, by their key in ``config/public_data.yaml`` (names and years there).
DFE_KEYS: tuple[str, ...] = ("dfe_net_gain", "dfe_new_placements", "dfe_number_rate")
OFSTED_REGISTER_KEY = "ofsted_register"


def public_file(public_dir: Path, key: str, year: int | None) -> Path | None:
    """The file of kind ``key`` in ``public_dir`` for ``year`` (chosen as the national chapter
    chooses: that year's, else a later DfE release or the latest earlier file; None if none)."""
    from analysis.public_data.fetch import choose_files

    return choose_files(Path(public_dir), year)[key].path


PUBLIC_INDICATOR_LABELS: dict[str, str] = {
    "cla_at_31_march": "Children looked after at 31 March",
    "cla_rate_per_10k": "Children looked after per 10,000 children",
    "pct_placed_outside_la": "% of looked-after children placed outside the LA",
    "pct_new_placements_over_20_miles": "% of new placements over 20 miles from home",
    "net_gain_per_10k": "Net gain of children from other LAs per 10,000 children",
    "homes_per_10k": "Children's homes per 10,000 children",
    "places_per_10k": "Children's home places per 10,000 children",
}


#: The shares (fractions 0-1 in the code) that ``groups_public_indicators.csv`` writes in per
#: cent, as it always has (:func:`published_public_indicators`).
PUBLIC_PERCENT_COLUMNS: tuple[str, ...] = (
    "pct_placed_outside_la",
    "pct_new_placements_over_20_miles",
)


def published_public_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """The public-data indicator table as published: :data:`PUBLIC_PERCENT_COLUMNS` in per
    cent; a copy."""
    return columns_in_per_cent(indicators, PUBLIC_PERCENT_COLUMNS)


def to_number(values: pd.Series) -> pd.Series:
    """Numbers from a tidy-format column; suppression symbols and blanks become NaN."""
    text = values.astype(str).str.strip().str.replace(",", "", regex=False)
    text = text.where(~text.str.lower().isin(SUPPRESSION_SYMBOLS))
    return pd.to_numeric(text, errors="coerce")


def read_tidy_file(path: Path) -> pd.DataFrame:
    """A DfE tidy file with ``number``/``percentage``/``rate``/``population`` columns numeric."""
    from analysis.public_data.tidy import read_tidy

    return read_tidy(path)


def with_characteristic(df: pd.DataFrame) -> pd.DataFrame:
    """Name the column holding the row labels ``characteristic``.

    The 2024 number/rate file labels its characteristic column ``population_count`` (its header
    is one name out of step with the data); the column is found by its text content.
    """
    if "characteristic" in df.columns:
        return df
    for col in df.columns:
        if df[col].astype(str).str.contains("looked after", case=False).any():
            return df.rename(columns={col: "characteristic"})
    raise ValueError("no characteristic column in the DfE file")


def london_la_rows(df: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of the 33 London LAs for ``year`` (matched on the ONS code ``new_la_code``)."""
    ref = london_boroughs()
    rows = df[
        (df["geographic_level"] == "Local authority")
        & (df["time_period"].astype(str) == str(year))
        & df["new_la_code"].isin(set(ref["ons_code"]))
    ]
    name_of = ref.set_index("ons_code")["la_name"]
    return rows.assign(la=rows["new_la_code"].map(name_of))


def characteristic_numbers(df: pd.DataFrame, startswith: str, column: str = "number") -> pd.Series:
    """Per London LA (``la``), the value of the row whose ``characteristic`` starts with text."""
    rows = df[df["characteristic"].astype(str).str.startswith(startswith)]
    return rows.set_index("la")[column].astype(float)


def share_over_20_miles(new_placements: pd.DataFrame) -> pd.Series:
    """Per LA, the share (0-1) of new placements with a known distance that were more than 20
    miles from home.

    When the two "more than 20 miles" cells are suppressed but the total, the unknown-distance
    and both "less than 20 miles" cells are published, their sum is the published remainder
    (total - unknown - under-20s); otherwise the LA is missing. Never treats ``c`` as 0.
    """

    def part(text: str) -> pd.Series:
        return characteristic_numbers(new_placements, text)

    total = part("Total new placements")
    unknown = part("Distance not known")
    under = part("Placed inside LA boundary less than 20") + part(
        "Placed outside LA boundary less than 20"
    )
    over = part("Placed inside LA boundary more than 20") + part(
        "Placed outside LA boundary more than 20"
    )
    over = over.fillna(total - unknown - under)
    known = (total - unknown).where(lambda s: s > 0)
    return over / known


def ofsted_homes_by_la(path: Path, provision_type: str) -> pd.DataFrame:
    """Active homes of ``provision_type`` and their registered places per LA name (Ofsted)."""
    homes = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    homes = homes[
        (homes["Provision type"].str.strip().str.casefold() == provision_type.casefold())
        & (homes["Registration status"].str.lower() == "active")
    ]
    places = to_number(homes["Places"])
    from analysis.boroughs import resolve_borough

    names = {name: resolve_borough(name) for name in homes["Local authority"].unique()}
    la = homes["Local authority"].map(names)
    frame = pd.DataFrame({"la": la, "places": places}).dropna(subset=["la"])
    return frame.groupby("la").agg(homes=("places", "size"), places=("places", "sum"))


def public_data_indicators(
    public_dir: Path | str, year: int, *, provision_type: str = "Children's home"
) -> pd.DataFrame:
    """One row per London LA (index ``la_name``) of real indicators for ``year`` (shares are
    fractions 0-1; :func:`published_public_indicators` writes them in per cent):

    - ``pct_placed_outside_la``: children placed outside the LA boundary / children looked after
      at 31 March (DfE in/out/net-gain and number/rate tables);
    - ``pct_new_placements_over_20_miles``: new placements more than 20 miles from home (inside
      or outside the LA) / new placements with a known distance; missing when any part is
      suppressed;
    - ``net_gain_per_10k``: net gain of children (placed in by others minus placed out) per
      10,000 children aged 0-17;
    - ``homes_per_10k``, ``places_per_10k``: active children's homes and registered places in
      the LA per 10,000 children (Ofsted register at 31 March ``year``, else the latest earlier
      one in the folder, else the earliest later one - a caveat for those years);
    - ``cla_rate_per_10k``: children looked after per 10,000 children.
    """
    public_dir = Path(public_dir)
    ref = london_boroughs().set_index("la_name")
    files = {key: public_file(public_dir, key, year) for key in DFE_KEYS}
    missing = [key for key, path in files.items() if path is None]
    if missing:
        raise FileNotFoundError(f"no public data file for {', '.join(missing)} in {public_dir}")
    rate = london_la_rows(with_characteristic(read_tidy_file(files["dfe_number_rate"])), year)
    cla = rate[rate["characteristic"] == "Children looked after at 31 March each year"]
    cla = cla.set_index("la")
    netgain = london_la_rows(read_tidy_file(files["dfe_net_gain"]), year)
    newp = london_la_rows(read_tidy_file(files["dfe_new_placements"]), year)
    newp = newp[newp["cla_group"] == "Location of new placements during the year"]

    out = pd.DataFrame(index=ref.index)
    out["cla_at_31_march"] = cla["number"].reindex(ref.index)
    out["population_0_17"] = cla["population_estimate"].reindex(ref.index)
    out["cla_rate_per_10k"] = cla["rate_per_10000"].reindex(ref.index)
    placed_out = characteristic_numbers(netgain, "2.").reindex(ref.index)
    out["pct_placed_outside_la"] = placed_out / out["cla_at_31_march"]
    gain = characteristic_numbers(netgain, "Net gain").reindex(ref.index)
    out["net_gain_per_10k"] = 1e4 * gain / out["population_0_17"]
    out["pct_new_placements_over_20_miles"] = share_over_20_miles(newp).reindex(ref.index)

    register = public_file(public_dir, OFSTED_REGISTER_KEY, year)
    ofsted = [register] if register is not None and register.suffix.lower() == ".csv" else []
    if ofsted:
        homes = ofsted_homes_by_la(ofsted[-1], provision_type).reindex(ref.index).fillna(0)
        out["homes"] = homes["homes"].astype(int)
        out["places"] = homes["places"]
        out["homes_per_10k"] = 1e4 * out["homes"] / out["population_0_17"]
        out["places_per_10k"] = 1e4 * out["places"] / out["population_0_17"]
        out.attrs["ofsted_file"] = ofsted[-1].name
    else:
        for col in ("homes", "places", "homes_per_10k", "places_per_10k"):
            out[col] = np.nan
    out.index.name = "la_name"
    return out


def public_data_available(public_dir: Path | str | None) -> bool:
    """True when the three DfE files the public-data grouping needs are in ``public_dir``."""
    if not public_dir:
        return False
    return all(public_file(Path(public_dir), key, None) is not None for key in DFE_KEYS)
