"""Every table of the data contract: its columns (file spelling -> canonical name, kind, required)
and a pandera schema checking the canonical, typed table.

``TABLE_SPECS`` is the single description of the contract used by the reader, the normaliser
and the validator; ``pandera_schema(table)`` builds the value checks (allowed values, ranges,
non-null keys, duplicate keys) that run with ``lazy=True`` so that every failure is reported.
Checks that depend on another column or table (SSDA903 codes by ``YEAR``, URNs present in
``homes``, cost totals) live in :mod:`analysis.contract.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandera.pandas as pa

from analysis.contract import codes


@dataclass(frozen=True)
class ColumnSpec:
    """One column: canonical name, how its text is parsed, whether the file must have it.

    ``kind`` is one of ``id, text, code, date, int, float, share, yn, risk, la, la_optional,
    urn, postcode, enum, grade``. ``aliases`` are other accepted headings (matched ignoring
    case and spaces); ``allowed`` lists the values of an ``enum``/``code`` column.
    """

    name: str
    kind: str = "text"
    required: bool = True
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    nullable: bool = True


@dataclass(frozen=True)
class TableSpec:
    """A table: its columns, the key that must be unique, and headings ignored if present."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    #: key columns used only when the file has them (e.g. YEAR in needs/costs).
    optional_key: tuple[str, ...] = field(default=())

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _ssda_code(name: str, *, nullable: bool = True) -> ColumnSpec:
    allowed = codes.all_codes(name) | set(codes.LIIA_CODES.get(name, ()))
    return ColumnSpec(name, "code", allowed=tuple(sorted(allowed)), nullable=nullable)


_RISKS = (
    "risk_criminal_exploitation",
    "risk_sexual_exploitation",
    "risk_missing",
    "risk_self_harm",
    "risk_to_others",
    "risk_drug_alcohol",
)
_NEEDS_YN = (
    "mental_health_need",
    "mental_health_inpatient_stepdown",
    "deprivation_of_liberty",
    "solo_placement_recommended",
    "ehcp",
    "late_entry_to_care",
    "uasc",
)
#: The needs table's flag columns (risks, then yes/no needs), in the contract's order.
NEED_FLAGS: tuple[str, ...] = _RISKS + _NEEDS_YN
_COSTS = (
    "core_weekly_cost",
    "additional_support_weekly_cost",
    "education_weekly_cost",
    "other_weekly_cost",
    "total_weekly_cost",
)

