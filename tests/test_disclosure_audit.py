"""The attacker's audit: each kind of leak of issue #15 is planted and must be found (and refused
by the build); tables protected by :func:`analysis.disclosure.protect_table` audit clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from analysis.build.pipeline import BuildFailed, audit_staged_editions  # noqa: E402
from analysis.charts import save_figure  # noqa: E402
from analysis.disclosure import protect_table  # noqa: E402
from analysis.disclosure_audit import (  # noqa: E402
    audit_edition,
    audit_tables,
    hidden_bounds,
    read_tables,
    sum_relation,
)
from analysis.outputs import EditionPaths, write_table  # noqa: E402

SHARES = {
    "pct_outside_london": {"numerator": "outside_london", "denominator": "placements"},
    "pct_in_own_borough": {"numerator": "in_own_borough", "denominator": "placements"},
}
SPEC = {
    "child_counts": ["placements", "outside_london", "in_own_borough", "in_other_london"],
    "sums": {"placements": ("outside_london", "in_own_borough", "in_other_london")},
    "shares": SHARES,
    "key": "la_name",
    "quantities": {
        "placements": "k2_children",
        "outside_london": "k2_outside_london",
        "in_own_borough": "k2_in_borough",
        "in_other_london": "k2_london_oob",
    },
}


def _by_borough() -> pd.DataFrame:
    """Shaped like ``patterns_by_borough``: Barnet is the issue's example (30 = 20 + 5 + 5)."""
    df = pd.DataFrame(
        {
            "la_name": ["Barnet", "Camden", "Croydon", "Ealing", "Enfield"],
            "placements": [30, 18, 60, 41, 26],
            "outside_london": [20, 16, 33, 25, 22],
            "in_own_borough": [5, 0, 12, 9, 2],
        }
    )
    df["in_other_london"] = df["placements"] - df["outside_london"] - df["in_own_borough"]
    df["pct_outside_london"] = df["outside_london"] / df["placements"]
    df["pct_in_own_borough"] = df["in_own_borough"] / df["placements"]
    return df


def _edition(tmp: Path, name: str = "london") -> Path:
    root = tmp / name
    write_table(_by_borough(), root / "tables" / "patterns_by_borough.csv", **SPEC)
    return root


def _csv(root: Path, table: str = "patterns_by_borough") -> Path:
    return root / "tables" / f"{table}.csv"


def _set(root: Path, la: str, column: str, value: object, table: str = "patterns_by_borough"):
    df = pd.read_csv(_csv(root, table), dtype=str, keep_default_na=False)
    df.loc[df["la_name"] == la, column] = str(value)
    df.to_csv(_csv(root, table), index=False, lineterminator="\n")


def _kinds(findings) -> set[tuple[str, str, str]]:
    return {(f.row, f.column, f.kind) for f in findings}


def test_protected_table_audits_clean_and_hides_small_counts(tmp_path):
    root = _edition(tmp_path)
    published = pd.read_csv(_csv(root), dtype=str)
    barnet = published.set_index("la_name").loc["Barnet"]
    assert barnet["in_own_borough"] == "c" and barnet["in_other_london"] == "c"
    # the share of a suppressed count is suppressed with it (the 0.166667)
    assert barnet["pct_in_own_borough"] == "c"
    assert audit_edition(root) == []


def test_row_total_leak_is_found(tmp_path):
    root = _edition(tmp_path)
    # Camden: 18 = 16 + 0 + c (2): the secondary partner of the 2 is published again
    published = pd.read_csv(_csv(root), dtype=str).set_index("la_name")
    assert published.loc["Camden", "in_other_london"] == "c"
    partner = next(
        c
        for c in ("outside_london", "placements", "in_own_borough")
        if published.loc["Camden", c] == "c"
    )
    assert partner == "outside_london"  # the smallest non-zero part of the row
    _set(root, "Camden", partner, 16)
    assert ("Camden", "in_other_london", "recovered") in _kinds(audit_edition(root))


def test_share_leak_is_found(tmp_path):
    root = _edition(tmp_path)
    # the Barnet row: share in own borough published beside a suppressed count
    _set(root, "Barnet", "pct_in_own_borough", "0.166667")
    assert ("Barnet", "in_own_borough", "recovered") in _kinds(audit_edition(root))


