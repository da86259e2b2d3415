"""Synthetic coded fieldwork statements, paraphrasing the 2022 report's fieldwork findings.

Each bank entry is ``(hypothesis, stance, theme, summary)``: short paraphrases in this project's
own words, never names or a child's details. Stances mirror the 2022 report (hypotheses 1, 3, 5,
6 mostly Supports; 2 and 4 mostly Contradicts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.boroughs import london_boroughs

SOURCE_TYPES: tuple[str, ...] = (
    "Social worker roundtable",
    "Borough fieldwork",
    "Provider interview",
    "Stakeholder interview",
)

STATEMENT_BANK: tuple[tuple[int, str, str, str], ...] = (
    (
        1,
        "Supports",
        "complexity of need",
        "London homes rarely able to take young people with the most complex needs.",
    ),
    (
        1,
        "Supports",
        "criminal exploitation",
        "Young people at risk of county lines exploitation are hard to place near home.",
    ),
    (
        1,
        "Supports",
        "mental health step-down",
        "Few local homes can take a young person leaving a mental health ward.",
    ),
    (
        1,
        "Supports",
        "late entry to care",
        "Teenagers entering care late with entrenched difficulties are placed further away.",
    ),
    (
        1,
        "Supports",
        "market-led provision",
        "Providers decide what they offer; the local market is not shaped by need.",
    ),
    (
        1,
        "Supports",
        "education",
        "Residential places in London often come without an education offer.",
    ),
    (
        1,
        "Mixed",
        "benefit of distance",
        "For some young people a move away from London is seen as protective.",
    ),
    (
        2,
        "Contradicts",
        "quality",
        "Quality of London homes was not raised as the reason for placing away.",
    ),
    (
        2,
        "Contradicts",
        "quantity not quality",
        "Good homes exist in London; the problem is getting a place in them.",
    ),
    (2, "Mixed", "confidence in outcomes", "One stakeholder doubted outcomes from some providers."),
    (2, "Supports", "quality", "A placement team avoids a few local homes after poor inspections."),
    (
        3,
        "Supports",
        "deficit-based profiles",
        "Referral profiles dwell on risks and say little about strengths.",
    ),
    (
        3,
        "Supports",
        "missing information",
        "Providers must decide quickly on referrals that leave out key information.",
    ),
    (
        3,
        "Supports",
        "known providers",
        "Commissioners go back to providers they know rather than try a new London home.",
    ),
    (
        3,
        "Supports",
        "trauma-informed practice",
        "How a young person's history is shared puts providers off.",
    ),
    (
        3,
        "Mixed",
        "awareness of provision",
        "Teams are not aware of all the homes available in London.",
    ),
    (
        4,
        "Contradicts",
        "cost not a driver",
        "Cost was not seen as the reason for placing outside London.",
    ),
    (
        4,
        "Contradicts",
        "operational decisions",
        "Placements are found case by case to meet need whatever the price.",
    ),
    (4, "Contradicts", "false economy", "Cheaper placements that break down cost more in the end."),
    (4, "Mixed", "cost pressure", "Budgets matter but availability matters more."),
    (4, "Supports", "cost", "A finance lead thought London prices push some placements out."),
    (
        5,
        "Supports",
        "inspection risk",
        "Providers fear an inspection judgement if they take a high-risk young person.",
    ),
    (
        5,
        "Supports",
        "local risk",
        "Young people linked to local gangs are kept away from their home area.",
    ),
    (
        5,
        "Supports",
        "relationships",
        "Providers accept more readily from authorities they already work with.",
    ),
    (
        5,
        "Supports",
        "stability",
        "Once placed away, young people are rarely moved back to keep stability.",
    ),
    (
        5,
        "Mixed",
        "risk sharing",
        "Some providers would take more risk with support from the placing authority.",
    ),
    (6, "Supports", "recruitment", "Providers struggle to recruit and keep residential staff."),
    (6, "Supports", "emergency cover", "Small providers lack staff to take emergency placements."),
    (6, "Supports", "staff mix", "Gender balance and part-time staff make rotas hard to cover."),
    (
        6,
        "Supports",
        "training",
        "Staff need more trauma-informed training to manage risky behaviour.",
    ),
    (6, "Mixed", "selective demand", "With demand high, homes narrow the needs they accept."),
)


def fieldwork_frame(rng: np.random.Generator, year: int, n_statements: int) -> pd.DataFrame:
    """``n_statements`` coded statements for ``year`` drawn from :data:`STATEMENT_BANK`.

    Every bank entry appears at least once (when ``n_statements`` allows); the rest are drawn
    with the stated stance mix. ``LA`` is blank for cross-London sources. ``date``: when the
    statement was gathered, in the three months before the snapshot of 31 March ``year``
    (spread by position, no random draw, so the rest of the example is unchanged).
    """
    bank = list(STATEMENT_BANK)
    picks = list(range(len(bank)))[:n_statements]
    extra = n_statements - len(picks)
    if extra > 0:
        picks += list(rng.integers(0, len(bank), size=extra))
    names = list(london_boroughs()["la_name"])
    rows = []
    for i, idx in enumerate(picks, start=1):
        hyp, stance, theme, summary = bank[int(idx)]
        source = SOURCE_TYPES[int(rng.integers(0, len(SOURCE_TYPES)))]
        la = names[int(rng.integers(0, len(names)))] if source == "Borough fieldwork" else ""
        rows.append(
            {
                "evidence_id": f"FW{year}-{i:03d}",
                "source_type": source,
                "LA": la,
                "hypothesis": hyp,
                "stance": stance,
                "theme": theme,
                "summary": summary,
                "date": f"{year}-{1 + (i - 1) % 3:02d}-{1 + (i - 1) % 28:02d}",
            }
        )
    return pd.DataFrame(rows)
