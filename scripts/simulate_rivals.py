"""Simulation study, second edition (analysis.simulation_rivals): rival arms, a pure null and
each mechanism planted alone; all six verdicts per dataset.

    python scripts/simulate_rivals.py --n 50 --jobs 2            # local processes
    python scripts/simulate_rivals.py --n 200 --scheduler tcp://host:8786   # a Dask cluster
    python scripts/simulate_rivals.py --report-only               # table from the runs file

Runs are appended to ``--runs`` (CSV) as they finish, so a long study can be stopped and
resumed (seeds already in the file are skipped); ``--report`` writes the Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import pandas as pd

from analysis.paths import ROOT
from analysis.simulation_rivals import (
    RUN_COLUMNS,
    expand_aliases,
    iter_results,
    load_rivals_config,
    markdown_report,
    plan,
)

RUNS = ROOT / "data" / "validation" / "simulation_rivals_runs.csv"
REPORT = ROOT / "docs" / "simulation-rivals.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="datasets per arm")
    ap.add_argument("--first-seed", type=int, default=5000)
    ap.add_argument("--arms", nargs="*", help="arms to run (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="local processes")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    ap.add_argument("--runs", type=Path, default=RUNS)
    ap.add_argument("--report", type=Path, default=REPORT)
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    cfg = load_rivals_config()
    if not args.report_only:
        arms = args.arms or list(cfg["arms"])
        todo = plan(cfg, arms, range(args.first_seed, args.first_seed + args.n))
        if args.runs.exists():
            done = pd.read_csv(args.runs)
            have = set(zip(done["arm"], done["seed"], strict=True))
            todo = [j for j in todo if (j["arm"], j["seed"]) not in have]
        args.runs.parent.mkdir(parents=True, exist_ok=True)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        print(f"{len(todo)} datasets to run", file=sys.stderr)
        for i, rows in enumerate(iter_results(todo, jobs=args.jobs, scheduler=args.scheduler)):
            frame = pd.DataFrame(rows, columns=RUN_COLUMNS).assign(run_date=today)
            header = not args.runs.exists()
            frame.to_csv(args.runs, mode="a", header=header, index=False)
            print(f"{i + 1}/{len(todo)} {rows[0]['arm']} seed {rows[0]['seed']}", file=sys.stderr)
    runs = expand_aliases(pd.read_csv(args.runs, keep_default_na=False), cfg)
    runs["error"] = runs["error"].astype(str)
    args.report.write_text(markdown_report(runs, cfg), encoding="utf-8")
    print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
