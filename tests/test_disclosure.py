"""Disclosure control: primary and secondary suppression, derived figures, prose, config."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import (
    DisclosureRules,
    load_rules,
    protect_table,
    suppress_child_counts,
    suppress_count,
    suppress_sentence_count,
    symbols_note,
)

RULES = DisclosureRules(total_column_names=("total",), total_row_labels=("total",))
#: the library's last resort on: a column total may be withheld when no cell can cover
WITHHOLDING = replace(RULES, withhold_column_totals=True)


PROTECTION = 2  # config/disclosure.yaml protection_interval


def _recoverable(published: list, truth: list[float], total_known: bool) -> bool:
    """Independent check on one line: can a reader narrow a suppressed cell to a range
    narrower than the protection interval from the line total? Each suppressed count is at
    least 1 (a suppressed zero, the last resort, at least 0); one hidden cell is the total
    minus the published cells; several range over ``sum - sum of the others' minimums``."""
    if not total_known:
        return False
    hidden = [v for p, v in zip(published, truth, strict=True) if p == "c"]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    lows = [1 if v >= 1 else 0 for v in hidden]
    return sum(hidden) - sum(lows) < PROTECTION


def test_primary_suppression_defaults_follow_dfe():
    df = pd.DataFrame({"la": list("abcdefg"), "n": [0, 1, 5, 6, 20, 3, 40]})
    out = suppress_child_counts(df, ["n"])
    assert out["n"].tolist()[:5] == [0, "c", "c", 6, 20]
    assert out.loc[5, "n"] == "c"


def test_single_suppressed_cell_gets_a_secondary_partner():
    df = pd.DataFrame({"la": ["a", "b", "c", "d"], "n": [3, 10, 8, 30]})
    out = suppress_child_counts(df, ["n"], rules=RULES)
    # 3 is primary; a reader knowing the column total would recover it: 8 goes too.
    assert out["n"].tolist() == ["c", 10, "c", 30]


def test_row_total_column_protects_the_row():
    df = pd.DataFrame({"la": ["a"], "in_la": [2], "out_la": [17], "far": [9], "total": [28]})
    rules = DisclosureRules(assume_column_totals_published=False, total_column_names=("total",))
    out = suppress_child_counts(df, ["in_la", "out_la", "far", "total"], rules=rules)
    assert out.loc[0, "in_la"] == "c" and out.loc[0, "far"] == "c"
    assert out.loc[0, "out_la"] == 17 and out.loc[0, "total"] == 28


def test_all_ones_are_not_left_recoverable():
    df = pd.DataFrame({"la": ["a", "b", "c"], "n": [1, 1, 12]})
    out = suppress_child_counts(df, ["n"], rules=RULES)
    assert out["n"].tolist() == ["c", "c", "c"]


def test_total_row_is_suppressed_when_no_cell_is_left():
    df = pd.DataFrame({"la": ["a", "b", "Total"], "n": [3, None, 10]})
    rules = DisclosureRules(assume_column_totals_published=False, total_row_labels=("total",))
    out = suppress_child_counts(df, ["n"], rules=rules)
    assert out.loc[0, "n"] == "c" and out.loc[2, "n"] == "c"


def test_derived_percentages_are_suppressed_with_their_count():
    df = pd.DataFrame({"la": ["a", "b", "c"], "n": [4, 20, 30], "pct": [7.4, 37.0, 55.6]})
    out = suppress_child_counts(df, ["n"], derived_from={"pct": "n"}, rules=RULES)
    assert out["pct"].tolist() == ["c", "c", 55.6]


def test_groups_make_separate_lines():
    df = pd.DataFrame({"year": [2023, 2023, 2024, 2024], "n": [2, 30, 40, 50]})
    out = suppress_child_counts(df, ["n"], by=["year"], rules=RULES)
    assert out["n"].tolist() == ["c", "c", 40, 50]


def test_rounding_when_configured():
    df = pd.DataFrame({"la": ["a", "b", "c"], "n": [2, 23, 37]})
    rules = DisclosureRules(rounding_base=5, assume_column_totals_published=False)
    assert suppress_child_counts(df, ["n"], rules=rules)["n"].tolist() == ["c", 25, 35]


def test_missing_column_is_an_error():
    with pytest.raises(KeyError):
        suppress_child_counts(pd.DataFrame({"n": [1]}), ["m"])


