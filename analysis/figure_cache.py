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
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

ENV_VAR = "LONDON_FIGURE_CACHE"

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

    def store(self, key: str, files: list[Path]) -> None:
        """Keep copies of ``files`` under ``key`` (atomic: a half-written entry is never read)."""
        folder = self._dir(key)
        if folder.exists():
            return
        tmp = folder.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, tmp / ("figure" + f.suffix))
        try:
            tmp.rename(folder)
        except OSError:  # another worker stored it first
            shutil.rmtree(tmp, ignore_errors=True)


def active_cache() -> FigureCache | None:
    """The cache named by ``LONDON_FIGURE_CACHE``, or None (no caching)."""
    root = os.environ.get(ENV_VAR, "").strip()
    return FigureCache(root) if root else None
