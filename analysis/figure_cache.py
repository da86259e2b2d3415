"""Content cache for rendered figures: an identical figure is drawn once, then copied.

Saving a figure (PNG at 150 dpi and SVG) is most of a notebook's run time, and most figures of
a borough edition are London-level figures identical in every edition. :func:`figure_key`
fingerprints what a figure *shows* - every artist's class, geometry, text, colours and style,
the figure size, the save options and the matplotlib version - without drawing it, and
:class:`FigureCache` keeps the saved files under that key.

The cache is used only when ``LONDON_FIGURE_CACHE`` names a folder (``report build`` sets it to
the ``figures`` layer of its cache root, :mod:`analysis.caches`). A hit copies files that matplotlib wrote for an identical
figure, so outputs are byte-identical with or without the cache.

Caveat: the fingerprint covers the artist properties matplotlib draws from (listed in
:func:`_artist_state`); a figure that differs only in a property not listed there would be
served from the cache. Every property our charts set is listed, and the key also includes the
source of the ``analysis`` package, so a change to chart code never reuses an old picture.

A figure can also be found *before it is built*: :func:`data_key` fingerprints the function
that draws it and that function's arguments (frames by content, as
:func:`analysis.london_memo.fingerprint`), with the package source, the configuration and
reference data, the library versions and matplotlib's settings. :func:`analysis.charts.save_figure` given a
:class:`analysis.charts.LazyFigure` looks that key up first, and on a hit copies the files
without drawing anything (a borough edition's London-level charts, identical in every edition,
cost nothing to build). Caveat: the drawing function must depend only on its arguments, the
package source and the configuration and reference files (no other global state, no randomness,
no change to matplotlib's settings other than re-applying the style in force); only
module-level functions of the ``analysis`` package qualify (anything else is drawn as before).
``LONDON_FIGURE_VERIFY=1`` draws every lazy figure even on a hit and raises when what it draws
is not what the cache holds (by :func:`figure_key`), to check that assumption on a whole build.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

ENV_VAR = "LONDON_FIGURE_CACHE"
VERIFY_VAR = "LONDON_FIGURE_VERIFY"

_GETTERS = (
    "get_visible",
    "get_zorder",
    "get_alpha",
    "get_label",
    "get_text",
    "get_position",
    "get_color",
    "get_facecolor",
    "get_edgecolor",
    "get_linewidth",
    "get_linestyle",
    "get_marker",
    "get_markersize",
    "get_hatch",
    "get_fontsize",
    "get_fontweight",
    "get_fontstyle",
    "get_fontfamily",
    "get_rotation",
    "get_horizontalalignment",
    "get_verticalalignment",
    "get_xydata",
    "get_offsets",
    "get_sizes",
    "get_clip_on",
    "get_xlim",
    "get_ylim",
    "get_xscale",
    "get_yscale",
    "get_array",
    "get_extent",
    "get_capstyle",
    "get_joinstyle",
    "get_fill",
    "get_wrap",
    "get_bbox_patch",
)


def _freeze(value: Any) -> Any:
    """A hashable, process-independent form of a property value (arrays as bytes)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, np.ndarray) or np.ma.isMaskedArray(value):
        arr = np.ma.filled(np.ma.asarray(value, dtype=float), np.nan)
        return ("array", arr.shape, hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.generic):
        return _freeze(value.item())
    if hasattr(value, "get_boxstyle"):  # a text's bbox patch
        return ("bbox", _freeze(value.get_facecolor()), _freeze(value.get_edgecolor()))
    return type(value).__name__


def _path_state(artist: Any) -> Any:
    """Vertices of patches and path collections, in data coordinates."""
    out = []
    if hasattr(artist, "get_path"):
        try:
            path = artist.get_path()
            out.append(_freeze(path.vertices))
            out.append(_freeze(artist.get_patch_transform().get_matrix()))
        except (AttributeError, TypeError, NotImplementedError):
            pass
    if hasattr(artist, "get_paths"):
        try:
            out.append(tuple(_freeze(p.vertices) for p in artist.get_paths()))
        except (AttributeError, TypeError):
            pass
    return tuple(out)


def _artist_state(artist: Any) -> tuple[Any, ...]:
    state: list[Any] = [type(artist).__name__]
    for name in _GETTERS:
        getter = getattr(artist, name, None)
        if getter is None:
            continue
        try:
            state.append((name, _freeze(getter())))
        except (TypeError, ValueError, AttributeError, RuntimeError, NotImplementedError):
            continue
    state.append(_path_state(artist))
    if hasattr(artist, "get_majorticklabels"):  # an Axis: tick labels are made at draw time
        try:
            state.append(("ticks", _freeze(artist.get_majorticklocs())))
            state.append(("labels", tuple(t.get_text() for t in artist.get_majorticklabels())))
            state.append(("minor", _freeze(artist.get_minorticklocs())))
        except (TypeError, ValueError, AttributeError, RuntimeError):
            pass
    if hasattr(artist, "get_position") and hasattr(artist, "get_subplotspec"):  # axes box
        state.append(("axes_position", _freeze(tuple(artist.get_position().bounds))))
    return tuple(state)


