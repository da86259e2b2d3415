"""One definition and one number for each total the report shows in several chapters
(``config/totals.yaml``): the year's referrals and London's external places. A hypothesis
indicator that counts a subset of a total gets a sentence, next to its table, saying how many of
the total it counts and why (issue 16: 3,942 / 3,488 / 3,004 referrals and 569 / 668 places
appeared in different chapters unexplained).

The totals are read from the edition's results: referrals from ``patterns.json``
(``analyses.providers.referrals``, :mod:`analysis.placements.providers`), places from
``headlines.json`` (``london_external_places``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.document.markdown import fmt
from analysis.hypotheses.indicator_ids import check_id


def load_totals(config_dir: Path) -> dict[str, Any]:
    """``config/totals.yaml`` ({} when absent). Raises
    :class:`~analysis.hypotheses.indicator_ids.UnknownIndicatorId` when it names an indicator id
    that no registry entry of ``config_dir`` declares."""
    from analysis.yaml_files import read_yaml

    path = Path(config_dir) / "totals.yaml"
    spec = dict(read_yaml(path) or {}) if path.exists() else {}
    for kind, entry in spec.items():
        for ind in entry.get("indicators", []):
            check_id(ind.get("indicator"), config_dir, where=f"totals.yaml, {kind}")
    return spec


def reference_totals(
    patterns: Mapping[str, Any] | None, headlines: Mapping[str, Any] | None
) -> dict[str, int | None]:
    """The reference number of each total kind (None when the results lack it)."""
    providers = ((patterns or {}).get("analyses") or {}).get("providers") or {}
    return {
        "referrals": providers.get("referrals"),
        "places": (headlines or {}).get("london_external_places"),
    }


def indicator_kind(indicator_id: str | None, spec: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(kind, why)`` of the indicator with the stable id ``indicator_id`` when ``spec``
    (``config/totals.yaml``) lists it; None otherwise (and for an indicator without an id)."""
    if not indicator_id:
        return None
    for kind, entry in spec.items():
        for ind in entry.get("indicators", []):
            if ind.get("indicator") == indicator_id:
                return kind, str(ind.get("why") or "")
    return None


def reconciliation_notes(
    indicators: list[Mapping[str, Any]],
    totals: Mapping[str, int | None],
    spec: Mapping[str, Any],
) -> list[str]:
    """Sentences for a hypothesis chapter: each subset count (``n`` of an indicator whose id
    ``spec`` lists) that differs from its total, with the total and the reason; one per distinct
    count. A count equal to its total needs no sentence; a count that differs without a
    declared reason is said to differ, unexplained (the test suite fails on it)."""
    notes: dict[tuple[str, Any], str] = {}
    for ind in indicators:
        found = indicator_kind(ind.get("id"), spec)
        if not found:
            continue
        kind, why = found
        n, total = ind.get("n"), totals.get(kind)
        if n is None or total is None or n == total or (kind, n) in notes:
            continue
        label = spec[kind].get("total", kind)
        reason = why or "differs for a reason not yet documented"
        notes[(kind, n)] = (
            f"Counted here: {fmt(n)} of the {fmt(total)} {label}; this analysis {reason}."
        )
    return list(notes.values())


def notes_for_chapter(ctx: Any, hypothesis: int) -> list[str]:
    """:func:`reconciliation_notes` of one hypothesis chapter of a report context
    (:class:`analysis.document.assemble.ReportContext`)."""
    from analysis.paths import CONFIG

    h = (ctx.hypotheses or {}).get(hypothesis)
    if not h:
        return []
    config_dir = Path(str((ctx.parameters or {}).get("config_dir") or CONFIG))
    if not (config_dir / "totals.yaml").exists():
        config_dir = CONFIG
    spec = load_totals(config_dir)
    totals = reference_totals(ctx.patterns, ctx.headlines)
    return reconciliation_notes(list(h.get("indicators") or []), totals, spec)
