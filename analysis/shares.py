"""One definition of a share: a fraction 0-1 everywhere in the code, per cent only when written.

Shares (of children, of places, of homes) are computed and passed around as fractions 0-1.
They become per cent only where a value is written for a reader: report text
(:func:`analysis.document.markdown.pct`, which refuses a value outside [-1, 1]), figure axes, and
the published tables and results records that have always said per cent (their column or key
names end in ``_pct`` or start with ``pct_``, or their entry in ``config/report.yaml`` has
``unit: "%"``). :func:`per_cent` is that conversion.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import pandas as pd

T = TypeVar("T", float, pd.Series, pd.DataFrame)

#: Decimals kept by :func:`per_cent`: ``100 * (a / b)`` can be one unit in the last place away
#: from ``100 * a / b`` (0.575 * 100 = 57.49999999999999); rounding to 10 decimals gives the
#: nearest number to the exact per cent whenever it has no more than 10 decimals (57.5), so a
#: published per cent and its rounding in text are those of ``100 * a / b``.
_DECIMALS = 10


def per_cent(share: T) -> T:
    """A share (fraction 0-1; a number, Series or DataFrame; NaN stays NaN) in per cent."""
    if isinstance(share, pd.Series | pd.DataFrame):
        return (100.0 * share.astype(float)).round(_DECIMALS)
    return round(100.0 * float(share), _DECIMALS)


def columns_in_per_cent(table: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``table`` with those of ``columns`` it has (shares, fractions 0-1) in per cent
    (:func:`per_cent`): how a table whose published columns have always said per cent is
    written."""
    out = table.copy()
    for col in columns:
        if col in out.columns:
            out[col] = per_cent(out[col])
    return out
