"""Hypothesis 5 (risk): acceptance of high-risk referrals WITHIN home, among homes with a
matching registration and a free place, SEs clustered on the child, judged by the common
evidence rule; rivals (homes that decline everyone, child-level variation, homes not registered
for the child) must not give Supported."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.boroughs import is_local, london_adjacency, london_boroughs
from analysis.dataset import Dataset
from analysis.hypotheses import h5
from analysis.hypotheses.evidence import Estimate, evidence_verdict
from analysis.hypotheses.registry import get, load_rules
from analysis.paths import CONFIG, REFERENCE
from analysis.stats import difference_in_proportions, logit_fixed_effects

YEAR = 2022
EBD = "Emotional and behavioural difficulties"


def make_dataset(
    risk_effect: float,
    local_extra: float = 0.0,
    n_children: int = 300,
    seed: int = 2,
    *,
    refs_per_child: int = 4,
    child_sd: float = 0.0,
    home_sd: float = 0.0,
    risky_to_strict_homes: bool = False,
    unregistered_decline: float = 0.0,
) -> Dataset:
    """Children of London boroughs (35% high-risk; 40% with a mental-health need) each referred
    to ``refs_per_child`` homes; acceptance log-odds fall by ``risk_effect`` for high-risk
    profiles and by ``local_extra`` more for homes in the child's own or a neighbouring borough.

    Rivals: ``child_sd`` (a child-level effect on acceptance), ``home_sd`` (home-level effects;
    with ``risky_to_strict_homes`` high-risk children are referred mostly to the homes that
    accept least: a home-level confound), ``unregistered_decline`` (a home not registered for
    mental disorders declines children with a mental-health need by that much on the log-odds;
    with it, high-risk children have that need more often). Every home is registered for EBD;
    half for mental disorders; 80% had a free place on 31 March."""
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    n_homes = 120
    home_ons = np.where(
        rng.random(n_homes) < 0.5, rng.choice(ref["ons_code"], n_homes), "E10000014"
    )
    urns = [f"SC{i:05d}" for i in range(n_homes)]
    homes = pd.DataFrame(
        {
            "urn": urns,
            "la_ons_code": home_ons,
            "in_london": pd.Series(home_ons).str.startswith("E09").to_numpy(),
        }
    )
    mental_reg = rng.random(n_homes) < 0.5
    regs = pd.DataFrame(
        [{"URN": u, "category": EBD} for u in urns]
        + [
            {"URN": u, "category": "Mental disorders"}
            for u, m in zip(urns, mental_reg, strict=True)
            if m
        ]
    )
    free = rng.random(n_homes) < 0.8
    staffing = pd.DataFrame(
        {
            "URN": urns,
            "snapshot_date": pd.Timestamp("2022-03-31"),
            "registered_places": 4,
            "places_available": np.where(free, 1, 0),
            "places_unavailable_staffing": 0,
            "staff_vacancies_fte": 1.0,
            "staff_establishment_fte": 10.0,
            "staff_leavers_12m": 1,
        }
    )
    home_u = rng.normal(0, home_sd, n_homes) if home_sd else np.zeros(n_homes)
    strict = np.argsort(home_u)[: n_homes // 3]
    names = dict(zip(ref["ons_code"], ref["la_name"], strict=True))
    child_la = rng.choice(ref["la_name"], n_children)
    high = rng.random(n_children) < 0.35
    mental = rng.random(n_children) < np.where(high & (unregistered_decline > 0), 0.8, 0.4)
    child_u = rng.normal(0, child_sd, n_children) if child_sd else np.zeros(n_children)
    needs = pd.DataFrame(
        {
            "CHILD": [f"C{i}" for i in range(n_children)],
            "LA": child_la,
            "risk_to_others": pd.array(high, dtype="boolean"),
            "mental_health_need": pd.array(mental, dtype="boolean"),
        }
    )
    rows = []
    for i in range(n_children):
        pool = strict if (risky_to_strict_homes and high[i]) else np.arange(n_homes)
        for h in rng.choice(pool, refs_per_child, replace=False):
            local = is_local(child_la[i], names.get(home_ons[h], ""))
            logit = (
                0.3
                - risk_effect * high[i]
                - local_extra * high[i] * local
                + child_u[i]
                + home_u[h]
                - unregistered_decline * (mental[i] and not mental_reg[h])
            )
            accepted = rng.random() < 1 / (1 + np.exp(-logit))
            silent = not accepted and rng.random() < 0.15
            reason = (
                ""
                if accepted or silent
                else (h5.RISK_DECLINE if high[i] and rng.random() < 0.5 else "No vacancy")
            )
            rows.append(
                {
                    "referral_id": f"R{len(rows)}",
                    "CHILD": f"C{i}",
                    "LA": child_la[i],
                    "URN": urns[h],
                    "referral_date": pd.Timestamp("2021-10-01"),
                    "needed_by": "More than 5 days",
                    "response": "Accepted"
                    if accepted
                    else ("No response" if silent else "Declined"),
                    "decline_reason": reason,
                    "profile_strengths_based": pd.NA,
                    "profile_completeness": rng.random(),
                }
            )
    tables = {
        "episodes": pd.DataFrame(),
        "header": pd.DataFrame(),
        "homes": homes,
        "needs": needs,
        "referrals": pd.DataFrame(rows),
        "home_registrations": regs,
        "home_staffing": staffing,
    }
    return Dataset(tables=tables, source_dir=Path("."))


@pytest.fixture(scope="module")
def rules() -> dict:
    return load_rules(5)


def parts(result) -> dict[str, dict]:
    return {p["name"]: p for p in result.evidence["parts"]}


def test_adjacency_reference_is_symmetric_connected_and_complete():
    df = pd.read_csv(REFERENCE / "london_adjacency.csv")
    pairs = set(zip(df["la_name"], df["neighbour"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    assert all(a != b for a, b in pairs)
    names = set(london_boroughs()["la_name"])
    assert set(df["la_name"]) == names and set(df["neighbour"]) <= names
    graph = london_adjacency()
    assert nx.is_connected(graph) and graph.number_of_nodes() == 33
    assert is_local("Camden", "Islington") and is_local("Camden", "Camden")
    assert not is_local("Camden", "Bromley")


def test_newcombe_interval_contains_difference_and_matches_known_case():
    d = difference_in_proportions(56, 70, 48, 80)
    # Newcombe (1998) table II example: 56/70 vs 48/80 -> 0.2 (0.0524, 0.3339)
    assert d.difference == pytest.approx(0.2)
    assert d.ci_low == pytest.approx(0.0524, abs=5e-4)
    assert d.ci_high == pytest.approx(0.3339, abs=5e-4)


def test_planted_risk_aversion_is_supported(rules):
    result = h5.evaluate(make_dataset(risk_effect=1.0), YEAR, rules)
    assert result.verdict == "Supported"
    main = parts(result)["high_risk_declined"]
    assert main["verdict"] == "Supported" and main["ci_high"] < 0
    assert main["ci_low"] < -1.0 < main["ci_high"]
    assert result.indicators[0].ci_high < 1  # the within-home odds ratio


def test_verdict_is_the_evidence_rule_on_the_within_home_parts(rules):
    result = h5.evaluate(make_dataset(risk_effect=0.5, seed=8), YEAR, rules)
    p = parts(result)
    again, _ = evidence_verdict(
        rules,
        {n: Estimate(p[n]["estimate"], p[n]["ci_low"], p[n]["ci_high"]) for n in p},
    )
    assert result.verdict == again
    order = ["Not supported", "Inconclusive", "Supported"]  # any: the higher part
    assert result.verdict == max((q["verdict"] for q in p.values()), key=order.index)


def test_no_risk_effect_with_many_referrals_is_not_supported(rules):
    ds = make_dataset(risk_effect=0.0, seed=5, n_children=1500, refs_per_child=6)
    result = h5.evaluate(ds, YEAR, rules)
    main = parts(result)["high_risk_declined"]
    assert main["verdict"] == "Not supported"
    assert result.verdict != "Supported"


def test_homes_that_decline_everyone_do_not_make_a_risk_effect(rules):
    # rival: high-risk children are referred to the strictest homes; no risk effect at all
    ds = make_dataset(risk_effect=0.0, seed=6, home_sd=1.5, risky_to_strict_homes=True)
    result = h5.evaluate(ds, YEAR, rules)
    raw_gap = next(i for i in result.indicators if i.name.startswith("Acceptance rate gap"))
    assert raw_gap.ci_high < -0.05  # the surface pattern: high-risk referrals accepted less
    assert result.verdict != "Supported"
    main = parts(result)["high_risk_declined"]
    assert main["ci_low"] < 0 < main["ci_high"]


def test_homes_not_registered_for_the_child_are_left_out(rules):
    # rival (hypothesis 1): homes without a mental-disorders registration decline children with
    # a mental-health need, which high-risk children have more often; no risk effect
    ds = make_dataset(risk_effect=0.0, seed=11, unregistered_decline=3.0, n_children=600)
    df, _ = h5.referral_frame(ds, YEAR, rules)
    assert not df["matching"].all() and df["matching"].any()
    kept = df[df["in_test"]]
    raw = h5.acceptance_gap(df)
    assert raw.ci_high < 0  # surface pattern over all referrals
    result = h5.evaluate(ds, YEAR, rules)
    main = parts(result)["high_risk_declined"]
    assert main["verdict"] != "Supported" and main["ci_low"] < 0 < main["ci_high"]
    assert len(kept) < len(df)
    # without the registration check the rival's pattern shows up within homes
    every = df.assign(in_test=True)
    naive = h5.within_home_models(every)["high_risk"]
    assert naive.ci_high < 0


def test_child_clustering_widens_the_interval_under_child_level_variation():
    # rival: children differ (SD 1.5 on the log-odds), no risk effect; home-only clustering
    # understates the uncertainty of a child trait's effect
    ds = make_dataset(risk_effect=0.0, seed=3, child_sd=1.5, refs_per_child=10, n_children=400)
    df, _ = h5.referral_frame(ds, YEAR, load_rules(5))
    data = df[df["in_test"]]
    terms = ["high_risk", "local", *h5.ADJUSTERS]
    by_child = logit_fixed_effects(data, "accepted", terms, "URN", cluster="CHILD")
    by_home = logit_fixed_effects(data, "accepted", terms, "URN", cluster="URN")
    se_child = by_child.coefficients.loc["high_risk", "se"]
    se_home = by_home.coefficients.loc["high_risk", "se"]
    assert se_child > 1.3 * se_home


def test_matching_map_uses_h1_and_adds_risk_needs(rules):
    mapping = h5.matching_map(rules)
    h1 = load_rules(1)["compatibility"]
    for need, cats in h1["needs"].items():
        assert mapping["needs"][need] == list(cats)  # one definition: H1's map
    assert mapping["needs"]["risk_to_others"] == [EBD]
    assert mapping["all_children_require"] == list(h1["all_children_require"])
    own = h5.matching_map({**rules, "compatibility": {"needs": {"risk_to_others": ["X"]}}})
    assert own["needs"]["risk_to_others"] == ["X"]  # H1's (here: given) map wins


def test_h1_map_comes_from_the_config_folder_given(tmp_path):
    """H5 reads H1's registration map from the config folder its rules come from, not from the
    default one: a folder whose H1 map lets an EBD home take a child with a mental-health need
    keeps every referral that the default map (which asks for "Mental disorders") leaves out."""
    config = tmp_path / "config"
    for folder in ("hypotheses", "decision_rules"):
        shutil.copytree(CONFIG / folder, config / folder)
    h1_file = config / "decision_rules" / "h1.yaml"
    h1_rules = yaml.safe_load(h1_file.read_text(encoding="utf-8"))
    h1_rules["compatibility"]["needs"]["mental_health_need"] = [EBD]
    h1_file.write_text(yaml.safe_dump(h1_rules), encoding="utf-8")
    ds = make_dataset(risk_effect=0.0, n_children=80)
    default, _ = h5.referral_frame(ds, YEAR, load_rules(5))
    given, _ = h5.referral_frame(ds, YEAR, load_rules(5, config))
    assert load_rules(5, config)["compatibility"]["needs"]["mental_health_need"] == [EBD]
    assert not default["matching"].all() and given["matching"].all()
    assert given["in_test"].sum() > default["in_test"].sum()
    # the registry's evaluator of that folder uses it too
    result = get(5, config).evaluate(ds, YEAR)
    tested = next(i for i in result.indicators if i.name.startswith("Decided referrals to homes"))
    assert tested.n == int(given["in_test"].sum())


def test_meets_registration():
    mapping = {"all_children_require": [EBD], "needs": {"mh": ["Mental disorders"]}}
    assert h5.meets_registration(frozenset({EBD}), {"mh": 0}, mapping)
    assert not h5.meets_registration(frozenset({EBD}), {"mh": 1}, mapping)
    assert h5.meets_registration(frozenset({EBD, "Mental disorders"}), {"mh": 1}, mapping)
    assert not h5.meets_registration(frozenset({"Mental disorders"}), {"mh": 1}, mapping)
    assert not h5.meets_registration(None, {}, mapping)


def test_free_place_is_either_snapshot_of_the_year(rules):
    ds = make_dataset(risk_effect=0.0, n_children=30)
    staff = ds.tables["home_staffing"]
    earlier = staff.assign(snapshot_date=pd.Timestamp("2021-03-31"), places_available=1)
    ds.tables["home_staffing"] = pd.concat([staff.iloc[:0], earlier.iloc[:5]])
    assert h5.free_place_homes(ds, YEAR) == set(staff["URN"].iloc[:5])
    del ds.tables["home_staffing"]
    assert h5.free_place_homes(ds, YEAR) is None
    df, _ = h5.referral_frame(ds, YEAR, rules)
    assert df["free_place"].all() and "free place" in df.attrs["not_checked"]


def test_no_response_counts_as_not_accepted(rules):
    df, _ = h5.referral_frame(make_dataset(risk_effect=0.0, n_children=60), YEAR, rules)
    silent = df[df["response"] == "No response"]
    assert len(silent) > 0 and (silent["accepted"] == 0).all()


def test_local_interaction_detected_when_planted(rules):
    ds = make_dataset(risk_effect=0.2, local_extra=2.5, seed=7, n_children=600)
    result = h5.evaluate(ds, YEAR, rules)
    local = result.indicators[1]
    assert local.estimate < 1 and local.ci_high < 1
    assert parts(result)["local_extra_risk"]["estimate"] < -0.405


def test_referrals_to_the_home_a_child_is_placed_in_are_left_out(rules):
    """The referral that led to a placement records the placement (accepted by definition); with
    exclude_placement_referrals it is dropped, and only the child's own referrals to that home."""
    ds = make_dataset(risk_effect=0.0, n_children=60)
    refs = ds.tables["referrals"]
    first = refs.drop_duplicates("CHILD").head(10)
    ds.tables["episodes"] = pd.DataFrame(
        {
            "CHILD": first["CHILD"].tolist() + ["C_other"],
            "LA": first["LA"].tolist() + [first["LA"].iloc[0]],
            "URN": first["URN"].tolist() + [first["URN"].iloc[1]],
            "YEAR": YEAR,
        }
    )
    assert rules["exclude_placement_referrals"] is True
    kept, _ = h5.referral_frame(ds, YEAR, rules)
    every, _ = h5.referral_frame(ds, YEAR, {**rules, "exclude_placement_referrals": False})
    decided = int((refs["response"] != "Withdrawn").sum())
    assert len(every) == decided and every.attrs["placement_referrals_dropped"] == 0
    assert len(kept) == decided - 10 and kept.attrs["placement_referrals_dropped"] == 10
    result = h5.evaluate(ds, YEAR, rules)
    assert any(
        c.startswith("10 referrals to the home the child is placed in") for c in result.caveats
    )


