"""Hypothesis 3: the practice of placement teams and social workers.

Two parts, judged by the common evidence rule (:func:`analysis.hypotheses.evidence.evidence_verdict`,
parts declared in ``config/decision_rules/h3.yaml``; every part is needed):

1. **borough practice** - the standard deviation of placing boroughs' effects on the log-odds
   that a child in a children's home on 31 March lives outside London, NET of what is not
   practice: the child's recorded needs and risks, age, sex and legal status, and the
   borough's structure (Inner or Outer London, the distance of the borough from central London
   computed from its children's home postcode sectors, and the places in its own council-run
   homes). Estimated in a random-intercept logistic model (maximum likelihood, Gauss-Hermite
   quadrature) with a profile-likelihood 95% interval. A structural borough effect that these
   covariates carry is adjusted out; one they do not carry would still count (caveat).
2. **profile quality** - the log odds ratio of a provider accepting a referral whose profile is
   strengths-based and fully complete versus a deficit-based, empty one, adjusted for the
   child's risks, standard errors clustered by child; decided referrals and "not accepted" as
   defined once in :mod:`analysis.referrals` (No response counts as not accepted).

Caveats: the borough SD holds whatever differs between boroughs after the covariates (local
supply not in the data as well as practice); (2) is an association: better-written profiles
may go with children whose needs are easier to meet.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import stats
from analysis.boroughs import london_boroughs
from analysis.charts import interval_chart, lazy_figure
from analysis.dataset import Dataset
from analysis.hypotheses.covariates import child_covariates
from analysis.hypotheses.evidence import (
    Estimate,
    evidence_summary,
    evidence_verdict,
    mark_supports,
    summary_settles,
)
from analysis.hypotheses.figures import FigureSpec, as_published, k2_outside_links
from analysis.london_memo import london_level
from analysis.referrals import decided_referrals
from analysis.snapshot import for_year, placements_with_needs
from analysis.stats import RandomInterceptFit
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

#: The random-intercept logit (:func:`analysis.stats.random_intercept_logit`), fitted once per
#: London-level data and reused by the borough editions (:func:`analysis.london_memo.london_level`).
random_intercept_logit = london_level(stats.random_intercept_logit)

HYPOTHESIS = 3

#: ``attrs`` key of a structural covariate frame: ``{covariate: why it is left out}``.
LEFT_OUT = "left_out"


class CovariateLeftOut(UserWarning):
    """A structural covariate of the practice model could not be computed and is left out (the
    result's caveats say which and why)."""


#: Charing Cross, the conventional centre of London (OS grid easting, northing in metres).
CENTRE_EN: tuple[float, float] = (530047.0, 180422.0)
METRES_PER_MILE = 1609.344


# --- structural covariates of the placing borough ------------------------------------------


def borough_centre_miles(placements: pd.DataFrame) -> pd.Series:
    """Per placing borough (``LA``): straight-line miles from the centroid of its children's
    home postcode sectors (``HOME_POST``) to Charing Cross (:data:`CENTRE_EN`). Boroughs with
    no known sector are absent. Without postcode data (the postcode package missing or its
    files unreadable) the result is empty, says why in ``attrs[LEFT_OUT]`` and a
    :class:`CovariateLeftOut` warning is given; any other error is raised. Caveat: the
    children's home addresses stand for the borough's geography; a sector centroid is about a
    mile from any one address."""
    from analysis.geography import postcode_sectors, sector_centroids

    if "HOME_POST" not in placements.columns or placements.empty:
        return pd.Series(dtype=float)
    sectors = postcode_sectors(placements["HOME_POST"].astype("string"))
    try:
        cents = sector_centroids(sectors[sectors.notna() & (sectors != "None")].unique())
    except (ImportError, OSError) as exc:  # no postcode data: left out, said in the caveats
        why = f"no postcode data: {type(exc).__name__}: {exc}"
        warnings.warn(
            f"centre_miles left out of H3's practice model ({why})", CovariateLeftOut, stacklevel=2
        )
        empty = pd.Series(dtype=float)
        empty.attrs[LEFT_OUT] = why
        return empty
    east = sectors.map(cents["easting"]).astype(float)
    north = sectors.map(cents["northing"]).astype(float)
    frame = pd.DataFrame({"LA": placements["LA"].to_numpy(), "e": east, "n": north}).dropna()
    mean = frame.groupby("LA")[["e", "n"]].mean()
    miles = np.hypot(mean["e"] - CENTRE_EN[0], mean["n"] - CENTRE_EN[1]) / METRES_PER_MILE
    return miles.rename("centre_miles")


def borough_in_house_places(homes: pd.DataFrame) -> pd.Series:
    """Per London borough (reference name): registered places in council-run children's homes
    (Ofsted sector "Local Authority") in the borough, 0 when none. Caveat: a council's home in
    another borough counts for the borough it stands in (the file names the home's LA, not
    always its owner)."""
    ref = london_boroughs().set_index("ons_code")["la_name"]
    sector = homes.get("sector", pd.Series("", index=homes.index)).astype(str).str.casefold()
    council = homes[sector.str.startswith("local authority") & homes["in_london"].astype(bool)]
    places = pd.to_numeric(council["places"], errors="coerce").fillna(0)
    by_la = places.groupby(council["la_ons_code"].map(ref)).sum()
    return by_la.reindex(ref.to_numpy(), fill_value=0.0).rename("in_house_places")


def structural_covariates(ds: Dataset, placements: pd.DataFrame) -> pd.DataFrame:
    """Per placing borough: ``inner`` (1 Inner London), ``centre_miles`` (NaN when unknown) and
    ``in_house_places`` - the borough structure H3's practice estimate is net of. A covariate
    that could not be computed, and why, is in ``attrs[LEFT_OUT]``."""
    ref = london_boroughs().set_index("la_name")
    out = pd.DataFrame(index=pd.Index(ref.index, name="LA"))
    out["inner"] = (ref["inner_outer"].astype(str) == "Inner").astype(float)
    miles = borough_centre_miles(placements)
    out["centre_miles"] = miles.reindex(out.index)
    homes = ds.table("homes") if ds.has("homes") else pd.DataFrame()
    if {"places", "la_ons_code", "in_london"} <= set(homes.columns):
        out["in_house_places"] = borough_in_house_places(homes).reindex(out.index).fillna(0)
    else:
        out["in_house_places"] = np.nan
    out = out.reset_index()
    if LEFT_OUT in miles.attrs:
        out.attrs[LEFT_OUT] = {"centre_miles": miles.attrs[LEFT_OUT]}
    return out


def standardise(values: pd.Series) -> pd.Series:
    """``(x - mean) / SD`` (population SD); a constant column becomes 0."""
    x = values.astype(float)
    sd = x.std(ddof=0)
    return (x - x.mean()) / sd if sd and math.isfinite(sd) else x * 0.0


@london_level
def borough_variation_data(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Placements with needs, child covariates (:func:`analysis.hypotheses.covariates.child_covariates`)
    and the placing borough's structural covariates (:func:`structural_covariates`,
    ``in_house_log`` = log(1 + places), continuous ones standardised as ``z_*``), restricted to
    boroughs with at least ``rules['min_children_per_borough']`` children in children's homes.
    A structural covariate that could not be computed is in ``attrs[LEFT_OUT]`` under its
    model name (``z_centre_miles``), with the reason."""
    df = placements_with_needs(ds, year, rules["needs_adjusted"])
    df = child_covariates(ds, year, df)
    struct = structural_covariates(ds, df)
    df = df.merge(struct, on="LA", how="left")
    sizes = df.groupby("LA")["CHILD"].transform("size")
    df = df[sizes >= int(rules.get("min_children_per_borough", 1))].reset_index(drop=True)
    df["in_house_log"] = np.log1p(df["in_house_places"].astype(float))
    for col in ("centre_miles", "in_house_log", "age"):
        if col in df.columns and df[col].notna().any():
            df[f"z_{col}"] = standardise(df[col].fillna(df[col].mean()))
    left_out = struct.attrs.get(LEFT_OUT)
    if left_out:
        df.attrs[LEFT_OUT] = {f"z_{col}": why for col, why in left_out.items()}
    return df


def model_covariates(df: pd.DataFrame, rules: Mapping[str, Any]) -> list[str]:
    """The fixed effects of the practice model present in ``df`` with some variation: needs,
    child covariates, then the structural ones."""
    wanted = list(rules["needs_adjusted"]) + list(rules.get("child_covariates", []))
    wanted += list(rules.get("structural_covariates", []))
    return [c for c in wanted if c in df.columns and df[c].notna().all() and df[c].std(ddof=0) > 0]


def borough_residuals(df: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Per borough: children, placed outside London (observed), expected from ``covariates``
    alone (a logistic model without borough effects: needs, child and structural covariates)
    and the observed minus expected share."""
    cols = [c for c in covariates if c in df.columns]
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
    """Decided referrals (:func:`analysis.referrals.decided_referrals`: Accepted, Declined or No
    response; No response is not an acceptance) with ``accepted`` (0/1), ``strengths_based``
    (0/1), ``completeness`` (0-1) and ``risk_count`` (the child's risks in
    ``rules['risk_profile']``, 0 when no needs record), dated in the year when dates allow."""
    refs = decided_referrals(ds.table("referrals"))
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


def practice_estimate(
    df: pd.DataFrame, covariates: list[str], alpha: float = 0.05
) -> tuple[Estimate, RandomInterceptFit]:
    """The borough-practice part: the borough SD on the log-odds of a placement outside London
    net of ``covariates`` (:func:`random_intercept_logit`), as an :class:`Estimate` counted in
    children; (None...) when fewer than 3 boroughs or no variation in the outcome."""
    if df["LA"].nunique() < 3 or df["outside"].nunique() < 2:
        empty = RandomInterceptFit(math.nan, math.nan, math.nan, pd.Series(dtype=float), 0, 0, 0)
        return Estimate(None, None, None, len(df), "children"), empty
    fit = random_intercept_logit(df, "outside", covariates, "LA", alpha)
    if not math.isfinite(fit.sd):
        return Estimate(None, None, None, fit.n, "children"), fit
    high = fit.ci_high if math.isfinite(fit.ci_high) else None
    return Estimate(fit.sd, fit.ci_low, high, fit.n, "children"), fit


def evaluate(
    ds: Dataset, year: int, rules: Mapping[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """The whole test of hypothesis 3 (no figures): both parts by the common evidence rule.
    ``seed`` is unused (the estimates are deterministic); kept for the common signature."""
    alpha = float(rules.get("alpha", 0.05))
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "The borough SD is what differs between boroughs after the child's needs, age, sex and "
        "legal status and the borough's structure (Inner or Outer London, distance from the "
        "centre, council-run places): local supply or need not in the data counts as practice.",
        "Referral profiles and acceptance are associated, not shown to be cause and effect: "
        "better-written profiles may go with children whose needs are easier to meet.",
    ]
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    estimates: dict[str, Estimate] = {
        "borough_practice": Estimate(None, None, None),
        "profile_quality": Estimate(None, None, None),
    }

    if not ds.has("needs"):
        insufficient.append("borough practice: the needs table is absent")
    else:
        df = borough_variation_data(ds, year, rules)
        covs = model_covariates(df, rules)
        missing = [
            c
            for c in rules.get("structural_covariates", [])
            if c not in covs and not (c in df.columns and df[c].std(ddof=0) == 0)
        ]
        if missing:
            why = df.attrs.get(LEFT_OUT, {})
            caveats.append(
                "Structural covariates not available and left out of the practice model: "
                + ", ".join(f"{c} ({why[c]})" if c in why else c for c in missing)
                + "."
            )
        est, fit = practice_estimate(df, covs, alpha)
        estimates["borough_practice"] = est
        if est.estimate is None:
            insufficient.append("borough practice: fewer than 3 boroughs with enough children")
        else:
            mor = math.exp(0.954 * est.estimate)
            indicators.append(
                Indicator(
                    "Borough SD of the log-odds of a placement outside London, net of needs, "
                    "child and borough structure",
                    est.estimate,
                    est.ci_low,
                    est.ci_high,
                    n=est.n,
                    unit="SD (log-odds)",
                    note=f"random-intercept logit, {fit.groups} boroughs; profile-likelihood "
                    f"95% interval; median odds ratio between boroughs {mor:.2f}",
                    id="h3_borough_sd",
                )
            )
            if la is not None:
                res = borough_residuals(df, covs).set_index("LA")
                if la in res.index:
                    r = res.loc[la]
                    indicators.append(
                        Indicator(
                            f"{la}: placed outside London minus expected from needs and "
                            "borough structure",
                            float(r["excess_share"]),
                            n=int(r["children"]),
                            unit="proportion points",
                            note=f"observed {r['observed_share']:.2f}, expected "
                            f"{r['expected_share']:.2f}",
                        )
                    )

    if not ds.has("referrals"):
        insufficient.append("referral profiles: the referrals table is absent")
    else:
        refs = referral_data(ds, year, rules)
        est, _ = profile_effect(refs, alpha)
        if math.isnan(est.estimate) or math.isnan(est.ci_low):
            insufficient.append("referral profiles: no variation in responses or profiles")
        else:
            estimates["profile_quality"] = Estimate(
                est.estimate, est.ci_low, est.ci_high, est.n, "decided referrals"
            )
            indicators.append(
                Indicator(
                    "Odds ratio of acceptance: strengths-based, complete profile vs neither "
                    "(adjusted for risks)",
                    math.exp(est.estimate),
                    math.exp(est.ci_low),
                    math.exp(est.ci_high),
                    p_value=est.p_value,
                    n=est.n,
                    unit="odds ratio",
                    note="SEs clustered by child; two-sided; No response counts as not accepted",
                    id="h3_profile_or",
                )
            )
            for flag, label, key in (
                (1, "strengths-based", "h3_acceptance_strengths_based"),
                (0, "not strengths-based", "h3_acceptance_not_strengths_based"),
            ):
                g = refs[refs["strengths_based"] == flag]
                p, lo, hi = stats.wilson_ci(int(g["accepted"].sum()), len(g), alpha)
                indicators.append(
                    Indicator(
                        f"Acceptance rate, {label} profiles",
                        p,
                        lo,
                        hi,
                        n=len(g),
                        unit="proportion",
                        id=key,
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

    verdict, record = evidence_verdict(rules, estimates)
    mark_supports(
        indicators,
        record,
        {"h3_borough_sd": "borough_practice", "h3_profile_or": "profile_quality"},
    )
    return HypothesisResult(
        hypothesis=HYPOTHESIS,
        verdict=verdict,
        decision_rule=str(rules.get("decision_rule", "")).strip(),
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=evidence_summary(verdict, record),
        evidence=summary_settles(record),
    )


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
    fig = lazy_figure(  # built only when not cached (analysis.charts.LazyFigure)
        interval_chart,
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


# --- its chapter: what the chapter template draws (registry: Hypothesis.figures) ---


def figures(
    ds: Dataset,
    year: int,
    rules: Mapping[str, Any],
    result: HypothesisResult,
    *,
    la: str | None = None,
    **_: Any,
) -> list[FigureSpec]:
    """The chapter's figures, in the order it shows them: each borough's share placed outside
    London against the share predicted (when the needs table is there; suppressed as the
    protected borough indicator table suppresses it) and acceptance by profile (when the
    referrals table is there)."""
    from analysis.groups.indicators import protected_indicators

    specs = []
    if ds.has("needs"):
        vd = borough_variation_data(ds, year, rules)
        specs.append(
            borough_variation_figure(
                borough_residuals(vd, model_covariates(vd, rules)),
                la,
                linked=protected_indicators(ds, year),  # one suppressed version of each number
            )
        )
    if ds.has("referrals"):
        refs = referral_data(ds, year, rules)
        specs.append(
            acceptance_by_profile_figure(acceptance_by_profile_table(refs, rules["alpha"]))
        )
    return specs