def test_prose_and_single_values():
    assert suppress_sentence_count(3) == "fewer than 6"
    assert suppress_sentence_count(0) == "0"
    assert suppress_sentence_count(1234) == "1,234"
    assert suppress_sentence_count(None) == "an unknown number"
    assert suppress_count(4) == "c" and suppress_count(6) == 6


def test_config_file_is_read_and_note_explains_symbols():
    rules = load_rules()
    assert (rules.lower, rules.upper, rules.symbol) == (1, 5, "c")
    note = symbols_note(rules)
    for sym in ("`c`", "`z`", "`x`", "`low`"):
        assert sym in note


counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=6)


@settings(max_examples=200, deadline=None)  # each example runs LPs (#15)
@given(st.lists(st.lists(counts, min_size=3, max_size=3), min_size=1, max_size=12))
def test_no_small_cell_published_and_none_recoverable_from_totals(rows):
    truth = pd.DataFrame(rows, columns=["a", "b", "d"])
    truth["total"] = truth.sum(axis=1)
    truth.insert(0, "la", [f"la{i}" for i in range(len(truth))])
    cols = ["a", "b", "d", "total"]
    protected = protect_table(truth, cols, rules=WITHHOLDING)
    published = protected.frame[cols].to_numpy()
    withheld = {w["column"] for w in protected.sidecar.get("withheld_totals", [])}
    # 1. no published count from 1 to 5
    for value in published.ravel():
        assert value == "c" or not (1 <= value <= 5)
    # 2. no suppressed cell recoverable from its row total ...
    for i in range(len(truth)):
        row_truth = truth.loc[i, ["a", "b", "d"]].tolist()
        assert not _recoverable(list(published[i, :3]), row_truth, published[i, 3] != "c")
    # 3. ... or from its column total (assumed published elsewhere unless the table declares
    #    it withheld: the last resort when no cell can cover). Hidden cells that are all zeros
    #    give nothing away when worked out (partners hidden to cover another cell: the audit's
    #    rule, docs/assumptions.md A54)
    for j, col in enumerate(cols):
        if col in withheld:
            continue
        column = list(published[:, j])
        hidden = [t for p, t in zip(column, truth[col].tolist(), strict=True) if p == "c"]
        assert (
            not _recoverable(column, truth[col].tolist(), True)
            or not any(hidden)
            or all(
                p == "c" or t == 0  # nothing left to hide behind (a suppressed zero would not help)
                for p, t in zip(column, truth[col].tolist(), strict=True)
            )
        )


def test_suppressed_cells_are_never_zero_when_a_nonzero_partner_exists():
    df = pd.DataFrame({"la": list("abcd"), "n": [0, 2, 0, 9]})
    out = suppress_child_counts(df, ["n"], rules=RULES)
    assert out["n"].tolist() == [0, "c", 0, "c"]
    assert np.all(df["n"].to_numpy() >= 0)


FOLD = {"label_column": "la", "label": "Other", "sum": ["n", "share"]}


def test_a_list_of_single_children_folds_into_other():
    # seven destinations of one child each, their total (7) known: no partner can protect them
    df = pd.DataFrame({"la": list("abcdefg"), "n": [1] * 7, "share": [1 / 7] * 7})
    plain = protect_table(df, ["n"], {"share": "n"}, rules=RULES)
    assert plain.exposed == 7  # every hidden 1 is given back by the total
    folded = protect_table(df, ["n"], {"share": "n"}, rules=RULES, fold=FOLD)
    assert folded.frame["la"].tolist() == ["Other"] and folded.frame["n"].tolist() == [7]
    assert folded.sidecar["folded_into"] == "Other" and folded.exposed == 0
    again = protect_table(df, ["n"], {"share": "n"}, rules=RULES, fold=FOLD)  # remembered
    assert again.source is not None and again.source["la"].tolist() == ["Other"]


def test_a_list_partners_protect_is_not_folded():
    df = pd.DataFrame({"la": list("abcde"), "n": [20, 9, 2, 1, 12], "share": [0.3] * 5})
    out = protect_table(df, ["n"], {"share": "n"}, rules=RULES, fold=FOLD)
    assert out.frame["la"].tolist() == list("abcde") and "folded_into" not in out.sidecar
    assert out.frame["n"].tolist()[2:4] == ["c", "c"] and out.exposed == 0


#: own borough and other London boroughs merged when a column cannot be protected (A84)
COLUMN_FOLD = {"columns": {"in_london": ["own", "other"]}}


