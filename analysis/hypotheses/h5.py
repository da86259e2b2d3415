"""Hypothesis 5: under-use is a result of attitude to risk (providers' or boroughs'), linked to
inspection.

The test compares answers to referrals for children with a *high-risk profile* (criminal or
sexual exploitation, risk to others) with answers to other referrals **within the same home**
(home fixed effects: a logistic regression with one intercept per home, the conditional-logit
answer; homes whose decided referrals were all accepted or all not accepted say nothing within
the home and drop out), **among referrals to homes with a matching registration and a free
place**, with standard errors **clustered on the child** (a child's referrals share the child's
unrecorded traits, and a high-risk profile is a trait of the child). Two parts
(``config/decision_rules/h5.yaml``, ``evidence``; either suffices):

- ``high_risk_declined``: the log odds ratio of acceptance, high-risk profile against other
  (profile quality, urgency and a local home held equal);
- ``local_extra_risk``: the extra log odds ratio for homes in the child's own or a neighbouring
  borough (interaction high-risk x local; neighbours from ``data/reference/london_adjacency.csv``).

Rivals it separates: *no matching registration* (hypothesis 1: a home not registered for the
child's needs declines whoever asks; such referrals are left out), *no free place or no staff*
(hypothesis 6: a full or short-staffed home declines everyone; homes without a free place are left
out and, within a home, its staffing is held equal by the fixed effect), *homes that decline
everyone* (the fixed effect), and *children who are declined everywhere for reasons not
recorded* (child clustering: with home-only clustering, child-level variation of SD 1 on the
log-odds and no risk effect gave 15-17% false rejections).

A *matching registration*: the home's Ofsted registration categories meet every requirement the
child's needs put on a home, by hypothesis 1's map (``compatibility`` in
``config/decision_rules/h1.yaml``: one definition; h5.yaml takes it with ``from_hypotheses``,
from the same config folder). Exploitation and risk to others are not Ofsted
registration categories: for them a home matches when it is registered for "Emotional and
behavioural difficulties", the category under which homes care for children whose behaviour puts
themselves or others at risk (``matching_registration.risk_needs`` in h5.yaml; H1's map wins for a
need it names). A *free place*: the home's staffing return at the snapshot that ends the
referral year or the one that starts it shows at least one place available.

Decided referrals and "not accepted" are :mod:`analysis.referrals`' one definition (Declined or
No response). Caveat: referrals are requests, not a random allocation; the free place is seen on
two days a year, not on the day of the referral.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.boroughs import home_locations, is_local
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.flags import flag_true, high_risk_flags
from analysis.hypotheses.evidence import (
    coefficient_evidence,
    coverage_row,
    coverage_table,
    evidence_verdict,
    fmt_pct,
    not_tested,
    settle_in_summary,
    states_settle,
)
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.referrals import decided_referrals, placement_referrals
from analysis.snapshot import for_year, referrals_in_year
from analysis.stats import (
    Coefficient,
    difference_in_proportions,
    logit_fixed_effects,
    wilson_ci,
)
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 5
RISK_DECLINE = "Risk or inspection concern"
MAIN, LOCAL = "high_risk_declined", "local_extra_risk"
#: The parts in words, for the chapter's sentences.
WORDS = {MAIN: "the within-home effect", LOCAL: "the extra effect close to home"}
#: What a part's ``n`` counts (the referrals the within-home models use).
IN_TEST = "referrals in the test"
#: The summary of a result when neither part can be estimated.
NOT_TESTED = "The data needed to compare acceptance by risk profile within homes is not available."

#: Referral-level covariates held equal in the within-home models (the home's own traits,
#: London location included, are absorbed by its fixed effect).
ADJUSTERS: list[str] = ["strengths_based", "completeness", "urgent"]


def matching_map(rules: Mapping[str, Any]) -> dict[str, Any]:
    """The registration categories a child's needs require of a home: ``{"all_children_require":
    [...], "needs": {need: [categories, any one of which meets it]}}``.

    ``rules["compatibility"]`` (hypothesis 1's map: H5's rules as the registry loads them take
    it from H1's rules in the same config folder, ``from_hypotheses``) completed with H5's
    ``matching_registration.risk_needs`` for needs H1's map does not name (exploitation and
    risk to others are not Ofsted categories)."""
    spec = dict(rules.get("matching_registration") or {})
    if "compatibility" not in rules:
        raise KeyError(
            "compatibility: H5's rules have no registration map; load them with "
            "analysis.hypotheses.registry.load_rules(5, config_dir), which takes H1's"
        )
    base = rules["compatibility"] or {}
    needs = {k: list(v) for k, v in (spec.get("risk_needs") or {}).items()}
    needs.update({k: list(v) for k, v in (base.get("needs") or {}).items()})
    return {"all_children_require": list(base.get("all_children_require") or []), "needs": needs}


def meets_registration(
    categories: frozenset[str] | None, needs: Mapping[str, Any], mapping: Mapping[str, Any]
) -> bool:
    """Whether a home registered for ``categories`` meets every requirement of a child with
    ``needs`` (need -> 0/1): the base requirement (any one of ``all_children_require``, when
    given) and, for each need present, any one of its categories. A home with no known
    registration (None) does not match."""
    if categories is None:
        return False
    base = set(mapping.get("all_children_require") or [])
    if base and not categories & base:
        return False
    return all(
        categories & set(cats)
        for need, cats in (mapping.get("needs") or {}).items()
        if bool(needs.get(need, 0))
    )


def matching_referrals(
    df: pd.DataFrame, regs: pd.DataFrame, mapping: Mapping[str, Any], fields: list[str]
) -> pd.Series:
    """Per referral of ``df`` (columns ``URN`` and ``need:<field>`` 0/1), whether the home's
    registrations (``regs``: ``URN, category``) meet the child's needs: the vectorised
    :func:`meets_registration`. A home with no registration row does not match."""

    def home_has(categories: list[str]) -> pd.Series:
        urns = set(regs.loc[regs["category"].isin(categories), "URN"])
        return df["URN"].isin(urns)

    ok = df["URN"].isin(set(regs["URN"]))
    base = list(mapping.get("all_children_require") or [])
    if base:
        ok &= home_has(base)
    for need in fields:
        ok &= (df[f"need:{need}"] == 0) | home_has(list(mapping["needs"][need]))
    return ok.astype(bool)


def free_place_homes(ds: Dataset, year: int) -> set[str] | None:
    """URNs of homes whose staffing return at 31 March ``year`` or 31 March ``year - 1`` (the
    two snapshots bounding the referral year; all returns when they are not dated) shows at
    least one place available. None when the dataset has no staffing returns."""
    if not ds.has("home_staffing"):
        return None
    staff = ds.table("home_staffing")
    dates = pd.to_datetime(staff["snapshot_date"], errors="coerce", dayfirst=True)
    years = dates.dt.year
    if years.notna().any() and years.isin([year, year - 1]).any():
        staff = staff[years.isin([year, year - 1]).to_numpy()]
    available = pd.to_numeric(staff["places_available"], errors="coerce").fillna(0)
    return set(staff.loc[available.to_numpy() >= 1, "URN"].astype(str))


@london_level
def referral_frame(ds: Dataset, year: int, rules: dict[str, Any]) -> tuple[pd.DataFrame, bool]:
    """One row per decided referral (:func:`analysis.referrals.decided_referrals`): ``CHILD,
    LA, URN, response, decline_reason, accepted, high_risk, has_needs, local, high_risk_local,
    home_in_london, strengths_based, completeness, urgent, matching, free_place, in_test``.

    ``matching``: the home's registration meets the child's needs (:func:`matching_map`);
    ``free_place``: the home had a free place (:func:`free_place_homes`); ``in_test``: both
    (either check is skipped, and said in ``attrs["not_checked"]``, when its table is absent).
    Children without a needs record count as not high-risk and as needing only the base
    registration. With ``rules["exclude_placement_referrals"]`` a child's referrals to a home
    the child is placed in are left out (see :func:`analysis.referrals.placement_referrals`);
    the number is in ``attrs["placement_referrals_dropped"]``. ``CHILD`` is for clustering
    only: never published.
    """
    refs, filtered = referrals_in_year(ds.table("referrals"), year)
    refs = decided_referrals(refs)
    refs["URN"] = refs["URN"].astype(str)
    dropped = 0
    if rules.get("exclude_placement_referrals", False):
        hit = placement_referrals(ds, year, refs)
        dropped = int(hit.sum())
        refs = refs[~hit]
    mapping = matching_map(rules)
    needs = for_year(ds.table("needs"), year)
    fields = sorted(set(mapping["needs"]) & set(needs.columns))
    risk = needs[["CHILD", "LA"]].copy()
    risk["high_risk"] = high_risk_flags(needs, tuple(rules["high_risk_fields"])).astype(int)
    for f in fields:
        risk[f"need:{f}"] = flag_true(needs[f]).astype(int)
    risk = risk.drop_duplicates(["CHILD", "LA"])
    df = refs.merge(risk, on=["CHILD", "LA"], how="left")
    df["has_needs"] = df["high_risk"].notna()
    need_cols = ["high_risk", *(f"need:{f}" for f in fields)]
    df[need_cols] = df[need_cols].fillna(0).astype(int)
    df = df.merge(home_locations(ds.table("homes")), on="URN", how="left")
    df["home_in_london"] = df["home_in_london"].fillna(0).astype(int)
    df["home_la"] = df["home_la"].fillna("").astype(str)
    df["local"] = [int(is_local(a, b)) for a, b in zip(df["LA"], df["home_la"], strict=True)]
    df["high_risk_local"] = df["high_risk"] * df["local"]
    df["strengths_based"] = flag_true(df["profile_strengths_based"]).astype(int)
    df["completeness"] = pd.to_numeric(df["profile_completeness"], errors="coerce").fillna(0.0)
    df["urgent"] = df["needed_by"].astype(str).isin(["Today", "Less than 5 days"]).astype(int)
    not_checked: list[str] = []
    if ds.has("home_registrations"):
        regs = ds.table("home_registrations")
        regs = regs.assign(URN=regs["URN"].astype(str), category=regs["category"].astype(str))
        df["matching"] = matching_referrals(df, regs, mapping, fields)
    else:
        df["matching"] = True
        not_checked.append("registration")
    free = free_place_homes(ds, year)
    if free is None:
        df["free_place"] = True
        not_checked.append("free place")
    else:
        df["free_place"] = df["URN"].isin(free)
    df["in_test"] = df["matching"] & df["free_place"]
    cols = [
        "CHILD",
        "LA",
        "URN",
        "response",
        "decline_reason",
        "accepted",
        "high_risk",
        "has_needs",
        "local",
        "high_risk_local",
        "home_in_london",
        "strengths_based",
        "completeness",
        "urgent",
        "matching",
        "free_place",
        "in_test",
    ]
    out = df[cols].reset_index(drop=True)
    out.attrs["placement_referrals_dropped"] = dropped
    out.attrs["not_checked"] = not_checked
    return out, filtered


def acceptance_gap(df: pd.DataFrame, alpha: float = 0.05):
    """Acceptance rate of high-risk referrals minus that of the others (Newcombe CI;
    descriptive: referrals treated as independent, homes not held equal)."""
    hi, lo = df[df["high_risk"] == 1], df[df["high_risk"] == 0]
    return difference_in_proportions(
        int(hi["accepted"].sum()), len(hi), int(lo["accepted"].sum()), len(lo), alpha
    )


def _coefficient(fit, term: str) -> Coefficient | None:
    """One term of a :class:`analysis.stats.LogitFit` as a Coefficient (None when absent or
    not finite)."""
    table = fit.coefficients
    if term not in table.index:
        return None
    row = table.loc[term]
    values = [float(row[c]) for c in ("coef", "ci_low", "ci_high", "p_value")]
    if not all(math.isfinite(v) for v in values):
        return None
    return Coefficient(term, *values, fit.n)


@london_level
def within_home_models(df: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    """Log-odds of acceptance with home fixed effects, SEs clustered on the child, among the
    referrals ``in_test``: ``high_risk`` (no interaction) and ``high_risk_local`` (the model
    with the interaction), plus ``homes`` (homes informative within, i.e. kept) and
    ``homes_dropped`` (all accepted or all not accepted). A coefficient is None when it cannot
    be estimated. Caveat: with few referrals per home the fixed-effects logit overstates
    effects a little (incidental parameters); under no effect it stays centred on 0."""
    data = df[df["in_test"].astype(bool)]
    main = logit_fixed_effects(
        data, "accepted", ["high_risk", "local", *ADJUSTERS], "URN", cluster="CHILD", alpha=alpha
    )
    inter = logit_fixed_effects(
        data,
        "accepted",
        ["high_risk", "local", "high_risk_local", *ADJUSTERS],
        "URN",
        cluster="CHILD",
        alpha=alpha,
    )
    n_homes = int(data["URN"].nunique())
    return {
        "high_risk": _coefficient(main, "high_risk"),
        "high_risk_local": _coefficient(inter, "high_risk_local"),
        "homes": n_homes - len(main.dropped_groups),
        "homes_dropped": len(main.dropped_groups),
        "n": main.n,
    }


def risk_decline_shares(df: pd.DataFrame, alpha: float = 0.05):
    """Share of declines citing "Risk or inspection concern", high-risk minus other referrals."""
    declined = df[df["response"].astype(str) == "Declined"]
    cites = declined["decline_reason"].astype(str) == RISK_DECLINE
    hi = declined["high_risk"] == 1
    return difference_in_proportions(
        int(cites[hi].sum()), int(hi.sum()), int(cites[~hi].sum()), int((~hi).sum()), alpha
    )


def odds_ratio(coef: Coefficient | None) -> tuple[float, float, float]:
    """Log-odds coefficient -> odds ratio with its interval."""
    if coef is None:
        return (math.nan, math.nan, math.nan)
    return (math.exp(coef.estimate), math.exp(coef.ci_low), math.exp(coef.ci_high))


def borough_indicators(df: pd.DataFrame, la: str, rules: dict) -> list[Indicator]:
    """The borough's own acceptance gap (descriptive; small numbers)."""
    sub = df[df["LA"] == la]
    gap = acceptance_gap(sub, float(rules["alpha"]))
    name = f"{la}: acceptance gap, high-risk minus other referrals"
    if min(gap.n1, gap.n2) < int(rules["min_group_n_borough"]):
        return [
            Indicator(
                name,
                None,
                n=len(sub),
                unit="proportion",
                note=f"Too few referrals ({gap.n1} high-risk, {gap.n2} other).",
                id="h5_acceptance_gap_borough",
            )
        ]
    return [
        Indicator(
            name,
            gap.difference,
            gap.ci_low,
            gap.ci_high,
            p_value=gap.p_value,
            n=len(sub),
            unit="proportion",
            note="The borough's own decided referrals; unadjusted, homes not held equal.",
            id="h5_acceptance_gap_borough",
        )
    ]


