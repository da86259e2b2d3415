"""Statistical disclosure control for published counts of children.

Default follows the DfE's practice for children's social care statistics: counts from 1 to 5
are shown as ``c``; secondary suppression where a total or difference would reveal a suppressed
cell; rates and averages computed from a suppressed count are suppressed with it.

NOTE: primary suppression only so far (secondary suppression: see issue on trust).
"""

from __future__ import annotations

import pandas as pd

SUPPRESSED = "c"
LOWER, UPPER = 1, 5


def suppress_child_counts(
    df: pd.DataFrame, count_columns: list[str], derived_from: dict[str, str] | None = None
) -> pd.DataFrame:
    """Return a copy of ``df`` with counts of children from 1 to 5 replaced by ``c``."""
    out = df.copy()
    derived_from = derived_from or {}
    for col in count_columns:
        values = pd.to_numeric(out[col], errors="coerce")
        small = values.between(LOWER, UPPER)
        out[col] = out[col].astype(object).where(~small, SUPPRESSED)
        for derived, source in derived_from.items():
            if source == col:
                out[derived] = out[derived].astype(object).where(~small, SUPPRESSED)
    return out
