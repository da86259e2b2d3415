"""Stable indicator ids: the one way the report finds a hypothesis indicator.

An indicator that another part of the report looks up carries an ``id`` (``h<N>_<what>``,
:class:`analysis.verdicts.Indicator`), and its hypothesis's registry entry declares it
(``indicators:`` in ``config/hypotheses/h<N>.yaml``). The borough tables (``borough_rows``), the
recommendations (``config/recommendations.yaml``: ``h<N>.indicators[<id>]``) and the totals
(``config/totals.yaml``) name indicators by id, never by the start of their display text, so
that rewording an indicator cannot silently empty a table.

A declared id that a result does not hold (a part the data could not estimate, a borough-only
indicator in the London edition) is simply absent: the look-up gives None and the report shows
a dash or leaves the recommendation out, as for any missing figure. An id that no entry declares
is a mistake in the configuration: :class:`UnknownIndicatorId`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis.hypotheses import registry

#: An indicator id: ``h<N>_`` and lower-case words joined by underscores.
ID_PATTERN = re.compile(r"^h(?P<hypothesis>\d+)_[a-z0-9_]+$")


class UnknownIndicatorId(ValueError):
    """A look-up names an indicator id that no registry entry declares."""


def declared_ids(config_dir: Path | str | None = None) -> dict[str, int]:
    """``id -> hypothesis`` for every id the registry entries of ``config_dir`` declare.

    Raises :class:`registry.RegistryError` when an entry declares an id that is not of the form
    ``h<N>_<what>`` with its own ``N``, or two entries (or one, twice) declare the same id."""
    out: dict[str, int] = {}
    for h in registry.registry(config_dir):
        for indicator_id in h.indicators:
            match = ID_PATTERN.match(indicator_id)
            if not match or int(match["hypothesis"]) != h.id:
                raise registry.RegistryError(
                    f"hypothesis {h.id}: indicator id {indicator_id!r} is not of the form "
                    f"h{h.id}_<what> (lower case, digits and underscores)"
                )
            if indicator_id in out:
                raise registry.RegistryError(f"indicator id {indicator_id!r} is declared twice")
            out[indicator_id] = h.id
    return out


def check_id(indicator_id: Any, config_dir: Path | str | None = None, *, where: str = "") -> int:
    """The hypothesis whose entry declares ``indicator_id``; :class:`UnknownIndicatorId` (naming
    ``where`` the id was used) when none does."""
    declared = declared_ids(config_dir)
    key = str(indicator_id)
    if key not in declared:
        place = f" ({where})" if where else ""
        raise UnknownIndicatorId(
            f"unknown indicator id {key!r}{place}: no entry of config/hypotheses declares it "
            f"under `indicators`"
        )
    return declared[key]


def find_indicator(
    indicators: Iterable[Mapping[str, Any]] | None, indicator_id: str
) -> Mapping[str, Any] | None:
    """The indicator (a result's ``indicators`` item) whose ``id`` is ``indicator_id``; None
    when the result does not hold it. Check the id with :func:`check_id` where it is declared
    in configuration: this look-up cannot tell a mistyped id from an absent indicator."""
    for ind in indicators or ():
        if isinstance(ind, Mapping) and ind.get("id") == indicator_id:
            return ind
    return None
