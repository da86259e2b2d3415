"""Who provides a placement or a home: the one definition of "externally provided".

Two codings describe the same split. A placement (SSDA903 ``PLACE_PROVIDER``) is in-house when
the placing council provides it (``PR1``) and externally provided when a private or voluntary
provider does (``PR4``, ``PR5``); ``PR2``/``PR3`` (other councils, other public bodies) are
neither. A home on Ofsted's register is externally provided when its sector is Private or
Voluntary. Caveat: the two are recorded by different people at different dates, so a child's
placement and the home it is in can disagree.
"""

from __future__ import annotations

import pandas as pd

IN_HOUSE_PROVIDERS: frozenset[str] = frozenset({"PR1"})
EXTERNAL_PROVIDERS: frozenset[str] = frozenset({"PR4", "PR5"})

#: Provider code -> provider group, as the cost analysis names them.
PROVIDER_GROUPS: dict[str, str] = {
    "PR1": "In-house",
    "PR4": "Private",
    "PR5": "Voluntary",
    "PR2": "Other public",
    "PR3": "Other public",
}
#: The provider groups of the externally provided placements (Private, Voluntary).
EXTERNAL_GROUPS: frozenset[str] = frozenset(PROVIDER_GROUPS[c] for c in EXTERNAL_PROVIDERS)

#: Ofsted sectors of externally provided homes.
EXTERNAL_SECTORS: frozenset[str] = frozenset({"Private", "Voluntary"})


def external_sector(sector: pd.Series) -> pd.Series:
    """True where an Ofsted ``sector`` is an external one (case and spaces ignored)."""
    wanted = {s.casefold() for s in EXTERNAL_SECTORS}
    return (
        sector.astype("string").str.strip().str.casefold().isin(wanted).fillna(False).astype(bool)
    )
