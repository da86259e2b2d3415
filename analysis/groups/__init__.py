"""Borough behaviour groups: indicators, the 2022 typology (declared rules), data-driven
clustering, public-data grouping and the London tile map.

The agreed interface (docs/architecture.md): :func:`borough_indicators`, :func:`typology`
(= :func:`assign_typology`).
"""

from analysis.groups.clustering import (
    ClusterResult,
    adjusted_rand_between,
    cluster_boroughs,
    cluster_profile,
    difference_from_group,
    nearest_peers,
    standardise,
    subsample_stability,
)
from analysis.groups.indicators import INDICATOR_LABELS, borough_indicators
from analysis.groups.public import public_data_indicators
from analysis.groups.typology import (
    NOT_GROUPED,
    assign_typology,
    load_config,
    typology,
    typology_profile,
)

__all__ = [
    "INDICATOR_LABELS",
    "NOT_GROUPED",
    "ClusterResult",
    "adjusted_rand_between",
    "assign_typology",
    "subsample_stability",
    "borough_indicators",
    "cluster_boroughs",
    "cluster_profile",
    "difference_from_group",
    "load_config",
    "nearest_peers",
    "public_data_indicators",
    "standardise",
    "typology",
    "typology_profile",
]
