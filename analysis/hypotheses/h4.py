"""Hypothesis 4: under-use is a result of the cost of London provision compared with alternatives.

The test: is a placement in London dearer than one outside London once the child's needs, the
provider type (in-house / private / voluntary / other public) and the procurement route are held equal?
The statistic is the London coefficient of an OLS regression of log total weekly cost, shown as
a percentage premium ``exp(b) - 1`` with a 95% CI from heteroskedasticity-robust (HC3) standard
errors. A like-for-like check repeats it on externally provided placements (PR4/PR5) only.

Caveat: costs are observed only for the placement a child has, not for the London option that
was not taken, so the premium describes the placements made; if dearer London options were
avoided the premium understates the London price. Associations, not causes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.charts import interval_chart
from analysis.contract.schemas import NEED_FLAGS
from analysis.dataset import Dataset
from analysis.flags import flag_true
from analysis.hypotheses.evidence import coverage_row, fmt_pct
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.providers import EXTERNAL_GROUPS, PROVIDER_GROUPS
from analysis.snapshot import for_year, k2_placements
from analysis.stats import Coefficient, ols_coefficient
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 4

#: Needs fields used as adjusters (those present in the data are used).
NEED_FIELDS: tuple[str, ...] = NEED_FLAGS


@london_level
def costed_placements(ds: Dataset, year: int) -> pd.DataFrame:
    """K2 placements of London boroughs at the snapshot joined to their weekly cost and needs.

    One row per child with a cost: ``LA, in_london, provider_group, procurement,
    total_weekly_cost, log_cost`` and one 0/1 column per need field present. Children without
    a needs record keep all need flags 0 and ``has_needs`` False.
    """
    placements = k2_placements(ds, year)
    costs = for_year(ds.table("costs"), year)
    costs = costs[pd.to_numeric(costs["total_weekly_cost"], errors="coerce") > 0]
    keep = ["CHILD", "LA", "total_weekly_cost", "procurement"]
    df = placements[["CHILD", "LA", "outside_london", "PLACE_PROVIDER"]].merge(
        costs[keep], on=["CHILD", "LA"], how="inner"
    )
    df["in_london"] = (~df["outside_london"].astype(bool)).astype(int)
    df["provider_group"] = df["PLACE_PROVIDER"].map(PROVIDER_GROUPS).fillna("Other public")
    df["procurement"] = df["procurement"].astype("string").fillna("Unknown").astype(str)
    df["total_weekly_cost"] = df["total_weekly_cost"].astype(float)
    df["log_cost"] = np.log(df["total_weekly_cost"])
    if ds.has("needs"):
        needs = for_year(ds.table("needs"), year)
        fields = [f for f in NEED_FIELDS if f in needs.columns]
        flags = needs[["CHILD", "LA"]].copy()
        for f in fields:
            flags[f] = flag_true(needs[f]).astype(int)
        flags = flags.drop_duplicates(["CHILD", "LA"])
        flags["has_needs"] = True
        df = df.merge(flags, on=["CHILD", "LA"], how="left")
        df[fields] = df[fields].fillna(0).astype(int)
        df["has_needs"] = df["has_needs"].fillna(False).astype(bool)
    else:
        df["has_needs"] = False
    return df.drop(columns=["outside_london"]).reset_index(drop=True)


def _dummies(df: pd.DataFrame, column: str, reference: str) -> pd.DataFrame:
    """0/1 columns for each level of ``column`` except ``reference`` (or the commonest)."""
    levels = sorted(df[column].unique())
    ref = reference if reference in levels else df[column].mode().iloc[0]
    out = pd.DataFrame(index=df.index)
    for level in levels:
        if level != ref:
            out[f"{column}={level}"] = (df[column] == level).astype(int)
    return out


def design_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with dummy columns for provider group and procurement; returns the adjuster names."""
    need_cols = [c for c in NEED_FIELDS if c in df.columns]
    prov = _dummies(df, "provider_group", "Private")
    proc = _dummies(df, "procurement", "Spot")
    out = pd.concat([df, prov, proc], axis=1)
    return out, [*need_cols, *prov.columns, *proc.columns]


def premium(coef: Coefficient | None) -> tuple[float, float, float]:
    """A log-scale coefficient as a percentage premium ``exp(b) - 1`` with its interval."""
    if coef is None:
        return (math.nan, math.nan, math.nan)
    return (math.expm1(coef.estimate), math.expm1(coef.ci_low), math.expm1(coef.ci_high))


