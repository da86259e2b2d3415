"""Indicators carry stable ids that the report looks up (issue 12): the borough tables, the
recommendations and the totals name an indicator by its id, so rewording an indicator's display
text leaves them filled, and an id that no registry entry declares is an error, not an empty
row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.document.borough import ComparisonScopes, comparisons, registered_row
from analysis.document.recommendations import figure_value, load_bank, select
from analysis.document.totals import load_totals, reconciliation_notes
from analysis.hypotheses import registry
from analysis.hypotheses.indicator_ids import (
    UnknownIndicatorId,
    check_id,
    declared_ids,
    find_indicator,
)
from analysis.paths import CONFIG


def _renamed(results: dict) -> dict:
    """``results`` (file stem -> JSON) with every hypothesis indicator's display text reworded."""
    out = json.loads(json.dumps(results))
    for key, doc in out.items():
        if key.startswith("h") and isinstance(doc, dict):
            for i, ind in enumerate(doc.get("indicators") or []):
                ind["name"] = f"Reworded indicator {i}"
    return out


def _config_copy(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    return config


# --- the declarations ------------------------------------------------------------------------


def test_every_declared_id_is_its_hypothesis_s_and_unique():
    declared = declared_ids(CONFIG)
    for h in registry.registry(CONFIG):
        assert h.indicators, h.key  # each hypothesis declares what the report may look up
        assert all(declared[i] == h.id for i in h.indicators)
    assert check_id("h4_premium_adjusted", CONFIG) == 4


def test_an_entry_declaring_another_hypothesis_s_id_or_one_twice_is_an_error(tmp_path):
    config = _config_copy(tmp_path)
    entry = config / "hypotheses" / "h4.yaml"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text.replace("  - h4_premium_borough\n", "  - h5_premium\n"), "utf-8")
    with pytest.raises(registry.RegistryError, match="h5_premium"):
        declared_ids(config)
    entry.write_text(text.replace("  - h4_premium_borough\n", "  - h4_premium_adjusted\n"), "utf-8")
    with pytest.raises(registry.RegistryError, match="declared twice"):
        declared_ids(config)


def test_the_configuration_names_only_declared_ids():
    load_bank(CONFIG)  # raises on an undeclared id
    spec = load_totals(CONFIG)
    assert all(ind.get("indicator") for entry in spec.values() for ind in entry["indicators"])
    for h in registry.registry(CONFIG):
        for spec in h.borough_rows:
            for cell in spec.get("cells") or []:
                if cell and "indicator" in cell:
                    assert cell["indicator"] in h.indicators, (h.key, cell)


# --- an unknown id is an error ----------------------------------------------------------------


def test_a_recommendation_citing_an_unknown_id_is_an_error(tmp_path):
    config = _config_copy(tmp_path)
    bank = config / "recommendations.yaml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace("h5.indicators[h5_acceptance_gap]", "h5.indicators[h5_gap]"))
    with pytest.raises(UnknownIndicatorId, match="h5_gap.*recommendation risk-support"):
        load_bank(config)
    # another hypothesis's id in this hypothesis's results file is as wrong
    bank.write_text(
        text.replace("h5.indicators[h5_acceptance_gap]", "h5.indicators[h3_profile_or]")
    )
    with pytest.raises(UnknownIndicatorId, match="hypothesis 3's"):
        load_bank(config)
    # the old way, by the start of the display text, is an unknown id too
    bank.write_text(text.replace("h5.indicators[h5_acceptance_gap]", "h5.indicators[Acceptance]"))
    with pytest.raises(UnknownIndicatorId, match="'Acceptance'"):
        load_bank(config)


def test_a_total_naming_an_unknown_id_is_an_error(tmp_path):
    config = _config_copy(tmp_path)
    totals = config / "totals.yaml"
    text = totals.read_text(encoding="utf-8")
    totals.write_text(text.replace("indicator: h6_vacancy_acceptance_or", "indicator: h6_or"))
    with pytest.raises(UnknownIndicatorId, match="h6_or"):
        load_totals(config)


def test_a_borough_row_naming_an_unknown_id_is_an_error_not_a_dash():
    spec = {"measure": "m", "format": "share", "cells": [{"indicator": "h1_unknown"}, None, None]}
    results = {"indicators": [{"id": "h1_unknown", "name": "x", "estimate": 0.5, "n": 40}]}
    declared = registry.get(1, CONFIG).indicators
    with pytest.raises(UnknownIndicatorId, match="h1_unknown"):
        registered_row(
            spec, lambda name: None, results, ComparisonScopes("Camden"), declared=declared
        )
    # a declared id the results do not hold is a dash (absent, as any missing figure)
    spec["cells"][0] = {"indicator": "h1_feasible_share_borough"}
    row = registered_row(
        spec, lambda name: None, results, ComparisonScopes("Camden"), declared=declared
    )
    assert row == ["–", "–", "–"]


# --- rewording an indicator leaves the tables filled ----------------------------------------


