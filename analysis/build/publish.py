"""Crash-safe publishing: build in a staging folder, then swap it into place.

Staging: ``outputs/.staging/<year>/<edition>-<random>/``. Publishing renames the previous
edition aside (``<edition>-previous-<random>``), renames the staged one into
``outputs/<year>/<edition>`` and only then deletes the previous one. If the process is killed
between the two renames, :func:`recover` (run at the start of every build) puts the previous
edition back; every other leftover in ``.staging`` is simply deleted. So a build killed at any
point leaves the previous outputs (or, during the swap, a recoverable copy of them) and the next
build needs no manual cleaning.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

PREVIOUS = "-previous-"


def staging_root(output_root: Path) -> Path:
    return Path(output_root) / ".staging"


def new_staging_dir(output_root: Path, year: int, edition: str) -> Path:
    """A fresh, empty staging folder for one edition."""
    path = staging_root(output_root) / str(year) / f"{edition}-{uuid.uuid4().hex[:10]}"
    path.mkdir(parents=True)
    return path


def published_dir(output_root: Path, year: int, edition: str) -> Path:
    return Path(output_root) / str(year) / edition


def publish(staged: Path, output_root: Path, year: int, edition: str) -> Path:
    """Move ``staged`` to ``outputs/<year>/<edition>``, replacing the previous edition."""
    target = published_dir(output_root, year, edition)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if target.exists():
        aside = staged.parent / f"{edition}{PREVIOUS}{uuid.uuid4().hex[:10]}"
        os.replace(target, aside)
    os.replace(staged, target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    return target


def recover(output_root: Path) -> list[str]:
    """Undo the effects of an interrupted build; returns what was restored (for the log).

    A ``<edition>-previous-*`` folder whose edition is missing is renamed back; everything else
    under ``.staging`` (half-built editions) is deleted.
    """
    restored: list[str] = []
    root = staging_root(output_root)
    if not root.exists():
        return restored
    for year_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for leftover in sorted(year_dir.iterdir()):
            if PREVIOUS in leftover.name:
                edition = leftover.name.split(PREVIOUS)[0]
                target = published_dir(output_root, int(year_dir.name), edition)
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(leftover, target)
                    restored.append(f"{year_dir.name}/{edition}")
                    continue
            shutil.rmtree(leftover, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return restored
