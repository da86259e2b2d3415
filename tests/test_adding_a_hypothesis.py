"""docs/adding-a-hypothesis.md, proved: a seventh hypothesis is added from a temporary folder with
three files (its statistics module, its rules file, its registry entry) and the build gives it a
chapter, a verdict row, its recommendation and its "what changed" line; coded fieldwork
statements about it (``hypothesis: 7`` in the dataset's fieldwork table) validate and are counted.

The six registered hypotheses' chapters are replaced by stubs that write a canned result (their
own tests run them); the new hypothesis runs the real chapter template on the example data, for
this year and the previous one.
"""

from __future__ import annotations

import csv
import inspect
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from analysis.hypotheses import registry
from analysis.paths import CONFIG, EXAMPLE_DATA, NOTEBOOKS, REPORT_SOURCES, ROOT
from analysis.yaml_files import parse_yaml

PYTHONPATH = [os.environ.get("PYTHONPATH", "")]

STATISTICS_MODULE = '''
"""Hypothesis 7 (test): children in children's homes are placed outside London."""

from __future__ import annotations

from analysis.hypotheses.evidence import Estimate, evidence_verdict, share_indicator
from analysis.hypotheses.figures import FigureSpec
from analysis.snapshot import k2_placements
from analysis.verdicts import HypothesisResult, summarise_fieldwork

HYPOTHESIS = 7


def evaluate(ds, year, rules, *, la=None, seed=0):
    """Share of London's K2 children placed outside London, beyond ``min_share``, judged by
    the common evidence rule (its part declared in the rules file)."""
    placements = k2_placements(ds, year)
    share = share_indicator(
        "Share of London children in children's homes placed outside London",
        int(placements["outside_london"].sum()),
        len(placements),
        float(rules.get("alpha", 0.05)),
        unit="proportion",
        id="h7_share_outside",
    )
    floor = float(rules["min_share"])
    verdict, record = evidence_verdict(
        rules,
        {
            "share_beyond_floor": Estimate(
                share.estimate - floor, share.ci_low - floor, share.ci_high - floor,
                n=share.n, unit="children",
            )
        },
    )
    return HypothesisResult(
        hypothesis=HYPOTHESIS,
        verdict=verdict,
        decision_rule=str(rules["decision_rule"]).strip(),
        indicators=[share],
        fieldwork=summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS),
        caveats=["A test hypothesis."],
        summary=f"{verdict}: many London children live in homes outside London.",
        evidence=record,
    )


def figures(ds, year, rules, result, *, la=None, scopes=()):
    """One chart of the share (the table has no count of children)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    share = result.indicators[0]
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.barh(["London"], [share.estimate])
    table = pd.DataFrame({"scope": ["London"], "share": [share.estimate]})
    return [
        FigureSpec(
            "h7_share_outside",
            fig,
            "Share placed outside London",
            "Bar chart of the share of London children in children's homes placed outside London.",
            table,
        )
    ]
'''

RULES = """\
decision_rule: >-
  Supported when the lower bound of the 95% interval of the share placed outside London is
  above the minimum share; otherwise Not supported.
alpha: 0.05
min_share: {min_share}
evidence:
  combine: all
  parts:
    share_beyond_floor:
      scale: share placed outside London minus min_share (0-1)
      direction: 1
      smallest_effect: 0.05
      reason: a test hypothesis; five in 100 children is the smallest excess that would matter
"""

ENTRY = """\
id: 7
title: "Children are placed far from home"
question: >-
  Are London's children placed in children's homes far from home?
module: h7_far_from_home
indicators: [h7_share_outside]
rules: decision_rules/h7.yaml
inputs: [episodes, header, homes, fieldwork]
seconds: 1
chapter:
  background: |-
    A test hypothesis, shown by the chapter template.
"""

RECOMMENDATION = """\
  - id: far-from-home
    theme: Test
    title: Bring children home
    text: A recommendation triggered by hypothesis 7.
    owner: Boroughs
    priority: 1
    triggers:
      - {hypothesis: H7, verdict: Supported}
    cites:
      - {figure: "h7.indicators[h7_share_outside].estimate", label: share placed outside London, format: share}
    measure: {figure: "h7.indicators[h7_share_outside].estimate", label: share placed outside London, format: share, goal: down}
"""

