"""Get the official public data for a year through the publishers' APIs, or use a local folder.

``report public-data fetch --year Y --dest DIR`` gets, for the snapshot 31 March Y, every file of
``config/public_data.yaml``: Ofsted's files through the GOV.UK Content API (the statistics
page's attachments, found by title and content type), the DfE tables through the
explore-education-statistics public API (publication -> data set -> the version whose time
periods end in Y -> CSV). Each file is checked for its expected columns and recorded in a
manifest (``analysis.public_data.manifest``); a second fetch of the same year downloads nothing
unchanged. A year not yet published is reported with the latest year that is; nothing is
substituted. ``--public-data DIR`` elsewhere points at a folder of the same files, found by
name and year (:func:`choose_files`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from analysis.paths import CONFIG
from analysis.public_data.http import (
    FormatChangedError,
    HttpClient,
    HttpSettings,
    NotFoundError,
    NotYetPublishedError,
    PublicDataError,
)
from analysis.public_data.manifest import (
    Manifest,
    ManifestEntry,
    sha256_of,
    utc_now,
)

PUBLIC_DATA_CONFIG = CONFIG / "public_data.yaml"
#: Extensions a public file may have (a spreadsheet attachment keeps its own).
EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".ods")
CONTENT_TYPE_EXTENSIONS: dict[str, str] = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}


@dataclass(frozen=True)
class PublicFile:
    """One official file: which API publishes it, how it is found, what it must contain."""

    key: str
    api: str
    publisher: str
    title: str
    save_as: str
    find_as: str
    columns: tuple[str, ...]
    header_marker: str | None = None
    later_release_ok: bool = False
    spec: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def name_for(self, year: int, extension: str | None = None) -> str:
        """The file name for the snapshot 31 March ``year`` (``extension`` replaces ``.csv``)."""
        name = self.save_as.format(year=year, previous=year - 1)
        if extension and extension != Path(name).suffix:
            name = str(Path(name).with_suffix(extension))
        return name

    def title_for(self, year: int) -> str:
        """The human title of the file for ``year``."""
        return self.title.format(year=year, previous=year - 1)

    def name_pattern(self) -> re.Pattern[str]:
        """A regular expression matching this file's names in a folder, capturing the year."""
        stem = Path(self.find_as).stem if Path(self.find_as).suffix else self.find_as
        parts = re.split(r"(\{year\}|\{previous\}|\*)", stem)
        regex = ""
        seen_year = False
        for part in parts:
            if part == "{year}":
                regex += r"(?P<year>\d{4})" if not seen_year else r"\d{4}"
                seen_year = True
            elif part == "{previous}":
                regex += r"\d{4}"
            elif part == "*":
                regex += ".*?"
            else:
                regex += re.escape(part)
        ext = "|".join(re.escape(e) for e in EXTENSIONS)
        return re.compile(rf"^{regex}({ext})$", re.IGNORECASE)

    def year_of(self, filename: str) -> int | None:
        """The snapshot year of a file name of this kind (None when the name is not one)."""
        match = self.name_pattern().match(filename)
        return int(match.group("year")) if match else None


def load_public_config(path: Path | None = None) -> tuple[dict[str, Any], list[PublicFile]]:
    """Read ``config/public_data.yaml``: the settings and the list of files."""
    raw = yaml.safe_load(Path(path or PUBLIC_DATA_CONFIG).read_text(encoding="utf-8"))
    files = [
        PublicFile(
            key=key,
            api=spec["api"],
            publisher=spec.get("publisher", ""),
            title=spec.get("title", key),
            save_as=spec["save_as"],
            find_as=spec.get("find_as", spec["save_as"]),
            columns=tuple(spec.get("columns", [])),
            header_marker=spec.get("header_marker"),
            later_release_ok=bool(spec.get("later_release_ok", False)),
            spec=spec,
        )
        for key, spec in raw["files"].items()
    ]
    return raw, files


