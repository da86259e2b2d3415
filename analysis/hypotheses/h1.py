"""Hypothesis 1: available provision does not match the needs of the children requiring placements.

Two parts, judged by the common evidence rule (:func:`analysis.hypotheses.evidence.evidence_verdict`,
parts declared in ``config/decision_rules/h1.yaml``; both needed). The hypothesis is about
MISMATCH, not quantity: its rival - too few free places in London whatever their registration -
must not count for it.

1. **needs** - among London boroughs' children in children's homes (K2) on the snapshot date,
   the log odds ratio of living outside London per hard-to-place need (borough fixed effects;
   adjusted for age, sex and legal status from the SSDA903 and for criminal exploitation, which
   is H5's high-risk trait and not counted here);
2. **registration mismatch at equal quantity** - the children whose placement outside London
   started in the year are matched (maximum flow) to places in the registration mix of London's
   free places and to places in the mix of the homes outside London, each time with as many
   places as children; the estimate is the second share minus the first (bootstrap interval).

The shares London's free places could take at their real number, with and without registration
categories, are context (they are mostly quantity). Standardised differences of each need are
shown too.

Caveats: associations on observational data; exploitation, solo placement and deprivation of
liberty are not registration categories (any EBD home counts as meeting them); the benchmark is
England's register only when ``homes`` is Ofsted's England-wide file, else the out-of-London homes
London children live in (chosen for them: a bias towards finding a mismatch).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from analysis import stats
from analysis.charts import interval_chart, lazy_figure
from analysis.dataset import Dataset
from analysis.hypotheses.covariates import child_covariates
from analysis.hypotheses.evidence import (
    Estimate,
    evidence_summary,
    evidence_verdict,
    mark_supports,
    share_indicator,
    summary_settles,
)
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
    children: pd.DataFrame,
    homes: pd.DataFrame,
    compatibility: Mapping[str, Any],
    child_weight: int = 1,
) -> tuple[int, pd.Series]:
    """Maximum number of ``children`` that ``homes``' free places could take, respecting
    registration categories (a bipartite b-matching solved as a max flow over need profiles
    and home category sets, which is exact because compatibility depends only on them).

    Returns ``(matched, compatible_any)`` where ``compatible_any`` flags, per child, whether at
    least one London home with a free place is registered for their needs. ``child_weight``
    counts each child that many times (for matchings at equal quantity). A column
    ``requirements`` (from :func:`child_requirements`), when present, is used as it is.
    """
    if "requirements" in children.columns:
        reqs = children["requirements"]
    else:
        reqs = children.apply(lambda r: child_requirements(r, compatibility), axis=1)
    if len(children) == 0:
        return 0, pd.Series(dtype=bool)
    child_types = reqs.value_counts()
    home_types = homes.groupby("categories")["free_places"].sum() if len(homes) else pd.Series()
    g = nx.DiGraph()
    for i, (req, count) in enumerate(child_types.items()):
        g.add_edge("s", ("c", i), capacity=int(count) * child_weight)
        for j, cats in enumerate(home_types.index):
            if home_meets(cats, req):
                g.add_edge(("c", i), ("h", j), capacity=int(count) * child_weight)
    for j, (_, places) in enumerate(home_types.items()):
        g.add_edge(("h", j), "t", capacity=int(places))
    matched = 0
    if "t" in g and "s" in g:
        matched = int(nx.maximum_flow_value(g, "s", "t"))
    any_ok = {req: any(home_meets(c, req) for c in home_types.index) for req in child_types.index}
    return matched, reqs.map(any_ok).astype(bool)


# --- part (a): needs and location --------------------------------------------------------------


def needs_effect(
    df: pd.DataFrame, rules: Mapping[str, Any], alpha: float
) -> tuple[stats.LogitFit, pd.Series]:
    """Borough fixed-effects logistic regression of ``outside`` on ``hard_to_place_count``,
    adjusted for the child covariates and needs in ``rules['adjust_for']`` (age, sex, legal
    status; criminal exploitation, which is H5's and not counted as hard to place here).
    Returns the fit and its row for the count (log odds ratio per hard-to-place need)."""
    adjust = [c for c in rules.get("adjust_for", []) if c in df.columns and df[c].notna().any()]
    data = df.dropna(subset=adjust)
    fit = stats.logit_fixed_effects(
        data, "outside", ["hard_to_place_count", *adjust], "LA", alpha=alpha
    )
    if "hard_to_place_count" not in fit.coefficients.index:
        return fit, pd.Series(dtype=float)
    return fit, fit.coefficients.loc["hard_to_place_count"]


# --- part (b): mismatch at equal quantity --------------------------------------------------------


def placements_started_in_year(df: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of ``df`` whose current placement (``DECOM``) started in the year ending on
    31 March ``year`` - the flow of placements, not the stock."""
    start = pd.to_datetime(df["DECOM"], errors="coerce", dayfirst=True)
    lo, hi = pd.Timestamp(year - 1, 3, 31), pd.Timestamp(year, 3, 31)
    return df[(start > lo) & (start <= hi)]


def register_places(ds: Dataset, rules: Mapping[str, Any], *, london: bool) -> pd.DataFrame:
    """Homes of the register with their registered places and categories: ``urn, places,
    categories`` - London's (``london``) or the homes outside London that the ``homes`` table
    lists (England's register when it is Ofsted's England-wide file, else the out-of-London
    homes London children live in: a biased benchmark, see the caveat). Active homes only;
    homes with no registration row are left out (their categories are unknown)."""
    homes = ds.table("homes")
    homes = homes[homes["in_london"].astype(bool) == london]
    statuses = rules.get("active_statuses") or []
    if statuses and "registration_status" in homes.columns:
        homes = homes[homes["registration_status"].isin(statuses)]
    regs = with_urn(ds.table("home_registrations"))
    cats = regs.groupby("URN")["category"].agg(lambda s: frozenset(s.astype(str)))
    out = pd.DataFrame(
        {
            "urn": homes["urn"].astype(str).str.strip().to_numpy(),
            "places": pd.to_numeric(homes["places"], errors="coerce").fillna(0).to_numpy(),
        }
    )
    out["categories"] = out["urn"].map(cats)
    out = out[out["categories"].notna() & (out["places"] > 0)]
    out["places"] = out["places"].astype(int)
    return out.reset_index(drop=True)


def type_max_flow(
    child_counts: np.ndarray, home_capacity: np.ndarray, compatible: np.ndarray
) -> int:
    """Maximum number of children placed when ``child_counts[r]`` children of need type ``r``
    may go to homes of category type ``j`` with ``home_capacity[j]`` places where
    ``compatible[r, j]`` (a bipartite b-matching as a max flow; exact, integers)."""
    g = nx.DiGraph()
    g.add_node("s")
    g.add_node("t")
    for r, count in enumerate(child_counts):
        if count <= 0:
            continue
        g.add_edge("s", ("c", r), capacity=int(count))
        for j in np.flatnonzero(compatible[r]):
            if home_capacity[j] > 0:
                g.add_edge(("c", r), ("h", int(j)), capacity=int(count))
    for j, cap in enumerate(home_capacity):
        if cap > 0:
            g.add_edge(("h", j), "t", capacity=int(cap))
    return int(nx.maximum_flow_value(g, "s", "t"))


def _equal_quantity(
    child_counts: np.ndarray, home_capacity: np.ndarray, compatible: np.ndarray
) -> float:
    """:func:`equal_quantity_share` on type counts: each place weighted by the number of
    children and each child by the number of places (integers), matched / (children x places)."""
    n, total = int(child_counts.sum()), int(home_capacity.sum())
    if n == 0 or total == 0:
        return math.nan
    matched = type_max_flow(child_counts * total, home_capacity * n, compatible)
    return matched / (n * total)


def _types(
    children: pd.DataFrame, homes: pd.DataFrame, compatibility: Mapping[str, Any]
) -> tuple[np.ndarray, list[frozenset], np.ndarray, list[frozenset]]:
    """Need-type codes of ``children`` and category-type codes of ``homes`` with their
    unique values."""
    reqs = children.apply(lambda r: child_requirements(r, compatibility), axis=1)
    c_codes, c_uni = pd.factorize(reqs) if len(children) else (np.array([], int), [])
    h_codes, h_uni = pd.factorize(homes["categories"]) if len(homes) else (np.array([], int), [])
    return np.asarray(c_codes), list(c_uni), np.asarray(h_codes), list(h_uni)


def _compatible(reqs: list[frozenset], cats: list[frozenset]) -> np.ndarray:
    """``[r, j]``: a home of category set ``cats[j]`` meets requirements ``reqs[r]``."""
    return np.array([[home_meets(c, r) for c in cats] for r in reqs], dtype=bool).reshape(
        len(reqs), len(cats)
    )


def equal_quantity_share(
    children: pd.DataFrame, capacity: pd.DataFrame, compatibility: Mapping[str, Any], col: str
) -> float:
    """The share of ``children`` that places with ``capacity``'s registration mix could take
    if there were exactly as many places as children: a maximum matching in which each home's
    capacity is its share of all places (column ``col``) times the number of children (exact
    in integers: every child counted once per place, every place once per child). 1.0 when the
    mix fits every child; quantity cannot move it, only how registrations fit needs. NaN when
    there are no children or no places."""
    c_codes, reqs, h_codes, cats = _types(children, capacity, compatibility)
    counts = np.bincount(c_codes, minlength=len(reqs)) if len(reqs) else np.zeros(0, int)
    caps = (
        np.bincount(
            h_codes, weights=capacity[col].astype(float).to_numpy(), minlength=len(cats)
        ).astype(int)
        if len(cats)
        else np.zeros(0, int)
    )
    return _equal_quantity(counts, caps, _compatible(reqs, cats))


@london_level
def mismatch_estimate(
    children: pd.DataFrame,
    london: pd.DataFrame,
    benchmark: pd.DataFrame,
    compatibility: Mapping[str, Any],
    *,
    n_boot: int,
    seed: int,
    alpha: float = 0.05,
) -> tuple[float, float, float, float, float]:
    """The mismatch part: ``share_benchmark - share_london``, each the
    :func:`equal_quantity_share` of the children placed outside London against London's free
    places (``free_places``) and against the benchmark register (``places``). With quantity
    taken out, what is left is how much worse the registrations of London's free places fit
    these children than the benchmark's. Percentile bootstrap interval (``n_boot`` resamples
    of children, London homes and benchmark homes). Returns ``(estimate, low, high,
    share_london, share_benchmark)``; NaN where a share cannot be computed."""
    s_lon = equal_quantity_share(children, london, compatibility, "free_places")
    s_ben = equal_quantity_share(children, benchmark, compatibility, "places")
    est = s_ben - s_lon
    if not math.isfinite(est) or n_boot <= 0:
        return est, math.nan, math.nan, s_lon, s_ben
    c_codes, reqs, _, _ = _types(children, london.iloc[:0], compatibility)
    _, _, l_codes, l_cats = _types(children.iloc[:0], london, compatibility)
    _, _, b_codes, b_cats = _types(children.iloc[:0], benchmark, compatibility)
    m_lon, m_ben = _compatible(reqs, l_cats), _compatible(reqs, b_cats)
    l_places = london["free_places"].astype(int).to_numpy()
    b_places = benchmark["places"].astype(int).to_numpy()
    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(n_boot):
        ci = rng.integers(0, len(c_codes), len(c_codes))
        li = rng.integers(0, len(l_codes), len(l_codes))
        bi = rng.integers(0, len(b_codes), len(b_codes))
        counts = np.bincount(c_codes[ci], minlength=len(reqs))
        cap_l = np.bincount(l_codes[li], weights=l_places[li], minlength=len(l_cats))
        cap_b = np.bincount(b_codes[bi], weights=b_places[bi], minlength=len(b_cats))
        a = _equal_quantity(counts, cap_l.astype(int), m_lon)
        b = _equal_quantity(counts, cap_b.astype(int), m_ben)
        if math.isfinite(a) and math.isfinite(b):
            reps.append(b - a)
    if len(reps) < 10:
        return est, math.nan, math.nan, s_lon, s_ben
    low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return est, float(low), float(high), s_lon, s_ben


def evaluate(
    ds: Dataset, year: int, rules: Mapping[str, Any], *, la: str | None = None, seed: int = 0
) -> HypothesisResult:
    """The whole test of hypothesis 1 (no figures): the two parts declared in the rules'
    ``evidence`` block, judged by the common evidence rule. See the module docstring."""
    alpha = float(rules.get("alpha", 0.05))
    hard = list(rules.get("hard_to_place_needs", []))
    compared = list(rules.get("needs_compared", hard))
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "Associations in observational data: children placed outside London may differ in ways "
        "the needs fields and the SSDA903 covariates (age, sex, legal status) do not record.",
        "The mismatch is measured at equal quantity (as many places as children, in the "
        "registration mix of London's free places and of the benchmark homes), so the shortage "
        "of places does not enter it; the matching ignores where in London a home is and who "
        "already lives there.",
        "Exploitation, solo placement and deprivation of liberty are not Ofsted registration "
        "categories: the register cannot say whether a home can meet them, so the matching "
        "counts any home registered for emotional and behavioural difficulties as meeting them "
        "(criminal exploitation is H5's risk, adjusted for here but not counted as a "
        "hard-to-place need).",
        "Vacancies over the year are not in the data (the staffing return is one day): the "
        "children are those whose placement outside London started in the year (the flow), the "
        "places those free on 31 March; at equal quantity only their mixes matter.",
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
    estimates: dict[str, Estimate] = {
        "needs_outside_london": Estimate(None, None, None),
        "registration_mismatch": Estimate(None, None, None),
    }

    df = pd.DataFrame()
    if not ds.has("needs"):
        insufficient.append("needs: the needs table is absent, so needs cannot be compared")
    else:
        covered, total = needs_coverage(ds, year)
        indicators.append(
            share_indicator("Needs-record coverage of placements", covered, total, alpha)
        )
        df = add_hard_to_place_count(placements_with_needs(ds, year, compared), hard)
        df = child_covariates(ds, year, df)
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
        fit, coef = needs_effect(df, rules, alpha)
        if coef.empty or not math.isfinite(float(coef["se"])):
            insufficient.append("needs model: no variation in outcome or hard-to-place needs")
        else:
            estimates["needs_outside_london"] = Estimate(
                float(coef["coef"]),
                float(coef["ci_low"]),
                float(coef["ci_high"]),
                fit.n,
                "children",
            )
            indicators.append(
                Indicator(
                    "Adjusted odds ratio of a placement outside London per hard-to-place need",
                    float(coef["odds_ratio"]),
                    float(coef["or_ci_low"]),
                    float(coef["or_ci_high"]),
                    p_value=float(coef["p_value"]),
                    n=fit.n,
                    unit="odds ratio",
                    note="borough fixed effects; adjusted for age, sex, legal status and "
                    "criminal exploitation; two-sided",
                    id="h1_needs_or",
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
            "mismatch: " + " and ".join(missing) + " absent, so London capacity cannot be "
            "matched to children's needs"
        )
    elif df.empty:
        insufficient.append("mismatch: needs are required to match children to homes")
    else:
        compat = rules.get("compatibility", {})
        homes = london_free_places(ds, rules)
        outside_all = df[df["outside"] == 1]
        outside = placements_started_in_year(outside_all, year)
        if len(outside) < int(rules.get("min_flow_children", 30)):
            caveats.append(
                "Too few placements outside London started in the year: the mismatch uses all "
                "children placed outside London on 31 March (the stock)."
            )
            outside = outside_all
        benchmark = register_places(ds, rules, london=False)
        est, lo, hi, s_lon, s_ben = mismatch_estimate(
            outside,
            homes,
            benchmark,
            compat,
            n_boot=int(rules.get("bootstrap", 200)),
            seed=seed,
            alpha=alpha,
        )
        if len(benchmark) and not england_wide(ds, rules):
            caveats.append(
                "The benchmark register is the out-of-London homes the homes table lists (those "
                "London children live in), not England's register: homes chosen for these "
                "children may fit them better than England's homes would."
            )
        if math.isfinite(est) and math.isfinite(lo):
            estimates["registration_mismatch"] = Estimate(
                est, lo, hi, len(outside), "children placed outside London"
            )
            indicators.append(
                Indicator(
                    "Registration mismatch at equal quantity: share the homes outside London "
                    "could take minus share London's free places could take",
                    est,
                    lo,
                    hi,
                    n=len(outside),
                    unit="proportion points",
                    note="children whose placement outside London started in the year; "
                    "bootstrap 95% interval",
                    id="h1_mismatch",
                )
            )
        else:
            insufficient.append("mismatch: no London free places or no benchmark homes")
        for label, share, key in (
            ("London's free places", s_lon, "h1_equal_quantity_share_london"),
            ("the benchmark homes outside London", s_ben, "h1_equal_quantity_share_benchmark"),
        ):
            indicators.append(
                Indicator(
                    f"Share of children placed outside London (started in the year) that "
                    f"{label} could take at equal quantity",
                    share if math.isfinite(share) else None,
                    n=len(outside),
                    unit="proportion",
                    id=key,
                )
            )
        matched, any_ok = feasibility_matching(outside, homes, compat)
        plain, _ = feasibility_matching(outside, homes, {})
        free = int(homes["free_places"].sum())
        indicators.append(
            share_indicator(
                "Share of out-of-London placements London's free, suitably registered places "
                "could have met",
                matched,
                len(outside),
                alpha,
                unit="proportion",
                id="h1_feasible_share",
                note=f"maximum matching WITH registration categories; {free} free places in "
                f"{len(homes)} London homes (quantity binds: context, not the test)",
            )
        )
        indicators.append(
            share_indicator(
                "Share of out-of-London placements London's free places could have met "
                "ignoring registration",
                plain,
                len(outside),
                alpha,
                unit="proportion",
                note="WITHOUT registration categories: quantity alone",
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
            m_la, _ = feasibility_matching(mine, homes, compat)
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
            est_la = stats.standardised_mean_difference(
                sub.loc[sub["outside"] == 1, "hard_to_place_count"],
                sub.loc[sub["outside"] == 0, "hard_to_place_count"],
                alpha,
            )
            indicators.append(
                Indicator(
                    f"{la}: standardised difference in hard-to-place needs (outside - inside)",
                    est_la.estimate,
                    est_la.ci_low,
                    est_la.ci_high,
                    p_value=est_la.p_value,
                    n=est_la.n,
                    unit="SMD",
                )
            )

    verdict, record = evidence_verdict(rules, estimates)
    mark_supports(
        indicators,
        record,
        {"h1_needs_or": "needs_outside_london", "h1_mismatch": "registration_mismatch"},
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


def england_wide(ds: Dataset, rules: Mapping[str, Any]) -> bool:
    """Whether the ``homes`` table is Ofsted's England-wide file: homes in at least
    ``rules['england_min_las']`` (default 100) local authorities."""
    homes = ds.table("homes") if ds.has("homes") else pd.DataFrame()
    if "la_ons_code" not in homes.columns:
        return False
    return int(homes["la_ons_code"].nunique()) >= int(rules.get("england_min_las", 100))


# --- notebook tables and figures -------------------------------------------------------------


def needs_balance_figure(balance: pd.DataFrame):
    """Standardised difference of each need (outside minus inside London) with 95% CIs."""
    counts = ("children_outside", "with_need_outside", "children_inside", "with_need_inside")
    derived = {"share_outside": "with_need_outside", "share_inside": "with_need_inside"}
    fig = lazy_figure(  # built only when not cached (analysis.charts.LazyFigure)
        interval_chart,
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


# --- its chapter: what the chapter template draws and shows (registry: Hypothesis.figures) ---


def figures(
    ds: Dataset,
    year: int,
    rules: Mapping[str, Any],
    result: HypothesisResult,
    *,
    la: str | None = None,
    scopes: list[tuple[str, list[str]]] | None = None,
) -> list[FigureSpec]:
    """The chapter's figures, in the order it shows them: the needs balance (when the needs
    table is there) and the share placed outside London by comparison scope, whose borough row
    is suppressed as the protected borough indicator table suppresses it."""
    from analysis.groups.indicators import protected_indicators

    specs = []
    if ds.has("needs"):
        balance = needs_balance_table(
            _chapter_needs(ds, year, rules), rules["needs_compared"], rules["alpha"]
        )
        specs.append(needs_balance_figure(balance))
    indicators = protected_indicators(ds, year)  # one suppressed version of each number
    specs.append(
        outside_by_scope_figure(
            outside_by_scope_table(ds, year, list(scopes or []), rules["alpha"]),
            linked=indicators,
        )
    )
    return specs


def tables(
    ds: Dataset, year: int, rules: Mapping[str, Any], result: HypothesisResult, **_: Any
) -> list[tuple[str, pd.DataFrame]]:
    """The chapter's tables (shown, not published): the adjusted odds ratio of each need."""
    if not ds.has("needs"):
        return []
    model = needs_model_table(
        _chapter_needs(ds, year, rules), rules["needs_compared"], rules["alpha"]
    )
    return [
        (
            "Adjusted odds ratios of each need (all needs in one borough fixed-effects model), "
            "for reference.",
            model.round(3),
        )
    ]


def _chapter_needs(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    return add_hard_to_place_count(
        placements_with_needs(ds, year, rules["needs_compared"]), rules["hard_to_place_needs"]
    )