def _example_results() -> dict:
    """Results with the indicators the configuration looks up (ids as the modules set them)."""
    ind = {
        1: [{"id": "h1_feasible_share", "name": "Share", "estimate": 0.4, "n": 300}],
        2: [{"id": "h2_good_share_london_homes", "name": "Share", "estimate": 0.8, "n": 90}],
        3: [
            {"id": "h3_profile_or", "name": "Odds ratio", "estimate": 1.4, "n": 3942},
            {"id": "h3_acceptance_strengths_based", "name": "Rate", "estimate": 0.29, "n": 1500},
            {
                "id": "h3_acceptance_not_strengths_based",
                "name": "Rate",
                "estimate": 0.23,
                "n": 2442,
            },
        ],
        4: [{"id": "h4_premium_adjusted", "name": "Premium", "estimate": 0.07, "n": 500}],
        5: [
            {"id": "h5_high_risk_or", "name": "Odds ratio", "estimate": 0.6, "n": 3004},
            {"id": "h5_acceptance_gap", "name": "Gap", "estimate": -0.1, "n": 3800},
            {"id": "h5_risk_decline_share", "name": "Share", "estimate": 0.18, "n": 900},
        ],
        6: [
            {"id": "h6_unavailable_share_london", "name": "Share", "estimate": 0.11, "n": 668},
            {"id": "h6_vacancy_acceptance_or", "name": "Odds ratio", "estimate": 0.9, "n": 3488},
        ],
    }
    out: dict = {f"h{n}": {"verdict": "Supported", "indicators": v} for n, v in ind.items()}
    out["headlines"] = {"share_outside_london": 67.3, "placements_outside_london": 532}
    return out


def _cited(printed: list[dict]) -> dict[str, list]:
    return {r["id"]: [c["value"] for c in r["cited"]] for r in printed}


def test_reworded_indicators_keep_the_recommendations_and_totals_filled():
    results = _example_results()
    renamed = _renamed(results)
    assert renamed["h5"]["indicators"][1]["name"] == "Reworded indicator 1"
    bank = load_bank(CONFIG)
    printed, _ = select(bank, results)
    printed_renamed, _ = select(bank, renamed)
    assert _cited(printed) == _cited(printed_renamed)
    for rec in ("risk-support", "strengths-referrals", "uniform-costs", "staffing"):
        assert all(v is not None for v in _cited(printed_renamed)[rec][-1:]), rec
    assert figure_value(renamed, "h4.indicators[h4_premium_adjusted].estimate") == 0.07
    spec = load_totals(CONFIG)
    totals = {"referrals": 3942, "places": 569}
    for n in range(3, 7):
        before = reconciliation_notes(results[f"h{n}"]["indicators"], totals, spec)
        after = reconciliation_notes(renamed[f"h{n}"]["indicators"], totals, spec)
        assert before == after
    notes = reconciliation_notes(renamed["h6"]["indicators"], totals, spec)
    assert any("3,488" in s for s in notes) and any("668" in s for s in notes)


def test_reworded_indicators_keep_a_borough_row_filled():
    spec = registry.get(1, CONFIG).borough_rows[1]  # cells: borough's and London's share
    results = {
        "indicators": [
            {"id": "h1_feasible_share_borough", "name": "Camden: share", "estimate": 0.5, "n": 30},
            {"id": "h1_feasible_share", "name": "Share", "estimate": 0.4, "n": 300},
        ]
    }
    scopes = ComparisonScopes("Camden")
    declared = registry.get(1, CONFIG).indicators
    row = registered_row(spec, lambda name: None, results, scopes, declared=declared)
    reworded = registered_row(
        spec, lambda name: None, _renamed({"h1": results})["h1"], scopes, declared=declared
    )
    assert row == reworded and row[0] != "–" and row[2] != "–"
    assert find_indicator(results["indicators"], "h1_feasible_share")["estimate"] == 0.4


# --- the built editions ------------------------------------------------------------------------


def _editions(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("report.html") if p.parent.parent.name.isdigit())


def _results(edition: Path) -> dict:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((edition / "results").glob("*.json"))
    }


def test_built_indicators_carry_declared_ids_and_rewording_changes_no_table(built_outputs):
    root, _ = built_outputs
    declared = declared_ids(CONFIG)
    bank, spec = load_bank(CONFIG), load_totals(CONFIG)
    registered = registry.registry(CONFIG)
    editions = _editions(root)
    assert any(e.name == "london" for e in editions) and len(editions) >= 2
    for edition in editions:
        results = _results(edition)
        renamed = _renamed(results)
        for h in registered:
            for ind in (results.get(h.key) or {}).get("indicators") or []:
                if ind.get("id"):  # every id a module sets is declared by its entry
                    assert declared.get(ind["id"]) == h.id, (edition.name, ind["id"])
        # the recommendations cite the same figures
        assert _cited(select(bank, results)[0]) == _cited(select(bank, renamed)[0])
        # the totals' sentences are the same
        for h in registered:
            if results.get(h.key):
                before = reconciliation_notes(results[h.key].get("indicators") or [], {}, spec)
                after = reconciliation_notes(renamed[h.key].get("indicators") or [], {}, spec)
                assert before == after
        # the borough tables are the same and not empty
        if edition.name != "london":
            scopes = ComparisonScopes.read(
                edition, str(results.get("scopes", {}).get("borough", {}).get("name", edition.name))
            )
            hyps = {h.id: results.get(h.key) for h in registered}
            renamed_hyps = {h.id: renamed.get(h.key) for h in registered}
            pats = results.get("patterns")
            table = comparisons(edition, scopes, hyps, pats, registered)
            assert table == comparisons(edition, scopes, renamed_hyps, pats, registered)
            assert any(key.startswith("h") for key in table), edition.name
