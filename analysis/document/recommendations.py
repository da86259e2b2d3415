"""Recommendations from the editable bank ``config/recommendations.yaml``.

Each recommendation names the hypotheses whose verdicts trigger it (``when``: hypothesis ->
verdicts). A recommendation applies when any of its triggers matches the current verdicts, so a
refreshed verdict refreshes the recommendations. ``always: true`` recommendations apply whatever
the verdicts (the 2022 report's cross-cutting ones).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.yaml_files import read_yaml


def load_bank(config_dir: Path) -> list[dict[str, Any]]:
    path = Path(config_dir) / "recommendations.yaml"
    if not path.exists():
        return []
    return list(read_yaml(path).get("recommendations", []))


def triggered_by(rec: dict[str, Any], verdicts: dict[int, str]) -> list[int]:
    """The hypotheses whose current verdict triggers ``rec`` (empty: not triggered)."""
    hits = []
    for hyp, wanted in (rec.get("when") or {}).items():
        n = int(str(hyp).lstrip("hH"))
        if verdicts.get(n) in set(wanted):
            hits.append(n)
    return sorted(hits)


def select(bank: list[dict[str, Any]], verdicts: dict[int, str]) -> list[dict[str, Any]]:
    """Recommendations that apply, by ``priority`` (1 first), each with ``because`` filled in."""
    chosen = []
    for rec in bank:
        hits = triggered_by(rec, verdicts)
        if hits or rec.get("always"):
            chosen.append({**rec, "because": hits})
    return sorted(chosen, key=lambda r: (int(r.get("priority", 9)), str(r.get("id", ""))))
