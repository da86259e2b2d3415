"""Child covariates from the SSDA903 that the hypothesis tests adjust for (age, sex, legal
status): one definition, used by H1's needs model and H3's borough model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.dataset import Dataset
from analysis.snapshot import for_year

#: Legal-status codes of a care order (interim or full); the reference group of the model.
CARE_ORDER_CODES: tuple[str, ...] = ("C1", "C2")
#: Legal-status codes of a child accommodated by agreement (section 20 and short breaks).
ACCOMMODATED_CODES: tuple[str, ...] = ("V2", "V3", "V4")


def child_covariates(ds: Dataset, year: int, df: pd.DataFrame) -> pd.DataFrame:
    """Add the SSDA903 child covariates to placements ``df`` (one row per child with ``LS``):
    ``age`` (years at 31 March of ``year``, from the header's DOB; NaN when unknown),
    ``female`` (SEX 2), ``ls_accommodated`` (V2-V4) and ``ls_other`` (any status that is neither
    a care order C1/C2 nor accommodation: remand, police protection...; care orders are the
    reference). Caveat: DOB may be set to the 1st of the month (age +- a month)."""
    out = df.copy()
    snap = pd.Timestamp(year, 3, 31)
    if ds.has("header") and {"CHILD", "DOB"} <= set(ds.table("header").columns):
        header = for_year(ds.table("header"), year)
        keys = ["CHILD", "LA"] if "LA" in header.columns and "LA" in out.columns else ["CHILD"]
        cols = [c for c in ("DOB", "SEX") if c in header.columns]
        header = header.drop_duplicates(keys, keep="last")[keys + cols]
        out = out.drop(columns=[c for c in cols if c in out.columns]).merge(
            header, on=keys, how="left"
        )
        dob = pd.to_datetime(out["DOB"], errors="coerce", dayfirst=True)
        out["age"] = (snap - dob).dt.days / 365.25
        sex = out["SEX"].astype("string").str.strip() if "SEX" in out.columns else None
        out["female"] = (sex == "2").fillna(False).astype(int) if sex is not None else 0
    else:
        out["age"], out["female"] = np.nan, 0
    ls = (
        out["LS"].astype("string").str.strip()
        if "LS" in out.columns
        else pd.Series("", index=out.index)
    )
    out["ls_accommodated"] = ls.isin(ACCOMMODATED_CODES).fillna(False).astype(int)
    known = ls.isin(CARE_ORDER_CODES + ACCOMMODATED_CODES).fillna(False)
    out["ls_other"] = (~known & ls.notna()).astype(int)
    return out
