"""The contract's checks on canonical tables; each returns a list of :class:`Problem`.

Single-table value checks run through the pandera schemas (``lazy=True``: every failure
collected); checks across columns or tables (codes by YEAR, URNs known, cost totals, the
snapshot year) are plain functions here.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from analysis.contract import codes
from analysis.contract.problems import ERROR, WARNING, Problem, cell_text
from analysis.contract.schemas import TABLE_SPECS, pandera_schema
from analysis.snapshot import open_episodes, snapshot_date

#: tolerance (pounds per week) for total_weekly_cost against the sum of its parts.
COST_TOLERANCE = 1.0
COST_PARTS = (
    "core_weekly_cost",
    "additional_support_weekly_cost",
    "education_weekly_cost",
    "other_weekly_cost",
)


def _as_row(index_value: object) -> int | None:
    try:
        return None if pd.isna(index_value) else int(index_value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _readable_check(check: object) -> str:
    text = str(check)
    if text == "not_nullable":
        return "must not be blank"
    if text.startswith("isin("):
        return "not an allowed value"
    if text.startswith("dtype("):
        return f"wrong type ({text})"
    if text == "greater_than_or_equal_to(0)":
        return "must not be negative"
    at_least = re.fullmatch(r"greater_than_or_equal_to\((.+)\)", text)
    if at_least:
        return f"must be {at_least.group(1)} or more"
    in_range = re.match(r"in_range\((.+), (.+)\)", text)
    if in_range:
        return f"must be between {in_range.group(1)} and {in_range.group(2)}"
    return text


def schema_problems(table: str, frame: pd.DataFrame) -> list[Problem]:
    """Run the table's pandera schema lazily; one Problem per failure (duplicate keys once per row)."""
    schema = pandera_schema(table, tuple(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _failure_cases_to_problems(table, frame, exc.failure_cases)
    return []


def _failure_cases_to_problems(
    table: str, frame: pd.DataFrame, cases: pd.DataFrame
) -> list[Problem]:
    problems: list[Problem] = []
    key = [k for k in TABLE_SPECS[table].key + TABLE_SPECS[table].optional_key if k in frame]
    duplicates = cases[cases["check"].astype(str).str.contains("uniqueness", na=False)]
    for row in pd.unique(duplicates["index"].dropna()):
        values = " / ".join(cell_text(frame.at[row, k]) for k in key) if row in frame.index else ""
        problems.append(
            Problem(
                table,
                _as_row(row),
                "+".join(key),
                values,
                f"duplicate key ({', '.join(key)}): the same key appears on another row",
            )
        )
    others = cases.drop(index=duplicates.index)
    for case in others.itertuples(index=False):
        problems.append(
            Problem(
                table,
                _as_row(case.index),
                str(case.column),
                cell_text(case.failure_case),
                _readable_check(case.check),
            )
        )
    return problems


def ssda_year_code_problems(episodes: pd.DataFrame) -> list[Problem]:
    """Codes that exist in SSDA903 but not in the return for the row's YEAR (e.g. K3 before 2025)."""
    problems: list[Problem] = []
    if "YEAR" not in episodes:
        return problems
    for field in codes.SSDA903_CODES:
        if field not in episodes:
            continue
        rows = episodes[episodes[field].notna() & episodes["YEAR"].notna()]
        rows = rows[rows[field].isin(codes.all_codes(field))]  # LIIA codes: liia_code_problems
        if rows.empty:
            continue
        bad = codes.invalid_for_year(field, rows[field], rows["YEAR"])
        for row, code, year in rows.loc[bad, [field, "YEAR"]].itertuples():
            problems.append(
                Problem(
                    "episodes",
                    int(row),
                    field,
                    str(code),
                    f"code not valid in the SSDA903 return for YEAR {year}",
                )
            )
    return problems


def header_code_problems(header: pd.DataFrame) -> list[Problem]:
    """``SEX`` and ``ETHNIC`` codes not in the DfE's SSDA903 lists for the row's return year
    (``YEAR``; every listed code when it is missing): one warning per field and code, with
    the count and the first row. The row is kept: the ethnicity analysis reads an unknown
    code by its first letter (``analysis.placements.diversity``), nothing reads ``SEX``."""
    problems: list[Problem] = []
    for field in codes.SSDA903_HEADER_CODES:
        if field not in header:
            continue
        values = header[field].dropna().astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        values = values[values != ""]
        if "YEAR" in header:
            years = pd.to_numeric(header.loc[values.index, "YEAR"], errors="coerce")
            known = years.notna()
            bad = pd.Series(False, index=values.index)
            bad[known] = codes.invalid_for_year(field, values[known], years[known])
            bad[~known] = ~values[~known].isin(codes.all_codes(field))
        else:
            bad = ~values.isin(codes.all_codes(field))
        for code, rows in values[bad].groupby(values[bad], sort=True).groups.items():
            problems.append(
                Problem(
                    "header",
                    int(rows[0]),
                    field,
                    str(code),
                    f"{len(rows)} row(s) with a code not in the DfE's SSDA903 {field} list for "
                    "their return year: kept",
                    WARNING,
                )
            )
    return problems


def episode_date_problems(episodes: pd.DataFrame) -> list[Problem]:
    """An episode cannot end before it starts (``DEC < DECOM``)."""
    if not {"DECOM", "DEC"} <= set(episodes.columns):
        return []
    bad = (
        episodes["DEC"].notna() & episodes["DECOM"].notna() & (episodes["DEC"] < episodes["DECOM"])
    )
    return [
        Problem(
            "episodes", int(row), "DEC", value.strftime("%d/%m/%Y"), "episode ends before DECOM"
        )
        for row, value in episodes.loc[bad, "DEC"].items()
    ]


def liia_code_problems(episodes: pd.DataFrame) -> list[Problem]:
    """One warning per LIIA code used (``REC = E99``, ``REASON_PLACE_CHANGE = LIIAF``, written
    by LIIA's episode fix): accepted, but not a DfE code; the count and the first row."""
    problems: list[Problem] = []
    for field, liia in codes.LIIA_CODES.items():
        if field not in episodes:
            continue
        rows = episodes.index[episodes[field].isin(liia)]
        if len(rows):
            problems.append(
                Problem(
                    "episodes",
                    int(rows[0]),
                    field,
                    "/".join(liia),
                    f"{len(rows)} row(s) carry LIIA's episode-fix code (not a DfE code): accepted",
                    WARNING,
                )
            )
    return problems


CHILDRENS_HOME_PLACEMENTS = frozenset({"K2"})
NO_URN = "XXXXXXX"


def episode_urn_problems(episodes: pd.DataFrame, homes: pd.DataFrame | None) -> list[Problem]:
    """URNs the way the DfE return uses them: only children's-home (K2) placements need their
    home in ``homes``; other placement types (agencies, schools, secure homes) and ``XXXXXXX``
    are fine. A K2 URN not in ``homes`` (a home since closed, or outside the file) is a warning:
    the placement's LA then comes from its ``PL_POST`` sector."""
    if homes is None or "URN" not in episodes or "urn" not in homes or "PLACE" not in episodes:
        return []
    known = set(homes["urn"].dropna())
    k2 = episodes["PLACE"].isin(CHILDRENS_HOME_PLACEMENTS)
    bad = k2 & episodes["URN"].notna() & (episodes["URN"] != NO_URN)
    bad &= ~episodes["URN"].isin(known)
    no_post = bad & (episodes["PL_POST"].isna() if "PL_POST" in episodes else True)
    rule = "children's home URN not in homes (closed, or outside the file): LA from PL_POST"
    return [
        Problem(
            "episodes",
            int(row),
            "URN",
            str(urn),
            rule
            + (" - PL_POST is blank, so the placement's LA is unknown" if no_post[row] else ""),
            WARNING,
        )
        for row, urn in episodes.loc[bad, "URN"].items()
    ]


def urn_problems(
    table: str, frame: pd.DataFrame, homes: pd.DataFrame | None, severity: str = ERROR
) -> list[Problem]:
    """Non-blank URNs of ``table`` that are not in ``homes``."""
    if homes is None or "URN" not in frame or "urn" not in homes:
        return []
    known = set(homes["urn"].dropna())
    bad = frame["URN"].notna() & ~frame["URN"].isin(known)
    return [
        Problem(table, int(row), "URN", str(urn), "URN not found in homes", severity)
        for row, urn in frame.loc[bad, "URN"].items()
    ]


def childrens_homes_only(homes: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Keep the children's homes of an Ofsted file: provision type compared without case,
    apostrophes or spaces (the file's "Children's Home" and a curly apostrophe both become
    "Children's home"); rows of other provision types
    (an all-providers release) are left out, with a warning per type. Blank types are kept."""
    if "provision_type" not in homes:
        return homes, []

    def letters(text: pd.Series | str) -> pd.Series | str:  # case, apostrophes, spaces ignored
        if isinstance(text, str):
            return re.sub(r"[^a-z]", "", text.casefold())
        return text.str.casefold().str.replace(r"[^a-z]", "", regex=True)

    canonical = {letters(t): t for t in codes.CHILDRENS_HOME_TYPES}
    key = letters(homes["provision_type"])
    mapped = key.map(canonical)
    out = homes.assign(provision_type=mapped.fillna(homes["provision_type"]).astype("str"))
    other = homes["provision_type"].notna() & mapped.isna()
    problems = [
        Problem(
            "homes",
            int(homes.index[other & (homes["provision_type"] == kind)][0]),
            "Provision type",
            str(kind),
            f"{int(n)} row(s) of a provision type that is not a children's home: left out",
            WARNING,
        )
        for kind, n in homes.loc[other, "provision_type"].value_counts().sort_index().items()
    ]
    return out[~other], problems


def home_la_problems(homes: pd.DataFrame) -> list[Problem]:
    """Homes whose ``local_authority`` is not an English LA the reference knows."""
    if "la_ons_code" not in homes:
        return []
    bad = homes["local_authority"].notna() & homes["la_ons_code"].isna()
    return [
        Problem(
            "homes",
            int(row),
            "Local authority",
            str(name),
            "not an English local authority (see data/reference/english_las.csv)",
        )
        for row, name in homes.loc[bad, "local_authority"].items()
    ]


def cost_total_problems(costs: pd.DataFrame) -> list[Problem]:
    """``total_weekly_cost`` must equal the sum of the parts (blank parts count as 0), within £1."""
    parts = [c for c in COST_PARTS if c in costs]
    if "total_weekly_cost" not in costs or not parts:
        return []
    total = costs["total_weekly_cost"]
    summed = costs[parts].fillna(0).sum(axis=1)
    bad = total.notna() & ((total - summed).abs() > COST_TOLERANCE)
    return [
        Problem(
            "costs",
            int(row),
            "total_weekly_cost",
            f"{total[row]:g}",
            f"does not equal the sum of the cost parts ({summed[row]:g})",
        )
        for row in costs.index[bad]
    ]


def referral_consistency_problems(referrals: pd.DataFrame) -> list[Problem]:
    """A decline reason only on declined referrals (warning) and declined ones should give one."""
    if not {"response", "decline_reason"} <= set(referrals.columns):
        return []
    declined = referrals["response"] == "Declined"
    has_reason = referrals["decline_reason"].notna()
    problems = [
        Problem(
            "referrals",
            int(row),
            "decline_reason",
            str(v),
            "decline reason given but the response is not Declined",
            WARNING,
        )
        for row, v in referrals.loc[~declined & has_reason, "decline_reason"].items()
    ]
    problems += [
        Problem(
            "referrals",
            int(row),
            "decline_reason",
            "",
            "response is Declined but no decline reason is given",
            WARNING,
        )
        for row in referrals.index[declined & ~has_reason]
    ]
    return problems


def snapshot_year_problems(episodes: pd.DataFrame, year: int | None) -> list[Problem]:
    """The snapshot year (requested, else the latest return ``YEAR``) must have an episode open
    on its 31 March, by the dates; so must the year before it when the data reach back to it
    (the "what changed" chapter compares with it; a warning, the build then leaves that chapter
    out). Each problem names the year."""
    if not {"DECOM", "DEC", "YEAR"} <= set(episodes.columns) or episodes["YEAR"].isna().all():
        return []
    first, last = int(episodes["YEAR"].min()), int(episodes["YEAR"].max())
    target = year if year is not None else last
    problems: list[Problem] = []
    checks = [(target, ERROR)]
    if first <= target - 1:  # no previous year: the build leaves "what changed" out
        checks.append((target - 1, WARNING))
    for snapshot_year, severity in checks:
        if not first <= snapshot_year <= last:
            problems.append(
                Problem(
                    "episodes",
                    None,
                    "YEAR",
                    str(snapshot_year),
                    f"no return for YEAR {snapshot_year} (returns present: {first}-{last})",
                    severity,
                )
            )
        else:
            date = snapshot_date(snapshot_year).strftime("%d/%m/%Y")
            still_open = open_episodes(episodes, snapshot_year)
            if still_open.empty:
                rule = (
                    f"year {snapshot_year} cannot be reported: no episode open on {date} "
                    "(DECOM on or before it, DEC blank or after)"
                )
            elif "PLACE" in still_open and not still_open["PLACE"].eq("K2").any():
                rule = (
                    f"year {snapshot_year} cannot be reported: no child in a children's home "
                    f"(PLACE K2) on {date}"
                )
            else:
                continue
            problems.append(Problem("episodes", None, "DECOM", str(snapshot_year), rule, severity))
    return problems


def resent_episode_problems(dropped: int) -> list[Problem]:
    """A note (warning) of how many re-sent episodes were resolved to their latest return."""
    if not dropped:
        return []
    return [
        Problem(
            "episodes",
            None,
            "CHILD+DECOM",
            str(dropped),
            f"{dropped} episode row(s) re-sent in a later return (same CHILD and DECOM): "
            "the latest return's row is used",
            WARNING,
        )
    ]
