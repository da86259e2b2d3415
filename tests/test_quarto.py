"""Quarto publishing (issue 11): the comparison of two engines' outputs, tested on pandoc renders so
it cannot pass vacuously; the Quarto invocation through a stand-in ``quarto`` executable (one call
per edition, the published file list, build.json); and, where the real Quarto is installed, the
structural comparison of its report with the pandoc path's."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from analysis.document import render_edition
from analysis.document.compare import (
    compare_file_lists,
    compare_html,
    compare_pdf,
    html_structure,
    pdf_structure,
    published_files,
)
from analysis.verdicts import HypothesisResult

BANNER = "Synthetic example data - not real children"
#: what rendering writes into an edition folder (removed to re-render a copy)
RENDERED = ("report.html", "report.pdf", "tables.xlsx", "report-sources", "build.json")
ALT = "Bar chart: b is three times a, so most children are in b"


def _make_edition(d: Path) -> Path:
    """A small edition as the notebooks leave it: one hypothesis result with a real figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for sub in ("results", "figures", "tables"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    res = HypothesisResult(1, "Supported", "rule", summary="Needs are not matched.", figures=["h1"])
    (d / "results" / "h1.json").write_text(json.dumps(res.to_dict()))
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [3, 9])
    fig.savefig(d / "figures" / "h1.png", dpi=50, metadata={"Software": None})
    fig.savefig(d / "figures" / "h1.svg", metadata={"Date": None})
    plt.close(fig)
    (d / "tables" / "h1.csv").write_text("group,n\na,3\nb,9\n")
    (d / "figures" / "h1.json").write_text(
        json.dumps({"name": "h1", "caption": "Children by group", "alt": ALT})
    )
    return d


def _render(d: Path, engine: str = "pandoc", synthetic: bool = True) -> Path:
    render_edition(
        d,
        edition="london",
        la_name=None,
        year=2022,
        metadata={"synthetic": synthetic, "name": "test"},
        engine=engine,
    )
    return d


@pytest.fixture(scope="module")
def two_pandoc_renders(tmp_path_factory) -> tuple[Path, Path]:
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
    try:
        a = _render(_make_edition(tmp_path_factory.mktemp("a")))
        b = _render(_make_edition(tmp_path_factory.mktemp("b")))
    finally:
        mp.undo()
    return a, b


def test_structure_of_a_pandoc_render_is_what_a_reader_sees(two_pandoc_renders):
    a, _ = two_pandoc_renders
    s = html_structure(a / "report.html")
    ids = [i for i, _ in s.sections]
    assert ids[0] == "sec-summary" and "sec-h1" in ids and "sec-reproducibility" in ids
    assert all(title and not title[0].isdigit() for _, title in s.sections)  # numbers dropped
    assert [alt for _, alt in s.figures] == [ALT]
    assert re.fullmatch(r"[0-9a-f]{12}", s.figures[0][0])  # embedded image, keyed by content
    assert "tables/h1.csv" in s.data_links
    assert s.tables and all(head for head, _ in s.tables)
    assert s.banner == BANNER and s.network == []
    p = pdf_structure(a / "report.pdf", BANNER)
    assert p.outline[0] == (0, "Executive summary")
    assert p.pages > 2 and p.banner_pages == p.pages
    assert "Under-utilisation of London provision" in p.first_page


def test_two_renders_of_one_edition_compare_equal(two_pandoc_renders):
    a, b = two_pandoc_renders
    assert compare_html(a / "report.html", b / "report.html") == []
    assert compare_pdf(a / "report.pdf", b / "report.pdf", BANNER) == []
    assert compare_file_lists(a, b) == []


def _altered(src: Path, tmp: Path, old: str, new: str, count: int = 1) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text, old
    out = tmp / f"altered-{abs(hash((old, new)))}.html"
    out.write_text(text.replace(old, new, count), encoding="utf-8")
    return out


