"""Small writers of the portable Quarto/pandoc markdown the report templates use."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from analysis.shares import per_cent

_ESCAPE = str.maketrans({"|": "\\|", "\n": " "})


def fmt(value: Any, digits: int = 2) -> str:
    """A value as report text: thousands separators, ``digits`` decimals, blanks for missing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value.is_integer() and abs(value) >= 100:
            return f"{int(value):,}"
        return f"{value:,.{digits}f}"
    return str(value)


class NotAFraction(ValueError):
    """A value given to :func:`pct` that is not a share 0-1 (most likely already in per cent)."""


def pct(value: Any, digits: int = 0) -> str:
    """A share, a fraction 0-1, as a percentage (``0.675`` -> ``68%``); ``None``, NaN and text
    (a suppression symbol) pass through :func:`fmt`. Shares are fractions everywhere in the code
    and turned into per cent only when written, by :func:`analysis.shares.per_cent` (as here):
    a value outside [-1, 1] is refused
    (:class:`NotAFraction`) rather than guessed to be already in per cent (1.5 could be 1.5% or
    150%)."""
    if value is None or isinstance(value, str):
        return fmt(value)
    v = float(value)
    if math.isnan(v):
        return fmt(v)
    if abs(v) > 1:
        raise NotAFraction(f"pct() takes a share 0-1, got {value!r} (already in per cent?)")
    return f"{per_cent(v):.{digits}f}%"


def cell(value: Any, digits: int = 2) -> str:
    return fmt(value, digits).translate(_ESCAPE)


_NUMBER = re.compile(r"[<>]?[-+−]?£?[\d,]*\.?\d+%?")


def _blank(value: Any) -> bool:
    """Cells that say nothing about a column's type: missing, a dash, a suppressed ``c``."""
    return value is None or (isinstance(value, str) and value.strip() in ("", "–", "-", "c"))


