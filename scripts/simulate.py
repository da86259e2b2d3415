"""Simulation study: power and false-positive rate of each hypothesis test.

Usage: .venv/bin/python scripts/simulate.py --n 100 --jobs 2 [--hypotheses 1 2 3]
Writes data/validation/simulation.csv (summary), data/validation/simulation_runs.csv (every run)
and data/validation/simulation.md (the methodology appendix's table); prints timing.
"""

from __future__ import annotations

import os

# one BLAS thread per worker: the fits are small and threads only contend on 2 cores
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from analysis.outputs import write_table  # noqa: E402
from analysis.paths import DATA  # noqa: E402
from analysis.simulation import (  # noqa: E402
    load_simulation_config,
    markdown_table,
    run_simulation,
    summarise,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="datasets per arm per hypothesis")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--hypotheses", type=int, nargs="*", default=None)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=DATA / "validation")
    parser.add_argument(
        "--append",
        type=Path,
        nargs="*",
        default=[],
        help="earlier simulation_runs.csv files to pool with this run (distinct seeds)",
    )
    args = parser.parse_args()
    sim = load_simulation_config()
    t0 = time.perf_counter()
    runs = run_simulation(
        args.n, hypotheses=args.hypotheses, jobs=args.jobs, first_seed=args.first_seed, sim=sim
    )
    elapsed = time.perf_counter() - t0
    n_new = len(runs)
    if args.append:
        earlier = [pd.read_csv(p, keep_default_na=False) for p in args.append]
        runs = pd.concat([*earlier, runs], ignore_index=True)
        runs = runs.drop_duplicates(["hypothesis", "arm", "seed"], keep="last")
    summary = summarise(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(summary, args.out / "simulation.csv")
    write_table(runs, args.out / "simulation_runs.csv")
    (args.out / "simulation.md").write_text(markdown_table(summary, sim), encoding="utf-8")
    print(markdown_table(summary, sim))
    print(f"{n_new} new evaluations in {elapsed:.0f} s ({elapsed / max(n_new, 1):.1f} s each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