def test_the_comparison_reports_each_kind_of_difference(two_pandoc_renders, tmp_path):
    a, _ = two_pandoc_renders
    html = a / "report.html"
    text = html.read_text(encoding="utf-8")
    cases = {
        "sections": _altered(html, tmp_path, 'id="sec-h1"', 'id="sec-other"'),
        "figures": _altered(html, tmp_path, f'alt="{ALT}"', 'alt="A chart"'),
        "banner": _altered(html, tmp_path, f">{BANNER}</div>", "></div>"),
        "network": _altered(
            html, tmp_path, "</head>", '<script src="https://example.org/x.js"></script></head>'
        ),
        "data links": _altered(html, tmp_path, '#tables/h1.csv"', '#tables/h2.csv"'),
    }
    # a table cell changed (the first body cell of the first table)
    first_td = re.search(r"<td[^>]*>([^<]+)</td>", text)
    cases["tables"] = _altered(html, tmp_path, first_td.group(0), "<td>changed</td>")
    # a different image with the same alt text
    img = re.search(r'src="data:image/png;base64,([^"]+)"', text)
    other = base64.b64encode(b"another image").decode()
    cases["figures (image)"] = _altered(html, tmp_path, img.group(1), other)
    for kind, altered in cases.items():
        diffs = compare_html(html, altered)
        assert diffs, kind
        assert diffs[0].startswith(kind.split(" (")[0]) or kind == "network", (kind, diffs)


def test_the_pdf_comparison_sees_outline_and_banner(two_pandoc_renders, tmp_path, monkeypatch):
    from analysis.document.render import compile_typst

    a, _ = two_pandoc_renders
    typ = (a / "report-sources" / "report.typ").read_text(encoding="utf-8")
    heading = re.search(r"^== .*$", typ, flags=re.M)
    shutil.copytree(a / "figures", tmp_path / "figures")
    (tmp_path / "fewer.typ").write_text(typ.replace(heading.group(0), "", 1), encoding="utf-8")
    compile_typst(tmp_path / "fewer.typ", tmp_path / "fewer.pdf", tmp_path)
    diffs = compare_pdf(a / "report.pdf", tmp_path / "fewer.pdf", BANNER)
    assert diffs and diffs[0].startswith("outline")
    # the same edition from real (not synthetic) data has no banner: reported when one is expected
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    real = _render(_make_edition(tmp_path / "real"), synthetic=False)
    diffs = compare_pdf(a / "report.pdf", real / "report.pdf", BANNER)
    assert any("banner on 0 of" in d for d in diffs)
    assert compare_html(a / "report.html", real / "report.html")[-1].startswith("banner")


# --- the Quarto invocation, exercised with a stand-in executable --------------------------------

