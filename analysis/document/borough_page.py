"""The borough page of a borough edition: "What this means for <borough>".

One comparator, defined once: London's figure counts every London borough's children (or
places) together, the same definition as the London edition's headline (no average of
boroughs' shares). The page gives the borough's figures beside it, its behaviour group (and
whether the assignment is borderline), its own signals (staffing, unused places in its homes,
distance from home, providers used and referrals to known providers), the recommendations that apply to it, and what is
withheld and why. Everything is read from the edition's results and tables, already through
disclosure control (a ``c`` stays withheld).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.shares import per_cent

#: The one comparator of the page, in words (printed once).
COMPARATOR = (
    "\u201c{label}\u201d means all {subject} counted together: every child (or place) counts "
    "once, so large and small boroughs weigh by their size; no average of boroughs' shares is used"
)

#: Why a figure is withheld (DfE practice, ``config/disclosure.yaml``).
WITHHELD_REASON = (
    "a count of children too small to publish (1 to 5), or a figure from which one could be "
    "worked out, is withheld (shown as c)"
)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def _withheld(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "c"


def _share(value: Any) -> str:
    if _withheld(value):
        return "c"
    v = _num(value)
    return "–" if v is None else f"{per_cent(v):.0f}%"


def _count(value: Any) -> str:
    if _withheld(value):
        return "c"
    v = _num(value)
    return "–" if v is None else f"{v:,.0f}"


def _staffing(edition_dir: Path, la: str) -> dict[str, Any] | None:
    """``{borough, london, low, high, places}``: the share of registered places out of use for
    lack of staff in the homes in the borough (with its 95% interval) and in London's homes
    (``tables/h6_places_unavailable.csv``); None without the table or the borough's row."""
    path = Path(edition_dir) / "tables" / "h6_places_unavailable.csv"
    if not path.exists():
        return None
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "area" not in df or "unavailable_share" not in df:
        return None
    area = df["area"].str.lower()
    mine = df[area == f"homes in {la}".lower()]
    london = df[area == "london homes"]
    if mine.empty or london.empty:
        return None
    row = mine.iloc[0]
    return {
        "borough": row["unavailable_share"],
        "london": london.iloc[0]["unavailable_share"],
        "low": row.get("unavailable_ci_low"),
        "high": row.get("unavailable_ci_high"),
        "places": row.get("registered_places"),
    }


