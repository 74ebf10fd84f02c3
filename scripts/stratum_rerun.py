"""Re-run one stratum of a `critlcn solve --all-strata` exactly (same gamma,
tracking seed and repair seed as the whole solve) and time its tracking and
its finishing (refinement, repair), with every repair track listed.

For looking into one stratum of a long solve without running the others,
e.g. the d = 10 AR stratum 4-3-2-1 that lost a solution:

    .venv/bin/python scripts/stratum_rerun.py --k 3 2 2 2 2 2 2 2 2 --kind ar --samples 294 --partition 4-3-2-1

Data are made by `critlcn data synth` with the given options and seed 0, as
`scripts/benchmark_cli.py` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from critlcn import critical
from critlcn.architecture import Architecture
from critlcn.data import load, quadratic_loss
from critlcn.scaling import normalise
from critlcn.seeds import generator
from critlcn.startsystems import load_start
from critlcn.systems import parameters

EXE = os.path.join(os.path.dirname(sys.executable), "critlcn")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", required=True)
    ap.add_argument("--partition", required=True, help="e.g. 4-3-2-1")
    ap.add_argument("--kind", choices=["gaussian", "ar"], default="ar")
    ap.add_argument("--samples", type=int, default=294)
    ap.add_argument("--seed", type=int, default=0, help="the solve's --seed")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the first tracking")
    args = ap.parse_args(argv)
    lam = tuple(int(v) for v in args.partition.split("-"))
    arch = Architecture(tuple(args.k))
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.npz")
        subprocess.run([EXE, "data", "synth", "--k", *map(str, args.k), "--samples", str(args.samples), "--kind",
                        args.kind, "--seed", "0", "--out", data], check=True, capture_output=True)
        loss = quadratic_loss(load(data), arch)
    rng = generator(args.seed)
    lams = list(critical.needed_partitions(arch, all_strata=True))
    unit, _ = normalise(loss)
    p1 = parameters(unit.Q, unit.b)
    p1 = p1 / np.linalg.norm(p1)
    gammas, repair = critical.stratum_seeds(lams, rng)
    st = load_start(lam, None, expected=critical.reference_ed_degree(lam))
    t = time.perf_counter()
    pieces = np.array_split(np.arange(st.count), max(1, min(2 * args.jobs, st.count // 8 or 1)))
    units = [(st.chart, st.parameters, p1, st.solutions[b], *gammas[lam]) for b in pieces if b.size]
    raw = np.concatenate(critical._pmap(critical._track_unit, units, args.jobs))
    print(f"tracking: {st.count} paths in {time.perf_counter() - t:.1f} s on {args.jobs} processes", flush=True)
    real_track = critical.track_parameters

    def listed(chart, p0, p1_, pts, g, seed=0):
        t0 = time.perf_counter()
        out = real_track(chart, p0, p1_, pts, g, seed=seed)
        print(f"  repair track: {len(pts)} paths, {time.perf_counter() - t0:.1f} s", flush=True)
        return out

    critical.track_parameters = listed
    t = time.perf_counter()
    sol = critical._finish_partition(st, p1, raw, np.random.default_rng(repair[lam]), gammas[lam][0])
    print(f"finishing: {time.perf_counter() - t:.1f} s, {len(sol.solutions)} of {st.count} valid, "
          f"{sol.failed} failed, {sol.spurious} spurious, {sol.retracked} paths re-tracked")


if __name__ == "__main__":
    main()
