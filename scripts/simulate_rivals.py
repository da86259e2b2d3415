"""Simulation study, second edition (analysis.simulation_rivals): rival arms, a pure null and
each mechanism planted alone; all six verdicts per dataset.

    python scripts/simulate_rivals.py --n 50 --jobs 2            # local processes
    python scripts/simulate_rivals.py --n 200 --scheduler tcp://host:8786   # a Dask cluster
    python scripts/simulate_rivals.py --report-only               # record from the runs file

Runs are appended to ``--runs`` (CSV) as they finish, so a long study can be stopped and
resumed (datasets already in the file are skipped). Every run records the code it ran on
(commit and code id) and its arm's spec (``arm_spec``: effects, year, register); a runs file
holds one code's runs, and an arm's runs one spec (the script refuses to mix them: move the old
rows away), so changing one arm's effects sets aside that arm alone. It then writes the record: ``--report`` (docs/simulation-rivals.md; what follows the
hand-notes marker in the old file is kept), the confusion matrix as CSV (``--matrix``) and
the table the report's methodology appendix prints (``--appendix``). The cost per dataset:
``python scripts/benchmark.py --simulation N``.
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
    appendix_markdown,
    arm_specs,
    code_commit,
    evaluator_commits,
    expand_aliases,
    iter_results,
    load_rivals_config,
    markdown_report,
    matrix_frame,
    plan,
    same_code,
)

RUNS = ROOT / "data" / "validation" / "simulation_rivals_runs.csv"
REPORT = ROOT / "docs" / "simulation-rivals.md"
MATRIX = ROOT / "data" / "validation" / "simulation_rivals_matrix.csv"
APPENDIX = ROOT / "data" / "validation" / "simulation_rivals.md"
#: the line after which docs/simulation-rivals.md is written by hand (kept on regeneration)
NOTES_MARKER = "<!-- notes written by hand below: kept by scripts/simulate_rivals.py -->"


def read_runs(path: Path) -> pd.DataFrame:
    """The runs file as text cells (a file from before the ``commit`` column gets it empty)."""
    runs = pd.read_csv(
        path, keep_default_na=False, dtype={"commit": str, "arm_spec": str, "error": str}
    )
    for column in ("commit", "arm_spec"):
        if column not in runs:
            runs[column] = ""
    return runs


def write_record(runs_path: Path, report: Path, matrix: Path, appendix: Path) -> None:
    """The three outputs of the study from its runs file."""
    cfg = load_rivals_config()
    runs = expand_aliases(read_runs(runs_path), cfg)
    runs["error"] = runs["error"].astype(str)
    commits = sorted({c for c in runs["commit"] if c})
    evaluators = evaluator_commits(commits[-1]) if commits else None
    notes = ""
    if report.exists() and NOTES_MARKER in (old := report.read_text(encoding="utf-8")):
        notes = old.split(NOTES_MARKER, 1)[1]
    text = markdown_report(runs, cfg, evaluators)
    report.write_text(f"{text}\n{NOTES_MARKER}{notes}", encoding="utf-8")
    matrix_frame(runs, cfg).to_csv(matrix, index=False, lineterminator="\n")
    appendix.write_text(appendix_markdown(runs, cfg, evaluators), encoding="utf-8")
    for path in (report, matrix, appendix):
        print(f"wrote {path}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="datasets per arm")
    ap.add_argument("--first-seed", type=int, default=5000)
    ap.add_argument("--arms", nargs="*", help="arms to run (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="local processes")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler address")
    ap.add_argument("--runs", type=Path, default=RUNS)
    ap.add_argument("--report", type=Path, default=REPORT)
    ap.add_argument("--matrix", type=Path, default=MATRIX)
    ap.add_argument("--appendix", type=Path, default=APPENDIX)
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    cfg = load_rivals_config()
    if not args.report_only:
        commit = code_commit()
        arms = args.arms or list(cfg["arms"])
        todo = plan(cfg, arms, range(args.first_seed, args.first_seed + args.n))
        if args.runs.exists():
            done = read_runs(args.runs)
            other = sorted({c for c in done["commit"] if not same_code(c, commit)})
            if other:
                print(
                    f"{args.runs} holds runs of other code ({other}), not "
                    f"{commit or 'unknown'}: move it away (or commit your changes) first",
                    file=sys.stderr,
                )
                return 2
            specs = arm_specs(cfg, arms)
            stale = sorted(
                {
                    a
                    for a, s in zip(done["arm"], done["arm_spec"], strict=True)
                    if specs.get(a, s) != s
                }
            )
            if stale:
                print(
                    f"{args.runs} holds runs of arms whose effects have changed since ({stale}): "
                    "move those rows away first",
                    file=sys.stderr,
                )
                return 2
            have = set(zip(done["arm"], done["seed"].astype(int), strict=True))
            todo = [j for j in todo if (j["arm"], j["seed"]) not in have]
        args.runs.parent.mkdir(parents=True, exist_ok=True)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        print(f"{len(todo)} datasets to run on {commit or 'unknown commit'}", file=sys.stderr)
        for i, rows in enumerate(iter_results(todo, jobs=args.jobs, scheduler=args.scheduler)):
            frame = pd.DataFrame(rows, columns=RUN_COLUMNS).assign(commit=commit, run_date=today)
            header = not args.runs.exists()
            frame.to_csv(args.runs, mode="a", header=header, index=False)
            print(f"{i + 1}/{len(todo)} {rows[0]['arm']} seed {rows[0]['seed']}", file=sys.stderr)
    write_record(args.runs, args.report, args.matrix, args.appendix)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
