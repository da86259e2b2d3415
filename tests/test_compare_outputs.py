"""scripts/compare_outputs.py: two builds compared file by file, volatile build content aside."""

from __future__ import annotations

import importlib.util
import json

from analysis.paths import ROOT

spec = importlib.util.spec_from_file_location(
    "compare_outputs", ROOT / "scripts" / "compare_outputs.py"
)
compare_outputs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_outputs)


def _edition(root, *, time="2026-11-30 16:55 UTC", key="a", started="2026-11-30T16:55:13Z", n=7):
    d = root / "2022" / "camden"
    (d / "notebooks").mkdir(parents=True)
    (d / "report.html").write_text(f"<p>Built {time}</p><p>{n} children</p>")
    (d / "build.json").write_text(json.dumps({"edition": "camden", "edition_key": key}))
    nb = {
        "cells": [{"metadata": {"execution": {"iopub.execute_input": started}}, "source": "1"}],
        "metadata": {"papermill": {"duration": 1.0}},
    }
    (d / "notebooks" / "h1.ipynb").write_text(json.dumps(nb))
    (d / "tables.csv").write_text(f"la,n\nCamden,{n}\n")
    return root


def test_builds_differing_only_in_volatile_content_compare_equal(tmp_path):
    old = _edition(tmp_path / "old")
    new = _edition(tmp_path / "new", time="2026-12-01 09:00 UTC", key="b", started="x")
    same, equal, problems = compare_outputs.compare(old, new)
    assert (same, equal, problems) == (1, 3, [])


def test_a_changed_number_or_a_missing_file_is_reported(tmp_path):
    old = _edition(tmp_path / "old")
    new = _edition(tmp_path / "new", n=8)
    (new / "2022" / "camden" / "extra.json").write_text("{}")
    _, _, problems = compare_outputs.compare(old, new)
    assert "differs: 2022/camden/report.html" in problems
    assert "differs: 2022/camden/tables.csv" in problems
    assert any(p.startswith("only in") and p.endswith("extra.json") for p in problems)
    assert compare_outputs.main(["x", str(old), str(new)]) == 1
