"""Configuration YAML read once per process, handed out as copies, re-read when edited."""

from __future__ import annotations

import os

import yaml

from analysis.paths import CONFIG
from analysis.yaml_files import read_yaml


def test_same_values_as_safe_load_for_every_config_file():
    for path in sorted(CONFIG.rglob("*.yaml")):
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_copies_and_rereads_an_edited_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("threshold: 0.5\nlist: [1, 2]\n", encoding="utf-8")
    first = read_yaml(path)
    first["list"].append(3)  # a caller modifying what it got
    assert read_yaml(path) == {"threshold": 0.5, "list": [1, 2]}
    path.write_text("threshold: 0.75\nlist: [1, 2]\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert read_yaml(path)["threshold"] == 0.75
