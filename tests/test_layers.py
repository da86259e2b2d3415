"""Layers that only point down: the build orchestrates, the report renders.

Every ``import`` in the analysis package (including those inside functions, where a cycle is
easy to hide) is read with :mod:`ast`, and:

- ``analysis.document`` never imports ``analysis.build``;
- nothing below the build (every module but ``analysis.build`` and the CLI) imports it;
- ``analysis.build`` uses the report only through the names ``analysis.document`` exports
  (``__all__``), never its submodules;
- the statistical layers (everything but build, report and the CLI) import neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.paths import ROOT

PACKAGE = ROOT / "analysis"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[str, list[str], int]]:
    """``(module imported, names taken from it, line)`` for every import in ``path``
    (relative imports resolved against the module's package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names], node.lineno))
    return found


def edges() -> list[tuple[str, str, list[str], int]]:
    """``(importer, imported, names, line)`` for every import of an analysis module."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for target, names, line in imports_of(path):
            if target == "analysis":  # ``from analysis import build`` names a subpackage
                out += [(importer, f"analysis.{n}", [], line) for n in names]
            elif target.startswith("analysis."):
                out.append((importer, target, names, line))
    return out


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def report_exports() -> set[str]:
    tree = ast.parse((PACKAGE / "document" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("analysis.document declares no __all__")


def test_the_parser_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "analysis" / "document" / "x.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "def f():\n    from analysis.build.cache import NotebookCache\n    from . import y\n"
    )
    found = [(module, names) for module, names, _ in imports_of(sample, tmp_path)]
    assert ("analysis.build.cache", ["NotebookCache"]) in found
    assert ("analysis.document", ["y"]) in found


def test_the_package_has_the_layers_this_test_checks():
    names = {module_name(p) for p in PACKAGE.rglob("*.py")}
    for expected in ("analysis.build.pipeline", "analysis.document", "analysis.hashing"):
        assert expected in names
    assert any(
        within(a, "analysis.build") and within(b, "analysis.document") for a, b, *_ in edges()
    )


def test_the_report_never_imports_the_build():
    bad = [
        f"{a} line {line} imports {b}"
        for a, b, _, line in edges()
        if within(a, "analysis.document") and within(b, "analysis.build")
    ]
    assert not bad, "the report renders, the build orchestrates:\n" + "\n".join(bad)


@pytest.mark.parametrize("top", ["analysis.build", "analysis.cli"])
def test_only_the_cli_imports_the_top_layers(top):
    allowed = ("analysis.build", "analysis.cli")
    bad = [
        f"{a} line {line} imports {b}"
        for a, b, _, line in edges()
        if within(b, top) and not any(within(a, ok) for ok in allowed)
    ]
    assert not bad, f"{top} is above these modules:\n" + "\n".join(bad)


def test_the_build_uses_only_the_reports_public_names():
    exports = report_exports()
    bad = []
    for a, b, names, line in edges():
        if not within(a, "analysis.build") or not within(b, "analysis.document"):
            continue
        if b != "analysis.document":
            bad.append(f"{a} line {line} imports the report's internals ({b})")
        bad += [
            f"{a} line {line} imports analysis.document.{n} (not in __all__)"
            for n in names
            if n not in exports
        ]
    assert not bad, "\n".join(bad)


def test_statistics_import_neither_build_nor_report():
    upper = ("analysis.build", "analysis.document", "analysis.cli")
    bad = [
        f"{a} line {line} imports {b}"
        for a, b, _, line in edges()
        if not any(within(a, u) for u in upper) and any(within(b, u) for u in upper)
    ]
    assert not bad, "\n".join(bad)
