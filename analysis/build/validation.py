"""Validating the dataset before anything is built, cached by the data's content hash.

Validation (``analysis.contract.load_dataset``) reads every table; a rebuild with unchanged data
must not pay for it again, so the facts a build needs (years present, metadata) are stored in
``validation/<data hash>.json`` under the cache root (:mod:`analysis.caches`) after a
successful validation. Invalid data is
never cached: it is re-checked (and reported) on every run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.caches import cache_dir
from analysis.hashing import digest, directory_hashes
from analysis.outputs import read_json, write_json

#: bumped when the facts stored change (2: boroughs_in_data, reportable years from dates).
FACTS_VERSION = "v2"


@dataclass
class DatasetFacts:
    years: list[int]
    metadata: dict[str, Any]

    @property
    def latest_year(self) -> int:
        return max(self.years)


class InvalidDataset(Exception):
    """The data broke the contract; ``problems`` is the validator's list."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the dataset")

    def render(self) -> Any:
        """A rich table of the problems (first 50), as ``report validate`` prints them."""
        from analysis.contract.validate import problems_table

        return problems_table(self.problems, limit=50)


def dataset_facts(data_dir: Path, output_root: Path | None = None) -> DatasetFacts:
    """Validate ``data_dir`` (or reuse the cached verdict for identical bytes) and return its
    facts; the verdict is cached under ``output_root``'s cache (default: the project's)."""
    key = digest(directory_hashes(data_dir))
    cached = cache_dir("validation", output_root) / f"{key}-{FACTS_VERSION}.json"
    if cached.exists():
        stored = read_json(cached)
        return DatasetFacts(years=list(stored["years"]), metadata=dict(stored["metadata"]))
    from analysis.contract import DataValidationError, load_dataset

    try:
        ds = load_dataset(Path(data_dir))
    except DataValidationError as exc:
        raise InvalidDataset(list(exc.problems)) from exc
    metadata = {
        k: v for k, v in (ds.metadata or {}).items() if isinstance(v, (str, int, float, bool))
    }
    metadata.setdefault("name", ds.name)
    metadata["synthetic"] = bool(ds.synthetic)
    from analysis.coverage import boroughs_in_data

    metadata["boroughs_in_data"] = boroughs_in_data(ds.table("episodes"))
    facts = DatasetFacts(years=ds.years(), metadata=metadata)
    write_json(cached, {"years": facts.years, "metadata": facts.metadata})
    return facts


def dataset_latest_year(data_dir: Path) -> int | None:
    """The report year of a dataset: its latest snapshot year (validated as ``report build`` does).

    None when the dataset is invalid (the user is then told to pass ``--year``).
    """
    try:
        return dataset_facts(Path(data_dir)).latest_year
    except InvalidDataset:
        print(f"{data_dir} is not a valid dataset: pass --year.", file=sys.stderr)
        return None
