"""The shape of a hypothesis test's result, shared by the registered hypotheses' notebooks.

``h<N>.json`` = :meth:`HypothesisResult.to_dict`:
``hypothesis, title, verdict, decision_rule, indicators, fieldwork, fieldwork_agreement,
caveats, insufficient`` (the parts that lacked data, with the reason), ``summary`` (plain
language) and ``figures`` (names under ``figures/``, in report order).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from analysis.london_memo import london_level

Verdict = Literal["Supported", "Not supported", "Inconclusive"]
#: The common evidence rule's three words (analysis.evidence_rule, issue 13): the only verdicts.
EVIDENCE_VERDICTS: tuple[str, ...] = ("Supported", "Not supported", "Inconclusive")
VERDICTS: tuple[str, ...] = EVIDENCE_VERDICTS


@dataclass
class Indicator:
    """One estimate behind a verdict.

    ``p_value`` is a frequentist p-value; ``posterior_probability`` is used instead by Bayesian
    indicators. ``supports`` says whether this indicator, by its own declared rule, points
    towards the hypothesis (None when it cannot say).
    """

    name: str
    estimate: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    posterior_probability: float | None = None
    n: int | None = None
    unit: str = ""
    supports: bool | None = None
    note: str = ""
    #: A stable id (``h<N>_<what>``) for indicators other parts of the report look up (the
    #: borough tables: :mod:`analysis.document.borough`); "" for the others, and then not written.
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The indicator as written to ``h<N>.json`` (``id`` only when it has one)."""
        out = asdict(self)
        if not self.id:
            del out["id"]
        return out


@dataclass
class FieldworkSummary:
    """Counts of coded fieldwork statements for a hypothesis, by stance, and its ``themes``.

    ``themes``: one entry per (theme, year, source) with the statements' stances and one
    short quotation (:func:`fieldwork_themes`); the year lets the report tell this year's
    fieldwork from earlier fieldwork (:func:`fieldwork_reading`). The counts span every year
    in the table (the old agreement label, :func:`fieldwork_agreement`, reads them)."""

    supports: int = 0
    contradicts: int = 0
    mixed: int = 0
    themes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.supports + self.contradicts + self.mixed

    def leaning(self) -> str:
        """``supports``/``contradicts``/``mixed``/``none``: the stance with a clear majority."""
        return _leaning(self.supports, self.contradicts, self.mixed)


def _leaning(supports: int, contradicts: int, mixed: int) -> str:
    """The stance held by more statements than the other two together (``mixed`` when none
    is; ``none`` without statements)."""
    if supports + contradicts + mixed == 0:
        return "none"
    if supports > contradicts + mixed:
        return "supports"
    if contradicts > supports + mixed:
        return "contradicts"
    return "mixed"


_YEAR_IN_ID = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def statement_years(fieldwork: pd.DataFrame) -> pd.Series:
    """The year of each coded statement: the year of its ``date`` (the contract's optional
    column: when the statement was gathered); without a date, a four-digit year in its
    ``evidence_id`` (``FW2022-001``); else missing (undated). Caveat: an id's year is a naming
    convention, trusted only when the table has no dates."""
    years = pd.Series(pd.NA, index=fieldwork.index, dtype="Int64")
    if "date" in fieldwork:
        dated = pd.to_datetime(fieldwork["date"], errors="coerce")
        years = dated.dt.year.astype("Int64")
    if "evidence_id" in fieldwork:
        from_id = fieldwork["evidence_id"].astype(str).str.extract(_YEAR_IN_ID)[0]
        years = years.fillna(pd.to_numeric(from_id, errors="coerce").astype("Int64"))
    return years


