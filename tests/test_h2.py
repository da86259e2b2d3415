"""Hypothesis 2 (quality): planted grade gap found, none when absent; public England context."""

from __future__ import annotations

import pytest
import yaml

from analysis.hypotheses import h2
from analysis.paths import CONFIG, SHARED_PUBLIC_DATA
from tests.hyp_frames import YEAR, make_dataset


@pytest.fixture(scope="module")
def rules() -> dict:
    r = yaml.safe_load((CONFIG / "decision_rules" / "h2.yaml").read_text(encoding="utf-8"))
    return {**r, "bootstrap": 100}


def test_planted_quality_gap_is_supported(rules) -> None:
    result = h2.evaluate(make_dataset(1, grade_effect=1.0), YEAR, rules)
    assert result.verdict == "Supported"
    delta = next(i for i in result.indicators if i.name.startswith("Cliff"))
    assert delta.estimate > 0 and delta.ci_low > 0


def test_no_quality_gap_is_not_supported(rules) -> None:
    result = h2.evaluate(make_dataset(2), YEAR, rules)
    assert result.verdict == "Not supported"


def test_grade_mix_table_shares_sum_to_one(rules) -> None:
    ds = make_dataset(3)
    table = h2.grade_mix_table(h2.homes_compared(ds, YEAR, rules), rules)
    sums = table.groupby("group")["share"].sum()
    assert sums.round(6).eq(1.0).all()
    assert set(table["grade"].astype(str)) == set(rules["grade_scores"])


def test_england_context_from_public_data(rules) -> None:
    if not (SHARED_PUBLIC_DATA / rules["public_homes_file"]).is_file():
        pytest.skip(f"public Ofsted file not found under {SHARED_PUBLIC_DATA}")
    england = h2.england_homes(SHARED_PUBLIC_DATA, rules)
    assert len(england) > 1000  # England has ~3,000 graded children's homes
    share = england["grade"].isin(h2.GOOD_OR_BETTER).mean()
    assert 0.5 < share < 0.95
    result = h2.evaluate(make_dataset(4), YEAR, rules, public_data_dir=SHARED_PUBLIC_DATA)
    assert any("England" in i.name for i in result.indicators)


def test_absent_public_data_is_reported_not_fatal(rules) -> None:
    result = h2.evaluate(make_dataset(5), YEAR, rules, public_data_dir="/nonexistent")
    assert any(s.startswith("England comparison") for s in result.insufficient)
