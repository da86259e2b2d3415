"""Pieces of evidence every hypothesis test builds the same way: shares as indicators, coverage
rows, and the verdict of a test made of two parts.

Shares are fractions 0-1 here; they are formatted as percentages only when written.
"""

from __future__ import annotations

import math
from typing import Any

from analysis import stats
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