def _numeric(value: Any) -> bool:
    """Numbers, and text that is a number (``67.3``, ``67%``, ``£5,982``, ``<0.001``)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMBER.fullmatch(value.strip()))


def pipe_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caption: str = "",
    widths: Sequence[int] | None = None,
    digits: int = 2,
    right: Sequence[int] = (),
) -> str:
    """A pipe table (numbers right-aligned) with an optional ``: caption`` line.

    ``widths`` (relative, e.g. ``[3, 1, 1]``) sets the columns' shares of the text width through
    the number of dashes in the separator line, which pandoc and Quarto read when a row is wider
    than the page (long text then wraps inside its column instead of squeezing the others).
    ``digits``: decimals of the numbers in the table; ``right``: columns right-aligned whatever
    they hold (columns of numbers are right-aligned anyway).
    """
    if not rows:
        return "_No rows._\n"
    numeric = [
        all(_numeric(r[i]) for r in rows if not _blank(r[i]))
        and any(not _blank(r[i]) for r in rows)
        or i in right
        for i in range(len(headers))
    ]
    # pandoc reads the dashes as relative widths when the separator line is wider than 72 columns
    total = sum(widths) if widths else 0
    dashes = [max(3, round(100 * w / total)) for w in widths] if widths else [3] * len(headers)
    lines = [
        "| " + " | ".join(h.translate(_ESCAPE) for h in headers) + " |",
        "|"
        + "|".join(
            ("-" * d + ":") if n else (":" + "-" * d) for n, d in zip(numeric, dashes, strict=True)
        )
        + "|",
    ]
    lines += ["| " + " | ".join(cell(v, digits) for v in row) + " |" for row in rows]
    out = "\n".join(lines) + "\n"
    if caption:
        out += f"\n: {caption.translate(_ESCAPE)}\n"
    return out


def p_value(value: Any) -> str:
    """A p-value or probability as report text: ``<0.001`` rather than ``0.00``."""
    if value is None or isinstance(value, str):
        return fmt(value)
    v = float(value)
    if math.isnan(v):
        return fmt(None)
    if v < 0.001:
        return "<0.001"
    return f"{v:.3f}" if v < 0.01 else f"{v:.2f}"


def read_markdown_table(text: str) -> tuple[list[str], list[list[str]], str]:
    """The first pipe table in a markdown text: ``(headers, rows, text after the table)``.

    Cells are kept as written (markdown); escaped pipes (``\\|``) stay inside their cell.
    """
    lines = text.splitlines()
    start = next(
        (
            i
            for i in range(len(lines) - 1)
            if lines[i].lstrip().startswith("|")
            and re.fullmatch(r"\s*\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*", lines[i + 1])
        ),
        None,
    )
    if start is None:
        return [], [], text.strip()

    def cells(line: str) -> list[str]:
        parts = re.split(r"(?<!\\)\|", line.strip())
        if parts and parts[0] == "":
            parts = parts[1:]
        if parts and parts[-1] == "":
            parts = parts[:-1]
        return [p.strip() for p in parts]

    end = start + 2
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    headers = cells(lines[start])
    rows = [cells(line) for line in lines[start + 2 : end]]
    return headers, rows, "\n".join(lines[end:]).strip()


def figure(
    path: str, caption: str, alt: str, ident: str, width: str = "75%", data: str | None = None
) -> str:
    """A figure paragraph: ``![Caption](path){#fig-x fig-alt="..." width=..}``.

    ``data`` (the CSV behind the chart, relative to the report) adds a line after the figure
    linking to it (``::: {.figure-data}``), so every figure is followed by its data.
    """
    alt_q = alt.replace('"', "'").replace("\n", " ")
    cap = caption.replace("\n", " ").replace("[", "(").replace("]", ")")
    out = f'![{cap}]({path}){{#{ident} fig-alt="{alt_q}" width={width}}}\n'
    if data:
        out += f"\n::: {{.figure-data}}\nData behind @{ident}: [{data}]({data}) (CSV)\n:::\n"
    return out


def callout(kind: str, title: str, body: str) -> str:
    title_q = title.replace('"', "'")
    return f'::: {{.callout-{kind} title="{title_q}"}}\n{body.strip()}\n:::\n'


def humanise(key: str) -> str:
    """``pct_outside_london`` -> ``Pct outside london``."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def indicator_row(ind: dict[str, Any]) -> list[Any]:
    """One indicator of a hypothesis as a table row: name, estimate, 95% interval, p-value (or
    posterior), n, unit, whether it points to the hypothesis. Proportions are shown in per cent
    and proportion differences in percentage points. An indicator counted on 1 to 5 children
    (or homes, referrals) is withheld (``c``), as disclosure control does for tables."""
    unit = str(ind.get("unit") or "")
    est, lo, hi = ind.get("estimate"), ind.get("ci_low"), ind.get("ci_high")
    scale = unit in ("proportion", "proportion points")

    def num(v: Any) -> Any:
        if v is None or not scale or isinstance(v, str):
            return v
        return f"{per_cent(float(v)):.1f}"

    shown_unit = {"proportion": "%", "proportion points": "percentage points"}.get(unit, unit)
    interval = f"{fmt(num(lo))} to {fmt(num(hi))}" if lo is not None and hi is not None else "–"
    if ind.get("p_value") is not None:
        p = p_value(ind["p_value"])
    elif ind.get("posterior_probability") is not None:
        p = "posterior " + p_value(ind["posterior_probability"])
    else:
        p = "–"
    supports = ind.get("supports")
    n = ind.get("n")
    if small_base(n) or n == "c":  # "c": withheld in the results file already
        # DfE practice: a count of 1 to 5 is withheld, and so is anything computed from it.
        n, est, interval, p = "c", "c", "c", "c"
    return [
        str(ind.get("name", "")),
        num(est),
        interval,
        p,
        n,
        shown_unit,
        "–" if supports is None else ("yes" if supports else "no"),
    ]


def small_base(n: Any) -> bool:
    """True for a count in the suppressed range (1 to 5: ``config/disclosure.yaml``), withheld
    under disclosure control with its rates."""
    from analysis.disclosure import is_small_count

    return isinstance(n, (int, float)) and not isinstance(n, bool) and is_small_count(n)


_VERDICT_SENTENCE = re.compile(r"\s*\bVerdict:\s*[^.]*\.?", re.IGNORECASE)


#: How the common evidence rule combines parts, as a summary's opening says it.
_HOW = ("every part is needed", "any one part suffices")


def evidence(summary: str, verdict: str) -> str:
    """A hypothesis summary without the verdict it repeats (shown beside it already): a
    leading ``"<verdict>: "`` or ``"<verdict> (every part is needed). "`` and any
    ``"Verdict: <verdict>."`` sentence are left out (the annex states how parts combine)."""
    text = (summary or "").strip()
    for prefix in (f"{verdict}:", *(f"{verdict} ({how})." for how in _HOW)):
        if verdict and text.lower().startswith(prefix.lower()):
            text = text[len(prefix) :].strip()
            text = text[:1].upper() + text[1:]
    return _VERDICT_SENTENCE.sub("", text).strip()


def plain(text: Any) -> str:
    """Report text for prose: a suppressed ``c`` is spelt out (a bare "c" in a sentence reads as
    a typo)."""
    out = fmt(text)
    return "a withheld figure (c)" if out.strip() == "c" else out


_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)


def number_word(n: int) -> str:
    """A count in words in running text (``6`` -> ``six``), digits from 11 on."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
