"""The published-outputs scan: proven on planted violations, then run on every built edition."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.disclosure_scan import (
    Identifiers,
    dataset_identifiers,
    is_child_count_header,
    published_files,
    scan_published,
)
from analysis.outputs import write_table

IDS = Identifiers(child_ids={"3fa2b9c01d7e"}, referral_ids={"R0a1b2c3d4e"}, postcodes={"SE15 4"})


def _kinds(findings):
    return sorted({f.kind for f in findings})


def test_clean_files_give_no_findings(tmp_path):
    (tmp_path / "t.csv").write_text(
        "borough,children,pct\nCamden,c,c\nBrent,12,40\n", encoding="utf-8"
    )
    (tmp_path / "r.html").write_text(
        "<html><body><h1>Report</h1><p>Fewer than 6 children; 40 placements. PR1 5 in-house.</p>"
        "<table><tr><th>Borough</th><th>Children</th><th>Homes</th></tr>"
        "<tr><td>Camden</td><td>c</td><td>3</td></tr></table></body></html>",
        encoding="utf-8",
    )
    assert scan_published(tmp_path, IDS) == []


def test_finds_child_and_referral_ids_in_csv_and_html(tmp_path):
    (tmp_path / "t.csv").write_text("id,x\n3fa2b9c01d7e,20\n", encoding="utf-8")
    (tmp_path / "r.html").write_text('<p data-x="R0a1b2c3d4e">text</p>', encoding="utf-8")
    findings = scan_published(tmp_path, IDS)
    assert {(f.path, f.kind) for f in findings} == {
        ("t.csv", "child_id"),
        ("r.html", "referral_id"),
    }
    assert all("3fa2b9c01d7e" not in f.detail for f in findings)  # masked in the report


def test_id_inside_a_longer_token_is_not_a_hit(tmp_path):
    (tmp_path / "t.csv").write_text("x\nab3fa2b9c01d7e99\n", encoding="utf-8")
    assert scan_published(tmp_path, IDS) == []


def test_finds_postcodes_by_pattern_and_dataset_value(tmp_path):
    (tmp_path / "a.html").write_text("<p>Home at N1 9GU</p>", encoding="utf-8")
    (tmp_path / "b.csv").write_text("sector\nE1 6\n", encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps({"home": "se15 4"}), encoding="utf-8")
    found = {f.path for f in scan_published(tmp_path, IDS) if f.kind == "postcode"}
    assert found == {"a.html", "b.csv", "c.json"}


def test_finds_small_counts_in_declared_and_recognised_columns(tmp_path):
    # declared through write_table's sidecar, under a name the heuristic would not know
    df = pd.DataFrame({"la": ["a", "b"], "kids_out": [3, 30]})
    write_table(df, tmp_path / "ok.csv", child_counts=["kids_out"])
    assert scan_published(tmp_path, IDS) == []
    (tmp_path / "ok.csv").write_text("la,kids_out\na,3\nb,30\n", encoding="utf-8")  # tampered
    assert _kinds(scan_published(tmp_path, IDS)) == ["small_count"]


def test_finds_small_count_in_html_table_and_prose(tmp_path):
    (tmp_path / "r.html").write_text(
        "<table><tr><th>Borough</th><th>Children placed</th></tr>"
        "<tr><td>Camden</td><td>4</td></tr></table><p>Only 2 children moved.</p>",
        encoding="utf-8",
    )
    assert _kinds(scan_published(tmp_path, IDS)) == ["small_count", "small_count_prose"]


def test_measure_rows_are_judged_by_their_label(tmp_path):
    # a borough-vs-group table: one measure per row, areas as columns
    (tmp_path / "r.html").write_text(
        "<table><tr><th>Measure</th><th>Harrow</th><th>Group 5: No children placed</th></tr>"
        "<tr><td>Places in external children's homes</td><td>7</td><td>4</td></tr>"
        "<tr><td>Children in children's homes</td><td>3</td><td>24</td></tr></table>",
        encoding="utf-8",
    )
    found = scan_published(tmp_path, IDS)
    assert [(f.kind, f.where) for f in found] == [("small_count", "table 1 row 3 column 'Harrow'")]


def test_estimates_are_not_counts(tmp_path):
    (tmp_path / "r.html").write_text(
        "<table><tr><th>Indicator</th><th>Estimate</th><th>n</th></tr>"
        "<tr><td>Coverage of placements</td><td>1.00</td><td>790</td></tr>"
        "<tr><td>Children placed in own borough</td><td>0.35</td><td>4</td></tr></table>",
        encoding="utf-8",
    )
    found = scan_published(tmp_path, IDS)
    assert [(f.kind, f.where) for f in found] == [("small_count", "table 1 row 3 column 'n'")]


def test_thresholds_and_counts_of_homes_are_not_child_counts(tmp_path):
    (tmp_path / "r.html").write_text(
        "<p>Group 4 places fewer than 2 children per London LA. Camden had 4 children's homes."
        " At least 3 placements are needed. A median of 1 to 5 children is withheld (1-5"
        " referrals likewise).</p><p>Only 3 children moved.</p>",
        encoding="utf-8",
    )
    found = scan_published(tmp_path, IDS)
    assert [(f.kind, f.detail) for f in found] == [("small_count_prose", "3 children")]


def test_finds_violations_in_xlsx(tmp_path):
    with pd.ExcelWriter(tmp_path / "t.xlsx") as writer:
        pd.DataFrame({"Borough": ["Camden"], "Number of children": [5]}).to_excel(
            writer, index=False
        )
        pd.DataFrame({"CHILD": ["3fa2b9c01d7e"]}).to_excel(writer, sheet_name="x", index=False)
    assert _kinds(scan_published(tmp_path, IDS)) == ["child_id", "small_count"]


def test_edition_workbook_uses_each_tables_sidecar(tmp_path):
    # tables.xlsx sits beside tables/: a sheet is checked against its CSV's declared columns,
    # so a count of boroughs (not children) is not a finding, a declared child count is
    from analysis.document.workbook import write_workbook

    tables = tmp_path / "tables"
    tables.mkdir()
    df = pd.DataFrame({"group": ["1", "2"], "n_boroughs": [3, 11], "n_placed": [40, 50]})
    write_table(df, tables / "groups.csv", child_counts=["n_placed"])
    write_workbook(tables, tmp_path / "tables.xlsx")
    assert scan_published(tmp_path, IDS) == []
    df["n_placed"] = [4, 50]  # an unsuppressed small count slipping into the workbook
    df.to_csv(tables / "groups.csv", index=False)
    write_workbook(tables, tmp_path / "tables.xlsx")
    found = {(f.path, f.kind) for f in scan_published(tmp_path, IDS)}
    assert ("tables.xlsx", "small_count") in found


def test_finds_violations_in_pdf_text(tmp_path):
    typst = pytest.importorskip("typst", reason="typst (PyPI) not installed")
    src = tmp_path / "doc.typ"
    src.write_text("= Report\nChild 3fa2b9c01d7e lives near SE15 4.\n", encoding="utf-8")
    typst.compile(str(src), output=str(tmp_path / "doc.pdf"))
    src.unlink()
    try:
        findings = scan_published(tmp_path, IDS)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    assert {(f.path, f.kind) for f in findings} == {
        ("doc.pdf", "child_id"),
        ("doc.pdf", "postcode"),
    }


def test_header_heuristic():
    assert is_child_count_header("n_children")
    assert is_child_count_header("Placements outside LA")
    assert is_child_count_header("Children in children's homes")
    assert not is_child_count_header("Children's homes in London")
    assert not is_child_count_header("Places in external children’s homes in the borough")
    for header in (
        "pct_children", "homes", "places", "rate per 10,000", "year", "URN", "mean age",
        "n_london_las", "n_boroughs",
    ):  # fmt: skip
        assert not is_child_count_header(header)


def test_dataset_identifiers_reads_every_table(tmp_path):
    pd.DataFrame({"CHILD": ["a1"], "HOME_POST": ["se15 4"], "PL_POST": ["E1 6"]}).to_csv(
        tmp_path / "episodes.csv", index=False
    )
    pd.DataFrame({"referral_id": ["R1"], "child": ["b2"]}).to_csv(
        tmp_path / "referrals.csv", index=False
    )
    ids = dataset_identifiers(tmp_path)
    assert ids.child_ids == {"a1", "b2"} and ids.referral_ids == {"R1"}
    assert ids.postcodes == {"SE15 4", "E1 6"}


@pytest.mark.slow
def test_every_built_edition_publishes_nothing_disclosive(built_outputs):
    root, data_dir = built_outputs
    editions = sorted({p.parent for p in root.rglob("report.html")})
    files = published_files(root)
    findings = scan_published(root, dataset_identifiers(data_dir))
    summary = {
        "editions": len(editions),
        "files": len(files),
        "findings": len(findings),
    }
    print(f"\nPUBLISHED-OUTPUTS SCAN: {summary}")
    for finding in findings[:40]:
        print("  ", finding)
    assert len(editions) >= 34, (
        f"expected the London and 33 borough editions, found {len(editions)}"
    )
    assert findings == []


@pytest.mark.slow
def test_attackers_audit_recovers_nothing_in_any_edition(built_outputs):
    """Issue #15: on every edition of the full example build (each beside the London edition),
    no suppressed count can be worked out from what is published (the build ran the same audit
    before publishing; this re-runs it on the published folders and reports the numbers)."""
    import time

    from analysis.disclosure_audit import audit_edition, read_tables

    root, _ = built_outputs
    editions = sorted({p.parent for p in root.rglob("report.html")})
    london = next(e for e in editions if e.name == "london")
    findings, seconds, suppressed = [], [], 0
    for edition in editions:
        start = time.perf_counter()
        findings += audit_edition(edition, None if edition == london else london)
        seconds.append(time.perf_counter() - start)
        suppressed += sum(
            int((t.frame[c].astype(str).str.strip() == "c").sum())
            for t in read_tables(edition)
            for c in t.spec.get("child_counts", [])
            if c in t.frame.columns
        )
    print(
        f"\nATTACKER'S AUDIT: editions {len(editions)}, suppressed counts {suppressed}, "
        f"findings {len(findings)}, seconds per edition median "
        f"{sorted(seconds)[len(seconds) // 2]:.2f} max {max(seconds):.2f}"
    )
    for finding in findings[:40]:
        print("  ", finding)
    assert len(editions) >= 34
    assert findings == []


def test_published_notebooks_carry_no_scratch_or_project_paths(built_outputs):
    """Every executed notebook of the full build shows its parameters without the scratch folder
    or the project's absolute path, and counts its cells as a fresh kernel would."""
    from analysis.paths import ROOT

    root, _ = built_outputs
    notebooks = sorted(  # the editions' notebooks, not the caches' (hidden folders)
        p
        for p in root.rglob("*.ipynb")
        if not any(x.startswith(".") for x in p.relative_to(root).parts)
    )
    assert len(notebooks) >= 34 * 9
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        assert "/.staging/" not in text and str(ROOT) + "/" not in text, path
        nb = json.loads(text)
        counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1)), path
