"""Provenance of the public files: a manifest saved beside them, printed in the methodology.

``public_data_manifest.json`` in a public-data folder records, for each file fetched, the
publisher, the release (page or publication title), the data set and its version (DfE), the
URL downloaded, the API calls that found it, the retrieval time (UTC), the SHA-256 checksum and
the HTTP validators (``ETag``, ``Last-Modified``) used to ask for it again only if changed. A
file in a folder without a manifest entry (copied by hand) is described by its name and
checksum only - its origin cannot be vouched for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "public_data_manifest.json"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def utc_now() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class ManifestEntry:
    """Where one saved file came from and what it was when saved."""

    file: str
    key: str
    year: int
    publisher: str
    title: str
    release: str
    api: str
    url: str
    retrieved_at: str
    sha256: str
    bytes: int
    api_calls: list[str] = field(default_factory=list)
    data_set_id: str = ""
    data_set_title: str = ""  # an EES data set's title; for a GOV.UK file, the attachment's
    version: str = ""
    published: str = ""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""


@dataclass
class Manifest:
    """The manifest of one public-data folder (entries by file name)."""

    path: Path
    entries: dict[str, ManifestEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest (an empty one when the file does not exist or is unreadable)."""
        path = Path(path)
        entries: dict[str, ManifestEntry] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                known = set(ManifestEntry.__dataclass_fields__)
                for item in raw.get("files", []):
                    entry = ManifestEntry(**{k: v for k, v in item.items() if k in known})
                    entries[entry.file] = entry
            except (ValueError, TypeError, KeyError):
                entries = {}
        return cls(path, entries)

    def save(self) -> None:
        """Write the manifest atomically (files sorted by name)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"files": [asdict(self.entries[k]) for k in sorted(self.entries)]}
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(self.path)


def provenance(
    folder: Path, paths: list[Path], manifest_name: str = MANIFEST_NAME
) -> list[dict[str, Any]]:
    """One provenance record per file used: its manifest entry, checked against the file.

    ``verified`` is True when the file's checksum equals the manifest's (the file is what was
    downloaded); a file without an entry is reported with ``source: "local file"``.
    """
    manifest = Manifest.load(Path(folder) / manifest_name)
    records: list[dict[str, Any]] = []
    for path in paths:
        checksum = sha256_of(path)
        entry = manifest.entries.get(path.name)
        if entry is None:
            records.append(
                {
                    "file": path.name,
                    "source": "local file (no manifest entry: origin not recorded)",
                    "sha256": checksum,
                    "verified": False,
                }
            )
            continue
        record = asdict(entry)
        record["source"] = entry.api
        record["verified"] = checksum == entry.sha256
        record["sha256"] = checksum
        records.append(record)
    return records
