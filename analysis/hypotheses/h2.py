"""Hypothesis 2: the quality of provision does not meet the requirements of placing authorities.

Judged by the common evidence rule (:func:`analysis.hypotheses.evidence.evidence_verdict`, the
part declared in ``config/decision_rules/h2.yaml``), comparing like with like, externally provided
(private and voluntary) homes only:

- **register against register** (the judged part) - Cliff's delta of the grade of England's
  children's homes outside London versus London's, from Ofsted's England-wide file (the public
  file, or the ``homes`` table when it is that file); Inconclusive when no such file is at hand;
- **used against used** (shown, not judged) - Cliff's delta of the Ofsted grade of the
  out-of-London homes London boroughs' children live in on the snapshot date versus the London
  homes they live in (each home once).

The rival - boroughs avoid poorly rated homes everywhere - makes the homes used better than the
register in and out of London alike, so it leaves the registers alike; where London's free places
are few it can still leave London's children in London in worse homes than those placed outside,
so the used comparison cannot tell it apart (and boroughs avoiding London's poor homes leave the
used homes alike when London's register is worse): it is shown, not judged. Councils' own homes are
shown apart. Whether London boroughs use better-graded London homes more (grade against use)
is shown as context: boroughs avoiding poor homes everywhere would show it too.

Caveats: a grade is one inspection's judgement at one date; homes not yet inspected are left
out; occupancy at one date is a noisy measure of use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import stats
from analysis.charts import interval_chart, lazy_figure
from analysis.dataset import Dataset
from analysis.hypotheses.evidence import (
    Estimate,
    evidence_summary,
    evidence_verdict,
    mark_supports,
    summary_settles,
)
from analysis.hypotheses.figures import FigureSpec, as_published
from analysis.london_memo import london_level
from analysis.providers import external_sector
from analysis.snapshot import k2_placements
from analysis.verdicts import HypothesisResult, Indicator, summarise_fieldwork

HYPOTHESIS = 2
GOOD_OR_BETTER = ("Outstanding", "Good")
USED_LONDON = "London homes used"
USED_OUTSIDE = "Out-of-London homes used"
REGISTER_LONDON = "London homes"
REGISTER_ENGLAND = "England's homes outside London"


def graded_homes(ds: Dataset, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Homes with a known grade: adds ``grade_score`` (from ``rules['grade_scores']``) and
    ``external`` (Private or Voluntary sector, :func:`analysis.providers.external_sector`;
    a council's own homes are compared apart; True for every home when the sector is not
    given); homes not yet inspected are dropped; restricted to ``rules['active_statuses']``."""
    homes = ds.table("homes").copy()
    statuses = rules.get("active_statuses") or []
    if statuses and "registration_status" in homes.columns:
        homes = homes[homes["registration_status"].isin(statuses)]
    scores = rules["grade_scores"]
    homes["grade"] = homes["grade"].fillna("").astype(str).str.strip()
    homes["grade_score"] = homes["grade"].map(scores)
    homes["urn"] = homes["urn"].astype(str)
    homes["external"] = external_sector(homes["sector"]) if "sector" in homes.columns else True
    return homes[homes["grade_score"].notna()].reset_index(drop=True)


@london_level
def homes_compared(ds: Dataset, year: int, rules: Mapping[str, Any]) -> pd.DataFrame:
    """Used against used: graded homes with a London borough's child on the snapshot date, one
    row per home, ``group`` = ``London homes used`` / ``Out-of-London homes used``, with
    ``external`` (council-run homes are kept, flagged, and compared apart)."""
    homes = graded_homes(ds, rules)
    placements = k2_placements(ds, year)
    urns = placements["URN"].astype(str)
    used_outside = set(urns[placements["outside_london"].to_numpy(dtype=bool)])
    used_inside = set(urns[~placements["outside_london"].to_numpy(dtype=bool)])
    in_london = homes["in_london"].astype(bool)
    london = homes[in_london & homes["urn"].isin(used_inside)].assign(group=USED_LONDON)
    outside = homes[~in_london & homes["urn"].isin(used_outside)].assign(group=USED_OUTSIDE)
    return pd.concat([london, outside], ignore_index=True)


