"""Content hashes: the cache keys that decide what a rebuild must re-execute.

A notebook's key covers its source, its parameters, the hashes of the input files it reads,
the package version and the source of the analysis package it calls, so that changing any of
them re-executes it and changing nothing executes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from analysis.paths import ROOT

#: Package sub-folders whose code does not affect notebook results (build and report assembly).
_NOT_ANALYSIS = ("build", "document")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_hashes(folder: Path) -> dict[str, str]:
    """``relative path -> sha256`` of every file under ``folder`` (hidden files ignored)."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def digest(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable object (sorted keys, so order of dicts does not matter)."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_version() -> str:
    try:
        return version("london-provision")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


@lru_cache(maxsize=1)
def analysis_source_hash() -> str:
    """Hash of the analysis package's Python source, excluding build/report assembly code."""
    pkg = ROOT / "analysis"
    files = {
        rel: h
        for rel, h in directory_hashes(pkg).items()
        if rel.endswith(".py") and rel.split("/")[0] not in _NOT_ANALYSIS
    }
    return digest(files)


def inputs_for(data_hashes: Mapping[str, str], tables: Iterable[str] | None) -> dict[str, str]:
    """The subset of a dataset's file hashes a notebook depends on.

    ``tables`` are table names (file stems such as ``episodes``, ``costs``); ``None`` means the
    notebook reads everything. ``dataset.yaml`` (metadata) is always included.
    Caveat: this relies on the declared dependency list in ``config/report.yaml`` being right;
    a notebook reading an undeclared table would not be re-executed when that table changes.
    """
    if tables is None:
        return dict(data_hashes)
    wanted = set(tables) | {"dataset"}
    return {
        rel: h
        for rel, h in data_hashes.items()
        if Path(rel).name.split(".")[0] in wanted or Path(rel).parts[0] in wanted
    }


def notebook_key(
    notebook: Path,
    parameters: Mapping[str, Any],
    input_hashes: Mapping[str, str],
    config_hashes: Mapping[str, str],
) -> str:
    """The content key of one notebook execution (``output_dir`` excluded from parameters)."""
    params = {k: v for k, v in parameters.items() if k != "output_dir"}
    return digest(
        {
            "notebook": file_sha256(notebook),
            "parameters": params,
            "inputs": dict(input_hashes),
            "config": dict(config_hashes),
            "version": package_version(),
            "analysis": analysis_source_hash(),
        }
    )
