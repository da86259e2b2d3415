"""Orchestration: editions, content cache, failing notebooks, crash-safe publish, reproducibility.

These tests run tiny throwaway notebooks from ``tmp_path`` through the real pipeline (worker
processes, persistent kernels, cache, rendering), so they do not depend on the analysis notebooks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from analysis.build import build_command
from analysis.build.editions import UnknownBoroughError, borough_edition, editions_to_build
from analysis.build.pipeline import (
    BuildFailed,
    BuildSettings,
    discover_notebooks,
    load_report_config,
    run_build,
)
from analysis.build.publish import PREVIOUS, recover

pytestmark = pytest.mark.xdist_group("build")

PARAMS = (
    'data_dir = ""\nyear = 0\nedition = ""\noutput_dir = ""\nseed = 0\n'
    'config_dir = ""\npublic_data_dir = ""'
)

WRITE_RESULT = """
import pandas as pd
from pathlib import Path
from analysis.outputs import EditionPaths, write_json, write_table
paths = EditionPaths.for_edition(output_dir)
rows = pd.read_csv(Path(data_dir) / "{table}.csv")
write_json(paths.results / "{name}.json", {{"rows": len(rows), "edition": edition, "total": float(rows["n"].sum())}})
_ = write_table(rows, paths.tables / "{name}.csv", child_counts=["n"])
"""

FIGURE = """
import matplotlib.pyplot as plt
from analysis.charts import save_figure, use_af_style
from analysis.verdicts import HypothesisResult, Indicator
use_af_style()
fig, ax = plt.subplots()
ax.bar(["a", "b"], [3, 9])
save_figure(fig, paths, "h1_demo", caption="Demo", alt="b is three times a", table=rows, child_counts=["n"])
r = HypothesisResult(1, "Supported", "Supported when x > 0", [Indicator("x", 0.4, 0.1, 0.7, 0.01, n=100)],
                     figures=["h1_demo"], summary="x is positive.")