def test_cross_table_leak_is_found(tmp_path):
    root = _edition(tmp_path)
    other = pd.DataFrame({"la_name": ["Barnet", "Camden"], "k2_in_borough": [5, 0]})
    # a second table publishes the same quantity without suppression (declared, unprotected)
    other.to_csv(_csv(root, "groups_borough_indicators"), index=False)
    sidecar = {"child_counts": ["k2_in_borough"], "key": "la_name",
               "quantities": {"k2_in_borough": "k2_in_borough"}, "lines": [], "shares": {}}  # fmt: skip
    _csv(root, "groups_borough_indicators").with_suffix(".disclosure.json").write_text(
        json.dumps(sidecar)
    )
    found = _kinds(audit_edition(root))
    assert ("Barnet", "in_own_borough", "published_elsewhere") in found


def test_leak_across_editions_is_found(tmp_path):
    london = _edition(tmp_path, "london")
    borough = _edition(tmp_path, "barnet")
    _set(london, "Barnet", "in_own_borough", 5)  # the London edition beside it shows the 5
    assert audit_edition(borough) == []  # alone, the borough edition is fine
    found = _kinds(audit_edition(borough, london))
    assert ("Barnet", "in_own_borough", "published_elsewhere") in found


def test_workbook_leak_is_found(tmp_path):
    root = _edition(tmp_path)
    sheet = _by_borough()  # the workbook shows the unsuppressed numbers
    with pd.ExcelWriter(root / "tables.xlsx") as book:
        sheet.to_excel(book, sheet_name="patterns_by_borough", index=False)
    assert ("Barnet", "in_own_borough", "published_elsewhere") in _kinds(audit_edition(root))


def _bar_chart(values: pd.Series, names: pd.Series):
    fig, ax = plt.subplots()
    ax.barh(names, values)
    return fig


def test_figure_drawing_a_suppressed_value_is_refused(tmp_path):
    paths = EditionPaths.for_edition(tmp_path / "london")
    df = _by_borough()
    with pytest.raises(ValueError, match="suppressed"):
        save_figure(
            _bar_chart(df["in_own_borough"], df["la_name"]),  # draws Barnet's 5
            paths,
            "own_borough",
            caption="c",
            alt="Bar chart of children placed in their own borough.",
            table=df[["la_name", "in_own_borough"]],
            child_counts=["in_own_borough"],
            draws=[{"column": "in_own_borough", "label": "la_name"}],
        )
    # drawn from the published table, the bar is left out and the figure is saved
    public = protect_table(df[["la_name", "in_own_borough"]], ["in_own_borough"]).frame
    save_figure(
        _bar_chart(pd.to_numeric(public["in_own_borough"], errors="coerce"), public["la_name"]),
        paths,
        "own_borough",
        caption="c",
        alt="Bar chart of children placed in their own borough.",
        table=public,
        child_counts=["in_own_borough"],
        draws=[{"column": "in_own_borough", "label": "la_name"}],
    )
    drawn = json.loads((paths.figures / "own_borough.json").read_text())["drawn"][0]
    assert "Barnet" not in drawn["labels"] and "Croydon" in drawn["labels"]
    assert audit_edition(paths.root) == []


def test_figure_data_planted_with_a_suppressed_value_is_found(tmp_path):
    root = _edition(tmp_path)
    figure = {"name": "patterns_by_borough", "drawn": [{
        "table": "patterns_by_borough", "column": "pct_in_own_borough", "label": "la_name",
        "scale": 100, "labels": ["Barnet"], "values": [16.6667]}]}  # fmt: skip
    (root / "figures").mkdir()
    (root / "figures" / "patterns_by_borough.json").write_text(json.dumps(figure))
    found = _kinds(audit_edition(root))
    assert ("Barnet", "in_own_borough", "recovered") in found


def test_the_build_refuses_to_publish_a_leak(tmp_path):
    root = _edition(tmp_path)
    audit_staged_editions({"london": root}, tmp_path / "outputs", 2022)  # clean: no error
    _set(root, "Barnet", "pct_in_own_borough", "0.166667")
    with pytest.raises(BuildFailed, match="disclosure audit"):
        audit_staged_editions({"london": root}, tmp_path / "outputs", 2022)