def fieldwork_themes(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One entry per (theme, year) of one hypothesis's statements: ``theme, year`` (None when
    undated) ``, sources`` (the source types, sorted) ``, statements, supports, contradicts,
    mixed, quote`` (the shortest statement summary, as the table holds it). Sorted by year
    (latest first), then by number of statements."""
    if rows.empty:
        return []

    def col(name: str) -> pd.Series:
        values = rows[name] if name in rows else pd.Series("", index=rows.index)
        return values.fillna("").astype(str).str.strip()

    frame = pd.DataFrame(
        {
            "theme": col("theme").replace("", "(no theme)"),
            "year": statement_years(rows),
            "source": col("source_type"),
            "stance": col("stance").str.lower(),
            "summary": col("summary"),
        }
    )
    out = []
    for (theme, year), g in frame.groupby(["theme", "year"], dropna=False):
        quotes = sorted((q for q in g["summary"] if q), key=lambda q: (len(q), q))
        out.append(
            {
                "theme": theme,
                "year": None if pd.isna(year) else int(year),
                "sources": sorted({s for s in g["source"] if s}),
                "statements": int(len(g)),
                "supports": int((g["stance"] == "supports").sum()),
                "contradicts": int((g["stance"] == "contradicts").sum()),
                "mixed": int((g["stance"] == "mixed").sum()),
                "quote": quotes[0] if quotes else "",
            }
        )
    return sorted(out, key=lambda t: (-(t["year"] or 0), -t["statements"], t["theme"]))


@london_level
def summarise_fieldwork(fieldwork: pd.DataFrame | None, hypothesis: int) -> FieldworkSummary:
    """Count coded statements (``stance`` Supports/Contradicts/Mixed) for one hypothesis, with
    their themes, years and sources (:func:`fieldwork_themes`). The same for every edition:
    memoised by the table's content (:func:`analysis.london_memo.london_level`)."""
    if fieldwork is None or fieldwork.empty:
        return FieldworkSummary()
    rows = fieldwork[pd.to_numeric(fieldwork["hypothesis"], errors="coerce") == hypothesis]
    stance = rows["stance"].astype(str).str.strip().str.lower()
    return FieldworkSummary(
        supports=int((stance == "supports").sum()),
        contradicts=int((stance == "contradicts").sum()),
        mixed=int((stance == "mixed").sum()),
        themes=fieldwork_themes(rows),
    )


def fieldwork_agreement(verdict: str, fieldwork: FieldworkSummary) -> str:
    """Whether the data verdict and the fieldwork agree: ``agree``, ``disagree``, ``partly`` or
    ``no fieldwork`` (every year's statements together; the report reads
    :func:`fieldwork_reading` instead, which keeps the years apart)."""
    lean = fieldwork.leaning()
    if lean == "none":
        return "no fieldwork"
    if verdict == "Inconclusive":
        return "data inconclusive; fieldwork " + lean
    data_supports = verdict == "Supported"
    if lean == "mixed":
        return "partly"
    return "agree" if (lean == "supports") == data_supports else "disagree"


#: The declared rule on what fieldwork may change (``config/fieldwork.yaml`` overrides the
#: numbers; the rule itself is fixed: fieldwork never changes a data verdict).
FIELDWORK_RULE: dict[str, Any] = {"min_statements": 3}


def load_fieldwork_rule(config_dir: Any = None) -> dict[str, Any]:
    """``config/fieldwork.yaml`` (``min_statements``, ``wording``) over :data:`FIELDWORK_RULE`.
    ``may_change_verdict`` is always False whatever the file says: the rule is not editable."""
    from pathlib import Path

    from analysis.paths import CONFIG
    from analysis.yaml_files import read_yaml

    path = Path(config_dir or CONFIG) / "fieldwork.yaml"
    rule = {**FIELDWORK_RULE, **(read_yaml(path) if path.exists() else {})}
    rule["may_change_verdict"] = False
    return rule


