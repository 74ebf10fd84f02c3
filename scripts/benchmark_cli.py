"""Benchmark: ``critlcn solve --all-strata --jobs N`` end to end, as a user runs it.

For each degree, synthetic data for k = (3, 2, …, 2) (60 samples, noise 0.3,
seed 0) is written by ``critlcn data synth``; then the solve command is timed
as a subprocess: start-up, loading the cached start systems, tracking every
partition of d, refinement, classification, and (unless ``--no-lift``)
lifting every real point to parameter space. Issue 5's target: d = 8 under
10 minutes with ``--jobs 2``.

The blackbox baseline is measured by scripts/benchmark_solve.py up to d = 7;
it is not run here (at d = 7 it already takes over 10 minutes and it grows
about 6x per degree).

Run:  python scripts/benchmark_cli.py [--degree 8] [--degree 10] [--kind gaussian] [--kind ar] [--jobs 2]
      [--no-lift-from 10] [--out BENCHMARKS_CLI.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

from critlcn import __version__
from critlcn.homotopy import phcpy_version

EXE = os.path.join(os.path.dirname(sys.executable), "critlcn")


def bench(d: int, jobs: int, lift: bool, seed: int = 0, kind: str = "gaussian") -> dict:
    k = [str(x) for x in (3,) + (2,) * (d - 2)]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.npz")
        synth = (["--samples", "60", "--noise", "0.3"] if kind == "gaussian" else ["--samples", "294", "--kind", "ar"])
        subprocess.run([EXE, "data", "synth", "--k", *k, *synth, "--seed", str(seed), "--out", data], check=True,
                       capture_output=True)
        cmd = [EXE, "solve", "--k", *k, "--data", data, "--all-strata", "--jobs", str(jobs), "--seed", str(seed),
               "--format", "json", "--quiet"] + ([] if lift else ["--no-lift"])
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode not in (0, 3):  # 3: ran, but incomplete (reported in the table)
            raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
        wall = time.perf_counter() - t0
    res = json.loads(out.stdout)
    strata = res["strata"]
    return {
        "d": d, "arch": res["architecture"]["label"], "jobs": jobs, "lift": lift, "wall": wall, "kind": kind,
        "command": "critlcn solve --k " + " ".join(k) + f" --data DATA --all-strata --jobs {jobs}"
                   + ("" if lift else " --no-lift"),
        "partitions": len(strata),
        "paths": sum(s["paths_tracked"] for s in strata),
        "valid": sum(s["valid"] for s in strata),
        "lost": sum(s["failed"] + s["spurious"] for s in strata),
        "complete": res["complete"],
        "certified": sum(s.get("certified", 0) for s in strata),
        "proved": bool(res.get("certified", {}).get("every_count_proved")),
        "real": len(res["critical_points"]),
        "classes": res.get("parameter_classes") if lift else None,
        "listed": sum(len(p.get("parameters", [])) for p in res["critical_points"]) if lift else None,
        # compatible points that lifting could not factor (should be none)
        "unlifted": sum(1 for p in res["critical_points"] if p.get("compatible") and p.get("lifts") is False)
                    if lift else None,
        "rows": [("-".join(map(str, s["partition"])), s["paths_tracked"], s["valid"], s["real"]) for s in strata],
    }


def _classes(r) -> str:
    if r["classes"] is None:
        return "-"
    listed = r.get("listed")
    text = str(r["classes"]) if listed in (None, r["classes"]) else f"{r['classes']} ({listed} orbits listed)"
    return text + (f"; {r['unlifted']} compatible points not lifted" if r.get("unlifted") else "")


def render(runs) -> str:
    out = ["# Benchmark: `critlcn solve --all-strata` end to end", "",
           f"Produced by `python scripts/benchmark_cli.py` on {platform.node() or 'this machine'} "
           f"({os.cpu_count()} cores), critlcn {__version__}, {phcpy_version()}, numpy {np.__version__}. "
           "Synthetic data for k = (3,2,…,2): 60 samples, noise 0.3, seed 0. Wall time of the command, start-up "
           "included. Targets with `--jobs 2` (issue 11): d = 8 under 60 s on Gaussian data and 120 s on AR data; "
           "d = 10 under 15 minutes. k = (3,2,…,2) has up to d!/2 parameter classes per real point: above 100 000 "
           "classes in all the lifting lists one point per orbit of equal-size layers (`--classes auto`), and the "
           "table gives both numbers; `--no-lift-from D` skips lifting at d ≥ D.", "",
           "AR data: `critlcn data synth --kind ar --samples 294` (windows of a simulated AR(2) series, standardised; "
           "the targets are the series' next values).", "",
           "| d | data | architecture | jobs | lifting | partitions | paths tracked | valid | failed | complete | "
           "certified | every count proved | real points | parameter classes | wall (s) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append(f"| {r['d']} | {r['kind']} | {r['arch']} | {r['jobs']} | {'yes' if r['lift'] else 'no'} | {r['partitions']} | "
                   f"{r['paths']} | {r['valid']} | {r['lost']} | {'yes' if r['complete'] else 'NO'} | {r['certified']} | {'yes' if r['proved'] else 'NO'} | {r['real']} | "
                   f"{_classes(r)} | {r['wall']:.1f} |")
    for r in runs:
        out += ["", f"Per partition, `{r['command']}` (valid/paths tracked, real): "
                + ", ".join(f"{lam}: {valid}/{paths}, {real}" for lam, paths, valid, real in r["rows"]) + "."]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degree", type=int, action="append", default=None, help="degree d (repeatable; default 8)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-lift", action="store_true", help="time the function-space solve only")
    ap.add_argument("--no-lift-from", type=int, default=None, metavar="D",
                    help="no lifting at degrees D and above (k = (3,2,...,2) has up to d!/2 parameter classes "
                         "per real point)")
    ap.add_argument("--kind", action="append", default=None, choices=["gaussian", "ar"],
                    help="data kind (repeatable; default gaussian)")
    ap.add_argument("--out", default="BENCHMARKS_CLI.md")
    args = ap.parse_args()
    runs = []
    for d, kind in [(d, kind) for d in args.degree or [8] for kind in args.kind or ["gaussian"]]:
        lift = not args.no_lift and (args.no_lift_from is None or d < args.no_lift_from)
        runs.append(bench(d, args.jobs, lift, kind=kind))
        r = runs[-1]
        print(f"d = {d}, {kind} data: {r['wall']:.1f} s, {r['valid']}/{r['paths']} valid/paths, complete {r['complete']}, certified {r['certified']}, proved {r['proved']}, "
              f"{r['real']} real points, {r['classes']} parameter classes", flush=True)
        with open(args.out, "w") as fh:  # rewritten after each run so partial runs leave a table
            fh.write(render(runs))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
