"""Get the official public data: download from the publication pages, or use a local folder.

``report public-data fetch --dest DIR`` downloads each file of ``config/public_data.yaml``:
from its direct ``url`` when known, else by reading the publication ``page`` and following the
first link matching ``link_pattern``; a zip download has its member matching ``member_pattern``
extracted. Every file is then checked for its expected columns, and whatever is missing is
listed (no silent gaps). ``--public-data DIR`` elsewhere points at a folder of the same files.
"""

from __future__ import annotations

import io
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.paths import CONFIG

PUBLIC_DATA_CONFIG = CONFIG / "public_data.yaml"


@dataclass(frozen=True)
class PublicFile:
    """One official file: where it is published and what it must contain."""

    key: str
    save_as: str
    page: str | None
    url: str | None
    link_pattern: str | None
    member_pattern: str | None
    header_marker: str | None
    columns: tuple[str, ...]
    title: str = ""


def load_public_config(path: Path | None = None) -> tuple[dict[str, Any], list[PublicFile]]:
    """Read ``config/public_data.yaml``: the settings and the list of files."""
    raw = yaml.safe_load((path or PUBLIC_DATA_CONFIG).read_text(encoding="utf-8"))
    files = [
        PublicFile(
            key=key,
            save_as=spec["save_as"],
            page=spec.get("page"),
            url=spec.get("url"),
            link_pattern=spec.get("link_pattern"),
            member_pattern=spec.get("member_pattern"),
            header_marker=spec.get("header_marker"),
            columns=tuple(spec.get("columns", [])),
            title=spec.get("title", ""),
        )
        for key, spec in raw["files"].items()
    ]
    return raw, files


def _get(url: str, *, timeout: float, user_agent: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - config URLs
        return response.read()


def find_download_link(page_html: str, page_url: str, pattern: str) -> str | None:
    """First ``href`` on the page whose absolute address matches ``pattern``."""
    for href in re.findall(r'href="([^"]+)"', page_html):
        absolute = urllib.parse.urljoin(page_url, href.replace("&amp;", "&"))
        if re.search(pattern, absolute):
            return absolute
    return None


def extract_member(payload: bytes, pattern: str | None) -> bytes:
    """The payload itself, or from a zip the first CSV member whose name matches ``pattern``."""
    if not payload.startswith(b"PK"):
        return payload
    with zipfile.ZipFile(io.BytesIO(payload)) as bundle:
        names = [n for n in bundle.namelist() if n.lower().endswith((".csv", ".xlsx"))]
        for name in names:
            if pattern is None or re.search(pattern, Path(name).name):
                return bundle.read(name)
    raise FileNotFoundError(f"no file matching {pattern!r} in the zip ({len(names)} files)")


def header_columns(path: Path, marker: str | None) -> list[str]:
    """Column names of a CSV/XLSX file, skipping title rows until the one starting ``marker``."""
    if path.suffix.lower() in {".xlsx", ".xls"}:
        from analysis.public_data.ofsted import read_provider_file

        return list(read_provider_file(path, header_marker=marker or "URN").columns)
    import csv

    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for row in csv.reader(io.StringIO(text)):
        cells = [c.strip() for c in row]
        if marker is None or (cells and cells[0] == marker):
            return cells
    return []


def check_file(path: Path, spec: PublicFile) -> list[str]:
    """Problems with one local file: absent, unreadable, or lacking expected columns."""
    if not path.exists():
        return [f"{spec.save_as}: missing ({spec.title}; from {spec.page or spec.url})"]
    try:
        found = set(header_columns(path, spec.header_marker))
    except Exception as exc:  # noqa: BLE001 - report any unreadable file as a problem
        return [f"{spec.save_as}: cannot be read ({exc})"]
    lacking = [c for c in spec.columns if c not in found]
    if lacking:
        return [f"{spec.save_as}: lacks expected column(s) {', '.join(lacking)}"]
    return []


def check_public_folder(folder: Path, config: Path | None = None) -> list[str]:
    """Every problem with a folder of public data files (empty list when all are usable)."""
    _, files = load_public_config(config)
    problems: list[str] = []
    for spec in files:
        problems += check_file(Path(folder) / spec.save_as, spec)
    return problems


def fetch_file(spec: PublicFile, dest: Path, settings: dict[str, Any]) -> Path:
    """Download one file into ``dest`` (raises ``OSError``/``ValueError`` on failure)."""
    timeout = float(settings.get("timeout_seconds", 60))
    agent = str(settings.get("user_agent", "python-urllib"))
    url = spec.url
    if not url:
        if not (spec.page and spec.link_pattern):
            raise ValueError(f"{spec.key}: neither url nor page + link_pattern configured")
        page = _get(spec.page, timeout=timeout, user_agent=agent).decode("utf-8", errors="replace")
        url = find_download_link(page, spec.page, spec.link_pattern)
        if url is None:
            raise ValueError(f"{spec.key}: no link matching {spec.link_pattern!r} on {spec.page}")
    payload = extract_member(_get(url, timeout=timeout, user_agent=agent), spec.member_pattern)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / spec.save_as
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(payload)
    tmp.replace(target)
    return target


def fetch_all(dest: Path, config: Path | None = None) -> list[str]:
    """Download every configured file into ``dest``; return the problems (empty when all fine)."""
    settings, files = load_public_config(config)
    problems: list[str] = []
    for spec in files:
        try:
            path = fetch_file(spec, Path(dest), settings)
        except (OSError, ValueError, urllib.error.URLError, zipfile.BadZipFile) as exc:
            problems.append(f"{spec.save_as}: download failed ({exc})")
            continue
        problems += check_file(path, spec)
    return problems


def fetch_command(dest: Path, config: Path | None = None) -> int:
    """CLI entry: download into ``dest``, print what is missing; exit code 0 only when complete."""
    problems = fetch_all(Path(dest), config)
    if problems:
        print(f"Public data in {dest}: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Download the missing files by hand from the pages in config/public_data.yaml and "
            "pass the folder with --public-data.",
            file=sys.stderr,
        )
        return 1
    print(f"Public data downloaded to {dest} and checked.")
    return 0
