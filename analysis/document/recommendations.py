"""Recommendations with their evidence, from the editable bank ``config/recommendations.yaml``.

Each recommendation declares

- ``triggers``: what calls for it, any one of which suffices: a hypothesis's verdict
  (``{hypothesis: H1, verdict: Supported}``) or a figure past a threshold
  (``{figure: headlines.share_outside_london, above: 50}``);
- ``cites``: the figures that show why (``{figure: <file>.<key>..., label, format}``), read from
  the edition's results files (``results/<file>.json``); a hypothesis indicator by its stable
  id (``h6.indicators[h6_unavailable_share_london].estimate``,
  :mod:`analysis.hypotheses.indicator_ids`): an id no registry entry declares is an error when
  the bank is loaded;
- ``owner``: who acts; ``measure``: the figure next year's report checks and which way it
  should move (``goal: up | down``); "what changed" reports it where two years exist;
- optionally ``borough``: the borough signal (:mod:`analysis.document.borough_page`) that makes
  it apply to a borough in particular.

A recommendation is printed only when a trigger holds AND its evidence can be read: a verdict
trigger needs that verdict; a figure trigger needs the figure; and at least one cited figure
must be available. A recommendation whose evidence is absent (a figure missing, a verdict
Inconclusive) or contrary (Not supported) is left out, and the report lists which were left out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from analysis.document.markdown import pct
from analysis.hypotheses.indicator_ids import UnknownIndicatorId, check_id, find_indicator
from analysis.shares import per_cent
from analysis.yaml_files import read_yaml

#: The results files a figure path may start with (``results/<name>.json``).
RESULT_FILES: tuple[str, ...] = ("headlines", "patterns", "groups", "national")


def load_bank(config_dir: Path) -> list[dict[str, Any]]:
    """The recommendations of ``config_dir/recommendations.yaml`` (empty without the file).
    Raises :class:`~analysis.hypotheses.indicator_ids.UnknownIndicatorId` when a figure path
    picks an indicator by an id that the registry of ``config_dir`` does not declare (or that
    another hypothesis declares)."""
    path = Path(config_dir) / "recommendations.yaml"
    if not path.exists():
        return []
    bank = list(read_yaml(path).get("recommendations", []))
    for rec in bank:
        for figure in _figures(rec):
            check_figure(figure, config_dir, where=f"recommendation {rec.get('id', '?')}")
    return bank


def _figures(rec: dict[str, Any]) -> list[str]:
    """Every figure path a recommendation names (triggers, cites, measure)."""
    items = [*(rec.get("triggers") or []), *(rec.get("cites") or []), rec.get("measure") or {}]
    return [str(i["figure"]) for i in items if isinstance(i, dict) and i.get("figure")]


def check_figure(path: str, config_dir: Path | str | None = None, *, where: str = "") -> None:
    """Check that every ``[id]`` a figure path picks an indicator by is declared by the registry
    entry of the results file it reads (``h<N>.indicators[h<N>_...]``); raises
    :class:`~analysis.hypotheses.indicator_ids.UnknownIndicatorId` otherwise."""
    steps = _steps(path)
    for _key, pick in steps:
        if pick is None:
            continue
        place = f"{where}: {path}" if where else path
        owner = check_id(pick, config_dir, where=place)
        if steps[0][0] != f"h{owner}":
            raise UnknownIndicatorId(
                f"indicator id {pick!r} ({place}) is hypothesis {owner}'s, not in "
                f"results/{steps[0][0]}.json"
            )


def _hyp(value: Any) -> int:
    return int(str(value).strip().lstrip("hH"))


_STEP = re.compile(r"([^.\[]+)(?:\[([^\]]+)\])?")


def _steps(path: str) -> list[tuple[str, str | None]]:
    """``h6.indicators[h6_unavailable_share_london].estimate`` -> ``[(h6, None), (indicators,
    h6_unavailable_share_london), (estimate, None)]`` (a bracket may hold dots)."""
    out, rest = [], str(path)
    while rest:
        m = _STEP.match(rest)
        if not m:
            break
        out.append((m.group(1), m.group(2)))
        rest = rest[m.end() :].lstrip(".")
    return out


def figure_value(results: dict[str, Any], path: str) -> Any:
    """The value at ``path`` in ``results`` (``file stem -> parsed JSON``): dotted keys
    (``patterns.analyses.unused_places.vacant``, ``h6.verdict``); ``key[x]`` picks the item of
    the list ``key`` whose ``id`` is ``x`` (never by its display text). None when any step is
    missing (:func:`check_figure` tells a mistyped id from an absent one)."""
    node: Any = results
    for key, pick in _steps(path):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        if pick is not None:
            if not isinstance(node, list):
                return None
            found = find_indicator(node, pick)
            if found is None:
                return None
            node = found
    return node


def _available(value: Any) -> bool:
    """A figure that can be cited: present, a number (or text), not withheld (``c``)."""
    return value is not None and value != "" and str(value).strip().lower() != "c"


def verdict_meets(verdict: str | None, wanted: str | list[str]) -> bool:
    """True when ``verdict`` is the trigger word (or one of several)."""
    words = {wanted} if isinstance(wanted, str) else set(wanted)
    if verdict is None:
        return False
    return verdict in words


def trigger_holds(trigger: dict[str, Any], results: dict[str, Any]) -> bool | None:
    """Whether one trigger holds: True, False, or None when its evidence is absent (the
    hypothesis's results or the figure are missing)."""
    if "hypothesis" in trigger:
        res = results.get(f"h{_hyp(trigger['hypothesis'])}")
        if not res or not res.get("verdict"):
            return None
        return verdict_meets(res["verdict"], trigger.get("verdict", "Supported"))
    value = figure_value(results, trigger["figure"])
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if "above" in trigger and not value > float(trigger["above"]):
        return False
    if "below" in trigger and not value < float(trigger["below"]):
        return False
    return True


def trigger_text(trigger: dict[str, Any], results: dict[str, Any], titles: dict[int, str]) -> str:
    """A trigger in words: ``H1: Supported`` or ``<label>: 67.6% (above 50.0%)``
    (``titles`` is kept for callers naming hypotheses; the chapter links name them)."""
    if "hypothesis" in trigger:
        n = _hyp(trigger["hypothesis"])
        verdict = (results.get(f"h{n}") or {}).get("verdict", "not available")
        return f"H{n}: {verdict}"
    value = figure_value(results, trigger["figure"])
    label = trigger.get("label", trigger["figure"])
    fmt_ = trigger.get("format", "number")
    bound = (
        f"above {format_figure(trigger['above'], fmt_)}"
        if "above" in trigger
        else f"below {format_figure(trigger['below'], fmt_)}"
    )
    return f"{label}: {format_figure(value, fmt_)} ({bound})"


def format_figure(value: Any, kind: str = "number") -> str:
    """A cited figure as text: ``percent`` (already in per cent), ``share`` (0-1), ``children``
    (a count of children, through disclosure control), ``points`` (a difference of shares),
    ``miles``, ``number``."""
    if not _available(value):
        return "withheld" if str(value).strip().lower() == "c" else "not available"
    if kind == "children":
        from analysis.disclosure import suppress_sentence_count

        return suppress_sentence_count(value)
    if not isinstance(value, (int, float)):
        return str(value)
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "share":
        return pct(value, 0)
    if kind == "points":
        return f"{per_cent(value):+.0f} percentage points"
    if kind == "miles":
        return f"{value:.0f} miles"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def assess(
    rec: dict[str, Any], results: dict[str, Any], titles: dict[int, str] | None = None
) -> dict[str, Any]:
    """One recommendation against the edition's results: ``{**rec, printed, reason, because,
    cited, measure_now}``. ``printed`` is False with a ``reason`` when no trigger holds, when
    the triggers' evidence is absent or when none of its cited figures can be read."""
    titles = titles or {}
    triggers = list(rec.get("triggers") or [])
    held = [t for t in triggers if trigger_holds(t, results)]
    cited = [
        {
            "label": c.get("label", c["figure"]),
            "figure": c["figure"],
            "value": figure_value(results, c["figure"]),
            "text": format_figure(figure_value(results, c["figure"]), c.get("format", "number")),
        }
        for c in rec.get("cites") or []
    ]
    measure = dict(rec.get("measure") or {})
    out = {
        **rec,
        "because": [trigger_text(t, results, titles) for t in held],
        "hypotheses": sorted(_hyp(t["hypothesis"]) for t in held if "hypothesis" in t),
        "cited": cited,
        "measure_now": format_figure(
            figure_value(results, measure["figure"]), measure.get("format", "number")
        )
        if measure.get("figure")
        else "",
    }
    if not triggers:
        return {**out, "printed": False, "reason": "it declares no trigger"}
    if not held:
        states = [trigger_holds(t, results) for t in triggers]
        why = "its evidence is absent" if all(s is None for s in states) else "no trigger holds"
        detail = "; ".join(trigger_text(t, results, titles) for t in triggers)
        return {**out, "printed": False, "reason": f"{why} ({detail})"}
    if cited and not any(_available(c["value"]) for c in cited):
        return {**out, "printed": False, "reason": "none of the figures it cites is available"}
    if not cited or not rec.get("owner") or not measure.get("figure"):
        return {**out, "printed": False, "reason": "it lacks a cited figure, owner or measure"}
    return {**out, "printed": True, "reason": ""}


def select(
    bank: list[dict[str, Any]], results: dict[str, Any], titles: dict[int, str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(printed, left_out)``: the assessed recommendations (:func:`assess`), the printed ones
    by ``priority`` (1 first)."""
    assessed = [assess(r, results, titles) for r in bank]
    printed = sorted(
        (r for r in assessed if r["printed"]),
        key=lambda r: (int(r.get("priority", 9)), str(r.get("id", ""))),
    )
    return printed, [r for r in assessed if not r["printed"]]


def measure_changes(
    printed: list[dict[str, Any]], previous: dict[str, Any], current: dict[str, Any]
) -> list[dict[str, Any]]:
    """For "what changed": each printed recommendation's measure in both years, where both
    years have it: ``{id, title, label, before, now, goal, moved}`` (``moved``: "the way sought",
    "the other way" or "no change": equal as printed)."""
    rows = []
    for rec in printed:
        m = rec.get("measure") or {}
        if not m.get("figure"):
            continue
        a, b = figure_value(previous, m["figure"]), figure_value(current, m["figure"])
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
            continue
        goal = m.get("goal", "up")
        kind = m.get("format", "number")
        if format_figure(a, kind) == format_figure(b, kind):
            moved = "no change"  # as shown: a difference below the rounding is not a change
        else:
            moved = "the way sought" if (b > a) == (goal == "up") else "the other way"
        rows.append(
            {
                "id": rec.get("id", ""),
                "title": rec.get("title", ""),
                "label": m.get("label", m["figure"]),
                "before": format_figure(a, kind),
                "now": format_figure(b, kind),
                "goal": goal,
                "moved": moved,
            }
        )
    return rows
