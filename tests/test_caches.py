"""One cache root (analysis.caches): every cache folder is under it, named in one place."""

from __future__ import annotations

import ast

import pytest

from analysis.caches import CACHE_FOLDER, LAYERS, cache_dir, cache_root
from analysis.paths import OUTPUTS, ROOT


def test_the_root_is_the_output_roots_cache_else_the_variable_else_the_projects(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("LONDON_PROVISION_CACHE", raising=False)
    assert cache_root() == OUTPUTS / CACHE_FOLDER
    monkeypatch.setenv("LONDON_PROVISION_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    assert cache_dir("groups") == tmp_path / "c" / "groups"
    assert cache_root(tmp_path / "out") == tmp_path / "out" / CACHE_FOLDER
    assert cache_dir("notebooks", tmp_path / "out") == tmp_path / "out" / ".cache" / "notebooks"


def test_an_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="unknown cache layer"):
        cache_dir("elsewhere")


def test_the_groups_and_postcode_caches_follow_the_root(tmp_path, monkeypatch):
    from analysis.geography import centroid_cache_dir

    monkeypatch.setenv("LONDON_PROVISION_CACHE", str(tmp_path))
    assert centroid_cache_dir().is_relative_to(tmp_path / "postcode-sectors")
    assert set(LAYERS) >= {"notebooks", "validation", "figures", "groups", "postcode-sectors"}


def test_no_other_module_names_a_cache_folder():
    """A cache folder named anywhere but analysis.caches would be a second root."""
    offenders = []
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        if path.name == "caches.py" and path.parent.name == "analysis":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value in (".cache", "~/.cache") or node.value.startswith(".cache/"))
            ):
                offenders.append(f"{path.relative_to(ROOT)} line {node.lineno}")
    assert not offenders, offenders