def register_compared(
    ds: Dataset, rules: Mapping[str, Any], public_data_dir: str | Path | None = None
) -> pd.DataFrame:
    """Register against register: London's graded homes (the dataset's ``homes``) and
    England's graded homes outside London, from Ofsted's England-wide file - the public file
    in ``public_data_dir`` when given, else the dataset's ``homes`` when it is that file
    (:func:`england_from_homes`). Columns ``urn, grade, grade_score, external, group``
    (``London register`` / ``England register outside London``); empty when no England-wide
    file is available. Caveat: the public file's date may differ from the snapshot's."""
    homes = graded_homes(ds, rules)
    london = homes[homes["in_london"].astype(bool)].assign(group=REGISTER_LONDON)
    england = england_homes(public_data_dir, rules)
    if england.empty:
        england = england_from_homes(ds, rules)
    if england.empty:
        return pd.DataFrame(columns=["urn", "grade", "grade_score", "external", "group"])
    england = england[~england["in_london"].astype(bool)].assign(group=REGISTER_ENGLAND)
    cols = ["urn", "grade", "grade_score", "external", "group"]
    return pd.concat([london[cols], england[cols]], ignore_index=True)


def grade_gap(better: pd.DataFrame, worse: pd.DataFrame, alpha: float = 0.05) -> stats.Estimate:
    """Cliff's delta of Ofsted grade score, ``better`` vs ``worse`` (> 0: the first group's
    homes are better graded), with its two-sided interval (:func:`analysis.stats.cliffs_delta`).
    Each row is one home."""
    return stats.cliffs_delta(better["grade_score"], worse["grade_score"], alpha)


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