def test_a_small_location_column_is_folded_so_the_audit_recovers_nothing(tmp_path):
    """A84: the LIIA-shaped extract at 14 children per borough, 2023. The by-provider table's
    own-borough column adds up to 2 (one child per provider): its sidecar publishes the other
    column totals (110 children, 42 in another London borough, 66 outside London), so a
    reader sums the rows' totals and subtracts: 110 - 42 - 66 = 2 = 1 + 1, each cell at least
    1. The declared fold (config/disclosure.yaml) merges own and other London boroughs."""
    df = pd.DataFrame(
        {
            "provider": ["Own council's homes", "Private or voluntary homes"],
            "own_borough": [1, 1],
            "other_london": [3, 39],
            "outside_london": [0, 66],
        }
    )
    df["total"] = df[["own_borough", "other_london", "outside_london"]].sum(axis=1)
    df["pct_outside_london"] = df["outside_london"] / df["total"]
    spec = {
        "child_counts": ["own_borough", "other_london", "outside_london", "total"],
        "row_total": "total",
        "shares": {"pct_outside_london": {"numerator": "outside_london", "denominator": "total"}},
    }
    plain = tmp_path / "plain"
    write_table(df, _csv(plain, "placements_by_provider"), fold=None, **spec)
    found = _kinds(audit_edition(plain))
    assert {("row 2", "own_borough", "recovered"), ("row 3", "own_borough", "recovered")} <= found
    root = tmp_path / "london"
    write_table(df, _csv(root, "placements_by_provider"), **spec)  # the declared fold
    published = pd.read_csv(_csv(root, "placements_by_provider"), dtype=str)
    assert "own_borough" not in published.columns and "in_london" in published.columns
    assert audit_edition(root) == []


def test_bounds_are_those_of_the_linear_programme():
    relations = [sum_relation(["a", "b"], None, 10), sum_relation(["b", "c"], None, 4)]
    bounds = hidden_bounds({}, ["a", "b", "c"], relations)
    assert bounds["a"] == pytest.approx((7, 9))
    assert bounds["b"] == pytest.approx((1, 3)) and bounds["c"] == pytest.approx((1, 3))


counts = st.integers(min_value=0, max_value=30) | st.integers(min_value=0, max_value=6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(counts, counts, counts), min_size=1, max_size=10))
def test_protected_tables_never_give_a_count_away(tmp_path_factory, rows):
    """Whatever the counts, the audit recovers nothing from a protected table (except where
    nothing is left to hide behind: every other cell of a line is zero, or the column's total
    is itself a small count that the other columns' published totals give away, e.g.
    placements 7 - own borough 6 - outside London 0 = 1 in other London boroughs)."""
    df = pd.DataFrame(rows, columns=["outside_london", "in_own_borough", "in_other_london"])
    df.insert(0, "la_name", [f"LA {i}" for i in range(len(df))])
    df.insert(
        1, "placements", df[["outside_london", "in_own_borough", "in_other_london"]].sum(axis=1)
    )
    df["pct_outside_london"] = df["outside_london"] / df["placements"].where(df["placements"] > 0)
    df["pct_in_own_borough"] = df["in_own_borough"] / df["placements"].where(df["placements"] > 0)
    root = tmp_path_factory.mktemp("ed") / "london"
    write_table(df, _csv(root), **SPEC)
    tables = read_tables(root)
    findings = audit_tables(tables, {"london": root})
    truth = df.set_index("la_name")
    for f in findings:
        column = truth[f.column]
        others = column.drop(index=f.row)
        row = truth.loc[f.row, SPEC["child_counts"]].drop(f.column)
        # a count that cannot be protected: its column and its row hold nothing else non-zero,
        # or its whole column adds up to a small count derivable from the other totals
        small_column = 0 < column.sum() <= 5
        assert (others == 0).all() or (row == 0).all() or small_column, f
    shutil.rmtree(root.parent, ignore_errors=True)


