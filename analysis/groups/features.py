"""The clustering's features, built from the borough indicators with their numbers of children.

Three choices, each declared in ``config/groups.yaml`` (``clustering:``) and the assumptions log:

- **Shares are shrunk by their number of children** (beta-binomial posterior mean): a
  borough's share ``count / total`` becomes ``(count + m * p_London) / (total + m)`` where
  ``p_London`` is London's pooled share (all children together) and ``m`` is
  ``prior_children``. A share from 2 children is mostly London's; one from 68 is mostly the
  borough's own. Non-share features measured over a borough's children (median distance) are
  pulled towards London's child-weighted value the same way.
- **The location composition drops one share**: in borough, in London out of borough and
  outside London sum to 1, so only the first two are features (outside London is what is
  left). A log-ratio transform was not used: many boroughs have no child in their own borough
  or none in London, and the log-ratio distance between 0 and 1 of 20 children would depend
  almost wholly on the zero replacement chosen.
- **No silent fill**: a value with no children behind it (a borough with no child in a
  children's home has no location shares, no distance, no grades) takes London's value, which
  is what the shrinkage gives at zero children, and every such cell is listed
  (:func:`missing_values`). With ``missing: exclude`` such boroughs are left out instead.

Caveat: ``pct_good_or_better`` is weighted by the borough's children in homes (its denominator,
children in *graded* homes, is about 95% of them and is not in the indicator table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Feature -> how it is built: a share (``numerator`` / ``denominator`` counts, 0-1), or a
#: per-child summary (``value`` column) weighted by ``children``; ``raw`` features are used as
#: they are (never missing: 0 London LAs used gives 0 children per LA).
FEATURE_SPECS: dict[str, dict[str, str]] = {
    "pct_residential": {"kind": "share", "numerator": "k2_children", "denominator": "cla_cohort"},
    "pct_in_borough": {"kind": "share", "numerator": "k2_in_borough", "denominator": "k2_children"},
    "pct_london_oob": {"kind": "share", "numerator": "k2_london_oob", "denominator": "k2_children"},
    "pct_outside_london": {
        "kind": "share",
        "numerator": "k2_outside_london",
        "denominator": "k2_children",
    },
    "pct_in_house": {"kind": "share", "numerator": "in_house_k2", "denominator": "k2_children"},
    "median_distance_miles": {
        "kind": "mean",
        "value": "median_distance_miles",
        "children": "k2_children",
    },
    "pct_good_or_better": {
        "kind": "mean",
        "value": "pct_good_or_better",
        "children": "k2_children",
    },
    "n_london_las": {"kind": "raw"},
    "children_per_london_la": {"kind": "raw"},
}


def shrunk_share(
    count: pd.Series, total: pd.Series, prior_children: float
) -> tuple[pd.Series, float]:
    """Beta-binomial posterior mean of each borough's share (0-1), and London's pooled share.

    ``(count + m * p) / (total + m)`` with ``p = sum(count) / sum(total)``, ``m = prior_children``.
    At ``total = 0`` it is ``p``. Caveat: one prior for all boroughs (no borough covariates).
    """
    count = pd.to_numeric(count, errors="coerce").fillna(0.0).astype(float)
    total = pd.to_numeric(total, errors="coerce").fillna(0.0).astype(float)
    pooled = float(count.sum() / total.sum()) if total.sum() > 0 else float("nan")
    m = float(prior_children)
    if m <= 0:
        return count / total.where(total > 0), pooled
    return (count + m * pooled) / (total + m), pooled


def shrunk_mean(
    value: pd.Series, children: pd.Series, prior_children: float
) -> tuple[pd.Series, float]:
    """A per-borough summary pulled towards London's child-weighted mean of it:
    ``(n * v + m * v_London) / (n + m)``; ``n`` is 0 where the value is missing."""
    v = pd.to_numeric(value, errors="coerce").astype(float)
    n = pd.to_numeric(children, errors="coerce").fillna(0.0).astype(float).where(v.notna(), 0.0)
    pooled = float((v.fillna(0.0) * n).sum() / n.sum()) if n.sum() > 0 else float("nan")
    m = float(prior_children)
    if m <= 0:
        return v, pooled
    return (n * v.fillna(0.0) + m * pooled) / (n + m), pooled


def children_behind(indicators: pd.DataFrame, feature: str) -> pd.Series:
    """How many children each borough's value of ``feature`` rests on (NaN for raw features)."""
    spec = FEATURE_SPECS.get(feature, {"kind": "raw"})
    if spec["kind"] == "share":
        return pd.to_numeric(indicators[spec["denominator"]], errors="coerce").fillna(0.0)
    if spec["kind"] == "mean":
        n = pd.to_numeric(indicators[spec["children"]], errors="coerce").fillna(0.0)
        return n.where(pd.to_numeric(indicators[spec["value"]], errors="coerce").notna(), 0.0)
    return pd.Series(np.nan, index=indicators.index)


