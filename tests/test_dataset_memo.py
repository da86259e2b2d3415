"""The per-kernel dataset memo: each (folder, arguments, file state) is loaded once."""

from __future__ import annotations

import analysis.contract as contract
from analysis.build import dataset_memo
from analysis.dataset import Dataset


def test_memo_loads_each_variant_once_and_rereads_changed_data(tmp_path, monkeypatch):
    calls: list[tuple] = []

    def fake_load(data_dir, *, year=None):
        calls.append((str(data_dir), year))
        return Dataset(tables={}, source_dir=tmp_path, metadata={"year": year})

    (tmp_path / "episodes.csv").write_text("a\n1\n", encoding="utf-8")
    monkeypatch.setattr(contract, "load_dataset", fake_load)
    monkeypatch.setattr(dataset_memo, "_MEMO", {})
    assert dataset_memo.install()
    load = contract.load_dataset
    for _ in range(3):  # notebooks alternate between the two calls
        load(tmp_path)
        load(tmp_path, year=2022)
    assert calls == [(str(tmp_path), None), (str(tmp_path), 2022)]
    first, second = load(tmp_path), load(tmp_path)
    assert first is not second  # each notebook gets its own Dataset object
    (tmp_path / "episodes.csv").write_text("a\n1\n2\n", encoding="utf-8")  # data changed
    load(tmp_path)
    assert len(calls) == 3