def signals(
    la: str,
    borough: dict[str, Any],
    london: dict[str, Any],
    staffing: dict[str, Any] | None,
    signals_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The borough's own signals: ``{id, text, flagged}``. ``staffing`` is flagged when the share
    of places in the borough's homes out of use for lack of staff is above London's;
    ``unused_places`` when the borough's homes have external places and none of its own
    children lives in a home in the borough; ``distance`` when the borough's median distance is
    above London's; ``providers`` (how many providers it uses, how often it refers to one it
    knows: ``signals_data``, patterns.json ``analyses.borough``) is shown, never flagged. Caveat: a borough's share rests on few places; the
    interval is printed with it and a flag is a prompt to look, not a finding."""
    out = []
    if staffing is not None:
        b, lon = _num(staffing["borough"]), _num(staffing["london"])
        if b is not None and lon is not None:
            lo, hi = _num(staffing.get("low")), _num(staffing.get("high"))
            interval = (
                f" (95% interval {per_cent(lo):.0f}% to {per_cent(hi):.0f}%, on "
                f"{_count(staffing.get('places'))} registered places)"
                if lo is not None and hi is not None
                else ""
            )
            side = "above" if b > lon else ("below" if b < lon else "the same as")
            sure = (
                ""
                if lo is None or hi is None or b == lon
                else (
                    " The interval excludes London's figure."
                    if (lo > lon or hi < lon)
                    else " The interval includes London's figure, so the difference may be chance."
                )
            )
            out.append(
                {
                    "id": "staffing",
                    "flagged": b > lon,
                    "text": f"Staffing: {per_cent(b):.0f}% of the registered places in homes in {la} "
                    f"were out of use for lack of staff on the snapshot date{interval}, {side} "
                    f"London's {per_cent(lon):.0f}%.{sure}",
                }
            )
    else:
        out.append(
            {
                "id": "staffing",
                "flagged": False,
                "text": f"Staffing: no staffing return for homes in {la} in this dataset.",
            }
        )
    places = _num(borough.get("external_places"))
    own = borough.get("pct_in_own_borough")
    if places:
        if _withheld(own):
            tail = f"how many of {la}'s own children live in them is withheld"
            flagged = False
        elif _num(own) == 0:
            tail = f"none of {la}'s own children in children's homes lives in a home in {la}"
            flagged = True
        else:
            tail = f"{_share(own)} of {la}'s children in children's homes live in homes in {la}"
            flagged = False
        used = borough.get("pct_places_used_by_london")
        used_text = (
            "the share of them used by London boroughs is withheld"
            if _withheld(used)
            else f"London boroughs used {_share(used)} of them (London: "
            f"{_share(london.get('pct_external_places_used_by_london'))})"
        )
        out.append(
            {
                "id": "unused_places",
                "flagged": flagged,
                "text": f"Unused places: homes in {la} offer {_count(places)} places run by "
                f"private and voluntary providers; {used_text}; {tail}.",
            }
        )
    else:
        out.append(
            {
                "id": "unused_places",
                "flagged": False,
                "text": f"Unused places: there is no privately or voluntarily run children's "
                f"home place in {la} in the register.",
            }
        )
    own = signals_data or {}
    miles, lmiles = own.get("median_miles"), own.get("london_median_miles")
    if _num(miles) is not None and _num(lmiles) is not None:
        out.append(
            {
                "id": "distance",
                "flagged": _num(miles) > _num(lmiles),
                "text": f"Distance: half of {la}'s children in children's homes live more than "
                f"{_num(miles):.0f} miles from home (London: {_num(lmiles):.0f} miles; medians "
                "of straight-line distances, @sec-placements-distance).",
            }
        )
    else:
        why = "is withheld (too few children)" if _withheld(miles) else "is not available"
        out.append(
            {
                "id": "distance",
                "flagged": False,
                "text": f"Distance: how far {la}'s own children live from home {why}.",
            }
        )
    used, known, lknown = (
        own.get("providers_used"),
        own.get("known_share"),
        own.get("london_known_share"),
    )
    if used is None and known is None:
        out.append(
            {
                "id": "providers",
                "flagged": False,
                "text": f"Providers used: not available for {la} in this dataset.",
            }
        )
    else:
        parts = []
        if _withheld(used):
            parts.append(f"the number of providers {la} uses is withheld (too few children)")
        elif _num(used) is not None:
            parts.append(
                f"{la}'s children in children's homes live in homes of {_count(used)} "
                f"providers (London boroughs together: {_count(own.get('london_providers_used'))})"
            )
        if _num(known) is not None and _num(lknown) is not None:
            parts.append(
                f"{_share(known)} of its referrals in the year went to a provider it had "
                f"already used (London: {_share(lknown)}; @sec-placements-providers)"
            )
        elif _withheld(known):
            parts.append("its share of referrals to known providers is withheld")
        out.append(
            {
                "id": "providers",
                "flagged": False,
                "text": "Providers used: " + "; ".join(parts) + ".",
            }
        )
    return out


def borough_page(
    edition_dir: Path,
    la: str,
    patterns: dict[str, Any] | None,
    *,
    comparator_label: str = "London",
    comparator_subject: str = "London boroughs' children",
    recommendations: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """Everything the borough page shows: ``comparator`` (the definition, once), ``rows``
    ``[measure, borough, London]``, ``signals`` (:func:`signals`), ``recommendations`` (the
    printed ones whose ``borough`` signal is flagged here: ``{title, owner, signal}``) and
    ``withheld`` (the measures shown as c). None without the borough's placement figures."""
    patterns = patterns or {}
    b, lon = patterns.get("borough") or {}, patterns.get("london") or {}
    if not b:
        return None
    staffing = _staffing(Path(edition_dir), la)
    rows = [
        [
            "Children in children's homes",
            _count(b.get("placements")),
            _count(lon.get("placements")),
        ],
        [
            "Share placed outside London",
            _share(b.get("pct_outside_london")),
            _share(lon.get("pct_outside_london")),
        ],
        [
            "Share placed in their own borough",
            _share(b.get("pct_in_own_borough")),
            _share(lon.get("pct_in_own_borough")),
        ],
        [
            "Places in privately or voluntarily run homes there",
            _count(b.get("external_places")),
            _count(lon.get("external_places_in_london")),
        ],
        [
            "Share of those places used by London boroughs",
            _share(b.get("pct_places_used_by_london")),
            _share(lon.get("pct_external_places_used_by_london")),
        ],
    ]
    if staffing is not None:
        rows.append(
            [
                "Registered places in homes there out of use for lack of staff",
                _share(staffing["borough"]),
                _share(staffing["london"]),
            ]
        )
    sig = signals(la, b, lon, staffing, (patterns.get("analyses") or {}).get("borough"))
    flagged = {s["id"] for s in sig if s["flagged"]}
    recs = [
        {"title": r.get("title", ""), "owner": r.get("owner", ""), "signal": r["borough"]}
        for r in recommendations or []
        if (r.get("borough") or "") in flagged
    ]
    return {
        "comparator": COMPARATOR.format(label=comparator_label, subject=comparator_subject),
        "comparator_label": comparator_label,
        "rows": rows,
        "signals": sig,
        "recommendations": recs,
        "withheld": [r[0] for r in rows if r[1] == "c"],
        "withheld_reason": WITHHELD_REASON,
    }
