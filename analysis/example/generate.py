"""The SYNTHETIC example dataset: a seeded, calibrated generator of every contract table.

``generate_frames(config)`` returns the contract's tables in *file format* (contract column
names, dates ``dd/mm/yyyy``, Y/N, "Risk Present"/"No known risk"). Counts that the 2022 report
states are met exactly by allocation, not sampling: per borough, the planted design in
``config/example.yaml`` fixes how many K2 children are placed in the borough, elsewhere in London
and outside London, and *which* children go outside is chosen by weighted sampling without
replacement on a needs-based propensity (how the H1 mechanism coexists with exact calibration).
The planted mechanisms are described in ``docs/mechanisms.md``.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.boroughs import is_local, london_boroughs
from analysis.contract.codes import DECLINE_REASONS
from analysis.contract.schemas import NEED_FLAGS
from analysis.example.fieldwork import fieldwork_frame
from analysis.example.sectors import sectors_by_district
from analysis.paths import CONFIG, EXAMPLE_DATA

GRADES: tuple[str, ...] = ("Inadequate", "Requires improvement to be good", "Good", "Outstanding")
GRADE_SCORE: dict[str, int] = {g: i for i, g in enumerate(GRADES)}
REGISTRATION_BASE: dict[str, float] = {
    "Mental disorders": 0.40,
    "Learning disability": 0.15,
    "Physical disabilities": 0.03,
    "Sensory impairment": 0.02,
    "Alcohol misuse": 0.25,
    "Drug misuse": 0.30,
}
#: Registrations whose London prevalence the H1 mechanism lowers.
H1_REGISTRATIONS = frozenset({"Mental disorders", "Alcohol misuse", "Drug misuse"})
ETHNIC: dict[str, float] = {
    "WBRI": 0.22,
    "WOTH": 0.10,
    "BAFR": 0.14,
    "BCRB": 0.12,
    "BOTH": 0.06,
    "MWBC": 0.09,
    "MOTH": 0.07,
    "AIND": 0.02,
    "APKN": 0.02,
    "ABAN": 0.04,
    "AOTH": 0.04,
    "OOTH": 0.08,
}


TABLE_COLUMNS: dict[str, list[str]] = {
    "episodes": [
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
        "LA",
        "YEAR",
    ],
    "header": ["CHILD", "SEX", "DOB", "ETHNIC", "LA", "YEAR"],
    "homes": [
        "URN",
        "Provision type",
        "Local authority",
        "Sector",
        "Places",
        "Registration status",
        "Overall experiences and progress of children and young people",
        "Latest full inspection date",
        "Organisation which owns the provider",
    ],
    "home_registrations": ["URN", "category"],
    "home_staffing": [
        "URN",
        "snapshot_date",
        "registered_places",
        "places_available",
        "places_unavailable_staffing",
        "staff_vacancies_fte",
        "staff_establishment_fte",
        "staff_leavers_12m",
    ],
    "needs": ["CHILD", "LA", *NEED_FLAGS, "YEAR"],
    "referrals": [
        "referral_id",
        "CHILD",
        "LA",
        "URN",
        "referral_date",
        "needed_by",
        "response",
        "decline_reason",
        "profile_strengths_based",
        "profile_completeness",
    ],
    "costs": [
        "CHILD",
        "LA",
        "URN",
        "placement_start",
        "core_weekly_cost",
        "additional_support_weekly_cost",
        "education_weekly_cost",
        "other_weekly_cost",
        "total_weekly_cost",
        "procurement",
        "YEAR",
    ],
    "fieldwork": [
        "evidence_id",
        "source_type",
        "LA",
        "hypothesis",
        "stance",
        "theme",
        "summary",
        "date",
    ],  # fmt: skip
}


# ----------------------------------------------------------------------------- configuration
def load_config(path: Path | str | None = None) -> dict[str, Any]:
    """Read the generator configuration (default ``config/example.yaml``)."""
    with open(Path(path) if path else CONFIG / "example.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def with_effects(config: dict[str, Any], **effects: float) -> dict[str, Any]:
    """A deep copy of ``config`` with planted effect sizes replaced (unknown names raise)."""
    unknown = set(effects) - set(config["effects"])
    if unknown:
        raise KeyError(f"unknown effects: {sorted(unknown)}")
    new = copy.deepcopy(config)
    new["effects"].update({k: float(v) for k, v in effects.items()})
    return new


# ----------------------------------------------------------------------------- small helpers
def largest_remainder(
    weights: np.ndarray, total: int, caps: np.ndarray | None = None
) -> np.ndarray:
    """Integers summing to ``total`` proportional to ``weights`` (largest remainder), within ``caps``."""
    w = np.asarray(weights, dtype=float)
    out = np.zeros(len(w), dtype=int)
    caps = np.full(len(w), 10**9) if caps is None else np.asarray(caps, dtype=int)
    remaining = int(total)
    while remaining > 0:
        free = (out < caps) & (w > 0)
        if not free.any():
            raise ValueError("allocation exceeds capacity")
        share = np.where(free, w, 0.0)
        raw = share / share.sum() * remaining
        add = np.minimum(np.floor(raw).astype(int), caps - out)
        if add.sum() == 0:
            order = np.argsort(-(raw - np.floor(raw)), kind="stable")
            for i in order:
                if free[i]:
                    add[i] = 1
                    break
        out += add
        remaining = int(total) - int(out.sum())
    return out


def weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` items drawn without replacement with probability proportional to weights
    (Efraimidis-Spirakis keys via Gumbel noise)."""
    if k <= 0:
        return np.array([], dtype=int)
    w = np.asarray(weights, dtype=float)
    keys = np.log(np.maximum(w, 1e-300)) + rng.gumbel(size=len(w))
    return np.argsort(-keys, kind="stable")[:k]


