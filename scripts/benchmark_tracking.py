"""Benchmark: PHCpack path tracking per partition, before and after issue 11.

* before: the critical system in its dense ``(c, t)`` form, in a chart with
  one Haar-unitary matrix per group of parts (the charts of the caches up to
  issue 10), tracked by PHCpack's standard tracker;
* after: what `critlcn.startsystems.track_parameters` does now: a Möbius
  chart, and the multilinear form tracked by PHCpack's ade tracker for the
  partitions whose dense system has more than ``ADE_WORK`` terms (the dense
  form with the standard tracker for the others).

For each partition of each degree: the cached start system (re-expressed in
a unitary chart for "before", `startsystems.rechart`), tracked to realistic
data (windows of a simulated AR(2) series, ``data.ar_windows``, 294 samples,
normalised as the solver does) along the same gamma; the same sampled paths
both ways; one process, so one core. The headline is the paths-weighted mean
(weights: the ED degrees, i.e. the paths a solve tracks).

With ``--after-only`` (d = 9, 10, where the dense form would take hours):
today's tracker alone, on the partitions whose start system is cached.

Run:  python scripts/benchmark_tracking.py [--degree 6 --degree 7 --degree 8] [--sample 40] [--seed 0] [--after-only]
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


def bench_partition(lam, p1, sample: int, rng, after_only: bool = False) -> dict | None:
    after = load_start(lam) if after_only else get_start(lam)
    if after is None:
        return None  # not cached (d = 10 under construction): not built here
    before = None if after_only else rechart(after, unitary_chart(lam, rng))
    idx = np.sort(rng.choice(after.count, size=min(sample, after.count), replace=False))
    gamma = complex(np.exp(2j * np.pi * rng.random()))
    row = {"partition": "-".join(map(str, lam)), "paths": after.count, "sampled": len(idx),
           "tracker": "ade, multilinear" if uses_ade(after.chart) else "standard, dense"}
    row["before"] = row["before_valid"] = None
    for name, st in (("before", before), ("after", after)):
        if st is None:
            continue
        track_parameters(st.chart, st.parameters, p1, st.solutions[idx[:1]], gamma, seed=1)  # warm-up (server start)
        t = time.perf_counter()
        raw = track_parameters(st.chart, st.parameters, p1, st.solutions[idx], gamma, seed=1)
        row[name] = (time.perf_counter() - t) / len(idx)
        ends = chart_endpoints(critical_system(st.chart).assemble(p1), raw, reference_norm(p1, st.chart.degree))
        row[name + "_valid"] = len(ends.valid)
    return row


def render(rows_by_degree, args) -> str:
    out = ["# Benchmark: path tracking per partition, before and after issue 11", "",
           f"critlcn {__version__}, {phcpy_version()}, Python {platform.python_version()}, {os.cpu_count()} cores "
           f"(one used), load average {os.getloadavg()[0]:.1f} at the end, {time.strftime('%Y-%m-%d')}; up to "
           f"{args.sample} sampled paths per partition, seed {args.seed}. Regenerate with `.venv/bin/python scripts/benchmark_tracking.py`.", "",
           "before: dense (c, t) form, unitary chart, PHCpack standard tracker; after: Möbius chart, multilinear "
           "form with PHCpack's ade tracker where the dense form has more than `ADE_WORK` terms × unknowns. "
           "Data: AR(2) windows (294 samples) for k = (3, 2, ..., 2). `valid`: end points that refine to valid "
           "solutions (failed paths are retracked by the solver, not here).", ""]
    summary = ["| d | partitions | paths | before (ms/path, weighted) | after (ms/path, weighted) | speed-up |",
               "|---|---|---|---|---|---|"]
    for d, rows in rows_by_degree.items():
        w = np.array([r["paths"] for r in rows], dtype=float)
        a = float(np.dot(w, [r["after"] for r in rows]) / w.sum() * 1000)
        shown = f"{len(rows)} of {len(partitions(d))}"
        if args.after_only:
            summary.append(f"| {d} | {shown} | {int(w.sum())} | not measured | {a:.1f} | — |")
            continue
        b = float(np.dot(w, [r["before"] for r in rows]) / w.sum() * 1000)
        summary.append(f"| {d} | {shown} | {int(w.sum())} | {b:.1f} | {a:.1f} | {b / a:.1f}x |")
    out += ["## Paths-weighted mean per degree", ""] + summary + [""]
    for d, rows in rows_by_degree.items():
        out += [f"## d = {d}", "", "| partition | paths | sampled | before ms/path | after ms/path | speed-up | "
                "after uses | valid before | valid after |", "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            before = "—" if r["before"] is None else f"{1000 * r['before']:.1f}"
            ratio = "—" if r["before"] is None else f"{r['before'] / r['after']:.1f}x"
            out.append(f"| {r['partition']} | {r['paths']} | {r['sampled']} | {before} | "
                       f"{1000 * r['after']:.1f} | {ratio} | {r['tracker']} | "
                       f"{'—' if r['before_valid'] is None else r['before_valid']} | {r['after_valid']} |")
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
            print(f"d={d} {r['partition']:>16} {1000 * (r['before'] or np.nan):7.1f} -> {1000 * r['after']:6.1f} ms/path "
                  f"({r['tracker']}; valid {r['before_valid']}/{r['after_valid']} of {r['sampled']})",
                  file=sys.stderr, flush=True)
        rows_by_degree[d] = rows
    text = render(rows_by_degree, args)
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