FAKE_QUARTO = """\
#!{python}
# A STAND-IN for the quarto CLI (Quarto cannot be installed on the test machine). It records its
# arguments, answers --version, and for `render report.qmd --to all` renders the document's body
# with the pandoc path and leaves working files behind as Quarto does (.quarto/, report_files/).
# It checks the plumbing (one call per edition, arguments, front matter, clean-up, build.json),
# not Quarto's own rendering.
import json, os, sys
from pathlib import Path
import yaml
with open(os.environ["FAKE_QUARTO_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
if sys.argv[1:] == ["--version"]:
    print("1.11.0-standin")
    sys.exit(0)
assert sys.argv[1] == "render", sys.argv
doc = Path(sys.argv[2])
_, front, body = doc.read_text(encoding="utf-8").split("---\\n", 2)
front = yaml.safe_load(front)
fmt = front.pop("format")
front.pop("lang"), front.pop("number-sections")
assert all(Path(f).exists() for f in front.pop("filters") if f != "quarto"), "a filter is missing"
assert set(fmt) == {{"html", "typst"}}, fmt
assert Path(fmt["html"]["template"]).exists(), fmt  # the assets are copied next to the .qmd
from analysis.paths import REPORT_SOURCES
Path("_standin_body.md").write_text(body, encoding="utf-8")
from analysis.document.render import render_pandoc
render_pandoc([Path("_standin_body.md")], Path.cwd(), front, REPORT_SOURCES)
for junk in (".quarto/xref", "report_files/libs"):
    Path(junk).mkdir(parents=True, exist_ok=True)
    (Path(junk) / "x").write_text("working file")
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch) -> Path:
    """Put the stand-in ``quarto`` first on PATH; returns the log of its calls."""
    from analysis.document.render import quarto_version

    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    exe = bindir / "quarto"
    exe.write_text(FAKE_QUARTO.format(python=sys.executable), encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "quarto-calls.jsonl"
    log.write_text("")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    quarto_version.cache_clear()
    yield log
    quarto_version.cache_clear()


def _calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_quarto_engine_renders_one_document_in_one_call(fake_quarto, tmp_path):
    """With the stand-in: one `quarto render report.qmd --to all` call for both formats, the
    front matter asks for self-contained HTML and Typst with the project's design, Quarto's
    working files are gone, the file list is the pandoc path's and the methodology chapter names
    the engine and its version."""
    from analysis.document.render import quarto_front_matter

    edition = _render(_make_edition(tmp_path / "q"), engine="quarto")
    renders = [c for c in _calls(fake_quarto) if c["argv"][0] == "render"]
    assert [c["argv"] for c in renders] == [["render", "report.qmd", "--to", "all", "--no-execute"]]
    assert Path(renders[0]["cwd"]) == edition
    files = published_files(edition)
    assert not [f for f in files if f.startswith((".quarto", "report_files", "_"))], files
    assert not {"report.qmd", "_quarto.yml", "report.css"} & set(files)
    pandoc = _render(_make_edition(tmp_path / "p"), engine="pandoc")
    assert compare_file_lists(edition, pandoc) == []
    html = " ".join((edition / "report.html").read_text(encoding="utf-8").split())
    assert "rendered by the <code>quarto</code> engine: Quarto 1.11.0-standin" in html
    other = " ".join((pandoc / "report.html").read_text(encoding="utf-8").split())
    assert "rendered by the <code>pandoc</code> engine: pandoc" in other
    front = quarto_front_matter({"title": "T", "synthetic-banner": BANNER})
    html_fmt, typst_fmt = front["format"]["html"], front["format"]["typst"]
    assert html_fmt["embed-resources"] and html_fmt["minimal"] and html_fmt["toc"]
    assert html_fmt["theme"] == "none"  # no Bootstrap: Quarto compiles no Sass
    assert "$" not in (Path(__file__).parents[1] / "report_templates/assets/report.css").read_text()
    assert html_fmt["template"].endswith("template.html")
    assert [Path(p).name for p in typst_fmt["template-partials"]] == [
        "typst-template.typ",
        "typst-show.typ",
    ]
    assert front["number-sections"] and front["synthetic-banner"] == BANNER
    # the one filter both engines run (a wide table scrolls in its own box), beside the assets
    assert front["filters"] == ["quarto", "_report-assets/tables.lua"]  # after Quarto's own


def test_a_failing_quarto_render_leaves_no_working_files(fake_quarto, tmp_path):
    """Quarto's error reaches the user and its working files do not stay in the edition."""
    from analysis.document.render import render_quarto

    d = _make_edition(tmp_path / "bad")
    chapter = d / "index.qmd"
    chapter.write_text("# Title {#sec-x}\n")
    exe = Path(shutil.which("quarto"))
    exe.write_text(
        exe.read_text().replace(
            'assert sys.argv[1] == "render"',
            'Path(".quarto").mkdir(); sys.exit("ERROR: boom")\nassert sys.argv[1] == "render"',
        )
    )
    before = published_files(d)
    with pytest.raises(RuntimeError, match="quarto render failed: ERROR: boom"):
        render_quarto([chapter], d, {"title": "T"}, Path(__file__).parents[1] / "report_templates")
    assert published_files(d) == before


