"""Flip tests: with the 2022 settings the example generator gives the 2022 verdicts; with one
planted effect reversed, that hypothesis's verdict changes.

2022 verdicts: 1 Supported, 2 Not supported, 3 Supported, 4 Not supported, 5 Supported,
6 Supported. Each generator run is one snapshot year (2022) and is cached for the session, so
the hypotheses share the baseline run.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from analysis.dataset import Dataset
from analysis.hypotheses._common import load_rules

YEAR = 2022


@lru_cache(maxsize=8)
def generated(**effects: float) -> Dataset:
    """The example generator's 2022 snapshot with ``effects`` overriding the 2022 settings."""
    generate = pytest.importorskip("analysis.example.generate")
    contract = pytest.importorskip("analysis.contract")
    config = generate.load_config()
    config["years"] = [YEAR]
    frames = generate.generate_frames(generate.with_effects(config, **effects))
    return contract.dataset_from_frames(frames, year=YEAR, metadata={"synthetic": True})


def verdict(hypothesis: int, ds: Dataset) -> str:
    from analysis.hypotheses import EVALUATORS

    return EVALUATORS[hypothesis](ds, YEAR, load_rules(hypothesis)).verdict


# --- hypotheses 4-6 ----------------------------------------------------------------------


def test_flip_h4_cost_premium_planted_turns_supported():
    assert verdict(4, generated()) == "Not supported"
    assert verdict(4, generated(h4_cost=0.15)) == "Supported"


def test_flip_h5_risk_removed_turns_not_supported():
    assert verdict(5, generated()) == "Supported"
    assert verdict(5, generated(h5_risk=0.0, h5_local_extra=0.0)) == "Not supported"


def test_flip_h6_staffing_removed_turns_not_supported():
    assert verdict(6, generated()) == "Supported"
    assert verdict(6, generated(h6_staffing=0.0)) == "Not supported"


# --- hypotheses 1-3 ----------------------------------------------------------------------


def test_flip_h1_needs_removed_changes_verdict():
    assert verdict(1, generated()) == "Supported"
    # the feasibility part is capacity-bound in the example, so removing the needs effect
    # turns the verdict to Partly supported (the needs part no longer holds)
    assert verdict(1, generated(h1_needs=0.0)) != "Supported"


def test_flip_h2_quality_planted_turns_supported():
    assert verdict(2, generated()) == "Not supported"
    assert verdict(2, generated(h2_quality=0.6)) == "Supported"


def test_flip_h3_practice_removed_changes_verdict():
    assert verdict(3, generated()) == "Supported"
    assert verdict(3, generated(h3_practice=0.0)) != "Supported"
