"""Rendering the generated sources: Quarto when installed, else pandoc (HTML) + Typst (PDF)."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from analysis.document.links import embed_data_links


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


def choose_engine(engine: str) -> str:
    """``auto`` -> ``quarto`` when the binary is on PATH, else ``pandoc``."""
    if engine == "auto":
        return "quarto" if quarto_available() else "pandoc"
    if engine == "quarto" and not quarto_available():
        raise RuntimeError("--engine quarto was asked for but the quarto binary is not installed")
    return engine


def build_time() -> str:
    """The build timestamp shown in the report: ``SOURCE_DATE_EPOCH`` when set (reproducible)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        if epoch
        else dt.datetime.now(tz=dt.UTC).replace(microsecond=0)
    )
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _variables(meta: dict[str, Any]) -> list[str]:
    args = []
    for key, value in meta.items():
        if value not in (None, ""):
            args += ["-V", f"{key}={value}"]
    return args


def _add_th_scope(html: str) -> str:
    """Header cells get ``scope="col"`` (pandoc does not write it)."""
    return re.sub(r"<th(?=[\s>])(?![^>]*scope=)", '<th scope="col"', html)


def render_pandoc(
    chapters: list[Path], workdir: Path, meta: dict[str, Any], sources: Path
) -> dict[str, Path]:
    """HTML (self-contained, no network) and PDF (pandoc -> Typst -> typst.compile)."""
    import pypandoc

    filt = str(sources / "filters" / "portable.lua")
    # One combined source keeps the chapter order (pypandoc reorders a list of inputs).
    combined = workdir / "report.md"
    combined.write_text(
        "\n\n".join(c.read_text(encoding="utf-8") for c in chapters), encoding="utf-8"
    )
    # Parse the Markdown once (the slowest step of pandoc) into pandoc's JSON AST; both
    # writers then read the AST. The filter runs at the writing step, where FORMAT is known.
    ast = workdir / "report.json"
    pypandoc.convert_file(
        str(combined),
        "json",
        format="markdown",
        outputfile=str(ast),
        cworkdir=str(workdir),
        verify_format=False,  # known formats: no `pandoc --list-*-formats` runs per call
    )
    inputs = str(ast)
    common = [
        "--lua-filter",
        filt,
        "--lua-filter",
        str(sources / "filters" / TABLES_FILTER),
        "--metadata",
        f"title={meta['title']}",
        "--resource-path",
        str(workdir),
    ]
    html_out = workdir / "report.html"
    pypandoc.convert_file(
        inputs,
        "html5",
        format="json",
        outputfile=str(html_out),
        extra_args=[
            *common,
            "--standalone",
            "--embed-resources",
            "--mathml",
            "--toc",
            "--toc-depth=2",
            "--section-divs",
            "--number-sections",
            "--template",
            str(sources / "assets" / "template.html"),
            "--css",
            str(sources / "assets" / "report.css"),
            *_variables(meta),
        ],
        cworkdir=str(workdir),
        verify_format=False,  # known formats: no `pandoc --list-*-formats` runs per call
    )
    html_out.write_text(
        embed_data_links(_add_th_scope(html_out.read_text(encoding="utf-8")), workdir),
        encoding="utf-8",
    )
    typ = workdir / "report.typ"
    pypandoc.convert_file(
        inputs,
        "typst",
        format="json",
        outputfile=str(typ),
        extra_args=[
            *common,
            "--standalone",
            "--template",
            str(sources / "assets" / "template.typ"),
            *_variables(meta),
        ],
        cworkdir=str(workdir),
        verify_format=False,  # known formats: no `pandoc --list-*-formats` runs per call
    )
    pdf = workdir / "report.pdf"
    compile_typst(typ, pdf, workdir)
    combined.unlink()
    ast.unlink()
    return {"html": html_out, "pdf": pdf}


def compile_typst(source: Path, pdf: Path, root: Path) -> None:
    """``typst.compile`` in a child Python process.

    The Typst binding keeps what it compiled (fonts, decoded images) for the life of the
    process: about 100 MB more per edition, 1.3 GB per render worker over a 34-edition build.
    A child process per PDF costs ~0.15 s and gives the memory back; the PDF is the same bytes.
    """
    code = "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(pdf), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"typst failed on {Path(source).name}: {done.stderr.strip()[-2000:]}")


#: Quarto's outputs kept from a render (the typst source goes to report-sources like pandoc's)
QUARTO_OUTPUTS = ("report.html", "report.pdf", "report.typ")


#: where :func:`render_quarto` copies ``report_templates/assets`` inside the render folder (deleted after)
QUARTO_ASSETS = "_report-assets"
#: The Lua filter both engines run (plain pandoc and Quarto): a wide table scrolls in its own box.
TABLES_FILTER = "tables.lua"


def quarto_front_matter(meta: dict[str, Any], assets: str = QUARTO_ASSETS) -> dict[str, Any]:
    """The YAML front matter that makes Quarto render the pandoc path's single document.

    Both formats in one document (one ``quarto render`` per edition): HTML with the project's
    own pandoc template and CSS (``minimal``, ``theme: none``: no Bootstrap theme, so no Dart Sass
    compile and no Sass warnings - ``report.css`` is plain CSS), resources
    embedded and MathML (no network); Typst with the project's page design as Quarto's
    ``typst-template.typ``/``typst-show.typ`` partials (the same files pandoc's template.typ
    includes). Quarto itself does what ``portable.lua`` does for plain pandoc (cross-references,
    figure numbers and ``fig-alt``, callouts, shortcodes); sections are numbered in both formats
    (Quarto needs that for ``@sec-`` references; the pandoc path numbers them too). Both run
    ``filters/tables.lua`` (:data:`TABLES_FILTER`: a wide table scrolls in its own box). ``assets`` is
    the folder, relative to the document, holding a copy of ``report_templates/assets``.
    """
    front: dict[str, Any] = {k: v for k, v in meta.items() if v not in (None, "")}
    front.update(
        {
            "lang": "en-GB",
            "number-sections": True,
            # after Quarto's own filters (the "quarto" entry), so it wraps the tables they write
            "filters": ["quarto", f"{assets}/{TABLES_FILTER}"],
            "format": {
                "html": {
                    "minimal": True,
                    "theme": "none",
                    "template": f"{assets}/template.html",
                    "css": [f"{assets}/report.css"],
                    "embed-resources": True,
                    "html-math-method": "mathml",
                    "toc": True,
                    "toc-depth": 2,
                    "section-divs": True,
                    "anchor-sections": False,
                },
                "typst": {
                    "template-partials": [
                        f"{assets}/typst-template.typ",
                        f"{assets}/typst-show.typ",
                    ],
                    "toc": False,
                    "papersize": "a4",
                    "keep-typ": True,
                },
            },
        }
    )
    return front


def quarto_command(document: Path) -> list[str]:
    """The one ``quarto render`` call per edition: every format in the document's front matter."""
    return ["quarto", "render", Path(document).name, "--to", "all", "--no-execute"]


def render_quarto(
    chapters: list[Path], workdir: Path, meta: dict[str, Any], sources: Path
) -> dict[str, Path]:
    """``quarto render`` of the single document the pandoc path renders, both formats at once.

    ``report.qmd`` (front matter from :func:`quarto_front_matter`, then the chapters in order)
    is rendered in the edition's staging folder next to its ``figures/``. A ``_quarto.yml``
    written there makes that folder the Quarto project root, so no ``_quarto.yml`` further up
    (a user's project) changes the render; the templates and CSS are copied next to it
    (:data:`QUARTO_ASSETS`). Every file or folder the render adds other than ``report.html``,
    ``report.pdf`` and ``report.typ`` (``.quarto/``, ``report_files/``, the ``.qmd``, the copied
    assets) is deleted before publishing: the published folder has the same files
    whichever engine rendered it.
    """
    import yaml

    workdir = Path(workdir)
    before = {p.name for p in workdir.iterdir()}
    document = workdir / "report.qmd"
    body = "\n\n".join(c.read_text(encoding="utf-8") for c in chapters)
    shutil.copytree(Path(sources) / "assets", workdir / QUARTO_ASSETS)
    shutil.copy2(Path(sources) / "filters" / TABLES_FILTER, workdir / QUARTO_ASSETS)
    front = yaml.safe_dump(quarto_front_matter(meta), sort_keys=False, allow_unicode=True)
    document.write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    (workdir / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    try:
        done = subprocess.run(
            quarto_command(document), cwd=workdir, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"quarto render failed: {done.stderr.strip()[-2000:]}")
        missing = [n for n in ("report.html", "report.pdf") if not (workdir / n).exists()]
        if missing:
            raise RuntimeError(f"quarto render wrote no {', '.join(missing)}")
    finally:
        for path in sorted(workdir.iterdir()):
            if path.name not in before and path.name not in QUARTO_OUTPUTS:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    html_out = workdir / "report.html"
    html_out.write_text(
        embed_data_links(_add_th_scope(html_out.read_text(encoding="utf-8")), workdir),
        encoding="utf-8",
    )
    return {"html": html_out, "pdf": workdir / "report.pdf"}


@functools.lru_cache(maxsize=1)
def quarto_version() -> str:
    """``quarto --version`` (``unknown`` when it does not answer)."""
    try:
        done = subprocess.run(
            ["quarto", "--version"], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (
        done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout else "unknown"
    )


def renderer_info(engine: str) -> dict[str, str]:
    """The engine that renders an edition and its version, for build.json and the methodology
    chapter: ``{"engine": "quarto"|"pandoc", "version": ..., "description": ...}``."""
    if engine == "quarto":
        version = quarto_version()
        return {
            "engine": "quarto",
            "version": version,
            "description": f"Quarto {version} (HTML, and PDF with its bundled Typst)",
        }
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    import pypandoc

    try:
        typst = package_version("typst")
    except PackageNotFoundError:
        typst = "unknown"
    pandoc = pypandoc.get_pandoc_version()
    return {
        "engine": "pandoc",
        "version": f"pandoc {pandoc}, typst (Python) {typst}",
        "description": f"pandoc {pandoc} (HTML) and pandoc + Typst {typst} (PDF)",
    }