@london_level
def london_premiums(df: pd.DataFrame, alpha: float = 0.05) -> dict[str, Coefficient | None]:
    """The three comparisons of London vs outside London cost (log scale coefficients).

    ``unadjusted``: ratio of geometric mean costs; ``adjusted``: needs, provider type and
    procurement held equal; ``external_only``: adjusted, externally provided placements only.
    """
    frame, adjusters = design_frame(df)
    ext = frame[frame["provider_group"].isin(EXTERNAL_GROUPS)]
    ext_adjusters = [
        a for a in adjusters if not a.startswith("provider_group=") or a.endswith("=Voluntary")
    ]
    return {
        "unadjusted": ols_coefficient(frame, "log_cost", ["in_london"], "in_london", alpha),
        "adjusted": ols_coefficient(
            frame, "log_cost", ["in_london", *adjusters], "in_london", alpha
        ),
        "external_only": ols_coefficient(
            ext, "log_cost", ["in_london", *ext_adjusters], "in_london", alpha
        ),
    }


def hard_to_place_premium_gap(
    df: pd.DataFrame, hard_needs: list[str], alpha: float = 0.05
) -> Coefficient | None:
    """Does the London premium differ for children with a hard-to-place need?

    The interaction ``in_london x hard`` in the adjusted cost model (log scale): above zero
    means London is relatively dearer for exactly the children most often placed outside it,
    which is how cost could steer placements even with no average premium. None when no child
    has (or every child has) a hard-to-place need.
    """
    fields = [f for f in hard_needs if f in df.columns]
    if not fields:
        return None
    frame, adjusters = design_frame(df)
    frame["hard"] = (frame[fields].sum(axis=1) > 0).astype(int)
    frame["london_x_hard"] = frame["in_london"] * frame["hard"]
    terms = ["london_x_hard", "in_london", "hard", *adjusters]
    return ols_coefficient(frame, "log_cost", terms, "london_x_hard", alpha)


def decide(adjusted: Coefficient | None, external: Coefficient | None, rules: dict) -> str:
    """Apply the declared rule (``config/decision_rules/h4.yaml``) to the premium estimates."""
    if adjusted is None:
        return "Insufficient data"
    alpha = float(rules["alpha"])
    est, _, _ = premium(adjusted)
    significant = adjusted.ci_low > 0 and adjusted.p_value < alpha
    if not significant:
        return "Not supported"
    confirmed = external is not None and external.ci_low > 0
    if est >= float(rules["min_premium"]) and confirmed:
        return "Supported"
    return "Partly supported"


def _premium_indicator(
    name: str, coef: Coefficient | None, rules: dict, note: str, supports: bool | None = None
) -> Indicator:
    est, low, high = premium(coef)
    if coef is None:
        return Indicator(name, None, unit="proportion", note=note + " Not estimable.")
    if supports is None:
        supports = bool(coef.ci_low > 0 and est >= float(rules["min_premium"]))
    return Indicator(
        name,
        est,
        ci_low=low,
        ci_high=high,
        p_value=coef.p_value,
        n=coef.n,
        unit="proportion",
        supports=supports,
        note=note,
    )


def borough_premium(df: pd.DataFrame, la: str, rules: dict) -> Indicator:
    """The borough's own unadjusted London premium (geometric mean ratio), when it has enough
    costed placements on both sides; small numbers make this a description, not a test."""
    sub = df[df["LA"] == la]
    n_in, n_out = int(sub["in_london"].sum()), int((1 - sub["in_london"]).sum())
    name = f"{la}: London premium, unadjusted"
    if min(n_in, n_out) < int(rules["min_group_n_borough"]):
        return Indicator(
            name,
            None,
            n=len(sub),
            unit="proportion",
            note=f"Too few costed placements on one side ({n_in} in London, {n_out} outside).",
        )
    coef = ols_coefficient(sub, "log_cost", ["in_london"], "in_london", float(rules["alpha"]))
    return _premium_indicator(name, coef, rules, "Borough's own placements; not adjusted.", None)


