"""The explore-education-statistics (EES) tidy format, with its suppression symbols.

Numeric columns of EES files use symbols for values that are not published: ``c`` confidential
(small number), ``z`` not applicable, ``x`` not available, ``k``/``low`` rounds to zero, ``u`` low
reliability, ``:`` not available (older files). They are read as missing (``NaN``) **with the
reason kept** in a companion column ``<column>_symbol`` - never as zero - so that a sum over a
column with a ``c`` is known to be incomplete.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: EES symbols and what they mean.
SYMBOLS: dict[str, str] = {
    "c": "confidential (small number suppressed)",
    "z": "not applicable",
    "x": "not available",
    "k": "rounds to zero",
    "low": "rounds to zero",
    "u": "low reliability",
    ":": "not available",
}

#: Standard EES columns that hold codes or names, never measures.
ID_COLUMNS: frozenset[str] = frozenset(
    {
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        "characteristic",
        "cla_group",
    }
)


def _is_measure(series: pd.Series) -> bool:
    """A column is a measure when every value that is not blank or a symbol is a number."""
    text = series.dropna().astype(str).str.strip()
    text = text[(text != "") & ~text.str.lower().isin(SYMBOLS)]
    if text.empty:
        return False
    return bool(pd.to_numeric(text.str.replace(",", ""), errors="coerce").notna().all())


def parse_measure(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split a tidy measure column into numbers (symbols -> NaN) and the symbol per row (or NA)."""
    text = series.astype("string").str.strip()
    symbol = text.str.lower().where(text.str.lower().isin(SYMBOLS))
    numbers = pd.to_numeric(text.str.replace(",", "").where(symbol.isna()), errors="coerce")
    return numbers.astype(float), symbol


def read_tidy(path: Path | str) -> pd.DataFrame:
    """Read an EES tidy CSV: codes as text, measures as floats, symbols in ``<col>_symbol``.

    ``time_period`` becomes an integer year (``2022`` = year ending 31 March 2022 for
    children-looked-after data); ``old_la_code`` stays text (``"201"``). A byte-order mark in
    the header is ignored.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [c.strip() for c in raw.columns]
    out = raw.copy()
    for col in raw.columns:
        if col in ID_COLUMNS:
            out[col] = raw[col].str.strip().replace("", pd.NA)
            continue
        if _is_measure(raw[col].replace("", np.nan)):
            numbers, symbol = parse_measure(raw[col].replace("", pd.NA))
            out[col] = numbers
            out[f"{col}_symbol"] = symbol
    if "time_period" in out:
        out["time_period"] = pd.to_numeric(out["time_period"].str[:4], errors="coerce").astype(
            "Int64"
        )
    return out


def missing_reasons(df: pd.DataFrame, column: str) -> pd.Series:
    """Count of each reason a measure is missing (symbol meanings), for notes under a table."""
    symbol_col = f"{column}_symbol"
    if symbol_col not in df:
        return pd.Series(dtype="int64")
    return df[symbol_col].dropna().map(SYMBOLS).value_counts()
