"""Benchmark: interval certification (critlcn.certify) of whole solves, d = 6..8.

Two kinds of input, every partition of d:

* **generic complex data**: the cached start systems (every valid solution
  at the generic complex parameters ``p0`` of each partition: 3 856
  solutions at d = 8, the size of a d = 8 ``--all-strata`` solve);
* **real data**: one synthetic dataset (60 samples, noise 0.3, seed 0) solved
  by the parameter homotopy (``solve_partition``), then certified, realness
  included (d up to ``--real-max-degree``; tracking is not timed).

Reports, per degree: solutions, certified distinct (and real) solutions,
the generic count, wall time of the certification and time per solution.
Writes BENCHMARKS_CERTIFY.md.

Run:  python scripts/benchmark_certify.py [--degrees 6 7 8] [--real-max-degree 7] [--out BENCHMARKS_CERTIFY.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import flint
import numpy as np

from critlcn import __version__
from critlcn.architecture import Architecture
from critlcn.certify import certify_stratum
from critlcn.critical import get_start, solve_partition
from critlcn.data import quadratic_loss, synth
from critlcn.rrmp import partitions
from critlcn.systems import parameters


def _complex_data(start, d):
    L = d + 1
    iu, ju = np.triu_indices(L)
    p = start.parameters
    Q = np.zeros((L, L), complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    return Q, p[iu.size:]


def bench(d: int, real: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    if real:
        arch = Architecture((d + 1,))
        loss = quadratic_loss(synth(arch, 60, rng, noise=0.3), arch)
    n = distinct = n_real = expected = 0
    seconds = 0.0
    worst = 0.0
    for lam in partitions(d):
        start = get_start(lam)
        if real:
            sol = solve_partition(start, parameters(loss.Q, loss.b), rng)
            chart, Q, b, points = sol.chart, loss.Q, loss.b, sol.solutions
        else:
            (Q, b), chart, points = _complex_data(start, d), start.chart, start.solutions
        t = time.perf_counter()
        res = certify_stratum(chart, Q, b, points)
        dt = time.perf_counter() - t
        seconds += dt
        worst = max(worst, dt / max(len(points), 1))
        n += len(points)
        distinct += res.distinct
        n_real += res.distinct_real
        expected += start.count  # the generic count (cached start system)
    return {"d": d, "data": "real (synthetic)" if real else "generic complex (start systems)", "solutions": n,
            "distinct": distinct, "real": n_real if real else None, "expected": expected, "seconds": seconds,
            "per_solution_ms": 1e3 * seconds / max(n, 1), "worst_partition_ms": 1e3 * worst}


def naive_krawczyk_ms(lam, count: int = 5) -> tuple[float, float]:
    """The baseline a user would write: the solver's system (monomials and
    their coefficients, `critlcn.systems.Assembled`) evaluated monomial by
    monomial in ball arithmetic, one Krawczyk test (F at the point, F' on a
    box) per solution; against ours on the same solutions. Returns ms per
    solution (naive, ours)."""
    from critlcn.systems import critical_system

    start = get_start(lam)
    d = sum(lam)
    Q, b = _complex_data(start, d)
    a = critical_system(start.chart).assemble(start.parameters)
    pts = start.solutions[:count]
    n = start.chart.unknowns
    t = time.perf_counter()
    for x in pts:
        X = [flint.acb(flint.arb(z.real, 1e-10), flint.arb(z.imag, 1e-10)) for z in x]
        xb = [flint.acb(z.real, z.imag) for z in x]
        F = [sum((flint.acb(c.real, c.imag) * _mono(xb, e) for e, c in zip(ex, co)), flint.acb(0))
             for ex, co in zip(a.system.exponents, a.coefficients)]
        J = [[sum((flint.acb(c.real * e[v], c.imag * e[v]) * _mono(X, e, v) for e, c in zip(ex, co) if e[v]),
                  flint.acb(0)) for v in range(n)] for ex, co in zip(a.system.exponents, a.coefficients)]
        Y = flint.acb_mat(np.linalg.inv(a.jacobian(x[None])[0]).tolist())
        _ = flint.acb_mat([[f] for f in F]), Y * flint.acb_mat(J)
    naive = 1e3 * (time.perf_counter() - t) / len(pts)
    t = time.perf_counter()
    certify_stratum(start.chart, Q, b, pts)
    ours = 1e3 * (time.perf_counter() - t) / len(pts)
    return naive, ours


def _mono(x, e, v=None):
    out = flint.acb(1)
    for i, k in enumerate(e):
        k = int(k) - (1 if i == v else 0)
        for _ in range(k):
            out = out * x[i]
    return out


def render(rows, baseline=None) -> str:
    out = [
        "# Benchmark: certification of whole solves (Krawczyk, ball arithmetic)",
        "",
        f"Produced by `python scripts/benchmark_certify.py` on {platform.node()} ({os.cpu_count()} cores), "
        f"critlcn {__version__}, python-flint {flint.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}; one process. Every partition of d; the time is certification only "
        "(Krawczyk box, validity, realness on real data, duplicates), not tracking. Target: a whole d = 8 solve "
        "(3 856 solutions) well under a minute.",
        "",
        "| d | data | solutions | certified distinct | certified real | generic count | seconds | ms per solution "
        "| worst partition, ms per solution |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(f"| {r['d']} | {r['data']} | {r['solutions']} | {r['distinct']} | "
                   f"{'' if r['real'] is None else r['real']} | {r['expected']} | {r['seconds']:.1f} | "
                   f"{r['per_solution_ms']:.2f} | {r['worst_partition_ms']:.2f} |")
    if baseline:
        lam, naive, ours = baseline
        out += ["", f"Baseline (same run): the solver's monomial form of the system evaluated monomial by monomial "
                f"in ball arithmetic, one Krawczyk test per solution, partition {'-'.join(map(str, lam))} of "
                f"d = {sum(lam)}: {naive:.0f} ms per solution; ours, the whole certificate (validity, duplicates "
                f"included): {ours:.1f} ms per solution ({naive / ours:.0f}× faster)."]
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--degrees", type=int, nargs="+", default=[6, 7, 8])
    ap.add_argument("--real-max-degree", type=int, default=7, help="largest degree solved and certified on real data")
    ap.add_argument("--out", default="BENCHMARKS_CERTIFY.md")
    args = ap.parse_args(argv)
    rows = []
    for d in args.degrees:
        rows.append(bench(d, real=False))
        print(rows[-1], flush=True)
        if d <= args.real_max_degree:
            rows.append(bench(d, real=True))
            print(rows[-1], flush=True)
    lam = (3, 2, 2, 1)
    naive, ours = naive_krawczyk_ms(lam)
    print({"baseline": lam, "naive_ms": naive, "ours_ms": ours}, flush=True)
    text = render(rows, (lam, naive, ours))
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