# --- a local folder of public files ------------------------------------------------------------


def files_by_year(folder: Path, spec: PublicFile) -> dict[int, Path]:
    """The files of one kind in ``folder``, by snapshot year (CSV preferred over spreadsheets)."""
    found: dict[int, Path] = {}
    if not Path(folder).is_dir():
        return found
    for path in sorted(Path(folder).iterdir(), key=lambda p: (p.suffix.lower() != ".csv", p.name)):
        year = spec.year_of(path.name) if path.is_file() else None
        if year is not None and year not in found:
            found[year] = path
    return found


@dataclass(frozen=True)
class ChosenFile:
    """The file of one kind used for a report year, and why (``note`` when the year differs)."""

    key: str
    path: Path | None
    file_year: int | None
    report_year: int | None
    note: str = ""
    later_release_ok: bool = False

    @property
    def restrict_to_year(self) -> int | None:
        """A later DfE release is used only up to the report year (its later rows ignored)."""
        if (
            self.later_release_ok
            and self.file_year
            and self.report_year
            and self.file_year > self.report_year
        ):
            return self.report_year
        return None


def choose_file(folder: Path, spec: PublicFile, year: int | None) -> ChosenFile:
    """The file of ``spec``'s kind for report year ``year`` (latest when ``year`` is None).

    Preference: the file for ``year``. Else, for tidy DfE files whose rows carry
    ``time_period`` (``later_release_ok``), the earliest later release, whose rows after
    ``year`` are then ignored (each release revises the earlier years). Else the latest earlier
    file, else the earliest later one (an Ofsted register of another date). Whenever the
    year differs, ``note`` says so; the national chapter prints the years used.
    """
    available = files_by_year(folder, spec)
    ok = spec.later_release_ok
    if not available:
        return ChosenFile(spec.key, None, None, year, later_release_ok=ok)
    if year is None:
        latest = max(available)
        return ChosenFile(spec.key, available[latest], latest, None, later_release_ok=ok)
    if year in available:
        return ChosenFile(spec.key, available[year], year, year, later_release_ok=ok)
    earlier = [y for y in available if y < year]
    later = [y for y in available if y > year]
    if later and ok:
        use = min(later)
        note = (
            f"{spec.title_for(year)}: no {year} release in the folder; the {use} release is used "
            f"for the years up to {year}"
        )
    elif earlier:
        use = max(earlier)
        note = (
            f"{spec.title_for(year)}: not in the folder; the latest earlier file "
            f"({available[use].name}) is used instead"
        )
    else:
        use = min(later)
        note = (
            f"{spec.title_for(year)}: not in the folder; the only files are of later dates, and "
            f"the earliest ({available[use].name}) is used instead"
        )
    return ChosenFile(spec.key, available[use], use, year, note, later_release_ok=ok)


def choose_files(
    folder: Path, year: int | None, config: Path | None = None
) -> dict[str, ChosenFile]:
    """For each configured file kind, the file of ``folder`` used for report year ``year``."""
    _, files = load_public_config(config)
    return {spec.key: choose_file(Path(folder), spec, year) for spec in files}


def header_columns(path: Path, marker: str | None) -> list[str]:
    """Column names of a CSV/XLSX file, skipping title rows until the one starting ``marker``."""
    if path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
        from analysis.public_data.ofsted import read_provider_file

        return list(read_provider_file(path, header_marker=marker or "URN").columns)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    for row in csv.reader(io.StringIO(text)):
        cells = [c.strip().lstrip("\ufeff") for c in row]
        if marker is None or (cells and cells[0] == marker):
            return cells
    return []


