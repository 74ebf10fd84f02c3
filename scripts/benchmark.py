"""All of critlcn's benchmarks in one run; writes BENCHMARKS.md.

Sections (each quotes ratios against a baseline measured in the same run):

* enumerate: ``critlcn enumerate --k 5 5 5 5 5 5`` (d = 24) wall time, and the
  dynamic-programme count of labelled assignments against listing them all
  (the brute force a user would write) on architectures small enough to list;
* solve: scripts/benchmark_solve.py (cached parameter homotopy vs PHCpack's
  blackbox on every stratum, d = 4..7);
* tracking: scripts/benchmark_tracking.py (PHCpack path tracking per
  partition at d = 6, 7, 8, before and after issue 11);
* cli: scripts/benchmark_cli.py (``critlcn solve --all-strata --jobs 2`` end
  to end at d = 8);
* dask: scripts/benchmark_dask.py (a solve on a local Dask cluster, 1 worker
  against 2);
* certify: scripts/benchmark_certify.py (interval certification of whole
  solves, d = 6..8, against naive monomial-by-monomial ball evaluation);
* descent: scripts/benchmark_descent.py (vectorised gradient descent runs).

Run:  .venv/bin/python scripts/benchmark.py [--reuse solve] [--reuse cli] [--reuse certify] [--reuse descent]
(the solve section at d = 7 takes about 15 minutes; --reuse takes a section
from the BENCHMARKS_*.md its script wrote last time, and says so)
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from critlcn import __version__
from critlcn.architecture import Architecture
from critlcn.compatibility import count_assignments
from critlcn.report import render_table
from critlcn.rrmp import enumerate_rrmps

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("critlcn"))


def wall(cmd: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def listing_count(r, arch) -> int:
    """The baseline: list every choice of layer sets per factor and keep the fits."""
    mults = list(r.rho) + list(r.gamma)
    sizes = [1] * len(r.rho) + [2] * len(r.gamma)
    n = 0
    for choice in itertools.product(*[itertools.combinations(range(arch.layers), m) for m in mults]):
        load = [0] * arch.layers
        for subset, size in zip(choice, sizes):
            for b in subset:
                load[b] += size
        n += tuple(load) == arch.bins
    return n


def enumerate_section() -> str:
    rows = []
    for k in [(3, 2, 2), (3, 3, 3, 3), (5, 5, 5, 5, 5, 5)]:
        t = wall([EXE, "enumerate", "--k", *map(str, k)])
        rows.append([f"enumerate --k {' '.join(map(str, k))}", Architecture(k).degree,
                     len(enumerate_rrmps(Architecture(k).degree)), f"{t:.2f}"])
    text = "### `critlcn enumerate` (wall time, median of 3, includes start-up)\n\n"
    text += render_table(["command", "d", "rrmps", "seconds"], rows, "md") + "\n\n"
    rows = []
    for k in [(3, 3, 3), (3, 3, 3, 3), (2, 3, 3, 3)]:
        arch = Architecture(k)
        rrmps = enumerate_rrmps(arch.degree)
        from critlcn import compatibility

        compatibility._count.cache_clear()
        t = time.perf_counter()
        ours = [count_assignments(r, arch) for r in rrmps]
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        base = [listing_count(r, arch) for r in rrmps]
        t_base = time.perf_counter() - t
        assert ours == base
        rows.append([",".join(map(str, k)), arch.degree, sum(base), f"{t_ours * 1e3:.1f}", f"{t_base * 1e3:.0f}",
                     f"{t_base / t_ours:.0f}×"])
    text += "### Counting labelled assignments: dynamic programme vs listing (all rrmps of d)\n\n"
    text += render_table(["k", "d", "assignments", "DP ms", "listing ms", "speed-up"], rows, "md")
    return text


def section(script: str, output: str, rerun: bool, extra: list[str]) -> str:
    """Run ``script`` (which writes ``output``) unless told to reuse the file it
    wrote last time; its headings move one level down."""
    path = ROOT / output
    if rerun or not path.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--out", str(path), *extra], check=True)
    text = path.read_text().strip()
    note = "" if rerun else f"*(reused from `{output}`, written by `scripts/{script}`)*\n\n"
    return note + "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reuse", action="append", default=[], choices=["solve", "tracking", "tracking-high", "cli", "dask", "descent", "certify", "degrees", "params"],
                    help="take this section from its last BENCHMARKS_*.md instead of rerunning it")
    ap.add_argument("--solve-max-degree", type=int, default=7, help="largest degree of the solve section")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    sections = []
    header = (f"# Benchmarks\n\ncritlcn {__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
              f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}. Regenerate with "
              "`.venv/bin/python scripts/benchmark.py`.\n")
    sections.append("## Enumeration and compatibility\n\n" + enumerate_section())
    sections.append("## Exact counts\n\n" + section("benchmark_degrees.py", "BENCHMARKS_DEGREES.md",
                                                     "degrees" not in args.reuse, []))
    sections.append("## Solving\n\n" + section("benchmark_solve.py", "BENCHMARKS_SOLVE.md", "solve" not in args.reuse,
                                                 ["--max-degree", str(args.solve_max_degree)]))
    sections.append("## Path tracking per partition\n\n" + section("benchmark_tracking.py", "BENCHMARKS_TRACKING.md",
                                                                   "tracking" not in args.reuse, []))
    sections.append("## Path tracking at d = 9 and 10 (ade with PHCpack defaults and today's parameters; no dense form)\n\n" + section(
        "benchmark_tracking.py", "BENCHMARKS_TRACKING_HIGH.md", "tracking-high" not in args.reuse,
        ["--degree", "9", "--degree", "10", "--after-only", "--sample", "20"]))
    sections.append("## Solving end to end\n\n" + section("benchmark_cli.py", "BENCHMARKS_CLI.md",
                                                            "cli" not in args.reuse, []))
    sections.append("## Scale-out on Dask\n\n" + section("benchmark_dask.py", "BENCHMARKS_DASK.md",
                                                         "dask" not in args.reuse, []))
    sections.append("## Certification\n\n" + section("benchmark_certify.py", "BENCHMARKS_CERTIFY.md",
                                                          "certify" not in args.reuse, []))
    sections.append("## Parameter-space solver (strides, D-dim)\n\n" + section(
        "benchmark_params.py", "BENCHMARKS_PARAMS.md", "params" not in args.reuse, []))
    sections.append("## Gradient descent\n\n" + section("benchmark_descent.py", "BENCHMARKS_DESCENT.md",
                                                          "descent" not in args.reuse, []))
    text = header + "\n" + "\n\n".join(sections) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
