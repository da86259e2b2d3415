"""Writing results, tables and figures so that two runs give byte-identical files.

Layout of one edition (``edition`` is ``london`` or a borough slug such as ``camden``)::

    outputs/<year>/<edition>/results/*.json    machine-readable results (h1.json, groups.json ...)
    outputs/<year>/<edition>/tables/*.csv      every published table (the table behind each chart)
    outputs/<year>/<edition>/figures/*.png|svg figures, with <name>.json holding caption and alt text
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FLOAT_DIGITS = 6


@dataclass(frozen=True)
class EditionPaths:
    """The output folders of one edition of one year."""

    root: Path

    @classmethod
    def for_edition(cls, output_dir: Path | str) -> EditionPaths:
        paths = cls(Path(output_dir))
        for sub in (paths.results, paths.tables, paths.figures):
            sub.mkdir(parents=True, exist_ok=True)
        return paths

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def scopes(self) -> Path:
        """A borough edition's comparison scopes (written by the groups notebook)."""
        return self.results / "scopes.json"


def clean_for_json(value: Any) -> Any:
    """Make a value JSON-safe and stable: numpy scalars to Python, floats rounded, NaN to None."""
    if isinstance(value, dict):
        return {str(k): clean_for_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_for_json(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            return None
        return round(f, FLOAT_DIGITS)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    return value


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as sorted, indented UTF-8 JSON with rounded floats (byte-stable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(clean_for_json(obj), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_table(
    df: pd.DataFrame,
    path: Path,
    *,
    child_counts: Sequence[str] = (),
    derived_from: Mapping[str, str] | None = None,
    row_total: str | None = None,
    by: Sequence[str] | None = None,
    **relations: Any,
) -> Path:
    """Write a published table as CSV (UTF-8, ``\\n`` line ends, floats to 6 significant digits).

    ``child_counts`` names the columns that count children: they pass through statistical
    disclosure control (:func:`analysis.disclosure.protect_table`) before writing;
    ``derived_from`` maps a rate/percentage/average column to the count column it was computed
    from, so that it is suppressed with it; ``row_total``/``by`` and ``relations`` (``sums``,
    ``shares``, ``key``, ``quantities``, ``force``) as in that function. The table's arithmetic
    is recorded in ``<name>.disclosure.json`` beside the CSV for the published-outputs scan and
    the attacker's audit (:mod:`analysis.disclosure_audit`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if child_counts:
        from analysis.disclosure import load_rules, protect_table

        if "fold" not in relations and path.stem in load_rules().folds:
            relations["fold"] = load_rules().folds[path.stem]  # declared in config/disclosure.yaml
        protected = protect_table(
            df,
            list(child_counts),
            dict(derived_from or {}),
            row_total=row_total,
            by=by,
            **relations,
        )
        df = protected.frame
        write_json(path.with_suffix(".disclosure.json"), protected.sidecar)
    _format_mixed_floats(df).to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
    return path


def _format_mixed_floats(df: pd.DataFrame) -> pd.DataFrame:
    """Give floats in mixed columns (numbers beside suppression symbols) the same 6 significant
    digits as float columns, so a suppressed table prints ``35.3`` and not ``35.294117647058826``."""
    mixed = [c for c in df.columns if df[c].dtype == object]
    if not mixed:
        return df
    out = df.copy()
    for col in mixed:
        out[col] = out[col].map(
            lambda v: format(v, ".6g") if isinstance(v, float | np.floating) and v == v else v
        )
    return out
