"""Every local authority receiving London's children in children's homes, and the share the
eight most frequent destinations outside London take (the 2022 report: 47 authorities, 35 outside
London; Hampshire, Essex, Kent, Shropshire, Cambridgeshire, Telford and Wrekin, Norfolk and
Cumbria took "just under half" of the placements).

Counts children in K2 placements with a known placement LA on 31 March. Caveat: the 2022 report
counted placements "for which we have information" (536 of 790); this counts every placement
whose LA is known, so its totals are larger.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

TOP = 8


def receiving_las(res: pd.DataFrame) -> pd.DataFrame:
    """One row per receiving LA (``la``, ``ons_code``, ``in_london``, ``children``), most
    children first (ties by name)."""
    from analysis.geography import english_las

    known = res[res["PL_LA"].notna()]
    counts = known.groupby("PL_LA").agg(
        children=("CHILD", "size"), outside=("outside_london", "max")
    )
    names = english_las().set_index("ons_code")["la_name"]
    out = pd.DataFrame(
        {
            "ons_code": counts.index.astype(str),
            "children": counts["children"].to_numpy(dtype=int),
            "in_london": ~counts["outside"].to_numpy(dtype=bool),
        }
    )
    out["la"] = out["ons_code"].map(names).fillna(out["ons_code"]).astype(str)
    out = out.sort_values(["children", "la"], ascending=[False, True], kind="stable")
    return out[["la", "ons_code", "in_london", "children"]].reset_index(drop=True)


def receiving_summary(receiving: pd.DataFrame, top: int = TOP) -> dict[str, Any]:
    """``las`` (number of receiving LAs), ``las_in_london``, ``las_outside_london``, the
    ``top`` LAs outside London (names), the children they take (``top_children``), the children
    placed outside London with a known LA (``outside_children``) and ``top_share`` (0-1)."""
    outside = receiving[~receiving["in_london"]]
    head = outside.head(top)
    total = int(outside["children"].sum())
    return {
        "las": len(receiving),
        "las_in_london": int(receiving["in_london"].sum()),
        "las_outside_london": len(outside),
        "top": top,
        "top_las": head["la"].tolist(),
        "top_children": int(head["children"].sum()),
        "outside_children": total,
        "top_share": (int(head["children"].sum()) / total) if total else None,
    }


def outside_table(receiving: pd.DataFrame) -> pd.DataFrame:
    """The receiving LAs outside London as a published table (``la``, ``children``, ``in_top``:
    whether the LA is one of the top :data:`TOP`), in alphabetical order: an order by size would
    tell a reader between which two published counts a withheld one lies."""
    outside = receiving[~receiving["in_london"]].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "la": outside["la"],
            "children": outside["children"].astype(int),
            "in_top": ["yes" if i < TOP else "" for i in range(len(outside))],
        }
    )
    return table.sort_values("la", kind="stable").reset_index(drop=True)