def check_file(path: Path, spec: PublicFile) -> list[str]:
    """Problems with one local file: unreadable, or lacking expected columns (named)."""
    try:
        found = set(header_columns(path, spec.header_marker))
    except Exception as exc:  # noqa: BLE001 - report any unreadable file as a problem
        return [f"{path.name}: cannot be read ({exc})"]
    if not found:
        return [f"{path.name}: no header row (expected one starting {spec.header_marker!r})"]
    lacking = [c for c in spec.columns if c not in found]
    if lacking:
        return [
            f"{path.name}: the format has changed - lacks expected column(s) "
            f"{', '.join(repr(c) for c in lacking)}"
        ]
    return []


def check_public_folder(
    folder: Path, year: int | None = None, config: Path | None = None
) -> list[str]:
    """Every problem with a folder of public files for report year ``year`` (empty when usable).

    A kind with no file at all is named as missing; a file of another year than ``year`` is
    not a problem here (the national chapter states the years used).
    """
    _, files = load_public_config(config)
    problems: list[str] = []
    for spec in files:
        chosen = choose_file(Path(folder), spec, year)
        if chosen.path is None:
            wanted = (
                spec.name_for(year) if year else spec.find_as.format(year="YYYY", previous="YYYY")
            )
            problems.append(
                f"{wanted}: missing ({spec.title_for(year or 0) if year else spec.key})"
            )
            continue
        problems += check_file(chosen.path, spec)
    return problems


# --- discovery through the APIs ----------------------------------------------------------------


@dataclass
class Located:
    """Where one file for one year is, as found through an API, and what release it belongs to."""

    key: str
    year: int
    url: str
    params: dict[str, Any]
    release: str
    extension: str = ".csv"
    content_type: str = ""
    data_set_id: str = ""
    data_set_title: str = ""
    version: str = ""
    published: str = ""
    page_url: str = ""
    api_calls: list[str] = field(default_factory=list)


def _need(obj: Any, key: str, what: str, url: str) -> Any:
    """``obj[key]``, or a changed-format error naming the endpoint and the missing key."""
    if not isinstance(obj, dict) or key not in obj:
        raise FormatChangedError(f"{what}: the response of {url} has no {key!r} (format changed?)")
    return obj[key]


def locate_govuk(client: HttpClient, raw: dict[str, Any], spec: PublicFile, year: int) -> Located:
    """Find a file among the attachments of a GOV.UK statistics page (Content API).

    ``GET {apis.govuk_content}{page}``: ``details.attachments`` lists each file with ``title``,
    ``url`` and ``content_type``; the first attachment whose title matches ``attachment_title``
    is taken, preferring content types in the order of ``content_types``.
    """
    path = spec.spec["page"].format(year=year, previous=year - 1)
    api = raw["apis"]["govuk_content"].rstrip("/")
    url = f"{api}{path}"
    what = f"{spec.title_for(year)} (GOV.UK page {path})"
    try:
        response = client.get(url, what=what, accept="application/json")
    except NotFoundError as exc:
        raise NotYetPublishedError(
            f"{spec.title_for(year)}: not yet published (no GOV.UK page {path})", None
        ) from exc
    item = response.json(what)
    details = _need(item, "details", what, url)
    attachments = _need(details, "attachments", what, url)
    pattern = re.compile(spec.spec["attachment_title"])
    types = list(spec.spec.get("content_types", CONTENT_TYPE_EXTENSIONS))
    candidates = []
    for att in attachments:
        title = str(att.get("title", ""))
        ctype = str(att.get("content_type", "")).split(";")[0].strip()
        if pattern.search(title) and ctype in types and att.get("url"):
            candidates.append((types.index(ctype), title, ctype, att))
    if not candidates:
        seen = "; ".join(
            f"{a.get('title', '?')} [{a.get('content_type', '?')}]" for a in attachments
        )
        raise FormatChangedError(
            f"{what}: no attachment with a title matching {spec.spec['attachment_title']!r} "
            f"and a content type in {types} (attachments: {seen or 'none'})"
        )
    _, title, ctype, att = sorted(candidates, key=lambda c: c[0])[0]
    file_url = str(att["url"])
    if file_url.startswith("/"):
        from urllib.parse import urljoin

        file_url = urljoin(url, file_url)
    return Located(
        key=spec.key,
        year=year,
        url=file_url,
        params={},
        release=str(item.get("title", path)),
        extension=CONTENT_TYPE_EXTENSIONS.get(ctype, ".csv"),
        content_type=ctype,
        data_set_title=title,
        published=str(item.get("public_updated_at", item.get("first_published_at", ""))),
        page_url=str(item.get("web_url", "")) or url,
        api_calls=[url],
    )


