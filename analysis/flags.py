"""Flags in the canonical tables read as plain booleans, one definition each.

A Y/N, true/false or "Risk Present" field becomes True or False; a missing value counts as
absent (False), which understates a flag wherever records are incomplete.
"""

from __future__ import annotations

import pandas as pd

#: Needs fields that mark a "high-risk profile" for hypothesis 5 (National Placement Standard).
HIGH_RISK_FIELDS: tuple[str, ...] = (
    "risk_criminal_exploitation",
    "risk_sexual_exploitation",
    "risk_to_others",
)


def flag_true(series: pd.Series) -> pd.Series:
    """Boolean (nullable or text Y/N, "Risk Present") to plain bool, missing as False."""
    if series.dtype == bool:
        return series
    if isinstance(series.dtype, pd.BooleanDtype):
        return series.fillna(False).astype(bool)
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["y", "yes", "true", "1", "risk present"]).fillna(False).astype(bool)


def high_risk_flags(needs: pd.DataFrame, fields: tuple[str, ...] = HIGH_RISK_FIELDS) -> pd.Series:
    """True for a child with any of the high-risk ``fields`` present (missing counts as absent).

    Caveat: a blank risk field is read as "no known risk", so incomplete needs records
    understate the high-risk group.
    """
    present = [flag_true(needs[f]) for f in fields if f in needs.columns]
    if not present:
        return pd.Series(False, index=needs.index)
    return pd.concat(present, axis=1).any(axis=1)
