"""London-level results computed once per process and reused by every edition.

A borough edition runs the London-level statistics again (its verdicts are London's): the same
models on the same data, 33 times over in a full build. A function marked :func:`london_level`
keeps its results in memory keyed by the *content* of its arguments, so in a build's worker
kernel (which runs notebook after notebook, edition after edition) the London edition computes
them and the borough editions reuse them; a borough-specific call (different arguments)
computes as before. A result is the value the function would return for those arguments, so
the outputs are the same with or without the memo.

Keys: a ``DataFrame``/``Series`` by its values, index, column names, dtypes and ``attrs``; a
NumPy array by its bytes; scalars, strings, sequences and mappings by value; a
:class:`~analysis.dataset.Dataset` argument by the loaded dataset itself: the value is kept in
:meth:`~analysis.dataset.Dataset.derived` (shared by the build's copies of one loaded dataset;
not kept when a notebook has replaced one of its tables). An argument of any other type makes
the call uncached.

Caveats: only for deterministic functions (a random seed must be an argument); each caller
gets a deep copy of the stored result, so modifying it cannot change what the next caller gets.
At most :data:`MAX_ENTRIES` results without a dataset argument are kept (least recently used
dropped). Set ``LONDON_MEMO=0`` to switch the memo off (e.g. to time the computations).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])

MAX_ENTRIES = 256
_MEMO: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
#: calls answered from the memo and calls computed, per function (for tests and profiling)
STATS: dict[str, list[int]] = {}


class _Unkeyable(Exception):
    """An argument whose content cannot be fingerprinted: the call is not cached."""


Unkeyable = _Unkeyable  # (public name: analysis.figure_cache keys figures by their data too)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(value: Any) -> Any:
    """A hashable key for ``value``'s content (raises :class:`_Unkeyable` when there is none)."""
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, np.generic):
        return ("np", type(value).__name__, repr(value.item()))
    if isinstance(value, pd.DataFrame):
        return (
            "frame",
            tuple(map(repr, value.columns)),  # repr: a label 1 is not the label "1"
            tuple(map(str, value.dtypes)),
            _frame_hash(value),
            fingerprint(dict(value.attrs)),
        )
    if isinstance(value, pd.Series):
        return ("series", repr(value.name), str(value.dtype), _frame_hash(value.to_frame()))
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise _Unkeyable("object array")
        return ("array", value.dtype.str, value.shape, _digest(np.ascontiguousarray(value)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(fingerprint(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(fingerprint(v)) for v in value)))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((repr(k), fingerprint(v)) for k, v in value.items())))
    raise _Unkeyable(type(value).__name__)


def _frame_hash(frame: pd.DataFrame) -> str:
    try:
        hashed = pd.util.hash_pandas_object(frame, index=True)  # values and index, row by row
    except (TypeError, ValueError) as exc:  # unhashable cells (lists, frozensets, ...)
        raise _Unkeyable(str(exc)) from exc
    names = repr((list(frame.index.names), len(frame))).encode()
    return _digest(hashed.to_numpy().tobytes() + names)


def enabled() -> bool:
    return os.environ.get("LONDON_MEMO", "1").strip() != "0"


def london_level(func: F) -> F:
    """Memoise a deterministic function of London-level data by the content of its arguments
    (see the module notes); the function's behaviour is otherwise unchanged."""
    signature = inspect.signature(func)
    name = f"{func.__module__}.{func.__qualname__}"
    counts = STATS.setdefault(name, [0, 0])

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not enabled():
            return func(*args, **kwargs)
        from analysis.dataset import Dataset

        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        datasets = [v for v in bound.arguments.values() if isinstance(v, Dataset)]
        try:
            key = (
                name,
                tuple(
                    (k, "dataset" if isinstance(v, Dataset) else fingerprint(v))
                    for k, v in bound.arguments.items()
                ),
            )
        except _Unkeyable:
            counts[1] += 1
            return func(*args, **kwargs)
        computed = []

        def compute() -> Any:
            computed.append(True)
            return func(*args, **kwargs)

        if len(datasets) == 1:
            value = datasets[0].derived(("london_level", key), compute)
        elif datasets:  # two datasets: no single owner for the value
            value = compute()
        else:
            if key in _MEMO:
                _MEMO.move_to_end(key)
            else:
                _MEMO[key] = compute()
                while len(_MEMO) > MAX_ENTRIES:
                    _MEMO.popitem(last=False)
            value = _MEMO[key]
        counts[0 if not computed else 1] += 1
        return copy.deepcopy(value)

    wrapper.__wrapped__ = func  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def clear() -> None:
    """Forget every stored result without a dataset argument and the call counts."""
    _MEMO.clear()
    for counts in STATS.values():
        counts[:] = [0, 0]
