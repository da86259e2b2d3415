"""The content-addressed cache of notebook executions: ``<cache root>/notebooks/<key>/``.

An entry holds exactly what one notebook wrote for one edition (``results/``, ``tables/``,
``figures/``, ``notebooks/``). Entries are written to a temporary folder and renamed into
place, so a build killed while storing leaves no half entry.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


class NotebookCache:
    """Look up and store notebook outputs by content key."""

    def __init__(self, folder: Path) -> None:
        """``folder``: the ``notebooks`` layer of the cache root (:mod:`analysis.caches`)."""
        self.root = Path(folder)

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        return (self.entry(key) / ".complete").exists()

    def restore(self, key: str, target: Path) -> None:
        """Copy a cached entry's files into ``target`` (merging with what is there)."""
        shutil.copytree(self.entry(key), target, dirs_exist_ok=True, ignore=_ignore_marker)

    def store(self, key: str, workdir: Path) -> None:
        """Store ``workdir`` as the entry for ``key`` (atomic: temp copy, then rename)."""
        final = self.entry(key)
        if self.has(key):
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        shutil.copytree(workdir, tmp)
        (tmp / ".complete").write_text(key + "\n", encoding="utf-8")
        if final.exists():  # an incomplete leftover of a killed build
            shutil.rmtree(final)
        os.replace(tmp, final)


def _ignore_marker(_dir: str, names: list[str]) -> list[str]:
    return [n for n in names if n == ".complete"]
