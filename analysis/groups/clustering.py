"""Data-driven borough groups: k-means, Ward and a Gaussian mixture on standardised features
(shares shrunk by their number of children, the location composition with one share dropped,
missing values listed: :mod:`analysis.groups.features`), the number of groups chosen by
silhouette (k-means, Ward) or BIC (mixture) over a range that is reported when it binds,
stability by subsampling for every k (Hennig's mean Jaccard per group, and the adjusted Rand
index) and agreement with the 2022 typology (adjusted Rand index).

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
    """z-scores of ``features`` (population SD); a constant column becomes 0.

    Missing values are refused, not filled: treat them first and say how
    (:func:`analysis.groups.features.clustering_features`)."""
    x = indicators[list(features)].apply(pd.to_numeric, errors="coerce").astype(float)
    if x.isna().any().any():
        gaps = [c for c in x.columns if x[c].isna().any()]
        raise ValueError(f"missing values in {gaps}: treat them before standardising")
    sd = x.std(ddof=0).replace(0.0, 1.0)
    return (x - x.mean()) / sd


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
        reg_covar=float(settings.get("gmm_reg_covar", 1e-3)),
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

    Columns ``method, k, silhouette, bic`` (BIC missing for k-means/Ward). ``k_max`` is capped
    at ``len(x) - 1``.
    """
    k_max = k_range(settings, len(x))[1]
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


def k_range(settings: Mapping[str, Any], n_rows: int) -> tuple[int, int]:
    """The searched range of k: ``k_min`` to ``k_max`` (capped at ``n_rows - 1``)."""
    return int(settings.get("k_min", 2)), min(int(settings.get("k_max", 10)), n_rows - 1)


def k_at_edge(selection: pd.DataFrame, chosen: Mapping[str, int]) -> dict[str, str]:
    """Per method: ``"upper"`` when the chosen k is the largest searched (the range binds: more
    groups might fit better), ``"lower"`` when it is the smallest (fewer, or no groups at all,
    cannot be ruled out by the criterion), else ``""``."""
    out = {}
    for method, k in chosen.items():
        ks = selection.loc[selection["method"] == method, "k"]
        if len(ks) and k == ks.max():
            out[method] = "upper"
        elif len(ks) and k == ks.min():
            out[method] = "lower"
        else:
            out[method] = ""
    return out


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


def _subsample_scores(
    x: np.ndarray,
    labels: np.ndarray,
    method: str,
    k: int,
    settings: Mapping[str, Any],
    seed: int,
    n_subsamples: int,
    fraction: float,
) -> tuple[dict[int, list[float]], list[float]]:
    rng = np.random.default_rng(seed)
    n = len(x)
    size = max(k + 1, int(round(fraction * n)))
    scores: dict[int, list[float]] = {int(c): [] for c in np.unique(labels)}
    aris: list[float] = []
    if size >= n:
        return scores, aris
    for b in range(n_subsamples):
        draw = np.sort(rng.choice(n, size=size, replace=False))
        sub_labels = fit_labels(x[draw], method, k, settings, seed + b + 1)
        aris.append(float(adjusted_rand_score(labels[draw], sub_labels)))
        sub_sets = [set(draw[sub_labels == c].tolist()) for c in np.unique(sub_labels)]
        for c in scores:
            original = set(draw[labels[draw] == c].tolist())
            if original:
                scores[c].append(max(jaccard(original, s) for s in sub_sets))
    return scores, aris


@single_threaded
def subsample_stability(
    x: np.ndarray,
    labels: np.ndarray,
    method: str,
    k: int,
    settings: Mapping[str, Any],
    seed: int,
    n_subsamples: int,
    fraction: float = 0.8,
) -> dict[int, float]:
    """Mean Jaccard similarity per cluster over ``n_subsamples`` subsamples drawn WITHOUT
    replacement (Hennig 2007, "subsetting"): each subsample holds ``fraction`` of the boroughs,
    is re-clustered with the same method and k, and each original cluster (restricted to the
    subsample) is scored by its best-matching subsample cluster. Subsampling, unlike the
    bootstrap, never duplicates a borough (duplicates pull k-means centres onto them).
    Caveat: with ~32 boroughs a subsample of 80% leaves out ~6, so small groups can vanish."""
    scores, _ = _subsample_scores(x, labels, method, k, settings, seed, n_subsamples, fraction)
    return {c: float(np.mean(v)) if v else float("nan") for c, v in scores.items()}


