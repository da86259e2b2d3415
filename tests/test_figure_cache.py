"""The figure content cache: same picture -> same key (across processes), any change -> new key,
and a cached figure is byte-identical to a freshly drawn one."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.charts import save_figure, use_af_style  # noqa: E402
from analysis.figure_cache import ENV_VAR, figure_key  # noqa: E402
from analysis.outputs import EditionPaths  # noqa: E402

OPTS = {"dpi": 150}


def _chart(values=(3, 5, 9), color="#12436D", title="Homes", labels=("Camden", "Hackney", "Brent")):
    use_af_style()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(list(labels), list(values), color=color)
    ax.set_title(title)
    ax.set_xlabel("Places")
    return fig


def test_same_figure_same_key():
    a, b = _chart(), _chart()
    assert figure_key(a, OPTS) == figure_key(b, OPTS)
    plt.close("all")


@pytest.mark.parametrize(
    "change",
    [
        {"values": (3, 5, 10)},
        {"color": "#F46A25"},
        {"title": "Places"},
        {"labels": ("Camden", "Hackney", "Barnet")},
    ],
)
def test_any_visible_change_changes_the_key(change):
    assert figure_key(_chart(), OPTS) != figure_key(_chart(**change), OPTS)
    plt.close("all")


def test_save_options_are_part_of_the_key():
    fig = _chart()
    assert figure_key(fig, {"dpi": 150}) != figure_key(fig, {"dpi": 100})
    plt.close("all")


def test_key_is_the_same_in_another_process():
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "from test_figure_cache import _chart, OPTS;"
        "from analysis.figure_cache import figure_key; print(figure_key(_chart(), OPTS))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert keys == {figure_key(_chart(), OPTS)}
    plt.close("all")


def test_cached_figure_is_byte_identical(tmp_path, monkeypatch):
    table = pd.DataFrame({"la": ["Camden"], "places": [12]})

    def save(out, cache: bool):
        if cache:
            monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
        else:
            monkeypatch.delenv(ENV_VAR, raising=False)
        paths = EditionPaths.for_edition(out)
        save_figure(_chart(), paths, "homes", caption="Homes", alt="Camden has most", table=table)
        return paths.figures

    fresh = save(tmp_path / "fresh", cache=False)
    first = save(tmp_path / "first", cache=True)  # miss: drawn and stored
    second = save(tmp_path / "second", cache=True)  # hit: copied
    assert any((tmp_path / "cache").rglob("figure.png"))
    for name in ("homes.png", "homes.svg", "homes.json"):
        assert (
            (fresh / name).read_bytes()
            == (first / name).read_bytes()
            == (second / name).read_bytes()
        )


def test_drawing_off_writes_table_and_sidecar_only(tmp_path, monkeypatch):
    from analysis import charts

    monkeypatch.delenv(ENV_VAR, raising=False)
    plt.close("all")  # a figure left open by an earlier test in this worker is not ours
    paths = EditionPaths.for_edition(tmp_path)
    table = pd.DataFrame({"la": ["Camden"], "places": [12]})
    charts.set_drawing(False)
    try:
        png = save_figure(_chart(), paths, "homes", caption="Homes", alt="A", table=table)
        charts.show_figure(png)  # nothing to show, no error
    finally:
        charts.set_drawing(True)
    assert not png.exists() and not png.with_suffix(".svg").exists()
    assert (paths.tables / "homes.csv").exists() and (paths.figures / "homes.json").exists()
    assert plt.get_fignums() == []


# --- figures found by their data before they are built (analysis.charts.LazyFigure) ---------


def _counting_bars(calls: list[str], xlabel_suffix: list[str] | None = None):
    """``analysis.placements.publish._bars`` wrapped to count its calls (same module and name,
    so it is keyed like the real function); ``xlabel_suffix`` adds hidden global state."""
    import functools

    from analysis.placements import publish

    real = publish._bars

    @functools.wraps(real)
    def bars(labels, values, xlabel, *args, **kwargs):
        calls.append(xlabel)
        return real(labels, values, xlabel + "".join(xlabel_suffix or []), *args, **kwargs)

    return bars


def _save_lazy(out, draw, *, draws=(), table=None, values=(3.0, 5.0)):
    from analysis.charts import lazy_figure

    paths = EditionPaths.for_edition(out)
    table = table if table is not None else pd.DataFrame({"la": ["Camden", "Hackney"], "n": values})
    save_figure(
        lazy_figure(draw, ["Camden", "Hackney"], list(values), "Places"),
        paths,
        "bars",
        caption="Bars",
        alt="Two bars",
        table=table,
        draws=draws,
    )
    return paths.figures


def test_a_lazy_figure_is_not_built_when_the_cache_has_it(tmp_path, monkeypatch):
    from analysis.placements.publish import _bars

    calls: list[str] = []
    draw = _counting_bars(calls)
    monkeypatch.delenv(ENV_VAR, raising=False)
    fresh = _save_lazy(tmp_path / "fresh", _bars)  # no cache: built and drawn as before
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    first = _save_lazy(tmp_path / "first", draw)  # miss: built, stored by its data
    second = _save_lazy(tmp_path / "second", draw)  # hit: copied, never built
    assert calls == ["Places"]
    third = _save_lazy(tmp_path / "third", draw, values=(3.0, 6.0))  # other data: built
    assert calls == ["Places", "Places"]
    for name in ("bars.png", "bars.svg", "bars.json"):
        assert (fresh / name).read_bytes() == (first / name).read_bytes()
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert (third / "bars.png").read_bytes() != (first / "bars.png").read_bytes()
    assert plt.get_fignums() == []


def test_a_lazy_figure_keeps_the_bars_it_draws(tmp_path, monkeypatch):
    calls: list[str] = []
    draw = _counting_bars(calls)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    draws = [{"column": "n", "label": "la"}]
    first = _save_lazy(tmp_path / "first", draw, draws=draws)
    second = _save_lazy(tmp_path / "second", draw, draws=draws)
    assert calls == ["Places"]
    doc = (second / "bars.json").read_text(encoding="utf-8")
    assert doc == (first / "bars.json").read_text(encoding="utf-8") and '"drawn"' in doc


def test_drawing_off_does_not_build_a_lazy_figure(tmp_path, monkeypatch):
    from analysis import charts

    calls: list[str] = []
    draw = _counting_bars(calls)
    monkeypatch.delenv(ENV_VAR, raising=False)
    charts.set_drawing(False)
    try:
        figures = _save_lazy(tmp_path, draw)
        assert calls == []  # nothing to draw, no bars to read back
        _save_lazy(tmp_path, draw, draws=[{"column": "n", "label": "la"}])
        assert calls == ["Places"]  # the bars are read back from the figure
    finally:
        charts.set_drawing(True)
    assert not (figures / "bars.png").exists() and (figures / "bars.json").exists()


def test_verifying_catches_a_drawing_that_reads_more_than_its_arguments(tmp_path, monkeypatch):
    from analysis.figure_cache import VERIFY_VAR

    calls: list[str] = []
    hidden: list[str] = []
    draw = _counting_bars(calls, hidden)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    _save_lazy(tmp_path / "first", draw)
    monkeypatch.setenv(VERIFY_VAR, "1")
    _save_lazy(tmp_path / "same", draw)  # drawn again and checked: the same figure
    assert calls == ["Places", "Places"]
    hidden.append(" (changed)")  # the figure changes without its arguments changing
    with pytest.raises(RuntimeError, match="depends on something other than its arguments"):
        _save_lazy(tmp_path / "changed", draw)
    plt.close("all")


def test_only_module_level_analysis_functions_are_keyed_by_their_data():
    from analysis.charts import interval_chart
    from analysis.figure_cache import data_key

    table = pd.DataFrame({"a": [1.0]})
    assert data_key(interval_chart, (table,), {"label": "a"}, {}) is not None
    assert data_key(lambda t: t, (table,), {}, {}) is None
    assert data_key(_chart, (), {}, {}) is None  # not in the analysis package
    assert data_key(interval_chart, (object(),), {}, {}) is None  # an argument without content
    changed = pd.DataFrame({"a": [2.0]})
    assert data_key(interval_chart, (table,), {}, {}) != data_key(
        interval_chart, (changed,), {}, {}
    )
    # a mapping's order is part of the figure (entries may be drawn in that order)
    assert data_key(interval_chart, ({"x": 1, "y": 2},), {}, {}) != data_key(
        interval_chart, ({"y": 2, "x": 1},), {}, {}
    )
