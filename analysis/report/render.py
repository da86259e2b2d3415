"""Rendering the generated sources: Quarto when installed, else pandoc (HTML) + Typst (PDF)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from analysis.paths import ROOT


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
    )
    inputs = str(ast)
    common = [
        "--lua-filter",
        filt,
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
            "--template",
            str(sources / "assets" / "template.html"),
            "--css",
            str(sources / "assets" / "report.css"),
            *_variables(meta),
        ],
        cworkdir=str(workdir),
    )
    html_out.write_text(_add_th_scope(html_out.read_text(encoding="utf-8")), encoding="utf-8")
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


def render_quarto(
    chapters: list[Path], workdir: Path, meta: dict[str, Any], sources: Path
) -> dict[str, Path]:
    """``quarto render`` of a book project made from the repository's ``_quarto.yml``."""
    import yaml

    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    project["book"]["chapters"] = [c.name for c in chapters]
    for key in ("title", "subtitle", "author"):
        if meta.get(key):
            project["book"][key] = meta[key]
    (workdir / "_quarto.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    shutil.copy(sources / "assets" / "report.css", workdir / "report.css")
    subprocess.run(["quarto", "render", str(workdir)], check=True, cwd=workdir)
    out = workdir / "_book"
    html = next(out.glob("*.html"))
    pdf = next(out.glob("*.pdf"))
    shutil.copy(html, workdir / "report.html")
    shutil.copy(pdf, workdir / "report.pdf")
    return {"html": workdir / "report.html", "pdf": workdir / "report.pdf"}