def evaluate(
    ds: Dataset, year: int, rules: dict[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """Run the test of hypothesis 4; ``la`` adds the borough's own premium (verdict London's)."""
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    caveats = list(rules.get("caveats", []))
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    missing = [t for t in ("costs",) if not ds.has(t)]
    if missing:
        return HypothesisResult(
            HYPOTHESIS,
            "Insufficient data",
            rules["decision_rule"],
            fieldwork=fieldwork,
            caveats=caveats,
            insufficient=["Weekly costs (`costs` table) are absent: no cost comparison possible."],
            summary="The dataset holds no placement costs, so the cost hypothesis cannot be tested.",
        )
    df = costed_placements(ds, year)
    insufficient: list[str] = []
    if not ds.has("needs"):
        insufficient.append(
            "Needs (`needs` table) absent: the premium is adjusted for provider type and "
            "procurement only, not for the child's needs."
        )
    n_in, n_out = int(df["in_london"].sum()), int((1 - df["in_london"]).sum())
    if min(n_in, n_out) < int(rules["min_group_n"]):
        return HypothesisResult(
            HYPOTHESIS,
            "Insufficient data",
            rules["decision_rule"],
            fieldwork=fieldwork,
            caveats=caveats,
            insufficient=[
                f"Too few costed placements: {n_in} in London and {n_out} outside "
                f"(at least {rules['min_group_n']} each needed)."
            ],
            summary="Too few placements have a recorded cost to compare London with elsewhere.",
        )
    alpha = float(rules["alpha"])
    coefs = london_premiums(df, alpha)
    verdict = decide(coefs["adjusted"], coefs["external_only"], rules)
    indicators = [
        _premium_indicator(
            "London premium in weekly cost, adjusted",
            coefs["adjusted"],
            rules,
            "OLS of log total weekly cost on London location, needs, provider type and "
            "procurement; HC3 robust 95% CI.",
        ),
        _premium_indicator(
            "London premium in weekly cost, unadjusted",
            coefs["unadjusted"],
            rules,
            "Ratio of geometric mean weekly costs, London vs outside London.",
        ),
        _premium_indicator(
            "London premium, externally provided placements only",
            coefs["external_only"],
            rules,
            "Like-for-like check: PR4/PR5 placements, adjusted for needs and procurement.",
            supports=None
            if coefs["external_only"] is None
            else bool(coefs["external_only"].ci_low > 0),
        ),
        _premium_indicator(
            "Extra London premium for children with a hard-to-place need",
            hard_to_place_premium_gap(df, list(rules.get("hard_to_place_needs", [])), alpha),
            rules,
            "Ratio of the London premium for children with a hard-to-place need to that for "
            "others, minus 1 (interaction in the adjusted model); descriptive, not in the rule.",
        ),
        Indicator(
            "Placements with a recorded weekly cost",
            float(len(df)),
            n=len(df),
            unit="count",
            note=f"{n_in} in London, {n_out} outside London.",
        ),
    ]
    indicators[3].supports = None  # descriptive: the hard-to-place gap is not in the rule
    if la is not None:
        indicators.append(borough_premium(df, la, rules))
    est = premium(coefs["adjusted"])
    direction = "more" if est[0] >= 0 else "less"
    summary = (
        f"After allowing for needs, provider type and procurement, a London placement costs "
        f"{fmt_pct(abs(est[0]))} {direction} than one outside London (premium 95% CI "
        f"{fmt_pct(est[1])} to {fmt_pct(est[2])}). Verdict: {verdict.lower()}."
    )
    return HypothesisResult(
        HYPOTHESIS,
        verdict,
        rules["decision_rule"],
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=summary,
    )


# --- tables and figures for the notebook --------------------------------------------------


def cost_table(df: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None) -> pd.DataFrame:
    """Weekly cost by location and provider group: placements, median and quartiles (whole pounds).

    ``scopes`` (from :func:`analysis.hypotheses.scopes.comparison_scopes`) gives one block of
    rows per scope (London, the borough's group, the borough); default London only.
    """
    scopes = scopes or [("London boroughs", sorted(df["LA"].unique()))]
    rows = []
    for scope, members in scopes:
        sub = df[df["LA"].isin(members)]
        for (loc, prov), g in sub.groupby(["in_london", "provider_group"]):
            costs = g["total_weekly_cost"]
            rows.append(
                {
                    "scope": scope,
                    "location": "In London" if loc == 1 else "Outside London",
                    "provider": prov,
                    "placements": len(g),
                    "median_weekly_cost": round(float(costs.median())),
                    "lower_quartile": round(float(costs.quantile(0.25))),
                    "upper_quartile": round(float(costs.quantile(0.75))),
                }
            )
    return pd.DataFrame(rows)


def premium_table(result: HypothesisResult) -> pd.DataFrame:
    """The premium indicators of a result as a table (estimate and CI as proportions)."""
    rows = [
        {
            "comparison": i.name,
            "premium": i.estimate,
            "ci_low": i.ci_low,
            "ci_high": i.ci_high,
            "p_value": i.p_value,
            "n": i.n,
        }
        for i in result.indicators
        if i.unit == "proportion"
    ]
    return pd.DataFrame(rows)


def cost_figure(df: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None) -> FigureSpec:
    """Median weekly cost (with the interquartile range) by location and provider type."""
    table = cost_table(df, scopes)
    table["group"] = table["provider"] + ": " + table["location"]
    multi = table["scope"].nunique() > 1
    derived = {c: "placements" for c in ("median_weekly_cost", "lower_quartile", "upper_quartile")}
    fig = interval_chart(
        as_published(table, ("placements",), derived),
        label="group",
        estimate="median_weekly_cost",
        low="lower_quartile",
        high="upper_quartile",
        series="scope" if multi else None,
        xlabel="Weekly cost (pounds): median and interquartile range",
        percent=False,
    )
    london = table[table["scope"] == table["scope"].iloc[0]]
    by_loc = df.groupby("in_london")["total_weekly_cost"].median()
    alt = (
        "Dot chart of the median weekly cost of residential placements by provider type, in "
        f"and outside London. Across all placements the median is £{by_loc.get(1, float('nan')):,.0f}"
        f" in London and £{by_loc.get(0, float('nan')):,.0f} outside; "
        f"{len(london)} provider-and-location groups are shown"
        + (", for London, the borough's group and the borough." if multi else ".")
    )
    return FigureSpec(
        "h4_cost_by_location",
        fig,
        "Weekly cost of residential placements by location and provider type",
        alt,
        table.drop(columns="group"),
        child_counts=("placements",),
        derived_from=derived,
    )


def premium_figure(result: HypothesisResult, rules: dict[str, Any]) -> FigureSpec:
    """The London premium estimates (unadjusted, adjusted, like for like, borough) with CIs."""
    table = premium_table(result)
    fig = interval_chart(
        table,
        label="comparison",
        estimate="premium",
        low="ci_low",
        high="ci_high",
        xlabel="Weekly cost of a London placement relative to one outside London",
        reference=0.0,
    )
    fig.axes[0].axvline(float(rules["min_premium"]), color="#F46A25", linewidth=1, linestyle=":")
    adjusted = table.iloc[0] if len(table) else None
    alt = (
        "Chart of the London cost premium with 95% confidence intervals. "
        + (
            f"Adjusted for needs, provider type and procurement it is {fmt_pct(adjusted['premium'])}"
            f" ({fmt_pct(adjusted['ci_low'])} to {fmt_pct(adjusted['ci_high'])}); "
            if adjusted is not None
            else ""
        )
        + f"the dotted line marks the {fmt_pct(float(rules['min_premium']), 0)} threshold of the "
        "decision rule and the dashed line no difference."
    )
    return FigureSpec(
        "h4_premiums",
        fig,
        "London premium in weekly placement cost, with 95% confidence intervals",
        alt,
        table,
        child_counts=("n",),  # a borough's row can rest on a handful of children
        derived_from={c: "n" for c in ("premium", "ci_low", "ci_high", "p_value")},
    )


def coverage(ds: Dataset, year: int) -> pd.DataFrame:
    """What the cost test can see: placements at the snapshot, with a cost, with needs."""
    placements = k2_placements(ds, year)
    rows = [coverage_row("K2 placements of London boroughs at the snapshot", len(placements))]
    if ds.has("costs"):
        df = costed_placements(ds, year)
        rows.append(coverage_row("with a recorded weekly cost", len(df), len(placements)))
        rows.append(
            coverage_row(
                "with a cost and a needs record", int(df["has_needs"].sum()), len(placements)
            )
        )
    return pd.DataFrame(rows)
