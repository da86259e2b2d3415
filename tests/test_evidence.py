"""The common evidence rule (analysis.evidence_rule): each verdict, what settles an Inconclusive
part, the symmetric combination of parts, and the smallest effects declared per hypothesis."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.evidence_rule import (
    EVIDENCE_VERDICTS,
    INCONCLUSIVE,
    NOT_SUPPORTED,
    SUPPORTED,
    PartEvidence,
    classify,
    combine,
    data_factor,
    declared_parts,
    judge,
    judge_part,
    part_from_rules,
)
from analysis.hypotheses import registry

S = 0.4  # a smallest effect of interest


@pytest.mark.parametrize(
    ("est", "lo", "hi", "expected"),
    [
        (0.6, 0.2, 1.0, SUPPORTED),  # excludes 0 and reaches S
        (0.3, 0.1, 0.5, INCONCLUSIVE),  # significant but below S, could still be >= S
        (0.2, 0.05, 0.35, NOT_SUPPORTED),  # significant yet inside +-S: too small to matter
        (0.0, -0.3, 0.3, NOT_SUPPORTED),  # equivalence
        (0.1, -0.5, 0.7, INCONCLUSIVE),  # wide: cannot tell
        (0.6, -0.1, 1.3, INCONCLUSIVE),  # large but not significant
        (-0.9, -1.4, -0.4, NOT_SUPPORTED),  # the other way
        (-0.3, -0.9, 0.2, INCONCLUSIVE),  # crosses -S and 0
        (0.4, 0.01, 0.79, SUPPORTED),  # exactly at S counts as reaching it
    ],
)
def test_classify(est, lo, hi, expected):
    assert classify(est, lo, hi, S) == expected


def test_direction_flips_the_scale():
    down = PartEvidence("x", -0.6, -1.0, -0.2, S, direction=-1)
    up = PartEvidence("x", 0.6, 0.2, 1.0, S, direction=1)
    assert judge_part(down).verdict == judge_part(up).verdict == SUPPORTED
    wrong = PartEvidence("x", 0.6, 0.2, 1.0, S, direction=-1)
    assert judge_part(wrong).verdict == NOT_SUPPORTED


def test_smallest_effect_must_be_positive():
    with pytest.raises(ValueError):
        classify(0.1, 0.0, 0.2, 0.0)


def test_inconclusive_says_what_would_settle_it():
    # Large estimate, not significant: the half-width 0.7 must fall below 0.6 -> (0.7/0.6)^2.
    v = judge_part(PartEvidence("premium", 0.6, -0.1, 1.3, S, n=400, unit="placements"))
    assert v.verdict == INCONCLUSIVE
    assert v.data_factor == pytest.approx((0.7 / 0.6) ** 2)
    assert "exclude no effect" in v.reason and "placements instead of 400" in v.reason
    # Near zero but wide: equivalence needs a half-width below S - |est| = 0.3 -> (0.6/0.3)^2.
    v = judge_part(PartEvidence("gap", 0.1, -0.5, 0.7, S))
    assert v.data_factor == pytest.approx(4.0)
    assert "smaller than 0.4" in v.reason
    # With that many times the data the rule would decide (the interval shrinks by sqrt(f)).
    half = 0.6 / 4.0**0.5
    assert classify(0.1, 0.1 - half * 0.99, 0.1 + half * 0.99, S) == NOT_SUPPORTED


def test_estimate_at_the_boundary_cannot_be_settled_by_data():
    assert data_factor(S, -0.1, 0.9, S) is not None  # excludes-0 route: target |est|
    assert data_factor(0.0, 0.0, 0.0, S) is None  # no width


def test_missing_estimate_is_inconclusive():
    v = judge_part(PartEvidence("x", None, None, None, S))
    assert v.verdict == INCONCLUSIVE and "no data" in v.reason


verdicts = st.sampled_from(EVIDENCE_VERDICTS)


@given(st.lists(verdicts, min_size=1, max_size=6), st.sampled_from(["all", "any"]), st.randoms())
def test_combination_ignores_the_order_of_parts(parts, rule, rnd):
    shuffled = list(parts)
    rnd.shuffle(shuffled)
    assert combine(parts, rule) == combine(shuffled, rule)


@given(verdicts, verdicts, st.sampled_from(["all", "any"]))
def test_one_holding_one_failing_part_same_whichever_is_which(a, b, rule):
    assert combine([a, b], rule) == combine([b, a], rule)


def test_holding_and_failing_parts_combined():
    for rule, expected in (("all", NOT_SUPPORTED), ("any", SUPPORTED)):
        for pair in itertools.permutations([SUPPORTED, NOT_SUPPORTED]):
            assert combine(pair, rule) == expected
    assert combine([SUPPORTED, INCONCLUSIVE], "all") == INCONCLUSIVE
    assert combine([NOT_SUPPORTED, INCONCLUSIVE], "any") == INCONCLUSIVE
    assert combine([], "all") == INCONCLUSIVE
    with pytest.raises(ValueError):
        combine([SUPPORTED], "majority")  # type: ignore[arg-type]


@given(
    st.floats(-3, 3),
    st.floats(0.01, 2),
    st.floats(0.05, 1.5),
)
def test_judge_of_one_part_is_that_part(est, half, smallest):
    part = PartEvidence("p", est, est - half, est + half, smallest)
    for rule in ("all", "any"):
        assert judge([part], rule).verdict == judge_part(part).verdict


@given(st.floats(0.05, 3), st.floats(0.01, 2), st.floats(0.05, 1.5))
def test_supported_needs_significance_and_size(est, half, smallest):
    verdict = classify(est, est - half, est + half, smallest)
    assert (verdict == SUPPORTED) == (est - half > 0 and est >= smallest)


@pytest.mark.parametrize("h", registry.ids())
def test_each_hypothesis_declares_its_smallest_effects(h):
    entry = registry.get(h)
    rules = entry.rules()
    parts = declared_parts(rules)
    assert parts, f"{entry.rules_file} declares no evidence parts"
    assert rules["evidence"]["combine"] in ("all", "any")
    for name, spec in parts.items():
        assert len(str(spec["reason"]).split()) >= 15, name  # a reason, not a label
        part = part_from_rules(rules, name, 0.0, -0.001, 0.001)
        assert judge_part(part).verdict == NOT_SUPPORTED  # a tight zero is equivalence


def test_declared_parts_refuses_incomplete_declarations():
    with pytest.raises(ValueError):
        declared_parts({"evidence": {"parts": {"a": {"smallest_effect": 0, "direction": 1}}}})
    with pytest.raises(ValueError):
        declared_parts(
            {"evidence": {"parts": {"a": {"smallest_effect": 1, "direction": 1, "scale": "x"}}}}
        )
    with pytest.raises(ValueError):
        declared_parts({"evidence": {"combine": "most", "parts": {}}})


def test_evidence_verdict_judges_every_declared_part_and_records_it():
    from analysis.hypotheses.evidence import Estimate, evidence_verdict

    rules = {
        "evidence": {
            "combine": "all",
            "parts": {
                "a": {"scale": "log OR", "direction": 1, "smallest_effect": 0.4, "reason": "r"},
                "b": {"scale": "diff", "direction": -1, "smallest_effect": 0.1, "reason": "s"},
            },
        }
    }
    verdict, record = evidence_verdict(
        rules,
        {"a": Estimate(0.6, 0.2, 1.0, n=100, unit="children"), "b": Estimate(-0.2, -0.3, -0.15)},
    )
    assert verdict == "Supported"
    assert [p["verdict"] for p in record["parts"]] == ["Supported", "Supported"]
    verdict, record = evidence_verdict(
        rules, {"a": Estimate(0.6, 0.2, 1.0), "b": Estimate(None, None, None)}
    )
    assert verdict == "Inconclusive"

    with pytest.raises(ValueError, match="not estimated"):
        evidence_verdict(rules, {"a": Estimate(0.6, 0.2, 1.0)})


def test_evidence_summary_reads_each_part_in_its_declared_plain_words():
    from analysis.hypotheses.evidence import Estimate, evidence_summary, evidence_verdict

    rules = {
        "evidence": {
            "combine": "any",
            "parts": {
                "odds": {
                    "scale": "log OR",
                    "direction": 1,
                    "smallest_effect": 0.405,
                    "reason": "r",
                    "plain": "the odds rose by {exp_est:.1f} ({exp_lo:.1f} to {exp_hi:.1f})",
                },
                "gap": {"scale": "diff", "direction": 1, "smallest_effect": 0.1, "reason": "s"},
            },
        }
    }
    verdict, record = evidence_verdict(
        rules, {"odds": Estimate(0.693, 0.1, 1.2), "gap": Estimate(None, None, None)}
    )
    text = evidence_summary(verdict, record)
    assert text.startswith("Supported (any one part suffices). The odds rose by 2.0 (1.1 to 3.3)")
    assert "The gap part could not be estimated from these data" in text
    _, record = evidence_verdict(
        rules, {"odds": Estimate(0.3, -0.2, 0.8, n=50), "gap": Estimate(0.0, -0.05, 0.05)}
    )
    assert "not yet decided (about" in evidence_summary("Inconclusive", record)


def _says_settle(summary: str, part: dict) -> bool:
    factor = part.get("data_factor")
    if factor:
        return f"{factor:.1f} times" in summary
    return "more data alone cannot" in summary


# pure null 5101: Inconclusive parts of H1 and H5; rival of H6 5103: of H4 and H6
@pytest.mark.parametrize("arm,seed", [("pure_null", 5101), ("rival_h6_floor", 5103)])
def test_each_summary_names_the_parts_whose_settling_it_states(arm, seed):
    """The report adds "what would settle it" for an Inconclusive part unless the hypothesis's
    summary already says it; it knows which from the result's ``settle_in_summary`` (never by
    reading the summary). Checked on every registered hypothesis, on two simulated datasets in
    which parts of four hypotheses are Inconclusive: a part named there is settled in the
    summary (its data factor is in it), a part not named is not."""
    from analysis.simulation_rivals import (
        arm_effects,
        generate_dataset,
        load_rivals_config,
        one_thread,
    )

    cfg = load_rivals_config()
    year = int(cfg.get("year", 2022))
    with one_thread():
        ds = generate_dataset(arm_effects(cfg, arm), seed, year)
        checked = 0
        for n in registry.ids():
            entry = registry.get(n)
            result = entry.evaluate(ds, year, entry.rules(), seed=seed).to_dict()
            record = result.get("evidence") or {}
            named = set(record.get("settle_in_summary") or [])
            parts = record.get("parts") or []
            assert named <= {p["name"] for p in parts}
            factors = [f"{p['data_factor']:.1f}" for p in parts if p.get("data_factor")]
            for part in parts:
                if part["name"] in named:
                    assert part["verdict"] == "Inconclusive" and part["settle"], (n, part["name"])
                    assert _says_settle(result["summary"], part), (n, part["name"])
                    checked += 1
                elif part.get("settle") and part.get("data_factor"):
                    if factors.count(f"{part['data_factor']:.1f}") == 1:  # not another part's
                        assert not _says_settle(result["summary"], part), (n, part["name"])
                        checked += 1
    assert checked >= 2
