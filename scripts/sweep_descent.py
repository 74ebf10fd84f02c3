"""Which gradient-descent set-up reproduces the paper's tables (MATH.md §8,
issue 16)?

Runs `critlcn.descent.experiment` for k = (4, 2) and k = (3, 2, 2) under a
list of set-ups that each change ONE choice relative to a base set-up
(initialisation type and root distribution, initialisation scale, target
distribution and scale, the loss: whitened or a few data samples, step rule,
stopping, classification tolerance), plus combinations (names with a +),
compares every row of the paper's two tables (share of runs per target type
and limit type, with Wilson 95% intervals, and the mean loss) and writes a
Markdown report: a summary table (distance to the paper per set-up) and the
full side-by-side tables. Every set-up uses the same seed, so the targets
are the same across set-ups.

    nice -n 10 .venv/bin/python scripts/sweep_descent.py [--runs 3000] [--seed 16] \\
        [--only NAME ...] [--out SWEEP_DESCENT.md] [--json SWEEP_DESCENT.json]
    .venv/bin/python scripts/sweep_descent.py --from-json SWEEP_DESCENT.json   # rewrite the Markdown
    .venv/bin/python scripts/sweep_descent.py --readme SWEEP_DESCENT.json NAME  # README table of one set-up

The distance to the paper is the mean, over the paper's target types, of the
total-variation distance between the paper's and our distribution of limit
types (in percentage points); the "within CI" column counts the paper's rows
whose share lies in our Wilson 95% interval.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from critlcn import __version__  # noqa: E402
from critlcn.architecture import Architecture  # noqa: E402
from critlcn.descent import experiment  # noqa: E402

#: The paper's tables (MATH.md §8): target type → (share of targets %, {limit: (share of runs %, mean loss)}).
PAPER = {
    (4, 2): {
        "1111|0": (5.28, {"1111|0": (100.0, 3.0e-15)}),
        "11|1": (72.6, {"112|0": (15.5, 0.228), "11|1": (83.2, 1.9e-15), "2|1": (1.36, 0.54)}),
        "0|11": (22.1, {"112|0": (7.85, 0.347), "2|1": (92.2, 0.231)}),
    },
    (3, 2, 2): {
        "1111|0": (4.82, {"1111|0": (99.6, 4.7e-15), "13|0": (0.43, 0.71)}),
        "11|1": (72.9, {"112|0": (27.1, 0.221), "22|0": (1.28, 0.992), "13|0": (25.8, 0.798),
                        "11|1": (45.5, 1.8e-15), "2|1": (0.38, 0.446)}),
        "0|11": (22.3, {"112|0": (11.2, 0.374), "22|0": (25.5, 0.855), "13|0": (7.1, 0.895),
                        "2|1": (56.2, 0.224)}),
    },
}

#: The base set-up every other set-up changes in one choice (today's defaults).
BASE = {"init_type": "gaussian", "init_scale": 0.5, "target_dist": "gaussian", "target_scale": 1.0,
        "step_rule": "armijo", "step": 1e-2, "max_steps": 20000, "root_tol": 1e-4}

#: name → (what changes, the changed options). Each changes one choice of BASE.
SETUPS = {
    "base": ("today's defaults: Gaussian weights N(0, 0.5²), N(0,1) targets, Armijo", {}),
    # initialisation type and root distribution
    "init 1111|0 uniform-angle": ("init type 1111|0, roots uniform on RP¹", {"init_type": "1111|0"}),
    "init 1111|0 gaussian roots": ("init type 1111|0, roots N(0,1)", {"init_type": "1111|0", "init_roots": "gaussian"}),
    "init 1111|0 uniform roots": ("init type 1111|0, roots U(−1,1)", {"init_type": "1111|0", "init_roots": "uniform"}),
    "init 1111|0 monic gaussian roots": ("init type 1111|0, monic layers Π(x − z y), roots N(0,1)",
                                         {"init_type": "1111|0", "init_roots": "gaussian", "init_norms": "monic",
                                          "init_scale": 1.0}),
    "init 1111|0 monic uniform roots": ("init type 1111|0, monic layers Π(x − z y), roots U(−1,1)",
                                        {"init_type": "1111|0", "init_roots": "uniform", "init_norms": "monic",
                                         "init_scale": 1.0}),
    "init 112|0": ("init type 112|0 (a real root shared by two layers)", {"init_type": "112|0"}),
    "init 11|1": ("init type 11|1", {"init_type": "11|1"}),
    # initialisation scale
    "init scale 0.1": ("Gaussian weights N(0, 0.1²)", {"init_scale": 0.1}),
    "init scale 0.01": ("Gaussian weights N(0, 0.01²)", {"init_scale": 0.01}),
    "init scale 1": ("Gaussian weights N(0, 1)", {"init_scale": 1.0}),
    "init scale 2": ("Gaussian weights N(0, 2²)", {"init_scale": 2.0}),
    # targets
    "targets sphere": ("targets normalised to the unit sphere", {"target_dist": "sphere"}),
    "targets ×0.5": ("targets N(0, 0.5²)", {"target_scale": 0.5}),
    "targets uniform": ("targets with i.i.d. U(−1, 1) coefficients", {"target_dist": "uniform"}),
    "data gaussian": ("loss of 50 Gaussian samples with the target as teacher (Q ≠ I)", {"data_model": "gaussian"}),
    "data gaussian, 10 samples": ("loss of 10 Gaussian samples with the target as teacher (Q far from I)",
                                  {"data_model": "gaussian", "samples": 10}),
    "data gaussian, 3 samples": ("loss of 3 Gaussian samples with the target as teacher (Q farther from I)",
                                 {"data_model": "gaussian", "samples": 3}),
    # step rule and stopping
    "fixed step 0.01": ("plain GD, step 0.01, 20000 steps", {"step_rule": "fixed", "step": 0.01}),
    "fixed step 0.05": ("plain GD, step 0.05, 20000 steps", {"step_rule": "fixed", "step": 0.05}),
    "fixed step 0.01, 2000 steps": ("plain GD, step 0.01, stopped after 2000 steps",
                                    {"step_rule": "fixed", "step": 0.01, "max_steps": 2000}),
    "stop tol 1e-5": ("Armijo, stop at relative gradient 1e-5, no Newton finish", {"tol": 1e-5, "polish": False}),
    "stop tol 1e-3": ("Armijo, stop at relative gradient 1e-3, no Newton finish", {"tol": 1e-3, "polish": False}),
    # classification
    "root tol 1e-2": ("layer roots within chordal 1e-2 count as one", {"root_tol": 1e-2}),
    "root tol 1e-6": ("layer roots within chordal 1e-6 count as one", {"root_tol": 1e-6}),
}

#: Combinations of the choices above that moved the tables towards the paper.
COMBINED = {
    "fixed 0.05 + root tol 1e-2": ("plain GD step 0.05, 20000 steps; root tolerance 1e-2",
                                   {"step_rule": "fixed", "step": 0.05, "root_tol": 1e-2}),
    "init 1111|0 gaussian roots + scale 0.1": ("init type 1111|0, roots N(0,1), layer norms 0.1·√k_i",
                                               {"init_type": "1111|0", "init_roots": "gaussian", "init_scale": 0.1}),
    "fixed 0.01 + root tol 1e-2": ("plain GD step 0.01, 20000 steps; root tolerance 1e-2",
                                   {"step_rule": "fixed", "step": 0.01, "root_tol": 1e-2}),
    "init 1111|0 + data gaussian, 10 samples": ("init 1111|0; loss of 10 Gaussian samples",
                                                {"init_type": "1111|0", "data_model": "gaussian", "samples": 10}),
    "init 1111|0 + data gaussian, 3 samples": ("init 1111|0; loss of 3 Gaussian samples",
                                               {"init_type": "1111|0", "data_model": "gaussian", "samples": 3}),
    "init 1111|0 + data gaussian, 1 sample": ("init 1111|0; loss of 1 Gaussian sample",
                                              {"init_type": "1111|0", "data_model": "gaussian", "samples": 1}),
    "init 1111|0 + data gaussian, 2 samples": ("init 1111|0; loss of 2 Gaussian samples",
                                               {"init_type": "1111|0", "data_model": "gaussian", "samples": 2}),
    "init 1111|0 + data gaussian, 5 samples": ("init 1111|0; loss of 5 Gaussian samples",
                                               {"init_type": "1111|0", "data_model": "gaussian", "samples": 5}),
    "init 1111|0 + data gaussian, 4 samples of size 6": ("init 1111|0; loss of 4 Gaussian samples of size 6",
                                                         {"init_type": "1111|0", "data_model": "gaussian",
                                                          "samples": 4, "d0": 6}),
    "init 1111|0 + data gaussian, 8 samples of size 5": ("init 1111|0; loss of 8 Gaussian samples of size 5",
                                                         {"init_type": "1111|0", "data_model": "gaussian",
                                                          "samples": 8, "d0": 5}),
    "init 1111|0 + data gaussian, 3 samples of size 6": ("init 1111|0; loss of 3 Gaussian samples of size 6",
                                                         {"init_type": "1111|0", "data_model": "gaussian",
                                                          "samples": 3, "d0": 6}),
    "init 1111|0 + data gaussian, 6 samples of size 6": ("init 1111|0; loss of 6 Gaussian samples of size 6",
                                                         {"init_type": "1111|0", "data_model": "gaussian",
                                                          "samples": 6, "d0": 6}),
    "init 1111|0 + data gaussian, 10 samples of size 6": ("init 1111|0; loss of 10 Gaussian samples of size 6",
                                                          {"init_type": "1111|0", "data_model": "gaussian",
                                                           "samples": 10, "d0": 6}),
    "init 1111|0 + data gaussian, 6 samples of size 7": ("init 1111|0; loss of 6 Gaussian samples of size 7",
                                                         {"init_type": "1111|0", "data_model": "gaussian",
                                                          "samples": 6, "d0": 7}),
    "data gaussian, 4 samples of size 6": ("loss of 4 Gaussian samples of size 6 (Gaussian weights)",
                                           {"data_model": "gaussian", "samples": 4, "d0": 6}),
    "init 1111|0 + fixed 0.05 + root tol 1e-2": ("init 1111|0; plain GD step 0.05; root tolerance 1e-2",
                                                 {"init_type": "1111|0", "step_rule": "fixed", "step": 0.05,
                                                  "root_tol": 1e-2}),
}
SETUPS.update(COMBINED)


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial share (as fractions)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def run_setup(k, options, runs, seed):
    opts = {**BASE, **options}
    res = experiment(Architecture(k), runs, seed=seed, match=0, **opts)
    table = {}
    for t in res.targets:
        table[t.rrmp] = {"targets": t.targets, "share": 100 * t.share, "runs": t.runs,
                         "limits": {lim.rrmp: {"runs": lim.runs, "share": 100 * lim.share,
                                               "ci": [100 * x for x in wilson(lim.runs, t.runs)],
                                               "mean_loss": lim.mean_loss} for lim in t.limits}}
    return {"table": table, "converged": res.converged, "runs": runs, "seconds": res.seconds}


def distance(k, table) -> tuple[float, int, int]:
    """Mean total-variation distance (percentage points) to the paper over its
    target types; paper rows inside our Wilson interval; paper rows."""
    tv, inside, rows = [], 0, 0
    for tt, (_, limits) in PAPER[k].items():
        ours = table.get(tt, {"limits": {}})["limits"]
        names = set(limits) | set(ours)
        tv.append(0.5 * sum(abs(limits.get(n, (0.0, None))[0] - ours.get(n, {"share": 0.0})["share"]) for n in names))
        for n, (share, _) in limits.items():
            rows += 1
            ci = ours.get(n, {"ci": [0.0, 100 * wilson(0, max(1, table.get(tt, {"runs": 0})["runs"]))[1]]})["ci"]
            inside += ci[0] <= share <= ci[1]
    return float(np.mean(tv)), inside, rows


def side_by_side(k, table) -> list[str]:
    out = ["| target | share (ours / paper) | limit | runs | share of runs, 95% CI | paper | mean loss | paper |",
           "|---|---|---|---|---|---|---|---|"]
    for tt, (tshare, limits) in PAPER[k].items():
        ours = table.get(tt, {"share": 0.0, "limits": {}, "runs": 0})
        names = sorted(set(limits) | set(ours["limits"]), key=lambda n: (n not in limits, n))
        first = True
        for n in names:
            o = ours["limits"].get(n)
            p = limits.get(n)
            ci = o["ci"] if o else [0.0, 100 * wilson(0, max(1, ours["runs"]))[1]]
            out.append("| " + " | ".join([
                f"`{_esc(tt)}`" if first else "",
                f"{ours['share']:.2f}% / {tshare}%" if first else "",
                f"`{_esc(n)}`",
                str(o["runs"] if o else 0),
                f"{o['share'] if o else 0.0:.2f}% [{ci[0]:.2f}, {ci[1]:.2f}]",
                f"{p[0]}%" if p else "—",
                f"{o['mean_loss']:.3g}" if o else "—",
                f"{p[1]:.3g}" if p else "—",
            ]) + " |")
            first = False
    return out


def readme_table(results_json: str, name: str) -> str:
    """One Markdown table of both architectures for set-up ``name`` from a
    ``--json`` file: every row of the paper's tables and every extra row of ours."""
    with open(results_json) as fh:
        data = json.load(fh)
    out = ["| k | target (ours / paper) | limit | share of runs, ours [95% CI] | paper | mean loss, ours | paper |",
           "|---|---|---|---|---|---|---|"]
    for k in PAPER:
        table = data["results"][name][str(k)]["table"]
        for line in side_by_side(k, table)[2:]:
            cells = line.strip("|").split(" | ")
            target, share, limit, _, ours, paper, loss, ploss = (c.strip() for c in cells)
            out.append(f"| {','.join(map(str, k)) if target else ''} | {target} {'(' + share + ')' if share else ''} "
                       f"| {limit} | {ours} | {paper} | {loss} | {ploss} |")
    return "\n".join(out).replace("|  (", "| (")