def test_example_london_and_borough_editions_audit_clean(tmp_path):
    """The example's placement-pattern tables and figures and the borough indicator table, in
    the London edition and in Barnet's beside it, give nothing away (the issue's examples)."""
    from analysis.contract import load_dataset
    from analysis.groups.indicators import (
        borough_indicators,
        indicator_disclosure,
        published_indicators,
    )
    from analysis.paths import EXAMPLE_DATA
    from analysis.patterns import write_patterns_outputs

    if not (EXAMPLE_DATA / "episodes.csv").exists():
        pytest.skip("data/example is not generated")
    ds = load_dataset(EXAMPLE_DATA)
    year = max(ds.years())
    roots = {}
    for edition, la in (("london", None), ("barnet", "Barnet")):
        roots[edition] = tmp_path / edition
        write_patterns_outputs(ds, year, edition, str(roots[edition]), la=la)
        indicators = published_indicators(borough_indicators(ds, year))
        indicators = indicators.drop(columns=["ons_code"]).reset_index()
        write_table(
            indicators,
            _csv(roots[edition], "groups_borough_indicators"),
            **indicator_disclosure(),
        )
    assert audit_edition(roots["london"]) == []
    assert audit_edition(roots["barnet"], roots["london"]) == []
    by_borough = pd.read_csv(_csv(roots["london"]), dtype=str).set_index("la_name")
    # Barnet (the example): share in own borough no longer published beside c
    assert by_borough.loc["Barnet", "in_own_borough"] == "c"
    assert by_borough.loc["Barnet", "pct_in_own_borough"] == "c"
    figure = json.loads(
        (roots["london"] / "figures" / "patterns_outside_by_borough.json").read_text()
    )
    hidden = set(by_borough.index[by_borough["pct_outside_london"] == "c"])
    assert hidden and not hidden & set(figure["drawn"][0]["labels"])
    barnet = json.loads((roots["barnet"] / "results" / "patterns.json").read_text())["borough"]
    assert barnet["pct_in_own_borough"] == "c"


# --- results files and the report's text (issue #15: every published number) -----------------


def _results(root: Path, name: str, doc: dict) -> None:
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / name).write_text(json.dumps(doc))


def _text(root: Path, chapter: str, text: str) -> None:
    (root / "report-sources").mkdir(parents=True, exist_ok=True)
    (root / "report-sources" / chapter).write_text(text)


def test_results_json_leak_is_found_and_refused(tmp_path):
    root = _edition(tmp_path)
    # Camden: 18 = 16 + 0 + c; the table hides the 16 as the partner of the 2 ...
    assert (
        pd.read_csv(_csv(root), dtype=str).set_index("la_name").loc["Camden", "outside_london"]
        == "c"
    )
    # ... and a borough edition's patterns.json gives it back (declared: borough.outside_london)
    _results(root, "patterns.json", {"borough": {"la_name": "Camden", "outside_london": 16}})
    found = _kinds(audit_edition(root))
    assert ("Camden", "in_other_london", "recovered") in found
    with pytest.raises(BuildFailed, match="disclosure audit"):
        audit_staged_editions({"london": root}, tmp_path / "outputs", 2022)


def test_small_count_in_results_json_is_found(tmp_path):
    root = _edition(tmp_path)
    _results(root, "h1.json", {"indicators": [{"name": "Barnet: share", "n": 3, "estimate": 0.5}]})
    found = audit_edition(root)
    assert [(f.table, f.row, f.kind) for f in found] == [
        ("results/h1.json", "indicators[0].n", "small_count")
    ]


def test_model_n_of_a_subset_of_boroughs_is_linked_to_the_table(tmp_path):
    """H3's model counts the children of the boroughs in its table (declared ``rows_of``): a
    model n beside the table's other rows gives a hidden row back (A30's 779 of 790)."""
    root = tmp_path / "london"
    (root / "tables").mkdir(parents=True)
    # a table of two boroughs whose column sum is not quoted; Camden's count hidden
    pd.DataFrame({"LA": ["Camden", "Croydon"], "children": ["c", "60"]}).to_csv(
        _csv(root, "h3_borough_variation"), index=False
    )
    sidecar = {"child_counts": ["children"], "key": "LA", "lines": [], "shares": {},
               "quantities": {"children": "k2_children"}}  # fmt: skip
    _csv(root, "h3_borough_variation").with_suffix(".disclosure.json").write_text(
        json.dumps(sidecar)
    )
    assert audit_edition(root) == []
    name = "Borough SD of the log-odds of a placement outside London, net of needs"
    _results(root, "h3.json", {"indicators": [{"id": "h3_borough_sd", "name": name, "n": 78}]})
    found = {(f.table, f.row, f.kind, f.detail) for f in audit_edition(root)}
    assert found == {("h3_borough_variation", "Camden", "recovered", "range [18.00, 18.00]")}


