"""Simulation study: power and false-positive rate of each hypothesis test.

Usage: .venv/bin/python scripts/simulate.py --n 100 --jobs 1 [--hypotheses 1 2 3]
       [--arms planted null curve] [--append data/validation/simulation_runs.csv]
Writes data/validation/simulation.csv (summary), data/validation/simulation_runs.csv (every run),
data/validation/simulation_curve.csv (power curve, when config/simulation.yaml has
power_curve runs) and data/validation/simulation.md (the methodology appendix's text and
table); prints timing. --n 0 with --append only re-summarises earlier runs.
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
    ARMS,
    load_simulation_config,
    markdown_report,
    power_curve,
    run_simulation,
    summarise,
)


def base_effects() -> dict:
    """The 2022 effect sizes of config/example.yaml (for arms that keep them)."""
    from analysis.example import generate

    return dict(generate.load_config().get("effects") or {})


def size_note() -> str:
    """The simulated datasets' size, from the generator's calibration targets."""
    from analysis.example import generate

    config = generate.load_config()
    total = (config.get("report_targets_2022") or {}).get("placements_total")
    boroughs = len(config.get("boroughs") or {})
    return f" ({total} London children in children's homes on 31 March, {boroughs} boroughs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="datasets per arm per hypothesis")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (2 cores: use 1)")
    parser.add_argument("--hypotheses", type=int, nargs="*", default=None)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument(
        "--arms",
        nargs="*",
        default=list(ARMS),
        choices=list(ARMS),
        help="planted/null arms (arms:) and extra planted sizes (power_curve:)",
    )
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
        args.n,
        hypotheses=args.hypotheses,
        jobs=args.jobs,
        first_seed=args.first_seed,
        sim=sim,
        arms=args.arms,
    )
    elapsed = time.perf_counter() - t0
    n_new = len(runs)
    new_datasets = runs.groupby(["seed", "effects"]).ngroups
    if args.append:
        earlier = [pd.read_csv(p, keep_default_na=False) for p in args.append]
        runs = pd.concat([*earlier, runs], ignore_index=True)
        keys = ["hypothesis", "arm", "effects", "seed"]
        runs = runs.drop_duplicates([k for k in keys if k in runs.columns], keep="last")
        runs = runs.sort_values(keys).reset_index(drop=True)
    summary = summarise(runs)
    curve = power_curve(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    write_table(summary, args.out / "simulation.csv")
    write_table(runs, args.out / "simulation_runs.csv")
    if not curve.empty:
        write_table(curve, args.out / "simulation_curve.csv")
    text = markdown_report(runs, sim, base_effects(), size_note())
    (args.out / "simulation.md").write_text(text, encoding="utf-8")
    print(text)
    print(
        f"{n_new} new evaluations on {new_datasets} datasets in {elapsed:.0f} s "
        f"({elapsed / max(new_datasets, 1):.1f} s per dataset)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
