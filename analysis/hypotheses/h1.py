"""Hypothesis 1: available provision does not match the needs of the children requiring placements.

Three pieces of evidence, all on London boroughs' children in children's homes (K2) on the
snapshot date, joined to their needs and risks (``needs`` table):

1. standardised differences of each need between children placed outside and inside London;
2. logistic regression of being placed outside London on the number of hard-to-place needs,
   with placing-borough fixed effects (boroughs with 0% or 100% outside are perfectly separated
   and dropped from the adjusted model, and listed);
3. feasibility: a maximum matching of the children placed outside London to the free places of
   London homes registered for the categories their needs require. The share matched is how
   many out-of-London placements London's free, suitably registered capacity could have met.

Caveats: associations on observational data; the matching ignores location within London, the
mix of current residents and solo-placement needs, so it is an upper bound on what London
capacity could have met.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from analysis import stats
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.hypotheses.evidence import share_indicator, two_part_verdict
from analysis.hypotheses.figures import FigureSpec, as_published, k2_outside_links
from analysis.london_memo import london_level
from analysis.snapshot import k2_placements, needs_coverage, placements_with_needs
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 1

NEED_LABELS: dict[str, str] = {
    "risk_criminal_exploitation": "Criminal exploitation risk",
    "risk_sexual_exploitation": "Sexual exploitation risk",
    "risk_missing": "Missing risk",
    "risk_self_harm": "Self-harm risk",
    "risk_to_others": "Risk to others",
    "risk_drug_alcohol": "Drug or alcohol risk",
    "mental_health_need": "Mental health need",
    "mental_health_inpatient_stepdown": "Mental-health in-patient step-down",
    "deprivation_of_liberty": "Deprivation of liberty",
    "solo_placement_recommended": "Solo placement recommended",
    "ehcp": "EHC plan",
    "late_entry_to_care": "Late entry to care",
    "uasc": "Unaccompanied asylum-seeking child",
}


# --- data preparation ------------------------------------------------------------------------


def add_hard_to_place_count(df: pd.DataFrame, hard_needs: Iterable[str]) -> pd.DataFrame:
    """Add ``hard_to_place_count``: how many of the hard-to-place needs a child has."""
    cols = [c for c in hard_needs if c in df.columns]
    out = df.copy()
    out["hard_to_place_count"] = out[cols].sum(axis=1) if cols else 0
    return out


# --- statistics ------------------------------------------------------------------------------


@london_level
def needs_balance_table(df: pd.DataFrame, needs: Iterable[str], alpha: float) -> pd.DataFrame:
    """Per need: share among children outside and inside London, and the standardised
    difference (outside minus inside) with its CI and Welch p-value."""
    rows = []
    outside, inside = df[df["outside"] == 1], df[df["outside"] == 0]
    for need in needs:
        if need not in df.columns:
            continue
        est = stats.standardised_mean_difference(outside[need], inside[need], alpha)
        rows.append(
            {
                "need": NEED_LABELS.get(need, need),
                "column": need,
                "children_outside": len(outside),
                "with_need_outside": int(outside[need].sum()),
                "share_outside": outside[need].mean() if len(outside) else math.nan,
                "children_inside": len(inside),
                "with_need_inside": int(inside[need].sum()),
                "share_inside": inside[need].mean() if len(inside) else math.nan,
                "smd": est.estimate,
                "smd_ci_low": est.ci_low,
                "smd_ci_high": est.ci_high,
                "p_value": est.p_value,
            }
        )
    return pd.DataFrame(rows)


def adjusted_needs_effect(df: pd.DataFrame, alpha: float) -> tuple[stats.LogitFit, pd.Series]:
    """Borough fixed-effects logistic regression of ``outside`` on ``hard_to_place_count``.
    Returns the fit and its row for the count (odds ratio per additional hard-to-place need)."""
    fit = stats.logit_fixed_effects(df, "outside", ["hard_to_place_count"], "LA", alpha=alpha)
    if "hard_to_place_count" not in fit.coefficients.index:
        return fit, pd.Series(dtype=float)
    return fit, fit.coefficients.loc["hard_to_place_count"]


def needs_model_table(df: pd.DataFrame, needs: Iterable[str], alpha: float) -> pd.DataFrame:
    """Adjusted odds ratios of being placed outside London for each need (all needs in one
    borough fixed-effects model), for the notebook's table."""
    cols = [c for c in needs if c in df.columns and df[c].std(ddof=0) > 0]
    fit = stats.logit_fixed_effects(df, "outside", cols, "LA", alpha=alpha)
    table = fit.coefficients.loc[[c for c in cols if c in fit.coefficients.index]]
    out = table[["odds_ratio", "or_ci_low", "or_ci_high", "p_value"]].reset_index(names="column")
    out.insert(0, "need", out["column"].map(lambda c: NEED_LABELS.get(c, c)))
    return out


