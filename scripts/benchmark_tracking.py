"""Benchmark: PHCpack path tracking per partition, before and after issue 11.

* before: the critical system in its dense ``(c, t)`` form, in a chart with
  one Haar-unitary matrix per group of parts (the charts of the caches up to
  issue 10), tracked by PHCpack's standard tracker;
* after: what `critlcn.startsystems.track_parameters` does now: a Möbius
  chart, and the multilinear form tracked by PHCpack's ade tracker for the
  partitions whose dense system has more than ``ADE_WORK`` terms (the dense
  form with the standard tracker for the others), with the path parameters
  ``homotopy.ADE_PATH_PARAMETERS``;
* ade defaults: the same with PHCpack's default path parameters (at most 3
  Newton iterations per step), as issue 11's first four sessions tracked.

For each partition of each degree: the cached start system (re-expressed in
a unitary chart for "before", `startsystems.rechart`), tracked to realistic
data (windows of a simulated AR(2) series, ``data.ar_windows``, 294 samples,
normalised as the solver does) along the same gamma; the same sampled paths
both ways; one process, so one core. The headline is the paths-weighted mean
(weights: the ED degrees, i.e. the paths a solve tracks).

With ``--after-only`` (d = 9, 10, where the dense form would take hours):
ade defaults and today's tracker, on the partitions whose start system is cached.

Run:  python scripts/benchmark_tracking.py [--degree 6 --degree 7 --degree 8] [--sample 40] [--seed 0] [--after-only]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from critlcn import __version__, homotopy
from critlcn.architecture import Architecture
from critlcn.data import ar_windows, quadratic_loss
from critlcn.homotopy import phcpy_version
from critlcn.rrmp import partitions
from critlcn.scaling import normalise
from critlcn.startsystems import chart_endpoints, get_start, load_start, rechart, reference_norm, track_parameters, uses_ade
from critlcn.systems import Chart, critical_system, groups, parameters


def unitary_chart(lam, rng) -> Chart:
    mats = []
    for _, n in groups(lam):
        q, r = np.linalg.qr(rng.normal(size=(n + 1, n + 1)) + 1j * rng.normal(size=(n + 1, n + 1)))
        mats.append(q * (np.diag(r) / np.abs(np.diag(r))))
    return Chart(lam, tuple(mats))


#: The ade tracker as issue 11's first sessions ran it: PHCpack's default path
#: parameters (at most 3 Newton iterations per step).
PHCPACK_ADE_DEFAULTS = dict(homotopy.ADE_PATH_PARAMETERS, newton_iterations=3)


def _timed(st, p1, idx, gamma) -> tuple[float, int]:
    t = time.perf_counter()
    raw = track_parameters(st.chart, st.parameters, p1, st.solutions[idx], gamma, seed=1)
    elapsed = (time.perf_counter() - t) / len(idx)
    ends = chart_endpoints(critical_system(st.chart).assemble(p1), raw, reference_norm(p1, st.chart.degree))
    return elapsed, len(ends.valid)


def bench_partition(lam, p1, sample: int, rng, after_only: bool = False) -> dict | None:
    after = load_start(lam) if after_only else get_start(lam)
    if after is None:
        return None  # not cached (d = 10 under construction): not built here
    before = None if after_only else rechart(after, unitary_chart(lam, rng))
    idx = np.sort(rng.choice(after.count, size=min(sample, after.count), replace=False))
    gamma = complex(np.exp(2j * np.pi * rng.random()))
    ade = uses_ade(after.chart)
    row = {"partition": "-".join(map(str, lam)), "paths": after.count, "sampled": len(idx),
           "tracker": "ade, multilinear" if ade else "standard, dense"}
    for st in (before, after):
        if st is not None:
            track_parameters(st.chart, st.parameters, p1, st.solutions[idx[:1]], gamma, seed=1)  # warm-up (server start)
    row["before"], row["before_valid"] = _timed(before, p1, idx, gamma) if before is not None else (None, None)
    tuned = homotopy.ADE_PATH_PARAMETERS
    try:
        homotopy.ADE_PATH_PARAMETERS = PHCPACK_ADE_DEFAULTS
        row["defaults"], row["defaults_valid"] = _timed(after, p1, idx, gamma) if ade else (None, None)
    finally:
        homotopy.ADE_PATH_PARAMETERS = tuned
    row["after"], row["after_valid"] = _timed(after, p1, idx, gamma)
    return row


def _weighted(rows, key) -> float:
    """Paths-weighted mean in ms; a partition without ``key`` counts with its `after` time."""
    w = np.array([r["paths"] for r in rows], dtype=float)
    return float(np.dot(w, [r[key] if r[key] is not None else r["after"] for r in rows]) / w.sum() * 1000)


def _ms(x) -> str:
    return "—" if x is None else f"{1000 * x:.1f}"


def render(rows_by_degree, args) -> str:
    out = ["# Benchmark: path tracking per partition, before and after issue 11", "",
           f"critlcn {__version__}, {phcpy_version()}, Python {platform.python_version()}, {os.cpu_count()} cores "
           f"(one used), load average {os.getloadavg()[0]:.1f} at the end, {time.strftime('%Y-%m-%d')}; up to "
           f"{args.sample} sampled paths per partition, seed {args.seed}. Regenerate with `.venv/bin/python scripts/benchmark_tracking.py`.", "",
           "before: dense (c, t) form, unitary chart, PHCpack standard tracker (the code before issue 11); "
           "ade defaults: Möbius chart, multilinear form, PHCpack's ade tracker with its default path parameters "
           "(at most 3 Newton iterations per step: the tracker of issue 11's first four sessions); after: the same "
           "with `homotopy.ADE_PATH_PARAMETERS` (4 Newton iterations per step). Partitions whose dense form has at "
           "most `ADE_WORK` terms × unknowns keep the dense form and the standard tracker (their ade-defaults "
           "column is empty and counts with the after time in the weighted mean). Data: AR(2) windows (294 "
           "samples) for k = (3, 2, ..., 2). `valid`: end points that refine to valid solutions (failed paths "
           "are retracked by the solver, not here).", ""]
    summary = ["| d | partitions | paths | before (ms/path, weighted) | ade defaults | after | speed-up over before "
               "| over ade defaults |", "|---|---|---|---|---|---|---|---|"]
    for d, rows in rows_by_degree.items():
        a, m = _weighted(rows, "after"), _weighted(rows, "defaults")
        shown = f"{len(rows)} of {len(partitions(d))}"
        if args.after_only:
            summary.append(f"| {d} | {shown} | {sum(r['paths'] for r in rows)} | not measured | {m:.1f} | {a:.1f} "
                           f"| — | {m / a:.1f}x |")
            continue
        b = _weighted(rows, "before")
        summary.append(f"| {d} | {shown} | {sum(r['paths'] for r in rows)} | {b:.1f} | {m:.1f} | {a:.1f} | "
                       f"{b / a:.1f}x | {m / a:.1f}x |")
    out += ["## Paths-weighted mean per degree", ""] + summary + [""]
    for d, rows in rows_by_degree.items():
        out += [f"## d = {d}", "", "| partition | paths | sampled | before ms/path | ade defaults | after | speed-up "
                "| tracker | valid before | valid ade defaults | valid after |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            ratio = "—" if r["before"] is None else f"{r['before'] / r['after']:.1f}x"
            out.append(f"| {r['partition']} | {r['paths']} | {r['sampled']} | {_ms(r['before'])} | "
                       f"{_ms(r['defaults'])} | {_ms(r['after'])} | {ratio} | {r['tracker']} | "
                       f"{'—' if r['before_valid'] is None else r['before_valid']} | "
                       f"{'—' if r['defaults_valid'] is None else r['defaults_valid']} | {r['after_valid']} |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degree", type=int, action="append", default=None)
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="BENCHMARKS_TRACKING.md")
    ap.add_argument("--after-only", action="store_true",
                    help="only today's tracker, only cached partitions (d = 9, 10: the dense form takes too long)")
    args = ap.parse_args(argv)
    rows_by_degree = {}
    for d in args.degree or [6, 7, 8]:
        rng = np.random.default_rng(args.seed)
        arch = Architecture((3,) + (2,) * (d - 2))
        unit, _ = normalise(quadratic_loss(ar_windows(arch, 294, rng), arch))
        p1 = parameters(unit.Q, unit.b)
        p1 = p1 / np.linalg.norm(p1)
        rows = []
        for lam in partitions(d):
            r = bench_partition(lam, p1, args.sample, rng, after_only=args.after_only)
            if r is None:
                continue
            rows.append(r)
            print(f"d={d} {r['partition']:>16} {_ms(r['before']):>7} / {_ms(r['defaults']):>6} -> {_ms(r['after']):>6} "
                  f"ms/path ({r['tracker']}; valid {r['before_valid']}/{r['defaults_valid']}/{r['after_valid']} of "
                  f"{r['sampled']})",
                  file=sys.stderr, flush=True)
        rows_by_degree[d] = rows
    text = render(rows_by_degree, args)
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
