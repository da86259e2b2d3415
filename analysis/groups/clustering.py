"""Data-driven borough groups: k-means, Ward and a Gaussian mixture on standardised indicators,
the number of groups chosen by silhouette (k-means, Ward) or BIC (mixture), bootstrap stability
(Hennig's mean Jaccard per group) and agreement with the 2022 typology (adjusted Rand index).

Everything is seeded: the same data and seed give the same groups.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

T = TypeVar("T")


def single_threaded(func: Callable[..., T]) -> Callable[..., T]:
    """Run ``func`` with BLAS/OpenMP limited to one thread: on ~32 rows, thread start-up costs
    far more than it saves (a 14x slow-down on a busy 2-core machine)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return wrapper


def standardise(indicators: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """z-scores of ``features`` (population SD); missing values filled with the column median
    first; a constant column becomes 0. Caveat: median filling pulls gaps to the centre."""
    x = indicators[list(features)].apply(pd.to_numeric, errors="coerce").astype(float)
    x = x.fillna(x.median())
    sd = x.std(ddof=0).replace(0.0, 1.0)
    return ((x - x.mean()) / sd).fillna(0.0)


def fit_labels(
    x: np.ndarray, method: str, k: int, settings: Mapping[str, Any], seed: int
) -> np.ndarray:
    """Cluster labels (0..k-1) of the rows of ``x`` by ``method`` (kmeans | ward | gmm).

    Boroughs with identical indicators (e.g. several placing no child in London) can leave
    k-means with fewer distinct clusters than asked; sklearn's warning about it is silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fit_labels(x, method, k, settings, seed)


def _fit_labels(
    x: np.ndarray, method: str, k: int, settings: Mapping[str, Any], seed: int
) -> np.ndarray:
    if method == "kmeans":
        model = KMeans(
            n_clusters=k, n_init=int(settings.get("kmeans_n_init", 20)), random_state=seed
        )
        return model.fit_predict(x)
    if method == "ward":
        return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    if method == "gmm":
        return _gmm(x, k, settings, seed).predict(x)
    raise ValueError(f"unknown clustering method {method!r}")


def _gmm(x: np.ndarray, k: int, settings: Mapping[str, Any], seed: int) -> GaussianMixture:
    return GaussianMixture(
        n_components=k,
        covariance_type=str(settings.get("gmm_covariance", "diag")),
        n_init=int(settings.get("gmm_n_init", 5)),
        reg_covar=1e-3,
        random_state=seed,
    ).fit(x)


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 1..k, largest first (ties by first appearance), so numbers are stable."""
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], first[i]))
    mapping = {uniq[i]: rank + 1 for rank, i in enumerate(order)}
    return np.array([mapping[v] for v in labels])


