#!/usr/bin/env python3
"""Accessibility and self-containment check of a report's HTML (and its PDF outline).

Checks, each a function returning a list of problems (empty = pass):

* ``axe_violations``: axe-core (``node_modules/axe-core/axe.min.js``) run in headless Chromium
  (Debian's ``chromium``) on a copy of the page with axe injected, network resolution blocked;
  serious or critical violations of WCAG 2.0/2.1/2.2 A and AA rules are returned.
* ``external_resources``: anything the page would *load* from the network when opened
  (``src``, stylesheet/icon/preload ``href``, CSS ``url()``/``@import``); ordinary links that a
  reader may follow are not requests and are allowed.
* ``images_without_alt``: every ``<img>`` (and ``<svg role=img>``) needs a non-empty alt text.
* ``figures_without_data``: every figure image must be followed, before the next figure, by a
  data table or a link to one (``.csv``/``.xlsx``/``#tbl-...``).
* ``pdf_outline_problems``: the PDF has a document outline (bookmarks).

Usage: ``python scripts/axe_check.py report.html [report.pdf]`` (exit 1 when a check fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
RESULT_ID = "axe-check-results"
LOADING_REL = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest", "shortcut"}


def chromium_binary() -> str | None:
    """Path of Chromium (``chromium``, ``chromium-browser`` or ``google-chrome``), if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _runner_script() -> str:
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return (
        "<script>axe.run(document, " + options + ").then(function (r) {"
        "var out = document.createElement('pre'); out.id = '" + RESULT_ID + "';"
        "out.textContent = JSON.stringify(r.violations.map(function (v) {"
        "return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
        " targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); })}; }));"
        "document.body.appendChild(out); }).catch(function (e) {"
        "var out = document.createElement('pre'); out.id = '" + RESULT_ID + "';"
        "out.textContent = JSON.stringify({error: String(e)}); document.body.appendChild(out); });"
        "</script>"
    )


def _dump_dom(
    html_path: Path, injected: str, *, timeout: int = 120, width: int | None = None
) -> subprocess.CompletedProcess:
    """Chromium's DOM dump of a copy of the page with ``injected`` (HTML) before ``</body>``.

    The copy sits beside the original (so relative images still resolve) and is opened in
    headless Chromium with all host names unresolvable; ``width`` sets the window's width.
    """
    browser = chromium_binary()
    if browser is None:
        raise RuntimeError("Chromium not installed (scripts/system-deps.sh)")
    html = html_path.read_text(encoding="utf-8")
    if re.search(r"</body>", html, re.IGNORECASE):
        page = re.sub(
            r"</body>", lambda _: injected + "</body>", html, count=1, flags=re.IGNORECASE
        )
    else:
        page = html + injected
    fd, tmp_name = tempfile.mkstemp(suffix=".check.html", dir=html_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.write_text(page, encoding="utf-8")
        with tempfile.TemporaryDirectory() as profile:
            return subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    f"--user-data-dir={profile}",
                    "--host-resolver-rules=MAP * ~NOTFOUND",
                    "--virtual-time-budget=30000",
                    *([f"--window-size={width},1000"] if width else []),
                    "--dump-dom",
                    tmp.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
    finally:
        tmp.unlink(missing_ok=True)


#: id of the element the overflow probe writes its measurement to
OVERFLOW_ID = "sideways-overflow-result"


def sideways_overflow(html_path: Path, *, width: int = 420, timeout: int = 120) -> int:
    """How many CSS pixels the whole page scrolls sideways in a window ``width`` pixels wide
    (the document's scroll width minus its client width; 0 when nothing is wider than the
    screen). A wide table scrolls in its own box (``filters/tables.lua``), not the page: WCAG
    2.2 1.4.10 (Reflow) asks that a page read at 320 CSS pixels without scrolling sideways."""
    probe = (
        "<script>window.addEventListener('load', function () {"
        "var d = document.documentElement, out = document.createElement('pre');"
        f"out.id = '{OVERFLOW_ID}'; out.textContent = String(d.scrollWidth - d.clientWidth);"
        "document.body.appendChild(out); });</script>"
    )
    done = _dump_dom(html_path, probe, timeout=timeout, width=width)
    match = re.search(rf'<pre id="{OVERFLOW_ID}">(-?[0-9]+)</pre>', done.stdout)
    if not match:
        raise RuntimeError(
            f"no measurement (chromium exit {done.returncode}): {done.stderr[-500:]}"
        )
    return int(match.group(1))


def axe_all_violations(html_path: Path, *, timeout: int = 120) -> list[dict]:
    """Every axe-core violation (WCAG A/AA tags) of the page, as dicts (id, impact, help ...).

    The page is copied beside the original (so relative images still resolve) with axe-core
    injected, opened in headless Chromium with all host names unresolvable, and the results read
    back from the dumped DOM. Raises ``RuntimeError`` when Chromium or axe-core is missing.
    """
    if chromium_binary() is None:
        raise RuntimeError("Chromium not installed (scripts/system-deps.sh)")
    if not AXE.exists():
        raise RuntimeError(f"axe-core not installed at {AXE} (scripts/system-deps.sh)")
    injected = "<script>" + AXE.read_text(encoding="utf-8") + "</script>" + _runner_script()
    done = _dump_dom(html_path, injected, timeout=timeout)
    match = re.search(rf'<pre id="{RESULT_ID}">(.*?)</pre>', done.stdout, re.DOTALL)
    if not match:
        raise RuntimeError(
            f"axe did not report (chromium exit {done.returncode}): {done.stderr[-500:]}"
        )
    import html as html_lib

    result = json.loads(html_lib.unescape(match.group(1)))
    if isinstance(result, dict) and "error" in result:
        raise RuntimeError(f"axe failed: {result['error']}")
    return result


def axe_violations(html_path: Path) -> list[str]:
    """Serious or critical WCAG 2.2 AA violations found by axe-core, one line each."""
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}) on {v['nodes']} element(s), e.g. {v['targets'][:1]}"
        for v in axe_all_violations(html_path)
        if v.get("impact") in BLOCKING_IMPACTS
    ]


