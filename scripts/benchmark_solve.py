"""Benchmark: cached parameter homotopy vs the blackbox baseline, degree 4..7.

For each architecture, on one synthetic dataset, every partition of d
(``--all-strata``) is solved twice in this run:

* **ours**: ``critlcn.critical.solve`` — coefficient-parameter homotopy from
  the cached start system of each partition, tracking exactly its valid start
  solutions (phases: loading the start systems, tracking + refinement);
* **baseline**: what a user would otherwise write — PHCpack's blackbox solver
  (``phcpy.solver.solve``) on each partition's critical system, end points
  refined and filtered the same way.

Writes BENCHMARKS_SOLVE.md (paths tracked, valid solutions, wall time per
phase, ratio to the baseline, growth with d).

Run:  python scripts/benchmark_solve.py [--max-degree 7] [--out BENCHMARKS_SOLVE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from critlcn import __version__
from critlcn.architecture import Architecture
from critlcn.critical import get_start, reference_ed_degree, solve, solve_blackbox
from critlcn.data import quadratic_loss, synth
from critlcn.homotopy import phcpy_version
from critlcn.rrmp import partitions
from critlcn.systems import parameters

ARCHS = {4: (3, 2, 2), 5: (3, 2, 2, 2), 6: (3, 2, 2, 2, 2), 7: (3, 2, 2, 2, 2, 2)}


def bench(d: int, seed: int = 0):
    arch = Architecture(ARCHS[d])
    rng = np.random.default_rng(seed)
    ds = synth(arch, 60, rng, noise=0.3)
    loss = quadratic_loss(ds, arch)
    p = parameters(loss.Q, loss.b)
    p = p / np.linalg.norm(p)

    t0 = time.perf_counter()
    starts = {lam: get_start(lam) for lam in partitions(d)}
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = solve(arch, loss, ds, all_strata=True, seed=seed)
    t_ours = time.perf_counter() - t0

    rows = []
    t_base = 0.0
    for s in result.strata:
        lam = s.partition
        t0 = time.perf_counter()
        ends = solve_blackbox(starts[lam].chart, p, seed=seed + 1)
        dt = time.perf_counter() - t0
        t_base += dt
        rows.append({
            "partition": "-".join(map(str, lam)),
            "expected": reference_ed_degree(lam),
            "ours_paths": s.paths_tracked,
            "ours_valid": s.valid,
            "ours_failed": s.failed,
            "base_paths": len(ends.status),
            "base_valid": ends.count("valid"),
            "base_spurious": ends.count("spurious"),
            "base_failed": ends.count("failed") + ends.count("duplicate"),
            "base_time": dt,
        })
    return {"d": d, "arch": arch.label(), "rows": rows, "t_load": t_load, "t_ours": t_ours, "t_base": t_base,
            "complete": result.complete}


def render(results) -> str:
    out = [
        "# Benchmark: cached parameter homotopy vs blackbox (function-space solve)",
        "",
        f"Produced by `python scripts/benchmark_solve.py --max-degree {max(r['d'] for r in results)}` "
        f"on {platform.node() or 'this machine'} ({os.cpu_count()} cores), critlcn {__version__}, "
        f"{phcpy_version()}, numpy {np.__version__}. One synthetic dataset per degree (60 samples, noise 0.3, seed 0); "
        "every partition of d (`--all-strata`), one process (`--jobs 1`).",
        "",
        "*ours*: `solve` = parameter homotopy from the cached start systems (load = reading and checking the cache "
        "files; solve = tracking, Newton refinement, validity, dedup, classification). *baseline*: PHCpack's blackbox "
        "solver on each partition's critical system (same chart), end points refined and filtered identically.",
        "",
        "## Totals",
        "",
        "| d | architecture | partitions | paths ours | paths blackbox | valid ours | valid blackbox | load (s) | "
        "solve ours (s) | blackbox (s) | speed-up | paths/valid ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        po = sum(x["ours_paths"] for x in r["rows"])
        pb = sum(x["base_paths"] for x in r["rows"])
        vo = sum(x["ours_valid"] for x in r["rows"])
        vb = sum(x["base_valid"] for x in r["rows"])
        out.append(f"| {r['d']} | {r['arch']} | {len(r['rows'])} | {po} | {pb} | {vo} | {vb} | {r['t_load']:.2f} | "
                   f"{r['t_ours']:.2f} | {r['t_base']:.2f} | {r['t_base'] / r['t_ours']:.1f}x | {po / vo:.2f} |")
    out += ["", "## Per partition", "",
            "| d | partition | expected | ours paths | ours valid | ours failed | blackbox paths | blackbox valid | "
            "blackbox spurious | blackbox failed | blackbox (s) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for x in r["rows"]:
            out.append(f"| {r['d']} | {x['partition']} | {x['expected'] if x['expected'] is not None else '-'} | "
                       f"{x['ours_paths']} | {x['ours_valid']} | {x['ours_failed']} | {x['base_paths']} | "
                       f"{x['base_valid']} | {x['base_spurious']} | {x['base_failed']} | {x['base_time']:.2f} |")
    out += ["", "## Growth with d", ""]
    prev = None
    for r in results:
        line = f"- d = {r['d']}: ours {r['t_ours']:.2f} s, blackbox {r['t_base']:.2f} s"
        if prev:
            line += (f" (ours x{r['t_ours'] / prev['t_ours']:.1f}, blackbox x{r['t_base'] / prev['t_base']:.1f} "
                     f"from d = {prev['d']})")
        out.append(line)
        prev = r
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-degree", type=int, default=4)
    ap.add_argument("--max-degree", type=int, default=7)
    ap.add_argument("--out", default="BENCHMARKS_SOLVE.md")
    args = ap.parse_args()
    results = []
    for d in range(args.min_degree, args.max_degree + 1):
        results.append(bench(d))
        print(f"d = {d}: ours {results[-1]['t_ours']:.2f} s, blackbox {results[-1]['t_base']:.2f} s", flush=True)
        with open(args.out, "w") as fh:  # rewritten after each degree so partial runs leave a table
            fh.write(render(results))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
