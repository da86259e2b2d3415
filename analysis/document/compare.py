"""Structural comparison of two renders of an edition (Quarto against pandoc + Typst).

Two engines never write the same bytes (class names, numbering markup, PDF object order), so the
comparison is of what a reader meets, extracted from each file:

- HTML (:func:`html_structure`): the document title, the sequence of sections (id and heading
  text, section numbers dropped), the figures (the embedded image's content hash and its alt
  text), the data links, the tables (header and body cell text), the synthetic-data banner, and
  every resource the page would load from the network (should be none);
- PDF (:func:`pdf_structure`): the outline (bookmarks: depth and title, numbers dropped), the
  page count and how many pages carry the banner text, the first page's title.

:func:`compare_html`, :func:`compare_pdf` and :func:`compare_file_lists` return a list of readable
differences; an empty list means structurally equal. Caveat: the comparison sees text and
structure, not looks (fonts, colours and spacing may differ between engines).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: section numbers and figure/table number prefixes, which engines write differently
_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)")
_CAPTION_NUMBER = re.compile(r"^\s*(?:Figure|Table)\s+[\d.]+\s*[:.]\s*")


def _text(node: Any) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def _strip_number(title: str) -> str:
    """A heading's text without its section number ("2.1 Needs" -> "Needs")."""
    return _NUMBER.sub("", title).strip()


@dataclass
class HtmlStructure:
    """What a reader meets in one HTML report (see the module docstring)."""

    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    data_links: list[str] = field(default_factory=list)
    tables: list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = field(default_factory=list)
    banner: str = ""
    network: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _image_key(src: str) -> str:
    """An image by content: sha256 (12 hex) of an embedded ``data:`` URI, else the file name."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        raw = base64.b64decode(payload) if ";base64" in header else payload.encode()
        return hashlib.sha256(raw).hexdigest()[:12]
    return Path(src.split("?")[0]).name


def html_structure(path: Path) -> HtmlStructure:
    """Extract the reader-facing structure of a self-contained HTML report."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")
    title = _text(soup.title) if soup.title else ""
    body = soup.find("main") or soup.body or soup
    sections = []
    for h in body.find_all(re.compile(r"^h[1-6]$")):
        for span in h.find_all(class_="header-section-number"):
            span.decompose()
        ident = h.get("id") or ""
        if not ident and h.parent is not None and h.parent.name == "section":
            ident = h.parent.get("id") or ""
        sections.append((ident, _strip_number(_text(h))))
    figures = [
        (_image_key(img.get("src", "")), " ".join((img.get("alt") or "").split()))
        for img in body.find_all("img")
    ]
    from analysis.document.links import link_target

    data_links = [
        link_target(a["href"])
        for a in body.find_all("a", href=True)
        if not a["href"].startswith(("#", "http:", "https:", "mailto:"))
    ]
    tables = []
    for t in body.find_all("table"):
        head = tuple(_text(th) for th in t.find_all("th"))
        rows = tuple(
            tuple(_text(td) for td in tr.find_all("td")) for tr in t.find_all("tr") if tr.find("td")
        )
        tables.append((head, rows))
    banners = soup.find_all(class_="synthetic-banner")
    banner = _text(banners[0]) if banners else ""
    network = []
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        for el in soup.find_all(tag):
            value = el.get(attr) or ""
            if value.startswith(("http:", "https:", "//")):
                network.append(f"{tag} {value}")
    return HtmlStructure(title, sections, figures, data_links, tables, banner, network)


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _diff_sequences(name: str, a: list[Any], b: list[Any], limit: int = 5) -> list[str]:
    if a == b:
        return []
    out = [f"{name}: {len(a)} against {len(b)}"]
    shown = 0
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else "(missing)"
        right = b[i] if i < len(b) else "(missing)"
        if left != right:
            out.append(f"  {name}[{i}]: {_short(left)} != {_short(right)}")
            shown += 1
            if shown >= limit:
                break
    return out


def compare_html(a: Path, b: Path) -> list[str]:
    """Differences between two HTML reports' structures (empty: structurally equal).

    Also reports a page that would load anything from the network, even when both do.
    """
    sa, sb = html_structure(a), html_structure(b)
    diffs: list[str] = []
    if sa.title != sb.title:
        diffs.append(f"title: {sa.title!r} != {sb.title!r}")
    diffs += _diff_sequences("sections", sa.sections, sb.sections)
    diffs += _diff_sequences("figures", sa.figures, sb.figures)
    diffs += _diff_sequences("data links", sa.data_links, sb.data_links)
    diffs += _diff_sequences("tables", sa.tables, sb.tables)
    if sa.banner != sb.banner:
        diffs.append(f"banner: {sa.banner!r} != {sb.banner!r}")
    for label, s in (("first", sa), ("second", sb)):
        if s.network:
            diffs.append(f"network requests in the {label} file: {s.network[:3]}")
    return diffs


@dataclass
class PdfStructure:
    """What a reader meets in one PDF report: outline, pages, banner pages, title page text."""

    outline: list[tuple[int, str]]
    pages: int
    banner_pages: int
    first_page: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _flatten_outline(items: list[Any], depth: int = 0) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for item in items:
        if isinstance(item, list):
            out += _flatten_outline(item, depth + 1)
        else:
            out.append((depth, _strip_number(" ".join(str(item.title).split()))))
    return out


def pdf_structure(path: Path, banner: str = "") -> PdfStructure:
    """Outline (bookmarks, numbers dropped), page count, pages whose text has ``banner``."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    texts = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    squeezed = " ".join(banner.split())
    banner_pages = sum(squeezed in t for t in texts) if squeezed else 0
    return PdfStructure(
        _flatten_outline(reader.outline), len(texts), banner_pages, texts[0] if texts else ""
    )


def compare_pdf(a: Path, b: Path, banner: str = "") -> list[str]:
    """Differences between two PDF reports (empty: structurally equal).

    With a ``banner`` text, each PDF must carry it on every page (not only the same count).
    """
    sa, sb = pdf_structure(a, banner), pdf_structure(b, banner)
    diffs = _diff_sequences("outline", sa.outline, sb.outline)
    if banner:
        for label, s in (("first", sa), ("second", sb)):
            if s.banner_pages != s.pages:
                diffs.append(f"banner on {s.banner_pages} of {s.pages} pages of the {label} PDF")
    return diffs


def published_files(edition_dir: Path) -> list[str]:
    """Relative paths of every file in a published edition folder, sorted."""
    root = Path(edition_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def compare_file_lists(a: Path, b: Path) -> list[str]:
    """Files present in one edition folder and not the other."""
    fa, fb = set(published_files(a)), set(published_files(b))
    diffs = [f"only in the first: {p}" for p in sorted(fa - fb)]
    diffs += [f"only in the second: {p}" for p in sorted(fb - fa)]
    return diffs
