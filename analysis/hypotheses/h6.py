"""Hypothesis 6: under-use is a result of providers' ability to staff their homes.

The verdict rests on two parts, both needed (``config/decision_rules/h6.yaml``, ``evidence``,
judged by the common evidence rule):

- ``london_staffing_gap``: the share of registered places out of use for lack of staff in
  London homes MINUS the share in homes elsewhere (each a ratio of sums over homes; 95% interval
  from a bootstrap that resamples homes within each area). Staffing can explain why London's
  homes are under-used only where London's staffing is worse than elsewhere's: a share of places
  out of use that is the same everywhere (the rival: a national staffing floor) gives no gap.
- ``vacancy_declines``: the log odds ratio of a referral's acceptance per 10 percentage points
  of the home's staff vacancy rate (home in London held equal; SEs clustered on the home), among
  decided referrals (:mod:`analysis.referrals`: Declined and No response are not accepted), a
  child's referral to the home it is placed in left out (it records the placement).

Descriptive, not in the verdict: staff vacancy rates by area, their rank correlation with
occupancy, and the share of declines citing "No staff available".

Caveat: staffing is a single snapshot and self-reported by providers; a home's vacancy rate on
the day may not be the one it had when a referral arrived.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.boroughs import home_locations
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.hypotheses.evidence import (
    Estimate,
    coefficient_evidence,
    coverage_row,
    coverage_table,
    evidence_verdict,
    fmt_pct,
    not_tested,
    states_settle,
    summary_settles,
)
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.referrals import decided_referrals, placement_referrals
from analysis.snapshot import referrals_in_year
from analysis.stats import (
    Coefficient,
    cluster_bootstrap_ratio,
    logit_coefficients,
    ratio_difference_bootstrap,
    spearman_correlation,
    wilson_ci,
)
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 6
GAP, VACANCY = "london_staffing_gap", "vacancy_declines"
#: The parts in words, for the chapter's sentences.
WORDS = {GAP: "the London gap", VACANCY: "the vacancy effect"}
STAFF_DECLINE = "No staff available"


@london_level
def staffing_frame(ds: Dataset, year: int) -> pd.DataFrame:
    """One row per home with staffing: places, places out of use for staff, vacancy rate,
    occupancy (occupied / registered, occupied = registered - available - unavailable for
    staff) and ``home_in_london``, ``home_la``.

    When ``snapshot_date`` spans several years, the rows dated in ``year`` are kept.
    """
    staff = ds.table("home_staffing").copy()
    dates = pd.to_datetime(staff["snapshot_date"], errors="coerce", dayfirst=True)
    if dates.dt.year.nunique() > 1 and (dates.dt.year == year).any():
        staff = staff[dates.dt.year == year]
    staff["URN"] = staff["URN"].astype(str)
    num = [
        "registered_places",
        "places_available",
        "places_unavailable_staffing",
        "staff_vacancies_fte",
        "staff_establishment_fte",
    ]
    for col in num:
        staff[col] = pd.to_numeric(staff[col], errors="coerce")
    staff = staff[staff["registered_places"] > 0].drop_duplicates("URN", keep="last")
    df = staff.merge(home_locations(ds.table("homes")), on="URN", how="left")
    df["home_in_london"] = df["home_in_london"].fillna(0).astype(int)
    df["vacancy_rate"] = (df["staff_vacancies_fte"] / df["staff_establishment_fte"]).where(
        df["staff_establishment_fte"] > 0
    )
    occupied = (
        df["registered_places"]
        - df["places_available"].fillna(0)
        - df["places_unavailable_staffing"].fillna(0)
    ).clip(lower=0)
    df["occupancy"] = occupied / df["registered_places"]
    df["unavailable_share"] = df["places_unavailable_staffing"].fillna(0) / df["registered_places"]
    return df.reset_index(drop=True)


def unavailable_share(df: pd.DataFrame, seed: int = 0, alpha: float = 0.05):
    """Share of registered places out of use for lack of staff (ratio of sums, bootstrap CI)."""
    return cluster_bootstrap_ratio(
        df["places_unavailable_staffing"].fillna(0),
        df["registered_places"],
        seed=seed,
        alpha=alpha,
    )


def unavailable_share_gap(
    london: pd.DataFrame,
    elsewhere: pd.DataFrame,
    *,
    seed: int = 0,
    n_boot: int = 999,
    alpha: float = 0.05,
) -> tuple[float, float, float]:
    """London homes' share of registered places out of use for lack of staff minus that of
    homes elsewhere (each a ratio of sums), with a percentile bootstrap interval that resamples
    homes within each area independently (places of one home are not independent). NaNs when
    either area has no registered places. Caveat: percentile intervals of a difference of
    ratios can be a little narrow with few homes."""
    return ratio_difference_bootstrap(
        london["places_unavailable_staffing"].fillna(0),
        london["registered_places"],
        elsewhere["places_unavailable_staffing"].fillna(0),
        elsewhere["registered_places"],
        seed=seed,
        n_boot=n_boot,
        alpha=alpha,
    )


def vacancy_rate(df: pd.DataFrame, seed: int = 0, alpha: float = 0.05):
    """Staff vacancy rate: vacant FTE / establishment FTE summed over homes (bootstrap CI)."""
    ok = df[df["staff_establishment_fte"] > 0]
    return cluster_bootstrap_ratio(
        ok["staff_vacancies_fte"].fillna(0), ok["staff_establishment_fte"], seed=seed, alpha=alpha
    )


def vacancy_occupancy_correlation(df: pd.DataFrame, alpha: float = 0.05):
    """Spearman correlation of vacancy rate with occupancy across homes, with a Fisher-z CI
    (:func:`analysis.stats.spearman_correlation`); NaNs with fewer than 10 homes."""
    ok = df[["vacancy_rate", "occupancy"]].dropna()
    n = len(ok)
    if n < 10:
        return (math.nan, math.nan, math.nan, math.nan, n)
    rho = spearman_correlation(ok["vacancy_rate"], ok["occupancy"], alpha)
    return (rho.estimate, rho.ci_low, rho.ci_high, rho.p_value, rho.n)


@london_level
def referral_staffing_frame(ds: Dataset, year: int, staff: pd.DataFrame, rules: dict):
    """Decided referrals of the year (:func:`analysis.referrals.decided_referrals`: Accepted,
    Declined, No response) joined to the home's vacancy rate: ``accepted, vacancy_10pp,
    home_in_london, URN, response, decline_reason``. A child's referral to the home it is placed
    in is left out (accepted by definition, it records the placement, as in hypothesis 5)."""
    refs, _ = referrals_in_year(ds.table("referrals"), year)
    refs = decided_referrals(refs)
    refs["URN"] = refs["URN"].astype(str)
    refs = refs[~placement_referrals(ds, year, refs)]
    df = refs.merge(staff[["URN", "vacancy_rate", "home_in_london"]], on="URN", how="left")
    df["vacancy_10pp"] = df["vacancy_rate"] * 10
    return df[
        ["LA", "URN", "response", "decline_reason", "accepted", "vacancy_10pp", "home_in_london"]
    ].reset_index(drop=True)


def vacancy_acceptance_model(refs: pd.DataFrame, alpha: float = 0.05) -> Coefficient | None:
    """Log-odds of acceptance per 10 percentage points of the home's vacancy rate (home in
    London held equal; SEs clustered on the home). None when not estimable."""
    coefs = logit_coefficients(
        refs,
        "accepted",
        ["vacancy_10pp", "home_in_london"],
        ["vacancy_10pp"],
        cluster="URN",
        alpha=alpha,
    )
    return coefs.get("vacancy_10pp")


def staff_decline_share(refs: pd.DataFrame, alpha: float = 0.05) -> tuple[float, float, float, int]:
    """Share of declines citing "No staff available" (Wilson CI), and the number of declines."""
    declined = refs[refs["response"].astype(str) == "Declined"]
    k, n = int((declined["decline_reason"].astype(str) == STAFF_DECLINE).sum()), len(declined)
    _, low, high = wilson_ci(k, n, alpha)
    return (k / n if n else math.nan, low, high, n)


def gap_evidence(gap: tuple[float, float, float], n_homes: int) -> Estimate:
    """The London-minus-elsewhere gap as an evidence-rule estimate (None when not estimable)."""
    if any(math.isnan(v) for v in gap):
        return Estimate(None, None, None, None, "homes")
    return Estimate(gap[0], gap[1], gap[2], n_homes, "homes with a staffing return")


def evaluate(
    ds: Dataset, year: int, rules: dict[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """Run the test of hypothesis 6; ``la`` adds the borough's homes' figures (verdict London's)."""
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    caveats = list(rules.get("caveats", []))
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    if not ds.has("home_staffing"):
        return not_tested(
            HYPOTHESIS,
            rules,
            [GAP, VACANCY],
            fieldwork=fieldwork,
            caveats=caveats,
            reason="Home staffing (`home_staffing` table) absent: no test possible.",
            summary="The dataset holds no staffing returns, so the staffing hypothesis cannot "
            "be tested.",
        )
    alpha = float(rules["alpha"])
    staff = staffing_frame(ds, year)
    london, elsewhere = staff[staff["home_in_london"] == 1], staff[staff["home_in_london"] == 0]
    if len(london) < int(rules["min_homes"]) or len(elsewhere) < int(rules["min_homes"]):
        return not_tested(
            HYPOTHESIS,
            rules,
            [GAP, VACANCY],
            fieldwork=fieldwork,
            caveats=caveats,
            reason=f"Staffing returned by {len(london)} London homes and {len(elsewhere)} homes "
            f"elsewhere (at least {rules['min_homes']} of each needed).",
            summary="Too few homes returned staffing figures to compare London with elsewhere.",
        )
    share_l = unavailable_share(london, seed, alpha)
    share_e = unavailable_share(elsewhere, seed, alpha)
    gap = unavailable_share_gap(london, elsewhere, seed=seed, alpha=alpha)
    vac_l = vacancy_rate(london, seed, alpha)
    vac_e = vacancy_rate(elsewhere, seed, alpha)
    rho = vacancy_occupancy_correlation(staff, alpha)
    insufficient: list[str] = []
    vacancy_coef: Coefficient | None = None
    decline = (math.nan, math.nan, math.nan, 0)
    if ds.has("referrals"):
        refs = referral_staffing_frame(ds, year, staff, rules)
        vacancy_coef = vacancy_acceptance_model(refs, alpha)
        decline = staff_decline_share(refs, alpha)
    else:
        insufficient.append(
            "Referrals (`referrals` table) absent: acceptance against vacancy rate and the "
            "share of declines for lack of staff cannot be measured, so the verdict cannot be "
            "Supported (both parts are needed)."
        )
    verdict, record = evidence_verdict(
        rules,
        {
            GAP: gap_evidence(gap, len(staff)),
            VACANCY: coefficient_evidence(vacancy_coef, "decided referrals"),
        },
    )
    part = {p["name"]: p for p in record["parts"]}
    or_ = (
        (math.nan,) * 3
        if vacancy_coef is None
        else tuple(
            math.exp(v) for v in (vacancy_coef.estimate, vacancy_coef.ci_low, vacancy_coef.ci_high)
        )
    )
    indicators = [
        Indicator(
            "Places out of use for lack of staff: London homes minus homes elsewhere",
            None if math.isnan(gap[0]) else gap[0],
            None if math.isnan(gap[1]) else gap[1],
            None if math.isnan(gap[2]) else gap[2],
            n=len(staff),
            unit="proportion",
            supports=part[GAP]["verdict"] == "Supported",
            note=f"Share of registered places, {len(london)} London homes against "
            f"{len(elsewhere)} elsewhere; bootstrap over homes within each area (95% CI). "
            "Part of the rule.",
            id="h6_unavailable_gap",
        ),
        Indicator(
            "Share of London homes' registered places out of use for lack of staff",
            share_l[0],
            share_l[1],
            share_l[2],
            n=int(london["registered_places"].sum()),
            unit="proportion",
            note=f"{len(london)} London homes; bootstrap over homes (95% CI).",
            id="h6_unavailable_share_london",
        ),
        Indicator(
            "Share of other homes' registered places out of use for lack of staff",
            share_e[0],
            share_e[1],
            share_e[2],
            n=int(elsewhere["registered_places"].sum()),
            unit="proportion",
            note=f"{len(elsewhere)} homes outside London with a staffing return.",
            id="h6_unavailable_share_elsewhere",
        ),
        Indicator(
            "Staff vacancy rate, London homes",
            vac_l[0],
            vac_l[1],
            vac_l[2],
            n=len(london),
            unit="proportion",
            note="Vacant FTE / establishment FTE.",
            id="h6_vacancy_rate_london",
        ),
        Indicator(
            "Staff vacancy rate, homes outside London",
            vac_e[0],
            vac_e[1],
            vac_e[2],
            n=len(elsewhere),
            unit="proportion",
            id="h6_vacancy_rate_elsewhere",
        ),
        Indicator(
            "Rank correlation of vacancy rate with occupancy",
            rho[0],
            rho[1],
            rho[2],
            p_value=rho[3],
            n=rho[4],
            unit="Spearman rho",
            note="Across homes; negative = homes short of staff fill fewer of their places. "
            "Descriptive.",
            id="h6_vacancy_occupancy_rho",
        ),
        Indicator(
            "Odds ratio of acceptance per 10 points of vacancy rate",
            or_[0],
            or_[1],
            or_[2],
            p_value=None if vacancy_coef is None else vacancy_coef.p_value,
            n=None if vacancy_coef is None else vacancy_coef.n,
            unit="odds ratio",
            supports=None if vacancy_coef is None else part[VACANCY]["verdict"] == "Supported",
            note="Logistic regression of decided referrals (no response = not accepted), home "
            "in London held equal; SEs clustered on the home. Part of the rule.",
            id="h6_vacancy_acceptance_or",
        ),
        Indicator(
            "Share of declines citing no staff available",
            decline[0],
            decline[1],
            decline[2],
            n=decline[3],
            unit="proportion",
            note="Wilson 95% CI. Descriptive.",
            id="h6_staff_decline_share",
        ),
    ]
    if la is not None:
        own = staff[staff["home_la"] == la]
        est = unavailable_share(own, seed, alpha) if len(own) else (math.nan,) * 3
        indicators.append(
            Indicator(
                f"{la}: share of its homes' places out of use for lack of staff",
                None if math.isnan(est[0]) else est[0],
                None if math.isnan(est[1]) else est[1],
                None if math.isnan(est[2]) else est[2],
                n=int(own["registered_places"].sum()),
                unit="proportion",
                note=f"{len(own)} homes in the borough with a staffing return.",
                id="h6_unavailable_share_borough",
            )
        )
    summary = staffing_summary(share_l, share_e, gap, or_, record, verdict)
    return HypothesisResult(
        HYPOTHESIS,
        verdict,
        rules["decision_rule"],
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=summary,
        evidence=summary_settles(record),  # staffing_summary settles what evidence_summary would
    )


def points(x: float) -> str:
    """A difference of two shares (0-1) in percentage points: ``0.025`` -> ``2.5 points``."""
    return "n/a" if math.isnan(x) else f"{100 * x:.1f} points"


def staffing_summary(
    share_l: tuple[float, ...],
    share_e: tuple[float, ...],
    gap: tuple[float, float, float],
    or_: tuple[float, ...],
    record: dict[str, Any],
    verdict: str,
) -> str:
    """The chapter's plain sentences: each part's estimate, interval, smallest effect and
    verdict, and the combined verdict (both parts are needed)."""
    part = {p["name"]: p for p in record["parts"]}
    g = part[GAP]
    text = (
        f"{fmt_pct(share_l[0])} of London homes' registered places were out of use for lack of "
        f"staff against {fmt_pct(share_e[0])} elsewhere: a gap of {points(gap[0])} "
        f"(95% interval {points(gap[1])} to {points(gap[2])}; the smallest gap that would "
        f"matter is {points(g['smallest_effect'])}): "
        f"{g['verdict'].lower()}. "
    )
    v = part[VACANCY]
    if math.isnan(or_[0]):
        text += "Acceptance by vacancy rate could not be estimated. "
    else:
        text += (
            f"Each 10 points of a home's staff vacancy rate multiplies the odds that it accepts "
            f"a referral by {or_[0]:.2f} (95% interval {or_[1]:.2f} to {or_[2]:.2f}; the "
            f"smallest effect that would matter is {math.exp(-v['smallest_effect']):.2f}): "
            f"{v['verdict'].lower()}. "
        )
    text += f"Both are needed. Verdict: {verdict.lower()}."
    for p in filter(states_settle, record["parts"]):
        what = "homes" if p["name"] == GAP else "referrals"
        text += (
            f" About {p['data_factor']:.1f} times as many {what} would settle "
            f"{WORDS[p['name']]}, if the estimate held."
        )
    return text


# --- tables for the notebook's figures ---------------------------------------------------


def places_table(
    staff: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None, seed: int = 0
) -> pd.DataFrame:
    """Places out of use for lack of staff and vacancy rate by area, with bootstrap CIs.

    Always London homes and homes outside London; each further scope (a borough's behaviour
    group, the borough) selects the homes located in its boroughs.
    """
    areas = [
        ("London homes", staff[staff["home_in_london"] == 1]),
        ("Homes outside London", staff[staff["home_in_london"] == 0]),
    ]
    for scope, members in (scopes or [])[1:]:
        areas.append((f"Homes in {scope}", staff[staff["home_la"].isin(members)]))
    rows = []
    for area, sub in areas:
        if sub.empty:
            continue
        share = unavailable_share(sub, seed)
        vac = vacancy_rate(sub, seed)
        rows.append(
            {
                "area": area,
                "homes": len(sub),
                "registered_places": int(sub["registered_places"].sum()),
                "places_unavailable_staffing": int(sub["places_unavailable_staffing"].sum()),
                "unavailable_share": share[0],
                "unavailable_ci_low": share[1],
                "unavailable_ci_high": share[2],
                "vacancy_rate": vac[0],
                "vacancy_ci_low": vac[1],
                "vacancy_ci_high": vac[2],
            }
        )
    return pd.DataFrame(rows)


def acceptance_by_vacancy_band(refs: pd.DataFrame, bands: list[float]) -> pd.DataFrame:
    """Acceptance rate of referrals by the home's vacancy-rate band, with Wilson CIs."""
    ok = refs.dropna(subset=["vacancy_10pp"])
    cut = pd.cut(ok["vacancy_10pp"] / 10, bins=bands, include_lowest=True, right=False)
    rows = []
    for band, g in ok.groupby(cut, observed=True):
        acc, n = int(g["accepted"].sum()), len(g)
        _, low, high = wilson_ci(acc, n)
        rows.append(
            {
                "vacancy_band": f"{band.left:.0%} to {band.right:.0%}",
                "referrals": n,
                "accepted": acc,
                "acceptance_rate": acc / n,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(rows)


def places_figure(
    staff: pd.DataFrame, scopes: list[tuple[str, list[str]]] | None = None, seed: int = 0
) -> FigureSpec:
    """Share of places out of use for lack of staff and staff vacancy rate, by area."""
    table = places_table(staff, scopes, seed)
    long = pd.concat(
        [
            table.assign(
                measure="Places out of use for lack of staff",
                estimate=table["unavailable_share"],
                low=table["unavailable_ci_low"],
                high=table["unavailable_ci_high"],
            ),
            table.assign(
                measure="Staff vacancy rate (FTE)",
                estimate=table["vacancy_rate"],
                low=table["vacancy_ci_low"],
                high=table["vacancy_ci_high"],
            ),
        ]
    )
    fig = interval_chart(
        long,
        label="area",
        estimate="estimate",
        low="low",
        high="high",
        series="measure",
        xlabel="Share (95% confidence interval, bootstrap over homes)",
    )
    first = table.iloc[0]
    alt = (
        "Dot chart of the share of registered places out of use for lack of staff and the staff "
        f"vacancy rate by area. In London homes {fmt_pct(first['unavailable_share'])} of places "
        f"were out of use for lack of staff and {fmt_pct(first['vacancy_rate'])} of staff posts "
        "were vacant."
    )
    return FigureSpec(
        "h6_places_unavailable",
        fig,
        "Places out of use for lack of staff, and staff vacancy rates, by area",
        alt,
        table,
    )


def vacancy_acceptance_figure(refs: pd.DataFrame, bands: list[float]) -> FigureSpec:
    """Acceptance rate of referrals by the home's staff vacancy-rate band (Wilson CIs)."""
    table = acceptance_by_vacancy_band(refs, bands)
    counts = ("referrals", "accepted")
    derived = {"acceptance_rate": "accepted", "ci_low": "accepted", "ci_high": "accepted"}
    fig = interval_chart(
        as_published(table, counts, derived),
        label="vacancy_band",
        estimate="acceptance_rate",
        low="ci_low",
        high="ci_high",
        xlabel="Share of referrals accepted (95% confidence interval)",
    )
    fig.axes[0].set_ylabel("Home's staff vacancy rate")
    if len(table):
        lo, hi = table.iloc[0], table.iloc[-1]
        trend = (
            f"from {fmt_pct(lo['acceptance_rate'])} in homes with vacancy rate "
            f"{lo['vacancy_band']} to {fmt_pct(hi['acceptance_rate'])} in homes with "
            f"{hi['vacancy_band']}"
        )
    else:
        trend = "no referral could be linked to a home's staffing"
    alt = f"Dot chart of the share of referrals accepted by the home's staff vacancy rate: {trend}."
    return FigureSpec(
        "h6_vacancy_acceptance",
        fig,
        "Acceptance of referrals by the home's staff vacancy rate",
        alt,
        table,
        child_counts=counts,
        derived_from=derived,
    )


def coverage(ds: Dataset, year: int, rules: dict[str, Any]) -> pd.DataFrame:
    """What the staffing test can see: London homes, with a staffing return, linked referrals."""
    homes = ds.table("homes")
    london_homes = int(homes["in_london"].astype(bool).sum())
    if not ds.has("home_staffing"):
        return pd.DataFrame([coverage_row("London homes with a staffing return", 0, london_homes)])
    staff = staffing_frame(ds, year)
    rows = [
        coverage_row(
            "London homes with a staffing return", int(staff["home_in_london"].sum()), london_homes
        ),
        coverage_row(
            "homes outside London with a staffing return", int((staff["home_in_london"] == 0).sum())
        ),
    ]
    if ds.has("referrals"):
        refs = referral_staffing_frame(ds, year, staff, rules)
        rows.append(
            coverage_row(
                "answered referrals to a home with a staffing return",
                int(refs["vacancy_10pp"].notna().sum()),
                len(refs),
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
    seed: int = 0,
    **_: Any,
) -> list[FigureSpec]:
    """The chapter's figures, in the order it shows them: places out of use and vacancy rates
    by area (when there are staffing returns) and acceptance by the home's vacancy rate (when
    referrals reach a home with a staffing return)."""
    specs = []
    staff = staffing_frame(ds, year) if ds.has("home_staffing") else None
    refs = (
        referral_staffing_frame(ds, year, staff, rules)
        if staff is not None and ds.has("referrals")
        else None
    )
    if staff is not None and len(staff):
        specs.append(places_figure(staff, scopes, seed))
    if refs is not None and refs["vacancy_10pp"].notna().any():
        specs.append(vacancy_acceptance_figure(refs, rules["vacancy_bands"]))
    return specs


def tables(
    ds: Dataset, year: int, rules: dict[str, Any], result: HypothesisResult, **_: Any
) -> list[tuple[str, pd.DataFrame]]:
    """The chapter's tables (shown, not published): what the staffing test can see."""
    return coverage_table(
        "Coverage: the homes with a staffing return and the referrals that reach them.",
        coverage(ds, year, rules),
    )
