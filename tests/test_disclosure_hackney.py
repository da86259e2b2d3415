"""Issue 15/10: Hackney's own raw returns (the real-formats fixture at 70 children per borough)
import and build Hackney's edition; the attacker's audit in the build passes. Before the fold,
every destination outside London held a single child with their total published, and the
audit refused the edition (14 cells recovered as exactly 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.build import build_command
from analysis.cli import app
from analysis.disclosure import load_rules
from analysis.disclosure_audit import audit_edition
from analysis.example import real_formats as rf

pytestmark = pytest.mark.slow


def test_hackney_raw_returns_build_and_pass_the_audit(tmp_path: Path) -> None:
    folder = tmp_path / "liia"
    folder.mkdir()
    # homes drawn from all London's and England's (own_borough_share 0): Hackney's children
    # scattered one per destination, the case the destination folds exist for
    info = rf.write_liia_folder(folder, children_per_borough=70, own_borough_share=0.0)
    raw = rf.write_raw_returns(info["history"], "Hackney", tmp_path / "returns")
    ofsted = rf.write_ofsted_file(info["register"], tmp_path, ".ods")
    dataset = tmp_path / "hackney"
    result = CliRunner().invoke(
        app,
        ["import", str(raw), "--out", str(dataset), "--la", "Hackney", "--ofsted", str(ofsted)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    code = build_command(
        data_dir=dataset, year=2023, borough="Hackney", engine="pandoc", jobs=2, output_root=out
    )
    assert code == 0
    edition = out / "2023" / "hackney"
    assert audit_edition(edition) == []
    # the destinations and receiving tables fold what suppression could not protect
    label = load_rules().folds["patterns_destinations"]["label"]
    destinations = pd.read_csv(edition / "tables" / "patterns_destinations.csv", dtype=str)
    receiving = pd.read_csv(edition / "tables" / "placements_receiving_las.csv", dtype=str)
    assert label in destinations["la"].tolist() and label in receiving["la"].tolist()
    sidecar = json.loads((edition / "tables" / "patterns_destinations.disclosure.json").read_text())
    assert sidecar["folded_into"] == label
    # patterns.json lists the same controlled destinations as the table
    patterns = json.loads((edition / "results" / "patterns.json").read_text())
    assert [d["la"] for d in patterns["destinations"]] == destinations["la"].tolist()