class _PageParser(HTMLParser):
    """Document-order events the static checks need."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append((tag, {k: (v or "") for k, v in attrs}))
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "figure":
            self.events.append(("/figure", {}))

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _parse(html_path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(html_path.read_text(encoding="utf-8"))
    return parser


def _is_remote(url: str) -> bool:
    return bool(re.match(r"\s*(https?:)?//", url, re.IGNORECASE))


def external_resources(html_path: Path) -> list[str]:
    """Resources the page would fetch from the network when opened (must be none)."""
    parser = _parse(html_path)
    problems = []
    for tag, attrs in parser.events:
        for attr in ("src", "data", "poster", "srcset"):
            if attr in attrs and _is_remote(attrs[attr].split(",")[0]):
                problems.append(f"<{tag} {attr}={attrs[attr]!r}> loads from the network")
        rel = set(attrs.get("rel", "").lower().split())
        if tag == "link" and rel & LOADING_REL and _is_remote(attrs.get("href", "")):
            problems.append(
                f"<link rel={attrs['rel']!r} href={attrs['href']!r}> loads from the network"
            )
        if "style" in attrs:
            parser.styles.append(attrs["style"])
    for css in parser.styles:
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(
            r"@import\s+['\"]([^'\"]+)", css
        ):
            if _is_remote(url):
                problems.append(f"CSS loads {url!r} from the network")
    return problems


def images_without_alt(html_path: Path) -> list[str]:
    """Images with no alt text (decorative images must be marked ``role=presentation``)."""
    problems = []
    for tag, attrs in _parse(html_path).events:
        if (
            tag == "img"
            and not attrs.get("alt", "").strip()
            and attrs.get("role") != "presentation"
        ):
            problems.append(f"<img src={attrs.get('src', '')[:60]!r}> has no alt text")
        if tag == "svg" and attrs.get("role") == "img" and not attrs.get("aria-label", "").strip():
            problems.append("<svg role=img> has no aria-label")
    return problems


def alt_texts_that_repeat_the_caption(html_path: Path) -> list[str]:
    """Figure images whose alt text repeats the caption while a fuller description (``fig-alt``)
    was written: the alt should carry the chart's message, not its title."""
    problems = []
    for tag, attrs in _parse(html_path).events:
        alt = attrs.get("alt", "").strip()
        described = attrs.get("data-fig-alt", "").strip()
        if tag == "img" and alt and described and described != alt:
            problems.append(f"alt text is the caption {alt[:50]!r}, not the fig-alt description")
    return problems


def _data_link(tag: str, attrs: dict[str, str]) -> bool:
    href = attrs.get("href", "")
    return tag == "a" and bool(re.search(r"\.(csv|xlsx)(\b|$)|#tbl-", href, re.IGNORECASE))


def figures_without_data(html_path: Path) -> list[str]:
    """Figure images not followed by their data: a table or a link to one (``.csv``/``.xlsx``/
    ``#tbl-``) before the next figure image or the next heading."""
    events = _parse(html_path).events
    images = [
        i
        for i, (tag, attrs) in enumerate(events)
        if tag == "img" and attrs.get("role") != "presentation"
    ]
    stops = [i for i, (tag, _) in enumerate(events) if tag == "img" or re.fullmatch(r"h[1-6]", tag)]
    problems = []
    for n, start in enumerate(images):
        end = min([i for i in stops if i > start], default=len(events))
        following = events[start + 1 : end]
        if not any(tag == "table" or _data_link(tag, attrs) for tag, attrs in following):
            alt = events[start][1].get("alt", "")[:50]
            problems.append(f"figure {n + 1} ({alt!r}) has no data table or link to one after it")
    return problems


def pdf_outline_problems(pdf_path: Path) -> list[str]:
    """The PDF must have a document outline (bookmarks) with at least one entry."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf_path))
    problems = []
    if not reader.outline:
        problems.append(f"{pdf_path.name} has no document outline (bookmarks)")
    return problems


def pdf_is_tagged(pdf_path: Path) -> bool:
    """True when the PDF is tagged (a structure tree and ``/MarkInfo /Marked true``)."""
    from pypdf import PdfReader

    root = PdfReader(str(pdf_path)).trailer["/Root"]
    mark = root.get("/MarkInfo") or {}
    return "/StructTreeRoot" in root and bool(mark.get("/Marked", False))


def check_page(html_path: Path, *, run_axe: bool = True) -> list[str]:
    """All HTML checks of one page."""
    problems = (
        external_resources(html_path)
        + images_without_alt(html_path)
        + alt_texts_that_repeat_the_caption(html_path)
        + figures_without_data(html_path)
    )
    if run_axe:
        problems += axe_violations(html_path)
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    problems: list[str] = []
    for name in argv:
        path = Path(name)
        found = pdf_outline_problems(path) if path.suffix.lower() == ".pdf" else check_page(path)
        problems += [f"{path}: {p}" for p in found]
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {len(argv)} file(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
