"""Helpers shared by hypotheses 4, 5 and 6: rules, proportions, regressions, joins.

Small pure functions on canonical tables (see :mod:`analysis.dataset`). The regressions use
statsmodels; every estimate comes back with a 95% interval (or the ``alpha`` of the rules).
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.boroughs import is_local, london_adjacency, london_boroughs  # noqa: F401  (re-exported)
from analysis.dataset import Dataset
from analysis.london_memo import london_level
from analysis.paths import CONFIG
from analysis.yaml_files import read_yaml

#: Needs fields that mark a "high-risk profile" for hypothesis 5 (National Placement Standard).
HIGH_RISK_FIELDS: tuple[str, ...] = (
    "risk_criminal_exploitation",
    "risk_sexual_exploitation",
    "risk_to_others",
)


def load_rules(hypothesis: int, config_dir: Path | str | None = None) -> dict[str, Any]:
    """Read ``config/decision_rules/h<N>.yaml`` (``config_dir`` is the ``config/`` folder)."""
    base = Path(config_dir) if config_dir else CONFIG
    path = base / "decision_rules" / f"h{hypothesis}.yaml"
    return read_yaml(path)


# --- proportions -------------------------------------------------------------------------


def wilson_ci(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (good coverage at small n)."""
    if n <= 0:
        return (math.nan, math.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # clamp to [0, 1] and around p (rounding can put a bound a hair on the wrong side of p)
    return (max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


@dataclass(frozen=True)
class ProportionDifference:
    """``p1 - p2`` with Newcombe's hybrid-score interval and a two-proportion z-test p-value."""

    p1: float
    p2: float
    n1: int
    n2: int
    difference: float
    ci_low: float
    ci_high: float
    p_value: float


def difference_in_proportions(
    x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05
) -> ProportionDifference:
    """Difference of two independent proportions (Newcombe 1998, method 10).

    Caveat: assumes independent observations; referrals of one child are not independent, so
    the adjusted regressions (cluster-robust) are the inferential basis, this is descriptive.
    """
    if n1 == 0 or n2 == 0:
        nan = math.nan
        return ProportionDifference(nan, nan, n1, n2, nan, nan, nan, nan)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_ci(x1, n1, alpha)
    l2, u2 = wilson_ci(x2, n2, alpha)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(d) / se))
    return ProportionDifference(p1, p2, n1, n2, d, low, high, p_value)


