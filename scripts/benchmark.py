"""Benchmark of `report build` (not a timed test): prints a table of wall-clock times and peak memory.

Measures, each in a fresh output folder under a temporary directory so real outputs are untouched:

1. one borough edition, cold (empty cache)                   target < 30 s
2. full build, cold: pan-London + 33 borough editions         target < 300 s
3. rebuild with nothing changed                               target < 5 s
4. rebuild after changing one input table (costs)             (re-executes only what reads it)

and the peak resident memory of the build and its workers/kernels (sampled with psutil); then the
render time of one edition (assembly, HTML, PDF, workbook) with each engine: pandoc + Typst, and
Quarto when the quarto binary is on PATH (target < 10 s; a "skipped" line otherwise).
The dataset is copied first (the copy is the one modified in step 4; inputs are never touched).

    python scripts/benchmark.py [--data DIR] [--jobs N] [--quick]
    python scripts/benchmark.py --render-only outputs/2022/london   # render times only

``--quick`` skips the full 34-edition build (steps 3-4 then run on the one-borough build).
``--render-only`` times the two engines on a copy of an edition that is already published.
``--simulation N`` profiles the simulation study instead (:mod:`analysis.simulation_rivals`):
CPU seconds of generating one dataset and of each of the six evaluations, over N datasets of
the study's arms in turn; medians over all but the first (cold) dataset, which is shown apart.
Recorded medians (CPU s per dataset, warm; 2 shared cores): before the cost work 7.05
(generation 2.54), after it 3.34 (generation 2.19) on the old evaluators, 7.49 on the
rewritten ones of 30 November (see docs/simulation-rivals.md).
``--keep DIR`` keeps the full build's outputs in ``DIR`` (to compare them with another build:
``python scripts/compare_outputs.py OLD NEW``). ``--runs N`` repeats the build steps N times and
reports the median with each run's figure.

"Cold" means an empty cache root (``<output>/.cache``, :mod:`analysis.caches`) except for the
postcode-sector centroids, which are reference data of the installed postcode package and are
copied from the project's cache when it has them (computing them is a one-off per machine and
package version, reported separately as "postcode-sector centroids, computed"). The machine's
load average is sampled during each step and printed beside it, with the CPU seconds of the
build and every process it waited for (``getrusage`` of children: workers, kernels, pandoc,
Typst): on a shared machine wall times are only comparable at similar load, CPU seconds much
less depend on it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.paths import EXAMPLE_DATA  # noqa: E402

TARGETS = {
    "one borough edition, cold": 30.0,
    "full build, cold (34 editions)": 300.0,
    "rebuild, nothing changed": 5.0,
    "render one edition, Quarto": 10.0,
}

RENDERED = ("report.html", "report.pdf", "tables.xlsx", "report-sources", "build.json")


def time_render(edition: Path, engine: str, repeats: int = 3) -> list[float]:
    """Seconds to render a copy of a published edition with ``engine`` (each repeat in a fresh
    copy): assembly of the sources, HTML, PDF and the workbook, as in a build's render stage."""
    from analysis.build.editions import borough_edition
    from analysis.document import render_edition

    edition = Path(edition)
    la_name = None if edition.name == "london" else borough_edition(edition.name).la_name
    year = int(edition.parent.name)
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
            d = Path(tmp) / edition.name
            shutil.copytree(edition, d, ignore=shutil.ignore_patterns(*RENDERED))
            start = time.perf_counter()
            render_edition(
                d,
                edition=edition.name,
                la_name=la_name,
                year=year,
                previous_year=year - 1 if (d / "previous").exists() else None,
                metadata={"synthetic": True, "name": "benchmark copy"},
                engine=engine,
            )
            times.append(time.perf_counter() - start)
    return times


def render_rows(edition: Path) -> list[tuple[str, float, int, str]]:
    """One row per engine: median render seconds of three, each run's figure in the note."""
    import statistics

    rows = []
    engines = [("pandoc", "render one edition, pandoc + Typst")]
    if shutil.which("quarto"):
        engines.append(("quarto", "render one edition, Quarto"))
    else:
        print("render one edition, Quarto: skipped (the quarto binary is not on PATH)")
    for engine, name in engines:
        times = time_render(edition, engine)
        note = "runs: " + ", ".join(f"{t:.1f}" for t in times)
        print(f"{name}: median {statistics.median(times):.1f} s ({note})", flush=True)
        rows.append((name, statistics.median(times), 0, note))
    return rows


