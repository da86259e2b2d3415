"""Every cache the project keeps, in one place: one root, ``outputs/.cache``.

Nothing under the root is published or needed: deleting it (``make clean``) only makes the next
build slower. Every entry is keyed by content, so a stale entry is never read.

On disk, under :func:`cache_root` (``<output root>/.cache``):

================== ===================================== ======================= ==========================
folder             what                                  keyed by                kept by
================== ===================================== ======================= ==========================
``notebooks/``     what one notebook wrote for one       notebook source,        :mod:`analysis.build.cache`
                   edition (results, tables, figures,    parameters, input
                   executed notebook)                    tables, config, code
``validation/``    facts of a valid dataset (years,      the data files' hashes  :mod:`analysis.build.validation`
                   metadata); invalid data is never
                   cached
``figures/``       saved PNG/SVG of a drawn figure       what the figure shows   :mod:`analysis.figure_cache`
                   (London-level charts are identical    (:func:`~analysis.figure_cache.figure_key`)
                   in every edition: drawn once)
``groups/``        the behaviour-groups analysis that    data, year, config,     :mod:`analysis.groups.results`
                   the London and the 33 borough         seed, public data,
                   editions share                        groups code
``postcode-``      postcode sector centroids             postcode package        :mod:`analysis.geography`
``sectors/``                                             version, first letter
================== ===================================== ======================= ==========================

In memory, per process (a build's worker kernel keeps them from notebook to notebook, so the
borough editions it runs reuse what its London edition computed):
the dataset memo (:mod:`analysis.build.dataset_memo`: each dataset loaded and validated once),
:meth:`analysis.dataset.Dataset.derived` (London-level intermediates of one loaded dataset),
London-level statistics by the content of their arguments (:mod:`analysis.london_memo`),
parsed YAML (:mod:`analysis.yaml_files`) and protected tables (:mod:`analysis.disclosure`);
in a render worker, the compiled chapter templates (:mod:`analysis.document.assemble`).

The root is ``$LONDON_PROVISION_CACHE`` when set, else ``outputs/.cache`` of the project.
``report build --output DIR`` uses ``DIR/.cache`` and sets the variable for its worker
processes and their kernels, so one build keeps everything under its own output root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analysis.paths import OUTPUTS

ENV_VAR = "LONDON_PROVISION_CACHE"
CACHE_FOLDER = ".cache"
#: The cache folders under the root (see the table above).
LAYERS = ("notebooks", "validation", "figures", "groups", "postcode-sectors")


def cache_root(output_root: Path | str | None = None) -> Path:
    """The cache root: ``<output_root>/.cache`` when an output root is given, else
    ``$LONDON_PROVISION_CACHE``, else ``outputs/.cache`` of the project."""
    if output_root is not None:
        return Path(output_root) / CACHE_FOLDER
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else OUTPUTS / CACHE_FOLDER


def cache_dir(layer: str, output_root: Path | str | None = None) -> Path:
    """The folder of one cache layer (one of :data:`LAYERS`) under :func:`cache_root`."""
    if layer not in LAYERS:
        raise ValueError(f"unknown cache layer {layer!r}; layers: {', '.join(LAYERS)}")
    return cache_root(output_root) / layer


@contextmanager
def using_root(root: Path | str) -> Iterator[Path]:
    """Make ``root`` the cache root of this process (and of the processes it starts) for the
    duration of the ``with`` block; the previous setting is restored afterwards."""
    previous = os.environ.get(ENV_VAR)
    root = Path(root).resolve()  # the processes it starts may run in another folder
    os.environ[ENV_VAR] = str(root)
    try:
        yield root
    finally:
        if previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous
