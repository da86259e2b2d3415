"""Property: whatever is done to a valid dataset, loading it either succeeds or raises
DataValidationError with at least one problem - never any other exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.contract import DataValidationError, dataset_from_frames, load_dataset
from analysis.contract.sample import minimal_frames, write_frames

TABLES = sorted(minimal_frames())
JUNK = st.one_of(
    st.just(""),
    st.just("NULL"),
    st.just("-1"),
    st.just("31/02/2022"),
    st.just("K3"),
    st.just("1e309"),
    st.just("  "),
    st.just("£-5"),
    st.just("=1+1"),
    st.text(min_size=0, max_size=12),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@st.composite
def corruption(draw: st.DrawFn) -> tuple[str, str, object]:
    """One change to one table: (table, action, argument)."""
    table = draw(st.sampled_from(TABLES))
    action = draw(
        st.sampled_from(
            ["drop_column", "rename_column", "set_cell", "blank_column", "shuffle_column",
             "truncate", "drop_table", "duplicate_row", "empty_table", "binary_junk"]
        )
    )  # fmt: skip
    return table, action, draw(st.tuples(st.integers(0, 50), st.integers(0, 50), JUNK))


def apply(frames: dict[str, pd.DataFrame], change: tuple[str, str, object]) -> None:
    """Apply one corruption in place (file-level actions are applied by :func:`write`)."""
    table, action, (i, j, junk) = change  # type: ignore[misc]
    frame = frames[table]
    if frame.empty or len(frame.columns) == 0:
        if action == "drop_table":
            del frames[table]
        return
    column = frame.columns[i % len(frame.columns)]
    row = j % len(frame)
    if action == "drop_column":
        frames[table] = frame.drop(columns=[column])
    elif action == "rename_column":
        frames[table] = frame.rename(columns={column: str(junk) or "x"})
    elif action == "set_cell":
        frame = frame.astype(object)
        frame.iloc[row, i % len(frame.columns)] = junk
        frames[table] = frame
    elif action == "blank_column":
        frames[table] = frame.assign(**{column: ""})
    elif action == "shuffle_column":
        values = frame[column].sample(frac=1, random_state=j).to_numpy()
        frames[table] = frame.assign(**{column: values})
    elif action == "drop_table":
        del frames[table]
    elif action == "duplicate_row":
        frames[table] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    elif action == "empty_table":
        frames[table] = frame.iloc[0:0]


def write(frames: dict[str, pd.DataFrame], change: tuple[str, str, object], out: Path) -> None:
    write_frames(frames, out)
    table, action, (i, j, _) = change  # type: ignore[misc]
    path = out / f"{table}.csv"
    if action == "truncate" and path.exists():
        raw = path.read_bytes()
        path.write_bytes(raw[: (i * 37 + j) % max(len(raw), 1)])
    elif action == "binary_junk" and path.exists():
        path.write_bytes(bytes(range(j, j + 40)) * 3)


def _outcome(load) -> None:
    try:
        load()
    except DataValidationError as exc:
        assert len(exc.problems) >= 1
        assert any(p.severity == "error" for p in exc.problems)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(changes=st.lists(corruption(), min_size=1, max_size=3))
def test_corrupted_files_never_crash_the_loader(changes) -> None:
    frames = minimal_frames()
    for change in changes:
        if change[0] in frames:
            apply(frames, change)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write(frames, changes[-1], out)
        _outcome(lambda: load_dataset(out))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(corruption(), min_size=1, max_size=3))
def test_corrupted_frames_never_crash_dataset_from_frames(changes) -> None:
    frames = minimal_frames()
    for change in changes:
        if change[0] in frames:
            apply(frames, change)
    _outcome(lambda: dataset_from_frames(frames))


def test_repeated_column_names_in_memory_are_a_validation_problem():
    """Found by the corruption test above: renaming two columns to one name gave an
    AttributeError instead of a validation report."""
    frames = {"episodes": pd.DataFrame([[1, 2]], columns=["CHILD", "CHILD "])}
    with pytest.raises(DataValidationError) as caught:
        dataset_from_frames(frames)
    assert any(
        p.column == "CHILD" and "more than once" in p.rule and p.severity == "error"
        for p in caught.value.problems
    )