def _in_london_name(name: object) -> bool:
    """Whether an Ofsted ``Local authority`` name is one of the 33 London authorities."""
    from analysis.boroughs import resolve_borough

    return isinstance(name, str) and resolve_borough(name.strip()) is not None


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
            "external": external_sector(raw["Sector"]) if "Sector" in raw.columns else True,
            "in_london": raw["Local authority"]
            .map({n: _in_london_name(n) for n in raw["Local authority"].unique()})
            .to_numpy(),
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
    return homes[["urn", "grade", "grade_score", "external", "in_london"]].reset_index(drop=True)


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
    """The whole test of hypothesis 2 (no figures): used against used and register against
    register, external homes only, judged by the common evidence rule (the register part).
    ``public_data_dir`` gives England's register (Ofsted's file) when the dataset lacks it.
    ``seed`` is unused (no resampling); kept for the common signature."""
    alpha = float(rules.get("alpha", 0.05))
    min_homes = int(rules.get("min_homes_per_group", 5))
    indicators: list[Indicator] = []
    insufficient: list[str] = []
    caveats = [
        "An Ofsted grade is one inspection's judgement at one date; homes not yet inspected are "
        "left out.",
        "Both parts compare externally provided (private and voluntary) homes only; councils' "
        "own homes are shown apart, as boroughs do not choose them on the same terms.",
        "If boroughs avoided poorly rated homes everywhere, the homes they use would be better "
        "than the register in and out of London alike: that is why homes used are compared with "
        "homes used, and the register with the register, never one with the other.",
    ]
    if ds.synthetic:
        caveats.insert(0, "Synthetic example data: the figures illustrate the method only.")
    fieldwork = summarise_fieldwork(ds.tables.get("fieldwork"), HYPOTHESIS)
    estimates: dict[str, Estimate] = {"grade_gap_register": Estimate(None, None, None)}

    compared = homes_compared(ds, year, rules)
    ext = compared[compared["external"].astype(bool)]
    london = ext[ext["group"] == USED_LONDON]
    outside = ext[ext["group"] == USED_OUTSIDE]
    if len(london) < min_homes or len(outside) < min_homes:
        insufficient.append(
            f"used homes: fewer than {min_homes} graded external homes used in a group"
        )
    else:
        delta = grade_gap(outside, london, alpha)
        indicators.append(
            Indicator(
                "Cliff's delta of grade, external out-of-London homes used vs external London "
                "homes used",
                delta.estimate,
                delta.ci_low,
                delta.ci_high,
                p_value=delta.p_value,
                n=delta.n,
                unit="Cliff's delta",
                note="> 0: homes used outside London are better graded; two-sided; shown, "
                "not judged (it cannot tell the avoidance rival apart)",
                id="h2_delta_used",
            )
        )
        for name, key, df in (
            ("external London homes used by London children", "h2_good_share_london_homes", london),
            (
                "external out-of-London homes used by London children",
                "h2_good_share_used_outside",
                outside,
            ),
        ):
            k, n = good_or_better(df)
            p, lo, hi = stats.wilson_ci(k, n, alpha)
            indicators.append(
                Indicator(
                    f"Share good or outstanding: {name}", p, lo, hi, n=n, unit="proportion", id=key
                )
            )
    council = compared[~compared["external"].astype(bool)]
    for group, key in (
        (USED_LONDON, "h2_good_share_council_london"),
        (USED_OUTSIDE, "h2_good_share_council_outside"),
    ):
        g = council[council["group"] == group]
        if len(g):
            k, n = good_or_better(g)
            p, lo, hi = stats.wilson_ci(k, n, alpha)
            indicators.append(
                Indicator(
                    f"Share good or outstanding: council-run {group.lower()} (shown apart)",
                    p,
                    lo,
                    hi,
                    n=n,
                    unit="proportion",
                    id=key,
                )
            )

    register = register_compared(ds, rules, public_data_dir)
    reg_ext = register[register["external"].astype(bool)] if len(register) else register
    lon_reg = reg_ext[reg_ext["group"] == REGISTER_LONDON] if len(reg_ext) else reg_ext
    eng_reg = reg_ext[reg_ext["group"] == REGISTER_ENGLAND] if len(reg_ext) else reg_ext
    if register.empty:
        insufficient.append(
            "register: no England-wide Ofsted register (the public file, or a homes table "
            "covering England), so London's register cannot be compared with England's"
        )
    elif len(lon_reg) < min_homes or len(eng_reg) < min_homes:
        insufficient.append(f"register: fewer than {min_homes} graded external homes in a group")
    else:
        delta = grade_gap(eng_reg, lon_reg, alpha)
        estimates["grade_gap_register"] = Estimate(
            delta.estimate, delta.ci_low, delta.ci_high, delta.n, "homes"
        )
        indicators.append(
            Indicator(
                "Cliff's delta of grade, England's external homes outside London vs London's "
                "external homes (registers)",
                delta.estimate,
                delta.ci_low,
                delta.ci_high,
                p_value=delta.p_value,
                n=delta.n,
                unit="Cliff's delta",
                note="> 0: London's register is worse graded; two-sided",
                id="h2_delta_register",
            )
        )
        k_lon, n_lon = good_or_better(lon_reg)
        k_en, n_en = good_or_better(eng_reg)
        d_en = stats.difference_in_proportions(k_lon, n_lon, k_en, n_en, alpha)
        indicators.append(
            Indicator(
                "Difference in share good or outstanding (London's external homes - England's "
                "outside London)",
                d_en.difference,
                d_en.ci_low,
                d_en.ci_high,
                n=n_lon + n_en,
                unit="proportion points",
            )
        )

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

    verdict, record = evidence_verdict(rules, estimates)
    mark_supports(
        indicators,
        record,
        {"h2_delta_register": "grade_gap_register"},
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


# --- notebook tables and figures -------------------------------------------------------------


def figure_homes(
    compared: pd.DataFrame, register: pd.DataFrame, london: pd.DataFrame
) -> pd.DataFrame:
    """The external homes the chapter's grade figure compares, like with like: London's
    register (``London homes``, from ``london`` = :func:`graded_homes` in London), the homes
    used in and outside London (``compared``), and England's register outside London
    (``register``, :func:`register_compared`) when at hand. Columns ``group, grade``."""
    frames = [london[london["external"].astype(bool)][["grade"]].assign(group=REGISTER_LONDON)]
    ext = compared[compared["external"].astype(bool)]
    frames += [ext[ext["group"] == g][["group", "grade"]] for g in (USED_LONDON, USED_OUTSIDE)]
    if len(register):
        ext = register[register["external"].astype(bool)]
        frames.append(ext[ext["group"] == REGISTER_ENGLAND][["group", "grade"]])
    frames = [f[["group", "grade"]] for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["group", "grade"])
    return pd.concat(frames, ignore_index=True)


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
    fig = lazy_figure(  # built only when not cached (analysis.charts.LazyFigure)
        interval_chart,
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
    fig = lazy_figure(  # built only when not cached (analysis.charts.LazyFigure)
        interval_chart,
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


# --- its chapter: what the chapter template draws (registry: Hypothesis.figures) ---


def figures(
    ds: Dataset,
    year: int,
    rules: Mapping[str, Any],
    result: HypothesisResult,
    *,
    public_data_dir: str | Path | None = None,
    **_: Any,
) -> list[FigureSpec]:
    """The chapter's figures, in the order it shows them: the grade mix of the homes compared
    (England's register when ``public_data_dir`` or the homes table has it) and the use of
    London's homes by grade."""
    compared = homes_compared(ds, year, rules)
    register = register_compared(ds, rules, public_data_dir or None)
    homes = graded_homes(ds, rules)
    london = homes[homes["in_london"].astype(bool)]
    table = good_or_better_table(figure_homes(compared, register, london), None, rules["alpha"])
    return [
        grade_mix_figure(table),
        use_by_grade_figure(use_by_grade_table(london_home_use(ds, year, rules), rules)),
    ]