def test_build_with_quarto_records_the_engine(fake_quarto, tmp_path):
    """`report build --engine quarto` (stand-in): one render call per edition, each in its own
    staging folder; build.json records the engine and version; the published editions have the
    same files as a pandoc build's."""
    import test_build as tb  # tests/ is on sys.path (rootdir-less test modules)

    from analysis.build.editions import borough_edition, editions_to_build
    from analysis.build.pipeline import run_build

    project = {
        "data": tmp_path / "data",
        "nbs": tmp_path / "nbs",
        "out": tmp_path / "out-quarto",
    }
    project["data"].mkdir()
    (project["data"] / "episodes.csv").write_text("k,n\na,10\nb,20\n", encoding="utf-8")
    tb.make_notebook(
        project["nbs"] / "h1_needs.ipynb",
        tb.WRITE_RESULT.format(table="episodes", name="h1_data") + tb.FIGURE,
    )
    editions = [*editions_to_build(None, False), borough_edition("Camden")]
    summary = run_build(tb.settings_for(project, editions=editions, engine="quarto"))
    assert sorted(summary.published) == ["camden", "london"]
    renders = [c for c in _calls(fake_quarto) if c["argv"][0] == "render"]
    assert len(renders) == 2 and len({c["cwd"] for c in renders}) == 2
    year = project["out"] / "2022"
    for slug in ("london", "camden"):
        manifest = json.loads((year / slug / "build.json").read_text())
        assert manifest["renderer"]["engine"] == "quarto"
        assert manifest["renderer"]["version"] == "1.11.0-standin"
    pandoc_project = {**project, "out": tmp_path / "out-pandoc"}
    run_build(tb.settings_for(pandoc_project, editions=editions, engine="pandoc"))
    for slug in ("london", "camden"):
        other = pandoc_project["out"] / "2022" / slug
        assert compare_file_lists(year / slug, other) == []
        assert json.loads((other / "build.json").read_text())["renderer"]["engine"] == "pandoc"


# --- the real Quarto, where it is installed -----------------------------------------------------


NO_QUARTO = (
    "the quarto binary is not on PATH (Quarto cannot be installed on this machine); "
    "the comparison itself is tested above on pandoc renders"
)
needs_quarto = pytest.mark.skipif(shutil.which("quarto") is None, reason=NO_QUARTO)


@pytest.mark.quarto
@needs_quarto
def test_quarto_and_pandoc_publish_the_same_report(tmp_path, monkeypatch):
    """Quarto's report.html and report.pdf are structurally those of the pandoc path: the same
    sections, figures (image and alt), data links, tables and banner; the same PDF outline with
    the banner on every page; the same published files; nothing loaded from the network."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    quarto = _render(_make_edition(tmp_path / "quarto"), engine="quarto")
    pandoc = _render(_make_edition(tmp_path / "pandoc"), engine="pandoc")
    assert compare_html(pandoc / "report.html", quarto / "report.html") == []
    assert compare_pdf(pandoc / "report.pdf", quarto / "report.pdf", BANNER) == []
    assert compare_file_lists(pandoc, quarto) == []


@pytest.mark.slow
@pytest.mark.quarto
@needs_quarto
def test_quarto_and_pandoc_agree_on_the_built_report(built_outputs, tmp_path, monkeypatch):
    """The same comparison on the example build's London edition (every chapter, 20 figures)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root, _ = built_outputs
    london = next(p for p in sorted(root.rglob("report.html")) if p.parent.name == "london").parent
    year = int(london.parent.name)
    out = {}
    for engine in ("pandoc", "quarto"):
        d = tmp_path / engine / "london"
        shutil.copytree(london, d, ignore=shutil.ignore_patterns(*RENDERED))
        render_edition(
            d,
            edition="london",
            la_name=None,
            year=year,
            previous_year=year - 1 if (d / "previous").exists() else None,
            metadata={"synthetic": True, "name": "London example (synthetic)"},
            engine=engine,
        )
        out[engine] = d
    assert compare_html(out["pandoc"] / "report.html", out["quarto"] / "report.html") == []
    assert compare_pdf(out["pandoc"] / "report.pdf", out["quarto"] / "report.pdf", BANNER) == []
    assert compare_file_lists(out["pandoc"], out["quarto"]) == []
