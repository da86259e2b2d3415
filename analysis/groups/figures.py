"""Figures of the borough groups: the London tile map, the group-difference heatmap and the
choice of the number of groups. Each function returns a matplotlib Figure (save it with
:func:`analysis.charts.save_figure`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Rectangle

from analysis.charts import CATEGORICAL, use_af_style
from analysis.paths import REFERENCE

NOT_GROUPED_COLOUR = "#D9D9D9"


def text_colour_on(hex_colour: str) -> str:
    """``white`` or ``black``, whichever has the higher WCAG contrast ratio with the fill."""
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def load_tiles(path: Path | None = None) -> pd.DataFrame:
    """The London square tile grid: ``la_name, abbr, row, col`` (33 squares)."""
    return pd.read_csv(path or REFERENCE / "london_tiles.csv")


def group_colours(groups: list[int]) -> dict[int, str]:
    """Group number -> AF categorical colour (in group order, cycling past six)."""
    return {g: CATEGORICAL[i % len(CATEGORICAL)] for i, g in enumerate(sorted(groups))}


def tile_map(
    groups: pd.Series,
    labels: Mapping[int, str],
    *,
    title: str,
    highlight: str | None = None,
    tiles: pd.DataFrame | None = None,
) -> plt.Figure:
    """London tile map: one square per LA coloured by its group, with the LA abbreviation and
    the group number printed in the square (colour is not the only cue). ``<NA>`` groups are
    grey with a dash. ``highlight`` draws a thick outline round one borough."""
    use_af_style()
    tiles = load_tiles() if tiles is None else tiles
    present = sorted(int(g) for g in groups.dropna().unique())
    colours = group_colours(present)
    fig, ax = plt.subplots(figsize=(8, 6.2))
    n_rows = int(tiles["row"].max()) + 1
    for _, t in tiles.iterrows():
        g = groups.get(t["la_name"], pd.NA)
        grouped = pd.notna(g)
        colour = colours[int(g)] if grouped else NOT_GROUPED_COLOUR
        y = n_rows - 1 - int(t["row"])
        edge, lw = ("black", 3.0) if t["la_name"] == highlight else ("white", 2.0)
        ax.add_patch(Rectangle((t["col"], y), 0.95, 0.95, facecolor=colour, edgecolor=edge, lw=lw))
        text_colour = text_colour_on(colour)
        ax.text(
            t["col"] + 0.475,
            y + 0.6,
            t["abbr"],
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            color=text_colour,
        )
        ax.text(
            t["col"] + 0.475,
            y + 0.28,
            str(int(g)) if grouped else "–",
            ha="center",
            va="center",
            fontsize=10,
            color=text_colour,
        )
    ax.set_xlim(-0.1, tiles["col"].max() + 1.05)
    ax.set_ylim(-0.1, n_rows + 0.05)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=colours[g], label=f"{g}: {labels.get(g, '')}") for g in present]
    if groups.isna().any():
        handles.append(Patch(facecolor=NOT_GROUPED_COLOUR, label="–: not grouped"))
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9
    )
    ax.set_title(title, loc="left", fontsize=12)
    fig.tight_layout()
    return fig


def difference_heatmap(
    mean_z: pd.DataFrame,
    feature_labels: Mapping[str, str],
    group_labels: Mapping[int, str],
    *,
    title: str,
) -> plt.Figure:
    """Heatmap of each group's mean z-score per indicator (rows groups, columns indicators),
    the value printed in each cell: what sets each group apart from the London average."""
    use_af_style()
    values = mean_z.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.05 * mean_z.shape[1] + 3, 0.7 * mean_z.shape[0] + 2.6))
    lim = max(1.0, float(np.nanmax(np.abs(values))))
    ax.imshow(values, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(
                j,
                i,
                f"{v:+.1f}",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if abs(v) > 0.6 * lim else "black",
            )
    ax.set_xticks(range(mean_z.shape[1]))
    ax.set_xticklabels(
        [_wrap(feature_labels.get(c, c)) for c in mean_z.columns], fontsize=8, rotation=0
    )
    ax.set_yticks(range(mean_z.shape[0]))
    ax.set_yticklabels([f"{g}: {group_labels.get(int(g), '')}" for g in mean_z.index], fontsize=9)
    ax.tick_params(axis="x", which="both", length=0)
    ax.grid(False)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel(
        "Group mean, in standard deviations from the London average (red above, blue below)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int = 14) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines)


def selection_chart(
    selection: pd.DataFrame, chosen: Mapping[str, int], *, title: str
) -> plt.Figure:
    """Left: mean silhouette by k for each method; right: the mixture's BIC by k (lower is
    better). The chosen k of each method is marked with a ring."""
    use_af_style()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    names = {"kmeans": "k-means", "ward": "Ward", "gmm": "Gaussian mixture"}
    markers = {"kmeans": "o", "ward": "s", "gmm": "^"}
    for i, (method, rows) in enumerate(selection.groupby("method", sort=False)):
        colour = CATEGORICAL[i % len(CATEGORICAL)]
        ax1.plot(
            rows["k"],
            rows["silhouette"],
            marker=markers.get(method, "o"),
            color=colour,
            label=names.get(method, method),
        )
        k = chosen.get(method)
        if k is not None and method != "gmm":
            s = rows.loc[rows["k"] == k, "silhouette"]
            ax1.scatter([k], s, s=160, facecolors="none", edgecolors=colour, linewidths=2)
    ax1.set_xlabel("Number of groups (k)")
    ax1.set_ylabel("Mean silhouette width")
    ax1.legend(frameon=False, fontsize=9)
    ax1.set_title("Silhouette (higher is better)", loc="left", fontsize=10)
    gmm = selection[selection["method"] == "gmm"]
    if not gmm.empty:
        ax2.plot(gmm["k"], gmm["bic"], marker="^", color=CATEGORICAL[2 % len(CATEGORICAL)])
        k = chosen.get("gmm")
        if k is not None:
            ax2.scatter(
                [k],
                gmm.loc[gmm["k"] == k, "bic"],
                s=160,
                facecolors="none",
                edgecolors=CATEGORICAL[2 % len(CATEGORICAL)],
                linewidths=2,
            )
    ax2.set_xlabel("Number of groups (k)")
    ax2.set_ylabel("BIC")
    ax2.set_title("Gaussian mixture BIC (lower is better)", loc="left", fontsize=10)
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    fig.tight_layout()
    return fig


def borough_difference_chart(
    diff: pd.DataFrame, feature_labels: Mapping[str, str], *, title: str
) -> plt.Figure:
    """Horizontal bars: a borough's z-score minus its group's mean, per indicator."""
    use_af_style()
    d = diff.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(d) + 1.5))
    colours = [CATEGORICAL[0] if v >= 0 else CATEGORICAL[1] for v in d["difference_sd"]]
    ax.barh([feature_labels.get(f, f) for f in d["feature"]], d["difference_sd"], color=colours)
    ax.axvline(0, color="black", lw=0.8)
    for y, v in enumerate(d["difference_sd"]):
        ax.text(v, y, f" {v:+.1f} ", va="center", ha="left" if v >= 0 else "right", fontsize=8)
    ax.set_xlabel("Borough minus its group's average (standard deviations)", fontsize=10)
    ax.tick_params(axis="both", labelsize=9)
    lim = max(1.0, float(d["difference_sd"].abs().max())) * 1.25
    ax.set_xlim(-lim, lim)
    ax.set_title(title, loc="left", fontsize=12)
    fig.tight_layout()
    return fig
