"""A local stand-in for the two official APIs, on 127.0.0.1 only, for the public-data tests.

It answers in the shapes the publishers document:

- GOV.UK Content API ``GET /api/content/<page path>``: a content item whose
  ``details.attachments`` list each file's ``title``, ``url``, ``content_type`` and
  ``filename``; 404 for a page that does not exist. Attachment files are served under
  ``/media/...`` with an ``ETag`` and answer ``If-None-Match`` with 304.
- DfE explore-education-statistics public API v1 under ``/statistics/v1``:
  ``/publications?search=&page=&pageSize=``, ``/publications/{id}/data-sets``,
  ``/data-sets/{id}/versions`` (paged: ``paging.page/pageSize/totalResults/totalPages`` and
  ``results``; versions with ``version``, ``status``, ``published``, ``timePeriods``) and
  ``/data-sets/{id}/csv?dataSetVersion=V``.

Bodies come from the caller: the real files of ``../shared/data/public`` when present, or small
hand-made files in the same columns. ``fail`` makes a path answer with a status (or hang past
the client's timeout) a number of times before it answers normally; ``log`` records requests.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

EES = "/statistics/v1"


@dataclass
class DataSet:
    """One EES data set: its versions (version -> (time period start, end, CSV body))."""

    id: str
    title: str
    versions: dict[str, tuple[str, str, bytes]]


@dataclass
class FakePublishers:
    """State of the fake APIs; mutate it between requests to simulate publication changes."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    publications: list[dict[str, Any]] = field(default_factory=list)
    data_sets: dict[str, list[DataSet]] = field(default_factory=dict)
    fail: dict[str, list[int | str]] = field(default_factory=dict)
    hang_seconds: float = 2.0
    page_size: int = 2
    log: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- content helpers ---------------------------------------------------------------------

    def add_govuk_page(self, path: str, title: str, files: list[tuple[str, str, bytes]]) -> None:
        """A statistics page with attachments (title, content type, body) and a PDF."""
        attachments = [
            {
                "attachment_type": "file",
                "content_type": "application/pdf",
                "filename": "summary.pdf",
                "title": f"{title}: main findings",
                "url": "/media/summary.pdf",
                "id": "0",
            }
        ]
        for i, (att_title, ctype, body) in enumerate(files, start=1):
            ext = {"text/csv": "csv"}.get(ctype, "xlsx")
            name = f"{path.strip('/').replace('/', '_')}_{i}.{ext}"
            self.media[f"/media/{i}/{name}"] = body
            attachments.append(
                {
                    "attachment_type": "file",
                    "content_type": ctype,
                    "filename": name,
                    "title": att_title,
                    "url": f"/media/{i}/{name}",
                    "id": str(i),
                    "file_size": len(body),
                }
            )
        self.pages[path] = {
            "base_path": path,
            "title": title,
            "document_type": "official_statistics",
            "schema_name": "publication",
            "first_published_at": "2024-07-11T09:30:00.000+01:00",
            "public_updated_at": "2024-07-11T09:30:00.000+01:00",
            "details": {"attachments": attachments, "body": "<p>Statistics.</p>"},
            "links": {},
        }

    # --- responses ---------------------------------------------------------------------------

    def _paged(self, items: list[Any], query: dict[str, list[str]]) -> dict[str, Any]:
        page = int(query.get("page", ["1"])[0])
        size = min(int(query.get("pageSize", ["20"])[0]), self.page_size)
        pages = max(1, math.ceil(len(items) / size))
        return {
            "paging": {
                "page": page,
                "pageSize": size,
                "totalResults": len(items),
                "totalPages": pages,
            },
            "results": items[(page - 1) * size : page * size],
        }

    def _find_set(self, set_id: str) -> DataSet | None:
        for sets in self.data_sets.values():
            for data_set in sets:
                if data_set.id == set_id:
                    return data_set
        return None

    def respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        """Status, content type and body for a GET (ETag handling is done by the handler)."""
        if path.startswith("/api/content/"):
            page = self.pages.get(path[len("/api/content") :])
            if page is None:
                return 404, "application/json", b'{"error": {"code": "not_found"}}'
            return 200, "application/json", json.dumps(page).encode()
        if path.startswith("/media/"):
            body = self.media.get(path)
            return (200, "text/csv", body) if body is not None else (404, "text/plain", b"")
        if not path.startswith(EES):
            return 404, "text/plain", b""
        parts = path[len(EES) :].strip("/").split("/")
        if parts == ["publications"]:
            search = query.get("search", [""])[0].lower()
            hits = [p for p in self.publications if search in p["title"].lower()]
            return 200, "application/json", json.dumps(self._paged(hits, query)).encode()
        if len(parts) == 3 and parts[0] == "publications" and parts[2] == "data-sets":
            if parts[1] not in self.data_sets:
                return 404, "application/problem+json", b'{"status": 404}'
            items = []
            for ds in self.data_sets[parts[1]]:
                latest = max(ds.versions, key=lambda v: [int(x) for x in v.split(".")])
                start, end, _ = ds.versions[latest]
                items.append(
                    {
                        "id": ds.id,
                        "title": ds.title,
                        "summary": ds.title,
                        "status": "Published",
                        "latestVersion": {
                            "version": latest,
                            "published": "2024-11-14T09:30:00Z",
                            "totalResults": 100,
                            "timePeriods": {"start": start, "end": end},
                            "geographicLevels": ["National", "Regional", "Local authority"],
                        },
                    }
                )
            return 200, "application/json", json.dumps(self._paged(items, query)).encode()
        if len(parts) == 3 and parts[0] == "data-sets":
            ds = self._find_set(parts[1])
            if ds is None:
                return 404, "application/problem+json", b'{"status": 404}'
            if parts[2] == "versions":
                items = [
                    {
                        "version": version,
                        "type": "Major",
                        "status": "Published",
                        "published": f"{end}-11-14T09:30:00Z",
                        "totalResults": 100,
                        "timePeriods": {"start": start, "end": end},
                        "geographicLevels": ["National", "Regional", "Local authority"],
                    }
                    for version, (start, end, _) in sorted(ds.versions.items(), reverse=True)
                ]
                return 200, "application/json", json.dumps(self._paged(items, query)).encode()
            if parts[2] == "csv":
                wanted = query.get("dataSetVersion", [max(ds.versions)])[0]
                if wanted not in ds.versions:
                    return 404, "application/problem+json", b'{"status": 404}'
                return 200, "text/csv", ds.versions[wanted][2]
        return 404, "text/plain", b""


class _Handler(http.server.BaseHTTPRequestHandler):
    state: FakePublishers

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the server
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        split = urlsplit(self.path)
        state = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            queued = state.fail.get(split.path)
            action = queued.pop(0) if queued else None
        if action == "hang":  # logged on arrival (status 0); answers nothing, then closes
            with state.lock:
                state.log.append((self.path, 0))
            time.sleep(state.hang_seconds)
            self.close_connection = True
            return
        if isinstance(action, int):
            status, ctype, body = action, "text/plain", b"temporarily unavailable"
        else:
            status, ctype, body = state.respond(split.path, parse_qs(split.query))
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"' if status == 200 else None
        if etag and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        with state.lock:
            state.log.append((self.path, status))
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server:
    """The fake APIs on 127.0.0.1 with a random free port, in a daemon thread."""

    def __init__(self, state: FakePublishers) -> None:
        self.state = state
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.state = state  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        """Stop serving and free the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_to(self, prefix: str) -> list[tuple[str, int]]:
        """Logged requests whose path starts with ``prefix``."""
        return [r for r in self.state.log if r[0].startswith(prefix)]
