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
