"""London-level results reused across editions (analysis.london_memo): same answers, computed once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import london_memo
from analysis.contract.sample import minimal_frames
from analysis.london_memo import fingerprint, london_level


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv("LONDON_MEMO", raising=False)
    london_memo.clear()
    yield
    london_memo.clear()


calls: list[str] = []


@london_level
def column_total(df: pd.DataFrame, column: str, scale: float = 1.0) -> pd.DataFrame:
    calls.append(column)
    return pd.DataFrame({"total": [df[column].sum() * scale]})


def test_a_repeated_call_is_answered_from_the_memo_and_a_changed_argument_is_not():
    calls.clear()
    df = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    first = column_total(df, "a")
    again = column_total(df.copy(), "a")  # another object, same content
    assert calls == ["a"]
    pd.testing.assert_frame_equal(first, again)
    column_total(df, "a", scale=2.0)
    column_total(df.assign(a=[1, 2, 4]), "a")
    column_total(df, "b")
    assert calls == ["a", "a", "a", "b"]
    assert london_memo.STATS[f"{__name__}.column_total"] == [1, 4]


def test_changing_a_returned_value_does_not_change_what_the_next_caller_gets():
    df = pd.DataFrame({"a": [1, 2, 3]})
    got = column_total(df, "a")
    got.loc[0, "total"] = -1
    got["extra"] = 1
    assert column_total(df, "a").to_dict() == {"total": {0: 6}}


def test_the_memo_can_be_switched_off(monkeypatch):
    calls.clear()
    monkeypatch.setenv("LONDON_MEMO", "0")
    df = pd.DataFrame({"a": [1]})
    column_total(df, "a")
    column_total(df, "a")
    assert calls == ["a", "a"]


def test_an_argument_without_a_content_key_is_computed_every_time():
    seen = []

    @london_level
    def size(items: object) -> int:
        seen.append(1)
        return 1

    size(object())
    size(object())
    assert len(seen) == 2


def test_frames_that_differ_only_in_index_attrs_or_dtype_have_different_keys():
    df = pd.DataFrame({"a": [1, 2]})
    keys = {
        fingerprint(df),
        fingerprint(df.set_axis([5, 6])),
        fingerprint(df.astype(float)),
        fingerprint(df.rename(columns={"a": "b"})),
    }
    tagged = df.copy()
    tagged.attrs["dropped"] = 3
    keys.add(fingerprint(tagged))
    assert len(keys) == 5


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=8), st.integers(0, 7))
def test_equal_content_gives_equal_keys_and_a_changed_cell_a_different_one(values, where):
    df = pd.DataFrame({"x": values, "y": np.arange(len(values))})
    assert fingerprint(df) == fingerprint(df.copy(deep=True))
    changed = df.copy()
    changed.iloc[where % len(values), 0] = values[where % len(values)] + 1
    assert fingerprint(changed) != fingerprint(df)


def _dataset():
    from analysis.contract import dataset_from_frames

    return dataset_from_frames(minimal_frames())


def test_a_dataset_argument_keeps_the_result_with_the_loaded_dataset():
    seen = []

    @london_level
    def rows(ds, table: str) -> int:
        seen.append(table)
        return len(ds.table(table))

    ds = _dataset()
    assert rows(ds, "episodes") == rows(ds, "episodes")
    assert seen == ["episodes"]
    other = _dataset()  # another load of the same files: its own memo
    rows(other, "episodes")
    assert seen == ["episodes", "episodes"]
    # a notebook that replaced a table gets a fresh computation, and nothing is kept
    ds.tables["episodes"] = ds.table("episodes").head(1)
    assert rows(ds, "episodes") == 1
    assert rows(ds, "episodes") == 1
    assert seen == ["episodes"] * 4


def test_the_statistics_marked_london_level_give_the_same_answer_from_the_memo():
    from analysis.stats import spearman_bootstrap

    x = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8])
    y = pd.Series([2.0, 1, 4, 3, 6, 5, 8, 7])
    first = spearman_bootstrap(x, y, n_boot=50, seed=3)
    assert spearman_bootstrap(x, y, n_boot=50, seed=3) == first
    assert spearman_bootstrap.__wrapped__(x, y, n_boot=50, seed=3) == first
    assert london_memo.STATS["analysis.stats.spearman_bootstrap"] == [1, 1]
