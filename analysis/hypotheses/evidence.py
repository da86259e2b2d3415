"""Pieces of evidence every hypothesis test builds the same way: shares as indicators, coverage
rows, a coefficient as a part's estimate (:func:`coefficient_evidence`), the verdict by the
common evidence rule (:func:`evidence_verdict`, issue 13) and the result of a test the data
cannot run (:func:`not_tested`).

Shares are fractions 0-1 here; they are formatted as percentages only when written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import evidence_rule, stats
from analysis.shares import per_cent
from analysis.verdicts import FieldworkSummary, HypothesisResult, Indicator


def share_indicator(name: str, k: int, n: int, alpha: float = 0.05, **kw: Any) -> Indicator:
    """Indicator of the share ``k / n`` with its Wilson interval (estimate None when ``n`` is 0)."""
    p, lo, hi = stats.wilson_ci(k, n, alpha)
    return Indicator(name, p if n else None, lo if n else None, hi if n else None, n=n, **kw)


def coverage_row(what: str, n: int, of: int | None = None) -> dict[str, Any]:
    """One row of a coverage table: ``what``, ``n``, ``of`` and the share ``n / of`` (0-1)."""
    return {"what": what, "n": n, "of": of, "share": (n / of) if of else None}


def coverage_table(caption: str, rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """A chapter's coverage table as its module's ``tables()`` returns it (shown in the
    notebook, not published): the :func:`coverage_row` rows indexed by ``what``, shares to 3
    decimals, under ``caption``."""
    return [(caption, rows.set_index("what").round(3))]


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """A share 0-1 written as a percentage in a sentence: ``0.123`` -> ``12.3%``; missing as
    ``n/a``. The conversion is :func:`analysis.shares.per_cent` (the one in the project)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{per_cent(x):.{digits}f}%"


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


def coefficient_evidence(
    coef: stats.Coefficient | None, unit: str, missing_unit: str | None = None
) -> Estimate:
    """A model coefficient (a log odds ratio or log ratio: 0 = no effect) as a part's estimate
    for the evidence rule: its estimate, 95% interval and ``n``, counted in ``unit``. All None
    when it could not be estimated (``coef`` None); ``missing_unit`` (default ``unit``) then
    names what ``n`` would have counted. Caveat: the interval is the model's (its standard
    errors, clustering and alpha), taken as it is."""
    if coef is None:
        return Estimate(None, None, None, None, unit if missing_unit is None else missing_unit)
    return Estimate(coef.estimate, coef.ci_low, coef.ci_high, coef.n, unit)


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
    reason, estimate, ci_low, ci_high, n, unit, verdict, because, data_factor, settle, plain,
    short}]}`` (``settle``: what would settle an Inconclusive part, one sentence, else "";
    ``plain`` and ``short``: the part's sentence and table-cell templates in plain words, when
    the rules declare them; the
    three words' plain meanings are :data:`analysis.evidence_rule.PLAIN_WORDS`, not copied here)."""
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
                "settle": verdict.settle,
                **{k: " ".join(str(spec[k]).split()) for k in ("plain", "short") if spec.get(k)},
            }
        )
    record = {"rule": rule, "parts": record_parts}
    return judged.verdict, record


def not_tested(
    hypothesis: int,
    rules: Mapping[str, Any],
    parts: Iterable[str],
    *,
    fieldwork: FieldworkSummary,
    caveats: list[str],
    reason: str,
    summary: str,
    unit: str = "observations",
) -> HypothesisResult:
    """The result of a test the data cannot run: every part in ``parts`` without an estimate
    (``n`` counted in ``unit``), so the common rule's verdict is Inconclusive; ``reason`` is
    the one entry of ``insufficient`` and the summary is ``summary`` followed by the verdict.
    No indicators: nothing was estimated."""
    none = Estimate(None, None, None, None, unit)
    verdict, record = evidence_verdict(rules, {name: none for name in parts})
    return HypothesisResult(
        hypothesis,
        verdict,
        rules["decision_rule"],
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=[reason],
        summary=f"{summary} Verdict: {verdict.lower()}.",
        evidence=record,
    )


def _plain_numbers(part: Mapping[str, Any]) -> dict[str, float]:
    """The numbers a part's ``plain`` template may use, direction as estimated (not signed):
    ``est, lo, hi, s`` as they are; ``exp_*`` their exponentials (odds or cost ratios from a
    log scale); ``mor_*`` median odds ratios ``exp(0.954 x)`` (from a borough SD on the log-odds
    scale); ``pct_*`` times 100 (percentage points from a 0-1 difference); ``pctx_*`` the
    percentage change ``100 (exp(x) - 1)`` (from a log ratio)."""
    base = {
        "est": float(part["estimate"]),
        "lo": float(part["ci_low"]),
        "hi": float(part["ci_high"]),
        "s": float(part["smallest_effect"]),
    }
    out = dict(base)
    for key, x in base.items():
        out[f"exp_{key}"] = math.exp(x)
        out[f"mor_{key}"] = math.exp(0.954 * x)
        out[f"pct_{key}"] = 100 * x
        out[f"pctx_{key}"] = 100 * (math.exp(x) - 1)
    return out


