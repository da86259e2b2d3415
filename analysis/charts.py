"""Charts in the UK Government Analysis Function style (``afcharts``), saved reproducibly.

Every figure is saved as PNG and SVG with the table behind it (CSV) and a sidecar JSON holding
its caption and alt text, which the report uses for ``fig-alt``.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from analysis.figure_cache import active_cache, data_key, figure_key, verifying  # noqa: E402
from analysis.outputs import EditionPaths, write_json, write_table  # noqa: E402

_STYLE = Path(__import__("afcharts").__file__).parent / "afcharts.mplstyle"

#: Analysis Function categorical palette (dark blue, turquoise, dark pink, orange, grey, purple).
CATEGORICAL: list[str] = list(get_af_colours("categorical"))
#: Two-colour palette (dark blue, orange) for comparisons.
DUO: list[str] = list(get_af_colours("duo"))


#: savefig options: metadata that would change between runs is dropped.
PNG_OPTIONS: dict = {"dpi": 150, "bbox_inches": "tight", "metadata": {"Software": None}}
SVG_OPTIONS: dict = {"bbox_inches": "tight", "metadata": {"Date": None}}


_DRAW = True


def set_drawing(enabled: bool) -> None:
    """Switch figure files on or off for this process. Off (``report build`` does it for the
    previous year's notebooks, whose results only feed "what changed since last year"),
    :func:`save_figure` still writes the table and the caption/alt sidecar but no PNG/SVG."""
    global _DRAW
    _DRAW = bool(enabled)


def use_af_style() -> None:
    """Apply the afcharts matplotlib style with reproducible SVG output.

    SVG text stays text (``svg.fonttype: none``): screen readers and search can read it, an
    analyst can edit a label, the file is about 60% smaller and quicker to write; a viewer
    without DejaVu Sans shows it in its own sans-serif font. The figure's dpi is the PNG's
    (150), so the layout pass, the tight bounding box and the PNG measure text once with one
    renderer instead of once per resolution.
    """
    plt.style.use(str(_STYLE))
    plt.rcParams["svg.hashsalt"] = "london-provision"
    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["font.family"] = "DejaVu Sans"
    plt.rcParams["figure.dpi"] = PNG_OPTIONS["dpi"]


def tight_bbox(fig: plt.Figure) -> Bbox:
    """The figure's tight bounding box in inches, padded by ``savefig.pad_inches``: what
    ``bbox_inches="tight"`` computes, measured once with the Agg renderer at the PNG's dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    original_dpi = fig.dpi
    if original_dpi != PNG_OPTIONS["dpi"]:  # the AF style already draws at the PNG's dpi
        fig.set_dpi(PNG_OPTIONS["dpi"])
    try:
        box = fig.get_tightbbox(canvas.get_renderer())
    finally:
        if fig.dpi != original_dpi:
            fig.set_dpi(original_dpi)
    return box.padded(plt.rcParams["savefig.pad_inches"])


def show_figure(png: Path | str) -> None:
    """Show a saved figure in the executed notebook (the file itself, not a re-drawing);
    nothing when it was not drawn (see :func:`set_drawing`)."""
    from IPython.display import Image, display

    if Path(png).exists():
        display(Image(filename=str(png)))


@dataclass(frozen=True)
class LazyFigure:
    """A figure not built yet: ``draw(*args, **kwargs)`` builds it. :func:`save_figure` looks it
    up in the figure cache by the function and its arguments first
    (:func:`analysis.figure_cache.data_key`) and builds it only on a miss (or when its bars must
    be read back and were not cached, or to verify, ``LONDON_FIGURE_VERIFY``). ``draw`` must be a
    module-level function of the ``analysis`` package whose figure depends only on its
    arguments, the package and the configuration; for anything else the figure is simply built."""

    draw: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self) -> plt.Figure:
        return self.draw(*self.args, **self.kwargs)


