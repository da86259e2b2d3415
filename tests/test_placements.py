"""The 2022 report's placement analyses (analysis.placements) on small hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.boroughs import london_boroughs
from analysis.placements import (
    breakdowns,
    capacity,
    distance,
    diversity,
    local_places,
    mix,
    providers,
    receiving,
    subregions,
)

ONS = london_boroughs().set_index("la_name")["ons_code"]
KENT, ESSEX = "E10000016", "E10000012"


def placements(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """K2 placements as :func:`analysis.snapshot.residential_placements` returns them, from
    (placing borough, placement LA code or borough name, miles, provider)."""
    io = london_boroughs().set_index("la_name")["inner_outer"]
    out = pd.DataFrame(rows, columns=["LA", "where", "PL_DISTANCE", "PLACE_PROVIDER"])
    out["PL_LA"] = out["where"].map(lambda w: ONS.get(w, w))
    out["CHILD"] = [f"c{i}" for i in range(len(out))]
    out["outside_london"] = ~out["PL_LA"].isin(set(ONS))
    out["inner_outer"] = out["LA"].map(io)
    out["URN"] = None
    return out.drop(columns="where")


RES = placements(
    [
        ("Camden", "Camden", 1.0, "PR1"),
        ("Camden", "Islington", 4.0, "PR4"),
        ("Camden", KENT, 60.0, "PR4"),
        ("Camden", KENT, 70.0, "PR5"),
        ("Barnet", "Barnet", 2.0, "PR1"),
        ("Barnet", "Enfield", 15.0, "PR4"),
        ("Barnet", ESSEX, 18.0, "PR4"),
        ("Barnet", ESSEX, 25.0, "PR4"),
        ("Croydon", "Sutton", 8.0, "PR4"),
        ("Croydon", KENT, float("nan"), "PR4"),
    ]
)


def test_location_and_distance_by_area():
    loc = distance.placement_location(RES).tolist()
    assert loc[:4] == ["own borough", "other London borough", "outside London", "outside London"]
    by = distance.distance_by_area(RES).set_index("label")
    inner_out = by.loc["Inner London: outside London"]
    assert inner_out["children"] == 2 and inner_out["median_miles"] == 65.0
    assert inner_out["near_home"] == 0
    outer_out = by.loc["Outer London: outside London"]  # the missing distance is left out
    assert outer_out["children"] == 2 and outer_out["near_home"] == 1
    assert outer_out["pct_near_home"] == pytest.approx(0.5)
    prox = distance.proximity_summary(by.reset_index())
    assert prox["inner"]["nearer"] == "other London borough"
    assert prox["outer"]["median_other_london"] == pytest.approx(11.5)


def test_distance_bands_count_every_child_with_a_distance():
    bands = distance.distance_bands_by_area(RES)
    assert bands["total"].sum() == 9
    assert bands.set_index("band").loc["50 to 100 miles", "inner"] == 2
    assert (bands["inner"] + bands["outer"] == bands["total"]).all()


def test_subregions_sum_their_boroughs_and_withhold_with_them():
    use = pd.DataFrame(
        {"la_name": ["Camden", "Sutton"], "external_places": [10, 4], "used_by_london": [3, 1]}
    )
    table = subregions.subregion_summary(RES, use).set_index("subregion")
    ncl = table.loc["North Central London"]  # Camden, Barnet (Islington, Enfield in NCL too)
    assert ncl["children"] == 8 and ncl["outside_london"] == 4
    assert ncl["in_own_subregion"] == 4 and ncl["other_subregion"] == 0
    assert table.loc["South West London", "in_own_subregion"] == 1  # Croydon -> Sutton
    assert table["children"].sum() == len(RES)
    mask = pd.Series({"Camden": True, "Barnet": False})
    forced = subregions.forced_by_boroughs(table.reset_index(), {"children": mask})
    assert forced["children"].tolist() == [s == "North Central London" for s in table.index]


def test_local_places_association_and_inner_outer():
    homes = pd.DataFrame(
        {
            "urn": ["a", "b", "c", "d"],
            "la_ons_code": [ONS["Camden"], ONS["Barnet"], ONS["Barnet"], KENT],
            "places": [4, 6, 5, 9],
            "sector": ["Private", "Local Authority", "Voluntary", "Private"],
        }
    )
    places = local_places.places_by_borough(homes).set_index("la_name")
    assert places.loc["Barnet", "places"] == 11 and places.loc["Barnet", "la_places"] == 6
    assert places.loc["Barnet", "external_places"] == 5 and places["places"].sum() == 15
    assert local_places.strength(0.05) == "no"
    assert local_places.strength(-0.4) == "a moderate negative"
    rho = local_places.spearman(pd.Series([1, 2, 3, 4]), pd.Series([2, 4, 6, 8]))
    assert rho["rho"] == pytest.approx(1.0) and rho["n"] == 4
    assert local_places.spearman(pd.Series([1, 1, 1]), pd.Series([1, 2, 3]))["rho"] is None


def test_unused_places_split_adds_up():
    homes = pd.DataFrame(
        {
            "urn": ["a", "b", "c"],
            "sector": ["Private", "Voluntary", "Local authority"],
            "in_london": [True, True, True],
            "places": [10, 6, 4],
            "provision_type": ["Children's home"] * 3,
        }
    )
    res = RES.assign(URN=["a", "a", "b"] + [None] * (len(RES) - 3))
    staffing = pd.DataFrame(
        {
            "URN": ["a", "b", "c"],
            "snapshot_date": ["31/03/2022"] * 3,
            "places_available": [2, 1, 3],
            "places_unavailable_staffing": [1, 2, 0],
        }
    )
    split = capacity.external_places_split(res, homes, staffing, 2022)
    assert split["registered"] == 16 and split["used_by_london"] == 3
    assert split["vacant"] == 3 and split["out_of_use_staffing"] == 3  # council home left out
    assert split["rest"] == 16 - 3 - 3 - 3
    table = capacity.split_table(split)
    assert table["places"].sum() == split["registered"]
    none = capacity.external_places_split(res, homes, staffing, 2021)  # no return dated 2021
    assert none["staffing_available"] is False and none["rest"] == 13


def test_receiving_las_and_top_share():
    rec = receiving.receiving_las(RES)
    assert rec.iloc[0]["children"] == 3 and rec.iloc[0]["la"] == "Kent"
    summary = receiving.receiving_summary(rec, top=1)
    assert summary["las_outside_london"] == 2 and summary["las_in_london"] == 5
    assert summary["top_share"] == pytest.approx(3 / 5)
    table = receiving.outside_table(rec)
    assert table["la"].tolist() == sorted(table["la"])  # no order by size: it would leak


def test_ethnic_groups_and_minority_share():
    assert diversity.ethnic_group("WBRI") == "White British"
    assert diversity.ethnic_group("BAFR") == "Black"
    assert diversity.ethnic_group("MWBC") == "Mixed"
    assert diversity.ethnic_group("REFU") == "Not recorded"
    assert diversity.ethnic_group("CHNE") == "Other"
    header = pd.DataFrame(
        {
            "CHILD": list(RES["CHILD"]),
            "ETHNIC": [
                "WBRI",
                "BAFR",
                "BAFR",
                "WBRI",
                "AIND",
                "MOTH",
                "WBRI",
                "REFU",
                "BCRB",
                "WIRI",
            ],
            "YEAR": 2022,
        }
    )
    table = diversity.ethnicity_by_location(RES, header, 2022)
    assert table["total"].sum() == len(RES)
    shares = diversity.minority_share_by_location(table)
    # outside London: BAFR, WBRI, WBRI, REFU (not recorded), WIRI -> 2 of 4 recorded
    assert shares["outside_london"] == pytest.approx(2 / 4)


def test_known_providers_need_an_earlier_placement_with_the_owner():
    homes = pd.DataFrame(
        {
            "urn": ["h1", "h2", "h3"],
            "owner": ["Acme", "Acme", "Beta"],
            "in_london": [True, False, True],
        }
    )
    episodes = pd.DataFrame(
        {
            "LA": ["Camden", "Camden"],
            "URN": ["h2", "h3"],
            "DECOM": pd.to_datetime(["2021-01-01", "2021-09-01"]),
        }
    )
    refs = pd.DataFrame(
        {
            "LA": ["Camden", "Camden", "Camden", "Barnet"],
            "URN": ["h1", "h3", "h3", "h1"],
            "referral_date": ["01/06/2021", "01/06/2021", "01/10/2021", "01/06/2021"],
            "response": ["Accepted", "Declined", "Accepted", "Withdrawn"],
        }
    )
    flags = providers.known_provider_flags(refs, episodes, homes)
    assert len(flags) == 3  # the withdrawn referral is left out
    assert flags["known_provider"].tolist() == [True, False, True]
    table = providers.known_provider_table(flags).set_index(["provider", "home"])
    assert table.loc[("known provider", "home in London"), "referrals"] == 2
    summary = providers.known_provider_summary(table.reset_index())
    assert summary["known_share_london_homes"] == pytest.approx(2 / 3)
    assert summary["acceptance_new"] == 0


def test_placement_endings_take_the_next_episodes_reason():
    ts = pd.to_datetime
    episodes = pd.DataFrame(
        {
            "CHILD": ["a", "a", "b", "b", "c"],
            "DECOM": ts(["2021-01-01", "2021-06-01", "2021-02-01", "2021-08-01", "2021-03-01"]),
            "DEC": ts(["2021-06-01", None, "2021-08-01", None, "2021-12-01"]),
            "PLACE": ["K2", "U1", "K2", "K2", "K2"],
            "REASON_PLACE_CHANGE": [None, "CREQB", None, "CARPL", None],
            "LA": ["Camden"] * 5,
            "PL_LA": [KENT, ONS["Camden"], ONS["Camden"], ONS["Barnet"], KENT],
        }
    )
    ended = breakdowns.ended_placements(episodes, 2022)
    assert sorted(ended["reason"]) == ["CARPL", "CREQB", "left care"]
    table = breakdowns.endings_by_location(ended).set_index("ending")
    assert table.loc["unplanned", "outside_london"] == 1
    assert table.loc["planned or other", "in_london"] == 1
    assert table.loc["left care", "total"] == 1
    assert table.loc[["unplanned", "planned or other"], "total"].sum() == 2


def test_provider_mix_rows_add_up():
    table = mix.provider_by_location(RES).set_index("provider")
    external = table.loc["Private or voluntary homes"]
    assert external["total"] == 8 and external["outside_london"] == 5
    assert table.loc["Own council's homes", "own_borough"] == 2
    assert table["total"].sum() == len(RES)
    assert list(table.index) == [
        "Own council's homes",
        "Private or voluntary homes",
    ]  # no empty row
    assert table.loc["Own council's homes", "pct_outside_london"] == 0.0


class _Header:
    """The one table :func:`analysis.placements.publish.write_diversity` reads of a dataset."""

    def __init__(self, header: pd.DataFrame) -> None:
        self._header = header

    def table(self, name: str) -> pd.DataFrame:
        assert name == "header"
        return self._header


def _diversity_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Camden's 39 children: 4 in its own borough (all White British: the figure withholds
    that share), 13 elsewhere in London, 22 outside London."""
    rows = (
        [("Camden", "Camden", 1.0, "PR1", "WBRI")] * 4
        + [("Camden", "Islington", 4.0, "PR4", "WBRI")] * 7
        + [("Camden", "Islington", 4.0, "PR4", "BAFR")] * 6
        + [("Camden", KENT, 60.0, "PR4", "WBRI")] * 10
        + [("Camden", KENT, 60.0, "PR4", "BAFR")] * 6
        + [("Camden", KENT, 60.0, "PR4", "AIND")] * 6
    )
    res = placements([r[:4] for r in rows])
    header = pd.DataFrame({"CHILD": res["CHILD"], "ETHNIC": [r[4] for r in rows], "YEAR": 2022})
    return res, header


