"""The in-memory form of one dataset directory, as every analysis sees it.

The loader (``analysis.contract``) reads and validates a dataset directory and returns a
:class:`Dataset`. Column names are the canonical ones below, whatever the file's spelling:

- ``episodes``: ``CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
  REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN, LA, YEAR`` plus the derived
  ``PL_LA`` (ONS code), ``PL_LOCATION`` (IN/OUT of the placing LA), ``PL_DISTANCE`` (miles);
  ``DECOM``/``DEC`` are ``datetime64``; ``URN`` is a string.
- ``header``: ``CHILD, SEX, DOB, ETHNIC, LA, YEAR``.
- ``homes``: snake_case of the Ofsted headings: ``urn, provision_type, local_authority, sector,
  places, registration_status, grade, latest_inspection_date, owner`` (``grade`` is the
  "Overall experiences and progress of children and young people" judgement, "" when not yet
  inspected) plus the derived ``la_ons_code`` and ``in_london``.
- ``home_registrations``, ``home_staffing``, ``needs``, ``referrals``, ``costs``, ``fieldwork``:
  the contract's names as written there (already snake_case; ``CHILD``/``LA`` upper case).
  ``needs``/``costs`` may carry ``YEAR`` when a dataset holds more than one snapshot year.
  Y/N fields are booleans (``pd.BooleanDtype``, missing as ``<NA>``); ``risk_*`` fields are
  booleans too ("Risk Present" -> True).
- ``boroughs``: the reference table (``analysis.boroughs.london_boroughs``) unless the dataset
  overrides it.

Optional tables that are absent are simply missing from :attr:`Dataset.tables`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")

REQUIRED_TABLES: tuple[str, ...] = ("episodes", "header", "homes")
OPTIONAL_TABLES: tuple[str, ...] = (
    "home_registrations",
    "home_staffing",
    "needs",
    "referrals",
    "costs",
    "fieldwork",
    "boroughs",
)


@dataclass
class Dataset:
    """A validated dataset: canonical tables plus where they came from."""

    tables: dict[str, pd.DataFrame]
    source_dir: Path
    #: ``dataset.yaml`` beside the tables, when present (``name``, ``synthetic``, ``description``).
    metadata: dict[str, Any] = field(default_factory=dict)
    #: table name -> file it was read from.
    files: dict[str, Path] = field(default_factory=dict)
    #: warnings found by the loader (``analysis.contract.Problem``, severity "warning"); local
    #: only: they may quote cell values, so never publish them.
    warnings: list[Any] = field(default_factory=list)
    #: values derived from the tables (see :meth:`derived`); shared by the memo's copies
    _derived: dict[Hashable, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _loaded: dict[str, pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._loaded = dict(self.tables)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value ``compute()`` derives from this dataset's tables, computed once per key.

        Used for London-level intermediates that every notebook and every edition needs (the
        snapshot's K2 placements, the borough indicators, the typology): a build's kernel
        computes them once per dataset instead of once per notebook. Callers must not modify
        a returned frame in place (the helpers that use this hand out shallow copies, which
        pandas' copy-on-write keeps independent).

        Caveat: the value belongs to the tables as loaded. When a table in :attr:`tables` has
        been replaced by another frame, ``compute()`` runs every time and nothing is kept; a
        frame modified in place is not noticed, so analyses never modify ``tables`` in place.
        """
        unchanged = self.tables.keys() == self._loaded.keys() and all(
            self.tables[name] is frame for name, frame in self._loaded.items()
        )
        if not unchanged:
            return compute()
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def share_derived(self, other: Dataset) -> None:
        """Use ``other``'s derived values: for a copy holding the same data (the build's
        dataset memo hands each notebook a shallow copy of one loaded dataset)."""
        self._derived = other._derived

    @property
    def synthetic(self) -> bool:
        """True when the dataset declares itself synthetic (the bundled example does)."""
        return bool(self.metadata.get("synthetic", False))

    @property
    def name(self) -> str:
        """The dataset's name (``name`` in its ``dataset.yaml``); for a folder as users hold
        it, without one, the folder it was read from, said as a folder (its files are listed
        with their hashes in the methodology appendix)."""
        if "name" in self.metadata:
            return str(self.metadata["name"])
        return f"the files in the folder “{self.source_dir.name}”"

    def has(self, table: str) -> bool:
        return table in self.tables and not self.tables[table].empty

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def years(self) -> list[int]:
        """Snapshot years the episodes can report, ascending: from the first to the last return
        ``YEAR``, those with an episode open on 31 March by the dates
        (:func:`analysis.snapshot.reportable_years`)."""
        from analysis.snapshot import reportable_years

        return self.derived("reportable_years", lambda: reportable_years(self.tables["episodes"]))
