"""Ofsted's provider-level children's homes files: the register at 31 March, joiners and leavers.

The register (one row per provider) and the joiners/leavers lists are published as
spreadsheets; the joiners/leavers CSVs have title rows before the header, so the header row is
found by its first cell (``URN``). Only the columns named in ``config/public_data.yaml`` are
relied on.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from analysis.boroughs import resolve_borough

CHILDRENS_HOME = "Children's home"
GRADE_COLUMN = "Overall experiences and progress of children and young people"
GRADES: tuple[str, ...] = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")
LONDON_REGION = "London"


def _header_row(lines: list[str], marker: str) -> int:
    for i, line in enumerate(lines[:50]):
        if line.lstrip("\ufeff").split(",")[0].strip().strip('"') == marker:
            return i
    raise ValueError(f"no header row starting with {marker!r} in the first 50 lines")


def read_provider_file(path: Path | str, *, header_marker: str = "URN") -> pd.DataFrame:
    """Read an Ofsted provider-level CSV or XLSX, skipping title rows above the header."""
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
        probe = pd.read_excel(path, header=None, nrows=50, dtype=str)
        first = probe.iloc[:, 0].astype(str).str.strip()
        skip = int(first[first == header_marker].index[0])
        df = pd.read_excel(path, skiprows=skip, dtype=str)
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        skip = _header_row(text.splitlines(), header_marker)
        df = pd.read_csv(io.StringIO(text), skiprows=skip, dtype=str, keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    df = df.replace("", pd.NA)
    df = df[df["URN"].notna()].copy()
    if "Places" in df:
        df["Places"] = pd.to_numeric(df["Places"], errors="coerce")
    return df.reset_index(drop=True)


def read_register(path: Path | str) -> pd.DataFrame:
    """The register of children's homes at 31 March, with ``is_london`` and ``borough`` added.

    ``borough`` is the project's reference name of the London LA where the home is (None outside
    London); ``is_london`` is True when the Government Office Region is London.
    """
    df = read_provider_file(path)
    region = df.get("Government Office Region", df.get("Ofsted region"))
    df["is_london"] = region.astype("string").str.strip().eq(LONDON_REGION).fillna(False)
    df["borough"] = [
        resolve_borough(la) if london and isinstance(la, str) else None
        for la, london in zip(df["Local authority"], df["is_london"], strict=True)
    ]
    return df


def childrens_homes(register: pd.DataFrame) -> pd.DataFrame:
    """Rows of provision type "Children's home" (not secure homes or residential special schools).

    Matched ignoring case: the 2023 register spells a few as "Children's Home".
    """
    kind = register["Provision type"].astype("string").str.strip().str.casefold()
    return register[kind.eq(CHILDRENS_HOME.casefold()).fillna(False)]


def read_joiners_leavers(path: Path | str) -> pd.DataFrame:
    """A joiners-and-leavers file, with ``joined``/``left`` booleans from the status columns."""
    df = read_provider_file(path)
    df["joined"] = df.get("Joiner status", pd.Series(pd.NA, index=df.index)).notna()
    df["left"] = df.get("Leaver status", pd.Series(pd.NA, index=df.index)).notna()
    return df