def evaluate(
    ds: Dataset, year: int, rules: dict[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """Run the test of hypothesis 5; ``la`` adds the borough's own gap (verdict London's)."""
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    caveats = list(rules.get("caveats", []))
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")

    def untested(reason: str) -> HypothesisResult:
        return not_tested(
            HYPOTHESIS,
            rules,
            [MAIN, LOCAL],
            fieldwork=fieldwork,
            caveats=caveats,
            reason=reason,
            summary=NOT_TESTED,
        )

    for table, what in (("referrals", "Referrals and responses"), ("needs", "Child needs")):
        if not ds.has(table):
            return untested(f"{what} (`{table}` table) absent: no test possible.")
    df, filtered = referral_frame(ds, year, rules)
    insufficient: list[str] = []
    if not filtered:
        caveats.append("No referral is dated in the report year: all referrals were used.")
    if df.attrs.get("placement_referrals_dropped"):
        caveats.append(
            f"{df.attrs['placement_referrals_dropped']:,} referrals to the home the child is "
            "placed in were left out: they record the placement (accepted by definition), not "
            "a provider's answer to the child's risk."
        )
    for check in df.attrs.get("not_checked", []):
        table = "home_registrations" if check == "registration" else "home_staffing"
        insufficient.append(
            f"No `{table}` table: the test could not be restricted to homes with a matching "
            f"{check}, so hypothesis {'1' if check == 'registration' else '6'} is not ruled out."
        )
    alpha = float(rules["alpha"])
    test = df[df["in_test"]]
    n_hi, n_lo = int(test["high_risk"].sum()), int((test["high_risk"] == 0).sum())
    if min(n_hi, n_lo) < int(rules["min_group_n"]):
        return untested(
            "Too few decided referrals to homes with a matching registration and a free "
            f"place: {n_hi} high-risk, {n_lo} other (at least {rules['min_group_n']} each "
            "needed)."
        )
    models = within_home_models(df, alpha)
    main, local = models["high_risk"], models["high_risk_local"]
    verdict, record = evidence_verdict(
        rules,
        {
            MAIN: coefficient_evidence(main, IN_TEST, missing_unit="referrals"),
            LOCAL: coefficient_evidence(local, IN_TEST, missing_unit="referrals"),
        },
    )
    part = {p["name"]: p for p in record["parts"]}
    gap = acceptance_gap(df, alpha)
    declines = risk_decline_shares(df, alpha)
    or_main, or_local = odds_ratio(main), odds_ratio(local)
    n_decl = declines.n1 + declines.n2
    n_risk_decl = round(declines.p1 * declines.n1 + declines.p2 * declines.n2) if n_decl else 0
    _, share_low, share_high = wilson_ci(n_risk_decl, n_decl, alpha)
    within = (
        f"Within-home logistic regression (home fixed effects; {models['homes']} homes "
        f"informative, {models['homes_dropped']} whose referrals were all accepted or all not "
        "accepted drop out), referrals to homes with a matching registration and a free place, "
        "profile quality, urgency and local home held equal; SEs clustered on the child."
    )
    indicators = [
        Indicator(
            "Within-home odds ratio of acceptance, high-risk profile (the test)",
            or_main[0],
            or_main[1],
            or_main[2],
            p_value=None if main is None else main.p_value,
            n=None if main is None else main.n,
            unit="odds ratio",
            supports=None if main is None else part[MAIN]["verdict"] == "Supported",
            note=within,
            id="h5_high_risk_or",
        ),
        Indicator(
            "Within-home extra odds ratio for homes in the child's own or a neighbouring borough",
            or_local[0],
            or_local[1],
            or_local[2],
            p_value=None if local is None else local.p_value,
            n=None if local is None else local.n,
            unit="odds ratio",
            supports=None if local is None else part[LOCAL]["verdict"] == "Supported",
            note="Interaction high-risk x local home in the same model; below 1 = the risk gap "
            "is wider close to home.",
            id="h5_local_extra_or",
        ),
        Indicator(
            "Acceptance rate gap, high-risk minus other referrals",
            gap.difference,
            gap.ci_low,
            gap.ci_high,
            p_value=gap.p_value,
            n=gap.n1 + gap.n2,
            unit="proportion",
            note=f"All decided referrals: high-risk {fmt_pct(gap.p1)} of {gap.n1}; others "
            f"{fmt_pct(gap.p2)} of {gap.n2}. Newcombe 95% CI; referrals treated as independent "
            "and homes not held equal: descriptive.",
            id="h5_acceptance_gap",
        ),
        Indicator(
            "Decided referrals to homes with a matching registration and a free place",
            float(len(test)),
            n=len(test),
            unit="count",
            note=f"Of {len(df):,} decided referrals: {int(df['matching'].sum()):,} to a home "
            f"with a matching registration, {int(df['free_place'].sum()):,} to a home with a "
            "free place.",
            id="h5_referrals_in_test",
        ),
        Indicator(
            "Share of declines citing risk or inspection concern",
            n_risk_decl / n_decl if n_decl else None,
            share_low,
            share_high,
            n=n_decl,
            unit="proportion",
            note=f"High-risk referrals {fmt_pct(declines.p1)}, others {fmt_pct(declines.p2)} "
            "(Wilson 95% CI for the overall share).",
            id="h5_risk_decline_share",
        ),
        Indicator(
            "Difference in share of declines citing risk, high-risk minus other",
            declines.difference,
            declines.ci_low,
            declines.ci_high,
            p_value=declines.p_value,
            n=n_decl,
            unit="proportion",
            id="h5_risk_decline_difference",
        ),
    ]
    if la is not None:
        indicators.extend(borough_indicators(df, la, rules))
    return HypothesisResult(
        HYPOTHESIS,
        verdict,
        rules["decision_rule"],
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=risk_summary(gap, or_main, or_local, record, verdict),
        evidence=settle_in_summary(record, [p["name"] for p in _settled(record, verdict)]),
    )


def risk_summary(gap, or_main, or_local, record: dict[str, Any], verdict: str) -> str:
    """The chapter's plain sentences: the raw acceptance rates, each part's odds ratio,
    interval, smallest effect and verdict, and the combined verdict (either part suffices)."""
    part = {p["name"]: p for p in record["parts"]}
    text = (
        f"Referrals for children with high-risk profiles were accepted {fmt_pct(gap.p1)} of the "
        f"time against {fmt_pct(gap.p2)} for others. "
    )
    for name, ors, what in (
        (
            MAIN,
            or_main,
            "Within the same home, a high-risk profile multiplies the odds of acceptance by",
        ),
        (LOCAL, or_local, "For homes in the child's own or a neighbouring borough, a further"),
    ):
        p = part[name]
        if math.isnan(ors[0]):
            text += f"{what.split(',')[0]}: not estimable. "
            continue
        text += (
            f"{what} {ors[0]:.2f} (95% interval {ors[1]:.2f} to {ors[2]:.2f}; the smallest effect "
            f"that would matter is {math.exp(-p['smallest_effect']):.2f}): {p['verdict'].lower()}. "
        )
    text += f"Either suffices. Verdict: {verdict.lower()}."
    for p in _settled(record, verdict):
        text += (
            f" About {p['data_factor']:.1f} times as many referrals would settle "
            f"{WORDS[p['name']]}, if the estimate held."
        )
    return text


def _settled(record: dict[str, Any], verdict: str) -> list[dict[str, Any]]:
    """The parts whose settling :func:`risk_summary` states: when the verdict is Inconclusive,
    those :func:`evidence_summary` would settle (:func:`states_settle`)."""
    if verdict != "Inconclusive":
        return []
    return [p for p in record["parts"] if states_settle(p)]


# --- tables for the notebook's figures ---------------------------------------------------


def acceptance_table(
    df: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Acceptance by risk profile and home location (local / elsewhere in London / outside),
    with Wilson CIs; one block per scope (placing boroughs: London, the group, the borough)."""
    frame = df.assign(
        home=np.select(
            [df["local"] == 1, df["home_in_london"] == 1],
            ["Own or neighbouring borough", "Elsewhere in London"],
            "Outside London",
        ),
        profile=np.where(df["high_risk"] == 1, "High-risk profile", "Other"),
    )
    scopes = scopes or [("London boroughs", sorted(df["LA"].unique()))]
    rows = []
    for scope, members in scopes:
        sub = frame[frame["LA"].isin(members)]
        for (home, profile), g in sub.groupby(["home", "profile"]):
            acc, n = int(g["accepted"].sum()), len(g)
            _, low, high = wilson_ci(acc, n, alpha)
            rows.append(
                {
                    "scope": scope,
                    "home": home,
                    "profile": profile,
                    "referrals": n,
                    "accepted": acc,
                    "acceptance_rate": acc / n,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def decline_reason_table(df: pd.DataFrame) -> pd.DataFrame:
    """Declines by reason and risk profile: count and share of that profile's declines."""
    declined = df[df["response"].astype(str) == "Declined"].assign(
        profile=lambda d: np.where(d["high_risk"] == 1, "High-risk profile", "Other"),
        reason=lambda d: d["decline_reason"].astype("string").fillna("Not recorded").astype(str),
    )
    table = declined.groupby(["profile", "reason"]).size().rename("declines").reset_index()
    table["share"] = table["declines"] / table.groupby("profile")["declines"].transform("sum")
    return table


def acceptance_figure(
    df: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None
) -> FigureSpec:
    """Acceptance rate by risk profile and where the home is, with Wilson 95% CIs."""
    table = acceptance_table(df, scopes)
    table["row"] = table["home"]
    if table["scope"].nunique() > 1:
        table["row"] = table["scope"] + " - " + table["row"]
    counts = ("referrals", "accepted")
    derived = {"acceptance_rate": "accepted", "ci_low": "accepted", "ci_high": "accepted"}
    fig = interval_chart(
        as_published(table, counts, derived),
        label="row",
        estimate="acceptance_rate",
        low="ci_low",
        high="ci_high",
        series="profile",
        xlabel="Share of referrals accepted (95% confidence interval)",
    )
    gap = acceptance_gap(df)
    alt = (
        "Dot chart of the share of referrals accepted, for children with high-risk profiles and "
        f"others, by where the home is. Overall {fmt_pct(gap.p1)} of high-risk referrals were "
        f"accepted against {fmt_pct(gap.p2)} of others."
    )
    return FigureSpec(
        "h5_acceptance_by_risk",
        fig,
        "Acceptance of referrals by risk profile and location of the home",
        alt,
        table.drop(columns="row"),
        child_counts=counts,
        derived_from=derived,
    )


def decline_reason_figure(df: pd.DataFrame) -> FigureSpec:
    """Share of declines by reason, high-risk profiles against others."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    from analysis.charts import DUO

    table = decline_reason_table(df)
    shown = as_published(table, ("declines",), {"share": "declines"})
    shown["share"] = pd.to_numeric(shown["share"], errors="coerce")
    wide = shown.pivot(index="reason", columns="profile", values="share").fillna(0.0)
    wide = wide.sort_values(wide.columns[0])
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(wide) + 1.5))
    height = 0.4
    for i, profile in enumerate(wide.columns):
        ax.barh(
            [y + (i - 0.5) * height for y in range(len(wide))],
            wide[profile],
            height=height,
            color=DUO[i % len(DUO)],
            label=profile,
        )
    ax.set_yticks(range(len(wide)), wide.index)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Share of the profile's declined referrals")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    fig.tight_layout()
    shares = risk_decline_shares(df)
    alt = (
        "Bar chart of the reasons providers gave for declining referrals. "
        f'"{RISK_DECLINE}" was cited in {fmt_pct(shares.p1)} of declines of high-risk profiles '
        f"and {fmt_pct(shares.p2)} of declines of others."
    )
    return FigureSpec(
        "h5_decline_reasons",
        fig,
        "Reasons given for declining referrals, by risk profile",
        alt,
        table,
        child_counts=("declines",),
        derived_from={"share": "declines"},
    )


def coverage(ds: Dataset, year: int, rules: dict[str, Any]) -> pd.DataFrame:
    """What the risk test can see: referrals, answered referrals, with needs, home located."""
    if not (ds.has("referrals") and ds.has("needs")):
        return pd.DataFrame([coverage_row("referrals with needs", 0)])
    refs, _ = referrals_in_year(ds.table("referrals"), year)
    df, _ = referral_frame(ds, year, rules)
    located = int(df["URN"].isin(home_locations(ds.table("homes"))["URN"]).sum())
    return pd.DataFrame(
        [
            coverage_row("referrals in the report year", len(refs)),
            coverage_row("answered (counted) referrals", len(df), len(refs)),
            coverage_row(
                "answered, with the child's needs record", int(df["has_needs"].sum()), len(df)
            ),
            coverage_row("answered, to a home in the homes table", located, len(df)),
            coverage_row("answered, high-risk profile", int(df["high_risk"].sum()), len(df)),
        ]
    )


# --- its chapter: what the chapter template draws and shows (registry: Hypothesis.figures) ---


def figures(
    ds: Dataset,
    year: int,
    rules: dict[str, Any],
    result: HypothesisResult,
    *,
    scopes: list[tuple[str, list[str]]] | None = None,
    **_: Any,
) -> list[FigureSpec]:
    """The chapter's figures, in the order it shows them: acceptance by risk profile and where
    the home is, and the reasons given for declining (when any referral was declined)."""
    specs = []
    df = referral_frame(ds, year, rules)[0] if ds.has("referrals") and ds.has("needs") else None
    if df is not None and len(df):
        specs.append(acceptance_figure(df, scopes))
    if df is not None and (df["response"] == "Declined").any():
        specs.append(decline_reason_figure(df))
    return specs


def tables(
    ds: Dataset, year: int, rules: dict[str, Any], result: HypothesisResult, **_: Any
) -> list[tuple[str, pd.DataFrame]]:
    """The chapter's tables (shown, not published): what the risk test can see."""
    return coverage_table(
        "Coverage: the referrals answered, with the child's needs record and a located home.",
        coverage(ds, year, rules),
    )
