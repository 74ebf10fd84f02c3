"""Click commands ``experiment`` (docs/math.md, "Gradient descent experiments") and ``report`` (Markdown and
self-contained HTML).

Thin wrappers: parse options, call `critlcn.descent`, `critlcn.lift`,
`critlcn.plots`, print or write. Register with ``main.add_command(experiment)``
and ``main.add_command(report)``.
"""

from __future__ import annotations

import base64
import html
import os

import click
import numpy as np

from critlcn.clikit import SEED, KCommand, architecture_from, emit, friendly, k_option, write_text
from critlcn.errors import CritlcnError

__all__ = ["experiment", "report", "build_report"]

#: Degree above which experiments are refused (the solver check needs start systems).
MAX_EXPERIMENT_DEGREE = 10


def _arch(k):
    from critlcn.architecture import check_degree

    return check_degree(architecture_from(k), MAX_EXPERIMENT_DEGREE)


def _check_writable_file(path: str | None, option: str, extensions: tuple[str, ...] | None = None) -> None:
    # fail before a long run, not after it
    if not path:
        return
    if extensions is not None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in extensions:
            raise CritlcnError(f"{option} {path}: give a file name ending in " + " or ".join("." + e for e in extensions))
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CritlcnError(f"cannot write {path}: folder {directory} does not exist; create it or pick another {option}")
    if not os.access(directory, os.W_OK):
        raise CritlcnError(f"cannot write {path}: folder {directory} is not writable; pick another {option}")
    if os.path.isdir(path):
        raise CritlcnError(f"cannot write {path}: it is a folder; give a file name for {option}")


def _positive(value, name: str) -> None:
    if value is not None and value < 1:
        raise CritlcnError(f"{name} must be a positive whole number, got {value}")


@click.command("experiment", cls=KCommand)
@k_option()
@click.option("--runs", type=int, default=1000, show_default=True, help="gradient-descent runs")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of every random choice")
@click.option("--data-model", default="whitened", show_default=True, metavar="whitened|gaussian",
              help="whitened: loss ‖w − target‖²; gaussian: Gaussian inputs with the target as teacher")
@click.option("--targets", type=int, default=None, help="number of targets (default: one per run)")
@click.option("--samples", type=int, default=50, show_default=True, help="samples per target (gaussian model)")
@click.option("--d0", type=int, default=None, help="input size of the gaussian model's samples (default 2k)")
@click.option("--init-scale", type=float, default=0.5, show_default=True,
              help="standard deviation of the Gaussian initialisation (rrmp types: layer norms init-scale·√k_i)")
@click.option("--init-type", default="gaussian", show_default=True, metavar="gaussian|RRMP",
              help="gaussian weights, or layers factoring with this interior compatible rrmp, e.g. 1111|0 or 11|1")
@click.option("--init-roots", default="uniform-angle", show_default=True, metavar="uniform-angle|gaussian|uniform",
              help="distribution of the roots of an rrmp initialisation")
@click.option("--init-norms", default="balanced", show_default=True, metavar="balanced|monic",
              help="layer norms of an rrmp initialisation: init-scale·√k_i, or init-scale × the monic product")
@click.option("--target-dist", default="gaussian", show_default=True, metavar="gaussian|sphere|uniform",
              help="targets with i.i.d. N(0,1) coefficients, normalised to the unit sphere, or i.i.d. U(-1,1)")
@click.option("--target-scale", type=float, default=1.0, show_default=True, help="multiply every target by this")
@click.option("--step-rule", default="armijo", show_default=True, metavar="armijo|fixed",
              help="Armijo backtracking (with a Newton finish) or plain fixed-step gradient descent")
@click.option("--step", type=float, default=1e-2, show_default=True,
              help="step size (fixed rule) or initial step size (Armijo)")
@click.option("--root-tol", type=float, default=1e-4, show_default=True,
              help="chordal distance under which layer roots of a limit count as one root")
@click.option("--paper", is_flag=True,
              help="the set-up that best reproduces the paper's tables (README); options given explicitly win")
@click.option("--max-steps", type=int, default=20000, show_default=True, help="gradient steps per run at most")
@click.option("--match", "match", type=int, default=100, show_default=True,
              help="check the limits of this many targets (seeded subset) against the solver's critical points")
@click.option("--format", "fmt", default="table", show_default=True, metavar="table|json|md|latex",
              help="output format")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="outcome bars to FILE.png or FILE.svg")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@friendly