def test_diversity_text_and_tables_follow_the_figures_protection(tmp_path):
    """The prose's shares are the figure's published ones (own borough: 0% of 4 children is
    withheld, and the overall share with it), and the by-group table and the figure's data
    are two files."""
    from analysis.charts import set_drawing
    from analysis.outputs import EditionPaths
    from analysis.placements.publish import write_diversity

    res, header = _diversity_frames()
    paths = EditionPaths.for_edition(tmp_path)
    set_drawing(False)
    try:
        out = write_diversity(_Header(header), res, paths, 2022)
    finally:
        set_drawing(True)
    shares = out["minority_share"]
    assert shares["own_borough"] == "c" and shares["total"] == "c"
    figure = pd.read_csv(paths.tables / "placements_ethnicity.csv", dtype=str)
    by_group = pd.read_csv(paths.tables / "placements_ethnicity_by_group.csv", dtype=str)
    assert "location" in figure.columns and "group" in by_group.columns
    assert figure.set_index("location").loc["Own borough", "pct_minority"] == "c"
    assert by_group.set_index("group").loc["White British", "own_borough"] == "c"


def test_figure_location_withheld_when_a_group_cell_is():
    from analysis.placements.publish import locations_hidden_by_groups

    by_group = pd.DataFrame(
        {
            "group": ["White British", "Black", "Not recorded"],
            "own_borough": ["10", "c", "0"],
            "other_london": ["12", "9", "c"],  # not recorded: not in the figure's sums
            "outside_london": ["20", "c", "7"],
        }
    )
    hidden = locations_hidden_by_groups(by_group, "c")
    assert hidden["children"].tolist() == [True, False, True]
    assert hidden["minority"].tolist() == hidden["children"].tolist()