# --- regressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with its interval and p-value, on the model's scale."""

    term: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def _design(df: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Numeric design matrix with an intercept; constant columns and columns that are linear
    combinations of earlier ones (e.g. "In-house" procurement = PR1 provider) dropped, so the
    first-listed (focus) terms are kept."""
    x = sm.add_constant(df[terms].astype(float), has_constant="add")
    x = x.loc[:, (x.nunique() > 1) | (x.columns == "const")]
    keep: list[str] = []
    for col in x.columns:
        if np.linalg.matrix_rank(x[[*keep, col]].to_numpy()) == len(keep) + 1:
            keep.append(col)
    return x[keep]


@london_level
def ols_coefficient(
    df: pd.DataFrame, outcome: str, terms: list[str], focus: str, alpha: float = 0.05
) -> Coefficient | None:
    """OLS of ``outcome`` on ``terms`` with HC3 robust standard errors; returns ``focus``.

    Returns None when the focus term has no variation or the model cannot be fitted.
    """
    data = df[[outcome, *terms]].dropna()
    x = _design(data, terms)
    if focus not in x.columns or len(data) <= x.shape[1] + 1:
        return None
    fit = sm.OLS(data[outcome].astype(float), x).fit(cov_type="HC3")
    low, high = fit.conf_int(alpha).loc[focus]
    return Coefficient(
        focus,
        float(fit.params[focus]),
        float(low),
        float(high),
        float(fit.pvalues[focus]),
        len(data),
    )


@london_level
def logit_coefficients(
    df: pd.DataFrame,
    outcome: str,
    terms: list[str],
    focus: list[str],
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> dict[str, Coefficient]:
    """Logistic regression (binomial GLM) of a 0/1 ``outcome``; log-odds for the ``focus`` terms.

    Standard errors are cluster-robust on ``cluster`` (e.g. the home, because one home's
    answers are correlated) when given, else HC1. Terms without variation are dropped and
    missing from the result; an unfittable model (perfect separation) gives ``{}``.
    """
    cols = [outcome, *terms] + ([cluster] if cluster else [])
    data = df[cols].dropna()
    if data.empty or data[outcome].nunique() < 2:
        return {}
    x = _design(data, terms)
    model = sm.GLM(data[outcome].astype(float), x, family=sm.families.Binomial())
    try:
        if cluster:
            groups = pd.factorize(data[cluster])[0]
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        else:
            fit = model.fit(cov_type="HC1")
    except (np.linalg.LinAlgError, ValueError, sm.tools.sm_exceptions.PerfectSeparationError):
        return {}
    if not np.all(np.isfinite(fit.bse)):
        return {}
    ci = fit.conf_int(alpha)
    out: dict[str, Coefficient] = {}
    for term in focus:
        if term in fit.params.index:
            out[term] = Coefficient(
                term,
                float(fit.params[term]),
                float(ci.loc[term, 0]),
                float(ci.loc[term, 1]),
                float(fit.pvalues[term]),
                len(data),
            )
    return out


def cluster_bootstrap_ratio(
    numerator: pd.Series,
    denominator: pd.Series,
    *,
    seed: int = 0,
    n_boot: int = 999,
    alpha: float = 0.05,
) -> tuple[float, float, float]:
    """Ratio of sums ``sum(num)/sum(den)`` over units (homes) with a percentile bootstrap CI.

    Resamples whole units, so places within one home are not treated as independent.
    """
    num = numerator.to_numpy(dtype=float)
    den = denominator.to_numpy(dtype=float)
    if len(num) == 0 or den.sum() <= 0:
        return (math.nan, math.nan, math.nan)
    estimate = num.sum() / den.sum()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(num), size=(n_boot, len(num)))
    boot_den = den[idx].sum(axis=1)
    boot = np.where(
        boot_den > 0, num[idx].sum(axis=1) / np.where(boot_den > 0, boot_den, 1), np.nan
    )
    low, high = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2])
    return (float(estimate), float(low), float(high))


# --- joins and flags ---------------------------------------------------------------------


def flag_true(series: pd.Series) -> pd.Series:
    """Boolean (nullable or text Y/N, "Risk Present") to plain bool, missing as False."""
    if series.dtype == bool:
        return series
    if isinstance(series.dtype, pd.BooleanDtype):
        return series.fillna(False).astype(bool)
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["y", "yes", "true", "1", "risk present"]).fillna(False).astype(bool)


def high_risk_flags(needs: pd.DataFrame, fields: tuple[str, ...] = HIGH_RISK_FIELDS) -> pd.Series:
    """True for a child with any of the high-risk ``fields`` present (missing counts as absent).

    Caveat: a blank risk field is read as "no known risk", so incomplete needs records
    understate the high-risk group.
    """
    present = [flag_true(needs[f]) for f in fields if f in needs.columns]
    if not present:
        return pd.Series(False, index=needs.index)
    return pd.concat(present, axis=1).any(axis=1)


def ons_to_london_name() -> dict[str, str]:
    """ONS code (E09...) -> reference name of the London borough."""
    ref = london_boroughs()
    return dict(zip(ref["ons_code"], ref["la_name"], strict=True))


def fieldwork_table(ds: Dataset) -> pd.DataFrame | None:
    """The coded fieldwork table when present, else None."""
    return ds.table("fieldwork") if ds.has("fieldwork") else None


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """``0.123`` -> ``12.3%``; missing as ``n/a``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


# --- borough editions: the borough against London and its behaviour group ----------------


def behaviour_group(
    ds: Dataset, year: int, la: str, config_dir: Path | str | None = None
) -> tuple[str, list[str]]:
    """The borough's comparison group: its 2022-typology behaviour group (``analysis.groups``),
    or, when the typology cannot place it (not grouped, or the groups module fails on this
    data), its Inner/Outer London half. Returns (label, member boroughs including ``la``)."""
    ref = london_boroughs()
    try:
        from analysis.groups.indicators import borough_indicators
        from analysis.groups.typology import assign_typology, group_labels, load_config

        rules = load_config(config_dir)["typology"]
        groups = ds.derived(
            ("typology", int(year), json.dumps(rules, sort_keys=True, default=str)),
            lambda: assign_typology(borough_indicators(ds, year), rules),
        )
        number = groups.get(la)
        if number is not None and not pd.isna(number):
            members = sorted(groups[groups == number].index)
            return (f"Group {int(number)}: {group_labels(rules)[int(number)]}", members)
    except Exception:  # noqa: BLE001 - the comparison falls back, the analysis goes on
        pass
    half = str(ref.set_index("la_name").loc[la, "inner_outer"])
    return (f"{half} London", sorted(ref.loc[ref["inner_outer"] == half, "la_name"]))


def comparison_scopes(
    ds: Dataset, year: int, la: str | None, config_dir: Path | str | None = None
) -> list[tuple[str, list[str]]]:
    """``[("London boroughs", all 33)]`` plus, for a borough edition, its group and itself."""
    scopes = [("London boroughs", sorted(london_boroughs()["la_name"]))]
    if la is not None:
        scopes.append(behaviour_group(ds, year, la, config_dir))
        scopes.append((la, [la]))
    return scopes


# --- charts ------------------------------------------------------------------------------


def interval_chart(
    table: pd.DataFrame,
    *,
    label: str,
    estimate: str,
    low: str,
    high: str,
    series: str | None = None,
    xlabel: str,
    reference: float | None = None,
    percent: bool = True,
):
    """Horizontal dot-and-interval chart (one row per ``label``, one colour per ``series``).

    Suppressed values (``"c"``) or missing estimates are not drawn. Returns the figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    from analysis.charts import CATEGORICAL

    data = table.copy()
    for col in (estimate, low, high):
        data[col] = pd.to_numeric(data[col], errors="coerce")
    labels = list(dict.fromkeys(data[label].astype(str)))
    groups = list(dict.fromkeys(data[series].astype(str))) if series else [""]
    # series drawn on each label's row, so that a label with one series sits on its row
    present = {
        lab: [
            g
            for g in groups
            if not series
            or ((data[label].astype(str) == lab) & (data[series].astype(str) == g)).any()
        ]
        for lab in labels
    }
    # height from the most series any one row holds (a borough edition's chart of 33 boroughs
    # has one series per row, not two)
    per_row = max((len(v) for v in present.values()), default=1) or 1
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(labels) * per_row + 1.4))
    step = 0.8 / max(1, len(groups))
    for g_i, group in enumerate(groups):
        rows = data if not series else data[data[series].astype(str) == group]
        for _, row in rows.iterrows():
            if pd.isna(row[estimate]):
                continue
            here = present[str(row[label])]
            y = labels.index(str(row[label])) + (here.index(group) - (len(here) - 1) / 2) * step
            ax.errorbar(
                row[estimate],
                y,
                xerr=[[max(0.0, row[estimate] - row[low])], [max(0.0, row[high] - row[estimate])]]
                if pd.notna(row[low]) and pd.notna(row[high])
                else None,
                fmt="o",
                color=CATEGORICAL[g_i % len(CATEGORICAL)],
                capsize=3,
                label=group if series and group not in ax.get_legend_handles_labels()[1] else None,
            )
    ax.set_yticks(range(len(labels)), [textwrap.fill(lab, 32) for lab in labels])
    ax.invert_yaxis()
    if reference is not None:
        ax.axvline(reference, color="#808080", linewidth=1, linestyle="--")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    if series and ax.get_legend_handles_labels()[1]:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(3, len(groups)))
    fig.tight_layout()
    return fig


@dataclass
class FigureSpec:
    """A figure ready to publish: the figure, its name, caption, alt text and the table behind
    it (with the columns that count children, for disclosure control)."""

    name: str
    fig: Any
    caption: str
    alt: str
    table: pd.DataFrame
    child_counts: tuple[str, ...] = ()
    derived_from: dict[str, str] | None = None
    #: the row key and the quantity of each count column, so the table publishes the same
    #: suppressed version of a number another table publishes (see :func:`publish`)
    key: str | None = None
    quantities: dict[str, str] | None = None
    force: pd.DataFrame | None = None  # cells suppressed because the linked table hides them
    column_totals: bool | None = None  # override of assume_column_totals_published


def linked_publication(
    table: pd.DataFrame,
    key: str,
    quantities: dict[str, str],
    linked: Any,
    *,
    column_totals: bool | None = None,
) -> dict[str, Any]:
    """``key``/``quantities``/``force`` for a table that shows numbers a protected table
    (``linked``, e.g. :func:`analysis.groups.indicators.protected_indicators`) also publishes;
    without ``linked``, the table's own quantities (not linked)."""
    extra = {} if column_totals is None else {"column_totals": column_totals}
    if linked is None:
        return {"key": key, "quantities": {c: f"{q}:own" for c, q in quantities.items()}, **extra}
    from analysis.disclosure import follow

    force, declared = follow(table, key, quantities, linked)
    return {"key": key, "quantities": declared, "force": force, **extra}


def as_published(
    table: pd.DataFrame,
    child_counts: tuple[str, ...],
    derived_from: dict[str, str],
    **relations: Any,
) -> pd.DataFrame:
    """The table as it will be published (disclosure control applied), so that a chart drawn
    from it never shows a suppressed value (suppressed cells become ``"c"`` and are not drawn)."""
    from analysis.disclosure import suppress_child_counts

    return suppress_child_counts(table, list(child_counts), derived_from=derived_from, **relations)


def publish(spec: FigureSpec, paths: Any) -> Path:
    """Save a :class:`FigureSpec` with :func:`analysis.charts.save_figure` (PNG, SVG, CSV, JSON)."""
    from analysis.charts import save_figure

    return save_figure(
        spec.fig,
        paths,
        spec.name,
        caption=spec.caption,
        alt=spec.alt,
        table=spec.table,
        child_counts=spec.child_counts,
        derived_from=spec.derived_from,
        **(
            {
                "key": spec.key,
                "quantities": spec.quantities or {},
                "force": spec.force,
                "column_totals": spec.column_totals,
            }
            if spec.key
            else {}
        ),
    )


# --- notebook helpers --------------------------------------------------------------------


def resolve_path(path: str | Path) -> Path:
    """A notebook parameter path: as given when it exists from the working directory, else
    relative to the project root (papermill runs notebooks from ``hypotheses/``)."""
    from analysis.paths import ROOT

    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    return ROOT / p


def edition_la(edition: str) -> str | None:
    """``london`` -> None; a borough slug or name -> its reference name (ValueError if unknown)."""
    from analysis.boroughs import resolve_borough

    if edition.strip().lower() == "london":
        return None
    la = resolve_borough(edition)
    if la is None:
        raise ValueError(f"unknown edition {edition!r}: use 'london' or a London borough slug")
    return la


def indicator_table(result: Any) -> pd.DataFrame:
    """The result's indicators as a table for the notebook (estimate, CI, p, n, supports)."""
    rows = [
        {
            "indicator": i.name,
            "estimate": i.estimate,
            "ci_low": i.ci_low,
            "ci_high": i.ci_high,
            "p_value": i.p_value,
            "n": i.n,
            "unit": i.unit,
            "supports": i.supports,
        }
        for i in result.indicators
    ]
    return pd.DataFrame(rows)


def coverage_row(what: str, n: int, of: int | None = None) -> dict[str, Any]:
    """One row of a coverage table: ``what``, ``n``, ``of`` and the share ``n / of``."""
    return {"what": what, "n": n, "of": of, "share": (n / of) if of else None}