def test_counts_in_the_text_are_audited(tmp_path):
    root = _edition(tmp_path)
    _text(root, "index.qmd", "Barnet placed 30 children in children's homes.\n")
    assert audit_edition(root) == []  # 30 is Barnet's published placements
    _text(root, "patterns.qmd", "Camden placed **3** children in its own borough; fewer than 6 ...")
    _text(root, "h3.qmd", "The model counts 17 children.\n")
    _text(root, "methods.qmd", "A rule: 2 children per London LA.\n")  # fixed documents
    _text(root, "groups.qmd", "Children looked after per 10,000 children.\n")  # a rate
    found = {(f.table, f.row, f.kind) for f in audit_edition(root)}
    assert found == {
        ("report-sources/patterns.qmd", "**3** children", "small_count"),
        ("report-sources/h3.qmd", "17 children", "unlinked"),
    }


def test_results_are_controlled_before_publishing(tmp_path):
    from analysis.disclosure_results import control_results, declared_counts

    root = tmp_path / "camden"
    _results(root, "headlines.json", {
        "placements_total": 2, "placements_outside_london": 1, "share_outside_london": 50.0,
        "london_external_places": 544})  # fmt: skip
    _results(root, "h2.json", {"indicators": [
        {"name": "Camden: share", "n": 2, "estimate": 1.0, "ci_low": 0.3, "ci_high": 1.0},
        {"name": "London: share", "n": 158, "estimate": 0.8, "ci_low": 0.7, "ci_high": 0.9}]})  # fmt: skip
    assert control_results(root) == 3 + 4
    head = json.loads((root / "results" / "headlines.json").read_text())
    assert head == {"placements_total": "c", "placements_outside_london": "c",
                    "share_outside_london": "c", "london_external_places": 544}  # fmt: skip
    h2 = json.loads((root / "results" / "h2.json").read_text())["indicators"]
    assert h2[0]["n"] == h2[0]["estimate"] == h2[0]["ci_low"] == "c" and h2[1]["n"] == 158
    assert audit_edition(root) == []
    assert {d.path for d in declared_counts(root)} >= {"placements_total", "indicators[1].n"}
    # complement: 10 children, 8 outside London -> the 2 in London would be given away
    _results(root, "headlines.json", {"placements_total": 10, "placements_outside_london": 8})
    control_results(root)
    head = json.loads((root / "results" / "headlines.json").read_text())
    assert head == {"placements_total": 10, "placements_outside_london": "c"}


def test_a_share_that_splits_its_children_into_a_small_count_is_withheld(tmp_path):
    """Camden's share of its 16 children placed outside London in good homes, 0.875, gives
    back 2 children in other homes: the audit refuses it and control_results withholds it."""
    from analysis.disclosure_results import control_results

    root = _edition(tmp_path)
    name = "Camden: share of its children outside London in good or outstanding homes"
    row = {"name": name, "n": 16, "estimate": 0.875, "ci_low": 0.64, "ci_high": 0.97,
           "unit": "proportion"}  # fmt: skip
    premium = {"name": "Camden: London premium, unadjusted", "n": 18, "estimate": 0.9,
               "unit": "proportion"}  # fmt: skip
    _results(root, "h2.json", {"indicators": [row, premium]})
    found = {(f.table, f.row, f.kind) for f in audit_edition(root)}
    assert found == {("results/h2.json", "indicators[0].n", "split")}
    assert control_results(root) == 3
    out = json.loads((root / "results" / "h2.json").read_text())["indicators"]
    assert out[0]["n"] == 16 and out[0]["estimate"] == out[0]["ci_low"] == "c"
    assert out[1]["estimate"] == 0.9  # a premium is not a split of children
    assert audit_edition(root) == []


def test_a_share_giving_back_a_small_count_in_patterns_json_is_found_and_withheld(tmp_path):
    """London's share placed in their own borough times its children gives the count back
    (declared ``share_of: placements``): 3 of 40 is refused by the audit and withheld; 12 of
    40 is not."""
    from analysis.disclosure_results import control_results

    root = tmp_path / "london"
    _results(root, "patterns.json", {"london": {"placements": 40, "pct_in_own_borough": 0.075}})
    found = {(f.table, f.row, f.kind) for f in audit_edition(root)}
    assert found == {("results/patterns.json", "london.pct_in_own_borough", "small_count")}
    assert control_results(root) == 1
    out = json.loads((root / "results" / "patterns.json").read_text())["london"]
    assert out == {"placements": 40, "pct_in_own_borough": "c"}
    assert audit_edition(root) == []
    _results(root, "patterns.json", {"london": {"placements": 40, "pct_in_own_borough": 0.3}})
    assert control_results(root) == 0 and audit_edition(root) == []
