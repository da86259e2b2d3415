"""Hypothesis 5: under-use is a result of attitude to risk (providers' or boroughs'), linked to
inspection.

The test uses the referrals sent to homes and the children's needs:

- acceptance of referrals for *high-risk profiles* (criminal or sexual exploitation, risk
  to others) against the rest: a difference in acceptance rates (Newcombe CI)
  and an adjusted odds ratio from a logistic regression (profile quality, urgency, the home
  being in London and being local held equal; standard errors clustered on the home);
- whether that gap is wider for homes in the child's own or a neighbouring borough (an
  interaction term; neighbours from ``data/reference/london_adjacency.csv``);
- the share of declines that cite "Risk or inspection concern".

Caveat: referrals are requests, not a random allocation: boroughs may send high-risk referrals
to different homes. The regression adjusts for what is recorded, not for what is not.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.boroughs import home_locations, is_local
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.flags import flag_true, high_risk_flags
from analysis.hypotheses.evidence import coverage_row, fmt_pct
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.snapshot import episodes_in_year, for_year, referrals_in_year
from analysis.stats import (
    Coefficient,
    difference_in_proportions,
    logit_coefficients,
    wilson_ci,
)
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 5
RISK_DECLINE = "Risk or inspection concern"


@london_level
def referral_frame(ds: Dataset, year: int, rules: dict[str, Any]) -> tuple[pd.DataFrame, bool]:
    """One row per counted referral: ``accepted, high_risk, local, high_risk_local`` and the
    adjusters (``strengths_based, completeness, urgent, home_in_london``), plus ``LA, URN,
    response, decline_reason``.

    Counted responses are those in ``rules["responses_counted"]`` (a withdrawn request was
    never answered). Children without a needs record count as not high-risk. With
    ``rules["exclude_placement_referrals"]``, a child's referrals to a home the child is placed
    in (an episode of the year's return with that URN) are left out: that answer records the
    placement, and where children are placed depends on their needs, so keeping it biases the
    comparison (see :func:`placement_referrals`). The number left out is in
    ``df.attrs["placement_referrals_dropped"]``.
    """
    refs, filtered = referrals_in_year(ds.table("referrals"), year)
    refs = refs[refs["response"].astype(str).isin(rules["responses_counted"])].copy()
    refs["URN"] = refs["URN"].astype(str)
    dropped = 0
    if rules.get("exclude_placement_referrals", False):
        hit = placement_referrals(ds, year, refs)
        dropped = int(hit.sum())
        refs = refs[~hit]
    needs = for_year(ds.table("needs"), year)
    risk = needs[["CHILD", "LA"]].copy()
    risk["high_risk"] = high_risk_flags(needs, tuple(rules["high_risk_fields"])).astype(int)
    risk = risk.drop_duplicates(["CHILD", "LA"])
    df = refs.merge(risk, on=["CHILD", "LA"], how="left")
    df["has_needs"] = df["high_risk"].notna()
    df["high_risk"] = df["high_risk"].fillna(0).astype(int)
    df = df.merge(home_locations(ds.table("homes")), on="URN", how="left")
    df["home_in_london"] = df["home_in_london"].fillna(0).astype(int)
    df["home_la"] = df["home_la"].fillna("").astype(str)
    df["local"] = [int(is_local(a, b)) for a, b in zip(df["LA"], df["home_la"], strict=True)]
    df["high_risk_local"] = df["high_risk"] * df["local"]
    df["accepted"] = (df["response"].astype(str) == "Accepted").astype(int)
    df["strengths_based"] = flag_true(df["profile_strengths_based"]).astype(int)
    df["completeness"] = pd.to_numeric(df["profile_completeness"], errors="coerce").fillna(0.0)
    df["urgent"] = df["needed_by"].astype(str).isin(["Today", "Less than 5 days"]).astype(int)
    cols = [
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
    ]
    out = df[cols].reset_index(drop=True)
    out.attrs["placement_referrals_dropped"] = dropped
    return out, filtered


def placement_referrals(ds: Dataset, year: int, refs: pd.DataFrame) -> pd.Series:
    """Boolean mask of ``refs``: the referral is to a home the child is placed in (same LA,
    CHILD and URN as an episode of the ``year`` return). All False without episodes or URNs.

    Why: the referral that led to a placement is accepted by construction; it says where the
    child went, not how a provider answered a risk. High-risk children are placed outside
    London more often (hypothesis 1), so these answers are not spread evenly over high-risk and
    other referrals to local and distant homes. In the simulation study, keeping them made the
    local-interaction test come out significant in about twice the nominal share of datasets
    with no effect planted (docs/mechanisms.md).
    """
    none = pd.Series(False, index=refs.index)
    if not ds.has("episodes"):
        return none
    eps = ds.table("episodes")  # episodes of the collection year, from the dates when given
    eps = episodes_in_year(eps, year) if {"DECOM", "DEC"} <= set(eps) else for_year(eps, year)
    keys = ["LA", "CHILD", "URN"]
    if eps.empty or not set(keys) <= set(eps.columns) or not set(keys) <= set(refs.columns):
        return none
    eps = eps[eps["URN"].notna() & (eps["URN"].astype(str).str.strip() != "")]
    placed = pd.MultiIndex.from_frame(eps[keys].astype(str).drop_duplicates())
    mask = pd.MultiIndex.from_frame(refs[keys].astype(str)).isin(placed)
    return pd.Series(mask, index=refs.index)


ADJUSTERS: list[str] = ["strengths_based", "completeness", "urgent", "home_in_london"]


def acceptance_gap(df: pd.DataFrame, alpha: float = 0.05):
    """Acceptance rate of high-risk referrals minus that of the others (Newcombe CI)."""
    hi, lo = df[df["high_risk"] == 1], df[df["high_risk"] == 0]
    return difference_in_proportions(
        int(hi["accepted"].sum()), len(hi), int(lo["accepted"].sum()), len(lo), alpha
    )


@london_level
def risk_models(df: pd.DataFrame, alpha: float = 0.05) -> dict[str, Coefficient]:
    """Log-odds of acceptance: ``high_risk`` (average effect, no interaction) and
    ``high_risk_local`` (extra effect for homes in the own/neighbouring borough)."""
    main = logit_coefficients(
        df,
        "accepted",
        ["high_risk", "local", *ADJUSTERS],
        ["high_risk"],
        cluster="URN",
        alpha=alpha,
    )
    inter = logit_coefficients(
        df,
        "accepted",
        ["high_risk", "local", "high_risk_local", *ADJUSTERS],
        ["high_risk_local"],
        cluster="URN",
        alpha=alpha,
    )
    return {**main, **inter}


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


def decide(
    gap_estimate: float, main: Coefficient | None, local: Coefficient | None, rules: dict
) -> str:
    """Apply the declared rule (``config/decision_rules/h5.yaml``)."""
    if main is None:
        return "Insufficient data"
    alpha = float(rules["alpha"])
    risk_sig = main.ci_high < 0 and main.p_value < alpha
    local_sig = local is not None and local.ci_high < 0 and local.p_value < alpha
    if risk_sig and gap_estimate <= -float(rules["min_gap"]):
        return "Supported"
    if risk_sig or local_sig:
        return "Partly supported"
    return "Not supported"


def _insufficient(rules: dict, fieldwork, caveats: list[str], reason: str) -> HypothesisResult:
    return HypothesisResult(
        HYPOTHESIS,
        "Insufficient data",
        rules["decision_rule"],
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=[reason],
        summary="The data needed to compare acceptance by risk profile is not available.",
    )


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
            supports=bool(gap.ci_high < 0),
            note="The borough's own referrals; unadjusted.",
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
    for table, what in (("referrals", "Referrals and responses"), ("needs", "Child needs")):
        if not ds.has(table):
            return _insufficient(
                rules, fieldwork, caveats, f"{what} (`{table}` table) absent: no test possible."
            )
    df, filtered = referral_frame(ds, year, rules)
    if not filtered:
        caveats.append("No referral is dated in the report year: all referrals were used.")
    if df.attrs.get("placement_referrals_dropped"):
        caveats.append(
            f"{df.attrs['placement_referrals_dropped']:,} referrals to the home the child is "
            "placed in were left out: they record the placement (accepted by definition), not "
            "a provider's answer to the child's risk."
        )
    alpha = float(rules["alpha"])
    gap = acceptance_gap(df, alpha)
    if min(gap.n1, gap.n2) < int(rules["min_group_n"]):
        return _insufficient(
            rules,
            fieldwork,
            caveats,
            f"Too few answered referrals: {gap.n1} high-risk, {gap.n2} other "
            f"(at least {rules['min_group_n']} each needed).",
        )
    models = risk_models(df, alpha)
    main, local = models.get("high_risk"), models.get("high_risk_local")
    verdict = decide(gap.difference, main, local, rules)
    declines = risk_decline_shares(df, alpha)
    or_main, or_local = odds_ratio(main), odds_ratio(local)
    n_decl = declines.n1 + declines.n2
    n_risk_decl = round(declines.p1 * declines.n1 + declines.p2 * declines.n2) if n_decl else 0
    _, share_low, share_high = wilson_ci(n_risk_decl, n_decl, alpha)
    indicators = [
        Indicator(
            "Acceptance rate gap, high-risk minus other referrals",
            gap.difference,
            gap.ci_low,
            gap.ci_high,
            p_value=gap.p_value,
            n=gap.n1 + gap.n2,
            unit="proportion",
            supports=bool(gap.ci_high < 0 and gap.difference <= -float(rules["min_gap"])),
            note=f"High-risk {fmt_pct(gap.p1)} of {gap.n1}; others {fmt_pct(gap.p2)} of "
            f"{gap.n2}. Newcombe 95% CI; referrals treated as independent.",
        ),
        Indicator(
            "Adjusted odds ratio of acceptance, high-risk profile",
            or_main[0],
            or_main[1],
            or_main[2],
            p_value=None if main is None else main.p_value,
            n=None if main is None else main.n,
            unit="odds ratio",
            supports=None if main is None else bool(main.ci_high < 0),
            note="Logistic regression with profile quality, urgency, home in London and "
            "local home held equal; SEs clustered on the home.",
        ),
        Indicator(
            "Extra odds ratio for homes in the child's own or a neighbouring borough",
            or_local[0],
            or_local[1],
            or_local[2],
            p_value=None if local is None else local.p_value,
            n=None if local is None else local.n,
            unit="odds ratio",
            supports=None if local is None else bool(local.ci_high < 0),
            note="Interaction high-risk x local home; below 1 = the risk gap is wider close "
            "to home.",
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
        ),
        Indicator(
            "Difference in share of declines citing risk, high-risk minus other",
            declines.difference,
            declines.ci_low,
            declines.ci_high,
            p_value=declines.p_value,
            n=n_decl,
            unit="proportion",
            supports=None if np.isnan(declines.ci_low) else bool(declines.ci_low > 0),
        ),
    ]
    if la is not None:
        indicators.extend(borough_indicators(df, la, rules))
    summary = (
        f"Referrals for children with high-risk profiles were accepted {fmt_pct(gap.p1)} of the "
        f"time against {fmt_pct(gap.p2)} for others (adjusted odds ratio {or_main[0]:.2f}, 95% CI "
        f"{or_main[1]:.2f} to {or_main[2]:.2f}). Verdict: {verdict.lower()}."
    )
    return HypothesisResult(
        HYPOTHESIS,
        verdict,
        rules["decision_rule"],
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        summary=summary,
    )


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