_ = write_json(paths.results / "h1.json", r.to_dict())
"""


def make_notebook(path: Path, *cells: str, params: str = PARAMS) -> Path:
    """A notebook with a ``parameters`` cell (``params``) and code cells ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell(params)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """A dataset of two tables and two notebooks, each reading one table."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "episodes.csv").write_text("k,n\na,10\nb,20\n", encoding="utf-8")
    (data / "costs.csv").write_text("k,n\na,7\nb,30\n", encoding="utf-8")
    nbs = tmp_path / "nbs"
    make_notebook(
        nbs / "h1_needs.ipynb", WRITE_RESULT.format(table="episodes", name="h1_data") + FIGURE
    )
    make_notebook(nbs / "h4_cost.ipynb", WRITE_RESULT.format(table="costs", name="h4_data"))
    return {"data": data, "nbs": nbs, "out": tmp_path / "out"}


def settings_for(project: dict[str, Path], editions=None, **kw) -> BuildSettings:
    config = load_report_config()
    config["notebook_html"] = False
    config["notebook_inputs"] = {"h1_needs": ["episodes"], "h4_cost": ["costs"]}
    return BuildSettings(
        data_dir=project["data"],
        year=2022,
        editions=editions or editions_to_build(None, False),
        output_root=project["out"],
        jobs=2,
        notebooks_dir=project["nbs"],
        metadata={"name": "test data", "synthetic": True},
        report_config=config,
        **kw,
    )


def test_borough_names_codes_and_unknown():
    assert borough_edition("camden").la_name == "Camden"
    assert borough_edition("E09000007").slug == "camden"
    assert borough_edition("Hammersmith & Fulham").slug == "hammersmith-and-fulham"
    with pytest.raises(UnknownBoroughError) as err:
        borough_edition("Gotham")
    assert "Camden" in err.value.valid and len(err.value.valid) == 33
    assert [e.slug for e in editions_to_build(None, True)][:2] == ["london", "barking-and-dagenham"]
    assert len(editions_to_build(None, True)) == 34


def test_unknown_borough_exits_2(tmp_path, capsys):
    code = build_command(data_dir=tmp_path, borough="Gotham", output_root=tmp_path / "o")
    assert code == 2
    assert "Camden" in capsys.readouterr().err


def test_notebook_discovery_follows_configured_order(tmp_path):
    for name in ("zeta", "h1_needs", "patterns", "_draft"):
        make_notebook(tmp_path / f"{name}.ipynb", "pass")
    found = [p.stem for p in discover_notebooks(tmp_path, ["patterns", "h1_needs"])]
    assert found == ["patterns", "h1_needs", "zeta"]


def test_build_cache_and_selective_rebuild(project):
    s = settings_for(project)
    first = run_build(s)
    assert first.published == ["london"] and first.executed == 2
    edition = project["out"] / "2022" / "london"
    for rel in (
        "results/h1_data.json",
        "results/h4_data.json",
        "report.html",
        "report.pdf",
        "tables.xlsx",
        "figures/h1_demo.png",
        "figures/h1_demo.svg",
        "tables/h1_data.csv",
    ):
        assert (edition / rel).exists(), rel
    assert (project["out"] / "2022" / "index.html").exists()

    again = run_build(s)  # speed is measured by scripts/benchmark.py, not asserted here
    assert again.unchanged == ["london"] and again.executed == 0

    (project["data"] / "costs.csv").write_text("k,n\na,8\nb,30\n", encoding="utf-8")
    changed = run_build(s)
    assert changed.executed == 1 and changed.from_cache == 1  # only h4_cost re-ran
    assert '"total": 38.0' in (edition / "results" / "h4_data.json").read_text()
    # input files are never modified
    assert (project["data"] / "episodes.csv").read_text() == "k,n\na,10\nb,20\n"


def test_failing_notebook_names_cell_and_publishes_nothing(project):
    s = settings_for(project)
    run_build(s)
    before = (project["out"] / "2022" / "london" / "report.html").read_bytes()
    make_notebook(project["nbs"] / "h5_risk.ipynb", "x = 1", "raise ValueError('planted failure')")
    with pytest.raises(BuildFailed) as err:
        run_build(s)
    msg = str(err.value)
    assert "h5_risk" in msg and "cell" in msg and "ValueError: planted failure" in msg
    assert (project["out"] / "2022" / "london" / "report.html").read_bytes() == before
    assert not any((project["out"] / ".staging").glob("2022/london-*"))


def test_recover_restores_edition_left_aside(tmp_path):
    aside = tmp_path / ".staging" / "2022" / f"london{PREVIOUS}abc"
    aside.mkdir(parents=True)
    (aside / "report.html").write_text("old")
    (tmp_path / ".staging" / "2022" / "camden-123").mkdir()
    assert recover(tmp_path) == ["2022/london"]
    assert (tmp_path / "2022" / "london" / "report.html").read_text() == "old"
    assert not (tmp_path / ".staging").exists()


KILL_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_build import settings_for
from analysis.build.pipeline import run_build
run_build(settings_for({{"data": Path({data!r}), "nbs": Path({nbs!r}), "out": Path({out!r})}}))
"""


def test_sigkill_mid_build_leaves_previous_outputs(project):
    run_build(settings_for(project))
    edition = project["out"] / "2022" / "london"
    before = {p.relative_to(edition): p.read_bytes() for p in edition.rglob("*") if p.is_file()}
    make_notebook(project["nbs"] / "h6_staffing.ipynb", "import time\ntime.sleep(60)")
    script = KILL_SCRIPT.format(
        tests=str(Path(__file__).parent),
        data=str(project["data"]),
        nbs=str(project["nbs"]),
        out=str(project["out"]),
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not any((project["out"] / ".staging").glob("2022/_work-*/*")):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.relative_to(edition): p.read_bytes() for p in edition.rglob("*") if p.is_file()}
    assert after == before
    (project["nbs"] / "h6_staffing.ipynb").unlink()
    (project["data"] / "costs.csv").write_text("k,n\na,9\nb,30\n", encoding="utf-8")
    summary = run_build(settings_for(project))  # recovers without manual cleaning
    assert summary.published == ["london"]
    assert not list((project["out"] / ".staging").glob("2022/*"))


