"""Byte-stable writers, figures with alt text, and the hypothesis result shape."""

import json
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.charts import save_figure, use_af_style
from analysis.outputs import EditionPaths, clean_for_json, write_json, write_table
from analysis.verdicts import (
    FieldworkSummary,
    HypothesisResult,
    Indicator,
    fieldwork_agreement,
    summarise_fieldwork,
)


def test_clean_for_json_makes_numpy_and_nan_safe():
    out = clean_for_json(
        {"a": np.int64(3), "b": np.float64(1 / 3), "c": math.nan, 2: [np.bool_(True)]}
    )
    assert out == {"a": 3, "b": 0.333333, "c": None, "2": [True]}


def test_write_json_is_byte_stable(tmp_path):
    obj = {"z": 1.0000001, "a": [1, 2], "m": {"y": None, "b": "é"}}
    a = write_json(tmp_path / "a.json", obj).read_bytes()
    b = write_json(tmp_path / "b.json", dict(reversed(list(obj.items())))).read_bytes()
    assert a == b
    assert json.loads(a)["m"]["b"] == "é"


def test_write_table_suppresses_declared_child_counts(tmp_path):
    df = pd.DataFrame({"la": ["A", "B", "C"], "children": [0, 3, 12], "pct": [0.0, 30.0, 70.0]})
    path = write_table(
        df, tmp_path / "t.csv", child_counts=["children"], derived_from={"pct": "children"}
    )
    back = pd.read_csv(path, dtype=str)
    # 3 is suppressed (primary); 12 too (secondary: the column total 15 would reveal the 3)
    assert list(back["children"]) == ["0", "c", "c"]
    assert back["pct"][1] == "c" and back["pct"][2] == "c"
    assert float(back["pct"][0]) == 0


def test_save_figure_writes_png_svg_table_and_alt(tmp_path):
    use_af_style()
    paths = EditionPaths.for_edition(tmp_path / "out")
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    table = pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})
    save_figure(fig, paths, "demo", caption="Demo", alt="Two bars, b twice a.", table=table)
    assert (paths.figures / "demo.png").stat().st_size > 0
    assert (paths.figures / "demo.svg").read_text().startswith("<?xml")
    assert json.loads((paths.figures / "demo.json").read_text())["alt"] == "Two bars, b twice a."
    assert (paths.tables / "demo.csv").exists()


def test_save_figure_refuses_missing_alt_text(tmp_path):
    paths = EditionPaths.for_edition(tmp_path / "out")
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt text"):
        save_figure(fig, paths, "x", caption="c", alt="  ", table=pd.DataFrame())


def test_figures_are_byte_reproducible(tmp_path):
    use_af_style()
    outs = []
    for run in ("one", "two"):
        paths = EditionPaths.for_edition(tmp_path / run)
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3], [3, 1, 2])
        save_figure(fig, paths, "line", caption="c", alt="a line", table=pd.DataFrame({"v": [1]}))
        outs.append(
            ((paths.figures / "line.png").read_bytes(), (paths.figures / "line.svg").read_bytes())
        )
    assert outs[0] == outs[1]


def test_fieldwork_summary_and_agreement():
    fw = pd.DataFrame(
        {
            "hypothesis": [1, 1, 1, 2, 2],
            "stance": ["Supports", "Supports", "Mixed", "Contradicts", "Contradicts"],
        }
    )
    s1, s2 = summarise_fieldwork(fw, 1), summarise_fieldwork(fw, 2)
    assert (s1.supports, s1.mixed, s1.leaning()) == (2, 1, "supports")
    assert s2.leaning() == "contradicts"
    assert fieldwork_agreement("Supported", s1) == "agree"
    assert fieldwork_agreement("Supported", s2) == "disagree"
    assert fieldwork_agreement("Not supported", s2) == "agree"
    assert fieldwork_agreement("Not supported", FieldworkSummary()) == "no fieldwork"


def test_hypothesis_result_rejects_unknown_verdict_and_serialises():
    with pytest.raises(ValueError):
        HypothesisResult(hypothesis=1, verdict="Maybe", decision_rule="r")
    res = HypothesisResult(
        hypothesis=4,
        verdict="Not supported",
        decision_rule="rule",
        indicators=[Indicator(name="premium", estimate=0.02, ci_low=-0.03, ci_high=0.07, n=500)],
    )
    d = res.to_dict()
    assert d["title"].startswith("The cost")
    assert d["indicators"][0]["ci_high"] == 0.07
    assert d["fieldwork_agreement"] == "no fieldwork"


def test_suppressed_tables_keep_six_significant_digits(tmp_path):
    df = pd.DataFrame({"g": ["a", "b", "c"], "n": [3, 20, 40], "pct": [100 / 21, 100 / 3, 200 / 3]})
    path = write_table(df, tmp_path / "t.csv", child_counts=["n"], derived_from={"pct": "n"})
    text = path.read_text()
    assert "66.6667" in text and "66.66666" not in text
