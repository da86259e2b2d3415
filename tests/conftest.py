"""Shared fixtures. ``built_outputs``: one full build (London + 33 boroughs) per test session.

Set ``LONDON_BUILT_OUTPUTS=<output root>`` (with ``LONDON_BUILT_DATA=<dataset dir>``) to scan an
existing build instead of building again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.paths import EXAMPLE_DATA, ROOT, SHARED_PUBLIC_DATA


def _example_dataset(tmp: Path) -> Path:
    """The bundled example dataset, or a freshly generated one when it is not in the tree."""
    if any(EXAMPLE_DATA.glob("episodes.*")):
        return EXAMPLE_DATA
    out = tmp / "example-data"
    done = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "example", "generate", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"example generation failed:\n{done.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def built_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(output root, dataset dir) of ``report build --all-boroughs`` on the example dataset."""
    if os.environ.get("LONDON_BUILT_OUTPUTS"):
        data = Path(os.environ.get("LONDON_BUILT_DATA", str(EXAMPLE_DATA)))
        return Path(os.environ["LONDON_BUILT_OUTPUTS"]), data
    try:
        import analysis.build  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"report build is not available yet ({exc})")
    tmp = tmp_path_factory.mktemp("build")
    data = _example_dataset(tmp)
    out = tmp / "outputs"
    command = [
        sys.executable, "-m", "analysis.cli", "build", "--all-boroughs",
        "--data", str(data), "--output", str(out), "--jobs", "2",
    ]  # fmt: skip
    if SHARED_PUBLIC_DATA.exists():
        command += ["--public-data", str(SHARED_PUBLIC_DATA)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"report build failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return out, data
