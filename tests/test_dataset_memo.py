"""The per-kernel dataset memo: each (folder, file state) is read and validated once."""

from __future__ import annotations

import pandas as pd
import pytest

import analysis.contract as contract
from analysis.build import dataset_memo
from analysis.contract.problems import DataValidationError
from analysis.dataset import Dataset


@pytest.fixture()
def memo_load(tmp_path, monkeypatch):
    calls: list[tuple] = []
    episodes = pd.DataFrame(
        {
            "DECOM": pd.to_datetime(["2021-01-10", "2021-06-01"]),
            "DEC": pd.to_datetime([None, None]),
            "YEAR": [2021, 2022],
        }
    )

    def fake_load(data_dir, *, year=None):
        calls.append((str(data_dir), year))
        return Dataset(tables={"episodes": episodes}, source_dir=tmp_path)

    (tmp_path / "episodes.csv").write_text("a\n1\n", encoding="utf-8")
    monkeypatch.setattr(contract, "load_dataset", fake_load)
    monkeypatch.setattr(dataset_memo, "_MEMO", {})
    dataset_memo.install()
    dataset_memo.install()  # a second call does not wrap the memo again
    return contract.load_dataset, calls


def test_memo_reads_once_for_all_years_and_rereads_changed_data(tmp_path, memo_load):
    load, calls = memo_load
    for _ in range(3):  # notebooks alternate between these calls
        load(tmp_path)
        load(tmp_path, year=2022)
        load(tmp_path, year=2021)
    assert calls == [(str(tmp_path), None)]
    first, second = load(tmp_path), load(tmp_path)
    assert first is not second  # each notebook gets its own Dataset object
    (tmp_path / "episodes.csv").write_text("a\n1\n2\n", encoding="utf-8")  # data changed
    load(tmp_path, year=2022)
    assert len(calls) == 2


def test_memo_still_rejects_a_year_without_episodes(tmp_path, memo_load):
    load, _ = memo_load
    with pytest.raises(DataValidationError, match="YEAR"):
        load(tmp_path, year=2019)


def test_derived_values_are_computed_once_and_shared_by_the_memo_copies(tmp_path, memo_load):
    load, _ = memo_load
    computed: list[int] = []

    def compute() -> pd.DataFrame:
        computed.append(1)
        return pd.DataFrame({"x": [1, 2]})

    first, second = load(tmp_path), load(tmp_path)
    a = first.derived("k", compute)
    b = second.derived("k", compute)  # the next notebook's copy of the same data
    assert len(computed) == 1 and a is b


def test_derived_value_recomputed_when_a_table_is_replaced(tmp_path):
    ds = Dataset(tables={"episodes": pd.DataFrame({"n": [1, 2]})}, source_dir=tmp_path)

    def total() -> int:
        return int(ds.table("episodes")["n"].sum())

    assert ds.derived("total", total) == 3
    ds.tables["episodes"] = pd.DataFrame({"n": [10]})
    assert ds.derived("total", total) == 10  # not the stale 3
    assert ds.derived("total", total) == 10


def test_cached_indicators_are_handed_out_as_independent_copies():
    from analysis.contract import load_dataset
    from analysis.groups.indicators import borough_indicators
    from analysis.paths import EXAMPLE_DATA
    from analysis.snapshot import k2_placements, residential_placements

    ds = load_dataset(EXAMPLE_DATA)
    first = borough_indicators(ds, 2022)
    expected = first.copy(deep=True)
    first["pct_in_borough"] = -1.0  # a caller modifying what it got
    del first["ons_code"]
    pd.testing.assert_frame_equal(borough_indicators(ds, 2022), expected)
    k2 = k2_placements(ds, 2022)
    k2["LA"] = "nowhere"
    pd.testing.assert_frame_equal(
        k2_placements(ds, 2022), residential_placements(ds.table("episodes"), 2022)
    )