def _paged(client: HttpClient, url: str, what: str, params: dict[str, Any]) -> list[dict]:
    """All ``results`` of a paged EES list endpoint (``paging.totalPages``)."""
    results: list[dict] = []
    page = 1
    while True:
        body = client.get(url, what=what, params={**params, "page": page}).json(what)
        results += list(_need(body, "results", what, url))
        paging = body.get("paging") or {}
        if page >= int(paging.get("totalPages", 1) or 1):
            return results
        page += 1


def _period_end_year(version: dict[str, Any]) -> int | None:
    """The year a data set version's time periods end in (first four digits of ``end``)."""
    periods = version.get("timePeriods") or {}
    match = re.search(r"\d{4}", str(periods.get("end", "")))
    return int(match.group()) if match else None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def _first_titled(items: list[dict], pattern: str) -> dict | None:
    """The first API item (publication or data set) whose ``title`` matches ``pattern``."""
    compiled = re.compile(pattern)
    return next((i for i in items if compiled.search(str(i.get("title", "")))), None)


def locate_ees(client: HttpClient, raw: dict[str, Any], spec: PublicFile, year: int) -> Located:
    """Find a DfE data set version for ``year`` through the EES public API v1.

    ``GET /publications?search=`` (title matching ``publication_title``) ->
    ``GET /publications/{id}/data-sets`` (title matching ``data_set_title``) ->
    ``GET /data-sets/{id}/versions`` (the latest published version whose ``timePeriods.end`` is
    ``year``) -> ``GET /data-sets/{id}/csv?dataSetVersion=V``.
    """
    api = raw["apis"]["ees"].rstrip("/")
    what = spec.title_for(year)
    calls: list[str] = []
    url = f"{api}/publications"
    calls.append(url)
    pubs = _paged(
        client,
        url,
        f"{what} (EES publications)",
        {"search": spec.spec["publication_search"], "pageSize": 40},
    )
    pub = _first_titled(pubs, spec.spec["publication_title"])
    if pub is None:
        raise NotFoundError(
            f"{what}: no EES publication titled like {spec.spec['publication_title']!r} "
            f"(search found: {', '.join(str(p.get('title')) for p in pubs) or 'nothing'})"
        )
    pub_id = _need(pub, "id", f"{what} (EES publications)", url)
    url = f"{api}/publications/{pub_id}/data-sets"
    calls.append(url)
    sets = _paged(client, url, f"{what} (EES data sets)", {"pageSize": 40})
    data_set = _first_titled(sets, spec.spec["data_set_title"])
    if data_set is None:
        raise NotFoundError(
            f"{what}: publication {pub.get('title')!r} has no data set titled like "
            f"{spec.spec['data_set_title']!r} (data sets: "
            f"{', '.join(str(s.get('title')) for s in sets) or 'none'})"
        )
    set_id = _need(data_set, "id", f"{what} (EES data sets)", url)
    url = f"{api}/data-sets/{set_id}/versions"
    calls.append(url)
    versions = [
        v
        for v in _paged(client, url, f"{what} (EES data set versions)", {"pageSize": 40})
        if str(v.get("status", "Published")).lower() == "published"
    ]
    ends = {_period_end_year(v) for v in versions} - {None}
    matching = [v for v in versions if _period_end_year(v) == year]
    if not matching:
        latest = max(ends) if ends else None
        if latest is None or latest < year:
            raise NotYetPublishedError(
                f"{what}: not yet published - data set {data_set.get('title')!r} has no version "
                f"with data for {year}" + (f"; the latest is {latest}" if latest else ""),
                latest,
            )
        raise NotFoundError(
            f"{what}: data set {data_set.get('title')!r} has no version ending in {year} "
            f"(versions end in {', '.join(str(e) for e in sorted(ends))}); a later release also "
            f"holds {year}'s figures: fetch that year and the build uses its rows up to {year}"
        )
    best = max(matching, key=lambda v: _version_key(str(v.get("version", "0"))))
    version = str(_need(best, "version", f"{what} (EES data set versions)", url))
    csv_url = f"{api}/data-sets/{set_id}/csv"
    return Located(
        key=spec.key,
        year=year,
        url=csv_url,
        params={"dataSetVersion": version},
        release=str(pub.get("title", "")),
        data_set_id=str(set_id),
        data_set_title=str(data_set.get("title", "")),
        version=version,
        published=str(best.get("published", "")),
        content_type="text/csv",
        api_calls=calls,
    )


