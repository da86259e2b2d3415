"""Hypothesis 3: the practice of placement teams and social workers.

Evidence:

1. variation between boroughs in placing children's-home residents outside London that their
   recorded needs and risks do not explain: a likelihood-ratio test of placing-borough fixed
   effects added to a logistic model of the needs, and the intraclass correlation (one-way
   ANOVA, method of moments) of the needs-model residuals within boroughs, with a cluster
   bootstrap CI;
2. referral profile quality and the provider's answer: logistic regression of acceptance on
   whether the profile is strengths-based and how complete it is, adjusted for the child's risk
   profile, SEs clustered by child; the contrast is a strengths-based, fully complete profile vs
   a deficit-based, empty one.

Caveats: the "practice" in (1) is whatever differs between boroughs after the recorded needs -
it also holds unrecorded needs and local supply; (2) is an association: better-written profiles
may go with children whose needs are easier to meet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis import stats
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.hypotheses.evidence import two_part_verdict
from analysis.hypotheses.figures import FigureSpec, as_published, k2_outside_links
from analysis.london_memo import london_level
from analysis.snapshot import for_year, placements_with_needs
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 3


@london_level
def borough_variation_data(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Placements with needs, restricted to boroughs with at least
    ``rules['min_children_per_borough']`` children in children's homes."""
    df = placements_with_needs(ds, year, rules["needs_adjusted"])
    sizes = df.groupby("LA")["CHILD"].transform("size")
    return df[sizes >= int(rules.get("min_children_per_borough", 1))].reset_index(drop=True)


def borough_residuals(df: pd.DataFrame, needs: list[str]) -> pd.DataFrame:
    """Per borough: children, placed outside London (observed), expected from needs alone
    (needs-only logistic model) and the observed minus expected share."""
    cols = [c for c in needs if c in df.columns]
    d = df.copy()
    d["expected"] = stats.predicted_probabilities(d, "outside", cols)
    g = d.groupby("LA")
    out = pd.DataFrame(
        {
            "children": g.size(),
            "placed_outside": g["outside"].sum(),
            "expected_outside": g["expected"].sum(),
        }
    ).reset_index()
    out["observed_share"] = out["placed_outside"] / out["children"]
    out["expected_share"] = out["expected_outside"] / out["children"]
    out["excess_share"] = out["observed_share"] - out["expected_share"]
    return out.sort_values("excess_share", ascending=False).reset_index(drop=True)


