"""The shape of a hypothesis test's result, shared by the registered hypotheses' notebooks.

``h<N>.json`` = :meth:`HypothesisResult.to_dict`:
``hypothesis, title, verdict, decision_rule, indicators, fieldwork, fieldwork_agreement,
caveats, insufficient`` (the parts that lacked data, with the reason), ``summary`` (plain
language) and ``figures`` (names under ``figures/``, in report order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

Verdict = Literal[
    "Supported", "Not supported", "Inconclusive", "Partly supported", "Insufficient data"
]
#: The common evidence rule's three words (analysis.evidence_rule, issue 13).
EVIDENCE_VERDICTS: tuple[str, ...] = ("Supported", "Not supported", "Inconclusive")
#: The old rule's words, accepted until the last evaluator has moved to the evidence rule.
LEGACY_VERDICTS: tuple[str, ...] = ("Partly supported", "Insufficient data")
VERDICTS: tuple[str, ...] = EVIDENCE_VERDICTS + LEGACY_VERDICTS


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
    """Counts of coded fieldwork statements for a hypothesis, by stance."""

    supports: int = 0
    contradicts: int = 0
    mixed: int = 0

    @property
    def total(self) -> int:
        return self.supports + self.contradicts + self.mixed

    def leaning(self) -> str:
        """``supports``/``contradicts``/``mixed``/``none``: the stance with a clear majority."""
        if self.total == 0:
            return "none"
        if self.supports > self.contradicts + self.mixed:
            return "supports"
        if self.contradicts > self.supports + self.mixed:
            return "contradicts"
        return "mixed"


def summarise_fieldwork(fieldwork: pd.DataFrame | None, hypothesis: int) -> FieldworkSummary:
    """Count coded statements (``stance`` Supports/Contradicts/Mixed) for one hypothesis."""
    if fieldwork is None or fieldwork.empty:
        return FieldworkSummary()
    rows = fieldwork[pd.to_numeric(fieldwork["hypothesis"], errors="coerce") == hypothesis]
    stance = rows["stance"].astype(str).str.strip().str.lower()
    return FieldworkSummary(
        supports=int((stance == "supports").sum()),
        contradicts=int((stance == "contradicts").sum()),
        mixed=int((stance == "mixed").sum()),
    )


def fieldwork_agreement(verdict: str, fieldwork: FieldworkSummary) -> str:
    """Whether the data verdict and the fieldwork agree: ``agree``, ``disagree``, ``partly`` or
    ``no fieldwork``."""
    lean = fieldwork.leaning()
    if lean == "none":
        return "no fieldwork"
    if verdict == "Insufficient data":
        return "data insufficient; fieldwork " + lean
    if verdict == "Inconclusive":
        return "data inconclusive; fieldwork " + lean
    data_supports = verdict in ("Supported", "Partly supported")
    if lean == "mixed" or verdict == "Partly supported":
        return "partly"
    return "agree" if (lean == "supports") == data_supports else "disagree"


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
