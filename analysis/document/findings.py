"""Findings in words for the main text: the verdict words explained once, the count of verdicts
in a sentence, a hypothesis's evidence parts, and its fieldwork read beside the data verdict.

The statistics behind each sentence (intervals, smallest effects, tests) are printed in the
technical annex; these functions only choose words and figures for a reader.
"""

from __future__ import annotations

from typing import Any

from analysis.document.markdown import number_word

#: Order of the words in the summary's sentence and the explanation.
ORDER: tuple[str, ...] = (
    "Supported",
    "Not supported",
    "Inconclusive",
)


def verdict_words(verdicts: dict[int, str]) -> list[tuple[str, str]]:
    """``(word, plain meaning)`` of the three words of the common evidence rule (``verdicts`` is
    kept for the callers; every result uses these words)."""
    from analysis.evidence_rule import PLAIN_WORDS

    return [(w, PLAIN_WORDS[w]) for w in ORDER]


_PHRASE = {
    "Supported": "support {n}",
    "Not supported": "do not support {n}",
    "Inconclusive": "cannot yet decide {n}",
}


def verdict_sentence(verdicts: dict[int, str], total: int) -> str:
    """The verdicts counted in one sentence: ``Of the six hypotheses, the data support four
    (H1, H3, H5, H6) and do not support two (H2, H4).``; hypotheses without results are
    counted in a second sentence."""
    parts = []
    for word in ORDER:
        ids = sorted(n for n, v in verdicts.items() if v == word)
        if ids:
            label = ", ".join(f"H{n}" for n in ids)
            parts.append(_PHRASE[word].format(n=f"{number_word(len(ids))} ({label})"))
    missing = total - len(verdicts)
    tail = f" {number_word(missing).capitalize()} had no results in this build." if missing else ""
    if not parts:
        return "No hypothesis has results in this build."
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Of the {number_word(total)} hypotheses, the data {body}.{tail}"


def humanise_part(name: str) -> str:
    """``needs_outside_london`` -> ``Needs outside London``."""
    words = str(name).replace("_", " ").strip()
    words = words.replace("london", "London").replace(" vs ", " against ")
    return words[:1].upper() + words[1:]


def _num(x: Any) -> str:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return "–"
    return f"{x:.3g}"


def evidence_parts(result: dict[str, Any] | None) -> list[dict[str, str]]:
    """The common evidence rule's parts of one result (``evidence.parts`` of ``h<N>.json``) for
    a reader: ``name, scale, verdict, estimate, interval, smallest, because, settle`` (the
    "what would settle it" sentence of an Inconclusive part, else ""), ``stated`` ("yes" when
    the hypothesis's summary already says it in its own words: the record's
    ``settle_in_summary``, else ""). Empty under the old rule (no ``evidence`` record)."""
    record = (result or {}).get("evidence") or {}
    stated = set(record.get("settle_in_summary") or [])
    out = []
    for part in record.get("parts") or []:
        because = str(part.get("because") or "")
        settle = str(part.get("settle") or "") if part.get("verdict") == "Inconclusive" else ""
        lo, hi = part.get("ci_low"), part.get("ci_high")
        out.append(
            {
                "name": humanise_part(part.get("name", "")),
                "scale": str(part.get("scale") or ""),
                "verdict": str(part.get("verdict") or ""),
                "estimate": _num(part.get("estimate")),
                "interval": f"{_num(lo)} to {_num(hi)}" if lo is not None else "–",
                "smallest": _num(part.get("smallest_effect")),
                "because": because,
                "settle": settle,
                "stated": "yes" if part.get("name") in stated else "",
            }
        )
    return out


_LEANING = {
    "supports": "points the same way as the hypothesis",
    "contradicts": "points against the hypothesis",
    "mixed": "is mixed",
    "too few statements": "has too few statements to read",
    "none": "has no statements",
}


_RELATION = {
    "agrees": "it agrees with the data",
    "disagrees: flagged for review": "it disagrees with the data, and is flagged for review",
    "mixed: neither confirms nor questions the data": "it neither confirms nor questions the data",
    "suggests where to look; settles nothing": "it suggests where to look and settles nothing",
    "too few statements to read": "it is not read",
    "nothing to read": "it is not read",
}


def fieldwork_short(reading: dict[str, Any] | None) -> str:
    """The fieldwork reading in a table cell: ``agrees (2022)``, ``mixed (earlier, 2021)``,
    ``disagrees: flagged for review (2022)``, ``none``."""
    if not reading or reading["period"] == "none":
        return "none"
    word = reading["relation"].split(":")[0].split(";")[0]
    if reading["flag"]:
        word = "disagrees: flagged for review"
    when = f"earlier, {reading['year']}" if reading["period"] == "earlier" else str(reading["year"])
    return f"{word} ({when})"


def fieldwork_text(reading: dict[str, Any]) -> str:
    """The fieldwork reading in words: ``The fieldwork of 2022 (16 statements) points the same
    way as the hypothesis: it agrees with the data.``"""
    if reading["period"] == "none":
        return (
            "No coded fieldwork statement for this hypothesis is dated in or before the "
            "snapshot's year."
        )
    count = reading["statements"]
    head = f"The {reading['label']} ({count} statement{'s' if count != 1 else ''})"
    relation = _RELATION.get(reading["relation"], reading["relation"])
    return f"{head[:1].upper()}{head[1:]} {_LEANING[reading['leaning']]}; {relation}."


def themes_text(
    reading: dict[str, Any], limit: int = 4, quote: bool = False, sources: bool = True
) -> str:
    """The themes read, in one sentence with their number of statements and (with ``sources``)
    their sources, and (with ``quote``) the main theme's shortest statement as a quotation (the
    annex tables every theme with its sources)."""
    themes = reading.get("themes") or []
    if not themes:
        return ""
    shown = themes[:limit]
    items = [f"{t['theme']} ({t['statements']})" for t in shown]
    more = len(themes) - len(shown)
    named = sorted({s for t in themes for s in t.get("sources") or []}) if sources else []
    text = "Themes: " + "; ".join(items) + (f"; and {more} more" if more > 0 else "") + "."
    if named:
        text += " Sources: " + ", ".join(s.lower() for s in named) + "."
    first = next((t["quote"] for t in shown if t.get("quote")), "") if quote else ""
    if first:
        text += f" For example: \u201c{first.rstrip('.')}.\u201d"
    return text
