"""Public-data connector: tidy-format symbols, Ofsted files, download over HTTP, local folder."""

from __future__ import annotations

import http.server
import io
import threading
import zipfile
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.paths import SHARED_PUBLIC_DATA
from analysis.public_data.fetch import check_public_folder, fetch_command, find_download_link
from analysis.public_data.ofsted import childrens_homes, read_joiners_leavers, read_register
from analysis.public_data.tidy import missing_reasons, read_tidy

needs_public = pytest.mark.skipif(
    not SHARED_PUBLIC_DATA.exists(), reason=f"real public data not found at {SHARED_PUBLIC_DATA}"
)

TIDY = (
    "\ufefftime_period,time_identifier,geographic_level,old_la_code,la_name,characteristic,number,percentage\n"
    "2024,Reporting year,Local authority,202,Camden,A,12,40\n"
    "2024,Reporting year,Local authority,202,Camden,B,c,c\n"
    "2024,Reporting year,Local authority,202,Camden,C,z,x\n"
    "2024,Reporting year,Local authority,202,Camden,D,low,k\n"
)


def test_tidy_symbols_are_missing_with_reason_never_zero(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TIDY, encoding="utf-8")
    df = read_tidy(path)
    assert df["number"].iloc[0] == 12 and df["old_la_code"].iloc[0] == "202"
    assert df["number"].iloc[1:].isna().all()
    assert df["number_symbol"].tolist()[1:] == ["c", "z", "low"]
    assert df["percentage_symbol"].tolist()[1:] == ["c", "x", "k"]
    assert df["number"].sum() == 12  # the symbols were not counted as anything
    assert df["time_period"].iloc[0] == 2024
    assert missing_reasons(df, "number").sum() == 3


def _serve(folder: Path):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_fetch_follows_publication_page_and_unzips(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    register = "URN,Provision type,Local authority,Government Office Region,Sector,Places\nSC1,Children's home,Camden,London,Private,4\n"
    (site / "provider_level_2023.csv").write_text(register, encoding="utf-8")
    (site / "page.html").write_text(
        '<a href="/about">x</a><a href="provider_level_2023.csv">Provider-level data</a>',
        encoding="utf-8",
    )
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("data/other.csv", "a\n1\n")
        z.writestr("data/cla_net_gain.csv", TIDY)
    (site / "all.zip").write_bytes(bundle.getvalue())
    server = _serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = {
        "timeout_seconds": 5,
        "files": {
            "ofsted_register": {
                "save_as": "register.csv",
                "page": f"{base}/page.html",
                "link_pattern": r"provider_level.*\.csv",
                "header_marker": "URN",
                "columns": ["URN", "Provision type", "Places"],
            },
            "dfe_net_gain": {
                "save_as": "net_gain.csv",
                "url": f"{base}/all.zip",
                "member_pattern": "net_gain",
                "columns": ["time_period", "number", "not_a_column"],
            },
        },
    }
    cfg = tmp_path / "public.yaml"
    cfg.write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        code = fetch_command(tmp_path / "out", config=cfg)
    finally:
        server.shutdown()
    assert (tmp_path / "out" / "register.csv").read_text(encoding="utf-8") == register
    assert read_tidy(tmp_path / "out" / "net_gain.csv")["number"].iloc[0] == 12
    # the missing column is reported and the command fails
    assert code == 1
    assert "not_a_column" in capsys.readouterr().err


def test_fetch_reports_unreachable_pages(tmp_path, capsys):
    cfg = tmp_path / "public.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "timeout_seconds": 2,
                "files": {
                    "x": {"save_as": "x.csv", "url": "http://127.0.0.1:9/none.csv", "columns": []}
                },
            }
        ),
        encoding="utf-8",
    )
    assert fetch_command(tmp_path, config=cfg) == 1
    assert "download failed" in capsys.readouterr().err


def test_find_download_link_resolves_relative_links():
    html = '<a href="/x.pdf">p</a><a href="/media/abc/Provider_level_2023.csv">d</a>'
    link = find_download_link(html, "https://www.gov.uk/page", r"Provider.*\.csv")
    assert link == "https://www.gov.uk/media/abc/Provider_level_2023.csv"


def test_local_folder_check_names_what_is_missing(tmp_path):
    problems = check_public_folder(tmp_path)
    assert len(problems) == 6 and all("missing" in p for p in problems)


@needs_public
def test_shared_public_folder_is_complete_and_valid():
    assert check_public_folder(SHARED_PUBLIC_DATA) == []


@needs_public
def test_register_sanity_figures_from_readme():
    homes = childrens_homes(
        read_register(SHARED_PUBLIC_DATA / "ofsted_childrens_homes_2023-03-31.csv")
    )
    assert len(homes) == 2821
    assert int(homes["is_london"].sum()) == 161
    assert homes.loc[homes["is_london"], "borough"].notna().all()


@needs_public
def test_joiners_leavers_skip_title_rows():
    df = read_joiners_leavers(SHARED_PUBLIC_DATA / "ofsted_joiners_leavers_2022-04_to_2023-03.csv")
    assert df["URN"].str.len().gt(0).all()
    assert df["joined"].any() and df["left"].any()


@needs_public
def test_real_tidy_file_keeps_confidential_cells_missing():
    df = read_tidy(SHARED_PUBLIC_DATA / "dfe_cla_new_placements_location_reason_2020-2024.csv")
    assert (df["number_symbol"] == "c").sum() > 0
    assert df.loc[df["number_symbol"].notna(), "number"].isna().all()
    assert set(df["time_period"].dropna().unique()) == {2020, 2021, 2022, 2023, 2024}
    assert isinstance(df, pd.DataFrame)
