"""Hypothesis 4: under-use is a result of the cost of London provision compared with alternatives.

The test (one part, ``london_premium`` in ``config/decision_rules/h4.yaml``): is a placement in
London dearer than one outside London once the child's needs, the provider type (in-house /
private / voluntary / other public), the procurement route, **when the placement started** and
**the placing borough** are held equal? The statistic is the London coefficient ``b`` of an OLS
regression of the log weekly core cost (the fee for the place; the total when no core cost is
recorded) with standard errors **clustered by provider** (the organisation that owns the home;
the home when the owner is unknown), judged by the common evidence rule on the log scale (0 = no
premium; shown as ``exp(b) - 1``).

Rivals it separates: *price inflation* (fees rise with the year a placement started, and if
London placements are more recent London looks dearer with no London premium: the start-year
adjustment, a linear trend in years since the start plus one level per financial year of start,
removes it), *provider pricing* (one provider's homes priced alike are not independent
observations: clustering), and *borough purchasing* (a borough that buys dear places everywhere
and places more in London: borough fixed effects).

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
from analysis.hypotheses.evidence import (
    Estimate,
    coefficient_evidence,
    coverage_row,
    coverage_table,
    evidence_verdict,
    fmt_pct,
    not_tested,
    settle_in_summary,
)
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.providers import EXTERNAL_GROUPS, PROVIDER_GROUPS
from analysis.snapshot import for_year, k2_placements, snapshot_date
from analysis.stats import Coefficient, ols_coefficient, ols_coefficient_clustered
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 4
PART = "london_premium"
#: What the premium's ``n`` counts.
PART_UNIT = "costed placements"

#: Needs fields used as adjusters (those present in the data are used).
NEED_FIELDS: tuple[str, ...] = NEED_FLAGS


def financial_year(dates: pd.Series) -> pd.Series:
    """The financial year (April to March) a date falls in, named by its first calendar year
    (1 May 2021 and 1 February 2022 are both 2021); missing dates stay missing."""
    d = pd.to_datetime(dates, errors="coerce")
    return (d.dt.year - (d.dt.month < 4).astype(int)).where(d.notna()).astype("Int64")


def years_since(dates: pd.Series, snapshot: pd.Timestamp) -> pd.Series:
    """Years (365.25 days) from each date to ``snapshot``: the time a placement's price has been
    fixed for (price inflation acts along it)."""
    d = pd.to_datetime(dates, errors="coerce")
    return (pd.Timestamp(snapshot) - d).dt.days / 365.25


@london_level
def costed_placements(ds: Dataset, year: int) -> pd.DataFrame:
    """K2 placements of London boroughs at the snapshot joined to their weekly cost and needs.

    One row per child with a cost: ``LA, in_london, provider_group, procurement,
    total_weekly_cost, log_cost`` (log total), ``log_core`` (log core cost; the log total where
    no core cost is recorded), ``start_years`` (years from the placement's start to the
    snapshot: ``costs.placement_start``, else the episode's ``DECOM``), ``start_fy`` (the
    financial year of the start, text; ``unknown`` when no date), ``provider`` (the owner of the
    home in the register, else the home's URN, else the child's own cluster) and one 0/1
    column per need field present. Children without a needs record keep all need flags 0 and
    ``has_needs`` False.
    """
    placements = k2_placements(ds, year)
    costs = for_year(ds.table("costs"), year)
    costs = costs[pd.to_numeric(costs["total_weekly_cost"], errors="coerce") > 0]
    keep = ["CHILD", "LA", "total_weekly_cost", "procurement"]
    keep += [c for c in ("core_weekly_cost", "placement_start", "URN") if c in costs.columns]
    pl_cols = ["CHILD", "LA", "outside_london", "PLACE_PROVIDER"]
    pl_cols += [c for c in ("DECOM",) if c in placements.columns]
    df = placements[pl_cols].merge(costs[keep], on=["CHILD", "LA"], how="inner")
    df["in_london"] = (~df["outside_london"].astype(bool)).astype(int)
    df["provider_group"] = df["PLACE_PROVIDER"].map(PROVIDER_GROUPS).fillna("Other public")
    df["procurement"] = df["procurement"].astype("string").fillna("Unknown").astype(str)
    df["total_weekly_cost"] = df["total_weekly_cost"].astype(float)
    df["log_cost"] = np.log(df["total_weekly_cost"])
    core = pd.to_numeric(df.get("core_weekly_cost"), errors="coerce")
    core = core if isinstance(core, pd.Series) else pd.Series(np.nan, index=df.index)
    df["log_core"] = np.log(core.where(core > 0)).fillna(df["log_cost"])
    start = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if "placement_start" in df.columns:
        start = pd.to_datetime(df["placement_start"], errors="coerce", dayfirst=True)
    if "DECOM" in df.columns:
        start = start.fillna(pd.to_datetime(df["DECOM"], errors="coerce", dayfirst=True))
    snap = pd.Timestamp(snapshot_date(year))
    df["start_years"] = years_since(start, snap)
    df["start_fy"] = financial_year(start).astype("string").fillna("unknown").astype(str)
    df["provider"] = provider_clusters(df, ds)
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
    drop = [c for c in ("outside_london", "DECOM", "placement_start") if c in df.columns]
    return df.drop(columns=drop).reset_index(drop=True)


def provider_clusters(df: pd.DataFrame, ds: Dataset) -> pd.Series:
    """The cluster of each costed placement for the standard errors: the organisation owning
    the home (register ``owner``, matched on the cost's URN), else the home's URN, else a
    cluster of its own (a placement with no known home is not grouped with any other)."""
    own = pd.Series(index=df.index, dtype="object")
    urn = (
        df["URN"].astype("string").str.strip()
        if "URN" in df.columns
        else pd.Series(pd.NA, index=df.index, dtype="string")
    )
    urn = urn.where(urn != "")
    if ds.has("homes") and {"urn", "owner"} <= set(ds.table("homes").columns):
        homes = ds.table("homes")
        owners = homes.assign(urn=homes["urn"].astype(str)).drop_duplicates("urn")
        owner = owners.set_index("urn")["owner"].astype("string").str.strip()
        own = urn.map(owner.where(owner != "")).astype("object")
        own = ("owner:" + own.astype(str)).where(own.notna())
    own = own.fillna(("home:" + urn.astype(str)).where(urn.notna()))
    return own.fillna(pd.Series([f"row:{i}" for i in range(len(df))], index=df.index)).astype(str)


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
    """``df`` with dummy columns for provider group and procurement; returns the adjuster names
    (needs, provider type, procurement)."""
    need_cols = [c for c in NEED_FIELDS if c in df.columns]
    prov = _dummies(df, "provider_group", "Private")
    proc = _dummies(df, "procurement", "Spot")
    out = pd.concat([df, prov, proc], axis=1)
    return out, [*need_cols, *prov.columns, *proc.columns]


def start_and_borough_terms(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """``frame`` with the start-year and borough adjusters added; returns ``(frame, start
    terms, borough terms)``. Start: ``start_years`` (a linear price trend; missing dates get
    the mean and a ``start_unknown`` flag) and one dummy per financial year of start (the
    commonest is the reference: fee uplifts come each April). Borough: one dummy per placing
    borough (fixed effects: a borough buying dear places everywhere cannot make London look
    dear)."""
    out = frame.copy()
    years = out["start_years"].astype(float)
    out["start_unknown"] = years.isna().astype(int)
    out["start_years"] = years.fillna(years.mean() if years.notna().any() else 0.0)
    fy = _dummies(out, "start_fy", "")
    la = _dummies(out, "LA", "")
    out = pd.concat([out, fy, la], axis=1)
    return out, ["start_years", "start_unknown", *fy.columns], list(la.columns)


def premium(coef: Coefficient | None) -> tuple[float, float, float]:
    """A log-scale coefficient as a percentage premium ``exp(b) - 1`` with its interval."""
    if coef is None:
        return (math.nan, math.nan, math.nan)
    return (math.expm1(coef.estimate), math.expm1(coef.ci_low), math.expm1(coef.ci_high))


@london_level
def london_premiums(df: pd.DataFrame, alpha: float = 0.05) -> dict[str, Coefficient | None]:
    """The comparisons of London vs outside London weekly core cost (log-scale coefficients,
    SEs clustered by provider).

    ``adjusted`` (the test): needs, provider type, procurement, start year and placing
    borough held equal; ``without_start_year``: the same without the start-year terms (how
    much of a premium price inflation would make); ``unadjusted``: ratio of geometric mean
    costs; ``external_only``: adjusted, externally provided placements only (like for like).
    """
    frame, adjusters = design_frame(df)
    frame, start, borough = start_and_borough_terms(frame)
    ext = frame[frame["provider_group"].isin(EXTERNAL_GROUPS)]
    ext_adjusters = [
        a for a in adjusters if not a.startswith("provider_group=") or a.endswith("=Voluntary")
    ]
    y, c = "log_core", "provider"
    full = ["in_london", *adjusters, *start, *borough]
    return {
        "adjusted": ols_coefficient_clustered(frame, y, full, "in_london", c, alpha),
        "without_start_year": ols_coefficient_clustered(
            frame, y, ["in_london", *adjusters, *borough], "in_london", c, alpha
        ),
        "unadjusted": ols_coefficient_clustered(frame, y, ["in_london"], "in_london", c, alpha),
        "external_only": ols_coefficient_clustered(
            ext, y, ["in_london", *ext_adjusters, *start, *borough], "in_london", c, alpha
        ),
    }


def hard_to_place_premium_gap(
    df: pd.DataFrame, hard_needs: list[str], alpha: float = 0.05
) -> Coefficient | None:
    """Does the London premium differ for children with a hard-to-place need?

    The interaction ``in_london x hard`` in the adjusted cost model (log scale, HC3 SEs): above
    zero means London is relatively dearer for exactly the children most often placed outside
    it, which is how cost could steer placements even with no average premium. None when no
    child has (or every child has) a hard-to-place need. Descriptive, not in the verdict.
    """
    fields = [f for f in hard_needs if f in df.columns]
    if not fields:
        return None
    frame, adjusters = design_frame(df)
    frame["hard"] = (frame[fields].sum(axis=1) > 0).astype(int)
    frame["london_x_hard"] = frame["in_london"] * frame["hard"]
    terms = ["london_x_hard", "in_london", "hard", *adjusters]
    return ols_coefficient(frame, "log_cost", terms, "london_x_hard", alpha)


def premium_evidence(coef: Coefficient | None) -> Estimate:
    """The ``london_premium`` part for the evidence rule: the log-scale London coefficient and
    its interval (None when it could not be estimated), counted in costed placements."""
    return coefficient_evidence(coef, PART_UNIT)


def _premium_indicator(
    name: str,
    coef: Coefficient | None,
    note: str,
    supports: bool | None = None,
    smallest: float | None = None,
    *,
    id: str,
) -> Indicator:
    """An indicator of a premium ``exp(b) - 1`` with its stable ``id``; ``supports`` from the
    evidence rule (or, with ``smallest``, whether the interval excludes 0 and the estimate
    reaches it)."""
    est, low, high = premium(coef)
    if coef is None:
        return Indicator(name, None, unit="proportion", note=note + " Not estimable.", id=id)
    if supports is None and smallest is not None:
        supports = bool(coef.ci_low > 0 and coef.estimate >= smallest)
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
        id=id,
    )


def borough_premium(df: pd.DataFrame, la: str, rules: dict) -> Indicator:
    """The borough's own unadjusted London premium (geometric mean ratio of core costs), when
    it has enough costed placements on both sides; small numbers make this a description, not
    a test."""
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
            id="h4_premium_borough",
        )
    coef = ols_coefficient(sub, "log_core", ["in_london"], "in_london", float(rules["alpha"]))
    return _premium_indicator(
        name, coef, "Borough's own placements; not adjusted.", id="h4_premium_borough"
    )


def evaluate(
    ds: Dataset, year: int, rules: dict[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """Run the test of hypothesis 4; ``la`` adds the borough's own premium (verdict London's)."""
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    caveats = list(rules.get("caveats", []))
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    if not ds.has("costs"):
        return not_tested(
            HYPOTHESIS,
            rules,
            [PART],
            fieldwork=fieldwork,
            caveats=caveats,
            reason="Weekly costs (`costs` table) are absent: no cost comparison possible.",
            summary="The dataset holds no placement costs, so the cost hypothesis cannot be "
            "tested.",
            unit=PART_UNIT,
        )
    df = costed_placements(ds, year)
    insufficient: list[str] = []
    if not ds.has("needs"):
        insufficient.append(
            "Needs (`needs` table) absent: the premium is not adjusted for the child's needs."
        )
    if df["start_years"].isna().any():
        insufficient.append(
            f"{int(df['start_years'].isna().sum()):,} costed placements have no start date: "
            "they are kept with a flag and the average start (the price trend cannot "
            "adjust them)."
        )
    n_in, n_out = int(df["in_london"].sum()), int((1 - df["in_london"]).sum())
    if min(n_in, n_out) < int(rules["min_group_n"]):
        return not_tested(
            HYPOTHESIS,
            rules,
            [PART],
            fieldwork=fieldwork,
            caveats=caveats,
            reason=f"Too few costed placements: {n_in} in London and {n_out} outside "
            f"(at least {rules['min_group_n']} each needed).",
            summary="Too few placements have a recorded cost to compare London with elsewhere.",
            unit=PART_UNIT,
        )
    alpha = float(rules["alpha"])
    coefs = london_premiums(df, alpha)
    verdict, record = evidence_verdict(rules, {PART: premium_evidence(coefs["adjusted"])})
    part = record["parts"][0]
    smallest = float(part["smallest_effect"])
    n_providers = int(df["provider"].nunique())
    indicators = [
        _premium_indicator(
            "London premium in weekly core cost, adjusted (the test)",
            coefs["adjusted"],
            "OLS of log weekly core cost on London location, needs, provider type, "
            "procurement, start year (trend and financial year) and placing borough; 95% CI "
            f"with SEs clustered by provider ({n_providers} clusters).",
            supports=part["verdict"] == "Supported",
            id="h4_premium_adjusted",
        ),
        _premium_indicator(
            "London premium, adjusted but not for start year",
            coefs["without_start_year"],
            "As the test without the start-year terms: the difference from the test is what "
            "price inflation with London placements of a different age would make.",
            id="h4_premium_without_start_year",
        ),
        _premium_indicator(
            "London premium in weekly core cost, unadjusted",
            coefs["unadjusted"],
            "Ratio of geometric mean weekly core costs, London vs outside London.",
            id="h4_premium_unadjusted",
        ),
        _premium_indicator(
            "London premium, externally provided placements only",
            coefs["external_only"],
            "Like-for-like check: PR4/PR5 placements, adjusted as the test.",
            smallest=smallest,
            id="h4_premium_external_only",
        ),
        _premium_indicator(
            "Extra London premium for children with a hard-to-place need",
            hard_to_place_premium_gap(df, list(rules.get("hard_to_place_needs", [])), alpha),
            "Ratio of the London premium for children with a hard-to-place need to that for "
            "others, minus 1 (interaction in the needs-adjusted model of the total cost); "
            "descriptive, not in the rule.",
            id="h4_hard_to_place_extra_premium",
        ),
        Indicator(
            "Placements with a recorded weekly cost",
            float(len(df)),
            n=len(df),
            unit="count",
            note=f"{n_in} in London, {n_out} outside London.",
            id="h4_costed_placements",
        ),
    ]
    if la is not None:
        indicators.append(borough_premium(df, la, rules))
    summary = premium_summary(coefs["adjusted"], smallest, verdict, part["data_factor"])
    return HypothesisResult(
        HYPOTHESIS,
        verdict,
        rules["decision_rule"],
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=summary,
        # premium_summary says what would settle the premium when it is Inconclusive
        evidence=settle_in_summary(
            record, [PART] if verdict == "Inconclusive" and coefs["adjusted"] is not None else []
        ),
    )


def premium_summary(
    coef: Coefficient | None, smallest: float, verdict: str, factor: float | None
) -> str:
    """The chapter's plain sentences: the adjusted premium, its interval, the smallest premium
    that matters, the verdict and what would settle it."""
    if coef is None:
        return f"The adjusted London premium could not be estimated. Verdict: {verdict.lower()}."
    est, low, high = premium(coef)
    direction = "more" if est >= 0 else "less"
    text = (
        f"With the child's needs, provider type, procurement, start year and placing borough "
        f"held equal, a London placement costs {fmt_pct(abs(est))} {direction} a week than one "
        f"outside London (95% interval {fmt_pct(low)} to {fmt_pct(high)}); the smallest "
        f"premium that would matter is {fmt_pct(math.expm1(smallest))}. "
        f"Verdict: {verdict.lower()}."
    )
    if verdict == "Inconclusive":
        text += " " + settle_words(coef.estimate, smallest, factor)
    return text


def settle_words(estimate: float, smallest: float, factor: float | None) -> str:
    """What would settle an Inconclusive premium, in words and percentages (the evidence
    rule's ``data_factor``: times the present data, if the interval narrows as one over the
    square root of the sample and the estimate holds)."""
    if factor is None:
        return (
            "The estimate sits at the smallest premium that matters: more data alone cannot "
            "settle it."
        )
    if estimate >= smallest:
        goal = "show that the premium is real"
    elif estimate <= -smallest:
        goal = "show that London is cheaper"
    else:
        goal = f"show that any premium is under {fmt_pct(math.expm1(smallest), 0)}"
    return (
        f"About {factor:.1f} times as many costed placements would narrow the interval enough "
        f"to {goal}, if the estimate held."
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


def smallest_premium(rules: dict[str, Any]) -> float:
    """The declared smallest London premium that matters, as a proportion ``exp(s) - 1``."""
    spec = rules["evidence"]["parts"][PART]
    return math.expm1(float(spec["smallest_effect"]))


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
    smallest = smallest_premium(rules)
    fig.axes[0].axvline(smallest, color="#F46A25", linewidth=1, linestyle=":")
    adjusted = table.iloc[0] if len(table) else None
    alt = (
        "Chart of the London cost premium with 95% confidence intervals. "
        + (
            "Adjusted for needs, provider type, procurement, start year and borough it is "
            f"{fmt_pct(adjusted['premium'])}"
            f" ({fmt_pct(adjusted['ci_low'])} to {fmt_pct(adjusted['ci_high'])}); "
            if adjusted is not None
            else ""
        )
        + f"the dotted line marks the smallest premium that would matter "
        f"({fmt_pct(smallest, 0)}) and the dashed line no difference."
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
    """The chapter's figures, in the order it shows them: weekly cost by location and provider
    type (when there are costed placements) and the London premium (when the result has
    indicators)."""
    specs = []
    df = costed_placements(ds, year) if ds.has("costs") else None
    if df is not None and len(df):
        specs.append(cost_figure(df, scopes))
    if result.indicators:
        specs.append(premium_figure(result, rules))
    return specs


def tables(
    ds: Dataset, year: int, rules: dict[str, Any], result: HypothesisResult, **_: Any
) -> list[tuple[str, pd.DataFrame]]:
    """The chapter's tables (shown, not published): what the cost test can see."""
    return coverage_table(
        "Coverage: the placements with a recorded cost and a needs record.",
        coverage(ds, year),
    )