@london_level
def london_free_places(ds: Dataset, rules: Mapping[str, Any]) -> pd.DataFrame:
    """London homes with free places: ``urn, free_places, categories`` (frozenset).

    Free places = ``home_staffing.places_available`` (minus ``places_unavailable_staffing`` when
    ``rules['subtract_unavailable_staffing']``); homes restricted to ``rules['active_statuses']``.
    """
    homes = ds.table("homes")
    homes = homes[homes["in_london"].astype(bool)]
    statuses = rules.get("active_statuses") or []
    if statuses and "registration_status" in homes.columns:
        homes = homes[homes["registration_status"].isin(statuses)]
    staffing = with_urn(ds.table("home_staffing"))
    free = pd.to_numeric(staffing["places_available"], errors="coerce").fillna(0)
    if rules.get("subtract_unavailable_staffing", False):
        free = free - pd.to_numeric(
            staffing["places_unavailable_staffing"], errors="coerce"
        ).fillna(0)
    staffing["free_places"] = free.clip(lower=0).astype(int)
    regs = with_urn(ds.table("home_registrations"))
    cats = regs.groupby("URN")["category"].agg(lambda s: frozenset(s.astype(str)))
    out = staffing[staffing["URN"].isin(homes["urn"].astype(str))][["URN", "free_places"]]
    out = out.groupby("URN", as_index=False)["free_places"].sum()
    out["categories"] = (
        out["URN"].map(cats).map(lambda c: c if isinstance(c, frozenset) else frozenset())
    )
    return out.rename(columns={"URN": "urn"})[lambda d: d["free_places"] > 0].reset_index(drop=True)


