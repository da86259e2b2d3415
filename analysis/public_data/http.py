"""A small HTTP client for the official APIs: timeouts, retries with backoff, clear failures.

Every failure is raised as a :class:`PublicDataError` whose message says what was being fetched,
from where, and what to do: offline (the host cannot be reached), not found, timed out after
the retries, refused by the server, or a response in an unexpected format. Transient failures
(connection errors, timeouts, HTTP 429 and 5xx) are retried ``retries`` times with exponential
backoff (``backoff_seconds`` doubled each time; a server's ``Retry-After`` is honoured up to
``max_retry_after_seconds``). Conditional requests (``If-None-Match`` / ``If-Modified-Since``)
let a second fetch of an unchanged file download nothing (HTTP 304).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests


class PublicDataError(Exception):
    """A public-data failure with a message meant for the analyst (no traceback needed)."""


class OfflineError(PublicDataError):
    """The host could not be reached at all (no network, DNS failure, connection refused)."""


class NotFoundError(PublicDataError):
    """The server answered 404/410: the page, publication, data set or file does not exist."""


class FormatChangedError(PublicDataError):
    """A response or file is not in the documented shape (a key or a column is missing)."""


class NotYetPublishedError(PublicDataError):
    """The requested year is not published; ``latest`` is the latest year that is (or None)."""

    def __init__(self, message: str, latest: int | None) -> None:
        super().__init__(message)
        self.latest = latest


RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class HttpSettings:
    """Timeouts (seconds), retry policy and the User-Agent sent with every request."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 60.0
    user_agent: str = "liia-london-provision-report"

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> HttpSettings:
        """Settings from the ``http`` section of ``config/public_data.yaml``."""
        http = raw.get("http", {}) or {}
        return cls(
            connect_timeout=float(http.get("connect_timeout_seconds", cls.connect_timeout)),
            read_timeout=float(http.get("timeout_seconds", cls.read_timeout)),
            retries=int(http.get("retries", cls.retries)),
            backoff_seconds=float(http.get("backoff_seconds", cls.backoff_seconds)),
            max_retry_after_seconds=float(
                http.get("max_retry_after_seconds", cls.max_retry_after_seconds)
            ),
            user_agent=str(http.get("user_agent", cls.user_agent)),
        )


@dataclass
class Response:
    """What a GET returned: status (200 or 304), body, and the validators for next time."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]

    @property
    def not_modified(self) -> bool:
        """True when the server said the copy we hold is current (HTTP 304)."""
        return self.status == 304

    def json(self, what: str) -> Any:
        """The body parsed as JSON; a body that is not JSON is a changed format."""
        import json

        try:
            return json.loads(self.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormatChangedError(f"{what}: {self.url} did not return JSON ({exc})") from exc


@dataclass
class HttpClient:
    """GET with timeouts, retries and backoff; one ``requests.Session`` per client."""

    settings: HttpSettings = field(default_factory=HttpSettings)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def _wait(self, attempt: int, response: requests.Response | None) -> None:
        delay = self.settings.backoff_seconds * (2**attempt)
        if response is not None and response.headers.get("Retry-After", "").isdigit():
            delay = min(
                float(response.headers["Retry-After"]), self.settings.max_retry_after_seconds
            )
        self.sleep(delay)

    def get(
        self,
        url: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Response:
        """GET ``url``; ``what`` names the thing fetched in every error message.

        Sends ``If-None-Match``/``If-Modified-Since`` when ``etag``/``last_modified`` are given
        (a 304 comes back as a :class:`Response` with ``not_modified``). Raises
        :class:`PublicDataError` subclasses; retries transient failures with backoff.
        """
        headers = {"User-Agent": self.settings.user_agent}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).netloc
        attempts = self.settings.retries + 1
        last_problem = ""
        for attempt in range(attempts):
            response: requests.Response | None = None
            try:
                response = self.session.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                )
            except requests.exceptions.ConnectionError as exc:
                if isinstance(exc, requests.exceptions.ConnectTimeout) or not _refused(exc):
                    last_problem = f"could not connect to {host} ({type(exc).__name__})"
                else:
                    reason = (
                        "connection refused" if "refused" in str(exc) else "host name not resolved"
                    )
                    raise OfflineError(
                        f"{what}: cannot reach {host} - are you offline? ({reason}: {url}). "
                        "Use --public-data DIR with files downloaded earlier."
                    ) from exc
            except requests.exceptions.Timeout:
                last_problem = (
                    f"no answer from {host} within {self.settings.read_timeout:g} s (timeout)"
                )
            except requests.exceptions.RequestException as exc:
                raise PublicDataError(f"{what}: request to {url} failed ({exc})") from exc
            else:
                if response.status_code in (200, 304):
                    return Response(
                        url=response.url,
                        status=response.status_code,
                        content=response.content if response.status_code == 200 else b"",
                        headers={k: v for k, v in response.headers.items()},
                    )
                if response.status_code in (404, 410):
                    raise NotFoundError(f"{what}: not found (HTTP {response.status_code}) at {url}")
                if response.status_code not in RETRY_STATUSES:
                    raise PublicDataError(
                        f"{what}: the server refused the request (HTTP {response.status_code}) "
                        f"at {url}"
                    )
                last_problem = f"HTTP {response.status_code} from {host}"
            if attempt + 1 < attempts:
                self._wait(attempt, response)
        if "could not connect" in last_problem:
            raise OfflineError(
                f"{what}: {last_problem} after {attempts} attempt(s) - are you offline? "
                "Use --public-data DIR with files downloaded earlier."
            )
        raise PublicDataError(f"{what}: {last_problem} after {attempts} attempt(s) ({url})")


def _refused(exc: Exception) -> bool:
    """True for a connection refused or a name that does not resolve (no point retrying)."""
    text = str(exc)
    return any(
        s in text
        for s in (
            "Connection refused",
            "Name or service not known",
            "nodename nor servname",
            "Failed to resolve",
            "Temporary failure in name resolution",
        )
    )