def experiment(k, runs, seed, data_model, targets, samples, d0, init_scale, init_type, init_roots, init_norms, target_dist,
               target_scale, step_rule, step, root_tol, paper, max_steps, match, fmt, plot, output):
    """Gradient descent from random initialisations on random targets; limits
    classified by rrmp and checked against the listed critical points."""
    from critlcn.descent import (DATA_MODELS, EXPERIMENT_FORMATS, PAPER_SETUP, STEP_RULES, TARGET_DISTRIBUTIONS,
                                 experiment as run, render_experiment)
    from critlcn.initialisation import LAYER_NORMS, ROOT_DISTRIBUTIONS, parse_init_type

    opts = {"data_model": data_model, "samples": samples, "d0": d0, "init_scale": init_scale, "init_type": init_type,
            "init_roots": init_roots, "init_norms": init_norms, "target_dist": target_dist,
            "target_scale": target_scale, "step_rule": step_rule, "step": step, "root_tol": root_tol,
            "max_steps": max_steps}
    if paper:
        # the preset fills only the options the user left at their defaults
        source = click.get_current_context().get_parameter_source
        opts.update({name: value for name, value in PAPER_SETUP.items()
                     if source(name) is click.core.ParameterSource.DEFAULT})
    arch = _arch(k)
    _positive(runs, "--runs")
    _positive(opts["max_steps"], "--max-steps")
    _positive(opts["samples"], "--samples")
    if opts["data_model"] not in DATA_MODELS:
        raise CritlcnError(f"unknown --data-model {opts['data_model']!r}: use one of {', '.join(DATA_MODELS)}")
    if fmt not in EXPERIMENT_FORMATS:
        raise CritlcnError(f"unknown --format {fmt!r}: use one of {', '.join(EXPERIMENT_FORMATS)}")
    for name in ("init_scale", "target_scale", "step", "root_tol"):
        if not (opts[name] > 0 and np.isfinite(opts[name])):
            raise CritlcnError(f"--{name.replace('_', '-')} must be a positive number, got {opts[name]}")
    if match < 0:
        raise CritlcnError(f"--match must be 0 or more, got {match}")
    parse_init_type(opts["init_type"], arch)
    for option, value, known in (("--init-roots", opts["init_roots"], ROOT_DISTRIBUTIONS),
                                 ("--init-norms", opts["init_norms"], LAYER_NORMS),
                                 ("--target-dist", opts["target_dist"], TARGET_DISTRIBUTIONS),
                                 ("--step-rule", opts["step_rule"], STEP_RULES)):
        if value not in known:
            raise CritlcnError(f"unknown {option} {value!r}: use one of {', '.join(known)}")
    _check_writable_file(output, "--output")
    _check_writable_file(plot, "--plot", ("png", "svg"))
    result = run(arch, runs, seed=seed, targets=targets, match=match, **opts)
    if plot:
        from critlcn.plots import outcome_figure, save_figure

        save_figure(outcome_figure(result), plot)
    emit(render_experiment(result, fmt), output)


# ---------------------------------------------------------------------------
# report


def _html_table(headers, rows) -> str:
    # render_table has no HTML format and no public cell formatter; _cell keeps
    # these cells the same as in every other table
    from critlcn.report import _cell

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _versions() -> dict:
    from critlcn.results import versions

    return dict(versions(extra=("matplotlib",)))