STUB = """\
from analysis.outputs import EditionPaths
from analysis.verdicts import HypothesisResult
from analysis.hypotheses.notebook import resolve_path, write_result

paths = EditionPaths.for_edition(resolve_path(output_dir))
write_result(HypothesisResult({n}, "Not supported", "rule {n}", summary="stub"), paths)
"""

PARAMS = """\
data_dir = ""
year = 2022
edition = "london"
output_dir = ""
seed = 0
config_dir = ""
public_data_dir = ""
"""


#: Coded fieldwork statements about H7 (the guide's "Fieldwork"), dated in the report's year.
H7_FIELDWORK = [
    ("FW2022-H7-1", "Borough fieldwork", "", 7, "Supports", "distance from home",
     "Children placed far away lose touch with school and family.", "2022-02-01"),
    ("FW2022-H7-2", "Provider interview", "", 7, "Supports", "distance from home",
     "Most referrals we take are from boroughs a long way off.", "2022-03-01"),
    ("FW2022-H7-3", "Social worker roundtable", "", 7, "Supports", "visits",
     "Visits to children placed far away take a whole day.", "2022-04-01"),
    ("FW2022-H7-4", "Stakeholder interview", "", 7, "Mixed", "visits",
     "Distance matters less than the quality of the home.", "2022-05-01"),
]  # fmt: skip


def example_with_h7_fieldwork(tmp_path: Path) -> Path:
    """The example dataset with :data:`H7_FIELDWORK` added to its fieldwork table."""
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    with (data / "fieldwork.csv").open("a", encoding="utf-8", newline="") as table:
        csv.writer(table, lineterminator="\n").writerows(H7_FIELDWORK)
    return data


def _stub_notebook(path: Path, n: int) -> None:
    from test_build import make_notebook  # tests/ is on sys.path

    make_notebook(path, STUB.format(n=n), params=PARAMS)


