"""Simulation study, second edition (analysis.simulation_rivals): arms, the rival mechanisms in
the generator, the confusion matrix and false-positive rates, and a small run on a Dask
LocalCluster that must agree with the same run in this process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.simulation_rivals import (
    HYPOTHESES,
    arm_effects,
    confusion_matrix,
    data_arms,
    expand_aliases,
    load_rivals_config,
    markdown_report,
    plan,
    rates,
    run_study,
)


@pytest.fixture(scope="module")
def cfg() -> dict:
    return load_rivals_config()


def test_arms_cover_null_each_mechanism_and_each_rival(cfg):
    from analysis.example.generate import load_config

    known = set(load_config()["effects"])
    arms = cfg["arms"]
    assert "pure_null" in arms
    assert {tuple(a.get("true_hypotheses", [])) for a in arms.values()} >= {
        (h,) for h in HYPOTHESES
    }
    assert {int(a["rival_of"]) for a in arms.values() if a.get("rival_of")} == set(HYPOTHESES)
    for name in arms:
        eff = arm_effects(cfg, name)
        assert set(eff) <= known, name  # every override is a generator effect
        if not arms[name].get("true_hypotheses"):
            # the hypothesis mechanisms are all off where no hypothesis is true
            assert all(eff[k] == 0 for k in cfg["base"]), name
    # H1's rival is the pure null's data: generated once.
    assert "rival_h1_quantity" not in data_arms(cfg, arms)
    jobs = plan(cfg, ["pure_null", "rival_h1_quantity", "planted_h4"], [1, 2])
    assert [(j["seed"], j["arm"]) for j in jobs] == [
        (1, "pure_null"),
        (1, "planted_h4"),
        (2, "pure_null"),
        (2, "planted_h4"),
    ]


def _runs(cfg) -> pd.DataFrame:
    """A made-up record: H3 positive in 3 of 10 rival runs, H1 positive in 9 of 10 nulls."""
    rows = []
    for seed in range(10):
        for h in HYPOTHESES:
            rows.append(
                {
                    "arm": "rival_h3_borough_050",
                    "seed": seed,
                    "hypothesis": h,
                    "verdict": "Partly supported" if (h == 3 and seed < 3) else "Not supported",
                    "error": "",
                    "seconds": 1.0,
                }
            )
            rows.append(
                {
                    "arm": "pure_null",
                    "seed": seed,
                    "hypothesis": h,
                    "verdict": "Supported" if (h == 1 and seed < 9) else "Not supported",
                    "error": "" if seed else ("boom" if h == 6 else ""),
                    "seconds": 1.0,
                }
            )
    return pd.DataFrame(rows).assign(run_date="2026-11-30")


def test_false_positive_counts_partly_supported(cfg):
    runs = expand_aliases(_runs(cfg), cfg)
    cm = confusion_matrix(runs).set_index(["arm", "hypothesis"])
    assert cm.loc[("rival_h3_borough_050", 3), "positive"] == pytest.approx(0.3)
    assert cm.loc[("rival_h3_borough_050", 3), "Partly supported"] == pytest.approx(0.3)
    assert cm.loc[("pure_null", 6), "runs"] == 9 and cm.loc[("pure_null", 6), "failed"] == 1
    lo, hi = cm.loc[("rival_h3_borough_050", 3), ["positive_low", "positive_high"]]
    assert lo < 0.3 < hi
    rt = rates(runs, cfg).set_index(["arm", "hypothesis"])
    r = rt.loc[("rival_h3_borough_050", 3)]
    assert r["kind"] == "false positive" and r["rival"] and not r["meets_target"]
    # H1's rival arm is the pure null's data, copied.
    assert rt.loc[("rival_h1_quantity", 1), "rate"] == pytest.approx(0.9)
    assert rt.loc[("rival_h1_quantity", 1), "rival"]
    text = markdown_report(runs, cfg)
    assert "| rival_h3_borough_050 |" in text and "30% (" in text
    assert "Confusion matrix" in text and "2026-11-30" in text


def test_rival_mechanisms_are_planted_by_the_generator():
    """One dataset with the H6, H4 and H2 rivals on and every hypothesis mechanism off."""
    from analysis.example import generate

    base = load_rivals_config()["base"]
    config = generate.with_effects(
        generate.load_config(),
        **base,
        rival_staffing_floor=0.3,
        rival_cost_inflation=0.3,
        rival_grade_avoidance=1.5,
    )
    config["years"] = [2022]
    frames = generate.generate_frames(config)
    london = set(london_boroughs()["la_name"])
    homes = frames["homes"]
    in_london = homes.set_index("URN")["Local authority"].isin(london)
    staffing = frames["home_staffing"]
    st = staffing.assign(london=staffing["URN"].map(in_london))
    unavailable = st.groupby("london")["places_unavailable_staffing"].sum()
    # A uniform floor: places out of use for staff in London and elsewhere alike.
    assert unavailable[True] > 0 and unavailable[False] > 0
    # Price inflation: placements started earlier cost less.
    costs = frames["costs"]
    start = pd.to_datetime(costs["placement_start"], dayfirst=True)
    core = np.log(costs["core_weekly_cost"].astype(float))
    assert np.corrcoef((start - start.min()).dt.days, core)[0, 1] > 0.15
    # Grade avoidance everywhere: used out-of-London homes are mostly Good or better.
    grade = homes.set_index("URN")[
        "Overall experiences and progress of children and young people"
    ].astype(str)
    outside = grade[~in_london & (grade.str.strip() != "")]
    assert outside.isin(["Good", "Outstanding"]).mean() > 0.9


def test_small_study_on_a_dask_local_cluster_matches_local_run(cfg):
    """The same dataset (H6 only, to stay quick) on a LocalCluster and in this process
    give the same verdicts."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    arms = ["rival_h6_floor"]
    local = run_study(1, arms=arms, hypotheses=(6,), first_seed=7100, cfg=cfg)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = run_study(
            1, arms=arms, hypotheses=(6,), first_seed=7100, cfg=cfg, scheduler=client
        )
    assert len(local) == 1 and (local["error"] == "").all()
    cols = ["arm", "seed", "hypothesis", "verdict"]
    assert local[cols].equals(remote[cols])
    assert set(local["verdict"]) <= {
        "Supported",
        "Partly supported",
        "Not supported",
        "Insufficient data",
    }