def _by_provider(own: list[int]) -> pd.DataFrame:
    """Shaped like ``placements_by_provider``: children by provider and location, row totals."""
    df = pd.DataFrame(
        {"provider": ["council", "private"], "own": own, "other": [3, 39], "outside": [0, 66]}
    )
    df["total"] = df[["own", "other", "outside"]].sum(axis=1)
    return df


def test_a_small_column_the_other_totals_give_back_is_merged_with_its_neighbour():
    # A84's table: one child in each provider's own-borough cell. The row totals (4 + 106)
    # less the other columns (42 other London, 66 outside London), all column totals a reader
    # knows, give the own-borough column's 2 back, and two hidden counts of at least 1 that
    # add up to 2 are both 1, whatever else is hidden
    df = _by_provider([1, 1])
    cols = ["own", "other", "outside", "total"]
    plain = protect_table(df, cols, rules=RULES)
    assert plain.exposed == 2 and plain.frame["own"].tolist() == ["c", "c"]
    out = protect_table(df, cols, rules=RULES, fold=COLUMN_FOLD)
    assert out.exposed == 0
    assert list(out.frame.columns) == ["provider", "in_london", "outside", "total"]
    assert out.source is not None and out.source["in_london"].tolist() == [4, 40]
    assert out.sidecar["folded_columns"] == {"in_london": ["own", "other"]}
    assert out.sidecar["child_counts"] == ["in_london", "outside", "total"]
    assert out.frame["in_london"].tolist() == ["c", "c"]  # 4, and its partner


def test_columns_partners_protect_are_not_merged():
    df = _by_provider([1, 12])  # the own-borough column adds up to 13: partners protect the 1
    out = protect_table(df, ["own", "other", "outside", "total"], rules=RULES, fold=COLUMN_FOLD)
    assert out.exposed == 0 and "folded_columns" not in out.sidecar
    assert list(out.frame.columns) == list(df.columns) and out.frame["own"].iloc[0] == "c"


def test_a_column_fold_refuses_columns_a_share_uses():
    df = _by_provider([1, 1]).assign(pct=lambda d: d["own"] / d["total"])
    shares = {"pct": {"numerator": "own", "denominator": "total"}}
    with pytest.raises(ValueError, match="cannot fold columns"):
        protect_table(
            df, ["own", "other", "outside", "total"], rules=RULES, shares=shares, fold=COLUMN_FOLD
        )


def test_a_column_total_is_withheld_only_as_the_last_resort():
    # the grand total (8) less the other column totals gives the b column's 2 back: 1 and 1
    truth = pd.DataFrame([[0, 0, 0], [0, 0, 6], [0, 1, 0], [0, 1, 0]], columns=["a", "b", "d"])
    truth["total"] = truth.sum(axis=1)
    truth.insert(0, "la", list("wxyz"))
    cols = ["a", "b", "d", "total"]
    assert protect_table(truth, cols, rules=RULES).exposed > 0  # off (the build's setting)
    out = protect_table(truth, cols, rules=WITHHOLDING)
    assert out.exposed == 0
    assert [w["column"] for w in out.sidecar["withheld_totals"]] == ["total"]
    assert all(line["value"] is not None or line["total"] for line in out.sidecar["lines"])


def test_the_small_count_range_is_read_from_the_rules(monkeypatch) -> None:
    # one definition: the scan, the audit's default and the patterns summary follow the
    # rules' lower..upper (config/disclosure.yaml), not a range of their own
    import analysis.disclosure
    from analysis import disclosure_scan
    from analysis.patterns import suppress_borough_summary

    assert analysis.disclosure.small_range() == (1, 5)
    assert disclosure_scan.small_count_prose(1, 5).search("3 children")
    assert not disclosure_scan.small_count_prose(1, 5).search("7 children")
    wider = DisclosureRules(lower=1, upper=9, symbol="z")
    monkeypatch.setattr(analysis.disclosure, "load_rules", lambda path=None: wider)
    assert analysis.disclosure.small_range() == (1, 9)
    assert list(disclosure_scan.small_counts_in_table([["children"], ["7"], ["12"]])) == [
        (2, "children")
    ]
    summary = suppress_borough_summary({"placements": 7, "pct_outside_london": 0.5})
    assert summary["placements"] == "z" and summary["pct_outside_london"] == "z"