def build_report(arch, loss, dataset, seed: int = 0, runs: int = 200, init=None):
    """Solve, lift, descend and draw: returns ``(sections, images)`` where
    ``sections`` is a list of ``(title, kind, payload)`` with kind ``'text'``,
    ``'table'`` (headers, rows) or ``'image'`` (name), and ``images`` maps
    names to ``(png bytes, svg bytes, alt text)``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.data import default_dataset, quadratic_loss
    >>> arch = Architecture((4, 2))
    >>> ds = default_dataset()
    >>> sections, images = build_report(arch, quadratic_loss(ds, arch), ds, runs=20)
    >>> sorted(images)
    ['critical_losses', 'descent', 'init_types', 'strata']
    """
    from critlcn.compatibility import stratum_info
    from critlcn.critical import solve
    from critlcn.descent import descend_on_loss, init_type_sweep
    from critlcn.lift import lift
    from critlcn.plots import critical_loss_figure, figure_bytes, init_sweep_figure, limits_figure, strata_figure
    from critlcn.rrmp import enumerate_rrmps

    result = solve(arch, loss, dataset, seed=seed)
    lifted = lift(arch, loss, result.points, init=init, solve=result)
    images = {}

    def add(name, fig, alt):
        images[name] = (figure_bytes(fig, "png"), figure_bytes(fig, "svg"), alt)

    data = dict(result.data)
    sections = []
    sections.append(("Run", "table", (["item", "value"], [
        ["command", f"critlcn report --k {' '.join(map(str, arch.k))} --seed {seed} --runs {runs}"],
        ["seed", seed],
        ["data", f"{data.get('source')} ({data.get('samples')} samples)"],
        ["data sha256", data.get("sha256")],
        ["versions", ", ".join(f"{k} {v}" for k, v in _versions().items())],
    ])))
    sections.append(("Architecture", "table", (["property", "value"], [
        ["filter sizes k (layer 1 first)", ", ".join(map(str, arch.k))],
        ["layers L", arch.layers],
        ["end-to-end filter size", arch.size],
        ["degree d", arch.degree],
        ["even filter sizes e", arch.e],
        ["function space", "filling (M_k = R^k)" if arch.filling else
         f"not filling: filters with at least {arch.e} real roots (closed, full-dimensional)"],
    ])))
    infos = [stratum_info(r, arch, max_patterns=4) for r in enumerate_rrmps(arch.degree)]
    sections.append(("Compatibility", "table", (
        ["rrmp", "partition", "dimension", "region", "compatible", "assignments", "patterns"],
        [[str(s.rrmp), "-".join(map(str, s.rrmp.partition)), s.rrmp.dimension, s.region, s.compatible,
          s.assignments, (list(s.patterns) + (["…"] if s.patterns_truncated else [])) or None] for s in infos])))
    add("strata", strata_figure(arch), f"Strata graph of degree {arch.degree} coloured by region")
    sections.append(("Strata graph", "image", "strata"))
    sections.append(("Solver statistics", "table", (
        ["partition", "rrmps", "paths", "valid", "expected", "certified", "real", "spurious", "failed"],
        [["-".join(map(str, s.partition)), list(s.rrmps), s.paths_tracked, s.valid, s.expected, s.certified, s.real,
          s.spurious, s.failed] for s in result.strata])))
    from critlcn.lift import _summary_rows

    head, rows = _summary_rows(lifted)
    sections.append(("Critical points by stratum", "table", (list(head), [list(r) for r in rows])))
    zero = lifted.zero_set
    sections.append(("Zero set", "text",
                     f"Every point with two or more zero filters is critical (w = 0): loss {zero.loss:.6g}, "
                     f"a set of dimension {zero.dimension} in parameter space. Parameter classes above non-zero "
                     f"critical points: {lifted.parameter_classes}; scaling: {lifted.scaling}."))
    prow = []
    for p in lifted.points:
        if not p.parameters:
            prow.append([str(p.rrmp), p.region, f"{p.loss:.6g}", "does not lift", None, None, None, p.reason])
        for q in p.parameters:
            prow.append([str(p.rrmp), p.region, f"{p.loss:.6g}", q.pattern, q.type, q.negative_eigenvalues,
                         f"{q.gradient_norm:.1e}", q.minimum])
    sections.append(("Critical points in parameter space", "table", (
        ["rrmp", "region", "loss", "pattern", "type", "negative eigenvalues", "gradient norm", "minimum / reason"],
        prow)))
    add("critical_losses", critical_loss_figure(lifted), "Loss of every critical point per stratum")
    sections.append(("Loss of every critical point", "image", "critical_losses"))
    if runs > 0:
        gd = descend_on_loss(arch, loss, lifted, runs, seed=seed)
        sections.append(("Gradient descent on this data", "text",
                         f"{runs} runs from N(0, {gd.init_scale:g}²) initialisations, seed {seed}: "
                         f"{gd.converged} converged, {gd.matched} ended (up to scaling) at a listed parameter class, "
                         f"{gd.lower_than_best} reached a loss below the best listed point "
                         f"(best listed {gd.best_loss:.6g}, lowest run {gd.lowest_run_loss:.6g})."))
        sections.append(("Gradient descent limits", "table", (
            ["rrmp", "pattern", "type", "runs", "share", "mean loss"],
            [[r.rrmp, r.pattern, r.type, r.runs, f"{100 * r.share:.1f}%", f"{r.mean_loss:.6g}"] for r in gd.rows])))
        add("descent", limits_figure(gd), "Share of gradient-descent runs ending at each parameter class")
        sections.append(("Where gradient descent ends", "image", "descent"))
        sweep = init_type_sweep(arch, loss, lifted, runs, seed=seed)
        sections.append(("Gradient descent by initialisation type", "text",
                         f"{runs} runs from each initialisation type, seed {seed}: gaussian (N(0, "
                         f"{sweep.init_scale:g}²) weights) and every compatible interior rrmp (layers factoring "
                         f"with that pattern, {sweep.init_roots} roots, layer norms {sweep.init_scale:g}·√k_i)."
                         + (" A repeated root shared by layers of equal size and norm stays shared along gradient "
                            "descent (swapping those layers is a symmetry and the norms' differences are invariant), "
                            "so such types can end at saddles." if len(set(arch.k)) < arch.layers else "")))
        sections.append(("Limits by initialisation type", "table", (
            ["init type", "limit rrmp", "listed as", "runs", "share", "mean loss"],
            [[r.init_type, r.rrmp, r.listed, r.runs, f"{100 * r.share:.1f}%", f"{r.mean_loss:.6g}"]
             for r in sweep.rows])))
        add("init_types", init_sweep_figure(sweep), "Share of runs ending on each stratum from each initialisation type")
        sections.append(("Which strata gradient descent reaches from where", "image", "init_types"))
    return sections, images