class PeakMemory:
    """Peak total RSS of a process and all its descendants, sampled every 0.2 s, and the mean
    1-minute load average of the machine over the same samples."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.loads: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def load(self) -> float:
        return sum(self.loads) / len(self.loads) if self.loads else os.getloadavg()[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.loads.append(os.getloadavg()[0])
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_build(args: list[str], out: Path, data: Path, jobs: int) -> tuple[float, int, str]:
    """Run `report build` as a subprocess; returns (seconds, peak bytes, last output line with
    the machine's mean load average during the run)."""
    cmd = [
        str(ROOT / ".venv" / "bin" / "report"),
        "build",
        "--data",
        str(data),
        "--output",
        str(out),
        "--jobs",
        str(jobs),
        *args,
    ]
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with PeakMemory(proc.pid) as mem:
        output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the build and every process it waited for (workers, kernels, pandoc,
    # Typst): much less sensitive than wall time to other jobs sharing the machine
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({' '.join(args)}):\n{output[-3000:]}")
    text = " ".join(output.split())
    said = text[text.rfind("Built ") :] if "Built " in text else text[-200:]
    return seconds, mem.peak, f"load {mem.load:.1f}, CPU {cpu:.0f} s; {said}"


def warm_reference_cache(out: Path) -> None:
    """Copy the project's postcode-sector centroids (reference data, see the module notes)
    into a scratch build's cache root, when the project has them."""
    from analysis.caches import cache_dir

    source = cache_dir("postcode-sectors", ROOT / "outputs")
    if source.is_dir():
        shutil.copytree(source, cache_dir("postcode-sectors", out), dirs_exist_ok=True)


def time_centroids() -> float:
    """Seconds to compute every postcode-sector centroid from the postcode package (in a
    child process with an empty cache root)."""
    code = (
        "import time; from analysis.geography import sector_centroids; t = time.perf_counter(); "
        "sector_centroids(list('ABCDEFGHIJKLMNOPRSTUWYZ')); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-centroids-") as tmp:
        env = {**os.environ, "LONDON_PROVISION_CACHE": tmp}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def touch_one_table(data: Path) -> None:
    """Change one input table (append a copy of the last costs row with a new cost)."""
    costs = data / "costs.csv"
    lines = costs.read_text(encoding="utf-8").rstrip("\n").splitlines()
    costs.write_text("\n".join(lines[:-1] + [lines[-1]]) + "\n\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=EXAMPLE_DATA)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--borough", default="Camden")
    ap.add_argument("--quick", action="store_true", help="skip the full 34-edition build")
    ap.add_argument(
        "--render-only", type=Path, metavar="EDITION_DIR", help="only time rendering this edition"
    )
    ap.add_argument("--keep", type=Path, help="keep the (first) full build's outputs here")
    ap.add_argument("--runs", type=int, default=1, help="repeat the build steps (median)")
    ap.add_argument("--no-render", action="store_true", help="skip the render-only timings")
    ap.add_argument(
        "--simulation", type=int, metavar="N", help="profile N datasets of the simulation study"
    )
    opts = ap.parse_args()
    if opts.simulation:
        from analysis.simulation_rivals import cost_summary, dataset_costs, load_rivals_config

        cfg = load_rivals_config()
        arms = [a for a, spec in cfg["arms"].items() if not spec.get("same_data_as")]
        picks = [arms[i % len(arms)] for i in range(opts.simulation)]
        costs = dataset_costs(cfg, picks, range(5000, 5000 + opts.simulation))
        print(costs.round(2).to_string(index=False))
        print("medians (CPU s):", {k: round(v, 2) for k, v in cost_summary(costs).items()})
        return 0
    if opts.render_only:
        render_rows(opts.render_only)
        return 0
    import statistics

    rows: list[tuple[str, float, int, str]] = []

    class Rows(list):
        def append(self, row: tuple[str, float, int, str]) -> None:  # progress as we go
            print(f"{row[0]}: {row[1]:.1f} s, peak {row[2] / 2**20:.0f} MiB ({row[3]})", flush=True)
            super().append(row)

    rows = Rows()
    runs: dict[str, list[tuple[float, int, str]]] = {}

    def step(name: str, args: list[str], out: Path, data: Path) -> None:
        s, m, note = run_build(args, out, data, opts.jobs)
        runs.setdefault(name, []).append((s, m, note))
        rows.append((f"{name} [run {len(runs[name])}]", s, m, note))

    for run in range(opts.runs):
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            data = Path(tmp) / "data"
            shutil.copytree(opts.data, data)
            one = Path(tmp) / "one"
            warm_reference_cache(one)
            step("one borough edition, cold", ["--borough", opts.borough], one, data)
            if opts.quick:
                target, args = one, ["--borough", opts.borough]
            else:
                target, args = Path(tmp) / "full", ["--all-boroughs"]
                warm_reference_cache(target)
                step("full build, cold (34 editions)", args, target, data)
                if opts.keep and run == 0:
                    shutil.copytree(target, opts.keep, ignore=shutil.ignore_patterns(".cache"))
            step("rebuild, nothing changed", args, target, data)
            touch_one_table(data)
            step("rebuild, one input table changed", args, target, data)
            if run == opts.runs - 1 and not opts.no_render:
                year_dir = next(p for p in sorted(one.iterdir()) if p.name.isdigit())
                rendered = render_rows(next(p for p in year_dir.iterdir() if p.is_dir()))
    rows = Rows()
    for name, results in runs.items():
        times = [r[0] for r in results]
        note = "runs: " + ", ".join(f"{t:.1f}" for t in times) + "; " + results[0][2]
        rows.append((name, statistics.median(times), max(r[1] for r in results), note))
    if not opts.no_render:
        rows.extend(rendered)
    centroids = time_centroids()
    rows.append(("postcode-sector centroids, computed", centroids, 0, "once per machine"))
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"report build benchmark ({opts.jobs} jobs, {os.cpu_count()} cores)")
    for col in ("step", "seconds", "target", "peak memory (MiB)", "build said"):
        table.add_column(col)
    for name, secs, peak, note in rows:
        target = TARGETS.get(name)
        mark = (
            "" if target is None else (f"< {target:.0f} s " + ("ok" if secs < target else "MISSED"))
        )
        memory = f"{peak / 2**20:.0f}" if peak else "-"
        table.add_row(name, f"{secs:.1f}", mark, memory, note[:120])
    Console(width=200).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
