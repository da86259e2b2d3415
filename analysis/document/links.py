"""Data links that work when the HTML report travels alone.

The report's figures link the CSV behind them (``tables/<name>.csv``, relative to the edition
folder). A relative link breaks as soon as ``report.html`` is e-mailed or saved on its own, so the
HTML embeds each linked file: the link becomes a ``data:`` URI holding the file, with a
``download`` name, and keeps the file's path as its fragment (``#tables/<name>.csv``) so readers,
tools and the engine comparison still see which file it is. Links to files that are not in the
edition folder are left alone (the published-links test reports them).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

#: File types embedded (the data behind figures and the workbook), with their MIME types.
EMBEDDED_TYPES: dict[str, str] = {
    ".csv": "text/csv;charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_LINK = re.compile(r'<a(?P<before>[^>]*?)\shref="(?P<href>[^"#:]+)"(?P<after>[^>]*)>')


def data_uri(path: Path) -> str:
    """``data:<type>;base64,<contents>`` of a file (:data:`EMBEDDED_TYPES`)."""
    mime = EMBEDDED_TYPES[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def embed_data_links(html: str, folder: Path) -> str:
    """``html`` with every relative link to a CSV or XLSX file of ``folder`` replaced by the
    file itself (see the module doc)."""

    def replace(match: re.Match[str]) -> str:
        href = match.group("href")
        path = Path(folder) / href
        if path.suffix.lower() not in EMBEDDED_TYPES or not path.is_file():
            return match.group(0)
        attrs = match.group("before") + match.group("after")
        download = "" if "download=" in attrs else f' download="{path.name}"'
        return (
            f'<a{match.group("before")} href="{data_uri(path)}#{href}"{download}'
            f"{match.group('after')}>"
        )

    return _LINK.sub(replace, html)


def link_target(href: str) -> str:
    """The file a link points to: the fragment of an embedded ``data:`` link, else the link."""
    if href.startswith("data:") and "#" in href:
        return href.rsplit("#", 1)[1]
    return href


def relative_links(html: str) -> list[str]:
    """Links in ``html`` that depend on files beside it (not ``#``, ``data:``, ``http(s):``,
    ``mailto:``): each breaks when the HTML travels alone."""
    out = []
    for _attr, value in re.findall(r'\s(href|src)="([^"]*)"', html):
        if value and not value.startswith(("#", "data:", "http:", "https:", "mailto:")):
            out.append(value)
    return out
