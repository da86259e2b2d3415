"""The common evidence rule: one way to read an estimate, for every hypothesis (issue 13).

Each testable part of a hypothesis gives an estimate of an effect on a scale where 0 means "no
effect" (a log odds ratio, a log cost ratio, a difference of shares, Cliff's delta...), its
two-sided 95% interval, the direction the hypothesis predicts (+1 or -1) and a declared
*smallest effect of interest* ``s > 0`` (``config/decision_rules/h<N>.yaml``, key ``evidence``,
with the reason for its size; docs/assumptions.md). Writing ``d`` for the direction and reading
every number as ``d * x`` (so the hypothesis predicts positive values):

- **Supported** when the interval excludes no effect (its lower end > 0) AND the estimate
  reaches the smallest effect of interest (estimate >= s);
- **Not supported** when the interval lies inside ``(-s, +s)`` (equivalence: any effect there
  is smaller than matters), or lies wholly below 0 (the effect runs the other way: no value the
  hypothesis predicts is left; this clause is an addition to the issue's wording, stated here);
- otherwise **Inconclusive**, with a sentence saying what would settle it: how many times the
  present data (if the interval narrows as one over the square root of the sample size) would
  make the interval narrow enough to exclude no effect, or to show equivalence, were the
  estimate to stay where it is.

Parts combine by a declared **symmetric** rule on the order ``Not supported < Inconclusive <
Supported``: ``all`` (every part is needed: the verdict is the lowest part's; one part shown
absent makes the hypothesis Not supported) or ``any`` (any one part suffices: the highest
part's). Both are minima or maxima, so the order of the parts never matters, and one holding
and one failing part give the same verdict whichever is which. A part that could not be
tested (no data) counts as Inconclusive.

Every hypothesis's verdict is given by this rule: each statistics module passes its parts'
estimates to :func:`analysis.hypotheses.evidence.evidence_verdict`, which reads the parts its
rules file declares. Caveat: the "times the data" figure assumes the interval narrows as
1/sqrt(n) and the estimate does not move; it is a planning guide, not a promise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

SUPPORTED = "Supported"
NOT_SUPPORTED = "Not supported"
INCONCLUSIVE = "Inconclusive"
#: The three words, in order (the combination rules are the minimum / maximum of this order).
EVIDENCE_VERDICTS: tuple[str, ...] = (NOT_SUPPORTED, INCONCLUSIVE, SUPPORTED)
_RANK = {v: i for i, v in enumerate(EVIDENCE_VERDICTS)}

#: The report's plain explanation of the three words (printed once).
PLAIN_WORDS: dict[str, str] = {
    SUPPORTED: (
        "the data show an effect in the direction the hypothesis predicts, and it is at least "
        "as large as the smallest effect that would matter"
    ),
    NOT_SUPPORTED: (
        "the data rule out any effect as large as the smallest that would matter (or show the "
        "effect runs the other way)"
    ),
    INCONCLUSIVE: (
        "the data cannot tell yet: the range of plausible effects includes both no effect (or "
        "too small an effect) and one that would matter"
    ),
}

Combine = Literal["all", "any"]


@dataclass(frozen=True)
class PartEvidence:
    """One testable part: an estimate on a scale where 0 is no effect, its two-sided 95%
    interval, the predicted ``direction`` (+1 / -1) and the smallest effect of interest
    (``smallest``, > 0, same scale). ``n`` (optional): the sample size behind it, for the
    "what would settle it" sentence; ``unit`` names what ``n`` counts."""

    name: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    smallest: float
    direction: int = 1
    n: int | None = None
    unit: str = "observations"

    def signed(self) -> tuple[float, float, float] | None:
        """(estimate, low, high) multiplied by the direction, so the hypothesis predicts > 0;
        None when any is missing or not finite."""
        vals = (self.estimate, self.ci_low, self.ci_high)
        if any(v is None or not math.isfinite(float(v)) for v in vals):
            return None
        d = 1 if self.direction >= 0 else -1
        est, lo, hi = (d * float(v) for v in vals)  # type: ignore[arg-type]
        return est, min(lo, hi), max(lo, hi)


@dataclass(frozen=True)
class PartVerdict:
    """The verdict on one part and, when Inconclusive, what would settle it."""

    name: str
    verdict: str
    reason: str
    #: times the present data needed to settle it (None: not Inconclusive, or cannot say)
    data_factor: float | None = None
    #: what would settle it, one sentence (:func:`settle_sentence`; "" unless Inconclusive
    #: with an estimate); ``reason`` ends with it
    settle: str = ""


def classify(
    estimate: float, low: float, high: float, smallest: float
) -> Literal["Supported", "Not supported", "Inconclusive"]:
    """The rule on direction-signed numbers (the hypothesis predicts > 0): Supported when
    ``low > 0`` and ``estimate >= smallest``; Not supported when ``-smallest < low`` and
    ``high < smallest`` (equivalence) or ``high < 0`` (the other way); else Inconclusive."""
    if smallest <= 0:
        raise ValueError("the smallest effect of interest must be positive")
    if low > 0 and estimate >= smallest:
        return SUPPORTED
    if (-smallest < low and high < smallest) or high < 0:
        return NOT_SUPPORTED
    return INCONCLUSIVE


def data_factor(estimate: float, low: float, high: float, smallest: float) -> float | None:
    """How many times the present sample would narrow the interval enough to decide, if the
    half-width shrinks as 1/sqrt(n) and the estimate stays put (direction-signed numbers).

    Estimate >= smallest: the half-width must fall below the estimate (to exclude 0).
    |estimate| < smallest: it must fall below ``smallest - |estimate|`` (equivalence).
    Estimate <= -smallest: below ``|estimate|`` (to show the effect runs the other way).
    None at the boundary (an estimate exactly at the smallest effect cannot be settled by more
    data alone) or when the interval has no width."""
    half = (high - low) / 2.0
    if half <= 0:
        return None
    if estimate >= smallest or estimate <= -smallest:
        target = abs(estimate)
    else:
        target = smallest - abs(estimate)
    if target <= 0:
        return None
    return max(1.0, (half / target) ** 2)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def settle_sentence(part: PartEvidence, factor: float | None, estimate: float) -> str:
    """What would settle an Inconclusive part, in one sentence."""
    if factor is None:
        return (
            f"The estimate sits at the smallest effect of interest ({_fmt(part.smallest)}): "
            "more data alone cannot settle it."
        )
    if estimate >= part.smallest:
        goal = "exclude no effect"
    elif estimate <= -part.smallest:
        goal = "show that the effect runs the other way"
    else:
        goal = f"show that any effect is smaller than {_fmt(part.smallest)}"
    size = f"about {factor:.1f} times the present data"
    if part.n:
        size += f" (about {math.ceil(factor * part.n):,} {part.unit} instead of {part.n:,})"
    return f"It would take {size} to narrow the interval enough to {goal}, if the estimate held."


def judge_part(part: PartEvidence) -> PartVerdict:
    """The common rule applied to one part (see the module docstring)."""
    signed = part.signed()
    if signed is None:
        return PartVerdict(part.name, INCONCLUSIVE, "could not be estimated (no data)", None)
    est, lo, hi = signed
    verdict = classify(est, lo, hi, part.smallest)
    span = f"estimate {_fmt(est)}, 95% interval {_fmt(lo)} to {_fmt(hi)}"
    span += f" (direction-signed), smallest effect of interest {_fmt(part.smallest)}"
    if verdict == SUPPORTED:
        return PartVerdict(part.name, verdict, f"{span}: excludes no effect and reaches it.")
    if verdict == NOT_SUPPORTED:
        why = "lies inside plus or minus it" if hi >= 0 else "lies wholly on the other side of 0"
        return PartVerdict(part.name, verdict, f"{span}: the interval {why}.")
    factor = data_factor(est, lo, hi, part.smallest)
    settle = settle_sentence(part, factor, est)
    return PartVerdict(part.name, verdict, f"{span}. {settle}", factor, settle)


def combine(verdicts: Iterable[str], rule: Combine = "all") -> str:
    """Combine part verdicts symmetrically: ``all`` = the lowest (every part needed), ``any`` =
    the highest (any part suffices), on ``Not supported < Inconclusive < Supported``.
    No parts: Inconclusive."""
    ranks = [_RANK[v] for v in verdicts]
    if not ranks:
        return INCONCLUSIVE
    if rule == "all":
        return EVIDENCE_VERDICTS[min(ranks)]
    if rule == "any":
        return EVIDENCE_VERDICTS[max(ranks)]
    raise ValueError(f"unknown combination rule {rule!r} (all | any)")


@dataclass(frozen=True)
class HypothesisEvidence:
    """The combined verdict, the rule used and each part's verdict."""

    verdict: str
    rule: str
    parts: tuple[PartVerdict, ...]

    def sentence(self) -> str:
        """One plain sentence: the verdict and, for each part, its verdict and reason."""
        joined = "; ".join(f"{p.name}: {p.verdict} - {p.reason}" for p in self.parts)
        how = "every part is needed" if self.rule == "all" else "any one part suffices"
        return f"{self.verdict} ({how}). {joined}"