TABLE_SPECS: dict[str, TableSpec] = {
    "episodes": TableSpec(
        "episodes",
        (
            ColumnSpec("CHILD", "id", nullable=False),
            ColumnSpec("DECOM", "date", nullable=False),
            _ssda_code("RNE"),
            _ssda_code("LS"),
            _ssda_code("CIN"),
            _ssda_code("PLACE", nullable=False),
            _ssda_code("PLACE_PROVIDER"),
            ColumnSpec("DEC", "date"),
            _ssda_code("REC"),
            _ssda_code("REASON_PLACE_CHANGE"),
            ColumnSpec("HOME_POST", "postcode"),
            ColumnSpec("PL_POST", "postcode"),
            ColumnSpec("URN", "urn"),
            ColumnSpec("LA", "la", nullable=False),
            ColumnSpec("YEAR", "int", nullable=False),
            ColumnSpec("PL_LA", "code", required=False),
            ColumnSpec("PL_LOCATION", "enum", required=False, allowed=("IN", "OUT")),
            ColumnSpec("PL_DISTANCE", "float", required=False),
        ),
        key=("CHILD", "DECOM", "YEAR"),
    ),
    "header": TableSpec(
        "header",
        (
            ColumnSpec("CHILD", "id", nullable=False),
            ColumnSpec("SEX", "code"),
            ColumnSpec("DOB", "date"),
            ColumnSpec("ETHNIC", "code"),
            ColumnSpec("LA", "la", nullable=False),
            ColumnSpec("YEAR", "int", nullable=False),
        ),
        key=("CHILD", "YEAR"),
        ignored=("UPN", "MOTHER", "MC_DOB"),
    ),
    "homes": TableSpec(
        "homes",
        (
            ColumnSpec("urn", "urn", aliases=("URN",), nullable=False),
            ColumnSpec("provision_type", aliases=("Provision type",)),
            ColumnSpec("local_authority", aliases=("Local authority",), nullable=False),
            ColumnSpec("sector", aliases=("Sector",)),
            ColumnSpec("places", "int", aliases=("Places",)),
            ColumnSpec("registration_status", aliases=("Registration status",)),
            ColumnSpec(
                "grade",
                "grade",
                aliases=("Overall experiences and progress of children and young people",),
                allowed=codes.HOME_GRADES,
            ),
            ColumnSpec("latest_inspection_date", "date", aliases=("Latest full inspection date",)),
            ColumnSpec("owner", aliases=("Organisation which owns the provider",)),
        ),
        key=("urn",),
    ),
    "home_registrations": TableSpec(
        "home_registrations",
        (
            ColumnSpec("URN", "urn", nullable=False),
            ColumnSpec("category", "enum", allowed=codes.REGISTRATION_CATEGORIES, nullable=False),
        ),
        key=("URN", "category"),
    ),
    "home_staffing": TableSpec(
        "home_staffing",
        (
            ColumnSpec("URN", "urn", nullable=False),
            ColumnSpec("snapshot_date", "date"),
            ColumnSpec("registered_places", "float"),
            ColumnSpec("places_available", "float"),
            ColumnSpec("places_unavailable_staffing", "float"),
            ColumnSpec("staff_vacancies_fte", "float"),
            ColumnSpec("staff_establishment_fte", "float"),
            ColumnSpec("staff_leavers_12m", "float"),
        ),
        key=("URN",),
        optional_key=("snapshot_date",),
    ),
    "needs": TableSpec(
        "needs",
        (
            ColumnSpec("CHILD", "id", nullable=False),
            ColumnSpec("LA", "la", nullable=False),
            *(ColumnSpec(r, "risk") for r in _RISKS),
            *(ColumnSpec(n, "yn") for n in _NEEDS_YN),
            ColumnSpec("YEAR", "int", required=False),
        ),
        key=("CHILD",),
        optional_key=("YEAR",),
    ),
    "referrals": TableSpec(
        "referrals",
        (
            ColumnSpec("referral_id", "id", nullable=False),
            ColumnSpec("CHILD", "id", nullable=False),
            ColumnSpec("LA", "la", nullable=False),
            ColumnSpec("URN", "urn"),
            ColumnSpec("referral_date", "date"),
            ColumnSpec("needed_by", "enum", allowed=codes.NEEDED_BY),
            ColumnSpec("response", "enum", allowed=codes.RESPONSES),
            ColumnSpec("decline_reason", "enum", allowed=codes.DECLINE_REASONS),
            ColumnSpec("profile_strengths_based", "yn"),
            ColumnSpec("profile_completeness", "share"),
        ),
        key=("referral_id",),
    ),
    "costs": TableSpec(
        "costs",
        (
            ColumnSpec("CHILD", "id", nullable=False),
            ColumnSpec("LA", "la", nullable=False),
            ColumnSpec("URN", "urn"),
            ColumnSpec("placement_start", "date"),
            *(ColumnSpec(c, "float") for c in _COSTS),
            ColumnSpec("procurement", "enum", allowed=codes.PROCUREMENT),
            ColumnSpec("YEAR", "int", required=False),
        ),
        key=("CHILD",),
        optional_key=("YEAR",),
    ),
    "fieldwork": TableSpec(
        "fieldwork",
        (
            ColumnSpec("evidence_id", "id", nullable=False),
            ColumnSpec("source_type", "enum", allowed=codes.SOURCE_TYPES),
            ColumnSpec("LA", "la_optional"),
            ColumnSpec("hypothesis", "int"),
            ColumnSpec("stance", "enum", allowed=codes.STANCES),
            ColumnSpec("theme"),
            ColumnSpec("summary"),
            # When the statement was gathered (optional; the report reads its year).
            ColumnSpec("date", "date", required=False),
        ),
        key=("evidence_id",),
    ),
    "boroughs": TableSpec(
        "boroughs",
        (
            ColumnSpec("la_name", nullable=False),
            ColumnSpec("dfe_code", nullable=False),
            ColumnSpec("ons_code", nullable=False),
            ColumnSpec("inner_outer", "enum", allowed=("Inner", "Outer")),
            ColumnSpec("subregion"),
        ),
        key=("la_name",),
    ),
}

_DTYPES: dict[str, object] = {
    "id": str,
    "text": str,
    "code": str,
    "urn": str,
    "postcode": str,
    "enum": str,
    "grade": str,
    "la": str,
    "la_optional": str,
    "date": "datetime64[ns]",
    "int": "Int64",
    "float": float,
    "share": float,
    "yn": "boolean",
    "risk": "boolean",
}


def _checks(spec: ColumnSpec) -> list[pa.Check]:
    """Value checks of one column (rule text is made readable in :mod:`analysis.contract.rules`)."""
    checks: list[pa.Check] = []
    if spec.kind in {"enum", "code", "grade"} and spec.allowed:
        checks.append(pa.Check.isin(list(spec.allowed)))
    if spec.kind == "float" or spec.name == "places":
        checks.append(pa.Check.ge(0))
    if spec.kind == "share":
        checks.append(pa.Check.in_range(0, 1))
    if spec.name == "hypothesis":  # any hypothesis id: the registry says which are counted
        checks.append(pa.Check.ge(1))
    if spec.name == "YEAR":
        checks.append(pa.Check.in_range(2000, 2100))
    return checks


@cache
def pandera_schema(table: str, columns: tuple[str, ...]) -> pa.DataFrameSchema:
    """The pandera schema of a canonical table, for the columns it actually has.

    Unique keys include the optional key columns only when present (``needs`` keyed on CHILD,
    or CHILD+YEAR when the file carries YEAR).
    """
    spec = TABLE_SPECS[table]
    schema_columns = {
        c.name: pa.Column(
            _DTYPES[c.kind], checks=_checks(c), nullable=c.nullable, required=False, coerce=False
        )
        for c in spec.columns
        if c.name in columns
    }
    key = [k for k in spec.key + spec.optional_key if k in columns]
    unique = key if key and set(spec.key) <= set(columns) else None
    return pa.DataFrameSchema(schema_columns, unique=unique, strict=False)
