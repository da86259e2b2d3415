"""Pieces of evidence every hypothesis test builds the same way: shares as indicators, coverage
rows, and the verdict by the common evidence rule (:func:`evidence_verdict`, issue 13).

``two_part_verdict`` is the OLD rule (Partly supported / Insufficient data); it goes when the
last evaluator has moved to :func:`evidence_verdict`.

Shares are fractions 0-1 here; they are formatted as percentages only when written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis import evidence_rule, stats
from analysis.verdicts import Indicator


def two_part_verdict(first_supports: bool | None, second_supports: bool | None) -> str:
    """The verdict of a hypothesis tested in two parts (each True, False or None = could not be
    tested): both support -> Supported; one -> Partly supported; none -> Not supported; a single
    testable part that supports -> Partly supported, else Insufficient data."""
    parts = [p for p in (first_supports, second_supports) if p is not None]
    if not parts:
        return "Insufficient data"
    if len(parts) == 1:
        return "Partly supported" if parts[0] else "Insufficient data"
    if all(parts):
        return "Supported"
    return "Partly supported" if any(parts) else "Not supported"


def share_indicator(name: str, k: int, n: int, alpha: float = 0.05, **kw: Any) -> Indicator:
    """Indicator of the share ``k / n`` with its Wilson interval (estimate None when ``n`` is 0)."""
    p, lo, hi = stats.wilson_ci(k, n, alpha)
    return Indicator(name, p if n else None, lo if n else None, hi if n else None, n=n, **kw)


def coverage_row(what: str, n: int, of: int | None = None) -> dict[str, Any]:
    """One row of a coverage table: ``what``, ``n``, ``of`` and the share ``n / of`` (0-1)."""
    return {"what": what, "n": n, "of": of, "share": (n / of) if of else None}


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """A share 0-1 written as a percentage in a sentence: ``0.123`` -> ``12.3%``; missing as
    ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


@dataclass(frozen=True)
class Estimate:
    """One part's estimate on its declared scale (0 = no effect) with its two-sided 95% interval;
    ``n`` and ``unit`` say what the sample counts (for "what would settle it"). None = could not
    be estimated (the part counts as Inconclusive)."""

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None = None
    unit: str = "observations"


def evidence_verdict(
    rules: Mapping[str, Any], estimates: Mapping[str, Estimate]
) -> tuple[str, dict[str, Any]]:
    """The verdict by the common evidence rule and its record for ``h<N>.json``.

    ``rules`` is the hypothesis's decision-rules file; its ``evidence`` block declares each
    part's scale, predicted direction, smallest effect of interest and reason, and how parts
    combine (``all`` | ``any``). ``estimates`` gives every declared part's :class:`Estimate`
    (a declared part with no estimate is an error: say ``Estimate(None, None, None)``).

    Returns ``(verdict, record)``: the verdict is Supported, Not supported or Inconclusive;
    the record is ``{"rule", "parts": [{name, scale, direction, smallest_effect,
    reason, estimate, ci_low, ci_high, n, unit, verdict, because, data_factor}]}`` (the three
    words' plain meanings are :data:`analysis.evidence_rule.PLAIN_WORDS`, not copied here)."""
    declared = evidence_rule.declared_parts(rules)
    missing = sorted(set(declared) - set(estimates))
    extra = sorted(set(estimates) - set(declared))
    if missing or extra:
        raise ValueError(f"evidence parts: not estimated {missing}, not declared {extra}")
    rule = str((rules.get("evidence") or {}).get("combine", "all"))
    parts = [
        evidence_rule.part_from_rules(
            rules,
            name,
            estimates[name].estimate,
            estimates[name].ci_low,
            estimates[name].ci_high,
            n=estimates[name].n,
            unit=estimates[name].unit,
        )
        for name in declared
    ]
    judged = evidence_rule.judge(parts, rule)  # type: ignore[arg-type]
    record_parts = []
    for part, verdict in zip(parts, judged.parts, strict=True):
        spec = declared[part.name]
        record_parts.append(
            {
                "name": part.name,
                "scale": str(spec["scale"]).strip(),
                "direction": part.direction,
                "smallest_effect": part.smallest,
                "reason": " ".join(str(spec["reason"]).split()),
                "estimate": part.estimate,
                "ci_low": part.ci_low,
                "ci_high": part.ci_high,
                "n": part.n,
                "unit": part.unit,
                "verdict": verdict.verdict,
                "because": verdict.reason,
                "data_factor": verdict.data_factor,
            }
        )
    record = {"rule": rule, "parts": record_parts}
    return judged.verdict, record
