"""Public data through the official APIs, against a local server on 127.0.0.1 (tests/fake_publishers).

Covers discovery (GOV.UK Content API attachments; EES publication -> data set -> version -> CSV),
download, the manifest, a second fetch that downloads nothing, a missing year (said, latest
offered, nothing substituted), a changed column, a timeout, retries that succeed, offline, and
the build's choice of files by report year with their provenance.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from analysis.cli import app
from analysis.paths import CONFIG, SHARED_PUBLIC_DATA
from analysis.public_data.fetch import choose_files, fetch_year, load_public_config
from analysis.public_data.http import HttpClient, HttpSettings, OfflineError, PublicDataError
from analysis.public_data.manifest import Manifest, sha256_of
from tests.fake_publishers import DataSet, FakePublishers, Server

needs_public = pytest.mark.skipif(
    not SHARED_PUBLIC_DATA.exists(), reason=f"real public data not found at {SHARED_PUBLIC_DATA}"
)

OFSTED_PAGE = "/government/statistics/childrens-social-care-data-in-england-{year}"
CLA = "Children looked after in England including adoptions"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Small hand-made files in the real columns (used when ../shared/data/public is absent).
SMALL_REGISTER = (
    "URN,Provision type,Registration status,Government Office Region,Local authority,Sector,"
    "Places,Overall experiences and progress of children and young people\n"
    "SC000001,Children's home,Active,London,Camden,Private,4,Good\n"
    "SC000002,Children's Home,Active,North West,Manchester,Local Authority,3,Outstanding\n"
)
SMALL_JOINERS = (
    "Children's social care data in England - Leavers and Joiners,,,,,,\n"
    "This worksheet contains one table which begins in cell A4.,,,,,,\n"
    ",,,,,,\n"
    "URN,Provision type,Local authority,Sector,Places,Joiner status,Leaver status\n"
    "SC000003,Children's home,Camden,Private,2,Joiner,\n"
)
TIDY_HEAD = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,old_la_code,la_name,new_la_code"
)


def _small_tidy(extra: str, row: str, years: range) -> bytes:
    lines = [f"{TIDY_HEAD},{extra}"]
    for year in years:
        lines.append(
            f"{year},Reporting year,Local authority,E92000001,England,E12000007,London,202,"
            f"Camden,E09000007,{row}"
        )
    return ("\n".join(lines) + "\n").encode()


def _up_to(body: bytes, year: int) -> bytes:
    """A tidy CSV body keeping only rows with ``time_period`` <= ``year`` (an older release)."""
    lines = body.decode("utf-8-sig").splitlines()
    kept = [lines[0]] + [ln for ln in lines[1:] if ln[:4].isdigit() and int(ln[:4]) <= year]
    return ("\n".join(kept) + "\n").encode()


def bodies() -> dict[str, bytes]:
    """The served files: the real ones from ../shared/data/public when present."""
    if SHARED_PUBLIC_DATA.exists():
        names = {
            "register": "ofsted_childrens_homes_2023-03-31.csv",
            "joiners": "ofsted_joiners_leavers_2022-04_to_2023-03.csv",
            "net_gain": "dfe_cla_placed_in_out_netgain_2020-2024.csv",
            "new_placements": "dfe_cla_new_placements_location_reason_2020-2024.csv",
            "number_rate": "dfe_cla_number_rate_per_10k_2020-2024.csv",
        }
        return {k: (SHARED_PUBLIC_DATA / v).read_bytes() for k, v in names.items()}
    years = range(2020, 2025)
    return {
        "register": SMALL_REGISTER.encode(),
        "joiners": SMALL_JOINERS.encode(),
        "net_gain": _small_tidy(
            "characteristic,number", "Net gain of children by responsible LA,-5", years
        ),
        "new_placements": _small_tidy(
            "cla_group,characteristic,number,percentage",
            "Location of new placements during the year,Total new placements,100,100",
            years,
        ),
        "number_rate": _small_tidy(
            "characteristic,population_count,population_estimate,number,rate_per_10000",
            "Children looked after at 31 March each year,50000,50000,300,60",
            years,
        ),
    }


def publishers(served: dict[str, bytes], years: tuple[int, ...] = (2023, 2024)) -> FakePublishers:
    """Ofsted pages for ``years`` and the CLA publication with versions 1.0 (to 2023), 2.0 (to 2024)."""
    state = FakePublishers()
    for year in years:
        title = f"Children's social care data in England {year}"
        state.add_govuk_page(
            OFSTED_PAGE.format(year=year),
            title,
            [
                (
                    f"Children's social care data in England {year}: provider-level data",
                    "text/csv",
                    served["register"],
                ),
                (
                    f"Children's social care data in England {year}: provider-level data (spreadsheet)",
                    XLSX,
                    b"PK-not-used",
                ),
                (
                    f"Joiners and leavers, 1 April {year - 1} to 31 March {year}",
                    "text/csv",
                    served["joiners"],
                ),
            ],
        )
    state.publications = [
        {"id": "pub-cla-methods", "title": f"{CLA}: methodology", "slug": "x", "summary": ""},
        {
            "id": "pub-cla",
            "title": CLA,
            "slug": "children-looked-after-in-england-including-adoptions",
            "summary": "",
        },
    ]

    def versions(body: bytes) -> dict[str, tuple[str, str, bytes]]:
        return {"1.0": ("2019", "2023", _up_to(body, 2023)), "2.0": ("2020", "2024", body)}

    state.data_sets["pub-cla"] = [
        DataSet("ds-leavers", "Care leavers aged 17 to 21", {"1.0": ("2020", "2024", b"x\n")}),
        DataSet(
            "ds-net",
            "Placed inside and outside the LA boundary and net gain - by LA",
            versions(served["net_gain"]),
        ),
        DataSet(
            "ds-new",
            "New placements by location and reason - by LA",
            versions(served["new_placements"]),
        ),
        DataSet(
            "ds-rate",
            "Numbers and rates per 10,000 children - by LA",
            versions(served["number_rate"]),
        ),
    ]
    return state


def api_config(tmp_path: Path, base: str, top: dict | None = None, **http: float) -> Path:
    """``config/public_data.yaml`` pointed at the local server, with short timeouts."""
    raw = yaml.safe_load((CONFIG / "public_data.yaml").read_text(encoding="utf-8"))
    raw.update(top or {})
    raw["apis"] = {"govuk_content": f"{base}/api/content", "ees": f"{base}/statistics/v1"}
    raw["http"].update(
        {"connect_timeout_seconds": 2, "timeout_seconds": 1, "retries": 2, "backoff_seconds": 0.01}
    )
    raw["http"].update(http)
    path = tmp_path / "public_data.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served() -> dict[str, bytes]:
    return bodies()


@pytest.fixture
def server(served):
    srv = Server(publishers(served))
    yield srv
    srv.close()


def fetch_cli(dest: Path, year: int, config: Path):
    return CliRunner().invoke(
        app,
        ["public-data", "fetch", "--year", str(year), "--dest", str(dest), "--config", str(config)],
    )


EXPECTED_2024 = {
    "ofsted_childrens_homes_2024-03-31.csv": "register",
    "ofsted_joiners_leavers_2023-04_to_2024-03.csv": "joiners",
    "dfe_cla_placed_in_out_netgain_2024.csv": "net_gain",
    "dfe_cla_new_placements_location_reason_2024.csv": "new_placements",
    "dfe_cla_number_rate_per_10k_2024.csv": "number_rate",
}


def test_fetch_2024_through_the_documented_api_calls(tmp_path, server, served):
    dest = tmp_path / "public"
    result = fetch_cli(dest, 2024, api_config(tmp_path, server.base))
    assert result.exit_code == 0, result.output
    for name, body in EXPECTED_2024.items():
        assert (dest / name).read_bytes() == served[body], name
    paths = [p for p, _ in server.state.log]
    assert f"/api/content{OFSTED_PAGE.format(year=2024)}" in paths
    assert any(p.startswith("/statistics/v1/publications?") and "search=" in p for p in paths)
    assert any(p.startswith("/statistics/v1/publications/pub-cla/data-sets") for p in paths)
    assert any(p.startswith("/statistics/v1/data-sets/ds-net/versions") for p in paths)
    assert "/statistics/v1/data-sets/ds-net/csv?dataSetVersion=2.0" in paths
    # the CSV attachment was preferred to the spreadsheet; the 2023 release was not touched
    assert not any(p.endswith(".xlsx") for p in paths)
    assert not any("dataSetVersion=1.0" in p for p in paths)


def test_manifest_records_provenance_of_every_file(tmp_path, server):
    dest = tmp_path / "public"
    assert fetch_cli(dest, 2024, api_config(tmp_path, server.base)).exit_code == 0
    manifest = Manifest.load(dest / "public_data_manifest.json")
    assert set(manifest.entries) == set(EXPECTED_2024)
    net = manifest.entries["dfe_cla_placed_in_out_netgain_2024.csv"]
    assert net.publisher == "Department for Education" and net.release == CLA
    assert net.data_set_id == "ds-net" and net.version == "2.0" and net.year == 2024
    assert net.url == f"{server.base}/statistics/v1/data-sets/ds-net/csv?dataSetVersion=2.0"
    register = manifest.entries["ofsted_childrens_homes_2024-03-31.csv"]
    assert register.publisher == "Ofsted" and register.api == "govuk_content"
    assert register.release == "Children's social care data in England 2024"
    assert register.url.startswith(f"{server.base}/media/") and register.etag
    assert register.content_type == "text/csv"
    for entry in manifest.entries.values():
        assert entry.sha256 == sha256_of(dest / entry.file)
        assert entry.retrieved_at.endswith("+00:00") and entry.bytes > 0


def test_second_fetch_downloads_nothing_unchanged(tmp_path, server):
    dest = tmp_path / "public"
    config = api_config(tmp_path, server.base)
    assert fetch_cli(dest, 2024, config).exit_code == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    server.state.log.clear()
    result = fetch_cli(dest, 2024, config)
    assert result.exit_code == 0, result.output
    assert result.output.count("unchanged") == 5
    # no data set CSV requested again; each Ofsted attachment answered 304 Not Modified
    assert not server.requests_to("/statistics/v1/data-sets/ds-net/csv")
    media = server.requests_to("/media/")
    assert media and all(status == 304 for _, status in media)
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == stamps


def test_a_new_data_set_version_is_downloaded(tmp_path, server, served):
    dest = tmp_path / "public"
    config = api_config(tmp_path, server.base)
    assert fetch_cli(dest, 2024, config).exit_code == 0
    net = next(d for d in server.state.data_sets["pub-cla"] if d.id == "ds-net")
    net.versions["2.1"] = ("2020", "2024", _up_to(served["net_gain"], 2024))
    result = fetch_cli(dest, 2024, config)
    assert result.exit_code == 0, result.output
    assert "/statistics/v1/data-sets/ds-net/csv?dataSetVersion=2.1" in [
        p for p, _ in server.state.log
    ]
    manifest = Manifest.load(dest / "public_data_manifest.json")
    assert manifest.entries["dfe_cla_placed_in_out_netgain_2024.csv"].version == "2.1"


def test_a_year_not_yet_published_says_so_offers_latest_and_substitutes_nothing(tmp_path, server):
    dest = tmp_path / "public"
    result = fetch_cli(dest, 2025, api_config(tmp_path, server.base))
    assert result.exit_code == 1
    err = result.stderr
    assert err.count("not yet published") == 5
    assert err.count("the latest published is 2024") == 5
    assert "--year 2024" in err and "Nothing was substituted" in err
    saved = [p.name for p in dest.iterdir()] if dest.exists() else []
    assert not [n for n in saved if n.endswith((".csv", ".xlsx"))]


def test_without_a_year_the_latest_published_is_fetched(tmp_path, server):
    import datetime as dt

    this_year = dt.datetime.now(dt.UTC).year
    config = api_config(tmp_path, server.base, {"latest_search_years": this_year - 2020})
    result = CliRunner().invoke(
        app, ["public-data", "fetch", "--dest", str(tmp_path / "p"), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "Latest published year: 2024." in result.output
    assert (tmp_path / "p" / "ofsted_childrens_homes_2024-03-31.csv").exists()


def test_a_changed_column_names_the_file_and_the_column(tmp_path, served):
    broken = dict(served)
    broken["register"] = SMALL_REGISTER.replace(",Places,", ",Registered places,").encode()
    srv = Server(publishers(broken))
    try:
        dest = tmp_path / "public"
        result = fetch_cli(dest, 2024, api_config(tmp_path, srv.base))
    finally:
        srv.close()
    assert result.exit_code == 1
    err = result.stderr
    assert "ofsted_childrens_homes_2024-03-31.csv" in err and "'Places'" in err
    assert "format has changed" in err and "nothing replaced" in err
    assert not (dest / "ofsted_childrens_homes_2024-03-31.csv").exists()
    assert (dest / "ofsted_childrens_homes_2024-03-31.csv.rejected").exists()
    # the other files were fetched and recorded
    assert (dest / "dfe_cla_placed_in_out_netgain_2024.csv").exists()


def test_a_register_published_only_as_ods_is_saved_and_read(tmp_path, server):
    import io

    import pandas as pd

    from analysis.public_data.ofsted import childrens_homes, read_register

    table = pd.read_csv(io.StringIO(SMALL_REGISTER), dtype=str)
    title = pd.DataFrame([["Providers at 31 March 2024"] + [""] * (len(table.columns) - 1)])
    sheet = pd.concat([title, pd.DataFrame([table.columns]), pd.DataFrame(table.values)])
    body = io.BytesIO()
    sheet.to_excel(body, header=False, index=False, engine="odf")
    page = server.state.pages[OFSTED_PAGE.format(year=2024)]
    register = [a for a in page["details"]["attachments"] if "provider-level" in a["title"]]
    for attachment in register:  # the CSV and XLSX attachments give way to one ODS file
        page["details"]["attachments"].remove(attachment)
    server.state.media["/media/9/providers.ods"] = body.getvalue()
    page["details"]["attachments"].append(
        {
            "title": "Children's social care data in England 2024: provider-level data",
            "content_type": "application/vnd.oasis.opendocument.spreadsheet",
            "url": "/media/9/providers.ods",
            "filename": "providers.ods",
        }
    )
    dest = tmp_path / "public"
    result = fetch_cli(dest, 2024, api_config(tmp_path, server.base))
    assert result.exit_code == 0, result.output
    saved = dest / "ofsted_childrens_homes_2024-03-31.ods"
    assert saved.exists() and not (dest / "ofsted_childrens_homes_2024-03-31.csv").exists()
    homes = childrens_homes(read_register(saved))
    assert len(homes) == 2 and int(homes["is_london"].sum()) == 1
    assert choose_files(dest, 2024)["ofsted_register"].path == saved


def test_a_changed_api_response_names_the_endpoint_and_the_key(tmp_path, server):
    page = server.state.pages[OFSTED_PAGE.format(year=2024)]
    page["details"] = {"documents": []}
    result = fetch_cli(tmp_path / "public", 2024, api_config(tmp_path, server.base))
    assert result.exit_code == 1
    assert "no 'attachments'" in result.stderr and "format changed" in result.stderr


def test_a_timeout_is_retried_and_then_succeeds(tmp_path, server):
    path = "/statistics/v1/data-sets/ds-net/versions"
    server.state.fail[path] = ["hang"]
    server.state.hang_seconds = 1.5
    result = fetch_cli(
        tmp_path / "public", 2024, api_config(tmp_path, server.base, timeout_seconds=0.5)
    )
    assert result.exit_code == 0, result.output
    assert len(server.requests_to(path)) == 2  # the hung one and the retry


def test_retries_back_off_and_give_a_clear_message_when_exhausted(tmp_path, server):
    config = api_config(tmp_path, server.base, retries=2, backoff_seconds=0.5)
    raw, _ = load_public_config(config)
    slept: list[float] = []
    client = HttpClient(HttpSettings.from_config(raw), sleep=slept.append)
    path = "/statistics/v1/data-sets/ds-new/csv"
    server.state.fail[path] = [503, 502]
    outcomes = {o.key: o for o in fetch_year(2024, tmp_path / "a", config, client)}
    assert outcomes["dfe_new_placements"].status == "downloaded"
    assert slept == [0.5, 1.0]  # exponential backoff
    server.state.fail[path] = [503, 503, 503]
    outcomes = {o.key: o for o in fetch_year(2024, tmp_path / "b", config, client)}
    failed = outcomes["dfe_new_placements"]
    assert failed.status == "failed"
    assert "HTTP 503" in failed.message and "after 3 attempt(s)" in failed.message
    assert "new placements" in failed.message


def test_every_attempt_timing_out_says_timeout(tmp_path, server):
    path = f"/api/content{OFSTED_PAGE.format(year=2024)}"
    server.state.fail[path] = ["hang", "hang"]
    server.state.hang_seconds = 1.0
    config = api_config(tmp_path, server.base, timeout_seconds=0.3, retries=1)
    outcomes = {o.key: o for o in fetch_year(2024, tmp_path / "p", config)}
    message = outcomes["ofsted_register"].message
    assert "timeout" in message and "after 2 attempt(s)" in message


def test_offline_is_reported_as_such(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = api_config(tmp_path, f"http://127.0.0.1:{port}")
    raw, files = load_public_config(config)
    with pytest.raises(OfflineError, match="are you offline"):
        HttpClient(HttpSettings.from_config(raw)).get(f"http://127.0.0.1:{port}/x", what="x")
    result = fetch_cli(tmp_path / "public", 2024, config)
    assert result.exit_code == 1
    assert result.stderr.count("are you offline") == len(files)
    assert "--public-data DIR" in result.stderr


def test_a_missing_data_set_lists_what_the_publication_has(tmp_path, server):
    server.state.data_sets["pub-cla"] = [
        d for d in server.state.data_sets["pub-cla"] if d.id != "ds-rate"
    ]
    result = fetch_cli(tmp_path / "public", 2024, api_config(tmp_path, server.base))
    assert result.exit_code == 1
    assert "no data set titled like" in result.stderr and "Care leavers" in result.stderr


def test_http_errors_are_public_data_errors(tmp_path, server):
    client = HttpClient(HttpSettings(retries=0))
    with pytest.raises(PublicDataError, match="not found"):
        client.get(f"{server.base}/media/none.csv", what="a file")


# --- a local folder: choosing files by year ----------------------------------------------------


CONFIGURED_FILES = load_public_config()[1]


@given(st.integers(min_value=1990, max_value=2200))
def test_file_names_round_trip_their_year(year):
    for spec in CONFIGURED_FILES:
        assert spec.year_of(spec.name_for(year)) == year
        assert spec.year_of(spec.name_for(year, ".xlsx")) == year
        assert spec.year_of("x" + spec.name_for(year)) is None


@needs_public
def test_shared_folder_choice_by_report_year():
    chosen = choose_files(SHARED_PUBLIC_DATA, 2024)
    assert chosen["ofsted_register"].file_year == 2023 and chosen["ofsted_register"].note
    assert chosen["dfe_net_gain"].file_year == 2024 and not chosen["dfe_net_gain"].note
    previous = choose_files(SHARED_PUBLIC_DATA, 2023)
    assert previous["ofsted_register"].file_year == 2023 and not previous["ofsted_register"].note
    assert previous["ofsted_joiners_leavers"].path.name.endswith("2022-04_to_2023-03.csv")
    # the 2024 DfE release serves 2023 up to 2023 only
    assert previous["dfe_net_gain"].file_year == 2024
    assert previous["dfe_net_gain"].restrict_to_year == 2023
    # a report year before every file: the later register (said), DfE rows up to that year
    early = choose_files(SHARED_PUBLIC_DATA, 2021)
    assert early["ofsted_register"].file_year == 2023
    assert "later dates" in early["ofsted_register"].note
    assert early["ofsted_register"].restrict_to_year is None
    assert early["dfe_new_placements"].restrict_to_year == 2021


@needs_public
def test_build_with_the_shared_folder_says_which_years_it_used(tmp_path):
    from analysis.public_data.national import national_context

    ctx = national_context(SHARED_PUBLIC_DATA, year=2024)
    assert ctx["years_used"]["ofsted_register"] == 2023
    assert "31 March 2024" in ctx["years_note"] and "register at 31 March 2023" in ctx["years_note"]
    previous = national_context(SHARED_PUBLIC_DATA, year=2023)
    assert previous["tables"]["net_gain"]["year"].max() == 2023
    assert all(r["verified"] is False for r in previous["provenance"])


@needs_public
def test_build_uses_fetched_files_with_their_provenance(tmp_path, server):
    from analysis.public_data.national import write_national_outputs

    dest = tmp_path / "public"
    assert fetch_cli(dest, 2024, api_config(tmp_path, server.base)).exit_code == 0
    result = write_national_outputs(dest, tmp_path / "out", "london", year=2024)
    written = json.loads((tmp_path / "out" / "results" / "national.json").read_text())
    assert written["available"] is True and written["problems"] == []
    assert written["years_used"] == {k: 2024 for k in written["years_used"]}
    assert len(written["years_used"]) == 5 and not written["years_note"]
    assert result["london_homes"] == 161
    assert "At 31 March 2024 London had 161" in written["summary"]
    files = {r["file"]: r for r in written["provenance"]}
    assert set(files) == set(EXPECTED_2024)
    assert all(r["verified"] for r in files.values())
    assert files["dfe_cla_new_placements_location_reason_2024.csv"]["version"] == "2.0"


def _render_chapters(edition_dir: Path, tmp_path: Path, year: int) -> dict[str, str]:
    from analysis.document.assemble import build_context, write_sources
    from analysis.paths import REPORT_SOURCES

    ctx = build_context(
        edition_dir,
        edition="london",
        la_name=None,
        year=year,
        previous_year=None,
        metadata={},
        data_hashes={},
        parameters={},
        config_dir=CONFIG,
        settings={"top_recommendations": 3},
    )
    files = write_sources(ctx, REPORT_SOURCES / "templates", tmp_path / "src", edition_dir)
    return {f.stem: f.read_text(encoding="utf-8") for f in files}


@needs_public
def test_methodology_prints_the_manifest_and_national_chapter_the_years(tmp_path, server):
    from analysis.public_data.national import write_national_outputs

    dest = tmp_path / "public"
    assert fetch_cli(dest, 2024, api_config(tmp_path, server.base)).exit_code == 0
    write_national_outputs(dest, tmp_path / "fetched", "london", year=2024)
    methods = _render_chapters(tmp_path / "fetched", tmp_path / "a", 2024)["methods"]
    assert "Public data provenance" in methods
    for name in EXPECTED_2024:
        assert f"- `{name}`: " in methods
    csv_url = f"{server.base}/statistics/v1/data-sets/ds-net/csv?dataSetVersion=2.0"
    assert f"version 2.0 ([download]({csv_url}))" in methods
    assert "Ofsted, Children's social care data in England 2024, attachment" in methods
    assert "changed since it was fetched" not in methods
    # offline folder of hand-copied files: years said in both chapters, origin not recorded
    write_national_outputs(SHARED_PUBLIC_DATA, tmp_path / "shared", "london", year=2024)
    chapters = _render_chapters(tmp_path / "shared", tmp_path / "b", 2024)
    assert (
        "uses the Ofsted register at 31 March 2023 and the DfE 2024 release."
        in chapters["national"]
    )
    assert "files for 31 March 2023 and 2024" in chapters["methods"]
    assert "origin not recorded" in chapters["methods"]


@needs_public
def test_two_years_in_one_folder_each_build_year_uses_its_own_and_the_year_before(tmp_path, server):
    from analysis.public_data.national import national_context, write_national_outputs

    dest = tmp_path / "public"
    config = api_config(tmp_path, server.base)
    assert fetch_cli(dest, 2023, config).exit_code == 0
    assert fetch_cli(dest, 2024, config).exit_code == 0
    manifest = Manifest.load(dest / "public_data_manifest.json")
    assert manifest.entries["dfe_cla_placed_in_out_netgain_2023.csv"].version == "1.0"
    assert manifest.entries["dfe_cla_placed_in_out_netgain_2024.csv"].version == "2.0"
    assert {c.file_year for c in choose_files(dest, 2023).values()} == {2023}
    assert {c.file_year for c in choose_files(dest, 2024).values()} == {2024}
    earlier = national_context(dest, year=2023)
    assert earlier["tables"]["net_gain"]["year"].max() == 2023 and not earlier["years_note"]
    result = write_national_outputs(dest, tmp_path / "out", "camden", year=2024)
    previous = result["previous_register"]
    assert previous["register_year"] == 2023 and previous["london_homes"] == 161
    assert previous["borough_homes"] == 4
    assert "A year earlier, at 31 March 2023, London had 161 children's homes" in result["summary"]


def test_a_new_version_with_the_same_bytes_is_recorded_without_a_download(tmp_path, server):
    """A publisher can reissue a data set as a new version with identical content: the server
    answers 304 and the manifest records the new version (the file is that version now)."""
    dest = tmp_path / "public"
    config = api_config(tmp_path, server.base)
    assert fetch_cli(dest, 2024, config).exit_code == 0
    net = next(d for d in server.state.data_sets["pub-cla"] if d.id == "ds-net")
    net.versions["2.1"] = net.versions["2.0"]
    before = (dest / "dfe_cla_placed_in_out_netgain_2024.csv").stat().st_mtime_ns
    result = fetch_cli(dest, 2024, config)
    assert result.exit_code == 0, result.output
    assert "same content as version 2.0" in result.output
    assert ("/statistics/v1/data-sets/ds-net/csv?dataSetVersion=2.1", 304) in server.state.log
    manifest = Manifest.load(dest / "public_data_manifest.json")
    assert manifest.entries["dfe_cla_placed_in_out_netgain_2024.csv"].version == "2.1"
    assert (dest / "dfe_cla_placed_in_out_netgain_2024.csv").stat().st_mtime_ns == before