def judge(parts: Sequence[PartEvidence], rule: Combine = "all") -> HypothesisEvidence:
    """Judge each part and combine the verdicts by ``rule``."""
    judged = tuple(judge_part(p) for p in parts)
    return HypothesisEvidence(combine((p.verdict for p in judged), rule), rule, judged)


def declared_parts(rules: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``evidence.parts`` block of a decision-rules file, checked: each part has a positive
    ``smallest_effect``, a ``direction`` of +1 or -1, a ``scale`` and a ``reason``."""
    block = rules.get("evidence") or {}
    parts = dict(block.get("parts") or {})
    for name, spec in parts.items():
        if float(spec.get("smallest_effect", 0)) <= 0:
            raise ValueError(f"{name}: smallest_effect must be positive")
        if int(spec.get("direction", 0)) not in (-1, 1):
            raise ValueError(f"{name}: direction must be +1 or -1")
        for key in ("scale", "reason"):
            if not str(spec.get(key, "")).strip():
                raise ValueError(f"{name}: {key} is required")
    if str(block.get("combine", "all")) not in ("all", "any"):
        raise ValueError("evidence.combine must be 'all' or 'any'")
    return parts


def part_from_rules(
    rules: Mapping[str, Any],
    name: str,
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    *,
    n: int | None = None,
    unit: str = "observations",
) -> PartEvidence:
    """A :class:`PartEvidence` with the smallest effect and direction declared for part
    ``name`` in ``rules`` (a decision-rules file)."""
    spec = declared_parts(rules)[name]
    return PartEvidence(
        name=name,
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        smallest=float(spec["smallest_effect"]),
        direction=int(spec["direction"]),
        n=n,
        unit=unit,
    )
