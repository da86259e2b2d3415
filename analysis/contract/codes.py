"""SSDA903 code lists, by collection year, and the contract's other allowed values.

The SSDA903 lists follow the DfE's published "children looked after return" guidance. A code is
valid for a ``YEAR`` (the year ending 31 March) when it is in the base list and, for codes
introduced or withdrawn, when ``YEAR`` falls within its validity window (``K3`` from 2025).
Caveat: the lists are deliberately inclusive of codes retired within the last few years, so that
an older return re-submitted in a later extract does not fail on a legitimately old code.
"""

from __future__ import annotations

import pandas as pd

#: code -> (first YEAR valid, last YEAR valid); ``None`` means open-ended.
_Window = tuple[int | None, int | None]

SSDA903_CODES: dict[str, dict[str, _Window]] = {
    "RNE": {code: (None, None) for code in ("S", "L", "P", "T", "U", "B")},
    "LS": {
        code: (None, None)
        for code in ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
    },
    "CIN": {f"N{i}": (None, None) for i in range(1, 9)},
    "PLACE": {
        **{
            code: (None, None)
            for code in (
                "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3",
                "R1", "R2", "R3", "R5", "S1", "T0", "T1", "T2", "T3", "T4",
                "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
            )
        },
        "K3": (2025, None),
        # the 2025-26 return (YEAR 2026) splits "other placements" (DfE guidance; the same
        # codes are in LIIA's pipeline schema for 2026)
        **{code: (2026, None) for code in ("Z11", "Z12", "Z13", "Z14")},
    },
    "PLACE_PROVIDER": {f"PR{i}": (None, None) for i in range(0, 6)},
    "REC": {
        code: (None, None)
        for code in (
            "E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E45", "E46",
            "E47", "E48", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "X1",
        )
    },
    "REASON_PLACE_CHANGE": {
        code: (None, None)
        for code in (
            "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ",
            "PLACE", "CUSTOD", "OTHER",
        )
    },
}  # fmt: skip

#: The header's codes (the DfE's SSDA903 guidance, unchanged over the 2020-21 to 2025-26
#: returns): SEX 1 male, 2 female; ETHNIC the 18 ethnic groups plus refused and not obtained.
SSDA903_HEADER_CODES: dict[str, dict[str, _Window]] = {
    "SEX": {code: (None, None) for code in ("1", "2")},
    "ETHNIC": {
        code: (None, None)
        for code in (
            "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
            "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
        )
    },
}  # fmt: skip


#: Codes LIIA's episode fix writes where it closes or bridges episodes (not DfE codes):
#: accepted with a warning, never counted as a reason the DfE defines.
LIIA_CODES: dict[str, tuple[str, ...]] = {"REC": ("E99",), "REASON_PLACE_CHANGE": ("LIIAF",)}
#: Columns LIIA's tools add to the episodes table (kept, not used).
LIIA_COLUMNS: tuple[str, ...] = ("YEAR_latest", "Episode_source")


def _windows(field: str) -> dict[str, _Window]:
    return SSDA903_CODES.get(field) or SSDA903_HEADER_CODES[field]


def codes_for_year(field: str, year: int) -> frozenset[str]:
    """The SSDA903 codes of ``field`` valid in the return for ``year``."""
    allowed = set()
    for code, (first, last) in _windows(field).items():
        if (first is None or year >= first) and (last is None or year <= last):
            allowed.add(code)
    return frozenset(allowed)


def all_codes(field: str) -> frozenset[str]:
    """Every code ever listed for ``field`` (used when a row's YEAR is itself invalid)."""
    return frozenset(_windows(field))


def invalid_for_year(field: str, codes: pd.Series, years: pd.Series) -> pd.Series:
    """For aligned code and YEAR columns: True where the code is not valid in that year."""
    invalid = pd.Series(False, index=codes.index)
    for year in pd.unique(years.dropna()):
        in_year = years == year
        invalid[in_year] = ~codes[in_year].isin(codes_for_year(field, int(year)))
    return invalid


HOME_GRADES: tuple[str, ...] = (
    "Outstanding",
    "Good",
    "Requires improvement to be good",
    "Inadequate",
)
#: Ofsted provision types that are children's homes (compared without case); other provision
#: types in an all-providers file (fostering agencies, family centres...) are left out.
CHILDRENS_HOME_TYPES: tuple[str, ...] = (
    "Children's home",
    "Secure children's home",
    "Residential special school (registered as a children's home)",
)
REGISTRATION_CATEGORIES: tuple[str, ...] = (
    "Emotional and behavioural difficulties",
    "Mental disorders",
    "Learning disability",
    "Physical disabilities",
    "Sensory impairment",
    "Alcohol misuse",
    "Drug misuse",
)
NEEDED_BY: tuple[str, ...] = ("Today", "Less than 5 days", "More than 5 days")
RESPONSES: tuple[str, ...] = ("Accepted", "Declined", "No response", "Withdrawn")
DECLINE_REASONS: tuple[str, ...] = (
    "Cannot meet needs",
    "Impact on current residents",
    "Risk or inspection concern",
    "No staff available",
    "No vacancy",
    "Insufficient information",
    "Location unsuitable",
    "Other",
)
PROCUREMENT: tuple[str, ...] = ("Framework", "Spot", "Block", "In-house")
SOURCE_TYPES: tuple[str, ...] = (
    "Social worker roundtable",
    "Borough fieldwork",
    "Provider interview",
    "Stakeholder interview",
)
STANCES: tuple[str, ...] = ("Supports", "Contradicts", "Mixed")
RISK_VALUES: dict[str, bool] = {"risk present": True, "no known risk": False}
YES_NO: dict[str, bool] = {"y": True, "yes": True, "n": False, "no": False}
