"""Synthetic files in the shapes real users hold (``../shared/real-formats.md``), for tests.

One consistent, seeded history of care episodes of London children (true dates, placements in
the example's homes) is written out the way each real source delivers it:

- :func:`stacked_returns`: every year's SSDA903 return stacked, with ``LA`` and ``YEAR`` (each
  return holds the episodes open at some time in its collection year, an episode still open on
  31 March with ``DEC`` blank);
- :func:`liia_extract`: LIIA's pan-London aggregation: one row per ``CHILD`` + ``DECOM``
  labelled with its LATEST return ``YEAR``, ``YEAR_latest`` and ``Episode_source`` columns,
  the episode fix's ``E99`` / ``LIIAF`` codes, ``yyyy-mm-dd`` dates, CHILD ids with a
  ``_XXX`` borough suffix, postcode sectors;
- :func:`write_liia_folder`: the three ``pan_London_SSDA903_*.csv`` files plus Ofsted's file
  under its own name (:func:`write_ofsted_file`: CSV, XLSX or ODS with title rows, the
  "Children's Home" capitalisation, "Not yet inspected", other provision types).

:func:`truth` gives what a correct snapshot must find (children in children's homes on
31 March and how many of them outside London), computed from the history, not from any file.
Everything is synthetic: no real child is represented.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.paths import EXAMPLE_DATA

#: Placement types drawn for non-children's-home episodes, with the URN they carry.
OTHER_PLACEMENTS: tuple[tuple[str, str], ...] = (
    ("U1", ""),  # foster with relative: no URN
    ("U4", "agency"),  # foster through an agency: the agency's URN (not a children's home)
    ("U5", "agency"),
    ("A5", "XXXXXXX"),  # placed for adoption: XXXXXXX
    ("S1", "school"),  # residential school: its URN
    ("P1", ""),
)
HISTORY_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024)
SHORT_CODE_LENGTH = 3


def short_code(la_name: str) -> str:
    """A three-letter borough suffix in the style LIIA appends to CHILD (``_BAR``)."""
    letters = "".join(ch for ch in la_name.upper() if ch.isalpha())
    return letters[:SHORT_CODE_LENGTH]


def _example_pools() -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, str]]:
    """The example's homes (file format), HOME_POST sectors by borough, PL_POST sector by URN."""
    homes = pd.read_csv(EXAMPLE_DATA / "homes.csv", dtype=str)
    eps = pd.read_csv(
        EXAMPLE_DATA / "episodes.csv", dtype=str, usecols=["LA", "HOME_POST", "PL_POST", "URN"]
    )
    home_posts = eps.dropna(subset=["HOME_POST"]).groupby("LA")["HOME_POST"].unique()
    by_la = {la: sorted(set(v))[:40] for la, v in home_posts.items()}
    pl_post = eps.dropna(subset=["URN", "PL_POST"]).drop_duplicates("URN")
    return homes, by_la, dict(zip(pl_post["URN"], pl_post["PL_POST"], strict=True))


#: share of children's-home placements made in a home of the child's own borough (when it has
#: one): the 2022 report found about 14% of London's children in homes in their own borough. A
#: uniform choice among all homes put about 1% there, so small extracts had London-wide
#: own-borough counts of 1 to 5, which no real London dataset has (A84, A87).
OWN_BOROUGH_SHARE = 0.15