LOCATORS = {"govuk_content": locate_govuk, "ees": locate_ees}


def locate(client: HttpClient, raw: dict[str, Any], spec: PublicFile, year: int) -> Located:
    """Find one file for one year through its API (raises :class:`PublicDataError`)."""
    if spec.api not in LOCATORS:
        raise PublicDataError(f"{spec.key}: unknown api {spec.api!r} in the configuration")
    return LOCATORS[spec.api](client, raw, spec, year)


def latest_published(
    client: HttpClient, raw: dict[str, Any], spec: PublicFile, before: int
) -> int | None:
    """The latest year before ``before`` for which ``spec`` is published (None if none found)."""
    for year in range(before - 1, before - 1 - int(raw.get("latest_search_years", 4)), -1):
        try:
            locate(client, raw, spec, year)
        except NotYetPublishedError as exc:
            if exc.latest is not None:
                return exc.latest
            continue
        except PublicDataError:
            continue
        return year
    return None


# --- download ----------------------------------------------------------------------------------


@dataclass
class FileOutcome:
    """What happened to one file: ``downloaded``, ``unchanged`` or ``failed`` (with a message)."""

    key: str
    status: str
    path: Path | None = None
    message: str = ""
    latest: int | None = None


def _download(
    client: HttpClient,
    spec: PublicFile,
    found: Located,
    dest: Path,
    manifest: Manifest,
) -> FileOutcome:
    """Download one located file into ``dest`` unless the copy there is current."""
    name = spec.name_for(found.year, found.extension)
    target = dest / name
    previous = manifest.entries.get(name)
    current = previous is not None and target.exists() and sha256_of(target) == previous.sha256
    if (
        current
        and found.version
        and previous.version == found.version
        and (previous.data_set_id == found.data_set_id)
    ):
        return FileOutcome(spec.key, "unchanged", target, f"data set version {found.version}")
    response = client.get(
        found.url,
        what=f"{spec.title_for(found.year)} (download)",
        params=found.params or None,
        etag=previous.etag if current else None,
        last_modified=previous.last_modified if current else None,
    )
    if response.not_modified and current:
        if found.version and previous.version != found.version:
            # a new data set version with the same bytes: the file IS that version now
            manifest.entries[name] = replace(
                previous,
                release=found.release,
                url=response.url,
                api_calls=found.api_calls,
                data_set_id=found.data_set_id,
                data_set_title=found.data_set_title,
                version=found.version,
                published=found.published,
            )
            manifest.save()
            return FileOutcome(
                spec.key,
                "unchanged",
                target,
                f"data set version {found.version}, same content as version {previous.version}",
            )
        return FileOutcome(spec.key, "unchanged", target, "not modified (HTTP 304)")
    dest.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{target.stem}.part{target.suffix}")  # the reader needs the suffix
    part.write_bytes(response.content)
    problems = check_file(part, spec)
    if problems:
        rejected = target.with_name(target.name + ".rejected")
        part.replace(rejected)
        raise FormatChangedError(
            f"{spec.title_for(found.year)} from {response.url}: "
            + "; ".join(p.replace(part.name, name) for p in problems)
            + f" (download kept as {rejected.name}; nothing replaced)"
        )
    part.replace(target)
    manifest.entries[name] = ManifestEntry(
        file=name,
        key=spec.key,
        year=found.year,
        publisher=spec.publisher,
        title=spec.title_for(found.year),
        release=found.release,
        api=spec.api,
        url=response.url,
        api_calls=found.api_calls,
        data_set_id=found.data_set_id,
        data_set_title=found.data_set_title,
        version=found.version,
        published=found.published,
        content_type=found.content_type,
        retrieved_at=utc_now(),
        sha256=sha256_of(target),
        bytes=target.stat().st_size,
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
    )
    manifest.save()
    return FileOutcome(spec.key, "downloaded", target)


