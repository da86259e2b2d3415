"""Small canonical datasets with known planted effects, for the hypothesis 1-3 unit tests.

Independent of the example generator on purpose: each knob plants exactly one mechanism, so a
test can check that a method finds what was planted and nothing when nothing was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.boroughs import london_boroughs
from analysis.dataset import Dataset

YEAR = 2022
HARD = [
    "risk_criminal_exploitation",
    "mental_health_inpatient_stepdown",
    "late_entry_to_care",
    "solo_placement_recommended",
    "deprivation_of_liberty",
]
OTHER = [
    "risk_sexual_exploitation",
    "risk_missing",
    "risk_self_harm",
    "risk_to_others",
    "risk_drug_alcohol",
    "mental_health_need",
    "ehcp",
    "uasc",
]
GRADES = ["Inadequate", "Requires improvement to be good", "Good", "Outstanding"]


def borough_effect_frame(
    seed: int, sd: float, structural: float, boroughs: int = 30, size: int = 40
) -> pd.DataFrame:
    """Children in ``boroughs`` boroughs: a random borough effect of SD ``sd`` and a structural
    one (an Inner indicator times ``structural``) on the log-odds of an outside placement
    (columns ``LA``, ``inner``, ``need``, ``outside``)."""
    rng = np.random.default_rng(seed)
    la = np.repeat([f"B{i:02d}" for i in range(boroughs)], size)
    inner = np.repeat((np.arange(boroughs) % 2).astype(float), size)
    u = np.repeat(rng.normal(0, sd, boroughs), size)
    need = rng.integers(0, 2, len(la)).astype(float)
    eta = 0.3 + 0.5 * need + structural * (inner - 0.5) * 2 + u
    outside = (rng.random(len(la)) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"LA": la, "inner": inner, "need": need, "outside": outside})


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def make_dataset(
    seed: int = 0,
    *,
    n_children: int = 700,
    needs_effect: float = 0.0,
    borough_sd: float = 0.0,
    profile_effect: float = 0.0,
    grade_effect: float = 0.0,
    mental_disorders_share: float = 0.5,
    out_mental_disorders_share: float = 0.5,
    free_places_per_home: int = 3,
    n_london_homes: int = 120,
    structural_sd: float = 0.0,
) -> Dataset:
    """A canonical :class:`Dataset` of London K2 placements on 31 March ``YEAR``.

    ``needs_effect``: log-odds of a placement outside London per hard-to-place need.
    ``borough_sd``: SD of borough log-odds of outside placement beyond needs.
    ``profile_effect``: log-odds of acceptance for strengths-based + complete profile.
    ``grade_effect``: London homes graded worse by this many grade steps (on average) than
    out-of-London homes, and London children's use of a London home rising with its grade.
    ``mental_disorders_share``: share of London homes registered for Mental disorders;
    ``out_mental_disorders_share``: the same for the homes outside London (the benchmark).
    ``structural_sd``: a structural borough effect (Inner vs Outer London, standardised over
    the boroughs, times this SD) on the log-odds of an outside placement, with no practice.
    Children have an age (header DOB), a sex and a legal status (C2 / V2 / C1).
    """
    rng = np.random.default_rng(seed)
    ref = london_boroughs()
    las = ref["la_name"].to_numpy()
    la_ons = dict(zip(ref["la_name"], ref["ons_code"], strict=True))
    n = n_children
    child = np.array([f"C{i:05d}" for i in range(n)])
    la = rng.choice(las, n)
    needs = {c: rng.random(n) < 0.15 for c in HARD}
    needs.update({c: rng.random(n) < 0.25 for c in OTHER})
    hard_count = sum(needs[c].astype(int) for c in HARD)
    borough_eff = dict(zip(las, rng.normal(0, borough_sd, len(las)), strict=True))
    inner = (ref["inner_outer"].to_numpy() == "Inner").astype(float)
    z_inner = (inner - inner.mean()) / inner.std()
    for name, z in zip(las, z_inner, strict=True):
        borough_eff[name] += structural_sd * z
    logit = (
        -0.4 - needs_effect * 0.75 + needs_effect * hard_count + np.vectorize(borough_eff.get)(la)
    )
    outside = rng.random(n) < _logistic(logit)

    # homes: London and out-of-London, graded
    base = np.array([0.05, 0.2, 0.55, 0.2])
    worse = np.array([0.15, 0.35, 0.4, 0.1]) if grade_effect > 0 else base
    n_out_homes = 150
    london_grades = rng.choice(GRADES, n_london_homes, p=worse)
    out_grades = rng.choice(GRADES, n_out_homes, p=base)
    london_urns = np.array([f"1{i:05d}" for i in range(n_london_homes)])
    out_urns = np.array([f"2{i:05d}" for i in range(n_out_homes)])
    score = {g: i + 1 for i, g in enumerate(GRADES)}
    w = np.exp(grade_effect * 1.5 * np.vectorize(score.get)(london_grades))
    urn = np.where(
        outside,
        rng.choice(out_urns, n),
        rng.choice(london_urns, n, p=w / w.sum()),
    )
    pl_la = np.where(outside, "E10000016", np.vectorize(la_ons.get)(rng.choice(las, n)))
    episodes = pd.DataFrame(
        {
            "CHILD": child,
            "DECOM": pd.Timestamp(YEAR - 1, 6, 1),
            "RNE": "S",
            "LS": rng.choice(["C2", "V2", "C1"], n, p=[0.7, 0.25, 0.05]),
            "CIN": "N1",
            "PLACE": "K2",
            "PLACE_PROVIDER": "PR4",
            "DEC": pd.NaT,
            "REC": "",
            "REASON_PLACE_CHANGE": "",
            "HOME_POST": "",
            "PL_POST": "",
            "URN": urn,
            "LA": la,
            "YEAR": YEAR,
            "PL_LA": pl_la,
            "PL_LOCATION": "OUT",
            "PL_DISTANCE": 10.0,
        }
    )
    homes = pd.DataFrame(
        {
            "urn": np.concatenate([london_urns, out_urns]),
            "provision_type": "Children's home",
            "local_authority": ["Camden"] * n_london_homes + ["Kent"] * n_out_homes,
            "sector": "Private",
            "places": 4,
            "registration_status": "Active",
            "grade": np.concatenate([london_grades, out_grades]),
            "latest_inspection_date": pd.Timestamp(YEAR - 1, 1, 1),
            "owner": "X",
            "la_ons_code": ["E09000007"] * n_london_homes + ["E10000016"] * n_out_homes,
            "in_london": [True] * n_london_homes + [False] * n_out_homes,
        }
    )
    regs = [{"URN": u, "category": "Emotional and behavioural difficulties"} for u in london_urns]
    regs += [
        {"URN": u, "category": "Mental disorders"}
        for u in london_urns
        if rng.random() < mental_disorders_share
    ]
    regs += [{"URN": u, "category": "Emotional and behavioural difficulties"} for u in out_urns]
    regs += [
        {"URN": u, "category": "Mental disorders"}
        for u in out_urns
        if rng.random() < out_mental_disorders_share
    ]
    staffing = pd.DataFrame(
        {
            "URN": london_urns,
            "snapshot_date": pd.Timestamp(YEAR, 3, 31),
            "registered_places": 4,
            "places_available": rng.integers(0, 2 * free_places_per_home + 1, n_london_homes),
            "places_unavailable_staffing": 0,
            "staff_vacancies_fte": 1.0,
            "staff_establishment_fte": 10.0,
            "staff_leavers_12m": 2,
        }
    )
    needs_df = pd.DataFrame({"CHILD": child, "LA": la})
    for c, v in needs.items():
        needs_df[c] = pd.array(v, dtype="boolean")
    # referrals: 3 per child
    m = 3 * n
    r_child = np.repeat(child, 3)
    r_la = np.repeat(la, 3)
    sb = rng.random(m) < 0.5
    comp = rng.uniform(0.3, 1.0, m)
    risk = np.repeat(sum(needs[c].astype(int) for c in HARD[:1] + OTHER[:5]), 3)
    acc = rng.random(m) < _logistic(-0.8 + profile_effect * (sb + comp) / 2 - 0.2 * risk)
    referrals = pd.DataFrame(
        {
            "referral_id": [f"R{i}" for i in range(m)],
            "CHILD": r_child,
            "LA": r_la,
            "URN": rng.choice(london_urns, m),
            "referral_date": pd.Timestamp(YEAR - 1, 10, 1),
            "needed_by": "Today",
            "response": np.where(acc, "Accepted", "Declined"),
            "decline_reason": "",
            "profile_strengths_based": pd.array(sb, dtype="boolean"),
            "profile_completeness": comp,
        }
    )
    fieldwork = pd.DataFrame(
        {
            "evidence_id": ["E1", "E2", "E3"],
            "source_type": "Borough fieldwork",
            "LA": "",
            "hypothesis": [1, 1, 3],
            "stance": ["Supports", "Supports", "Mixed"],
            "theme": "x",
            "summary": "y",
        }
    )
    tables = {
        "episodes": episodes,
        "header": pd.DataFrame(
            {
                "CHILD": child,
                "SEX": rng.choice(["1", "2"], n),
                "DOB": pd.Timestamp(YEAR, 3, 1)
                - pd.to_timedelta(rng.integers(10 * 365, 17 * 365, n), unit="D"),
                "LA": la,
                "YEAR": YEAR,
            }
        ),
        "homes": homes,
        "home_registrations": pd.DataFrame(regs),
        "home_staffing": staffing,
        "needs": needs_df,
        "referrals": referrals,
        "fieldwork": fieldwork,
    }
    return Dataset(tables=tables, source_dir=Path("."), metadata={"synthetic": True})


def without(ds: Dataset, *tables: str) -> Dataset:
    """The same dataset with some optional tables removed."""
    kept = {k: v for k, v in ds.tables.items() if k not in tables}
    return Dataset(tables=kept, source_dir=ds.source_dir, metadata=ds.metadata)
