"""Publishing a hypothesis figure: one way, :func:`publish` of a :class:`FigureSpec`.

A figure is published with the table behind it through disclosure control
(:func:`analysis.charts.save_figure`: PNG, SVG, CSV, JSON). A table showing numbers that a
protected table also publishes follows that table's suppression (:func:`linked_publication`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

#: The quantities of a table of K2 children and those placed outside London, as the protected
#: borough indicator table (:func:`analysis.groups.indicators.protected_indicators`) names them.
K2_OUTSIDE_QUANTITIES: dict[str, str] = {
    "children": "k2_children",
    "placed_outside": "k2_outside_london",
}


@dataclass
class FigureSpec:
    """A figure ready to publish: the figure (a matplotlib figure, or a
    :class:`analysis.charts.LazyFigure` built only when the figure cache does not hold it), its
    name, caption, alt text and the table behind it (with the columns that count children, for
    disclosure control)."""

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


def publish(spec: FigureSpec, paths: Any, result: Any = None) -> Path:
    """Save a :class:`FigureSpec` with :func:`analysis.charts.save_figure` (PNG, SVG, CSV, JSON):
    the one way a hypothesis notebook publishes a figure. With ``result`` (the chapter's
    :class:`analysis.verdicts.HypothesisResult`) the figure is added to the figures its chapter
    shows, in the order published: ``evaluate()`` does not name the figures, the notebook that
    draws them does."""
    if result is not None and spec.name not in result.figures:
        result.figures.append(spec.name)
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


def k2_outside_links(table: pd.DataFrame, key: str, linked: Any) -> dict[str, Any]:
    """:func:`linked_publication` of a table of K2 children and those placed outside London
    (``children``, ``placed_outside`` per ``key``) whose rows are not additive (nested scopes,
    or a subset of boroughs): no column totals are published."""
    return linked_publication(table, key, K2_OUTSIDE_QUANTITIES, linked, column_totals=False)
