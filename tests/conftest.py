"""Shared fixtures. ``built_outputs``: one full build (London + 33 boroughs) per test session.

Set ``LONDON_BUILT_OUTPUTS=<output root>`` (with ``LONDON_BUILT_DATA=<dataset dir>``) to scan an
existing build instead of building again.
"""

from __future__ import annotations

import fcntl
import json
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that read the full build run on one xdist worker (``--dist loadgroup``), so the
    session fixture builds once while the other worker runs everything else."""
    for item in items:
        if "built_outputs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("built_outputs"))


@pytest.fixture(scope="session")
def built_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(output root, dataset dir) of ``report build --all-boroughs`` on the example dataset.

    Built once per test run even under pytest-xdist: workers share the folder above their own
    base temp and take a file lock; the first builds, the others reuse (or repeat its failure).
    """
    if os.environ.get("LONDON_BUILT_OUTPUTS"):
        data = Path(os.environ.get("LONDON_BUILT_DATA", str(EXAMPLE_DATA)))
        return Path(os.environ["LONDON_BUILT_OUTPUTS"]), data
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    tmp = shared / "built-outputs"
    tmp.mkdir(exist_ok=True)
    with open(shared / "built-outputs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = tmp / "result.json"
        if not done.exists():
            done.write_text(json.dumps(_build_all(tmp)), encoding="utf-8")
    result = json.loads(done.read_text(encoding="utf-8"))
    if result.get("error"):
        pytest.fail(result["error"])
    return Path(result["out"]), Path(result["data"])


def _build_all(tmp: Path) -> dict[str, str]:
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
        error = f"report build failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        return {"error": error, "out": str(out), "data": str(data)}
    return {"error": "", "out": str(out), "data": str(data)}