def fmt_date(day: dt.date | None) -> str:
    """``dd/mm/yyyy`` or "" for a missing date."""
    return "" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def days(n: int) -> dt.timedelta:
    """A span of ``n`` days (plain ``datetime`` arithmetic: pandas scalars are slow here)."""
    return dt.timedelta(days=int(n))


def cumulative(probs: Any) -> tuple[float, ...]:
    """Cumulative, normalised probabilities for :meth:`_Generator.pick`."""
    p = np.asarray(list(probs.values()) if isinstance(probs, dict) else probs, dtype=float)
    return tuple(float(x) for x in np.cumsum(p / p.sum()))


_ETHNIC_CODES: tuple[str, ...] = tuple(ETHNIC)
_ETHNIC_CUM = cumulative(ETHNIC)
#: Ages 0-17 at the snapshot: 4% a year under 10, 7.5% a year from 10 (teenagers dominate).
_AGE_CUM = cumulative([0.04] * 10 + [0.075] * 8)
_LS_CUM = cumulative([0.7, 0.25, 0.05])  # legal status C2, V2, C1
_CIN_CUM = cumulative([0.55, 0.05, 0.02, 0.15, 0.13, 0.03, 0.02, 0.05])  # CIN codes N1-N8


def logistic(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- designs
def year_design(config: dict[str, Any], year: int) -> pd.DataFrame:
    """Per-borough targets for a year: ``k2, in_borough, in_house, london_oob, london_las, outside``.

    2022 is the planted design; 2021 is derived (see ``config/example.yaml``).
    """
    d = pd.DataFrame.from_dict(config["design_2022"], orient="index")
    if year == 2022:
        return d
    t = config["targets_2021"]
    k2 = largest_remainder(d["k2"].to_numpy(), t["placements_total"])
    share = np.where(d["k2"] > 0, d["outside"] / d["k2"].clip(lower=1), 0.0)
    outside = largest_remainder(
        k2 * share + 1e-9 * (share > 0), t["placements_outside_london"], caps=k2
    )
    london = k2 - outside
    london_22 = (d["in_borough"] + d["london_oob"]).to_numpy()
    frac_in = np.where(london_22 > 0, d["in_borough"] / np.maximum(london_22, 1), 0.5)
    in_b = np.round(london * frac_in).astype(int)
    in_house = np.minimum(
        in_b,
        np.round(
            d["in_house"] * np.where(d["in_borough"] > 0, in_b / np.maximum(d["in_borough"], 1), 0)
        ).astype(int),
    )
    in_house = np.where((d["in_house"] > 0) & (in_b > 0), np.maximum(in_house, 1), in_house)
    oob = london - in_b
    las_ratio = np.where(london_22 > 0, d["london_las"] / np.maximum(london_22, 1), 0)
    las = np.maximum(
        np.round(london * las_ratio).astype(int), (in_b > 0).astype(int) + (oob > 0).astype(int)
    )
    las = np.minimum(las, (in_b > 0).astype(int) + oob)
    return pd.DataFrame(
        {
            "group": d["group"],
            "k2": k2,
            "in_borough": in_b,
            "in_house": in_house,
            "london_oob": oob,
            "london_las": las,
            "outside": outside,
        },
        index=d.index,
    )


# ----------------------------------------------------------------------------- the generator
class _Generator:
    """Holds the seeded random stream and the tables being built; one instance per call."""

    def __init__(self, config: dict[str, Any]):
        self.cfg = config
        self.fx = config["effects"]
        self.rng = np.random.default_rng(int(config["seed"]))
        self.ref = london_boroughs().set_index("la_name")
        self.london = list(self.ref.index)
        dest = config["destinations"]
        other = config["other_destinations"]
        self.out_las: dict[str, list[str]] = {n: v["districts"] for n, v in dest.items()}
        self.out_las.update({n: [code] for n, code in other.items()})
        codes = list(self.ref["ons_code"]) + [c for v in self.out_las.values() for c in v]
        by_code = sectors_by_district(codes)
        self.sectors: dict[str, list[str]] = {
            la: sorted(s for c in self.out_las[la] for s in by_code[c]) for la in self.out_las
        }
        self.sectors.update({la: by_code[self.ref.loc[la, "ons_code"]] for la in self.london})
        self.sectors = {k: v for k, v in self.sectors.items() if v}
        self.out_names = list(self.out_las)
        self.other_codes = list(config["other_placements"])
        self.other_cum = cumulative([config["other_placements"][k][0] for k in self.other_codes])
        self.homes: list[dict[str, Any]] = []
        self.home_index: dict[str, dict[str, Any]] = {}
        self.children: dict[str, list[dict[str, Any]]] = {}
        self.used_ids: set[str] = set()
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLE_COLUMNS}

    # -- ids and places
    def rival(self, key: str) -> float:
        """Size of a rival mechanism (``rival_*`` effects; 0 or absent plants nothing and
        draws no random number, so the example is unchanged). See docs/mechanisms.md."""
        return float(self.fx.get(key, 0.0) or 0.0)

    def new_id(self, prefix: str, digits: int) -> str:
        while True:
            value = prefix + f"{self.randint(0, 16**digits):0{digits}x}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def sector_in(self, la: str) -> str:
        pool = self.sectors[la]
        return pool[self.randint(0, len(pool))]

    def grade(self, in_london: bool, tilt: float = 0.0) -> str:
        """Grade from England's mix; London homes shifted worse by ``h2_quality`` per grade step;
        ``tilt`` > 0 shifts it better (a home chosen for its grade: rival_grade_avoidance)."""
        mix = self.cfg["grade_mix"]["england"]
        p = np.array([mix[g] for g in GRADES], dtype=float)
        if in_london:
            p = p * np.exp(-self.fx["h2_quality"] * np.arange(len(GRADES)))
        if tilt:
            p = p * np.exp(tilt * np.arange(len(GRADES)))
        if self.rng.random() < self.cfg["not_yet_inspected_share"]:
            return ""
        return GRADES[self.pick(cumulative(p))]

    def add_home(
        self, la: str, sector: str, places: int, in_london: bool, tilt: float = 0.0
    ) -> dict[str, Any]:
        n = len(self.homes) + 1
        if sector == "Local Authority":
            owner = f"{la} Council" if la in self.london else f"{la} County Council"
        else:
            owner = f"Synthetic {sector} Care Provider {1 + n % 97:03d}"
        grade = self.grade(in_london, tilt)
        inspected = (
            "" if grade == "" else fmt_date(dt.date(2021, 4, 1) + days(self.randint(0, 720)))
        )
        home = {
            "URN": f"SC9{90000 + n:05d}",
            "la": la,
            "sector": sector,
            "places": int(places),
            "in_london": in_london,
            "grade": grade,
            "inspected": inspected,
            "owner": owner,
            "post": self.sector_in(la),
            "vacancy_rate": self.vacancy_rate(in_london),
            "regs": self.registrations(in_london),
            "occupants": {},
        }
        self.homes.append(home)
        self.home_index[home["URN"]] = home
        return home

    def vacancy_rate(self, in_london: bool) -> float:
        """A home's staff vacancy rate: Beta(``vacancy_rate_beta``) everywhere, plus
        ``london_vacancy_extra`` in London when ``h6_staffing > 0`` (H6's London mechanism:
        London's providers recruit and keep staff less easily), capped at 0.9.
        The extra draws no random number, so the rest of the data are as without it."""
        rate = float(self.rng.beta(*self.cfg["vacancy_rate_beta"]))
        if in_london and self.fx["h6_staffing"] > 0:
            rate += self.cfg["london_vacancy_extra"]
        return min(rate, 0.9)

    def registrations(self, in_london: bool) -> list[str]:
        """Emotional and behavioural difficulties always; others by base rate, London's
        H1 registrations lowered by ``2 * h1_needs`` log-odds."""
        regs = ["Emotional and behavioural difficulties"]
        for cat, base in REGISTRATION_BASE.items():
            p = base
            if in_london and cat in H1_REGISTRATIONS:
                p = float(logistic(math.log(base / (1 - base)) - 2 * self.fx["h1_needs"]))
            if self.rng.random() < p:
                regs.append(cat)
        return regs

    # -- homes in London from the register calibration
    def build_london_homes(self) -> None:
        design = year_design(self.cfg, 2022)
        for la in self.london:
            b = self.cfg["boroughs"][la]
            ext_places = int(b["external_places_target"])
            in_house_need = int(design.loc[la, "in_house"])
            n_la_homes = 0 if in_house_need == 0 else math.ceil((in_house_need + 2) / 6)
            n_ext = min(max(int(b["homes"]) - n_la_homes, 1), ext_places) if ext_places else 0
            if n_la_homes:
                per = largest_remainder(np.ones(n_la_homes), in_house_need + 2 * n_la_homes)
                for p in per:
                    self.add_home(la, "Local Authority", int(p), True)
            if n_ext:
                sizes = 1 + largest_remainder(1 + self.rng.random(n_ext), ext_places - n_ext)
                for p in sizes:
                    sector = "Voluntary" if self.rng.random() < 16 / 143 else "Private"
                    self.add_home(la, sector, int(p), True)

    # -- cohort
    def cohort(self, year: int) -> dict[str, list[dict[str, Any]]]:
        """Every looked-after child of each borough at 31 March (DfE count), carrying over
        a share of the previous year's children with the same CHILD id."""
        prev = self.children
        snap = dt.date(year, 3, 31)
        out: dict[str, list[dict[str, Any]]] = {}
        for la in self.london:
            n = int(self.cfg["boroughs"][la][f"cla_{year}"])
            carried: list[dict[str, Any]] = []
            if la in prev:
                old = prev[la]
                k = min(n, round(len(old) * self.cfg["children_still_looked_after_next_year"]))
                idx = sorted(self.rng.choice(len(old), size=k, replace=False)) if k else []
                carried = [
                    dict(old[i], carried=True)
                    for i in idx
                    if (snap - old[i]["dob"]).days < 18 * 365
                ]
            kids = carried + [self.new_child(snap) for _ in range(n - len(carried))]
            out[la] = kids
        self.children = out
        return out

    def pick(self, cum: tuple[float, ...]) -> int:
        """Index drawn with the probabilities whose cumulative sums are ``cum``."""
        return min(bisect.bisect_right(cum, self.rng.random()), len(cum) - 1)

    def randint(self, low: int, high: int) -> int:
        """A uniform integer in ``[low, high)`` (one uniform draw: scalar ``integers`` is slow)."""
        return int(low) + int(self.rng.random() * (int(high) - int(low)))

    def new_child(self, snap: dt.date) -> dict[str, Any]:
        age = self.pick(_AGE_CUM)
        dob = (snap - days(age * 365.25 + self.randint(0, 360))).replace(day=1)
        return {
            "CHILD": self.new_id("", 12),
            "dob": dob,
            "sex": 1 if self.rng.random() < 0.56 else 2,
            "ethnic": _ETHNIC_CODES[self.pick(_ETHNIC_CUM)],
            "carried": False,
            "last": None,
        }

    def needs(self, kid: dict[str, Any]) -> dict[str, bool]:
        return {k: bool(self.rng.random() < p) for k, p in self.cfg["needs_prevalence"].items()}

    # -- one year
    def year(self, year: int) -> None:
        design = year_design(self.cfg, year)
        kids = self.cohort(year)
        snap = dt.date(year, 3, 31)
        k2_by_la: dict[str, list[dict[str, Any]]] = {}
        for la in self.london:
            pool = kids[la]
            n_k2 = int(design.loc[la, "k2"])
            age = np.array([(snap - c["dob"]).days / 365.25 for c in pool])
            w = np.where(age >= 11, 1.0, 0.0) * (
                1 + 2 * np.array([c["last"] == "K2" for c in pool])
            )
            chosen = weighted_pick(self.rng, w + 1e-12, n_k2)
            k2_by_la[la] = [pool[i] for i in sorted(chosen)]
            for c in pool:
                c["place"] = None
            for c in k2_by_la[la]:
                c["place"] = "K2"
                c["needs"] = self.needs(c)
                c["hard"] = sum(c["needs"][k] for k in self.cfg["hard_to_place_needs"])
        self.allocate_location(design, k2_by_la)
        self.allocate_homes(year, design, k2_by_la)
        for la in self.london:
            for c in kids[la]:
                self.write_child(year, la, c)
        self.write_staffing(year)
        self.write_referrals(year, k2_by_la)
        self.rows["fieldwork"].extend(
            fieldwork_frame(self.rng, year, 60 + self.randint(0, 31)).to_dict("records")
        )
        for la in self.london:
            for c in kids[la]:
                c["last"] = c["place"]

    def allocate_location(
        self, design: pd.DataFrame, k2_by_la: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Mark ``loc`` = OUT / IN (own borough) / OOB (other London) for every K2 child.

        Weight of going outside London: ``exp(h1_needs * hard-to-place needs)``. With
        ``h3_practice > 0`` each borough's planted count goes outside; with 0 the London total is
        allocated over all children pooled (borough shares then follow needs only).
        """
        h1 = self.fx["h1_needs"]
        if self.fx["h3_practice"] > 0:
            n_out = {la: int(design.loc[la, "outside"]) for la in self.london}
            for la, ks in k2_by_la.items():
                w = np.exp(h1 * np.array([c["hard"] for c in ks], dtype=float))
                out = set(weighted_pick(self.rng, w, n_out[la]).tolist())
                for i, c in enumerate(ks):
                    c["loc"] = "OUT" if i in out else "LON"
        else:
            flat = [(la, c) for la in self.london for c in k2_by_la[la]]
            w = np.exp(h1 * np.array([c["hard"] for _, c in flat], dtype=float))
            sd = self.rival("rival_borough_sd")
            if sd > 0:  # a structural borough effect, no practice in it (Outer vs Inner)
                outer = (self.ref["inner_outer"].astype(str).str.lower() == "outer").astype(float)
                z = (outer - outer.mean()) / outer.std(ddof=0)
                w = w * np.exp(sd * np.array([z[la] for la, _ in flat]))
            out = set(weighted_pick(self.rng, w, int(design["outside"].sum())).tolist())
            for i, (_, c) in enumerate(flat):
                c["loc"] = "OUT" if i in out else "LON"
        for la, ks in k2_by_la.items():
            lon = [c for c in ks if c["loc"] == "LON"]
            d = design.loc[la]
            planned = int(d["in_borough"]) + int(d["london_oob"])
            frac = int(d["in_borough"]) / planned if planned else 0.5
            n_in = (
                min(len(lon), round(len(lon) * frac))
                if planned != len(lon)
                else int(d["in_borough"])
            )
            for i, c in enumerate(lon):
                c["loc"] = "IN" if i < n_in else "OOB"

    def capacity(self, home: dict[str, Any], year: int) -> int:
        return home["places"] - len(home["occupants"].get(year, []))

    def place(self, c: dict[str, Any], home: dict[str, Any], year: int) -> None:
        home["occupants"].setdefault(year, []).append(c["CHILD"])
        c["home"] = home

    def pick_london_home(self, la: str, year: int, sectors: set[str]) -> dict[str, Any] | None:
        homes = [
            h
            for h in self.homes
            if h["la"] == la and h["sector"] in sectors and self.capacity(h, year) > 0
        ]
        if not homes:
            return None
        w = np.array(
            [
                self.capacity(h, year)
                * math.exp(
                    (self.fx["h2_quality"] + self.rival("rival_grade_avoidance"))
                    * GRADE_SCORE.get(h["grade"], 1.5)
                )
                for h in homes
            ]
        )
        return homes[int(weighted_pick(self.rng, w, 1)[0])]

    def ext_capacity(self, la: str, year: int) -> int:
        return sum(
            self.capacity(h, year)
            for h in self.homes
            if h["la"] == la and h["sector"] in {"Private", "Voluntary"}
        )

    def allocate_homes(
        self, year: int, design: pd.DataFrame, k2_by_la: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Put every K2 child in a home: in-house first, then own borough, then London hosts
        (the busiest host, Redbridge, takes the first 14 placing boroughs), then outside London."""
        ext = {"Private", "Voluntary"}
        for la in self.london:
            n_house = int(design.loc[la, "in_house"])
            for c in [c for c in k2_by_la[la] if c["loc"] == "IN"]:
                home = self.pick_london_home(la, year, {"Local Authority"}) if n_house > 0 else None
                if home is not None:
                    n_house -= 1
                    c["provider"] = "PR1"
                else:
                    home = self.pick_london_home(la, year, ext)
                    if home is None:  # own borough full (only off-design, h3_practice = 0)
                        c["loc"] = "OOB"
                        continue
                    c["provider"] = "PR4" if home["sector"] == "Private" else "PR5"
                self.place(c, home, year)
        busiest = self.cfg["report_targets_2022"]["busiest_host_borough"]
        cap_busiest = self.cfg["report_targets_2022"]["max_london_las_placing_in_one_borough"]
        placers: dict[str, set[str]] = {la: set() for la in self.london}
        for la in self.london:
            if any(c["loc"] == "IN" for c in k2_by_la[la]):
                placers[la].add(la)
        for la in self.london:
            oob = [c for c in k2_by_la[la] if c["loc"] == "OOB"]
            if not oob:
                continue
            n_hosts = max(
                1,
                min(
                    len(oob),
                    int(design.loc[la, "london_las"])
                    - (1 if any(c["loc"] == "IN" for c in k2_by_la[la]) else 0),
                ),
            )
            hosts = [
                h
                for h in self.london
                if h != la
                and self.ext_capacity(h, year) > 0
                and (len(placers[h]) < cap_busiest - (h != busiest) or la in placers[h])
            ]
            chosen: list[str] = []
            if busiest != la and len(placers[busiest]) < cap_busiest and busiest in hosts:
                chosen.append(busiest)
            rest = [h for h in hosts if h not in chosen]
            w = np.array([self.ext_capacity(h, year) for h in rest], dtype=float)
            chosen += [rest[i] for i in weighted_pick(self.rng, w, n_hosts - len(chosen))]
            for i, c in enumerate(oob):
                host = chosen[i % len(chosen)]
                home = self.pick_london_home(host, year, ext)
                if home is None:
                    fallback = [h for h in chosen if self.ext_capacity(h, year) > 0] or [
                        h for h in self.london if h != la and self.ext_capacity(h, year) > 0
                    ]
                    home = self.pick_london_home(fallback[0], year, ext)
                c["provider"] = "PR4" if home["sector"] == "Private" else "PR5"
                self.place(c, home, year)
                placers[home["la"]].add(la)
        self.allocate_outside(year, k2_by_la)

    def allocate_outside(self, year: int, k2_by_la: dict[str, list[dict[str, Any]]]) -> None:
        """Outside London: the eight named destinations take ``eight_destinations_share`` of the
        placements (exact), the rest spread over the other LAs; homes created as needed."""
        outs = [c for la in self.london for c in k2_by_la[la] if c["loc"] == "OUT"]
        dest = self.cfg["destinations"]
        eight = [n for n in dest if n in self.sectors]
        others = [n for n in self.cfg["other_destinations"] if n in self.sectors]
        n8 = round(len(outs) * self.cfg["eight_destinations_share"])
        alloc8 = largest_remainder(np.array([dest[n]["weight"] for n in eight], dtype=float), n8)
        alloc_o = largest_remainder(
            np.ones(len(others)) + self.rng.random(len(others)), len(outs) - n8
        )
        targets = [n for n, k in zip(eight, alloc8, strict=True) for _ in range(k)]
        targets += [n for n, k in zip(others, alloc_o, strict=True) for _ in range(k)]
        order = self.rng.permutation(len(outs))
        sizes = self.cfg["out_of_london_home_places"]
        for child_i, la in zip(order, targets, strict=True):
            c = outs[child_i]
            free = [h for h in self.homes if h["la"] == la and self.capacity(h, year) > 0]
            avoid = self.rival("rival_grade_avoidance")
            if free and self.rng.random() < 0.85:
                if avoid > 0:  # boroughs avoid poorly rated homes everywhere
                    w = np.exp(avoid * np.array([GRADE_SCORE.get(h["grade"], 1.5) for h in free]))
                    home = free[int(weighted_pick(self.rng, w, 1)[0])]
                else:
                    home = free[self.randint(0, len(free))]
            else:
                sector = "Voluntary" if self.rng.random() < 0.12 else "Private"
                size = int(sizes[self.randint(0, len(sizes))])
                home = self.add_home(la, sector, size, False, tilt=avoid)
            c["provider"] = "PR4" if home["sector"] == "Private" else "PR5"
            self.place(c, home, year)

    # -- writing rows
    def write_child(self, year: int, la: str, c: dict[str, Any]) -> None:
        snap = dt.date(year, 3, 31)
        start_window = dt.date(year - 1, 4, 1)
        self.rows["header"].append(
            {
                "CHILD": c["CHILD"],
                "SEX": c["sex"],
                "DOB": fmt_date(c["dob"]),
                "ETHNIC": c["ethnic"],
                "LA": la,
                "YEAR": year,
            }
        )
        home_post = self.sector_in(la)
        if c["place"] == "K2":
            p_start = self.cfg["k2_current_placement_started_in_year"]
            if self.rival("rival_cost_inflation") > 0 and c["home"]["in_london"]:
                p_start = max(p_start, 0.85)  # London placements more recent (H4 rival)
            started_in_year = self.rng.random() < p_start
            place, provider = "K2", c["provider"]
            pl_post, urn = c["home"]["post"], c["home"]["URN"]
        else:
            started_in_year = self.rng.random() < 0.35
            opts = self.cfg["other_placements"]
            place = self.other_codes[self.pick(self.other_cum)]
            provs = opts[place][1]
            provider = provs[self.randint(0, len(provs))]
            r = self.rng.random()
            where = (
                la
                if r < 0.6
                else (
                    self.london[self.randint(0, len(self.london))]
                    if r < 0.9
                    else self.out_names[self.randint(0, len(self.out_names))]
                )
            )
            pl_post = self.sector_in(where) if where in self.sectors else self.sector_in(la)
            urn = ""
        earliest = max(c["dob"] + days(30), snap - days(3 * 365))
        if started_in_year:
            lo = max(start_window, earliest)
        else:
            lo, start_window = earliest, min(start_window, snap)
        hi = start_window if not started_in_year and start_window > lo else snap
        span = max((hi - lo).days, 1)
        decom = lo + days(self.randint(0, span))
        decom = min(decom, snap)
        c["decom"] = decom
        c["started_in_year"] = started_in_year and decom >= dt.date(year - 1, 4, 1)
        ls = ("C2", "V2", "C1")[self.pick(_LS_CUM)]
        cin = f"N{self.pick(_CIN_CUM) + 1}"
        rne = "S"
        if c["carried"] and c["started_in_year"] and decom > start_window:
            prev_start = decom - days(self.randint(120, 500))
            prev_start = max(prev_start, c["dob"] + days(1))
            if prev_start < decom:
                self.rows["episodes"].append(
                    {
                        "CHILD": c["CHILD"],
                        "DECOM": fmt_date(prev_start),
                        "RNE": "S",
                        "LS": ls,
                        "CIN": cin,
                        "PLACE": "U4",
                        "PLACE_PROVIDER": "PR1",
                        "DEC": fmt_date(decom),
                        "REC": "X1",
                        "REASON_PLACE_CHANGE": ["CARPL", "CHILD", "PLACE", "LAREQ"][
                            self.randint(0, 4)
                        ],
                        "HOME_POST": home_post,
                        "PL_POST": self.sector_in(la),
                        "URN": "",
                        "LA": la,
                        "YEAR": year,
                    }
                )
                rne = "P"
        self.rows["episodes"].append(
            {
                "CHILD": c["CHILD"],
                "DECOM": fmt_date(decom),
                "RNE": rne,
                "LS": ls,
                "CIN": cin,
                "PLACE": place,
                "PLACE_PROVIDER": provider,
                "DEC": "",
                "REC": "",
                "REASON_PLACE_CHANGE": "",
                "HOME_POST": home_post,
                "PL_POST": pl_post,
                "URN": urn,
                "LA": la,
                "YEAR": year,
            }
        )
        if c["place"] == "K2":
            self.write_needs_and_cost(year, la, c)

    def write_needs_and_cost(self, year: int, la: str, c: dict[str, Any]) -> None:
        row: dict[str, Any] = {"CHILD": c["CHILD"], "LA": la, "YEAR": year}
        blank = self.cfg["needs_blank_share"]
        for k, v in c["needs"].items():
            if self.rng.random() < blank:
                row[k] = ""
            elif k.startswith("risk_"):
                row[k] = "Risk Present" if v else "No known risk"
            else:
                row[k] = "Y" if v else "N"
        self.rows["needs"].append(row)
        cfg = self.cfg
        home = c["home"]
        if c["provider"] == "PR1":
            proc = "In-house"
        else:
            pm = cfg["procurement"]
            proc = list(pm)[self.pick(cumulative(pm))]
        log_cost = (
            cfg["cost_log_mean"]
            + cfg["cost_need_loading"] * c["hard"]
            + (cfg["cost_voluntary"] if home["sector"] == "Voluntary" else 0.0)
            + (cfg["cost_in_house"] if proc == "In-house" else 0.0)
            + {"Framework": -0.05, "Spot": 0.05, "Block": -0.08, "In-house": 0.0}[proc]
            + self.fx["h4_cost"] * float(home["in_london"])
            + self.rival("rival_cost_inflation")
            * ((c["decom"] - dt.date(year, 3, 31)).days / 365.25)
            + self.rng.normal(0, cfg["cost_log_sd"])
        )
        core = round(math.exp(log_cost), 2)
        add = round(core * (0, 0, 0.1, 0.2, 0.35)[self.randint(0, 5)], 2)
        edu = float((0, 0, 450, 900)[self.randint(0, 4)])
        other = float((0, 0, 0, 120)[self.randint(0, 4)])
        self.rows["costs"].append(
            {
                "CHILD": c["CHILD"],
                "LA": la,
                "URN": home["URN"],
                "placement_start": fmt_date(c["decom"]),
                "core_weekly_cost": f"{core:.2f}",
                "additional_support_weekly_cost": f"{add:.2f}",
                "education_weekly_cost": f"{edu:.2f}",
                "other_weekly_cost": f"{other:.2f}",
                "total_weekly_cost": f"{core + add + edu + other:.2f}",
                "procurement": proc,
                "YEAR": year,
            }
        )

    def write_staffing(self, year: int) -> None:
        """Occupancy at the snapshot: London children (known), other LAs' children (a share of
        the rest), places out of use for lack of staff (only when ``h6_staffing > 0``), free."""
        h6 = self.fx["h6_staffing"]
        for h in self.homes:
            occ = len(h["occupants"].get(year, []))
            rest = h["places"] - occ
            others = (
                int(self.rng.binomial(rest, self.cfg["home_occupancy_by_others"]))
                if rest > 0
                else 0
            )
            rest -= others
            floor = self.rival("rival_staffing_floor")
            if h6 > 0 and rest > 0:
                unavailable = int(self.rng.binomial(rest, min(1.0, h["vacancy_rate"] * 2.5)))
            elif floor > 0 and rest > 0:  # the same share out of use in every home (H6 rival)
                unavailable = int(self.rng.binomial(rest, floor))
            else:
                unavailable = 0
            est = round(
                h["places"] * self.cfg["staff_per_place"] + float(self.rng.normal(1.5, 0.5)), 1
            )
            est = max(est, 1.0)
            h.setdefault("vac", {})[year] = h["vacancy_rate"]
            self.rows["home_staffing"].append(
                {
                    "URN": h["URN"],
                    "snapshot_date": f"31/03/{year}",
                    "registered_places": h["places"],
                    "places_available": rest - unavailable,
                    "places_unavailable_staffing": unavailable,
                    "staff_vacancies_fte": f"{round(h['vacancy_rate'] * est, 1):.1f}",
                    "staff_establishment_fte": f"{est:.1f}",
                    "staff_leavers_12m": int(self.rng.poisson(est * self.cfg["leavers_per_fte"])),
                }
            )

    def write_referrals(self, year: int, k2_by_la: dict[str, list[dict[str, Any]]]) -> None:
        """Referrals for K2 children whose placement started in the year (see mechanisms.md)."""
        cfg, fx = self.cfg, self.fx
        london_homes = [
            h for h in self.homes if h["in_london"] and h["sector"] != "Local Authority"
        ]
        out_homes = [h for h in self.homes if not h["in_london"]]
        mean_vac = cfg["vacancy_rate_beta"][0] / sum(cfg["vacancy_rate_beta"])
        window_start = dt.date(year - 1, 4, 1)
        nb = cfg["needed_by"]
        nb_names, nb_cum = list(nb), cumulative(nb)
        for la in self.london:
            for c in k2_by_la[la]:
                if not c.get("started_in_year"):
                    continue
                strengths = self.rng.random() < cfg["strengths_based_share"]
                complete = float(self.rng.beta(*cfg["completeness_beta"]))
                high_risk = any(c["needs"][k] for k in cfg["high_risk_needs"])
                child_sd = self.rival("rival_child_sd")
                child_u = float(self.rng.normal(0.0, child_sd)) if child_sd > 0 else 0.0
                n = int(self.rng.poisson(cfg["referrals_per_child_mean"]))
                targets = []
                for _ in range(n):
                    pool = (
                        london_homes
                        if self.rng.random() < cfg["referral_share_to_london_homes"]
                        else out_homes
                    )
                    targets.append(pool[self.randint(0, len(pool))])
                targets.append(c["home"])
                for j, home in enumerate(targets):
                    final = j == len(targets) - 1
                    local = home["in_london"] and is_local(la, home["la"])
                    vac = home["vacancy_rate"]
                    eta = (
                        cfg["acceptance_base_logodds"]
                        + fx["h3_practice"] * (strengths - cfg["strengths_based_share"])
                        + 2 * fx["h3_practice"] * (complete - 4 / 6)
                        - fx["h5_risk"] * high_risk
                        - fx["h5_local_extra"] * (high_risk and local) * (fx["h5_risk"] != 0)
                        - fx["h6_staffing"] * 10 * (vac - mean_vac)
                        + child_u
                    )
                    u = self.rng.random()
                    reason = ""
                    if final:
                        response = "Accepted"
                    elif u < cfg["no_response_share"]:
                        response = "No response"
                    elif u < cfg["no_response_share"] + cfg["withdrawn_share"]:
                        response = "Withdrawn"
                    elif self.rng.random() < logistic(eta):
                        response = "Accepted"
                    else:
                        response = "Declined"
                        w = np.array([3, 2, 1, 1, 3, 1, 1, 0.5])
                        w[2] *= 1 + 4 * fx["h5_risk"] * high_risk
                        w[3] *= 1 + 10 * fx["h6_staffing"] * vac
                        w[5] *= 1 + 2 * fx["h3_practice"] * (1 - complete)
                        reason = DECLINE_REASONS[self.pick(cumulative(w))]
                    lo = max(window_start, c["decom"] - days(60))
                    date = lo + days(self.randint(0, max((c["decom"] - lo).days, 0) + 1))
                    self.rows["referrals"].append(
                        {
                            "referral_id": self.new_id("R", 10),
                            "CHILD": c["CHILD"],
                            "LA": la,
                            "URN": home["URN"],
                            "referral_date": fmt_date(date),
                            "needed_by": nb_names[self.pick(nb_cum)],
                            "response": response,
                            "decline_reason": reason,
                            "profile_strengths_based": "Y" if strengths else "N",
                            "profile_completeness": f"{complete:.2f}",
                        }
                    )

    def homes_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        homes = pd.DataFrame(
            [
                {
                    "URN": h["URN"],
                    "Provision type": "Children's home",
                    "Local authority": h["la"],
                    "Sector": h["sector"],
                    "Places": h["places"],
                    "Registration status": "Active",
                    "Overall experiences and progress of children and young people": h["grade"],
                    "Latest full inspection date": h["inspected"],
                    "Organisation which owns the provider": h["owner"],
                }
                for h in self.homes
            ]
        )
        regs = pd.DataFrame(
            [{"URN": h["URN"], "category": r} for h in self.homes for r in h["regs"]]
        )
        return homes, regs


def generate_frames(
    config: dict[str, Any], *, progress: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """All contract tables of the synthetic example, in file format (strings as written).

    ``progress`` (optional) is called with a short description after each step.
    """
    step = progress or (lambda _msg: None)
    gen = _Generator(config)
    step("postcode sectors loaded")
    gen.build_london_homes()
    step("London homes built")
    for year in sorted(config["years"]):
        gen.year(int(year))
        step(f"{year} snapshot generated")
    frames = {t: pd.DataFrame(rows, columns=TABLE_COLUMNS[t]) for t, rows in gen.rows.items()}
    frames["homes"], frames["home_registrations"] = gen.homes_frames()
    step("tables assembled")
    return frames


def write_dataset(
    frames: dict[str, pd.DataFrame], out_dir: Path | str, *, metadata: dict[str, Any] | None = None
) -> None:
    """Write each table as ``<name>.csv`` (sorted rows, ``\\n`` line ends, UTF-8) plus ``dataset.yaml``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in sorted(frames.items()):
        text = df.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
        text = text.sort_values(list(text.columns), kind="stable")
        text.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
    meta = metadata or {
        "name": "London example (synthetic)",
        "synthetic": True,
        "description": "SYNTHETIC data generated by analysis.example from config/example.yaml; "
        "calibrated to the 2022 NCB/Isos report's headline figures. No real child is represented.",
    }
    (out / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=True), encoding="utf-8")


def generate_command(out: Path, config: Path | None = None) -> int:
    """``report example generate``: load config, generate, write; shows a progress bar of the
    steps. Returns 0."""
    from rich.progress import Progress

    cfg = load_config(config)
    with Progress() as progress:
        task = progress.add_task("Generating the synthetic example", total=5 + len(cfg["years"]))
        progress.advance(task)

        def step(message: str) -> None:
            progress.update(task, advance=1, description=message)

        frames = generate_frames(cfg, progress=step)
        write_dataset(frames, out)
        step("written")
    print(f"Wrote {', '.join(sorted(frames))} to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    generate_command(EXAMPLE_DATA)
