"""Shared statistical helpers for the hypothesis tests.

Every function returns an estimate *with* its uncertainty (a confidence interval, a p-value or
both). They are small and pure so that the simulation study can call them hundreds of times.
The API is shared by the hypothesis modules: add to it, do not change signatures.

Caveat common to all of them: on observational data these are associations, not causes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special
from scipy import stats as sps

from analysis.london_memo import london_level

Z95 = 1.959963984540054


def z_for(alpha: float) -> float:
    """Two-sided normal quantile for a ``1 - alpha`` interval."""
    return float(sps.norm.ppf(1 - alpha / 2))


# --- proportions -----------------------------------------------------------------------------


def wilson_ci(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Proportion ``successes / n`` with its Wilson score interval: ``(p, low, high)``.

    The bounds are clamped to [0, 1] and around ``p`` (rounding can put a bound a hair on the
    wrong side of p at 0 or n successes). Caveat: assumes independent trials; with ``n == 0``
    everything is NaN.
    """
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    z = z_for(alpha)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


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
    """Difference of two independent proportions ``x1/n1 - x2/n2`` with Newcombe's hybrid
    score interval (Newcombe 1998, method 10, built from the two Wilson intervals) and the
    pooled two-proportion z-test p-value. NaN when either group is empty.

    Caveat: assumes independent observations; referrals of one child are not independent, so
    where they are counted the adjusted (cluster-robust) regressions are the inferential basis.
    """
    if n1 <= 0 or n2 <= 0:
        nan = math.nan
        return ProportionDifference(nan, nan, n1, n2, nan, nan, nan, nan)
    p1, l1, u1 = wilson_ci(x1, n1, alpha)
    p2, l2, u2 = wilson_ci(x2, n2, alpha)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(d) / se))
    return ProportionDifference(p1, p2, n1, n2, d, low, high, p_value)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval, p-value and sample size."""

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def standardised_mean_difference(
    treated: Sequence[float] | pd.Series,
    control: Sequence[float] | pd.Series,
    alpha: float = 0.05,
) -> Estimate:
    """Standardised mean difference (Cohen's d with the pooled-average SD, as used for covariate
    balance: ``(m1 - m0) / sqrt((s1^2 + s0^2) / 2)``) of ``treated`` vs ``control``.

    For a 0/1 variable this is the usual SMD of proportions. The CI uses the large-sample SE
    ``sqrt((n1 + n0) / (n1 n0) + d^2 / (2 (n1 + n0)))``; the p-value is Welch's t-test of the
    means. Missing values are dropped. Caveat: |d| > 0.1 is the conventional "imbalance" mark,
    not a test; the CI is approximate for rare binary traits.
    """
    a = pd.to_numeric(pd.Series(treated, dtype="float64"), errors="coerce").dropna().to_numpy()
    b = pd.to_numeric(pd.Series(control, dtype="float64"), errors="coerce").dropna().to_numpy()
    n1, n0 = len(a), len(b)
    if n1 < 2 or n0 < 2:
        return Estimate(math.nan, math.nan, math.nan, math.nan, n1 + n0)
    sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    diff = float(a.mean() - b.mean())
    if sd == 0:
        d = 0.0 if diff == 0 else math.copysign(math.inf, diff)
        return Estimate(d, math.nan, math.nan, 1.0 if diff == 0 else 0.0, n1 + n0)
    d = diff / sd
    se = math.sqrt((n1 + n0) / (n1 * n0) + d * d / (2 * (n1 + n0)))
    z = z_for(alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
    return Estimate(d, d - z * se, d + z * se, p, n1 + n0)


def cliffs_delta(
    x: Sequence[float] | pd.Series, y: Sequence[float] | pd.Series, alpha: float = 0.05
) -> Estimate:
    """Cliff's delta ``P(X > Y) - P(X < Y)`` (ordinal effect size of X vs Y) with the
    Mann-Whitney two-sided p-value and a CI from the Mann-Whitney U's normal approximation
    (Hanley-McNeil variance of the AUC, delta = 2 AUC - 1). Ties count half.
    Caveat: the CI is approximate for small groups.
    """
    a = pd.to_numeric(pd.Series(x, dtype="float64"), errors="coerce").dropna().to_numpy()
    b = pd.to_numeric(pd.Series(y, dtype="float64"), errors="coerce").dropna().to_numpy()
    n1, n2 = len(a), len(b)
    if n1 == 0 or n2 == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, n1 + n2)
    res = sps.mannwhitneyu(a, b, alternative="two-sided")
    auc = float(res.statistic) / (n1 * n2)
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n2 - 1) * (q2 - auc * auc)) / (n1 * n2)
    se = math.sqrt(max(var, 0.0))
    z = z_for(alpha)
    lo, hi = max(0.0, auc - z * se), min(1.0, auc + z * se)
    return Estimate(2 * auc - 1, 2 * lo - 1, 2 * hi - 1, float(res.pvalue), n1 + n2)


def one_sided_p(two_sided_p: float, estimate: float, positive: bool = True) -> float:
    """One-sided p-value (for ``estimate > 0`` when ``positive``) from a symmetric two-sided one."""
    if math.isnan(two_sided_p) or math.isnan(estimate):
        return math.nan
    right_way = estimate > 0 if positive else estimate < 0
    return two_sided_p / 2 if right_way else 1 - two_sided_p / 2


# --- logistic regression ---------------------------------------------------------------------


@dataclass
class LogitFit:
    """A fitted logistic regression: coefficients table, log-likelihood and what was dropped."""

    coefficients: (
        pd.DataFrame
    )  # index term; columns coef, se, ci_low, ci_high, p_value, odds_ratio...
    llf: float
    n: int
    df_model: int
    dropped_groups: list[str]
    converged: bool


def _fit_glm_logit(
    y: np.ndarray, x: pd.DataFrame, groups: np.ndarray | None = None, alpha: float = 0.05
) -> tuple[object, pd.DataFrame]:
    model = sm.GLM(y, x.astype(float), family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if groups is not None:
            res = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, maxiter=100)
        else:
            res = model.fit(maxiter=100)
    ci = np.asarray(res.conf_int(alpha=alpha))
    table = pd.DataFrame(
        {
            "coef": np.asarray(res.params),
            "se": np.asarray(res.bse),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p_value": np.asarray(res.pvalues),
        },
        index=x.columns,
    )
    with np.errstate(over="ignore"):  # separated fixed effects have huge coefficients
        table["odds_ratio"] = np.exp(table["coef"])
        table["or_ci_low"] = np.exp(table["ci_low"])
        table["or_ci_high"] = np.exp(table["ci_high"])
    return res, table


def separated_groups(y: pd.Series, groups: pd.Series) -> list[str]:
    """Groups whose outcome is all 0 or all 1 (perfect separation by a fixed effect)."""
    rate = pd.Series(np.asarray(y, dtype=float), index=groups.index).groupby(groups).mean()
    return sorted(str(g) for g in rate[(rate == 0) | (rate == 1)].index)


#: A log-odds coefficient beyond this (an odds ratio above 3 million) is an estimate running to
#: infinity, not an estimate: the outcome is (quasi-)separated by the term.
DIVERGED_LOGODDS = 15.0


def separated_terms(y: pd.Series, covariates: pd.DataFrame) -> list[str]:
    """The 0/1 covariates whose 1s (or 0s) all share one outcome: their maximum-likelihood
    coefficient is infinite (quasi-complete separation), whatever else is in the model."""
    out = []
    for name in covariates.columns:
        x = covariates[name]
        if not set(x.dropna().unique()) <= {0, 1}:
            continue
        for level in (1, 0):
            cell = y[x == level]
            if len(cell) and cell.nunique() == 1:
                out.append(str(name))
                break
    return out


def _without_separated_terms(
    table: pd.DataFrame, y: pd.Series, covariates: pd.DataFrame
) -> pd.DataFrame:
    """The coefficients table with separated or diverging terms' estimates and intervals set to
    NaN (not estimable): a Wald interval around a diverging estimate is meaningless, and the
    cluster-robust one can look narrow (:data:`DIVERGED_LOGODDS`, :func:`separated_terms`)."""
    bad = set(separated_terms(y, covariates)) | {
        str(t)
        for t in table.index
        if t != "const"
        and not str(t).startswith("G_")
        and abs(float(table.loc[t, "coef"])) > DIVERGED_LOGODDS
    }
    bad &= {str(t) for t in table.index}
    if not bad:
        return table
    table = table.copy()
    cols = [c for c in ("coef", "se", "ci_low", "ci_high", "p_value", "odds_ratio") if c in table]
    table.loc[sorted(bad), cols] = math.nan
    return table


@london_level
def logit_fixed_effects(
    df: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    group: str | None = None,
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
    drop_separated: bool = True,
) -> LogitFit:
    """Logistic regression of 0/1 ``outcome`` on ``covariates`` with fixed effects (dummies) for
    ``group`` (e.g. the placing borough).

    Groups with an all-0 or all-1 outcome are perfectly separated by their dummy (their MLE is
    infinite) and contribute nothing to the within-group covariate effects, so they are dropped
    from the fit when ``drop_separated`` (the conditional-logit answer) and listed in
    ``dropped_groups``. ``cluster`` gives cluster-robust SEs (e.g. by child). Rows with a
    missing value are dropped. Caveat: Wald CIs; the fixed-effects estimator has a small
    incidental-parameter bias with few rows per group.
    """
    cols = [outcome, *covariates] + ([group] if group else []) + ([cluster] if cluster else [])
    data = df[list(dict.fromkeys(cols))].dropna()
    dropped: list[str] = []
    if group and drop_separated:
        dropped = separated_groups(data[outcome], data[group])
        data = data[~data[group].astype(str).isin(dropped)]
    x = data[list(covariates)].astype(float)
    x = x.loc[:, x.std(ddof=0) > 0] if len(x) else x
    if group:
        dummies = pd.get_dummies(data[group].astype(str), prefix="G", drop_first=True, dtype=float)
        x = pd.concat([x, dummies], axis=1)
    x.insert(0, "const", 1.0)
    y = data[outcome].astype(float).to_numpy()
    if len(y) == 0 or y.min() == y.max():
        empty = pd.DataFrame(columns=["coef", "se", "ci_low", "ci_high", "p_value"])
        return LogitFit(empty, math.nan, len(y), 0, dropped, False)
    groups = pd.factorize(data[cluster])[0] if cluster else None
    res, table = _fit_glm_logit(y, x, groups, alpha)
    table = _without_separated_terms(table, data[outcome], data[list(covariates)])
    return LogitFit(
        coefficients=table,
        llf=float(res.llf),
        n=len(y),
        df_model=int(x.shape[1]),
        dropped_groups=dropped,
        converged=bool(getattr(res, "converged", True)),
    )


def likelihood_ratio_test(full: LogitFit, reduced: LogitFit) -> tuple[float, int, float]:
    """LR test of nested models fitted to the same rows: ``(statistic, df, p_value)``."""
    if full.n != reduced.n:
        raise ValueError("likelihood-ratio test needs both models fitted to the same rows")
    stat = max(0.0, 2 * (full.llf - reduced.llf))
    df = full.df_model - reduced.df_model
    if df <= 0 or math.isnan(stat):
        return (stat, df, math.nan)
    return (stat, df, float(sps.chi2.sf(stat, df)))


@london_level
def group_effects_lr_test(
    df: pd.DataFrame, outcome: str, covariates: Sequence[str], group: str
) -> tuple[float, int, float, int]:
    """LR test of ``group`` fixed effects on top of ``covariates`` in a logistic model.

    Both models are fitted to all rows (no groups dropped): under separation the fixed-effects
    likelihood is a supremum that the fit approaches, so the statistic stays finite and valid.
    Returns ``(statistic, df, p_value, n_groups)``. Caveat: with many small groups the chi-square
    reference distribution is approximate (conservative or liberal depending on group sizes).
    """
    data = df[[outcome, *covariates, group]].dropna()
    full = logit_fixed_effects(data, outcome, covariates, group, drop_separated=False)
    reduced = logit_fixed_effects(data, outcome, covariates, None)
    stat, dof, p = likelihood_ratio_test(full, reduced)
    return stat, dof, p, int(data[group].nunique())


def logit_contrast(
    df: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    weights: dict[str, float],
    *,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> tuple[Estimate, pd.DataFrame]:
    """Logistic regression ``outcome ~ covariates`` and a linear combination of its coefficients
    ``sum(w_k * b_k)`` (a log-odds contrast, e.g. strengths-based + complete profile vs neither)
    with its Wald CI and two-sided p-value (cluster-robust when ``cluster`` is given).

    Returns ``(contrast, coefficients table)``. Caveat: Wald inference; covariates with no
    variation are dropped (and then contribute nothing to the contrast).
    """
    cols = [outcome, *covariates] + ([cluster] if cluster else [])
    data = df[list(dict.fromkeys(cols))].dropna()
    x = data[list(covariates)].astype(float)
    x = x.loc[:, x.std(ddof=0) > 0] if len(x) else x
    x.insert(0, "const", 1.0)
    y = data[outcome].astype(float).to_numpy()
    nan = Estimate(math.nan, math.nan, math.nan, math.nan, len(y))
    if len(y) == 0 or y.min() == y.max() or not (set(weights) & set(x.columns)):
        return nan, pd.DataFrame()
    groups = pd.factorize(data[cluster])[0] if cluster else None
    res, table = _fit_glm_logit(y, x, groups, alpha)
    w = np.array([weights.get(c, 0.0) for c in x.columns])
    est = float(w @ np.asarray(res.params))
    se = float(np.sqrt(w @ np.asarray(res.cov_params()) @ w))
    if not np.isfinite(se) or se == 0:
        return Estimate(est, math.nan, math.nan, math.nan, len(y)), table
    z = z_for(alpha)
    p = float(2 * sps.norm.sf(abs(est) / se))
    return Estimate(est, est - z * se, est + z * se, p, len(y)), table


def predicted_probabilities(df: pd.DataFrame, outcome: str, covariates: Sequence[str]) -> pd.Series:
    """Fitted probabilities of a plain logistic model ``outcome ~ covariates`` (rows with missing
    values get NaN)."""
    data = df[[outcome, *covariates]].dropna()
    x = data[list(covariates)].astype(float)
    x = x.loc[:, x.std(ddof=0) > 0]
    x.insert(0, "const", 1.0)
    y = data[outcome].astype(float).to_numpy()
    out = pd.Series(np.nan, index=df.index)
    if len(y) == 0 or y.min() == y.max():
        out.loc[data.index] = y.mean() if len(y) else np.nan
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, x, family=sm.families.Binomial()).fit(maxiter=100)
    out.loc[data.index] = np.asarray(res.fittedvalues)
    return out


# --- random-intercept logistic regression ------------------------------------------------

#: Gauss-Hermite nodes for the integral over a group's random intercept.
_GH_NODES = 30


@dataclass(frozen=True)
class RandomInterceptFit:
    """A random-intercept logistic model ``logit P(y=1) = X b + u_group``, ``u ~ N(0, sd^2)``,
    fitted by maximum likelihood (Gauss-Hermite quadrature). ``sd`` is the group SD on the
    log-odds scale (e.g. the placing boroughs'); ``ci_low``/``ci_high`` its profile-likelihood
    interval."""

    sd: float
    ci_low: float
    ci_high: float
    coefficients: pd.Series
    loglik: float
    n: int
    groups: int


@lru_cache(maxsize=1)
def _gauss_hermite() -> tuple[np.ndarray, np.ndarray]:
    """The :data:`_GH_NODES` Gauss-Hermite nodes and the logs of their weights / sqrt(pi)."""
    nodes, weights = np.polynomial.hermite.hermgauss(_GH_NODES)
    return nodes, np.log(weights / math.sqrt(math.pi))


@lru_cache(maxsize=8)
def _group_sums_cached(codes: bytes, n: int, k: int) -> np.ndarray:
    matrix = np.zeros((k, n))
    matrix[np.frombuffer(codes, dtype=np.int64), np.arange(n)] = 1.0
    return matrix


def _group_sums(codes: np.ndarray, k: int) -> np.ndarray:
    """The ``k x n`` 0/1 matrix summing rows by group code (so sums are one matrix product)."""
    c = np.ascontiguousarray(codes, dtype=np.int64)
    return _group_sums_cached(c.tobytes(), len(c), k)


def _ri_loglik(
    beta: np.ndarray, log_sd: float, y: np.ndarray, x: np.ndarray, codes: np.ndarray, k: int
) -> tuple[float, np.ndarray, float]:
    """Marginal log-likelihood of the random-intercept logit and its gradient in ``beta`` and
    ``log_sd`` (non-adaptive Gauss-Hermite quadrature with :data:`_GH_NODES` nodes)."""
    nodes, log_weights = _gauss_hermite()
    sd = math.exp(log_sd)
    u = math.sqrt(2.0) * sd * nodes  # (K,)
    eta = (x @ beta)[:, None] + u[None, :]  # (n, K)
    prob = special.expit(eta)
    ll = np.where(y[:, None] > 0, special.log_expit(eta), special.log_expit(-eta))
    s = _group_sums(codes, k) @ ll
    a = s + log_weights[None, :]
    log_lj = special.logsumexp(a, axis=1)
    post = np.exp(a - log_lj[:, None])  # (k, K) posterior weights of the nodes
    resid = y[:, None] - prob  # (n, K)
    weighted = post[codes] * resid  # (n, K)
    grad_beta = x.T @ weighted.sum(axis=1)
    grad_log_sd = float((weighted * u[None, :]).sum())
    return float(log_lj.sum()), grad_beta, grad_log_sd


def _fit_beta(
    y: np.ndarray,
    x: np.ndarray,
    codes: np.ndarray,
    k: int,
    log_sd: float | None,
    start: np.ndarray,
) -> tuple[np.ndarray, float, float]:
    """Maximise the marginal likelihood over ``beta`` (and ``log_sd`` when it is None).
    Returns ``(beta, log_sd, loglik)``."""
    p = x.shape[1]
    free_sd = log_sd is None

    def neg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        beta = theta[:p]
        raw = float(theta[p]) if free_sd else float(log_sd)  # type: ignore[arg-type]
        lsd = min(max(raw, -8.0), 2.5)  # the SD kept in [0.0003, 12]: flat outside
        ll, gb, gs = _ri_loglik(beta, lsd, y, x, codes, k)
        if lsd != raw:
            gs = 0.0
        grad = np.concatenate([gb, [gs]]) if free_sd else gb
        return -ll, -grad

    theta0 = np.concatenate([start[:p], [start[p]]]) if free_sd else start[:p]
    res = optimize.minimize(neg, theta0, jac=True, method="BFGS", options={"gtol": 1e-4})
    lsd = min(max(float(res.x[p]), -8.0), 2.5) if free_sd else float(log_sd)  # type: ignore[arg-type]
    return res.x[:p], lsd, -float(res.fun)


def random_intercept_logit(
    df: pd.DataFrame, outcome: str, covariates: list[str], group: str, alpha: float = 0.05
) -> RandomInterceptFit:
    """Fit ``outcome ~ covariates + (1 | group)`` by maximum likelihood and give the group SD
    with its profile-likelihood interval (two-sided ``1 - alpha``: the SDs whose likelihood-ratio
    statistic against the maximum is below the chi-square(1) quantile; the lower end is 0 when
    an SD of 0 is inside).

    Continuous covariates are used as given (standardise them first); covariates with no
    variation are dropped. Caveat: an SD on the boundary (0) makes the chi-square reference
    conservative at the lower end; with few groups the interval is wide."""
    from threadpoolctl import threadpool_limits

    # small matrices, many calls: one BLAS thread (threads only contend, on a shared machine)
    with threadpool_limits(limits=1, user_api="blas"):
        return _random_intercept_logit(df, outcome, covariates, group, alpha)


def _random_intercept_logit(
    df: pd.DataFrame, outcome: str, covariates: list[str], group: str, alpha: float
) -> RandomInterceptFit:
    """:func:`random_intercept_logit` without the BLAS thread limit."""
    data = df[[outcome, *covariates, group]].dropna()
    cols = [c for c in covariates if data[c].astype(float).std(ddof=0) > 0]
    x = np.column_stack([np.ones(len(data))] + [data[c].astype(float) for c in cols])
    y = data[outcome].astype(float).to_numpy()
    codes, uniques = pd.factorize(data[group])
    k = len(uniques)
    names = ["const", *cols]
    if len(y) == 0 or k < 2 or y.min() == y.max():
        nan_coef = pd.Series(np.nan, index=names)
        return RandomInterceptFit(math.nan, math.nan, math.nan, nan_coef, math.nan, len(y), k)
    start = np.zeros(x.shape[1] + 1)
    start[0] = math.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3))
    start[-1] = math.log(0.5)
    beta, lsd, llmax = _fit_beta(y, x, codes, k, None, start)
    crit = float(sps.chi2.ppf(1 - alpha, 1))

    def deviance(sd: float) -> float:
        b, _, ll = _fit_beta(y, x, codes, k, math.log(max(sd, 1e-6)), beta)
        return 2.0 * (llmax - ll)

    sd_hat = math.exp(lsd)
    if sd_hat < 1e-3:
        sd_hat = 0.0
    # lower end
    if sd_hat == 0.0 or deviance(1e-6) <= crit:
        low = 0.0
    else:
        low = float(optimize.brentq(lambda s: deviance(s) - crit, 1e-6, sd_hat, xtol=5e-3))
    # upper end: widen until the deviance passes the critical value (capped)
    top = max(sd_hat, 0.05)
    high = math.nan
    for _ in range(8):
        top *= 1.6
        if deviance(top) > crit:
            high = float(
                optimize.brentq(lambda s: deviance(s) - crit, max(sd_hat, 1e-6), top, xtol=1e-3)
            )
            break
    return RandomInterceptFit(sd_hat, low, high, pd.Series(beta, index=names), llmax, len(y), k)


# --- intraclass correlation ------------------------------------------------------------------


def _anova_icc_codes(v: np.ndarray, codes: np.ndarray) -> float:
    """ANOVA ICC of values ``v`` in groups given as integer codes 0..k-1 (all present)."""
    k = int(codes.max()) + 1 if len(codes) else 0
    n = len(v)
    if k < 2 or n <= k:
        return math.nan
    sizes = np.bincount(codes, minlength=k).astype(float)
    sums = np.bincount(codes, weights=v, minlength=k)
    means = sums / np.where(sizes > 0, sizes, 1)
    grand = v.mean()
    ssb = float((sizes * (means - grand) ** 2).sum())
    ssw = float(((v - means[codes]) ** 2).sum())
    msb, msw = ssb / (k - 1), ssw / (n - k)
    n0 = (n - float((sizes**2).sum()) / n) / (k - 1)
    denom = msb + (n0 - 1) * msw
    return math.nan if denom == 0 else (msb - msw) / denom


def anova_icc(values: pd.Series, groups: pd.Series) -> float:
    """One-way ANOVA (method-of-moments) intraclass correlation of ``values`` within ``groups``:
    ``(MSB - MSW) / (MSB + (n0 - 1) MSW)`` with ``n0`` the adjusted mean group size.
    Can be negative (sampling error when there is no true between-group variance)."""
    d = pd.DataFrame({"v": np.asarray(values, dtype=float), "g": np.asarray(groups)}).dropna()
    codes = pd.factorize(d["g"])[0]
    return _anova_icc_codes(d["v"].to_numpy(), codes)


@london_level
def bootstrap_icc(
    values: pd.Series, groups: pd.Series, n_boot: int = 200, seed: int = 0, alpha: float = 0.05
) -> Estimate:
    """ANOVA ICC with a percentile bootstrap CI resampling whole groups (clusters).
    ``p_value`` is the one-way ANOVA F-test of no between-group variance."""
    d = pd.DataFrame({"v": np.asarray(values, dtype=float), "g": np.asarray(groups)}).dropna()
    codes = pd.factorize(d["g"])[0]
    v = d["v"].to_numpy()
    est = _anova_icc_codes(v, codes)
    parts = [v[codes == j] for j in range(codes.max() + 1)] if len(codes) else []
    if len(parts) < 2:
        return Estimate(math.nan, math.nan, math.nan, math.nan, len(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(sps.f_oneway(*parts).pvalue)
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, len(parts), len(parts))
        vb = np.concatenate([parts[i] for i in pick])
        gb = np.concatenate([np.full(len(parts[i]), j) for j, i in enumerate(pick)])
        boots[b] = _anova_icc_codes(vb, gb)
    lo, hi = (
        np.nanpercentile(boots, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        if n_boot
        else (
            math.nan,
            math.nan,
        )
    )
    return Estimate(est, float(lo), float(hi), p, len(d))


# --- rank correlation ------------------------------------------------------------------------


@london_level
def spearman_bootstrap(
    x: Sequence[float] | pd.Series,
    y: Sequence[float] | pd.Series,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
) -> Estimate:
    """Spearman's rank correlation with a percentile bootstrap CI (pairs resampled) and the
    asymptotic two-sided p-value. Caveat: ties (e.g. grades) make the bootstrap CI lumpy."""
    d = pd.DataFrame({"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}).dropna()
    n = len(d)
    if n < 4 or d["x"].nunique() < 2 or d["y"].nunique() < 2:
        return Estimate(math.nan, math.nan, math.nan, math.nan, n)
    res = sps.spearmanr(d["x"], d["y"])
    rng = np.random.default_rng(seed)
    xs, ys = d["x"].to_numpy(), d["y"].to_numpy()
    # rank once per resample: vectorised via argsort of resampled arrays
    boots = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        rx, ry = sps.rankdata(xs[idx]), sps.rankdata(ys[idx])
        sx, sy = rx.std(), ry.std()
        boots[b] = np.nan if sx == 0 or sy == 0 else float(np.corrcoef(rx, ry)[0, 1])
    lo, hi = np.nanpercentile(boots, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Estimate(float(res.statistic), float(lo), float(hi), float(res.pvalue), n)


def spearman_correlation(
    x: Sequence[float] | pd.Series, y: Sequence[float] | pd.Series, alpha: float = 0.05
) -> Estimate:
    """Spearman's rank correlation of paired values with scipy's two-sided p-value (t
    approximation) and a Fisher-z interval ``tanh(atanh(rho) -+ z / sqrt(n - 3))`` (rho held
    inside +-0.999999 so that the transform stays finite). Pairs with a missing value are
    dropped (align pandas objects first: the values are paired by position). NaN when fewer
    than 3 pairs or either variable is constant; the interval is NaN with 3 pairs.
    Caveat: ``1 / sqrt(n - 3)`` is Pearson's standard error; for Spearman's rho it is a little
    small, so the interval is slightly narrow, more so with ties and strong correlations."""
    d = pd.DataFrame({"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}).dropna()
    n = len(d)
    if n < 3 or d["x"].nunique() < 2 or d["y"].nunique() < 2:
        return Estimate(math.nan, math.nan, math.nan, math.nan, n)
    rho, p = sps.spearmanr(d["x"], d["y"])
    if n <= 3:
        return Estimate(float(rho), math.nan, math.nan, float(p), n)
    z, se = math.atanh(max(min(rho, 0.999999), -0.999999)), 1 / math.sqrt(n - 3)
    q = sps.norm.ppf(1 - alpha / 2)
    return Estimate(float(rho), math.tanh(z - q * se), math.tanh(z + q * se), float(p), n)


# --- contingency tables ----------------------------------------------------------------------


def chi_square_independence(table: pd.DataFrame) -> tuple[float, int, float]:
    """Pearson chi-square test of independence of a contingency table (rows x columns, counts):
    ``(statistic, df, p_value)``. Empty rows/columns are dropped. Caveat: expected counts under 5
    make the p-value approximate."""
    t = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return (math.nan, 0, math.nan)
    stat, p, dof, _ = sps.chi2_contingency(t.to_numpy(), correction=False)
    return (float(stat), int(dof), float(p))


# --- regressions with robust or cluster-robust errors, and a cluster bootstrap ---------------


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


def _coefficient(fit: Any, focus: str, alpha: float, n: int) -> Coefficient:
    """The coefficient ``focus`` of a fitted statsmodels model, with its ``1 - alpha`` interval
    and p-value on the model's own standard errors."""
    low, high = fit.conf_int(alpha).loc[focus]
    return Coefficient(
        focus, float(fit.params[focus]), float(low), float(high), float(fit.pvalues[focus]), n
    )


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
    return _coefficient(fit, focus, alpha, len(data))


def full_rank_design(df: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Numeric design matrix with an intercept, constant columns dropped and each column that
    is a linear combination of earlier ones dropped (so the first-listed, focus, terms are
    kept), from ONE QR decomposition of the column-normalised matrix: a column whose diagonal
    entry of R is below 1e-9 lies in the span of the columns before it. Same columns as
    :func:`_design`, which tests the rank column by column and is slow with many dummies
    (e.g. borough and start-year effects). Caveat: the 1e-9 tolerance is on the normalised
    columns; a column that is collinear only up to rounding noise larger than that is kept."""
    x = sm.add_constant(df[terms].astype(float), has_constant="add")
    x = x.loc[:, (x.nunique() > 1) | (x.columns == "const")]
    if x.empty:
        return x
    values = x.to_numpy(dtype=float)
    norms = np.linalg.norm(values, axis=0)
    r = np.linalg.qr(values / np.where(norms > 0, norms, 1.0), mode="r")
    keep = np.abs(np.diag(r)) > 1e-9
    return x.loc[:, keep]


def ols_coefficient_clustered(
    df: pd.DataFrame,
    outcome: str,
    terms: list[str],
    focus: str,
    cluster: str,
    alpha: float = 0.05,
) -> Coefficient | None:
    """OLS of ``outcome`` on ``terms`` (plus an intercept) with standard errors clustered on
    ``cluster`` (CR1, statsmodels' small-sample correction); the ``focus`` coefficient with
    its two-sided ``1 - alpha`` Wald interval (t with clusters - 1 degrees of freedom). None
    when the focus term has no variation, the model has too few rows, or fewer than two
    clusters. Caveat: with few clusters (under about 30) cluster-robust intervals are too
    narrow."""
    data = df[[outcome, *terms, cluster]].dropna()
    x = full_rank_design(data, terms)
    groups = pd.factorize(data[cluster])[0]
    n_clusters = int(groups.max()) + 1 if len(groups) else 0
    if focus not in x.columns or len(data) <= x.shape[1] + 1 or n_clusters < 2:
        return None
    fit = sm.OLS(data[outcome].astype(float), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    return _coefficient(fit, focus, alpha, len(data))


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


def ratio_difference_bootstrap(
    numerator_1: Sequence[float] | pd.Series,
    denominator_1: Sequence[float] | pd.Series,
    numerator_2: Sequence[float] | pd.Series,
    denominator_2: Sequence[float] | pd.Series,
    *,
    seed: int = 0,
    n_boot: int = 999,
    alpha: float = 0.05,
) -> tuple[float, float, float]:
    """Difference of two ratios of sums over units (e.g. homes),
    ``sum(num_1) / sum(den_1) - sum(num_2) / sum(den_2)``, with a percentile bootstrap interval
    that resamples the units of each sample independently (so the parts of one unit, e.g. a
    home's places, are not treated as independent): ``(estimate, low, high)``. NaNs when either
    sample is empty or its denominators sum to 0 or less; a resample whose denominators sum to
    0 is left out of the quantiles. Caveat: percentile intervals of a difference of ratios can
    be a little narrow with few units."""
    parts = []
    for numerator, denominator in ((numerator_1, denominator_1), (numerator_2, denominator_2)):
        num = np.asarray(numerator, dtype=float)
        den = np.asarray(denominator, dtype=float)
        if len(den) == 0 or den.sum() <= 0:
            return (math.nan, math.nan, math.nan)
        parts.append((num, den))
    rng = np.random.default_rng(seed)
    estimate = 0.0
    boot = np.zeros(n_boot)
    for sign, (num, den) in zip((1.0, -1.0), parts, strict=True):
        estimate += sign * num.sum() / den.sum()
        idx = rng.integers(0, len(num), size=(n_boot, len(num)))
        b_den = den[idx].sum(axis=1)
        boot += sign * num[idx].sum(axis=1) / np.where(b_den > 0, b_den, np.nan)
    low, high = np.nanquantile(boot, [alpha / 2, 1 - alpha / 2])
    return (float(estimate), float(low), float(high))