def simulate_history(
    seed: int = 7,
    children_per_borough: int = 14,
    closed_homes: int = 12,
    own_borough_share: float = OWN_BOROUGH_SHARE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A consistent history of episodes (true dates) and the homes register that goes with it.

    Each child has two to four consecutive episodes starting between 2016 and 2024; about
    40% are children's-home (K2) placements in one of the example's homes (in and outside
    London; ``own_borough_share`` of them in a home of the child's own borough where it has
    one; 0 = a home drawn from all, as before 1 December 2026), the rest foster, adoption, school and other placements. ``closed_homes`` homes
    that children used are left out of the returned register (closed since). Columns of the
    history: the SSDA903 episode fields with raw CHILD ids, ``LA`` (reference name),
    ``outside_london`` (truth, K2 only).
    """
    rng = np.random.default_rng(seed)
    homes, home_posts, pl_post = _example_pools()
    homes = homes[homes["URN"].isin(pl_post)].reset_index(drop=True)
    london = set(london_boroughs()["la_name"])
    homes["in_london"] = homes["Local authority"].isin(london)
    closed = set(rng.choice(homes["URN"], size=closed_homes, replace=False))
    rows: list[dict[str, object]] = []
    child_number = 100000
    for la in sorted(london):
        posts = home_posts.get(la) or ["E1 6"]
        for _ in range(children_per_borough):
            child_number += int(rng.integers(1, 50))
            start = pd.Timestamp("2016-04-01") + pd.Timedelta(days=int(rng.integers(0, 2900)))
            home_post = str(rng.choice(posts))
            for episode in range(int(rng.integers(2, 5))):
                length = int(rng.integers(60, 1100))
                end = start + pd.Timedelta(days=length)
                row: dict[str, object] = {
                    "CHILD": str(child_number),
                    "DECOM": start,
                    "DEC": end if end <= pd.Timestamp("2024-03-31") else pd.NaT,
                    "RNE": "S" if episode == 0 else "P",
                    "LS": "C2",
                    "CIN": "N1",
                    "HOME_POST": home_post,
                    "LA": la,
                }
                if rng.random() < 0.4:
                    own = homes[homes["Local authority"] == la]
                    # (no draw when the share is 0: the histories made before it are kept)
                    mine = own_borough_share > 0 and len(own) > 0
                    pool = own if mine and rng.random() < own_borough_share else homes
                    home = pool.iloc[int(rng.integers(0, len(pool)))]
                    sector = home["Sector"]
                    provider = "PR1" if sector == "Local Authority" else "PR4"
                    row.update(
                        PLACE="K2",
                        PLACE_PROVIDER=provider,
                        URN=home["URN"],
                        PL_POST=pl_post[home["URN"]],
                        outside_london=not bool(home["in_london"]),
                    )
                else:
                    place, urn_kind = OTHER_PLACEMENTS[int(rng.integers(0, len(OTHER_PLACEMENTS)))]
                    urn = {
                        "": "",
                        "XXXXXXX": "XXXXXXX",
                        "agency": f"SC07{int(rng.integers(0, 10000)):04d}",
                        "school": f"{int(rng.integers(100000, 150000))}",
                    }[urn_kind]
                    row.update(
                        PLACE=place,
                        PLACE_PROVIDER="PR4",
                        URN=urn or None,
                        PL_POST=str(rng.choice(posts)),
                        outside_london=None,
                    )
                rows.append(row)
                if pd.isna(row["DEC"]):
                    break
                start = end + pd.Timedelta(days=int(rng.integers(0, 2)))
    history = pd.DataFrame(rows)
    history["REC"] = np.where(history["DEC"].notna(), "E8", None)
    history["REASON_PLACE_CHANGE"] = np.where(history["DEC"].notna(), "CARPL", None)
    register = homes[~homes["URN"].isin(closed)].drop(columns=["in_london"])
    return history, register.reset_index(drop=True)


def return_for_year(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """The SSDA903 return for the year ending 31 March ``year`` as the borough submitted it:
    episodes open at some time in the year; ``DEC``/``REC``/``REASON_PLACE_CHANGE`` blank
    when the episode was still open on 31 March."""
    start, end = pd.Timestamp(year - 1, 4, 1), pd.Timestamp(year, 3, 31)
    held = history[(history["DECOM"] <= end) & (history["DEC"].isna() | (history["DEC"] >= start))]
    out = held.copy()
    still_open = out["DEC"].isna() | (out["DEC"] > end)
    out.loc[still_open, "DEC"] = pd.NaT
    out.loc[still_open, ["REC", "REASON_PLACE_CHANGE"]] = None
    out["YEAR"] = year
    return out.drop(columns=["outside_london"]).reset_index(drop=True)


def stacked_returns(history: pd.DataFrame, years: tuple[int, ...] = HISTORY_YEARS) -> pd.DataFrame:
    """Every year's return stacked (the contract's episodes table: ``LA`` and ``YEAR`` given)."""
    return pd.concat([return_for_year(history, y) for y in years], ignore_index=True)


def liia_extract(stacked: pd.DataFrame, *, seed: int = 7, liia_codes: int = 20) -> pd.DataFrame:
    """LIIA's pan-London episodes file from stacked returns: one row per CHILD + DECOM with the
    LATEST return's ``YEAR``, ``YEAR_latest`` and ``Episode_source``, ``liia_codes`` closed
    episodes re-coded ``E99``/``LIIAF`` by the episode fix, CHILD ids suffixed ``_XXX``,
    ``yyyy-mm-dd`` dates, postcodes cut to sectors (they already are)."""
    rng = np.random.default_rng(seed)
    ordered = stacked.sort_values("YEAR", kind="stable")
    out = ordered.drop_duplicates(["CHILD", "DECOM"], keep="last").copy()
    out["YEAR_latest"] = out["YEAR"]
    out["Episode_source"] = "Original"
    closed = out.index[out["DEC"].notna()]
    fixed = rng.choice(closed, size=min(liia_codes, len(closed)), replace=False)
    out.loc[fixed, "REC"] = "E99"
    out.loc[fixed, "REASON_PLACE_CHANGE"] = "LIIAF"
    out.loc[fixed, "Episode_source"] = "Closed by LIIA fix"
    out["CHILD"] = out["CHILD"] + "_" + out["LA"].map(short_code)
    for column in ("DECOM", "DEC"):
        out[column] = out[column].dt.strftime("%Y-%m-%d")
    out = out.sample(frac=1.0, random_state=seed)  # the extract is in no useful order
    return out.reset_index(drop=True)


def liia_header(stacked: pd.DataFrame) -> pd.DataFrame:
    """LIIA's pan-London header (sufficiency output: no UPN/MOTHER/MC_DOB), one row per child
    and return year, DOB moved to the first of its month."""
    rows = stacked.drop_duplicates(["CHILD", "YEAR"])[["CHILD", "LA", "YEAR"]].copy()
    rows["CHILD"] = rows["CHILD"] + "_" + rows["LA"].map(short_code)
    rows["SEX"] = "1"
    rows["DOB"] = "2008-05-01"
    rows["ETHNIC"] = "WBRI"
    return rows[["CHILD", "SEX", "DOB", "ETHNIC", "LA", "YEAR"]].reset_index(drop=True)


def truth(history: pd.DataFrame, year: int) -> dict[str, int]:
    """Children of London boroughs in a children's home (K2) on 31 March ``year`` and how many
    of them outside London, from the true dates of the history."""
    date = pd.Timestamp(year, 3, 31)
    open_k2 = history[
        (history["PLACE"] == "K2")
        & (history["DECOM"] <= date)
        & (history["DEC"].isna() | (history["DEC"] > date))
    ]
    return {
        "placements_total": int(open_k2["CHILD"].nunique()),
        "placements_outside_london": int(open_k2["outside_london"].astype(bool).sum()),
    }


OFSTED_TITLE_ROWS: tuple[str, ...] = (
    "Children's social care in England: providers and places as at 31 March 2023",
    "Source: Ofsted (synthetic copy for tests)",
)
OFSTED_FILE_NAME = "Childrens_social_care_in_England_2023_underlying_providers"


def ofsted_frame(register: pd.DataFrame) -> pd.DataFrame:
    """Ofsted's all-providers file from a homes register (file format): the register's homes,
    a few with "Children's Home" capitalised and "Not yet inspected" as the grade, plus rows of
    other provision types (fostering agencies, a residential family centre) to be filtered out."""
    out = register.copy()
    grade = "Overall experiences and progress of children and young people"
    out.loc[out.index[:5], "Provision type"] = "Children's Home"
    out.loc[out.index[5:8], grade] = "Not yet inspected"
    out.loc[out.index[5:8], "Latest full inspection date"] = None
    others = out.iloc[:4].copy()
    others["URN"] = [f"SC07{i:04d}" for i in range(len(others))]
    others["Provision type"] = [
        "Independent fostering agency",
        "Voluntary adoption agency",
        "Residential family centre",
        "Independent fostering agency",
    ][: len(others)]
    others[grade] = "Good"
    return pd.concat([out, others], ignore_index=True)


def write_ofsted_file(register: pd.DataFrame, folder: Path, suffix: str = ".csv") -> Path:
    """Write :func:`ofsted_frame` as Ofsted publishes it: CSV (header on row 1), or XLSX/ODS with
    title rows above the header; under Ofsted's own file name."""
    frame = ofsted_frame(register)
    path = Path(folder) / f"{OFSTED_FILE_NAME}{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
        return path
    grid = [[t] + [None] * (frame.shape[1] - 1) for t in OFSTED_TITLE_ROWS]
    grid += [[None] * frame.shape[1], list(frame.columns)]
    grid += frame.astype(object).where(frame.notna(), None).values.tolist()
    engine = "odf" if suffix == ".ods" else "openpyxl"
    pd.DataFrame(grid).to_excel(path, header=False, index=False, engine=engine)
    return path


