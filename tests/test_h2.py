"""Hypothesis 2 (quality): like with like - the register against the register (judged), homes used
against homes used (shown), councils' homes apart; the avoidance rival must not give Supported."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from analysis.hypotheses import h2
from analysis.hypotheses.evidence import Estimate, evidence_verdict
from analysis.paths import CONFIG, SHARED_PUBLIC_DATA
from tests.hyp_frames import YEAR, make_dataset


@pytest.fixture(scope="module")
def rules() -> dict:
    return yaml.safe_load((CONFIG / "decision_rules" / "h2.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def england_rules(rules) -> dict:
    """The test frames' homes (London and Kent) stand for Ofsted's England-wide file."""
    return {**rules, "england_min_las": 2}


def _part(result, name: str) -> dict:
    return next(p for p in result.evidence["parts"] if p["name"] == name)


def _avoiding(ds, strength: float = 2.0, seed: int = 0):
    """The rival: boroughs choose better-graded homes everywhere (weight exp(strength x grade
    score)), in London and outside alike; the registers' grade mixes are left as they are."""
    rng = np.random.default_rng(seed)
    homes = ds.table("homes")
    score = homes["grade"].map(
        {"Inadequate": 1, "Requires improvement to be good": 2, "Good": 3, "Outstanding": 4}
    )
    w = np.exp(strength * score.to_numpy(dtype=float))
    eps = ds.table("episodes").copy()
    outside = eps["PL_LA"] == "E10000016"
    for mask, in_london in ((outside, False), (~outside, True)):
        pool = homes["in_london"].to_numpy() == in_london
        p = w[pool] / w[pool].sum()
        eps.loc[mask, "URN"] = rng.choice(homes["urn"].to_numpy()[pool], int(mask.sum()), p=p)
    tables = {**ds.tables, "episodes": eps}
    return type(ds)(tables=tables, source_dir=ds.source_dir, metadata=ds.metadata)


def test_planted_worse_london_homes_are_supported(england_rules) -> None:
    # London's register is worse and its children in London live in homes drawn from it
    ds = _avoiding(make_dataset(1, grade_effect=1.0, n_children=1500), strength=0.0)
    result = h2.evaluate(ds, YEAR, england_rules)
    assert result.verdict == "Supported"
    part = _part(result, "grade_gap_register")
    assert part["verdict"] == "Supported" and part["ci_low"] > 0
    used = next(i for i in result.indicators if i.id == "h2_delta_used")
    assert used.estimate > 0  # London's children in London live in its worse homes
    estimate = Estimate(part["estimate"], part["ci_low"], part["ci_high"])
    assert evidence_verdict(england_rules, {"grade_gap_register": estimate})[0] == "Supported"


def test_the_used_comparison_is_shown_not_judged(england_rules) -> None:
    # boroughs avoid London's poor homes: used homes alike, London's register still worse
    ds = _avoiding(make_dataset(9, grade_effect=1.0, n_children=1500), strength=3.0)
    result = h2.evaluate(ds, YEAR, england_rules)
    assert [p["name"] for p in result.evidence["parts"]] == ["grade_gap_register"]
    assert any(i.id == "h2_delta_used" and i.supports is None for i in result.indicators)
    assert result.verdict == "Supported"


def test_avoiding_poor_homes_everywhere_is_not_supported(england_rules) -> None:
    ds = _avoiding(make_dataset(2, n_children=1500))
    result = h2.evaluate(ds, YEAR, england_rules)
    assert result.verdict != "Supported"
    assert _part(result, "grade_gap_register")["verdict"] != "Supported"
    # the rival does produce the old surface pattern: homes used outside London look better
    # than London's homes as a whole (used against all, which H2 no longer compares)
    homes = h2.graded_homes(ds, england_rules)
    used = h2.homes_compared(ds, YEAR, england_rules)
    old = h2.grade_gap(
        used[used["group"] == h2.USED_OUTSIDE], homes[homes["in_london"].astype(bool)]
    )
    assert old.estimate > 0.147 and old.ci_low > 0


def test_no_quality_gap_is_not_supported(england_rules) -> None:
    result = h2.evaluate(make_dataset(3, n_children=1500), YEAR, england_rules)
    assert result.verdict != "Supported"
    assert _part(result, "grade_gap_register")["verdict"] != "Supported"


def test_council_run_homes_are_compared_apart(england_rules) -> None:
    ds = make_dataset(4)
    homes = ds.table("homes").copy()
    homes.loc[:19, "sector"] = "Local Authority"  # twenty London council-run homes
    ds.tables["homes"] = homes
    compared = h2.homes_compared(ds, YEAR, england_rules)
    council = compared[~compared["external"]]
    assert len(council) and set(council["urn"]) <= set(homes.loc[:19, "urn"])
    register = h2.register_compared(ds, england_rules)
    assert not register.loc[register["urn"].isin(homes.loc[:19, "urn"]), "external"].any()
    result = h2.evaluate(ds, YEAR, england_rules)
    assert any(i.id == "h2_good_share_council_london" for i in result.indicators)


def test_without_england_register_the_register_part_is_untested(rules) -> None:
    result = h2.evaluate(make_dataset(5), YEAR, rules, public_data_dir="/nonexistent")
    assert _part(result, "grade_gap_register")["estimate"] is None
    assert any(s.startswith("register") for s in result.insufficient)
    assert result.verdict in ("Inconclusive", "Not supported", "Supported")


def test_grade_mix_table_shares_sum_to_one(rules) -> None:
    ds = make_dataset(3)
    table = h2.grade_mix_table(h2.homes_compared(ds, YEAR, rules), rules)
    sums = table.groupby("group")["share"].sum()
    assert sums.round(6).eq(1.0).all()
    assert set(table["grade"].astype(str)) == set(rules["grade_scores"])


def test_england_register_from_public_data(rules) -> None:
    if not (SHARED_PUBLIC_DATA / rules["public_homes_file"]).is_file():
        pytest.skip(f"public Ofsted file not found under {SHARED_PUBLIC_DATA}")
    england = h2.england_homes(SHARED_PUBLIC_DATA, rules)
    assert len(england) > 1000  # England has ~3,000 graded children's homes
    assert 100 < int(england["in_london"].sum()) < 300  # London's ~160
    share = england["grade"].isin(h2.GOOD_OR_BETTER).mean()
    assert 0.5 < share < 0.95
    result = h2.evaluate(make_dataset(4), YEAR, rules, public_data_dir=SHARED_PUBLIC_DATA)
    assert _part(result, "grade_gap_register")["estimate"] is not None