def test_two_builds_are_byte_identical(project, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = settings_for(project)
    run_build(a)
    project_b = {**project, "out": tmp_path / "out-b"}
    run_build(settings_for(project_b))
    ea, eb = project["out"] / "2022" / "london", project_b["out"] / "2022" / "london"
    files = sorted(
        p.relative_to(ea)
        for p in ea.rglob("*")
        if p.is_file()
        and p.parts[-2] in ("results", "tables", "figures", "notebooks")
        or p.name in ("report.html", "report.pdf", "tables.xlsx")
    )
    assert len(files) >= 8
    # the executed notebooks too: no scratch paths, timestamps, random ids or kernel counts
    assert any(p.suffix == ".ipynb" for p in files)
    for rel in files:
        assert (ea / rel).read_bytes() == (eb / rel).read_bytes(), rel


def test_kernel_session_runs_notebooks_in_isolation(tmp_path):
    """One persistent kernel and client run notebook after notebook; a notebook sees neither
    the previous one's variables nor its open figures."""
    from analysis.build.execute import KernelSession, NotebookTask

    first = make_notebook(
        tmp_path / "first.ipynb",
        "import matplotlib.pyplot as plt\nleftover = 1\nfig = plt.figure()",
    )
    second = make_notebook(
        tmp_path / "second.ipynb",
        "import matplotlib.pyplot as plt\n"
        "assert 'leftover' not in dir(), 'variable leaked from the previous notebook'\n"
        "assert plt.get_fignums() == [], 'figure leaked from the previous notebook'",
    )
    session = KernelSession(tmp_path)
    try:
        client = session.kc
        outcomes = [
            session.run(NotebookTask(nb, "london", {}, tmp_path / nb.stem, nb.stem, html=False))
            for nb in (first, second, first, second)
        ]
        assert [o.ok for o in outcomes] == [True] * 4, [o.message() for o in outcomes]
        assert session.kc is client and session.alive()
    finally:
        session.shutdown()


def test_longest_notebooks_start_first(tmp_path):
    from analysis.build.execute import NotebookTask
    from analysis.build.pipeline import longest_first

    def task(name: str, figures: bool = True) -> NotebookTask:
        return NotebookTask(tmp_path / f"{name}.ipynb", "x", {}, tmp_path, name, figures=figures)

    tasks = [task("a"), task("big"), task("big", figures=False), task("unknown"), task("mid")]
    ordered = longest_first(tasks, {"big": 6, "mid": 2, "a": 0.5})
    assert [(t.notebook.stem, t.figures) for t in ordered] == [
        ("big", True),
        ("big", False),  # 6 / 3 = 2, tied with "mid": the planned order decides
        ("mid", True),
        ("unknown", True),  # 1 s by default
        ("a", True),
    ]


def test_national_notebook_depends_on_no_dataset_table():
    """The national notebook reads only the public data (hashed into its key separately): a
    change to a dataset table must not re-run it in every edition."""
    from analysis.hashing import inputs_for

    deps = load_report_config()["notebook_inputs"]
    hashes = {"episodes.csv": "a", "homes.csv": "b", "dataset.yaml": "c"}
    assert deps["national"] == []
    assert inputs_for(hashes, deps["national"]) == {"dataset.yaml": "c"}


def test_a_relative_output_root_and_dataset_folder_build_as_absolute_ones(project, monkeypatch):
    """Notebooks run in their own folder and pandoc in the edition's: the paths a build hands
    them (output root, dataset, the cache root of its processes) must not depend on the
    working directory (a user's ``--output out`` once published nothing, and poisoned the
    cache with runs whose results went elsewhere)."""
    monkeypatch.chdir(project["out"].parent)
    relative = {**project, "out": Path("out"), "data": Path("data")}
    summary = run_build(settings_for(relative))
    assert summary.published == ["london"]
    edition = project["out"] / "2022" / "london"
    assert json.loads((edition / "results" / "h1_data.json").read_text())["rows"] == 2
    assert (edition / "results" / "h4_data.json").exists()


def test_a_london_edition_built_from_other_data_is_named_as_the_cause(project, monkeypatch):
    """A borough edition is audited beside the published London edition. When that London
    edition was built from other data, the failure leads with the mismatch (and lists a few
    problems), not with a wall of contradictions."""
    from analysis.build import pipeline
    from analysis.build.cache import NotebookCache
    from analysis.build.editions import Edition
    from analysis.caches import cache_dir
    from analysis.hashing import directory_hashes

    run_build(settings_for(project, editions=[Edition("london")], render=False))
    camden = settings_for(project, editions=[borough_edition("Camden")], render=False)
    notebooks = discover_notebooks(project["nbs"], [])
    cache = NotebookCache(cache_dir("notebooks", camden.output_root))

    def current() -> bool | None:
        hashes = directory_hashes(camden.data_dir)
        return pipeline._london_current(camden, notebooks, hashes, cache)

    assert current() is True
    (project["data"] / "episodes.csv").write_text("k,n\na,11\nb,20\n", encoding="utf-8")
    assert current() is False
    assert pipeline._london_current(settings_for(project), notebooks, {}, cache) is None

    problems = [f"camden: t r{i} n: contradiction (range [3.00, 2.00])" for i in range(40)]
    monkeypatch.setattr(pipeline, "_audit_one", lambda item: problems)
    staged = {"camden": project["out"] / "staged-camden"}
    with pytest.raises(BuildFailed) as err:
        pipeline.audit_staged_editions(
            staged, project["out"], 2022, london_current=False, data_dir=project["data"]
        )
    message = str(err.value)
    assert message.startswith("the London edition in ")
    assert "built from other data" in message and str(project["data"]) in message
    assert message.count("contradiction (range") == pipeline.AUDIT_LINES_SHOWN_STALE
    assert "and 35 more" in message
    with pytest.raises(BuildFailed) as err:  # London current: the audit's own message
        pipeline.audit_staged_editions(staged, project["out"], 2022, london_current=True)
    assert str(err.value).startswith("disclosure audit: 40 suppressed count(s)")
    assert "rebuild it first" not in str(err.value)


def test_published_notebook_shows_no_machine_paths_counts_or_times(tmp_path):
    """What a build publishes of an executed notebook does not depend on where the build ran,
    on the scratch folder or on what its kernel ran before (reproducible_notebook)."""
    from analysis.build.execute import reproducible_notebook, shown_parameters

    root = tmp_path / "project"
    (root / "data" / "example").mkdir(parents=True)
    outside = tmp_path / "elsewhere" / "liia"
    params = {
        "data_dir": str(root / "data" / "example"),
        "config_dir": str(root / "config"),
        "public_data_dir": str(outside),
        "output_dir": str(tmp_path / "out" / ".staging" / "2022" / "_work-1a2b" / ("e" * 64)),
        "year": 2022,
        "edition": "camden",
    }
    shown = shown_parameters(params, root)
    assert shown["data_dir"] == "data/example" and shown["config_dir"] == "config"
    assert shown["public_data_dir"] == str(outside)  # outside the project: as given
    assert shown["output_dir"] == ".." and shown["year"] == 2022
    assert shown_parameters({**params, "public_data_dir": ""}, root)["public_data_dir"] == ""

    def executed(first_count: int, workdir: str, printed: list[str]) -> nbformat.NotebookNode:
        from papermill.parameterize import parameterize_notebook

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.metadata["papermill"] = {}
        cell = nbformat.v4.new_code_cell(PARAMS)
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_markdown_cell("x")]
        nb.cells.append(nbformat.v4.new_code_cell("never ran"))
        for i, c in enumerate(nb.cells):  # the source notebook's fixed ids
            c.metadata.setdefault("tags", [])
            c.id = f"cell-{i}"
        nb = parameterize_notebook(nb, {**params, "output_dir": workdir})
        for i, c in enumerate(nb.cells[:3]):  # a kernel that ran other notebooks before
            if c.cell_type == "code":
                c.execution_count = first_count + i
                c.metadata["execution"] = {"iopub.execute_input": f"2026-12-01T12:0{i}:00Z"}
        nb.cells[2].outputs = [
            *(nbformat.v4.new_output("stream", name="stdout", text=t) for t in printed),
            nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
            nbformat.v4.new_output("stream", name="stdout", text="after\n"),
            nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=99),
        ]
        return nb

    # the kernel sent the printed line in two chunks in one run, in one chunk in the other
    a = reproducible_notebook(
        executed(645, "/tmp/a/_work-1/k", ["Wrote h1", ".json\n"]), params, root
    )
    b = reproducible_notebook(executed(7, "/tmp/b/_work-2/k", ["Wrote h1.json\n"]), params, root)
    assert nbformat.writes(a) == nbformat.writes(b)
    streams = [(o.get("name"), o.get("text")) for o in a.cells[2].outputs[:-1]]
    assert streams == [
        ("stdout", "Wrote h1.json\n"),
        ("stderr", "a warning\n"),
        ("stdout", "after\n"),
    ]
    counts = [c.get("execution_count") for c in a.cells if c.cell_type == "code"]
    assert counts == [1, 2, 3, None]  # as a fresh kernel numbers them; the cell that never ran
    assert a.cells[2].outputs[-1]["execution_count"] == 3
    injected = a.cells[1]
    assert injected.id == "injected-parameters" and 'output_dir = ".."' in injected.source
    assert 'data_dir = "data/example"' in injected.source and "_work-" not in injected.source
    assert a.metadata.papermill.parameters["data_dir"] == "data/example"
    assert not any("execution" in c.metadata for c in a.cells)