@london_level
def referral_data(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Referrals with a counted response: ``accepted`` (0/1), ``strengths_based`` (0/1),
    ``completeness`` (0-1), ``risk_count`` (the child's risks, 0 when no needs record)."""
    refs = ds.table("referrals").copy()
    refs = refs[refs["response"].isin(rules.get("responses_counted", []))]
    refs["accepted"] = (refs["response"] == "Accepted").astype(int)
    refs["strengths_based"] = refs["profile_strengths_based"].astype("boolean").astype("Int64")
    refs["completeness"] = pd.to_numeric(refs["profile_completeness"], errors="coerce")
    risks = list(rules.get("risk_profile", []))
    refs["risk_count"] = 0
    if ds.has("needs") and risks:
        needs = for_year(ds.table("needs"), year)
        keys = ["CHILD", "LA"] if "LA" in needs.columns and "LA" in refs.columns else ["CHILD"]
        cols = [c for c in risks if c in needs.columns]
        needs = needs.drop_duplicates(keys, keep="last")[keys + cols].copy()
        needs["risk_count"] = sum(
            needs[c].astype("boolean").fillna(False).astype(int) for c in cols
        )
        refs = refs.drop(columns="risk_count").merge(
            needs[keys + ["risk_count"]], on=keys, how="left"
        )
        refs["risk_count"] = refs["risk_count"].fillna(0)
    if "referral_date" in refs.columns:
        dates = pd.to_datetime(refs["referral_date"], errors="coerce", dayfirst=True)
        start, end = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
        in_year = dates.between(start, end)
        if in_year.any():
            refs = refs[in_year | dates.isna()]
    return refs.reset_index(drop=True)


def acceptance_by_profile_table(refs: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Acceptance rate (Wilson CI) by strengths-based profile and completeness band."""
    d = refs.copy()
    d["profile"] = d["strengths_based"].map({1: "Strengths-based", 0: "Not strengths-based"})
    d["completeness_band"] = pd.cut(
        d["completeness"], [-0.01, 0.5, 0.8, 1.0], labels=["under 50%", "50-80%", "over 80%"]
    ).astype(str)
    rows = []
    for (profile, band), g in d.groupby(["profile", "completeness_band"]):
        p, lo, hi = stats.wilson_ci(int(g["accepted"].sum()), len(g), alpha)
        rows.append(
            {
                "profile": profile,
                "completeness": band,
                "referrals": len(g),
                "accepted": int(g["accepted"].sum()),
                "acceptance_rate": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows)


def profile_effect(refs: pd.DataFrame, alpha: float) -> tuple[stats.Estimate, pd.DataFrame]:
    """Log-odds of acceptance for a strengths-based, fully complete profile vs neither, adjusted
    for the child's risk count; SEs clustered by child."""
    return stats.logit_contrast(
        refs,
        "accepted",
        ["strengths_based", "completeness", "risk_count"],
        {"strengths_based": 1.0, "completeness": 1.0},
        cluster="CHILD",
        alpha=alpha,
    )


def evaluate(
    ds: Dataset, year: int, rules: Mapping[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """The whole test of hypothesis 3 (no figures). See the module docstring and the YAML rule."""
    alpha = float(rules.get("alpha", 0.05))
    n_boot = int(rules.get("bootstrap", 200))
    needs = list(rules["needs_adjusted"])
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "Variation 'beyond needs' holds everything that differs between boroughs after the "
        "recorded needs: unrecorded needs and local supply as well as practice.",
        "Referral profiles and acceptance are associated, not shown to be cause and effect: "
        "better-written profiles may go with children whose needs are easier to meet.",
    ]
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)

    variation_supports: bool | None = None
    if not ds.has("needs"):
        insufficient.append("borough variation: the needs table is absent")
    else:
        df = borough_variation_data(ds, year, rules)
        cols = [c for c in needs if c in df.columns and df[c].std(ddof=0) > 0]
        if df["LA"].nunique() < 3 or df["outside"].nunique() < 2:
            insufficient.append("borough variation: fewer than 3 boroughs with enough children")
        else:
            stat, dof, p, k = stats.group_effects_lr_test(df, "outside", cols, "LA")
            variation_supports = bool(p < alpha)
            indicators.append(
                Indicator(
                    "Likelihood-ratio test: borough differences in placement outside London "
                    "beyond needs",
                    stat,
                    p_value=p,
                    n=len(df),
                    unit=f"chi-square, {dof} df ({k} boroughs)",
                    supports=variation_supports,
                )
            )
            df = df.assign(expected=stats.predicted_probabilities(df, "outside", cols))
            icc = stats.bootstrap_icc(
                df["outside"] - df["expected"], df["LA"], n_boot=n_boot, seed=seed, alpha=alpha
            )
            indicators.append(
                Indicator(
                    "Intraclass correlation of placement outside London within boroughs, "
                    "after needs",
                    icc.estimate,
                    icc.ci_low,
                    icc.ci_high,
                    p_value=icc.p_value,
                    n=icc.n,
                    unit="ICC (residual, probability scale)",
                    note="ANOVA estimator; cluster bootstrap CI",
                )
            )
            if la is not None:
                res = borough_residuals(df, cols).set_index("LA")
                if la in res.index:
                    r = res.loc[la]
                    indicators.append(
                        Indicator(
                            f"{la}: placed outside London minus expected from needs",
                            float(r["excess_share"]),
                            n=int(r["children"]),
                            unit="proportion points",
                            note=f"observed {r['observed_share']:.2f}, expected "
                            f"{r['expected_share']:.2f}",
                        )
                    )

    profile_supports: bool | None = None
    if not ds.has("referrals"):
        insufficient.append("referral profiles: the referrals table is absent")
    else:
        refs = referral_data(ds, year, rules)
        est, _ = profile_effect(refs, alpha)
        if math.isnan(est.estimate) or math.isnan(est.p_value):
            insufficient.append("referral profiles: no variation in responses or profiles")
        else:
            p_one = stats.one_sided_p(est.p_value, est.estimate)
            profile_supports = bool(est.estimate > 0 and p_one < alpha)
            indicators.append(
                Indicator(
                    "Odds ratio of acceptance: strengths-based, complete profile vs neither "
                    "(adjusted for risks)",
                    math.exp(est.estimate),
                    math.exp(est.ci_low),
                    math.exp(est.ci_high),
                    p_value=p_one,
                    n=est.n,
                    unit="odds ratio",
                    supports=profile_supports,
                    note="SEs clustered by child; one-sided p (OR > 1)",
                )
            )
            for flag, label in ((1, "strengths-based"), (0, "not strengths-based")):
                g = refs[refs["strengths_based"] == flag]
                p, lo, hi = stats.wilson_ci(int(g["accepted"].sum()), len(g), alpha)
                indicators.append(
                    Indicator(
                        f"Acceptance rate, {label} profiles", p, lo, hi, n=len(g), unit="proportion"
                    )
                )
            if la is not None:
                g = refs[refs["LA"] == la]
                k = int(g["strengths_based"].fillna(0).sum())
                p, lo, hi = stats.wilson_ci(k, len(g), alpha)
                indicators.append(
                    Indicator(
                        f"{la}: share of its referral profiles that are strengths-based",
                        p if len(g) else None,
                        lo if len(g) else None,
                        hi if len(g) else None,
                        n=len(g),
                        unit="proportion",
                        id="h3_strengths_share_borough",
                    )
                )
                p, lo, hi = stats.wilson_ci(
                    int(refs["strengths_based"].fillna(0).sum()), len(refs), alpha
                )
                indicators.append(
                    Indicator(
                        "London: share of referral profiles that are strengths-based",
                        p,
                        lo,
                        hi,
                        n=len(refs),
                        unit="proportion",
                        id="h3_strengths_share_london",
                    )
                )

    verdict = two_part_verdict(variation_supports, profile_supports)
    return HypothesisResult(
        hypothesis=HYPOTHESIS,
        verdict=verdict,
        decision_rule=str(rules.get("decision_rule", "")).strip(),
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=_summary(verdict, variation_supports, profile_supports),
    )


def _summary(verdict: str, variation: bool | None, profile: bool | None) -> str:
    parts = []
    if variation is not None:
        parts.append(
            "boroughs differ in placing children outside London beyond what needs explain"
            if variation
            else "differences between boroughs are explained by children's recorded needs"
        )
    if profile is not None:
        parts.append(
            "strengths-based, complete referral profiles are accepted more often"
            if profile
            else "acceptance is not clearly related to referral profile quality"
        )
    if not parts:
        return "The data needed to test this hypothesis is not available."
    return f"{verdict}: " + "; ".join(parts) + "."


# --- notebook figures ------------------------------------------------------------------------


def borough_variation_figure(residuals: pd.DataFrame, la: str | None = None, linked: Any = None):
    """Observed minus expected (from needs) share placed outside London, per borough.

    ``linked``: the protected borough indicator table; where every borough's children with a
    needs record are all its K2 children, the counts are the same numbers and are suppressed
    as that table suppresses them."""
    table = residuals.copy()
    lo, hi = [], []
    for _, r in table.iterrows():
        _, a, b = stats.wilson_ci(int(r["placed_outside"]), int(r["children"]))
        lo.append(a - r["expected_share"])
        hi.append(b - r["expected_share"])
    table["ci_low"], table["ci_high"] = lo, hi
    table["series"] = ["This borough" if x == la else "Other boroughs" for x in table["LA"]]
    counts = ("children", "placed_outside")
    derived = {c: "placed_outside" for c in ("observed_share", "excess_share", "ci_low", "ci_high")}
    # the rows are the boroughs with enough children for the model: a subset, whose column
    # sums the report does not quote (caveat A30: the model's n in h3.json is such a sum)
    links = k2_outside_links(table, "LA", linked)
    shown = as_published(table, counts, derived, **links)
    fig = interval_chart(
        shown,
        label="LA",
        estimate="excess_share",
        low="ci_low",
        high="ci_high",
        series="series" if la else None,
        xlabel="Placed outside London minus expected from needs (percentage points)",
        reference=0.0,
    )
    return FigureSpec(
        "h3_borough_variation",
        fig,
        "Boroughs' placements outside London beyond what needs explain (95% CI)",
        "Chart of each London borough's share of children's-home placements outside London "
        "minus the share expected from its children's recorded needs; boroughs far from zero "
        "place differently from what needs alone predict.",
        table.drop(columns=["series"]),
        counts,
        derived,
        **links,
    )


def acceptance_by_profile_figure(table: pd.DataFrame):
    """Acceptance rate by profile type and completeness band (95% CI)."""
    fig = interval_chart(
        table,
        label="completeness",
        estimate="acceptance_rate",
        low="ci_low",
        high="ci_high",
        series="profile",
        xlabel="Referrals accepted",
    )
    return FigureSpec(
        "h3_acceptance_by_profile",
        fig,
        "Referrals accepted by profile quality (95% CI)",
        "Chart of the share of referrals providers accepted, for strengths-based and other "
        "profiles, by how complete the profile was.",
        table,
        child_counts=("referrals", "accepted"),  # each referral is one child's
        derived_from={c: "accepted" for c in ("acceptance_rate", "ci_low", "ci_high")},
    )
