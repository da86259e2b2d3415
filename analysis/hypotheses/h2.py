"""Hypothesis 2: the quality of provision does not meet the requirements of placing authorities.

Evidence:

1. the Ofsted grade mix of London's children's homes vs the out-of-London homes London
   boroughs' children live in on the snapshot date (each home counted once): shares good or
   better with Newcombe CIs, a chi-square test of the grade mix, and Cliff's delta of the
   ordinal grade with the Mann-Whitney test;
2. the same against all children's homes in England when the public Ofsted file is available
   (context only);
3. whether London boroughs use better-graded London homes more: Spearman correlation between a
   London home's grade and the share of its places occupied by London boroughs' children, with a
   bootstrap CI.

Caveats: a grade is one inspection's judgement at one date; homes not yet inspected are left
out; occupancy at one date is a noisy measure of use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import stats
from analysis.charts import interval_chart
from analysis.dataset import Dataset
from analysis.hypotheses.evidence import two_part_verdict
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.snapshot import k2_placements
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 2
GOOD_OR_BETTER = ("Outstanding", "Good")


def graded_homes(ds: Dataset, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Homes with a known grade: adds ``grade_score`` (from ``rules['grade_scores']``); homes not
    yet inspected are dropped; restricted to ``rules['active_statuses']``."""
    homes = ds.table("homes").copy()
    statuses = rules.get("active_statuses") or []
    if statuses and "registration_status" in homes.columns:
        homes = homes[homes["registration_status"].isin(statuses)]
    scores = rules["grade_scores"]
    homes["grade"] = homes["grade"].fillna("").astype(str).str.strip()
    homes["grade_score"] = homes["grade"].map(scores)
    homes["urn"] = homes["urn"].astype(str)
    return homes[homes["grade_score"].notna()].reset_index(drop=True)