def with_urn(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with its URN column (any case) as string column ``URN``."""
    col = next(c for c in df.columns if c.lower() == "urn")
    out = df.rename(columns={col: "URN"}) if col != "URN" else df.copy()
    out["URN"] = out["URN"].astype(str).str.strip()
    return out


def child_requirements(row: Mapping[str, Any], compatibility: Mapping[str, Any]) -> frozenset:
    """The requirements a child's needs put on a home: a frozenset of alternatives (each a
    frozenset of registration categories, any one of which meets it)."""
    reqs = set()
    base = compatibility.get("all_children_require") or []
    if base:
        reqs.add(frozenset(base))
    for need, categories in (compatibility.get("needs") or {}).items():
        if bool(row.get(need, 0)):
            reqs.add(frozenset(categories))
    return frozenset(reqs)


def home_meets(categories: frozenset, requirements: frozenset) -> bool:
    """Whether a home registered for ``categories`` meets every requirement."""
    return all(categories & alternative for alternative in requirements)


def feasibility_matching(
    children: pd.DataFrame, homes: pd.DataFrame, compatibility: Mapping[str, Any]
) -> tuple[int, pd.Series]:
    """Maximum number of ``children`` that ``homes``' free places could take, respecting
    registration categories (a bipartite b-matching solved as a max flow over need profiles
    and home category sets, which is exact because compatibility depends only on them).

    Returns ``(matched, compatible_any)`` where ``compatible_any`` flags, per child, whether at
    least one London home with a free place is registered for their needs.
    """
    reqs = children.apply(lambda r: child_requirements(r, compatibility), axis=1)
    if len(children) == 0:
        return 0, pd.Series(dtype=bool)
    child_types = reqs.value_counts()
    home_types = homes.groupby("categories")["free_places"].sum() if len(homes) else pd.Series()
    g = nx.DiGraph()
    for i, (req, count) in enumerate(child_types.items()):
        g.add_edge("s", ("c", i), capacity=int(count))
        for j, cats in enumerate(home_types.index):
            if home_meets(cats, req):
                g.add_edge(("c", i), ("h", j), capacity=int(count))
    for j, (_, places) in enumerate(home_types.items()):
        g.add_edge(("h", j), "t", capacity=int(places))
    matched = 0
    if "t" in g and "s" in g:
        matched = int(nx.maximum_flow_value(g, "s", "t"))
    any_ok = {req: any(home_meets(c, req) for c in home_types.index) for req in child_types.index}
    return matched, reqs.map(any_ok).astype(bool)


def evaluate(
    ds: Dataset, year: int, rules: Mapping[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """The whole test of hypothesis 1 (no figures). See the module docstring and the YAML rule."""
    alpha = float(rules.get("alpha", 0.05))
    hard = list(rules.get("hard_to_place_needs", []))
    compared = list(rules.get("needs_compared", hard))
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "Associations in observational data: children placed outside London may differ in ways "
        "the needs fields do not record.",
        "The feasibility matching ignores where in London a home is, who already lives there "
        "and solo-placement needs, so it overstates what London capacity could have met.",
    ]
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    placements = k2_placements(ds, year)
    indicators.append(
        share_indicator(
            "Share of London children in children's homes placed outside London",
            int(placements["outside_london"].sum()),
            len(placements),
            alpha,
            unit="proportion",
        )
    )

    needs_supports: bool | None = None
    feasibility_supports: bool | None = None
    df = pd.DataFrame()
    if not ds.has("needs"):
        insufficient.append("needs: the needs table is absent, so needs cannot be compared")
    else:
        covered, total = needs_coverage(ds, year)
        indicators.append(
            share_indicator("Needs-record coverage of placements", covered, total, alpha)
        )
        df = add_hard_to_place_count(placements_with_needs(ds, year, compared), hard)
        balance = needs_balance_table(df, compared, alpha)
        for _, row in balance.iterrows():
            indicators.append(
                Indicator(
                    f"Standardised difference (outside - inside London): {row['need']}",
                    row["smd"],
                    row["smd_ci_low"],
                    row["smd_ci_high"],
                    p_value=row["p_value"],
                    n=int(row["children_outside"] + row["children_inside"]),
                    unit="SMD",
                )
            )
        fit, coef = adjusted_needs_effect(df, alpha)
        if coef.empty:
            insufficient.append("needs model: no variation in outcome or hard-to-place needs")
        else:
            p_one = stats.one_sided_p(float(coef["p_value"]), float(coef["coef"]))
            needs_supports = bool(coef["coef"] > 0 and p_one < alpha)
            indicators.append(
                Indicator(
                    "Adjusted odds ratio of a placement outside London per hard-to-place need",
                    float(coef["odds_ratio"]),
                    float(coef["or_ci_low"]),
                    float(coef["or_ci_high"]),
                    p_value=p_one,
                    n=fit.n,
                    unit="odds ratio",
                    supports=needs_supports,
                    note="borough fixed effects; one-sided p (OR > 1)",
                )
            )
            if fit.dropped_groups:
                caveats.append(
                    f"{len(fit.dropped_groups)} borough(s) with all or none of their children "
                    "placed outside London are perfectly separated and were left out of the "
                    "adjusted model."
                )

    if not ds.has("home_registrations") or not ds.has("home_staffing"):
        missing = [t for t in ("home_registrations", "home_staffing") if not ds.has(t)]
        insufficient.append(
            "feasibility: " + " and ".join(missing) + " absent, so London capacity cannot be "
            "matched to children's needs"
        )
    elif df.empty:
        insufficient.append("feasibility: needs are required to match children to homes")
    else:
        compat = rules.get("compatibility", {})
        homes = london_free_places(ds, rules)
        outside = df[df["outside"] == 1]
        matched, any_ok = feasibility_matching(outside, homes, compat)
        share = matched / len(outside) if len(outside) else math.nan
        feasibility_supports = (
            None if not len(outside) else bool(share < float(rules["max_feasible_share"]))
        )
        indicators.append(
            share_indicator(
                "Share of out-of-London placements London's free, suitably registered places "
                "could have met",
                matched,
                len(outside),
                alpha,
                unit="proportion",
                supports=feasibility_supports,
                id="h1_feasible_share",
                note=f"maximum matching; {int(homes['free_places'].sum())} free places in "
                f"{len(homes)} London homes",
            )
        )
        indicators.append(
            share_indicator(
                "Share of out-of-London children with at least one suitably registered London "
                "home with a free place",
                int(any_ok.sum()),
                len(outside),
                alpha,
                unit="proportion",
            )
        )
        if la is not None:
            mine = outside[outside["LA"] == la]
            m_la, any_la = feasibility_matching(mine, homes, compat)
            indicators.append(
                share_indicator(
                    f"{la}: share of its out-of-London placements London's free places could "
                    "have met (if all were offered to it)",
                    m_la,
                    len(mine),
                    alpha,
                    unit="proportion",
                    id="h1_feasible_share_borough",
                )
            )

    if la is not None:
        mine = placements[placements["LA"] == la]
        indicators.append(
            share_indicator(
                f"{la}: share of its children in children's homes placed outside London",
                int(mine["outside_london"].sum()),
                len(mine),
                alpha,
                unit="proportion",
            )
        )
        if not df.empty:
            sub = df[df["LA"] == la]
            est = stats.standardised_mean_difference(
                sub.loc[sub["outside"] == 1, "hard_to_place_count"],
                sub.loc[sub["outside"] == 0, "hard_to_place_count"],
                alpha,
            )
            indicators.append(
                Indicator(
                    f"{la}: standardised difference in hard-to-place needs (outside - inside)",
                    est.estimate,
                    est.ci_low,
                    est.ci_high,
                    p_value=est.p_value,
                    n=est.n,
                    unit="SMD",
                )
            )

    verdict = two_part_verdict(needs_supports, feasibility_supports)
    return HypothesisResult(
        hypothesis=HYPOTHESIS,
        verdict=verdict,
        decision_rule=str(rules.get("decision_rule", "")).strip(),
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=_summary(verdict, needs_supports, feasibility_supports),
    )


def _summary(verdict: str, needs: bool | None, feas: bool | None) -> str:
    parts = []
    if needs is not None:
        parts.append(
            "children with hard-to-place needs are more likely to be placed outside London"
            if needs
            else "hard-to-place needs do not clearly raise the chance of a placement outside London"
        )
    if feas is not None:
        parts.append(
            "London's free, suitably registered places could have met only a minority of the "
            "out-of-London placements"
            if feas
            else "London's free, suitably registered places could have met most out-of-London "
            "placements"
        )
    if not parts:
        return "The data needed to test this hypothesis is not available."
    return f"{verdict}: " + "; ".join(parts) + "."


# --- notebook tables and figures -------------------------------------------------------------


def needs_balance_figure(balance: pd.DataFrame):
    """Standardised difference of each need (outside minus inside London) with 95% CIs."""
    counts = ("children_outside", "with_need_outside", "children_inside", "with_need_inside")
    derived = {"share_outside": "with_need_outside", "share_inside": "with_need_inside"}
    fig = interval_chart(
        balance,
        label="need",
        estimate="smd",
        low="smd_ci_low",
        high="smd_ci_high",
        xlabel="Standardised difference (placed outside minus inside London)",
        reference=0.0,
        percent=False,
    )
    top = balance.sort_values("smd", ascending=False).iloc[0] if len(balance) else None
    alt = (
        "Dot-and-interval chart of the standardised difference in each need between London "
        "children placed in children's homes outside London and those inside London. "
        + (
            f"The largest difference is for {top['need']} ({top['smd']:.2f})."
            if top is not None
            else ""
        )
    )
    return FigureSpec(
        "h1_needs_balance",
        fig,
        "Needs and risks of children placed outside vs inside London (standardised differences, "
        "95% CI)",
        alt,
        balance.drop(columns=["column"]),
        counts,
        derived,
    )


def outside_by_scope_table(
    ds: Dataset, year: int, scopes: list[tuple[str, list[str]]], alpha: float = 0.05
) -> pd.DataFrame:
    """Share of children in children's homes placed outside London for each comparison scope
    (London, the borough's group, the borough) with Wilson CIs."""
    placements = k2_placements(ds, year)
    rows = []
    for label, members in scopes:
        sub = placements[placements["LA"].isin(members)]
        k, n = int(sub["outside_london"].sum()), len(sub)
        p, lo, hi = stats.wilson_ci(k, n, alpha)
        rows.append(
            {
                "scope": label,
                "children": n,
                "placed_outside": k,
                "share": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows)


def outside_by_scope_figure(table: pd.DataFrame, linked: Any = None):
    """Share placed outside London by scope, with 95% CIs (suppressed groups not drawn).

    ``linked``: the protected borough indicator table
    (:func:`analysis.groups.indicators.protected_indicators`): the borough's row shows the
    same K2 children, so it is suppressed as that table suppresses it."""
    counts = ("children", "placed_outside")
    derived = {"share": "placed_outside", "ci_low": "placed_outside", "ci_high": "placed_outside"}
    # the rows are nested scopes (London, the group, the borough): a column sum means nothing
    # and is quoted nowhere; the borough's row is the indicator table's number
    links = k2_outside_links(table, "scope", linked)
    shown = as_published(table, counts, derived, **links)
    fig = interval_chart(
        shown,
        label="scope",
        estimate="share",
        low="ci_low",
        high="ci_high",
        xlabel="Children in children's homes placed outside London",
    )
    london = table.iloc[0]
    alt = (
        f"Chart of the share of London boroughs' children in children's homes who live outside "
        f"London: {100 * london['share']:.0f}% across London"
        + (f", compared with {', '.join(table['scope'].iloc[1:])}." if len(table) > 1 else ".")
    )
    return FigureSpec(
        "h1_outside_by_scope",
        fig,
        "Children in children's homes placed outside London (95% CI)",
        alt,
        table,
        counts,
        derived,
        **links,
    )
