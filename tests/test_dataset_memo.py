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
    assert dataset_memo.install()
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
