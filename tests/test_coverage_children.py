"""Issue 10: whose children the "London" counts are, by the dataset's coverage."""

from __future__ import annotations

from analysis.coverage import Coverage


def test_children_phrase_follows_the_coverage() -> None:
    assert Coverage(boroughs=()).children == "London boroughs' children"
    assert Coverage(boroughs=("Hackney",)).children == "Hackney's children"
    several = Coverage(boroughs=("Camden", "Hackney", "Islington"))
    assert several.children == "the children of these 3 boroughs"
    assert several.children_capitalised == "The children of these 3 boroughs"
    assert (
        Coverage(boroughs=("Kensington and Chelsea",)).children_capitalised
        == "Kensington and Chelsea's children"
    )