def test_published_minority_shares_quote_only_what_the_figure_shows():
    from analysis.placements.publish import published_minority_shares

    public = pd.DataFrame(
        {
            "location": ["Own borough", "Other London borough", "Outside London"],
            "children": ["20", "30", "50"],
            "minority": ["10", "15", "40"],
            "pct_minority": ["0.5", "0.5", "0.8"],
        }
    )
    shares = published_minority_shares(public, "c")
    assert shares["own_borough"] == 0.5 and shares["total"] == pytest.approx(65 / 100)
    public.loc[0, ["minority", "pct_minority"]] = "c"
    shares = published_minority_shares(public, "c")
    assert shares["own_borough"] == "c" and shares["total"] == "c"
    assert shares["outside_london"] == 0.8


def test_published_unplanned_shares_quote_only_what_the_figure_shows():
    """The endings sentence quotes the shares the endings figure publishes: a withheld
    location's share is withheld in the text too, and so is the overall share (with the other
    location's share it would give the withheld one back)."""
    from analysis.placements.publish import published_unplanned_shares

    public = pd.DataFrame(
        {
            "home": ["Home in London", "Home outside London"],
            "moved": ["40", "60"],
            "unplanned": ["10", "30"],
            "pct_unplanned": ["0.25", "0.5"],
        }
    )
    shares = published_unplanned_shares(public, "c")
    assert shares["in_london"] == 0.25 and shares["outside_london"] == 0.5
    assert shares["total"] == pytest.approx(40 / 100)
    public.loc[0, ["unplanned", "pct_unplanned"]] = "c"
    shares = published_unplanned_shares(public, "c")
    assert shares["in_london"] == "c" and shares["total"] == "c"
    assert shares["outside_london"] == 0.5