def write_liia_folder(
    folder: Path,
    *,
    seed: int = 7,
    ofsted_suffix: str = ".csv",
    children_per_borough: int = 14,
    own_borough_share: float = OWN_BOROUGH_SHARE,
) -> dict[str, object]:
    """A realistic LIIA folder (``real-formats.md`` section 5), untouched names; returns the
    history and register used (for :func:`truth`) and the file paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    history, register = simulate_history(
        seed, children_per_borough, own_borough_share=own_borough_share
    )
    stacked = stacked_returns(history)
    episodes = liia_extract(stacked, seed=seed)
    episodes.to_csv(folder / "pan_London_SSDA903_Episodes.csv", index=False)
    liia_header(stacked).to_csv(folder / "pan_London_SSDA903_Header.csv", index=False)
    uasc = liia_header(stacked).assign(DUC="2026-01-01")[
        ["CHILD", "SEX", "DOB", "DUC", "LA", "YEAR"]
    ]
    uasc = uasc.iloc[:5]
    uasc.to_csv(folder / "pan_London_SSDA903_UASC.csv", index=False)
    ofsted = write_ofsted_file(register, folder, ofsted_suffix)
    return {"history": history, "register": register, "stacked": stacked, "ofsted": ofsted}


DFE_EPISODE_COLUMNS: tuple[str, ...] = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip


def _full_postcode(sector: object, rng: np.random.Generator) -> object:
    """A full postcode in ``sector`` (the sector plus two unit letters), as a return holds."""
    if not isinstance(sector, str) or not sector:
        return sector
    return f"{sector}{''.join(rng.choice(list('ABDEFGHJLNPQRSTUWXYZ'), size=2))}"


def write_raw_returns(
    history: pd.DataFrame, la: str, folder: Path, years: tuple[int, ...] = (2021, 2022, 2023)
) -> Path:
    """One borough's own SSDA903 returns as submitted (``real-formats.md`` section 1): a folder
    per collection year (``2021-22``), ``episodes.csv`` and ``header.csv`` with the DfE column
    names only (no LA, no YEAR), dates ``dd/mm/yyyy``, full postcodes, raw CHILD ids."""
    rng = np.random.default_rng(11)
    folder = Path(folder)
    mine = history[history["LA"] == la]
    for year in years:
        sent = return_for_year(mine, year)
        sub = folder / f"{year - 1}-{year % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        episodes = sent[list(DFE_EPISODE_COLUMNS)].copy()
        for column in ("DECOM", "DEC"):
            episodes[column] = episodes[column].dt.strftime("%d/%m/%Y")
        for column in ("HOME_POST", "PL_POST"):
            episodes[column] = [_full_postcode(v, rng) for v in episodes[column]]
        episodes.to_csv(sub / "episodes.csv", index=False)
        header = pd.DataFrame({"CHILD": sorted(set(sent["CHILD"]))})
        header = header.assign(
            SEX="2", DOB="01/05/2008", ETHNIC="WBRI", UPN="A123456789012", MOTHER="", MC_DOB=""
        )
        header.to_csv(sub / "header.csv", index=False)
    return folder