def fetch_year(
    year: int,
    dest: Path,
    config: Path | None = None,
    client: HttpClient | None = None,
) -> list[FileOutcome]:
    """Get every configured file for 31 March ``year`` into ``dest``; one outcome per file."""
    raw, files = load_public_config(config)
    client = client or HttpClient(HttpSettings.from_config(raw))
    dest = Path(dest)
    manifest = Manifest.load(dest / raw.get("manifest", "public_data_manifest.json"))
    outcomes: list[FileOutcome] = []
    for spec in files:
        try:
            found = locate(client, raw, spec, year)
            outcomes.append(_download(client, spec, found, dest, manifest))
        except NotYetPublishedError as exc:
            latest = exc.latest
            if latest is None:
                latest = latest_published(client, raw, spec, year)
            offer = (
                f"; the latest published is {latest} (report public-data fetch --year {latest})"
                if latest
                else "; no earlier year was found either"
            )
            outcomes.append(
                FileOutcome(
                    spec.key, "failed", None, f"{exc}{offer}. Nothing was substituted.", latest
                )
            )
        except PublicDataError as exc:
            outcomes.append(FileOutcome(spec.key, "failed", None, str(exc)))
    return outcomes


def latest_year(config: Path | None = None, client: HttpClient | None = None) -> int | None:
    """The latest year whose first configured file is published (searching back from today)."""
    raw, files = load_public_config(config)
    client = client or HttpClient(HttpSettings.from_config(raw))
    this_year = dt.datetime.now(dt.UTC).year
    spec = files[0]
    try:
        locate(client, raw, spec, this_year)
        return this_year
    except NotYetPublishedError:
        return latest_published(client, raw, spec, this_year)


def fetch_command(dest: Path, year: int | None = None, config: Path | None = None) -> int:
    """CLI entry: fetch ``year`` (default: the latest published); exit 0 only when complete."""
    try:
        if year is None:
            year = latest_year(config)
            if year is None:
                print("No published year found through the APIs.", file=sys.stderr)
                return 1
            print(f"Latest published year: {year}.")
        outcomes = fetch_year(int(year), Path(dest), config)
    except PublicDataError as exc:
        print(f"Public data: {exc}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        if outcome.status != "failed":
            extra = f" ({outcome.message})" if outcome.message else ""
            print(f"  {outcome.status}: {outcome.path.name if outcome.path else ''}{extra}")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        print(
            f"Public data for 31 March {year} in {dest}: {len(failed)} problem(s):",
            file=sys.stderr,
        )
        for outcome in failed:
            print(f"  - {outcome.message}", file=sys.stderr)
        return 1
    print(f"Public data for 31 March {year} in {dest}: complete, checked, manifest written.")
    return 0