def test_loader_text_fast_path_gives_the_cell_by_cell_text():
    """A column whose cells are all str (or int) is converted at once; the text must be what
    the cell-by-cell branch gives (forced here by one float cell, which it writes as "7")."""
    from analysis.contract.loader import _text_frame

    cells = [" a", "b ", "", None, "c"]
    fast = _text_frame(pd.DataFrame({"x": cells, "n": [1, 2, 3, 4, 5]}))
    slow = _text_frame(pd.DataFrame({"x": [*cells, 7.0], "n": [1, 2, 3, 4, 5, 7.0]}))
    assert fast.equals(slow.iloc[:-1])
    assert list(slow["x"].iloc[-1:]) == ["7"]


def test_dataset_costs_are_cpu_seconds_per_stage(cfg):
    """The cost profile of the study: one row per dataset with the generation and each
    hypothesis's evaluation, and a summary that sets the cold first dataset apart."""
    from analysis.simulation_rivals import cost_summary, dataset_costs

    costs = dataset_costs(cfg, ["pure_null", "rival_h6_floor"], [7200, 7201])
    assert list(costs["arm"]) == ["pure_null", "rival_h6_floor"]
    stages = ["generate", *(f"h{h}" for h in HYPOTHESES)]
    assert (costs[stages] > 0).all().all()
    assert (costs["total"] >= costs[stages].sum(axis=1) - 1e-6).all()
    summary = cost_summary(costs)
    assert summary["cold_total"] == costs["total"].iloc[0]
    assert summary["generate"] == costs["generate"].iloc[1]