def safe_silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width; NaN when it is undefined (one cluster, or one per point)."""
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(labels):
        return float("nan")
    return float(silhouette_score(x, labels))


@single_threaded
def selection_table(x: np.ndarray, settings: Mapping[str, Any], seed: int) -> pd.DataFrame:
    """For each method and k in [k_min, k_max]: silhouette, and BIC for the mixture.

    Columns ``method, k, silhouette, bic`` (BIC missing for k-means/Ward).
    """
    k_max = min(int(settings.get("k_max", 7)), len(x) - 1)
    rows = []
    for method in settings.get("methods", ["kmeans", "ward", "gmm"]):
        for k in range(int(settings.get("k_min", 2)), k_max + 1):
            if method == "gmm":
                model = _gmm(x, k, settings, seed)
                labels, bic = model.predict(x), float(model.bic(x))
            else:
                labels, bic = fit_labels(x, method, k, settings, seed), float("nan")
            rows.append(
                {"method": method, "k": k, "silhouette": safe_silhouette(x, labels), "bic": bic}
            )
    return pd.DataFrame(rows)


def choose_k(selection: pd.DataFrame, method: str, tolerance: float = 0.0) -> int:
    """The smallest k whose criterion is within ``tolerance`` of the best: BIC (lower is better,
    tolerance in BIC units x 100) for the mixture, mean silhouette (higher is better) otherwise.

    The tolerance prefers fewer groups when a larger k barely improves the fit: with ~32
    boroughs the silhouette tends to creep up as k grows and small groups form.
    """
    rows = selection[selection["method"] == method].sort_values("k")
    if method == "gmm":
        ok = rows["bic"] <= rows["bic"].min() + 100.0 * tolerance
    else:
        ok = rows["silhouette"] >= rows["silhouette"].max() - tolerance
    return int(rows.loc[ok, "k"].iloc[0])


def jaccard(a: set[int], b: set[int]) -> float:
    """|a ∩ b| / |a ∪ b| (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@single_threaded
def bootstrap_stability(
    x: np.ndarray,
    labels: np.ndarray,
    method: str,
    k: int,
    settings: Mapping[str, Any],
    seed: int,
    n_boot: int,
) -> dict[int, float]:
    """Mean Jaccard similarity per cluster over ``n_boot`` bootstrap resamples (Hennig 2007).

    Each resample draws boroughs with replacement, re-clusters them with the same method and k,
    and scores each original cluster (restricted to the drawn boroughs) by its best-matching
    resample cluster. Caveat: with ~32 boroughs a resample holds only ~20 distinct ones.
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    scores: dict[int, list[float]] = {int(c): [] for c in np.unique(labels)}
    for b in range(n_boot):
        draw = rng.integers(0, n, size=n)
        if len(np.unique(draw)) <= k:
            continue
        boot_labels = fit_labels(x[draw], method, k, settings, seed + b + 1)
        first_label = dict(zip(draw.tolist(), boot_labels.tolist(), strict=True))
        drawn = sorted(first_label)
        boot_sets = {
            c: {i for i in drawn if first_label[i] == c} for c in set(first_label.values())
        }
        for c in scores:
            original = {i for i in drawn if labels[i] == c}
            if not original:
                continue
            scores[c].append(max(jaccard(original, s) for s in boot_sets.values()))
    return {c: float(np.mean(v)) if v else float("nan") for c, v in scores.items()}


def stability_verdict(mean_jaccard: float, settings: Mapping[str, Any]) -> str:
    """Hennig's reading: ``stable`` (> jaccard_stable), ``pattern``, or ``dissolved`` (< 0.6)."""
    if np.isnan(mean_jaccard):
        return "unknown"
    if mean_jaccard > float(settings.get("jaccard_stable", 0.75)):
        return "stable"
    if mean_jaccard < float(settings.get("jaccard_dissolved", 0.6)):
        return "dissolved"
    return "pattern"


@dataclass
class ClusterResult:
    """The chosen clustering and the evidence for it."""

    method: str
    k: int
    labels: pd.Series
    silhouette: float
    stability: dict[int, float]
    selection: pd.DataFrame
    features: list[str]
    ari_vs_typology: float | None = None
    chosen_k: dict[str, int] = field(default_factory=dict)
    silhouette_by_method: dict[str, float] = field(default_factory=dict)

    def to_dict(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "method": self.method,
            "k": self.k,
            "features": self.features,
            "assignments": {str(k): int(v) for k, v in self.labels.items()},
            "sizes": {str(k): int(v) for k, v in self.labels.value_counts().sort_index().items()},
            "silhouette": self.silhouette,
            "stability": {
                str(c): {"mean_jaccard": j, "reading": stability_verdict(j, settings)}
                for c, j in self.stability.items()
            },
            "ari_vs_typology": self.ari_vs_typology,
            "chosen_k_by_method": self.chosen_k,
            "silhouette_by_method": self.silhouette_by_method,
            "selection": self.selection.to_dict(orient="records"),
        }


@single_threaded
def cluster_boroughs(
    indicators: pd.DataFrame,
    settings: Mapping[str, Any],
    *,
    seed: int | None = None,
    features: Sequence[str] | None = None,
    typology: pd.Series | None = None,
) -> ClusterResult:
    """Cluster the rows of ``indicators`` with every configured method, choose k per method
    (silhouette / BIC), keep the method whose chosen solution has the highest silhouette, and
    measure its bootstrap stability and its agreement with ``typology`` (ARI, on boroughs with
    a typology group).
    """
    seed = int(settings.get("seed", 0) if seed is None else seed)
    features = list(features or settings["features"])
    z = standardise(indicators, features)
    x = z.to_numpy()
    selection = selection_table(x, settings, seed)
    tol = float(settings.get("k_tolerance", 0.0))
    methods = settings.get("methods", ["kmeans", "ward", "gmm"])
    chosen = {m: choose_k(selection, m, tol) for m in methods}
    solutions = {m: relabel_by_size(fit_labels(x, m, k, settings, seed)) for m, k in chosen.items()}
    sil = {m: safe_silhouette(x, lab) for m, lab in solutions.items()}
    best = max(chosen, key=lambda m: (np.nan_to_num(sil[m], nan=-1.0), -list(chosen).index(m)))
    labels = pd.Series(solutions[best], index=indicators.index, name="cluster")
    stability = bootstrap_stability(
        x,
        labels.to_numpy(),
        best,
        chosen[best],
        settings,
        seed,
        int(settings.get("bootstrap_resamples", 100)),
    )
    ari = None
    if typology is not None:
        ari = adjusted_rand_between(labels, typology)
    return ClusterResult(
        method=best,
        k=chosen[best],
        labels=labels,
        silhouette=sil[best],
        stability=stability,
        selection=selection,
        features=features,
        ari_vs_typology=ari,
        chosen_k=chosen,
        silhouette_by_method=sil,
    )


def adjusted_rand_between(a: pd.Series, b: pd.Series) -> float | None:
    """Adjusted Rand index between two groupings on the boroughs both assign (None if < 2)."""
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    if len(both) < 2:
        return None
    return float(adjusted_rand_score(both["a"].astype(int), both["b"].astype(int)))


def cluster_profile(
    indicators: pd.DataFrame, labels: pd.Series, features: Sequence[str]
) -> pd.DataFrame:
    """Per cluster: number of boroughs and the unweighted mean of each feature (raw units)."""
    x = indicators.loc[labels.index, list(features)].apply(pd.to_numeric, errors="coerce")
    means = x.groupby(labels).mean()
    means.insert(0, "n_boroughs", labels.value_counts().sort_index())
    means.index.name = "cluster"
    return means.reset_index()


def group_mean_z(z: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Mean z-score of each feature per group (rows: groups): how far each group sits from the
    London average, in standard deviations."""
    return z.loc[labels.dropna().index].groupby(labels.dropna().astype(int)).mean()


def nearest_peers(z: pd.DataFrame, borough: str, n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` boroughs closest to ``borough`` in standardised-indicator space (Euclidean)."""
    dist = np.sqrt(((z - z.loc[borough]) ** 2).sum(axis=1)).drop(borough)
    nearest = dist.sort_values(kind="stable").head(n)
    return [{"la_name": str(k), "distance": float(v)} for k, v in nearest.items()]


def difference_from_group(z: pd.DataFrame, labels: pd.Series, borough: str) -> pd.DataFrame:
    """Borough z-score minus its group's mean z-score per feature, largest gaps first."""
    group = labels.loc[borough]
    members = labels[labels == group].index
    diff = z.loc[borough] - z.loc[members].mean()
    out = pd.DataFrame(
        {
            "feature": diff.index,
            "borough_z": z.loc[borough].to_numpy(),
            "group_mean_z": z.loc[members].mean().to_numpy(),
            "difference_sd": diff.to_numpy(),
        }
    )
    return out.reindex(out["difference_sd"].abs().sort_values(ascending=False).index).reset_index(
        drop=True
    )
