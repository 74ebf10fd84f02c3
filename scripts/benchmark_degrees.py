"""Benchmark of the exact counts (critlcn.degrees, MATH.md §10); writes a
Markdown section.

* EDgen of every partition of d (cold caches) at d = 8, 12, 16, 20
  (targets: d = 12 under 1 s, d = 20 under 10 s);
* N(λ, μ) by the dynamic programme vs listing every 0/1 matrix row by row
  (the brute force), on pairs small enough to list, same run;
* the Segre number of large architectures (the Chern-class formula).

Run:  .venv/bin/python scripts/benchmark_degrees.py [--out BENCHMARKS_DEGREES.md]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from pathlib import Path

import critlcn.degrees as D
from critlcn import __version__
from critlcn.report import render_table

ROOT = Path(__file__).resolve().parents[1]


def cold(func, *args):
    D._ed_degrees.cache_clear()
    D._fill.cache_clear()
    D._moves.cache_clear()
    D._segre.cache_clear()
    t = time.perf_counter()
    value = func(*args)
    return value, time.perf_counter() - t


def brute_n(lam, mu) -> int:
    cols = len(mu)
    count = 0
    for choice in itertools.product(*[itertools.combinations(range(cols), r) for r in lam]):
        sums = [0] * cols
        for row in choice:
            for c in row:
                sums[c] += 1
        count += sums == list(mu)
    return count


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS_DEGREES.md"))
    args = ap.parse_args(argv)
    rows = []
    for d in (8, 12, 16, 20):
        table, t = cold(D.ed_degrees, d)
        rows.append([d, len(table), sum(table.values()), f"{t:.3f}"])
    text = (f"# Benchmark: exact counts (`critlcn degrees`)\n\nProduced by `python scripts/benchmark_degrees.py` on "
            f"{platform.node()} ({os.cpu_count()} cores), critlcn {__version__}, {time.strftime('%Y-%m-%d')}; "
            "one process, caches cleared before each row.\n\n## EDgen of every partition of d\n\n")
    text += render_table(["d", "partitions", "Σ EDgen", "seconds"], rows, "md") + "\n\n"
    rows = []
    for lam, mu in [((2, 2, 1, 1, 1), (3, 2, 1, 1)), ((1,) * 8, (3, 3, 2)), ((2, 2, 2, 1, 1), (3, 2, 2, 1)),
                    ((3, 2, 2, 1, 1), (4, 3, 2))]:
        t = time.perf_counter()
        for _ in range(20):
            D._fill.cache_clear()
            D._moves.cache_clear()
            ours = D.assignment_count(lam, mu)
        t_ours = (time.perf_counter() - t) / 20
        t = time.perf_counter()
        base = brute_n(lam, mu)
        t_base = time.perf_counter() - t
        assert ours == base
        rows.append(["-".join(map(str, lam)), "-".join(map(str, mu)), ours, f"{t_ours * 1e3:.2f}",
                     f"{t_base * 1e3:.1f}", f"{t_base / t_ours:.0f}×"])
    text += "## N(λ, μ): dynamic programme vs listing 0/1 matrices\n\n"
    text += render_table(["λ", "μ", "N", "DP ms", "listing ms", "speed-up"], rows, "md") + "\n\n"
    rows = []
    for ns in [(2, 1, 1), (3, 3), (2, 2, 2), (1,) * 6, (8, 8, 8), (1,) * 12]:
        value, t = cold(D.segre_ed_degree, ns)
        rows.append([" × ".join(f"P^{n}" for n in ns), value, f"{t * 1e3:.2f}"])
    text += "## Segre numbers (Chern-class formula, exact integers)\n\n"
    text += render_table(["Segre product", "generic ED degree", "ms"], rows, "md") + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
