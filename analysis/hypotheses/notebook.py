"""Helpers of the hypothesis chapter notebooks: parameters, the edition, result tables, closing
text.

The chapter template ``notebooks/chapters/hypothesis.ipynb`` (and any layout of its own an entry
names) uses these so that what every chapter says the same way is written once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.verdicts import HypothesisResult, hypothesis_key

#: How the notebooks explain the fieldwork triangulation (one text; the rule is
#: :func:`analysis.verdicts.fieldwork_agreement`).
FIELDWORK_AGREEMENT_TEXT = (
    "The coded fieldwork (`fieldwork` table: roundtable, borough fieldwork, provider and "
    "stakeholder interviews) is counted by stance for this hypothesis. The data verdict and the "
    "fieldwork *agree* when both point the same way; *partly* when either is mixed or the verdict "
    "is partly supported; *disagree* otherwise."
)


def resolve_path(path: str | Path) -> Path:
    """A notebook parameter path: as given when it exists from the working directory, else
    relative to the project root (the build runs notebooks from ``notebooks/``)."""
    from analysis.paths import ROOT

    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    return ROOT / p


def edition_la(edition: str) -> str | None:
    """``london`` -> None; a borough slug or name -> its reference name (ValueError if unknown)."""
    from analysis.boroughs import resolve_borough

    if edition.strip().lower() == "london":
        return None
    la = resolve_borough(edition)
    if la is None:
        raise ValueError(f"unknown edition {edition!r}: use 'london' or a London borough slug")
    return la


def edition_lines(
    ds: Any, year: int, la: str | None, scopes: list[tuple[str, list[str]]]
) -> list[str]:
    """The lines a chapter notebook opens with: the dataset, the year and the edition, and in a
    borough edition the scopes it is compared with (all but London, the last)."""
    lines = [
        f"Dataset: {ds.name} (synthetic: {ds.synthetic}); year {year}; edition: {la or 'London'}"
    ]
    if la:
        compared = ", ".join(f"{name} ({len(members)} boroughs)" for name, members in scopes[:-1])
        lines.append(f"Compared with: {compared}")
    return lines


def indicator_table(result: Any) -> pd.DataFrame:
    """The result's indicators as a table for the notebook (estimate, CI, p, n, supports)."""
    rows = [
        {
            "indicator": i.name,
            "estimate": i.estimate,
            "ci_low": i.ci_low,
            "ci_high": i.ci_high,
            "p_value": i.p_value,
            "n": i.n,
            "unit": i.unit,
            "supports": i.supports,
        }
        for i in result.indicators
    ]
    return pd.DataFrame(rows)


def evidence_markdown(result: HypothesisResult) -> str:
    """The verdict by the common evidence rule in plain words, for a chapter: how the parts
    combine, then for each part what it measures, its estimate and 95% interval, the smallest
    effect that would matter and why, and its own verdict with the reason (the record of
    :func:`analysis.hypotheses.evidence.evidence_verdict`). Empty when the result has none."""
    record = result.evidence
    if not record:
        return ""
    how = (
        "every part is needed, so the verdict is the weakest part's"
        if record["rule"] == "all"
        else "any one part suffices, so the verdict is the strongest part's"
    )
    lines = [f"**Verdict: {result.verdict}** ({how}).", ""]
    for p in record["parts"]:
        name = p["name"].replace("_", " ").capitalize()
        if p["estimate"] is None or p["ci_low"] is None or p["ci_high"] is None:
            figure = "could not be estimated from these data"
        else:
            figure = (
                f"estimate {p['estimate']:.3g}, 95% interval {p['ci_low']:.3g} to "
                f"{p['ci_high']:.3g}"
            )
        lines.append(
            f"- **{name}** ({p['scale']}): {figure}. Smallest effect that would matter: "
            f"{p['smallest_effect']:.3g} - {p['reason']} **{p['verdict']}**: {p['because']}"
        )
    return "\n".join(lines)


def fieldwork_lines(result: HypothesisResult) -> list[str]:
    """The closing lines of a chapter notebook: the fieldwork counts and their agreement with the
    data verdict, the parts without enough data and the caveats."""
    doc = result.to_dict()
    lines = [
        f"Coded fieldwork statements: {doc['fieldwork']}",
        f"Data and fieldwork: {doc['fieldwork_agreement']}",
    ]
    lines += [f"Not tested: {reason}" for reason in result.insufficient]
    lines += [f"Caveat: {caveat}" for caveat in result.caveats]
    return lines


def write_result(result: HypothesisResult, paths: Any) -> Path:
    """Write ``results/h<N>.json`` (the chapter's results) and return its path."""
    from analysis.outputs import write_json

    path = paths.results / f"{hypothesis_key(result.hypothesis)}.json"
    write_json(path, result.to_dict())
    return path
