"""Calibration of H3's borough-variation test (likelihood-ratio test of borough fixed effects)
under the null of no borough effect, on the example's 2022 design.

Each replicate draws every K2 child's needs with the example's prevalences for the planted
borough sizes (config/example.yaml design_2022), sends the London total outside London by a
pooled weighted draw with weight exp(h1_needs * hard-to-place needs) - the example generator's
h3_practice = 0 mechanism - and runs the H3 test (boroughs with fewer than
min_children_per_borough children left out, as in analysis.hypotheses.h3). Prints the share of
replicates with p < 0.05 and p < 0.01 (nominal 5% and 1%) with Wilson 95% intervals.

Usage: .venv/bin/python scripts/check_lrt_calibration.py --reps 1000 [--seed 1]
About 0.2 s per replicate on one core.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis import stats  # noqa: E402
from analysis.example.generate import load_config, weighted_pick  # noqa: E402
from analysis.hypotheses.registry import load_rules  # noqa: E402


def null_pvalues(reps: int, seed: int) -> np.ndarray:
    cfg = load_config()
    rules = load_rules(3)
    design = pd.DataFrame(cfg["design_2022"]).T
    sizes = design["k2"].astype(int)
    n_out = int(design["outside"].sum())
    prevalence = cfg["needs_prevalence"]
    h1 = float(cfg["effects"]["h1_needs"])
    min_children = int(rules.get("min_children_per_borough", 1))
    rng = np.random.default_rng(seed)
    la = np.repeat(sizes.index.to_numpy(), sizes.to_numpy())
    out = []
    for _ in range(reps):
        df = pd.DataFrame(
            {k: (rng.random(len(la)) < p).astype(float) for k, p in prevalence.items()}
        )
        df["LA"] = la
        hard = df[cfg["hard_to_place_needs"]].sum(axis=1).to_numpy()
        df["outside"] = 0.0
        df.loc[weighted_pick(rng, np.exp(h1 * hard), n_out), "outside"] = 1.0
        df = df[df.groupby("LA")["LA"].transform("size") >= min_children]
        cols = [c for c in rules["needs_adjusted"] if c in df and df[c].std(ddof=0) > 0]
        out.append(stats.group_effects_lr_test(df, "outside", cols, "LA")[2])
    return np.array(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    p = null_pvalues(args.reps, args.seed)
    for level in (0.05, 0.01):
        rate, lo, hi = stats.wilson_ci(int((p < level).sum()), len(p))
        print(
            f"p < {level}: {100 * rate:.1f}% of {len(p)} null replicates "
            f"(95% CI {100 * lo:.1f}%-{100 * hi:.1f}%), nominal {100 * level:.0f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