@london_level
def homes_compared(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Graded London homes and graded out-of-London homes with a London child on the snapshot
    date, one row per home, with ``group`` = ``London homes`` / ``Out-of-London homes used``."""
    homes = graded_homes(ds, rules)
    placements = k2_placements(ds, year)
    used_outside = set(placements.loc[placements["outside_london"], "URN"].astype(str))
    london = homes[homes["in_london"].astype(bool)].assign(group="London homes")
    outside = homes[~homes["in_london"].astype(bool) & homes["urn"].isin(used_outside)].assign(
        group="Out-of-London homes used"
    )
    return pd.concat([london, outside], ignore_index=True)


def grade_mix_table(
    compared: pd.DataFrame, rules: Mapping[str, Any], england: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Homes by group and grade: ``group, grade, homes, share`` (shares within group), grades in
    the order of ``rules['grade_scores']``; England's mix appended when given."""
    frames = [compared[["group", "grade"]]]
    if england is not None and not england.empty:
        frames.append(england[["grade"]].assign(group="England children's homes"))
    both = pd.concat(frames, ignore_index=True)
    grades = list(rules["grade_scores"])
    counts = (
        both.groupby(["group", "grade"]).size().unstack(fill_value=0).reindex(columns=grades)
    ).fillna(0)
    long = counts.stack().rename("homes").reset_index()
    long["share"] = long["homes"] / long.groupby("group")["homes"].transform("sum")
    long["grade"] = pd.Categorical(long["grade"], categories=grades, ordered=True)
    return long.sort_values(["group", "grade"]).reset_index(drop=True)


def good_or_better(df: pd.DataFrame) -> tuple[int, int]:
    """(homes graded Good or Outstanding, graded homes)."""
    return int(df["grade"].isin(GOOD_OR_BETTER).sum()), len(df)


def england_homes(public_data_dir: str | Path | None, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Graded children's homes in England from the public Ofsted provider-level file, or an
    empty frame when the folder or file is absent. Columns ``urn, grade, grade_score``."""
    if not public_data_dir:
        return pd.DataFrame()
    path = Path(public_data_dir) / rules.get("public_homes_file", "")
    if not path.is_file():
        return pd.DataFrame()
    raw = pd.read_csv(path, dtype=str, encoding_errors="replace")
    raw.columns = [c.strip() for c in raw.columns]
    types = rules.get("england_provision_types") or []
    if types:
        wanted = {t.casefold() for t in types}
        raw = raw[raw["Provision type"].fillna("").str.strip().str.casefold().isin(wanted)]
    statuses = rules.get("active_statuses") or []
    if statuses and "Registration status" in raw.columns:
        raw = raw[raw["Registration status"].isin(statuses)]
    out = pd.DataFrame(
        {
            "urn": raw["URN"].astype(str),
            "grade": raw["Overall experiences and progress of children and young people"]
            .fillna("")
            .str.strip(),
        }
    )
    out["grade_score"] = out["grade"].map(rules["grade_scores"])
    return out[out["grade_score"].notna()].reset_index(drop=True)


def england_from_homes(ds: Dataset, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Graded children's homes in England from the dataset's own ``homes`` table when it is
    Ofsted's England-wide file (homes in at least ``rules['england_min_las']`` English LAs),
    else an empty frame. Columns ``urn, grade, grade_score``; the same provision types and
    statuses as :func:`england_homes`. Caveat: "England" is what the file covers on its date."""
    if not ds.has("homes") or "la_ons_code" not in ds.table("homes"):
        return pd.DataFrame()
    if ds.table("homes")["la_ons_code"].nunique() < int(rules.get("england_min_las", 100)):
        return pd.DataFrame()
    homes = graded_homes(ds, rules)
    types = {t.casefold() for t in rules.get("england_provision_types") or []}
    if types and "provision_type" in homes.columns:
        homes = homes[homes["provision_type"].fillna("").str.casefold().isin(types)]
    return homes[["urn", "grade", "grade_score"]].reset_index(drop=True)


@london_level
def london_home_use(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Per graded London home: ``places``, ``london_children`` (London boroughs' children living
    there on the snapshot date, K2), ``share_by_london`` (capped at 1) and ``grade_score``."""
    homes = graded_homes(ds, rules)
    homes = homes[homes["in_london"].astype(bool)].copy()
    placements = k2_placements(ds, year)
    counts = placements["URN"].astype(str).value_counts()
    homes["places"] = pd.to_numeric(homes["places"], errors="coerce")
    homes["london_children"] = homes["urn"].map(counts).fillna(0).astype(int)
    homes = homes[homes["places"] > 0]
    homes["share_by_london"] = (homes["london_children"] / homes["places"]).clip(upper=1.0)
    return homes[["urn", "grade", "grade_score", "places", "london_children", "share_by_london"]]


def evaluate(
    ds: Dataset,
    year: int,
    rules: Mapping[str, Any],
    *,
    la: str | None = None,
    seed: int = 0,
    public_data_dir: str | Path | None = None,
) -> HypothesisResult:
    """The whole test of hypothesis 2 (no figures). ``public_data_dir`` adds the England context."""
    alpha = float(rules.get("alpha", 0.05))
    n_boot = int(rules.get("bootstrap", 200))
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "An Ofsted grade is one inspection's judgement at one date; homes not yet inspected are "
        "left out.",
        "Occupancy by London children on one date is a noisy measure of how much boroughs use a "
        "home; homes also take children from outside London.",
    ]
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)

    compared = homes_compared(ds, year, rules)
    london = compared[compared["group"] == "London homes"]
    outside = compared[compared["group"] == "Out-of-London homes used"]
    grade_supports: bool | None = None
    if len(london) < 5 or len(outside) < 5:
        insufficient.append("grade mix: fewer than 5 graded homes in a group")
    else:
        k_out, n_out = good_or_better(outside)
        k_lon, n_lon = good_or_better(london)
        diff = stats.difference_in_proportions(k_out, n_out, k_lon, n_lon, alpha)
        for name, key, k, n in (
            ("London homes", "h2_good_share_london_homes", k_lon, n_lon),
            (
                "Out-of-London homes used by London children",
                "h2_good_share_used_outside",
                k_out,
                n_out,
            ),
        ):
            p, lo, hi = stats.wilson_ci(k, n, alpha)
            indicators.append(
                Indicator(
                    f"Share good or outstanding: {name}", p, lo, hi, n=n, unit="proportion", id=key
                )
            )
        indicators.append(
            Indicator(
                "Difference in share good or outstanding (out-of-London used - London)",
                diff.difference,
                diff.ci_low,
                diff.ci_high,
                n=n_out + n_lon,
                unit="proportion points",
            )
        )
        table = pd.crosstab(compared["group"], compared["grade"])
        chi2, dof, p_chi = stats.chi_square_independence(table)
        indicators.append(
            Indicator(
                "Chi-square test of grade mix (London vs out-of-London homes used)",
                chi2,
                p_value=p_chi,
                n=len(compared),
                unit=f"chi-square, {dof} df",
            )
        )
        delta = stats.cliffs_delta(outside["grade_score"], london["grade_score"], alpha)
        p_one = stats.one_sided_p(delta.p_value, delta.estimate)
        grade_supports = bool(delta.estimate > 0 and p_one < alpha)
        indicators.append(
            Indicator(
                "Cliff's delta of grade, out-of-London homes used vs London homes",
                delta.estimate,
                delta.ci_low,
                delta.ci_high,
                p_value=p_one,
                n=delta.n,
                unit="Cliff's delta",
                supports=grade_supports,
                note="> 0: homes used outside London are better graded; one-sided Mann-Whitney",
            )
        )
        england = england_homes(public_data_dir, rules)
        if england.empty:
            england = england_from_homes(ds, rules)
        if england.empty:
            insufficient.append(
                "England comparison: no England-wide Ofsted file (public data or homes)"
            )
        else:
            k_en, n_en = good_or_better(england)
            d_en = stats.difference_in_proportions(k_lon, n_lon, k_en, n_en, alpha)
            indicators.append(
                Indicator(
                    "Difference in share good or outstanding (London homes - England, public data)",
                    d_en.difference,
                    d_en.ci_low,
                    d_en.ci_high,
                    n=n_lon + n_en,
                    unit="proportion points",
                )
            )

    use = london_home_use(ds, year, rules)
    use_supports: bool | None = None
    if len(use) < 8 or use["grade_score"].nunique() < 2:
        insufficient.append("use by grade: fewer than 8 graded London homes or one grade only")
    else:
        rho = stats.spearman_bootstrap(
            use["grade_score"], use["share_by_london"], n_boot=n_boot, seed=seed, alpha=alpha
        )
        if not math.isnan(rho.estimate):
            p_one = stats.one_sided_p(rho.p_value, rho.estimate)
            use_supports = bool(rho.estimate > 0 and p_one < alpha)
            indicators.append(
                Indicator(
                    "Spearman correlation: London home's grade vs share of its places used by "
                    "London boroughs",
                    rho.estimate,
                    rho.ci_low,
                    rho.ci_high,
                    p_value=p_one,
                    n=rho.n,
                    unit="rho",
                    supports=use_supports,
                    note="bootstrap CI; one-sided p (rho > 0)",
                )
            )
        else:
            insufficient.append("use by grade: no variation in use")

    if la is not None:
        placements = k2_placements(ds, year)
        mine = placements[placements["LA"] == la]
        homes = graded_homes(ds, rules).set_index("urn")
        for label, key, mask in (
            ("in London", "h2_good_share_borough_in_london", ~mine["outside_london"]),
            ("outside London", "h2_good_share_borough_outside", mine["outside_london"]),
        ):
            g = mine.loc[mask, "URN"].astype(str).map(homes["grade"]).dropna()
            k, n = int(g.isin(GOOD_OR_BETTER).sum()), len(g)
            p, lo, hi = stats.wilson_ci(k, n, alpha)
            indicators.append(
                Indicator(
                    f"{la}: share of its children {label} in good or outstanding homes",
                    p if n else None,
                    lo if n else None,
                    hi if n else None,
                    n=n,
                    unit="proportion",
                    id=key,
                )
            )

    verdict = two_part_verdict(grade_supports, use_supports)
    return HypothesisResult(
        hypothesis=HYPOTHESIS,
        verdict=verdict,
        decision_rule=str(rules.get("decision_rule", "")).strip(),
        indicators=indicators,
        fieldwork=fieldwork,
        caveats=caveats,
        insufficient=insufficient,
        summary=_summary(verdict, grade_supports, use_supports),
    )


def _summary(verdict: str, grade: bool | None, use: bool | None) -> str:
    parts = []
    if grade is not None:
        parts.append(
            "the out-of-London homes London children live in are better graded than London's"
            if grade
            else "London's homes are graded no worse than the out-of-London homes used"
        )
    if use is not None:
        parts.append(
            "boroughs use better-graded London homes more"
            if use
            else "boroughs' use of a London home is not clearly related to its grade"
        )
    if not parts:
        return "The data needed to test this hypothesis is not available."
    return f"{verdict}: " + "; ".join(parts) + "."


# --- notebook tables and figures -------------------------------------------------------------


def good_or_better_table(
    compared: pd.DataFrame, england: pd.DataFrame | None, alpha: float = 0.05
) -> pd.DataFrame:
    """Share of homes graded good or outstanding by group (Wilson CI); England when given."""
    groups = [(g, compared[compared["group"] == g]) for g in compared["group"].unique()]
    if england is not None and not england.empty:
        groups.append(("England children's homes", england))
    rows = []
    for label, df in groups:
        k, n = good_or_better(df)
        p, lo, hi = stats.wilson_ci(k, n, alpha)
        rows.append(
            {
                "group": label,
                "homes": n,
                "good_or_better": k,
                "share": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows)


def grade_mix_figure(table: pd.DataFrame):
    """Share of homes good or outstanding by group, with 95% CIs."""
    fig = interval_chart(
        table,
        label="group",
        estimate="share",
        low="ci_low",
        high="ci_high",
        xlabel="Homes graded good or outstanding",
    )
    desc = "; ".join(f"{r['group']} {100 * r['share']:.0f}%" for _, r in table.iterrows())
    return FigureSpec(
        "h2_grade_mix",
        fig,
        "Children's homes graded good or outstanding (95% CI)",
        f"Chart comparing the share of children's homes graded good or outstanding: {desc}.",
        table,
    )


def use_by_grade_table(use: pd.DataFrame, rules: Mapping[str, Any], alpha: float = 0.05):
    """Per grade: London homes, places, London children in them, share of places (Wilson CI)."""
    rows = []
    for grade in rules["grade_scores"]:
        g = use[use["grade"] == grade]
        places, kids = int(g["places"].sum()), int(g["london_children"].sum())
        p, lo, hi = stats.wilson_ci(min(kids, places), places, alpha)
        rows.append(
            {
                "grade": grade,
                "homes": len(g),
                "places": places,
                "london_children": kids,
                "share": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pd.DataFrame(rows)


def use_by_grade_figure(table: pd.DataFrame):
    """Share of London homes' places used by London children, by grade (95% CI)."""
    counts = ("london_children",)
    derived = {
        "share": "london_children",
        "ci_low": "london_children",
        "ci_high": "london_children",
    }
    shown = as_published(table, counts, derived)
    fig = interval_chart(
        shown,
        label="grade",
        estimate="share",
        low="ci_low",
        high="ci_high",
        xlabel="Places in London homes occupied by London boroughs' children",
    )
    return FigureSpec(
        "h2_use_by_grade",
        fig,
        "Use of London homes by London boroughs, by Ofsted grade (95% CI)",
        "Chart of the share of London children's homes' places occupied by London boroughs' "
        "children, for each Ofsted grade, to show whether boroughs use better-graded homes more.",
        table,
        counts,
        derived,
    )
