"""Load each dataset once per kernel: a memo around ``analysis.contract.load_dataset``.

Installed in every worker kernel before each notebook runs. A worker executes many notebooks
(all editions, all hypotheses) on the same data; loading and validating it once instead of each
time is the main saving of a full build. The memo is keyed by the folder, the year and the
size and modification time of every file in it, so changed data is re-read. Each call returns
a new :class:`~analysis.dataset.Dataset` holding shallow copies of the tables: with pandas'
copy-on-write a notebook that modifies a table cannot change what the next notebook sees.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

_MEMO: dict[tuple[Any, ...], Any] = {}
#: Datasets kept per kernel: notebooks load the same folder with and without ``year=`` and a
#: build also reads the previous year, so one entry would be re-read at every other notebook.
MAX_ENTRIES = 4


def _fingerprint(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        (p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(Path(data_dir).rglob("*"))
        if p.is_file()
    )


def _fresh_copy(ds: Any) -> Any:
    from dataclasses import replace

    fresh = replace(ds, tables={k: v.copy(deep=False) for k, v in ds.tables.items()})
    fresh.share_derived(ds)  # London-level intermediates computed once per kernel
    return fresh


def install() -> None:
    """Wrap ``analysis.contract.load_dataset`` (once: a second call leaves it as it is)."""
    import analysis.contract as contract

    original = contract.load_dataset
    if getattr(original, "_memoised", False):
        return

    def load_for_year(data_dir: Any, year: int) -> Any:
        """``load_dataset(data_dir, year=year)`` from the memoised all-years load: ``year`` only
        adds the check that the snapshot year has open episodes, so that check is run on the
        loaded episodes instead of reading and validating the folder again. Falls back to the
        loader itself when the all-years load fails (its latest year may be the bad one)."""
        from analysis.contract.problems import DataValidationError, errors_only
        from analysis.contract.rules import snapshot_year_problems

        try:
            base = load_dataset(data_dir)
        except DataValidationError:
            return load_dataset(data_dir, year=year, _direct=True)
        # the check reads every episode (~0.2 s): once per loaded dataset and year, not once
        # per notebook (its verdict belongs to the loaded tables, like the derived values)
        problems = base.derived(
            ("snapshot_year_problems", int(year)),
            lambda: snapshot_year_problems(base.tables["episodes"], int(year)),
        )
        if errors_only(problems):
            raise DataValidationError(problems)
        return base

    @functools.wraps(original)
    def load_dataset(data_dir: Any, *args: Any, **kwargs: Any) -> Any:
        direct = kwargs.pop("_direct", False)
        if not direct and not args and set(kwargs) == {"year"} and kwargs["year"] is not None:
            return load_for_year(data_dir, kwargs["year"])
        key = (
            str(Path(data_dir).resolve()),
            repr(args),
            repr(sorted(kwargs.items())),
            _fingerprint(Path(data_dir)),
        )
        if key in _MEMO:
            _MEMO[key] = _MEMO.pop(key)  # most recently used last
        else:
            while len(_MEMO) >= MAX_ENTRIES:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[key] = original(data_dir, *args, **kwargs)
        return _fresh_copy(_MEMO[key])

    load_dataset._memoised = True  # type: ignore[attr-defined]
    contract.load_dataset = load_dataset
