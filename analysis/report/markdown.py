"""Small writers of the portable Quarto/pandoc markdown the report templates use."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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


def pct(value: Any, digits: int = 0) -> str:
    """A share (0-1) as a percentage; values above 1 are taken as already in per cent."""
    if value is None or isinstance(value, str):
        return fmt(value)
    v = float(value)
    return f"{v * 100 if abs(v) <= 1 else v:.{digits}f}%"


def cell(value: Any) -> str:
    return fmt(value).translate(_ESCAPE)


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A pipe table (numbers right-aligned) with an optional ``: caption`` line."""
    if not rows:
        return "_No rows._\n"
    numeric = [
        all(
            isinstance(r[i], (int, float)) and not isinstance(r[i], bool)
            for r in rows
            if r[i] is not None
        )
        and any(r[i] is not None for r in rows)
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(h.translate(_ESCAPE) for h in headers) + " |",
        "|" + "|".join("---:" if n else ":---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    out = "\n".join(lines) + "\n"
    if caption:
        out += f"\n: {caption.translate(_ESCAPE)}\n"
    return out


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