def _markdown(title: str, sections) -> str:
    from critlcn.report import render_table

    out = [f"# {title}", ""]
    for name, kind, payload in sections:
        out += [f"## {name}", ""]
        if kind == "text":
            out.append(payload)
        elif kind == "table":
            out.append(render_table(*payload, "md"))
        else:
            out.append(f"![{name}]({payload}.png)")
        out.append("")
    return "\n".join(out)


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;font-size:0.9em}th{background:#f2f2f2}img{max-width:100%}")


def _html(title: str, sections, images) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
           f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for name, kind, payload in sections:
        out.append(f"<h2>{html.escape(name)}</h2>")
        if kind == "text":
            out.append(f"<p>{html.escape(payload)}</p>")
        elif kind == "table":
            out.append(_html_table(*payload))
        else:
            png, _, alt = images[payload]
            data = base64.b64encode(png).decode("ascii")
            out.append(f'<figure><img id="{payload}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{html.escape(alt)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


@click.command("report", cls=KCommand)
@k_option()
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="dataset .npz with X (N, d_0) and Y (N, d_L); default: the shipped dataset (degree 4)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="folder for report.md, report.html and the images (created if missing)")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of every random choice")
@click.option("--runs", type=int, default=200, show_default=True,
              help="gradient-descent runs on the data (0 = none)")
@click.option("--init", "init_path", type=click.Path(dir_okay=False), default=None,
              help="initialisation .npz (w1 … wL): scale parameter points to its invariants")
@click.option("--allow-singular", is_flag=True, help="continue when the data's Q is singular")
@friendly
def report(k, data_path, out_dir, seed, runs, init_path, allow_singular):
    """Write a Markdown and a self-contained HTML report: architecture,
    compatibility, strata graph, critical points, gradient descent, plots."""
    from critlcn.data import default_dataset, load, quadratic_loss
    from critlcn.lift import load_init

    arch = _arch(k)
    if runs < 0:
        raise CritlcnError(f"--runs must be 0 or more, got {runs}")
    if data_path is None:
        ds = default_dataset()
        if ds.input_size - ds.output_size + 1 != arch.size:
            raise CritlcnError(
                f"the default dataset fits filters of size {ds.input_size - ds.output_size + 1} (degree 4), not "
                f"{arch.size} of {arch.label()}; pass --data FILE.npz (make one with critlcn data synth)")
    else:
        ds = load(data_path)
    loss = quadratic_loss(ds, arch, allow_singular=allow_singular)
    init = load_init(init_path, arch) if init_path else None
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise CritlcnError(f"cannot write into {out_dir}: it is a file; pick a folder for --out")
    base = _existing_ancestor(out_dir)
    if not os.path.isdir(base):
        raise CritlcnError(f"cannot create folder {out_dir}: {base} is not a folder; pick another --out")
    sections, images = build_report(arch, loss, ds, seed=seed, runs=runs, init=init)
    title = f"critlcn report: {arch.label()}"
    files = {}
    for name, (png, svg, _) in images.items():
        files[name + ".png"] = png
        files[name + ".svg"] = svg
    files["report.md"] = _markdown(title, sections)
    files["report.html"] = _html(title, sections, images)
    _write_folder(out_dir, files)
    names = ["report.md", "report.html"] + [f"{name}.{ext}" for name in images for ext in ("png", "svg")]
    emit("\n".join(os.path.join(out_dir, n) for n in names), None)


def _existing_ancestor(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def _write_folder(out_dir: str, files: dict) -> None:
    """Write every file, or (on any failure) none: files written so far and
    folders made for them are removed again."""
    from critlcn.files import atomic_write

    made = []
    path = os.path.abspath(out_dir)
    while not os.path.exists(path):
        made.append(path)
        path = os.path.dirname(path)
    written = []
    try:
        os.makedirs(out_dir, exist_ok=True)
        for name, data in files.items():
            written.append(atomic_write(os.path.join(out_dir, name), data))
    except OSError as err:
        for path in written:
            os.unlink(path)
        for path in made:  # deepest first
            if os.path.isdir(path) and not os.listdir(path):
                os.rmdir(path)
        raise CritlcnError(f"cannot write the report into {out_dir}: {err.strerror}; pick a writable --out") from None
