"""The six hypothesis tests and their registry.

``EVALUATORS[n](ds, year, rules, *, la=None, seed=0) -> HypothesisResult`` runs hypothesis ``n``'s
whole statistical test (no figures); ``rules`` come from ``config/decision_rules/h<n>.yaml``.
The simulation study and the build iterate over this registry.
"""

from __future__ import annotations

from collections.abc import Callable

from analysis.hypotheses import h1, h2, h3, h4, h5, h6
from analysis.verdicts import HypothesisResult

Evaluator = Callable[..., HypothesisResult]

EVALUATORS: dict[int, Evaluator] = {
    1: h1.evaluate,
    2: h2.evaluate,
    3: h3.evaluate,
    4: h4.evaluate,
    5: h5.evaluate,
    6: h6.evaluate,
}
