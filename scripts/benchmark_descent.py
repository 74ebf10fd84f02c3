"""Benchmark of the vectorised gradient descent (issue 6 item 6: 1000 runs for
k = (4, 2) in under 60 s).

Times, for each architecture, the experiment's gradient-descent phase alone
(targets, initialisations, descent with Newton finish, classification of the
limits) and, separately, the cost of checking one target against the solver
(solve + lift + match). Prints a table and writes BENCHMARKS_DESCENT.md.

    .venv/bin/python scripts/benchmark_descent.py [--runs 1000] [--seed 0] [--out BENCHMARKS_DESCENT.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from critlcn import __version__  # noqa: E402
from critlcn.architecture import Architecture  # noqa: E402
from critlcn.descent import (  # noqa: E402
    descend,
    experiment,
    random_init,
    rrmp_of_limit,
    whitened_losses,
)


def bench_descent(k, runs, seed):
    arch = Architecture(k)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    loss = whitened_losses(rng.normal(size=(runs, arch.size)))
    init = random_init(arch, runs, rng)
    desc = descend(loss, init)
    t1 = time.perf_counter()
    for i in range(runs):
        rrmp_of_limit(desc.run(i))
    t2 = time.perf_counter()
    return {
        "k": arch.label(),
        "runs": runs,
        "descent s": t1 - t0,
        "classify s": t2 - t1,
        "total s": t2 - t0,
        "converged": int(desc.converged.sum()),
        "newton-finished": int(desc.polished.sum()),
        "median steps": int(np.median(desc.steps)),
        "max steps": int(desc.steps.max()),
    }


def bench_match(k, targets, seed):
    arch = Architecture(k)
    t0 = time.perf_counter()
    res = experiment(arch, targets, seed=seed, match=targets)
    total = time.perf_counter() - t0
    return {"k": arch.label(), "targets checked": targets, "seconds per target": total / targets,
            "matched": f"{res.matched}/{res.checked_converged}"}


def table(rows):
    head = list(rows[0])
    cells = [head] + [[f"{r[h]:.2f}" if isinstance(r[h], float) else str(r[h]) for h in head] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    text = ["  ".join(c[i].rjust(widths[i]) for i in range(len(head))) for c in cells]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(c) + " |" for c in cells[1:]]
    return "\n".join(text), "\n".join(md)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--match", type=int, default=20, help="targets to time the solver check on")
    ap.add_argument("--out", default="BENCHMARKS_DESCENT.md")
    ap.add_argument("--reproduce", type=int, default=100, metavar="N",
                    help="also run the MATH.md §8 experiment (--runs runs, limits of N targets checked); 0 = skip")
    args = ap.parse_args(argv)
    rows = [bench_descent(k, args.runs, args.seed) for k in [(4, 2), (3, 2, 2)]]
    mrows = [bench_match(k, args.match, args.seed) for k in [(4, 2), (3, 2, 2)]]
    text1, md1 = table(rows)
    text2, md2 = table(mrows)
    print(text1)
    print()
    print(text2)
    env = (f"critlcn {__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
           f"{platform.machine()}, {os.cpu_count()} cores, seed {args.seed}")
    cmd = f"python scripts/benchmark_descent.py --runs {args.runs} --seed {args.seed} --match {args.match}"
    doc = [
        "# Gradient descent benchmark", "",
        f"Command: `{cmd}`  ", f"Environment: {env}", "",
        "Whitened targets (i.i.d. Gaussian end-to-end filters), Gaussian initialisation N(0, 0.5²), "
        "tolerance ‖∇L‖ ≤ 1e-9 (1 + ‖b‖), at most 20000 Armijo steps per run, then Newton finish "
        "for slow runs. Target (issue 6): 1000 runs for k = (4,2) under 60 s.", "",
        md1, "",
        "Checking limits against the solver (experiment with one run per target, every target solved, lifted "
        "and matched; includes the descent):", "",
        md2, "",
    ]
    if args.reproduce:
        from critlcn.render import render_experiment

        doc += ["## Reproduction of MATH.md §8", ""]
        for k in [(4, 2), (3, 2, 2)]:
            res = experiment(Architecture(k), args.runs, seed=args.seed, match=args.reproduce)
            text = render_experiment(res, "md")
            print()
            print(render_experiment(res, "table"))
            doc += [f"### k = {Architecture(k).label()[2:]}", "",
                    f"`critlcn experiment --k {' '.join(map(str, k))} --runs {args.runs} --seed {args.seed} "
                    f"--match {args.reproduce} --format md` ({res.seconds:.1f} s)", "", text, ""]
    with open(args.out, "w") as fh:
        fh.write("\n".join(doc))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
