"""Benchmark: the parameter-space solver (MATH.md §9–11) as the Segre number grows.

For each architecture: the time to build its start system from scratch by
monodromy (into a temporary folder, so the shipped cache is not used) when
its Segre number is at most ``--max-build``, and the time of
``critlcn.paramspace.solve`` from the start system on synthetic data (two
seeds), with the path statistics. Writes BENCHMARKS_PARAMS.md.

Run:  python scripts/benchmark_params.py [--max-build 100] [--out BENCHMARKS_PARAMS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import numpy as np

from critlcn import __version__, paramspace
from critlcn.architecture import Architecture
from critlcn.data import quadratic_loss, synth
from critlcn.homotopy import phcpy_version

ARCHS = [
    ((2, 2, 2), (2, 2, 1)),
    ((3, 3), (2, 1)),
    ((3, 3), (1, 1)),
    ((3, 2, 2), (1, 1, 1)),
    (((2, 2), (2, 1)), ()),
    (((2, 2), (2, 2)), ()),
    ((3, 3, 3), (2, 2, 1)),
]


def bench(arch: Architecture, max_build: int, max_solve: int):
    row = {"arch": arch.label(), "segre": arch.segre_number, "unknowns": arch.function_space_dimension}
    start_dir = None
    if arch.segre_number <= max_build:
        start_dir = tempfile.mkdtemp()
        t = time.perf_counter()
        st = paramspace.get_start(arch, start_dir, quiet=True)
        row["build"] = time.perf_counter() - t
        row["loops"] = dict(st.provenance).get("loops")
    elif paramspace.load_start(arch) is None:
        row["build"] = None
        row["note"] = f"no start system: building one means monodromy loops of ~2 x {arch.segre_number} paths each"
        return row
    if arch.segre_number > max_solve:
        return row
    times, stats = [], []
    for seed in (0, 1):
        ds = synth(arch, 40, np.random.default_rng(seed), noise=0.3)
        loss = quadratic_loss(ds, arch)
        t = time.perf_counter()
        res = paramspace.solve(arch, loss, ds, seed=seed, cache=start_dir, quiet=True)
        times.append(time.perf_counter() - t)
        stats.append(res.stats)
    row["solve"] = float(np.mean(times))
    row["valid"] = "/".join(str(s.valid) for s in stats)
    row["failed"] = sum(s.failed for s in stats)
    row["real"] = "/".join(str(s.real) for s in stats)
    row["retracked"] = sum(s.retracked for s in stats)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-build", type=int, default=100, help="build start systems from scratch up to this count")
    ap.add_argument("--max-solve", type=int, default=300, help="solve architectures up to this Segre number")
    ap.add_argument("--out", default="BENCHMARKS_PARAMS.md")
    args = ap.parse_args()
    rows = []
    for k, s in ARCHS:
        row = bench(Architecture(k, s), args.max_build, args.max_solve)
        rows.append(row)
        print(row, flush=True)
    fmt = lambda v: "−" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))  # noqa: E731
    lines = [
        "# Benchmark: parameter-space solver (strides, D-dim, stride-one cross-check)",
        "",
        f"Produced by `python scripts/benchmark_params.py --max-build {args.max_build} --max-solve {args.max_solve}` "
        f"on {platform.node()} ({os.cpu_count()} cores, shared with other jobs), critlcn {__version__}, "
        f"{phcpy_version()}, numpy {np.__version__}. Build: start system from scratch by monodromy (one seed per "
        "structure of shared factors), into a temporary folder. Solve: `critlcn.paramspace.solve` from the start "
        "system on synthetic data (40 samples, noise 0.3, seeds 0 and 1; mean wall time), one process.",
        "",
        "| architecture | Segre number | unknowns | build (s) | monodromy loops | solve (s) | valid (seed 0/1) | failed | "
        "re-tracked | real (seed 0/1) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(c)) for c in ("arch", "segre", "unknowns", "build", "loops", "solve",
                                                                   "valid", "failed", "retracked", "real")) + " |")
    notes = [r for r in rows if r.get("note")]
    if notes:
        lines.append("")
        lines += [f"- {r['arch']}: {r['note']}." for r in notes]
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
