"""The hypothesis tests: one statistics module per hypothesis, declared in the registry.

:mod:`analysis.hypotheses.registry` lists the registered hypotheses (``config/hypotheses/``);
``registry.get(n).evaluate(ds, year, rules, la=None, seed=0)`` runs hypothesis ``n``'s whole
statistical test (no figures) and returns a :class:`analysis.verdicts.HypothesisResult`.
"""
