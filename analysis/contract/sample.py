"""A tiny hand-made dataset in file format that meets the contract (for tests and examples).

Not the example dataset (``analysis.example`` generates that): four children, two London
boroughs, three homes, every table present, written the way councils' files look.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def minimal_frames() -> dict[str, pd.DataFrame]:
    """Every contract table, file-format headings, a handful of valid rows each."""
    episodes = pd.DataFrame(
        {
            "CHILD": ["C001", "C002", "C003", "C004", "C001"],
            "DECOM": ["01/06/2021", "15/09/2021", "2020-01-10", "03/03/2022", "01/02/2020"],
            "RNE": ["S", "P", "S", "S", "S"],
            "LS": ["C2", "C2", "J2", "V2", "C2"],
            "CIN": ["N1", "N2", "N4", "N1", "N1"],
            "PLACE": ["K2", "K2", "K2", "U1", "U1"],
            "PLACE_PROVIDER": ["PR1", "PR4", "PR4", "PR4", "PR4"],
            "DEC": ["", "", "", "", "01/06/2021"],
            "REC": ["", "", "", "", "E11"],
            "REASON_PLACE_CHANGE": ["", "CARPL", "", "", ""],
            "HOME_POST": ["E1 6", "SE1 7", "N1 9", "E8 1", "E1 6"],
            "PL_POST": ["E2 8", "ME4 4", "B1 1", "E8 2", "E1 7"],
            "URN": ["1000001", "1000002", "1000003", "", ""],
            "LA": ["Tower Hamlets", "Southwark", "Islington", "Hackney", "Tower Hamlets"],
            "YEAR": ["2022"] * 5,
        }
    )
    header = pd.DataFrame(
        {
            "CHILD": ["C001", "C002", "C003", "C004"],
            "SEX": ["1", "2", "1", "2"],
            "DOB": ["01/05/2007", "01/11/2006", "01/01/2008", "01/07/2009"],
            "ETHNIC": ["WBRI", "BAFR", "MWBC", "WBRI"],
            "LA": ["Tower Hamlets", "Southwark", "Islington", "Hackney"],
            "YEAR": ["2022"] * 4,
        }
    )
    homes = pd.DataFrame(
        {
            "URN": ["1000001", "1000002", "1000003"],
            "Provision type": ["Children's home"] * 3,
            "Local authority": ["Hackney", "Medway", "Birmingham"],
            "Sector": ["Local Authority", "Private", "Private"],
            "Places": ["4", "3", "5"],
            "Registration status": ["Active"] * 3,
            "Overall experiences and progress of children and young people": [
                "Good",
                "Requires improvement to be good",
                "",
            ],
            "Latest full inspection date": ["12/10/2021", "03/02/2022", ""],
            "Organisation which owns the provider": ["Hackney Council", "Acme Care Ltd", "B Ltd"],
        }
    )
    home_registrations = pd.DataFrame(
        {"URN": ["1000001", "1000002"], "category": ["Emotional and behavioural difficulties"] * 2}
    )
    home_staffing = pd.DataFrame(
        {
            "URN": ["1000001"],
            "snapshot_date": ["31/03/2022"],
            "registered_places": ["4"],
            "places_available": ["3"],
            "places_unavailable_staffing": ["1"],
            "staff_vacancies_fte": ["2.5"],
            "staff_establishment_fte": ["12"],
            "staff_leavers_12m": ["3"],
        }
    )
    needs = pd.DataFrame(
        {
            "CHILD": ["C001", "C002"],
            "LA": ["Tower Hamlets", "Southwark"],
            **{
                r: ["Risk Present", "No known risk"]
                for r in (
                    "risk_criminal_exploitation",
                    "risk_sexual_exploitation",
                    "risk_missing",
                    "risk_self_harm",
                    "risk_to_others",
                    "risk_drug_alcohol",
                )
            },
            **{
                n: ["Y", "N"]
                for n in (
                    "mental_health_need",
                    "mental_health_inpatient_stepdown",
                    "deprivation_of_liberty",
                    "solo_placement_recommended",
                    "ehcp",
                    "late_entry_to_care",
                    "uasc",
                )
            },
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": ["R1", "R2", "R3"],
            "CHILD": ["C001", "C002", "C002"],
            "LA": ["Tower Hamlets", "Southwark", "Southwark"],
            "URN": ["1000001", "1000001", "1000002"],
            "referral_date": ["20/05/2021", "01/09/2021", "02/09/2021"],
            "needed_by": ["Less than 5 days", "Today", "Today"],
            "response": ["Accepted", "Declined", "Accepted"],
            "decline_reason": ["", "No vacancy", ""],
            "profile_strengths_based": ["Y", "N", "N"],
            "profile_completeness": ["0.9", "0.5", "0.5"],
        }
    )
    costs = pd.DataFrame(
        {
            "CHILD": ["C001", "C002"],
            "LA": ["Tower Hamlets", "Southwark"],
            "URN": ["1000001", "1000002"],
            "placement_start": ["01/06/2021", "15/09/2021"],
            "core_weekly_cost": ["4000", "5200"],
            "additional_support_weekly_cost": ["500", "800"],
            "education_weekly_cost": ["0", "300"],
            "other_weekly_cost": ["", "100"],
            "total_weekly_cost": ["4500", "6400"],
            "procurement": ["In-house", "Spot"],
        }
    )
    fieldwork = pd.DataFrame(
        {
            "evidence_id": ["F1"],
            "source_type": ["Social worker roundtable"],
            "LA": [""],
            "hypothesis": ["3"],
            "stance": ["Supports"],
            "theme": ["Referral profiles"],
            "summary": ["Profiles focus on risk more than strengths."],
        }
    )
    return {
        "episodes": episodes,
        "header": header,
        "homes": homes,
        "home_registrations": home_registrations,
        "home_staffing": home_staffing,
        "needs": needs,
        "referrals": referrals,
        "costs": costs,
        "fieldwork": fieldwork,
    }


def write_frames(frames: dict[str, pd.DataFrame], out_dir: Path) -> Path:
    """Write file-format frames as ``<table>.csv`` (UTF-8) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(out_dir / f"{name}.csv", index=False)
    return out_dir