def settle_in_summary(record: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``record`` with ``settle_in_summary``: the parts whose "what would settle it" the
    hypothesis's summary already says (in its own words), so the report does not repeat it.
    A module that writes its own summary names them; :func:`summary_settles` gives those of
    :func:`evidence_summary`."""
    declared = {p["name"] for p in record["parts"]}
    chosen = [str(n) for n in names]
    unknown = sorted(set(chosen) - declared)
    if unknown:
        raise ValueError(f"settle_in_summary: parts not in the record {unknown}")
    return {
        **record,
        "settle_in_summary": [n for n in (p["name"] for p in record["parts"]) if n in chosen],
    }


def states_settle(part: Mapping[str, Any]) -> bool:
    """Whether :func:`evidence_summary` says what would settle ``part``: an Inconclusive part
    estimated, with a data factor (the times the present data it would take)."""
    return (
        part["verdict"] == "Inconclusive"
        and part["estimate"] is not None
        and part["ci_low"] is not None
        and part["ci_high"] is not None
        and bool(part.get("data_factor"))
    )


def summary_settles(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with the parts whose settling :func:`evidence_summary` states
    (:func:`settle_in_summary`)."""
    return settle_in_summary(record, [p["name"] for p in record["parts"] if states_settle(p)])


def _part_sentence(part: Mapping[str, Any]) -> str:
    """One part in plain words: its declared ``plain`` template filled with its numbers (or its
    estimate, interval and smallest effect on its own scale), then its verdict and, when
    Inconclusive, how much more data would settle it."""
    name = str(part["name"]).replace("_", " ")
    if part["estimate"] is None or part["ci_low"] is None or part["ci_high"] is None:
        return f"The {name} part could not be estimated from these data, so it is Inconclusive."
    template = part.get("plain")
    if template:
        text = str(template).format(**_plain_numbers(part))
        text = text[0].upper() + text[1:]
    else:
        text = (
            f"{name.capitalize()}: {part['estimate']:.3g} (95% interval {part['ci_low']:.3g} to "
            f"{part['ci_high']:.3g}; the smallest effect that matters is "
            f"{part['smallest_effect']:.3g})"
        )
    verdict = str(part["verdict"])
    tail = f"{verdict.lower()}" if verdict != "Inconclusive" else "not yet decided"
    text += f": {tail}"
    if states_settle(part):
        text += f" (about {part['data_factor']:.1f} times the present data would settle it)"
    return text + "."


def evidence_summary(verdict: str, record: Mapping[str, Any]) -> str:
    """One plain paragraph for a director: the verdict, how the parts combine, and each part
    in plain words (:func:`_part_sentence`; the record of :func:`evidence_verdict`)."""
    how = "every part is needed" if record["rule"] == "all" else "any one part suffices"
    parts = " ".join(_part_sentence(p) for p in record["parts"])
    return f"{verdict} ({how}). {parts}"


def evidence_short(record: Mapping[str, Any] | None) -> str:
    """The parts of a verdict for a summary table cell: each part's declared ``short`` template
    filled with its numbers (else its name), then its verdict in lower case, ``"; "`` between
    parts. Empty without a record (a result of the old rule)."""
    out = []
    for part in (record or {}).get("parts") or []:
        name = str(part["name"]).replace("_", " ")
        estimated = None not in (part.get("estimate"), part.get("ci_low"), part.get("ci_high"))
        if not estimated:
            out.append(f"{name}: not estimable from these data")
            continue
        template = part.get("short")
        text = str(template).format(**_plain_numbers(part)) if template else name
        out.append(f"{text}: {str(part['verdict']).lower()}")
    text = "; ".join(out)
    return text[:1].upper() + text[1:]


def mark_supports(
    indicators: list[Indicator], record: Mapping[str, Any], parts: Mapping[str, str]
) -> None:
    """Set each part's indicator's "points to hypothesis" (``supports``) from the part's
    verdict: True when Supported, False when Not supported, None when Inconclusive.
    ``parts`` maps an indicator id to its part's name."""
    verdicts = {p["name"]: p["verdict"] for p in record["parts"]}
    for ind in indicators:
        if ind.id in parts:
            ind.supports = {"Supported": True, "Not supported": False}.get(verdicts[parts[ind.id]])