def add_hypothesis_seven(tmp_path: Path, monkeypatch, min_share: float) -> Path:
    """The guide's three files, from ``tmp_path``; returns the config folder."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "h7_far_from_home.py").write_text(STATISTICS_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(modules))  # this process, and the build's kernels:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(modules), *PYTHONPATH])))
    (config / "decision_rules" / "h7.yaml").write_text(
        RULES.format(min_share=min_share), encoding="utf-8"
    )
    (config / "hypotheses" / "h7.yaml").write_text(ENTRY, encoding="utf-8")
    # optional: a recommendation the new verdict triggers
    with (config / "recommendations.yaml").open("a", encoding="utf-8") as bank:
        bank.write(RECOMMENDATION)
    return config


def test_registry_derives_the_build_lists_from_the_entry(tmp_path, monkeypatch):
    config = add_hypothesis_seven(tmp_path, monkeypatch, 0.2)
    assert registry.ids(config) == (1, 2, 3, 4, 5, 6, 7)
    h7 = registry.get(7, config)
    assert h7.notebook == "h7" and h7.key == "h7" and h7.label == "H7"
    from analysis.build.pipeline import load_report_config

    derived = load_report_config(config)
    order = derived["notebook_order"]
    assert order.index("h6_staffing") < order.index("h7") < order.index("national")
    assert "h7" in derived["previous_year_notebooks"]
    assert derived["notebook_inputs"]["h7"] == ["episodes", "header", "homes", "fieldwork"]
    assert derived["notebook_seconds"]["h7"] == 1.0
    # the project's own registry is untouched
    assert registry.ids() == (1, 2, 3, 4, 5, 6)


def test_registry_refuses_a_repeated_id(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG / "hypotheses", config / "hypotheses")
    shutil.copy(config / "hypotheses" / "h1.yaml", config / "hypotheses" / "copy.yaml")
    with pytest.raises(registry.RegistryError, match="more than one entry with id 1"):
        registry.registry(config)


@pytest.mark.slow
def test_a_seventh_hypothesis_from_a_temporary_folder_reaches_the_report(tmp_path, monkeypatch):
    from analysis.build import BuildSettings, editions_to_build, load_report_config, run_build
    from analysis.document.assemble import build_context, write_sources

    # this year it is Supported (about half of the example's children are placed outside
    # London); the previous year is built with the same rules, so the verdict is the same
    config = add_hypothesis_seven(tmp_path, monkeypatch, 0.2)
    notebooks = tmp_path / "notebooks"
    (notebooks / registry.LAYOUTS_DIR).mkdir(parents=True)
    shutil.copy(NOTEBOOKS / registry.TEMPLATE_NOTEBOOK, notebooks / registry.TEMPLATE_NOTEBOOK)
    for h in registry.registry(config):  # a notebook named like the chapter is run as it is
        if h.id != 7:
            _stub_notebook(notebooks / f"{h.notebook}.ipynb", h.id)
    settings_config = load_report_config(config)
    settings_config["notebook_html"] = False
    out = tmp_path / "out"
    summary = run_build(
        BuildSettings(
            data_dir=example_with_h7_fieldwork(tmp_path),
            year=2022,
            editions=editions_to_build(None, False),
            output_root=out,
            jobs=2,
            notebooks_dir=notebooks,
            config_dir=config,
            previous_year=2021,
            metadata={"name": "example", "synthetic": True},
            report_config=settings_config,
            render=False,
        )
    )
    assert summary.published == ["london"]
    edition = out / "2022" / "london"
    result = json.loads((edition / "results" / "h7.json").read_text(encoding="utf-8"))
    assert result["title"] == "Children are placed far from home"
    assert result["verdict"] == "Supported"
    assert result["figures"] == ["h7_share_outside"]
    assert (edition / "figures" / "h7_share_outside.png").exists()
    assert (edition / "previous" / "results" / "h7.json").exists()
    notebook = (edition / "notebooks" / "h7.ipynb").read_text(encoding="utf-8")
    assert "A test hypothesis, shown by the chapter template." in notebook  # the entry's prose
    fieldwork = result["fieldwork"]  # the guide's "Fieldwork": counted for the new id
    assert (fieldwork["supports"], fieldwork["contradicts"], fieldwork["mixed"]) == (3, 0, 1)

    # the report: chapter, verdict row, recommendation, "what changed" and decision rule
    report_settings = json.loads(json.dumps(settings_config))
    ctx = build_context(
        edition,
        edition="london",
        la_name=None,
        year=2022,
        previous_year=2021,
        metadata={"synthetic": True},
        data_hashes={},
        parameters={},
        config_dir=config,
        settings=report_settings,
    )
    sources = tmp_path / "sources"
    files = write_sources(ctx, REPORT_SOURCES / "templates", sources, edition)
    names = [f.name for f in files]
    assert names.index("h6.qmd") + 1 == names.index("h7.qmd")
    chapter = (sources / "h7.qmd").read_text(encoding="utf-8")
    assert chapter.startswith("# Hypothesis 7: Children are placed far from home {#sec-h7}")
    assert "**Verdict: Supported.**" in chapter and "h7-share-outside" in chapter
    assert "The fieldwork of 2022 (4 statements) " in chapter
    index = (sources / "index.qmd").read_text(encoding="utf-8")
    assert "| [H7](#sec-h7): Children are placed far from home | **Supported** |" in index
    assert "seven hypotheses, six of them from the 2022 NCB/Isos study" in index
    assert "Of the seven hypotheses, the data support" in index
    assert "**Bring children home** (Boroughs): share placed outside London," in index
    changes = (sources / "changes.qmd").read_text(encoding="utf-8")
    assert "| H7 | Supported | Supported |" in changes
    methods = (sources / "methods.qmd").read_text(encoding="utf-8")
    assert "| H7: Children are placed far from home | Supported when the lower bound" in methods
    assert "ran every one of the seven tests on each" in methods


def test_the_guide_s_examples_are_a_valid_entry_and_rules_file(tmp_path):
    guide = (ROOT / "docs" / "adding-a-hypothesis.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    text = next(b for b in blocks if "config/hypotheses/h7.yaml" in b)
    entry = parse_yaml(text)
    rules = next(parse_yaml(b) for b in blocks if "config/decision_rules/h7.yaml" in b)
    assert set(registry._REQUIRED) <= set(entry) and entry["id"] == 7
    assert entry["rules"] == "decision_rules/h7.yaml" and "decision_rule" in rules
    assert "def evaluate(" in guide and "def figures(" in guide and "tables(ds, year" in guide
    (tmp_path / "h7.yaml").write_text(text, encoding="utf-8")
    h7 = registry._entry(tmp_path / "h7.yaml", tmp_path)  # its chapter prose is valid
    assert h7.notebook == "h7" and h7.layout == registry.DEFAULT_LAYOUT
    assert all(h7.chapter_text(part) for part in registry.CHAPTER_PARTS)


def test_every_registered_hypothesis_has_its_module_rules_and_chapter():
    for h in registry.registry():
        assert callable(h.evaluator), h.module
        assert "decision_rule" in h.rules(), h.rules_file
        # one chapter notebook for all: the template, run under the entry's notebook name
        assert h.layout == registry.DEFAULT_LAYOUT
        assert registry.layout_path(h, NOTEBOOKS) == NOTEBOOKS / registry.TEMPLATE_NOTEBOOK
        assert not (NOTEBOOKS / f"{h.notebook}.ipynb").exists(), h.notebook
        assert all(h.chapter_text(part) for part in registry.CHAPTER_PARTS), h.key
        assert callable(h.statistics().figures), h.module
        # the text above a figure names a figure its module draws
        source = inspect.getsource(h.statistics())
        for name in h.chapter.get("figures") or {}:
            assert f'"{name}"' in source, (h.key, name)
        assert h.results_file == f"results/h{h.id}.json"
    assert (NOTEBOOKS / registry.TEMPLATE_NOTEBOOK).exists()
    # titles come from the registry, e.g. for a result made without a title
    from analysis.verdicts import HypothesisResult

    assert HypothesisResult(3, "Supported", "rule").title == registry.get(3).title


def test_an_entry_s_chapter_takes_only_the_parts_the_template_shows(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG / "hypotheses", config / "hypotheses")
    entry = config / "hypotheses" / "h2.yaml"
    entry.write_text(
        entry.read_text(encoding="utf-8").replace("  data: |-", "  data_used: |-"),
        encoding="utf-8",
    )
    with pytest.raises(registry.RegistryError, match="chapter has data_used"):
        registry.registry(config)


def _chapters_folder(folder: Path) -> Path:
    (folder / registry.LAYOUTS_DIR).mkdir(parents=True)
    shutil.copy(NOTEBOOKS / registry.TEMPLATE_NOTEBOOK, folder / registry.TEMPLATE_NOTEBOOK)
    return folder


def _hypothesis_parameter(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    return next(line for line in params["source"] if line.startswith("hypothesis ="))


def test_every_chapter_runs_the_template_in_registry_order(tmp_path, monkeypatch):
    from analysis.build.pipeline import load_report_config

    config = add_hypothesis_seven(tmp_path, monkeypatch, 0.2)
    folder = _chapters_folder(tmp_path / "nbs")
    six = [h.notebook for h in registry.registry()]
    found = [folder / f"{name}.ipynb" for name in ("patterns", "groups", "national")]
    for path in found:
        path.write_text("{}", encoding="utf-8")
    order = load_report_config(config)["notebook_order"]
    scratch = tmp_path / "scratch"
    planned = registry.notebooks_for_build(folder, found, scratch, config, order)
    assert [p.stem for p in planned] == ["patterns", "groups", *six, "h7", "national"]
    for h, path in zip(registry.registry(config), planned[2:-1], strict=True):
        assert path == scratch / f"{h.notebook}.ipynb"
        assert _hypothesis_parameter(path) == f"hypothesis = {h.id}\n"
    # without the build's order: a chapter follows the registered one before it
    assert registry.notebooks_for_build(folder, found, scratch, config)[-1].stem == "h7"
    # a notebook of the folder named like a chapter is that chapter (a test's stub)
    stub = folder / "h2_quality.ipynb"
    stub.write_text("{}", encoding="utf-8")
    planned = registry.notebooks_for_build(folder, [*found, stub], scratch, config, order)
    assert planned[3] == stub and [p.stem for p in planned].count("h2_quality") == 1
    # without the chapters folder nothing is added (a notebooks folder of one's own)
    shutil.rmtree(folder / registry.LAYOUTS_DIR)
    assert registry.notebooks_for_build(folder, found, tmp_path / "s2", config, order) == found


def test_an_entry_may_name_a_layout_of_its_own(tmp_path, monkeypatch):
    config = add_hypothesis_seven(tmp_path, monkeypatch, 0.2)
    folder = _chapters_folder(tmp_path / "nbs")
    entry = config / "hypotheses" / "h7.yaml"
    entry.write_text(entry.read_text(encoding="utf-8") + "layout: far_from_home\n", "utf-8")
    with pytest.raises(registry.RegistryError, match="far_from_home.ipynb does not exist"):
        registry.notebooks_for_build(folder, [], tmp_path / "scratch", config)
    layout = json.loads((folder / registry.TEMPLATE_NOTEBOOK).read_text(encoding="utf-8"))
    layout["cells"].append({"cell_type": "markdown", "id": "own", "metadata": {}, "source": []})
    (folder / registry.LAYOUTS_DIR / "far_from_home.ipynb").write_text(json.dumps(layout), "utf-8")
    planned = registry.notebooks_for_build(folder, [], tmp_path / "scratch", config)
    h7 = next(p for p in planned if p.stem == "h7")
    assert json.loads(h7.read_text(encoding="utf-8"))["cells"][-1]["id"] == "own"
    assert _hypothesis_parameter(h7) == "hypothesis = 7\n"
    assert _hypothesis_parameter(planned[0]) == "hypothesis = 1\n"  # the others: the template


def test_a_chapter_s_cache_key_follows_the_template_and_its_entry(tmp_path):
    """Editing the template re-runs every chapter (not the other notebooks); editing an entry's
    chapter prose re-runs its chapter (configuration: the build's notebooks are re-run)."""
    from analysis.build import BuildSettings, editions_to_build, load_report_config
    from analysis.build.cache import NotebookCache
    from analysis.build.pipeline import discover_notebooks, plan_runs
    from analysis.hashing import directory_hashes

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    folder = _chapters_folder(tmp_path / "nbs")
    shutil.copy(NOTEBOOKS / "patterns.ipynb", folder)
    settings = BuildSettings(
        data_dir=EXAMPLE_DATA,
        year=2022,
        editions=editions_to_build(None, False),
        output_root=tmp_path / "out",
        notebooks_dir=folder,
        config_dir=config,
        report_config=load_report_config(config),
    )

    def keys() -> dict[str, str]:
        found = discover_notebooks(folder, settings.report_config["notebook_order"])
        notebooks = registry.notebooks_for_build(folder, found, tmp_path / "scratch", config)
        runs = plan_runs(
            settings, notebooks, directory_hashes(EXAMPLE_DATA), NotebookCache(tmp_path / "c")
        )
        return {r.notebook.stem: r.key for r in runs}

    before = keys()
    chapters = [h.notebook for h in registry.registry(config)]
    assert set(before) == {"patterns", *chapters}
    template = folder / registry.TEMPLATE_NOTEBOOK
    template.write_text(template.read_text(encoding="utf-8").replace("## Figures", "## Charts"))
    edited = keys()
    assert edited["patterns"] == before["patterns"]
    assert all(edited[name] != before[name] for name in chapters)
    entry = config / "hypotheses" / "h3.yaml"
    entry.write_text(
        entry.read_text(encoding="utf-8").replace("  method: |-\n", "  method: |-\n    New.\n"),
        encoding="utf-8",
    )
    assert registry.get(3, config).chapter_text("method").startswith("New.")
    assert keys()["h3_practice"] != edited["h3_practice"]
