"""Benchmark: scale-out of a solve on a local Dask cluster, 1 worker against 2.

A local cluster (``distributed.LocalCluster``, one process per worker, one
thread each) runs the path tracking of
``critical.solve(..., all_strata=True, scheduler=ADDRESS)`` for k = (3, 2, …, 2)
on synthetic data (60 samples, noise 0.3, seed 0), without lifting; the same
solve is timed with 1 and with 2 workers, and the ratio is the speed-up
(issue 11's target: ≥ 1.7× at d = 9 on this 2-core machine). Results must be
identical, and are checked.

On a real cluster: start ``dask scheduler`` on one machine, ``dask worker
tcp://SCHEDULER:8786 --nthreads 1`` on each core of the others (every worker
needs critlcn installed, with PHCpack), then
``critlcn solve ... --scheduler tcp://SCHEDULER:8786 --jobs N`` with N the
number of workers.

Run:  python scripts/benchmark_dask.py [--degree 9] [--workers 1 --workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from critlcn import __version__
from critlcn.architecture import Architecture
from critlcn.critical import solve
from critlcn.data import quadratic_loss, synth


def run(d: int, workers: int) -> tuple[float, object]:
    from distributed import LocalCluster

    arch = Architecture((3,) + (2,) * (d - 2))
    ds = synth(arch, 60, np.random.default_rng(0), noise=0.3)
    loss = quadratic_loss(ds, arch)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        t = time.perf_counter()
        res = solve(arch, loss, ds, all_strata=True, seed=0, jobs=workers, scheduler=cluster.scheduler_address)
        return time.perf_counter() - t, res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degree", type=int, default=9)
    ap.add_argument("--workers", type=int, action="append", default=None)
    ap.add_argument("--out", default="BENCHMARKS_DASK.md")
    args = ap.parse_args(argv)
    rows, first = [], None
    for w in args.workers or [1, 2]:
        wall, res = run(args.degree, w)
        valid = sum(s.valid for s in res.strata)
        expected = sum(s.expected for s in res.strata)
        key = [p.filter for p in res.points]
        if first is None:
            first = (wall, key)
        same = np.allclose(np.array(key), np.array(first[1]), rtol=1e-8) if len(key) == len(first[1]) else False
        rows.append((w, wall, valid, expected, len(res.points), first[0] / wall, same))
        print(f"{w} worker(s): {wall:.1f} s, {valid}/{expected} valid, {len(res.points)} real", file=sys.stderr, flush=True)
    lines = ["# Benchmark: solve on a local Dask cluster", "",
             f"critlcn {__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
             f"{time.strftime('%Y-%m-%d')}. `python scripts/benchmark_dask.py --degree {args.degree}`: "
             f"`critical.solve(all_strata=True, scheduler=...)`, k = (3, 2, …, 2), d = {args.degree}, synthetic "
             "data (60 samples, noise 0.3, seed 0), no lifting, one process and one thread per worker.", "",
             "| workers | wall (s) | valid / expected | real points | speed-up over 1 worker | same points |",
             "|---|---|---|---|---|---|"]
    for w, wall, valid, expected, real, ratio, same in rows:
        lines.append(f"| {w} | {wall:.1f} | {valid} / {expected} | {real} | {ratio:.2f}x | {'yes' if same else 'NO'} |")
    text = "\n".join(lines)
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