def fieldwork_reading(
    verdict: str,
    fieldwork: dict[str, Any] | None,
    data_year: int,
    rule: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fieldwork of one hypothesis read beside its data verdict for the snapshot year
    ``data_year`` (``fieldwork``: the ``fieldwork`` record of ``h<N>.json``).

    Statements from ``data_year`` are *this year's fieldwork*; from an earlier year, *earlier
    fieldwork* (the latest earlier year's statements are read when there are none this year);
    later or undated statements are listed but never read. The reading is the stance held by
    more statements than the other two together, else ``mixed``; fewer than
    ``rule['min_statements']`` statements give ``too few statements``.

    What the reading may do (the declared rule, docs/assumptions.md): it never changes the data
    verdict; beside a Supported or Not supported verdict it ``agrees`` or ``disagrees`` (a
    disagreement is flagged for review: the data and the accounts need looking at again); beside
    an Inconclusive verdict it ``suggests`` where to look, and settles nothing.

    Returns ``{period, label, year, statements, leaning, relation, flag, themes, not_read}``;
    ``themes`` are those read (see :func:`fieldwork_themes`). Caveat: the stance counts are
    coded statements, not people: one voice repeated counts each time."""
    rule = {**FIELDWORK_RULE, **(rule or {})}
    themes = list((fieldwork or {}).get("themes") or [])
    current = [t for t in themes if t.get("year") == data_year]
    earlier = [t for t in themes if t.get("year") is not None and t["year"] < data_year]
    not_read = [t for t in themes if t not in current and t not in earlier]
    if current:
        period, year, read = "this year", data_year, current
        not_read = earlier + not_read
    elif earlier:
        year = max(t["year"] for t in earlier)
        period, read = "earlier", [t for t in earlier if t["year"] == year]
        not_read += [t for t in earlier if t["year"] != year]
    else:
        period, year, read = "none", None, []
    count = sum(int(t["statements"]) for t in read)
    if period == "none":
        label = "no fieldwork" if not themes else "no fieldwork from this year or before"
    elif period == "this year":
        label = f"fieldwork of {year}"
    else:
        label = f"earlier fieldwork ({year})"
    if count == 0:
        leaning = "none"
    elif count < int(rule["min_statements"]):
        leaning = "too few statements"
    else:
        leaning = _leaning(
            *(sum(int(t[k]) for t in read) for k in ("supports", "contradicts", "mixed"))
        )
    decided = verdict in ("Supported", "Not supported")
    if leaning in ("none", "too few statements"):
        relation = "nothing to read" if leaning == "none" else "too few statements to read"
    elif leaning == "mixed":
        relation = "mixed: neither confirms nor questions the data"
    elif not decided:
        relation = "suggests where to look; settles nothing"
    elif (leaning == "supports") == (verdict == "Supported"):
        relation = "agrees"
    else:
        relation = "disagrees: flagged for review"
    return {
        "period": period,
        "label": label,
        "year": year,
        "statements": count,
        "leaning": leaning,
        "relation": relation,
        "flag": relation.startswith("disagrees"),
        "themes": read,
        "not_read": not_read,
    }


def hypothesis_key(hypothesis: int) -> str:
    """``h<N>``: the one name of hypothesis N's files (``results/h<N>.json``, chapter ``h<N>.qmd``,
    section ``#sec-h<N>``, figures ``h<N>_*``)."""
    return f"h{int(hypothesis)}"


def registered_title(hypothesis: int) -> str:
    """The title of ``hypothesis`` in the project's registry ("" when it is not registered there;
    :meth:`analysis.hypotheses.registry.Hypothesis.evaluate` sets the title of any registry's)."""
    from analysis.hypotheses.registry import get

    try:
        return get(hypothesis).title
    except KeyError:
        return ""


@dataclass
class HypothesisResult:
    hypothesis: int
    verdict: str
    decision_rule: str
    indicators: list[Indicator] = field(default_factory=list)
    fieldwork: FieldworkSummary = field(default_factory=FieldworkSummary)
    caveats: list[str] = field(default_factory=list)
    insufficient: list[str] = field(default_factory=list)
    title: str = ""
    #: One or two plain-language sentences for a director: what the data shows.
    summary: str = ""
    #: Figure names (``figures/<name>.png``) in the order the report shows them.
    figures: list[str] = field(default_factory=list)
    #: The common evidence rule's record (:func:`analysis.hypotheses.evidence.evidence_verdict`):
    #: each part's estimate, interval, smallest effect and verdict; None under the old rule.
    evidence: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}")
        if not self.title:
            self.title = registered_title(self.hypothesis)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "title": self.title,
            "verdict": self.verdict,
            "decision_rule": self.decision_rule,
            "indicators": [i.to_dict() for i in self.indicators],
            "fieldwork": {**asdict(self.fieldwork), "leaning": self.fieldwork.leaning()},
            "fieldwork_agreement": fieldwork_agreement(self.verdict, self.fieldwork),
            "caveats": list(self.caveats),
            "insufficient": list(self.insufficient),
            "summary": self.summary,
            "figures": list(self.figures),
            **({"evidence": self.evidence} if self.evidence is not None else {}),
        }