@single_threaded
def stability_by_k(
    x: np.ndarray,
    method: str,
    ks: Sequence[int],
    settings: Mapping[str, Any],
    seed: int,
    labels_at: Mapping[int, np.ndarray] | None = None,
    per_cluster: dict[int, dict[int, float]] | None = None,
) -> pd.DataFrame:
    """Subsampling stability of ``method`` at every k in ``ks``: columns ``method, k,
    mean_ari`` (adjusted Rand index between the full-data and the subsample clustering on the
    subsampled boroughs), ``mean_jaccard`` (mean over clusters of the per-cluster mean
    Jaccard) and ``min_jaccard`` (the least stable cluster). ``subsamples`` and
    ``subsample_fraction`` come from ``settings``. ``labels_at`` gives the full-data labels to
    score at some k (else they are fitted); ``per_cluster`` (if given) receives each k's
    per-cluster mean Jaccard."""
    n_sub = int(settings.get("subsamples", 50))
    fraction = float(settings.get("subsample_fraction", 0.8))
    rows = []
    for k in ks:
        labels = (labels_at or {}).get(k)
        if labels is None:
            labels = fit_labels(x, method, k, settings, seed)
        scores, aris = _subsample_scores(x, labels, method, k, settings, seed, n_sub, fraction)
        if per_cluster is not None:
            per_cluster[int(k)] = {
                c: float(np.mean(v)) if v else float("nan") for c, v in scores.items()
            }
        per = [float(np.mean(v)) for v in scores.values() if v]
        rows.append(
            {
                "method": method,
                "k": int(k),
                "mean_ari": float(np.mean(aris)) if aris else float("nan"),
                "mean_jaccard": float(np.mean(per)) if per else float("nan"),
                "min_jaccard": float(np.min(per)) if per else float("nan"),
            }
        )
    return pd.DataFrame(rows)


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
    #: per method: "upper" / "lower" when the chosen k is at the edge of the searched range
    k_edge: dict[str, str] = field(default_factory=dict)
    k_searched: tuple[int, int] = (2, 10)
    #: subsampling stability of the kept method at every k searched
    stability_k: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the standardised features the clusters were built on (rows: clustered boroughs)
    z: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: values with no children behind them and what was done (analysis.groups.features)
    missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    excluded: list[str] = field(default_factory=list)
    prior_children: float = 0.0

    def k_note(self) -> str:
        """A sentence for the report when the chosen k sits at the edge of the searched range."""
        lo, hi = self.k_searched
        edge = self.k_edge.get(self.method, "")
        if edge == "upper":
            return (
                f"The best number of groups is the largest searched (k = {hi}): the search "
                "range binds, and more groups might fit better."
            )
        if edge == "lower":
            return (
                f"The best number of groups is the smallest searched (k = {lo}): the "
                "criterion cannot rule out fewer groups, or none."
            )
        return f"The best number of groups ({self.k}) lies inside the searched range {lo}-{hi}."

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
            "k_searched": list(self.k_searched),
            "k_at_edge_by_method": self.k_edge,
            "k_note": self.k_note(),
            "stability_method": "subsampling without replacement",
            "stability_by_k": self.stability_k.to_dict(orient="records"),
            "prior_children": self.prior_children,
            "missing_values": self.missing.to_dict(orient="records"),
            "excluded_for_missing_values": self.excluded,
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
    measure its subsampling stability at every k and its agreement with ``typology`` (ARI, on
    boroughs with a typology group). The features are built by
    :func:`analysis.groups.features.clustering_features` (shrunk shares, missing values listed).
    """
    from analysis.groups.features import clustering_features

    seed = int(settings.get("seed", 0) if seed is None else seed)
    features = list(features or settings["features"])
    table = clustering_features(indicators, features, settings)
    indicators = indicators.loc[table.values.index]
    features = list(table.values.columns)
    z = standardise(table.values, features)
    x = z.to_numpy()
    selection = selection_table(x, settings, seed)
    tol = float(settings.get("k_tolerance", 0.0))
    methods = settings.get("methods", ["kmeans", "ward", "gmm"])
    chosen = {m: choose_k(selection, m, tol) for m in methods}
    solutions = {m: relabel_by_size(fit_labels(x, m, k, settings, seed)) for m, k in chosen.items()}
    sil = {m: safe_silhouette(x, lab) for m, lab in solutions.items()}
    edge = k_at_edge(selection, chosen)
    # A k at the edge of the search is a criterion still improving, not a chosen k: such a
    # solution is kept only when every method's is at the edge (the output then says so).
    inside = [m for m in chosen if not edge[m]] or list(chosen)
    best = max(inside, key=lambda m: (np.nan_to_num(sil[m], nan=-1.0), -list(chosen).index(m)))
    labels = pd.Series(solutions[best], index=indicators.index, name="cluster")
    lo, hi = k_range(settings, len(x))
    per_cluster: dict[int, dict[int, float]] = {}
    by_k = stability_by_k(
        x,
        best,
        range(lo, hi + 1),
        settings,
        seed,
        labels_at={chosen[best]: labels.to_numpy()},
        per_cluster=per_cluster,
    )
    stability = per_cluster[chosen[best]]
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
        k_edge=edge,
        k_searched=(lo, hi),
        stability_k=by_k,
        z=z,
        missing=table.missing,
        excluded=table.excluded,
        prior_children=float(settings.get("prior_children", 0.0)),
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