def _esc(text: str) -> str:
    # a bare "|" would split a Markdown table cell
    return text.replace("|", "\\|")


def summary_line(name: str, per: dict, runs: int) -> str:
    what, _ = SETUPS.get(name, ("", {}))
    cells, inside_all, rows_all, conv, secs = [], 0, 0, 0, 0.0
    for k in PAPER:
        r = per[str(k)]
        tv, inside, rows = distance(k, r["table"])
        cells.append(f"{tv:.1f}")
        inside_all += inside
        rows_all += rows
        conv += r["converged"]
        secs += r["seconds"]
    return (f"| {_esc(name)} | {_esc(what)} | {cells[0]} | {cells[1]} | {inside_all}/{rows_all} | "
            f"{conv}/{2 * runs} | {secs:.0f} |")


def write_markdown(path: str, results: dict, runs: int, seed: int) -> None:
    summary = ["| set-up | what changes | TV (4,2) | TV (3,2,2) | paper rows in our 95% CI | converged | seconds |",
               "|---|---|---|---|---|---|---|"]
    summary += [summary_line(name, per, runs) for name, per in results.items()]
    text = ["# Gradient-descent set-ups against the paper's tables (issue 16)", "",
            f"`nice -n 10 .venv/bin/python scripts/sweep_descent.py --runs {runs} --seed {seed}`; critlcn "
            f"{__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}. {runs} runs (one target each) per set-up and architecture, the same "
            f"targets for every set-up. Base set-up: `{json.dumps(BASE)}`; every set-up changes one choice of it, "
            "except those named with a +, which combine choices. TV: mean over the paper's target types of the total-variation distance between "
            "the paper's and our shares of limit types (percentage points; 0 = identical). CI: Wilson score "
            "interval.", ""] + summary + [""]
    for name, per in results.items():
        for k in PAPER:
            text += [f"## {_esc(name)}: k = {k}", ""] + side_by_side(k, per[str(k)]["table"]) + [""]
    with open(path, "w") as fh:
        fh.write("\n".join(text))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--only", nargs="*", default=None, help="names of set-ups to run (default: all)")
    ap.add_argument("--out", default="SWEEP_DESCENT.md")
    ap.add_argument("--json", default=None, help="also write the raw tables as JSON")
    ap.add_argument("--readme", nargs=2, metavar=("JSON", "NAME"), default=None,
                    help="print the README table of set-up NAME from a --json file and exit")
    ap.add_argument("--from-json", default=None, help="rewrite --out from a --json file instead of running")
    args = ap.parse_args(argv)
    if args.readme:
        print(readme_table(*args.readme))
        return
    if args.from_json:
        with open(args.from_json) as fh:
            data = json.load(fh)
        write_markdown(args.out, data["results"], data["runs"], data["seed"])
        return
    names = args.only or list(SETUPS)
    unknown = [n for n in names if n not in SETUPS]
    if unknown:
        ap.error(f"unknown set-ups {unknown}; known: {list(SETUPS)}")
    results = {}
    for name in names:
        _, options = SETUPS[name]
        results[name] = {str(k): run_setup(k, options, args.runs, args.seed) for k in PAPER}
        print(summary_line(name, results[name], args.runs), flush=True)
        if args.json:  # written as it goes, so an interrupted sweep keeps what it ran
            with open(args.json, "w") as fh:
                json.dump({"runs": args.runs, "seed": args.seed, "base": BASE, "results": results}, fh, indent=1)
    write_markdown(args.out, results, args.runs, args.seed)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