def test_missing_referrals_or_needs_is_inconclusive(rules):
    for table in ("referrals", "needs"):
        ds = make_dataset(risk_effect=1.0, n_children=40)
        del ds.tables[table]
        result = h5.evaluate(ds, YEAR, rules)
        assert result.verdict == "Inconclusive"
        assert table in result.insufficient[0]
        assert all(p["estimate"] is None for p in result.evidence["parts"])


def test_tables_for_borough_edition(rules):
    ds = make_dataset(risk_effect=1.0)
    df, filtered = h5.referral_frame(ds, YEAR, rules)
    assert filtered
    table = h5.acceptance_table(
        df, [("London boroughs", sorted(df["LA"].unique())), ("Camden", ["Camden"])]
    )
    assert set(table["scope"]) == {"London boroughs", "Camden"}
    london = table[table["scope"] == "London boroughs"]
    assert london["referrals"].sum() == len(df)
    reasons = h5.decline_reason_table(df)
    assert reasons.groupby("profile")["share"].sum().round(6).eq(1).all()
    assert h5.decline_reason_figure(df).alt
    assert h5.acceptance_figure(df).child_counts == ("referrals", "accepted")


def test_chart_does_not_draw_suppressed_borough_values(rules):
    df, _ = h5.referral_frame(make_dataset(risk_effect=1.0), YEAR, rules)
    scopes = [("London boroughs", sorted(df["LA"].unique())), ("Camden", ["Camden"])]
    table = h5.acceptance_table(df, scopes)
    small = table["accepted"].between(1, 5) | table["referrals"].between(1, 5)
    assert small.any()  # Camden has only a handful of referrals
    spec = h5.acceptance_figure(df, scopes)
    drawn = len(spec.fig.axes[0].containers)
    assert drawn == int((~table["accepted"].between(1, 5)).sum()) < len(table)


def test_vectorised_matching_agrees_with_meets_registration(rules):
    ds = make_dataset(risk_effect=0.0, n_children=80, unregistered_decline=1.0)
    df, _ = h5.referral_frame(ds, YEAR, rules)
    mapping = h5.matching_map(rules)
    regs = ds.tables["home_registrations"]
    cats = regs.groupby("URN")["category"].agg(frozenset)
    fields = [c for c in ds.tables["needs"].columns if c in mapping["needs"]]
    needs = ds.tables["needs"].set_index("CHILD")
    expected = [
        h5.meets_registration(
            cats.get(urn), {f: bool(needs.loc[child, f]) for f in fields}, mapping
        )
        for urn, child in zip(df["URN"], df["CHILD"], strict=True)
    ]
    assert df["matching"].tolist() == expected