def test_appendix_record_is_the_matrix_with_its_provenance(cfg):
    """The appendix's record: its first table is arms by hypotheses with the positive share
    and interval (bold where the hypothesis is true), then the datasets per arm, the commits
    and a plain "not yet 200" while fewer datasets were run."""
    from analysis.document.markdown import read_markdown_table
    from analysis.simulation_rivals import appendix_markdown, matrix_frame

    runs = expand_aliases(_runs(cfg).assign(commit="abc1234"), cfg)
    text = appendix_markdown(runs, cfg, {3: "def5678"})
    headers, rows, notes = read_markdown_table(text)
    assert headers[:2] == ["Arm (what is planted)", "Datasets"]
    assert headers[2:] == [f"H{h}" for h in HYPOTHESES]
    by_arm = {r[0]: r for r in rows}
    rival = by_arm[cfg["arms"]["rival_h3_borough_050"]["label"]]
    assert rival[1] == "10" and rival[2 + HYPOTHESES.index(3)].startswith("30%\u00a0(")
    assert "not yet 200" in notes.lower() and "`abc1234`" in notes and "H3 `def5678`" in notes
    assert "Partly supported" in notes  # the made-up record has the old word
    m = matrix_frame(runs, cfg)
    row = m[(m["arm"] == "rival_h3_borough_050") & (m["hypothesis"] == 3)].iloc[0]
    assert row["kind"] == "false positive" and row["rival"] and row["positive"] == 0.3
    assert not row["meets_target"]


def _edition(tmp_path):
    import json

    from analysis.verdicts import HypothesisResult, Indicator

    for d in ("results", "figures", "tables"):
        (tmp_path / d).mkdir(parents=True)
    res = HypothesisResult(5, "Supported", "rule", [Indicator("odds ratio", 0.7, 0.6, 0.8, 0.001)])
    (tmp_path / "results" / "h5.json").write_text(json.dumps(res.to_dict()))
    return tmp_path


def test_methods_appendix_shows_the_committed_confusion_matrix(tmp_path, cfg):
    """The methodology appendix prints the committed record (data/validation/
    simulation_rivals.md) as it is, and that record is the committed runs' matrix (not
    recomputed at build time)."""
    from analysis.document.assemble import build_context, document_paths, write_sources
    from analysis.document.markdown import read_markdown_table
    from analysis.paths import CONFIG, REPORT_SOURCES, ROOT
    from analysis.simulation_rivals import appendix_markdown, matrix_frame

    path = document_paths({})["rivals"]
    committed = path.read_text(encoding="utf-8")
    headers, rows, _notes = read_markdown_table(committed)
    assert headers[2:] == [f"H{h}" for h in HYPOTHESES] and rows
    runs_file = ROOT / "data" / "validation" / "simulation_rivals_runs.csv"
    runs = pd.read_csv(runs_file, keep_default_na=False, dtype={"commit": str, "error": str})
    runs = expand_aliases(runs, cfg)
    assert read_markdown_table(appendix_markdown(runs, cfg))[:2] == (headers, rows)
    matrix = pd.read_csv(ROOT / "data" / "validation" / "simulation_rivals_matrix.csv")
    pd.testing.assert_frame_equal(
        matrix, matrix_frame(runs, cfg), check_dtype=False, check_exact=False
    )
    edition = _edition(tmp_path / "edition")
    ctx = build_context(
        edition,
        edition="london",
        la_name=None,
        year=2022,
        previous_year=None,
        metadata={},
        data_hashes={},
        parameters={},
        config_dir=CONFIG,
        settings={"top_recommendations": 3},
    )
    write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition)
    methods = (tmp_path / "src" / "methods.qmd").read_text()
    assert "Power of the methods" in methods and "rival" in methods
    for r in rows:
        assert "| " + " | ".join(r) + " |" in methods
    assert "simulation_rivals.md" in methods


def test_england_register_is_read_by_h2_as_the_public_file(tmp_path, cfg):
    """The study gives H2 England's register outside London as a build's public data folder
    gives Ofsted's file: H2 reads it (graded, external, none in London), the same seed gives
    the same register, another seed another."""
    from analysis.hypotheses import registry
    from analysis.hypotheses.h2 import england_homes
    from analysis.simulation_rivals import england_register, public_data

    spec = cfg["england_register"]
    job = {"seed": 11, "england_register": spec}
    rules = registry.get(2).rules()
    with public_data(job) as folder:
        homes = england_homes(folder, rules)
    assert 0.9 * spec["homes"] < len(homes) < spec["homes"]  # 5% not yet inspected
    assert not homes["in_london"].any()
    assert 0.8 < homes["external"].mean() < 0.9
    a = england_register(11, 500, 0.85)
    assert a.equals(england_register(11, 500, 0.85))
    assert not a.equals(england_register(12, 500, 0.85))
    with public_data({"seed": 11}) as none:
        assert none is None