def figure_key(fig: Any, save_options: dict[str, Any], extra: Iterable[str] = ()) -> str:
    """SHA-256 over everything the figure draws, the save options, matplotlib's version and
    ``extra`` (e.g. the source hash of the package). Does not draw the figure."""
    from analysis.hashing import analysis_source_hash

    h = hashlib.sha256()
    parts: list[Any] = [
        matplotlib.__version__,
        analysis_source_hash(),
        _freeze(tuple(fig.get_size_inches())),
        repr(fig.dpi),
        sorted((k, repr(v)) for k, v in save_options.items()),
        sorted(
            (k, repr(v))
            for k, v in matplotlib.rcParams.items()
            if k.startswith(("svg.", "font.", "text.", "savefig."))
        ),
        list(extra),
    ]
    for artist in fig.findobj():
        parts.append(_artist_state(artist))
    h.update(repr(parts).encode("utf-8"))
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _environment() -> str:
    """What a figure drawn from given data also depends on, once per process: the package source,
    the project's configuration and reference data (e.g. the suppression symbol a chart writes,
    the tile map's grid) and the versions of the libraries that draw and format it."""
    from importlib.metadata import PackageNotFoundError, version

    import pandas as pd

    from analysis.hashing import analysis_source_hash, directory_hashes
    from analysis.paths import CONFIG, REFERENCE

    try:
        afcharts = version("afcharts")
    except PackageNotFoundError:  # pragma: no cover - installed with the package
        afcharts = "unknown"
    # configuration (e.g. the suppression symbol) and reference data (e.g. the tile grid)
    config = {
        f"{folder.name}/{k}": v
        for folder in (Path(CONFIG), Path(REFERENCE))
        if folder.is_dir()
        for k, v in directory_hashes(folder).items()
    }
    return repr(
        (
            analysis_source_hash(),
            sorted(config.items()),
            matplotlib.__version__,
            np.__version__,
            pd.__version__,
            afcharts,
        )
    )


def _callable_id(draw: Any) -> str | None:
    """``module.qualname`` of a module-level function of the ``analysis`` package, else None
    (a lambda, a closure or a bound method may depend on more than its arguments)."""
    module = getattr(draw, "__module__", "") or ""
    qualname = getattr(draw, "__qualname__", "") or ""
    if not module.startswith("analysis.") or not qualname or "<" in qualname or "." in qualname:
        return None
    return f"{module}.{qualname}"


def _content(value: Any) -> Any:
    """:func:`analysis.london_memo.fingerprint`, but a mapping keeps its order (a chart may
    draw its entries in that order)."""
    from analysis.london_memo import fingerprint

    if isinstance(value, Mapping):
        return ("omap", tuple((repr(k), _content(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_content(v) for v in value))
    return fingerprint(value)


def data_key(
    draw: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    save_options: dict[str, Any],
    extra: Iterable[Any] = (),
) -> str | None:
    """SHA-256 of the figure ``draw(*args, **kwargs)`` would make, without making it: the
    function, its arguments' content, the save options, matplotlib's settings (all of them:
    the style in force when the figure is drawn), :func:`_environment` and ``extra``. None when
    the function or an argument cannot be fingerprinted (the figure is then drawn)."""
    from analysis.london_memo import Unkeyable

    name = _callable_id(draw)
    if name is None:
        return None
    try:
        content = _content([list(args), dict(kwargs), list(extra)])
    except Unkeyable:
        return None
    parts = [
        "figure-data-v1",
        name,
        content,
        sorted((k, repr(v)) for k, v in save_options.items()),
        sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()),
        _environment(),
    ]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def verifying() -> bool:
    """``LONDON_FIGURE_VERIFY=1``: lazy figures are drawn even on a hit and checked."""
    return os.environ.get(VERIFY_VAR, "").strip() not in ("", "0")


class FigureCache:
    """Saved figure files by content key: ``<root>/<key[:2]>/<key>/<file name>``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def restore(self, key: str, targets: list[Path]) -> bool:
        """Copy the cached files for ``key`` to ``targets`` (matched by suffix); False on a miss."""
        folder = self._dir(key)
        sources = [folder / ("figure" + t.suffix) for t in targets]
        if not all(s.exists() for s in sources):
            return False
        for src, dst in zip(sources, targets, strict=True):
            shutil.copyfile(src, dst)
        return True

    def has(self, key: str, suffixes: Iterable[str]) -> bool:
        """Whether the entry for ``key`` holds a file for each suffix (``.png``...)."""
        folder = self._dir(key)
        return all((folder / ("figure" + s)).exists() for s in suffixes)

    def read_text(self, key: str, name: str) -> str | None:
        """A text stored with ``key`` (:meth:`store`'s ``texts``), None when absent."""
        path = self._dir(key) / name
        return path.read_text(encoding="utf-8") if path.exists() else None

    def store(self, key: str, files: list[Path], texts: dict[str, str] | None = None) -> None:
        """Keep copies of ``files`` (and ``texts``: file name -> content) under ``key``
        (atomic: a half-written entry is never read)."""
        folder = self._dir(key)
        if folder.exists():
            return
        tmp = folder.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, tmp / ("figure" + f.suffix))
        for name, text in (texts or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another worker stored it first
            shutil.rmtree(tmp, ignore_errors=True)


def active_cache() -> FigureCache | None:
    """The cache named by ``LONDON_FIGURE_CACHE``, or None (no caching)."""
    root = os.environ.get(ENV_VAR, "").strip()
    return FigureCache(root) if root else None
