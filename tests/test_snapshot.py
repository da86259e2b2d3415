"""Snapshot selection: episodes open on 31 March."""

import pandas as pd

from analysis.snapshot import open_episodes, residential_placements, snapshot_date


def _eps(rows):
    df = pd.DataFrame(
        rows, columns=["CHILD", "DECOM", "DEC", "PLACE", "PLACE_PROVIDER", "LA", "YEAR", "PL_LA"]
    )
    df["DECOM"] = pd.to_datetime(df["DECOM"])
    df["DEC"] = pd.to_datetime(df["DEC"])
    return df


def test_open_on_snapshot_date_rules():
    eps = _eps(
        [
            (
                "a",
                "2022-03-31",
                None,
                "K2",
                "PR4",
                "Camden",
                2022,
                "E10000014",
            ),  # starts on the day: open
            (
                "b",
                "2021-01-01",
                "2022-03-31",
                "K2",
                "PR4",
                "Camden",
                2022,
                "E09000007",
            ),  # ends on the day: closed
            (
                "c",
                "2021-01-01",
                "2022-04-01",
                "K2",
                "PR1",
                "Camden",
                2022,
                "E09000007",
            ),  # ends after: open
            (
                "d",
                "2022-04-01",
                None,
                "K2",
                "PR4",
                "Camden",
                2022,
                "E09000007",
            ),  # starts after: not open
            ("e", "2020-01-01", None, "K2", "PR4", "Camden", 2021, "E09000007"),  # another return
        ]
    )
    assert snapshot_date(2022).isoformat() == "2022-03-31"
    assert sorted(open_episodes(eps, 2022)["CHILD"]) == ["a", "c"]


def test_residential_placements_flags():
    eps = _eps(
        [
            ("a", "2022-01-01", None, "K2", "PR4", "Camden", 2022, "E10000014"),
            ("b", "2022-01-01", None, "K2", "PR1", "Camden", 2022, "E09000007"),
            ("c", "2022-01-01", None, "U1", "PR4", "Camden", 2022, "E09000007"),
            (
                "d",
                "2022-01-01",
                None,
                "K2",
                "PR4",
                "Kent",
                2022,
                "E10000016",
            ),  # not a London placer
        ]
    )
    res = residential_placements(eps, 2022).set_index("CHILD")
    assert list(res.index) == ["a", "b"]
    assert bool(res.loc["a", "outside_london"]) and not bool(res.loc["b", "outside_london"])
    assert bool(res.loc["b", "in_house"]) and bool(res.loc["a", "external"])
    assert res.loc["a", "inner_outer"] == "Inner"
