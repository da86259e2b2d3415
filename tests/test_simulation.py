"""Quick simulation study: a handful of datasets per arm; checks the machinery and direction."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import simulation


def test_plan_shares_one_dataset_between_arms_with_the_same_effects() -> None:
    sim = {
        "arms": {
            1: {"planted": {}, "null": {"h1_needs": 0.0}},
            2: {"planted": {"h2_quality": 0.6}, "null": {}},
        }
    }
    plan = simulation.plan_runs(sim, [1, 2], [7])
    assert len(plan) == 3  # 2022 (h1 planted + h2 null), h1 null, h2 planted
    base = next(j for j in plan if j["effects"] == {})
    assert sorted(base["evaluate"]) == [(1, "planted"), (2, "null")]


def test_summary_counts_only_supported_as_power() -> None:
    runs = pd.DataFrame(
        {
            "hypothesis": [1] * 6,
            "arm": ["planted"] * 3 + ["null"] * 3,
            "seed": [1, 2, 3] * 2,
            "verdict": [
                "Supported",
                "Partly supported",
                "Supported",
                "Not supported",
                "Supported",
                "",
            ],
            "error": ["", "", "", "", "", "generate: boom"],
            "seconds": [1.0] * 6,
        }
    )
    s = simulation.summarise(runs).iloc[0]
    assert s["power"] == pytest.approx(2 / 3) and s["planted_runs"] == 3
    assert s["false_positive_rate"] == pytest.approx(1 / 2) and s["failed_runs"] == 1
    md = simulation.markdown_table(
        simulation.summarise(runs), {"arms": {1: {"planted": {}, "null": {"h1_needs": 0}}}}
    )
    assert "| 1 | 2022 | 3 | 67% |" in md


@pytest.mark.slow
def test_quick_simulation_hypotheses_1_to_3() -> None:
    pytest.importorskip("analysis.example.generate")
    runs = simulation.run_simulation(2, hypotheses=[1, 2, 3], jobs=1)
    ok = runs[runs["error"] == ""]
    assert len(ok) > 0, runs["error"].tolist()
    summary = simulation.summarise(runs)
    for _, r in summary.iterrows():
        if r["planted_runs"] and r["null_runs"]:
            assert r["power"] >= r["false_positive_rate"]
