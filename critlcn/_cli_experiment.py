"""Click commands ``experiment`` (docs/math.md, "Gradient descent experiments") and ``report`` (Markdown and
self-contained HTML).

Thin wrappers: parse options, call `critlcn.descent`, `critlcn.lift`,
`critlcn.plots`, print or write. Register with ``main.add_command(experiment)``
and ``main.add_command(report)``.
"""

from __future__ import annotations

import os

import click
import numpy as np

from critlcn.clikit import (method_for, SEED, Heartbeat, KCommand, architecture_from, check_folder, emit, finish, friendly, k_option,
                             strides_option, write_folder)
from critlcn.errors import CritlcnError

__all__ = ["experiment", "report"]

#: Degree above which experiments are refused (the solver check needs start systems).
MAX_EXPERIMENT_DEGREE = 10


def _arch(k, strides=None):
    from critlcn.architecture import check_degree

    return check_degree(architecture_from(k, strides), MAX_EXPERIMENT_DEGREE)


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
@strides_option()
@click.option("--method", type=click.Choice(["strata", "parameters"]), default=None,
              help="strata: limits classified by rrmp (default for stride one); parameters: limits classified as "
                   "smooth interior points or not and checked against the parameter-space solver (strides, D-dim)")
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
@click.option("--quiet", is_flag=True, help="no progress line on stderr (shown only on a terminal)")
@friendly
def experiment(k, strides, method, runs, seed, data_model, targets, samples, d0, init_scale, init_type, init_roots,
               init_norms, target_dist, target_scale, step_rule, step, root_tol, paper, max_steps, match, fmt, plot,
               output, quiet):
    """Gradient descent from random initialisations on random targets; limits
    classified by rrmp (stride one) or as smooth interior points of the
    function space or not (--method parameters; strides, D-dim), and checked
    against the listed critical points."""
    from critlcn.descent import DATA_MODELS, PAPER_SETUP, STEP_RULES, TARGET_DISTRIBUTIONS, experiment as run
    from critlcn.render import EXPERIMENT_FORMATS, render_experiment
    from critlcn.initialisation import LAYER_NORMS, ROOT_DISTRIBUTIONS, parse_init_type

    arch = _arch(k, strides)
    method = method_for(arch, method)
    if method == "parameters":
        with Heartbeat(f"experiment {arch.label()}, {runs} runs", enabled=not quiet):
            _experiment_parameters(arch, runs, seed, data_model, targets, samples, init_scale, max_steps, match, fmt,
                                   plot, output)
        return
    opts = {"data_model": data_model, "samples": samples, "d0": d0, "init_scale": init_scale, "init_type": init_type,
            "init_roots": init_roots, "init_norms": init_norms, "target_dist": target_dist,
            "target_scale": target_scale, "step_rule": step_rule, "step": step, "root_tol": root_tol,
            "max_steps": max_steps}
    if paper:
        # the preset fills only the options the user left at their defaults
        source = click.get_current_context().get_parameter_source
        opts.update({name: value for name, value in PAPER_SETUP.items()
                     if source(name) is click.core.ParameterSource.DEFAULT})
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
    with Heartbeat(f"experiment {arch.label()}, {runs} runs", enabled=not quiet):
        result = run(arch, runs, seed=seed, targets=targets, match=match, **opts)
    if plot:
        from critlcn.plots import outcome_figure, save_figure

        save_figure(outcome_figure(result), plot)
    emit(render_experiment(result, fmt), output)


#: Options of the stratified experiment that the parameter-space one does not use.
_STRATA_ONLY = ("d0", "init_type", "init_roots", "init_norms", "target_dist", "target_scale", "step_rule", "step",
                "root_tol", "paper", "plot")


def _experiment_parameters(arch, runs, seed, data_model, targets, samples, init_scale, max_steps, match, fmt, plot,
                           output):
    """``experiment --method parameters``: limits classified as smooth interior
    points or not (`critlcn.paramdescent`)."""
    from critlcn.paramdescent import experiment as run_params
    from critlcn.render import render_descent

    source = click.get_current_context().get_parameter_source
    given = [n for n in _STRATA_ONLY if source(n) is not click.core.ParameterSource.DEFAULT]
    if given:
        flags = ", ".join("--" + n.replace("_", "-") for n in given)
        raise CritlcnError(f"{flags}: for --method strata only (rrmp limits of stride-one networks); drop {flags}")
    _positive(runs, "--runs")
    _positive(max_steps, "--max-steps")
    _positive(samples, "--samples")
    if fmt not in ("table", "json", "md", "latex", "csv"):
        raise CritlcnError(f"unknown --format {fmt!r}: use one of table, json, md, latex, csv")
    if data_model not in ("whitened", "gaussian"):
        raise CritlcnError(f"unknown --data-model {data_model!r}: use whitened or gaussian")
    if not (init_scale > 0 and np.isfinite(init_scale)):
        raise CritlcnError(f"--init-scale must be a positive number, got {init_scale}")
    if match < 0:
        raise CritlcnError(f"--match must be 0 or more, got {match}")
    _check_writable_file(output, "--output")
    result = run_params(arch, runs, seed=seed, targets=targets, samples=samples, init_scale=init_scale,
                        max_steps=max_steps, match=match, data_model=data_model)
    emit(render_descent(result, fmt), output)


# ---------------------------------------------------------------------------
# report


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
@click.option("--quiet", is_flag=True, help="no progress lines on stderr (shown only on a terminal)")
@friendly
def report(k, data_path, out_dir, seed, runs, init_path, allow_singular, quiet):
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
    check_folder(out_dir, option="--out")
    from critlcn.compatibility import stratum_info
    from critlcn.critical import solve as run_solve
    from critlcn.descent import descend_on_loss, init_type_sweep
    from critlcn.lift import lift
    from critlcn.plots import critical_loss_figure, figure_bytes, init_sweep_figure, limits_figure, strata_figure
    from critlcn.render import document, report_document
    from critlcn.results import versions
    from critlcn.rrmp import enumerate_rrmps

    result = run_solve(arch, loss, ds, seed=seed, progress=False if quiet else None)
    with Heartbeat("lifting and gradient descent", enabled=not quiet):
        lifted = lift(arch, loss, result.points, init=init, solve=result)
        infos = [stratum_info(r, arch, max_patterns=4) for r in enumerate_rrmps(arch.degree)]
        gd = descend_on_loss(arch, loss, lifted, runs, seed=seed) if runs > 0 else None
        sweep = init_type_sweep(arch, loss, lifted, runs, seed=seed) if runs > 0 else None
    figures = {"strata": strata_figure(arch), "critical_losses": critical_loss_figure(lifted)}
    if gd is not None:
        figures["descent"] = limits_figure(gd)
        figures["init_types"] = init_sweep_figure(sweep)
    files, png = {}, {}
    for name, fig in figures.items():
        png[name] = files[name + ".png"] = figure_bytes(fig, "png")
        files[name + ".svg"] = figure_bytes(fig, "svg")
    blocks = report_document(arch, result, lifted, infos, seed=seed, runs=runs,
                             versions=dict(versions(extra=("matplotlib",))), descent=gd, sweep=sweep,
                             init_path=init_path)
    title = f"critlcn report: {arch.label()}"
    files = {"report.md": document(title, blocks, "md"), "report.html": document(title, blocks, "html", png),
             **files}
    write_folder(out_dir, files, option="--out")
    emit("\n".join(os.path.join(out_dir, n) for n in files), None)
    finish(result)