def lazy_figure(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> LazyFigure:
    """``draw(*args, **kwargs)``, built only when :func:`save_figure` needs it (see
    :class:`LazyFigure`): e.g. ``lazy_figure(interval_chart, table, label=..., ...)``."""
    return LazyFigure(draw, tuple(args), dict(kwargs))


def _figure_data_key(lazy: LazyFigure, name: str, draws: Sequence[Mapping[str, Any]]) -> str | None:
    return data_key(
        lazy.draw,
        lazy.args,
        lazy.kwargs,
        {"png": PNG_OPTIONS, "svg": SVG_OPTIONS},
        # the bars read back are recorded under the figure's name
        extra=[name, [dict(d) for d in draws]],
    )


def save_figure(
    fig: plt.Figure | LazyFigure,
    paths: EditionPaths,
    name: str,
    *,
    caption: str,
    alt: str,
    table: pd.DataFrame,
    child_counts: Sequence[str] = (),
    derived_from: Mapping[str, str] | None = None,
    draws: Sequence[Mapping[str, Any]] = (),
    **relations: Any,
) -> Path:
    """Save ``fig`` as ``figures/<name>.png|.svg``, its data as ``tables/<name>.csv``.

    ``alt`` describes what the chart shows (its message, not its appearance); ``caption`` is the
    printed title. ``child_counts``/``derived_from``/``relations`` as in
    :func:`analysis.outputs.write_table`: a chart of counts of children must not draw a
    suppressed value. ``draws`` says which table column each bar series of the chart shows
    (``{"column": ..., "label": <column of the bar labels>, "scale": 100}``, in the order the
    series were drawn): the values are read back from the chart's bars, recorded in
    ``figures/<name>.json`` for the attacker's audit, and a bar drawn for a cell the published
    table hides is refused (ValueError). Returns the PNG path (not written when drawing is off,
    see :func:`set_drawing`). Metadata that would change between runs is dropped.

    ``fig`` may be a :class:`LazyFigure`: with the figure cache on, an identical figure saved
    before (same drawing function and arguments) is copied without building this one; with
    drawing off it is built only when its bars must be read back.
    """
    if not alt.strip():
        raise ValueError(f"figure {name!r} needs alt text")
    cache = active_cache()
    lazy = fig if isinstance(fig, LazyFigure) else None
    dkey = _figure_data_key(lazy, name, draws) if lazy is not None and cache else None
    suffixes = (".png", ".svg", ".key") + ((".drawn",) if draws else ())
    hit = dkey is not None and cache is not None and cache.has(dkey, suffixes)
    if lazy is not None:
        needed = (not hit and (_DRAW or bool(draws))) or (hit and verifying())
        fig = lazy.build() if needed else None
    if hit and draws:
        drawn = json.loads(cache.read_text(dkey, "figure.drawn") or "[]")  # type: ignore[union-attr]
    else:
        drawn = drawn_series(fig, draws, name) if draws else []
    csv = write_table(
        table,
        paths.tables / f"{name}.csv",
        child_counts=child_counts,
        derived_from=derived_from,
        **relations,
    )
    if drawn:
        refuse_hidden_bars(pd.read_csv(csv, dtype=str, keep_default_na=False), drawn, name)
    png = paths.figures / f"{name}.png"
    svg = png.with_suffix(".svg")
    if hit and fig is not None:  # verifying: what this figure draws must be what was cached
        _verify(fig, dkey, drawn if draws else None, draws, name, cache)  # type: ignore[arg-type]
    if _DRAW and hit:
        cache.restore(dkey, [png, svg])  # type: ignore[union-attr,arg-type]
    elif _DRAW:
        key = _save_images(fig, png, svg)
        if dkey is not None and cache is not None:
            texts = {"figure.key": key}
            if draws:
                texts["figure.drawn"] = json.dumps(drawn)
            cache.store(dkey, [png, svg], texts)
    if fig is not None:
        plt.close(fig)
    doc: dict[str, Any] = {"name": name, "caption": caption, "alt": alt}
    if drawn:
        doc["drawn"] = drawn
    write_json(paths.figures / f"{name}.json", doc)
    return png


def drawn_series(
    fig: plt.Figure, draws: Sequence[Mapping[str, Any]], table: str
) -> list[dict[str, Any]]:
    """What the bar series of ``fig`` draw, read from the bars themselves: per series in
    ``draws`` (matched in drawing order), the category label and the bar's length."""
    containers = [c for ax in fig.axes for c in ax.containers if hasattr(c, "patches")]
    out = []
    for spec, container in zip(draws, containers, strict=False):
        ax = container.patches[0].axes if container.patches else None
        horizontal = getattr(container, "orientation", "vertical") == "horizontal"
        axis = ax.yaxis if horizontal and ax is not None else (ax.xaxis if ax else None)
        labels, values = [], []
        for patch in container.patches:
            length = patch.get_width() if horizontal else patch.get_height()
            if length != length:  # NaN: nothing drawn
                continue
            centre = (
                patch.get_y() + patch.get_height() / 2
                if horizontal
                else patch.get_x() + patch.get_width() / 2
            )
            labels.append(str(axis.get_major_formatter()(round(centre))) if axis else "")
            values.append(float(length))
        out.append(
            {
                "table": table,
                "column": spec["column"],
                "label": spec.get("label"),
                "scale": float(spec.get("scale", 1.0)),
                "labels": labels,
                "values": values,
            }
        )
    return out


def refuse_hidden_bars(
    published: pd.DataFrame, drawn: Sequence[Mapping[str, Any]], name: str
) -> None:
    """Raise ValueError when a bar shows a value whose cell the published table suppresses."""
    from analysis.disclosure import load_rules

    symbol = load_rules().symbol
    for series in drawn:
        col, label = series["column"], series.get("label")
        if col not in published.columns or label not in published.columns:
            continue
        hidden = set(published.loc[published[col].str.strip() == symbol, label].astype(str))
        leaked = [lab for lab in series["labels"] if lab in hidden]
        if leaked:
            raise ValueError(
                f"figure {name!r} draws {col} for {len(leaked)} categor(ies) whose table "
                "cell is suppressed: leave the bar out and label it, or merge the category"
            )


def _save_images(fig: plt.Figure, png: Path, svg: Path) -> str:
    """PNG and SVG of ``fig``, copied from the figure cache when an identical one was drawn.
    Returns the figure's key (:func:`analysis.figure_cache.figure_key`; empty without a cache)."""
    cache = active_cache()
    key = figure_key(fig, {"png": PNG_OPTIONS, "svg": SVG_OPTIONS}) if cache else ""
    if cache is not None and cache.restore(key, [png, svg]):
        return key
    bbox = tight_bbox(fig)  # computed once for both files (each "tight" save measures again)
    fig.savefig(png, **{**PNG_OPTIONS, "bbox_inches": bbox})
    fig.savefig(svg, **{**SVG_OPTIONS, "bbox_inches": bbox})
    if cache is not None:
        cache.store(key, [png, svg])
    return key


def _verify(
    fig: plt.Figure,
    dkey: str,
    drawn: list[dict[str, Any]] | None,
    draws: Sequence[Mapping[str, Any]],
    name: str,
    cache: Any,
) -> None:
    """``LONDON_FIGURE_VERIFY``: raise when a lazy figure served from the cache by its data is
    not the figure its drawing function makes now (the function read something else)."""
    now = figure_key(fig, {"png": PNG_OPTIONS, "svg": SVG_OPTIONS})
    same = now == cache.read_text(dkey, "figure.key")
    if draws:
        same = same and json.loads(json.dumps(drawn_series(fig, draws, name))) == drawn
    if not same:
        raise RuntimeError(
            f"figure {name!r}: the figure cached for the same drawing function and arguments "
            "differs from the one drawn now; its drawing depends on something other than its "
            "arguments (analysis.figure_cache.data_key)"
        )


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

    from matplotlib.ticker import PercentFormatter

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