@dataclass
class FeatureTable:
    """The features the clustering uses, and how each value was obtained."""

    values: pd.DataFrame
    #: borough x feature: children behind the value (NaN for raw features)
    children: pd.DataFrame
    #: long table ``la_name, feature, children, treatment`` of values with no children behind
    missing: pd.DataFrame
    #: boroughs left out (``missing: exclude``)
    excluded: list[str]
    #: feature -> London's pooled value (the shrinkage target)
    london: dict[str, float]


def clustering_features(
    indicators: pd.DataFrame, features: Sequence[str], settings: Mapping[str, Any]
) -> FeatureTable:
    """The clustering's features from ``indicators`` (rows: boroughs to cluster), shrunk by
    their number of children (``prior_children``), with the missing-value treatment
    ``missing`` (``london_value`` or ``exclude``); see the module docstring."""
    m = float(settings.get("prior_children", 0.0))
    policy = str(settings.get("missing", "london_value"))
    if policy not in {"london_value", "exclude"}:
        raise ValueError(f"unknown missing-value treatment {policy!r}")
    values = pd.DataFrame(index=indicators.index)
    children = pd.DataFrame(index=indicators.index)
    london: dict[str, float] = {}
    for feat in features:
        spec = FEATURE_SPECS.get(feat, {"kind": "raw"})
        if spec["kind"] == "share":
            values[feat], london[feat] = shrunk_share(
                indicators[spec["numerator"]], indicators[spec["denominator"]], m
            )
        elif spec["kind"] == "mean":
            values[feat], london[feat] = shrunk_mean(
                indicators[spec["value"]], indicators[spec["children"]], m
            )
        else:
            values[feat] = pd.to_numeric(indicators[feat], errors="coerce").astype(float)
            london[feat] = float(values[feat].mean())
        children[feat] = children_behind(indicators, feat)
    rows = []
    for feat in list(features):
        if values[feat].isna().all():  # nothing to cluster on, nothing to shrink towards
            values = values.drop(columns=feat)
            children = children.drop(columns=feat)
            rows.append(
                {
                    "la_name": "(every borough)",
                    "feature": feat,
                    "children": None,
                    "treatment": "feature left out: no borough has a value",
                }
            )
    for feat in values.columns:
        empty = (children[feat] == 0) | values[feat].isna()
        raw = FEATURE_SPECS.get(feat, {"kind": "raw"})["kind"] == "raw"
        for la in indicators.index[empty]:
            if policy == "exclude":
                treatment = "borough left out of the clustering"
            elif raw:
                treatment = "London's mean (the borough's value is missing)"
            else:
                treatment = "London's value (no children behind the borough's own)"
            rows.append(
                {
                    "la_name": str(la),
                    "feature": feat,
                    "children": 0 if not raw else None,
                    "treatment": treatment,
                }
            )
    missing = pd.DataFrame(rows, columns=["la_name", "feature", "children", "treatment"])
    excluded: list[str] = []
    if policy == "exclude":
        excluded = sorted(set(missing["la_name"]))
        values = values.drop(index=excluded)
        children = children.drop(index=excluded)
    else:
        for feat in values.columns:
            still = values[feat].isna()
            if still.any():  # a raw feature with no value: nothing to shrink towards
                values.loc[still, feat] = london[feat]
    return FeatureTable(values, children, missing, excluded, london)


def missing_values(table: FeatureTable) -> pd.DataFrame:
    """The long table of values that had no children behind them and what was done."""
    return table.missing.copy()
