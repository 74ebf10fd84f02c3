"""Click commands for solving: ``solve``, ``systems`` (with ``systems build``),
``build-cache`` and the ``data`` group (``data synth``).

Thin wrappers: parse options, call the library, print. Register them with
``main.add_command(solve)``, ``main.add_command(systems)``,
``main.add_command(build_cache)`` and ``main.add_command(data)``.
"""

from __future__ import annotations

import os

import click
import numpy as np

from critlcn.architecture import Architecture, check_degree
from critlcn.clikit import (method_for, SEED, KCommand, KSubGroup, architecture_from, emit, finish, friendly, k_option, strides_option,
                             write_folder)
from critlcn.errors import CritlcnError
from critlcn.render import SOLVE_FORMATS as FORMATS, non_finite_warning, render_solve

__all__ = ["solve", "systems", "build_cache", "data", "synth"]

#: Degree above which solving is refused: start systems are built on the fly
#: above the cached degrees and their cost grows quickly with d.
MAX_SOLVE_DEGREE = 10


def _arch(k, strides=None, stride_one: str | None = None) -> Architecture:
    return check_degree(architecture_from(k, strides, stride_one=stride_one), MAX_SOLVE_DEGREE)


def _dataset_and_loss(arch, data_path, allow_singular):
    from critlcn.data import default_dataset, load, quadratic_loss

    if data_path is None and not arch.stride_one:
        s = " ".join(map(str, arch.strides))
        k = " ".join("x".join(map(str, f)) for f in arch.formats)
        raise CritlcnError(
            f"the default dataset is for 1-D stride-one filters of size 5, not {arch.label()}: pass --data FILE.npz "
            f"(make one with critlcn data synth --k {k} --s {s} --samples 50 --out FILE.npz)"
        )
    if data_path is None:
        ds = default_dataset()
        if ds.input_size - ds.output_size + 1 != arch.size:
            raise CritlcnError(
                f"the default dataset fits filters of size {ds.input_size - ds.output_size + 1} (degree 4), "
                f"not {arch.size} of {arch.label()}; pass --data FILE.npz (make one with critlcn data synth)"
            )
    else:
        ds = load(data_path)
    return ds, quadratic_loss(ds, arch, allow_singular=allow_singular)


# ---------------------------------------------------------------------------
# commands


@click.command("solve", cls=KCommand)
@k_option()
@strides_option()
@click.option("--method", type=click.Choice(["strata", "parameters"]), default=None,
              help="strata: stratified function-space solve, then lifting (default for stride one); "
                   "parameters: critical equations in parameter space (the only method for strides and D-dim)")
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="dataset .npz with X (N, d_0, ...) and Y (N, d_L, ...); default: the shipped dataset (degree 4)")
@click.option("--all-strata", is_flag=True, help="solve every partition of d, not only compatible strata")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of every random choice")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@click.option("--allow-singular", is_flag=True, help="continue when the data's Q is singular")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="worker processes for path tracking and lifting")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="run path tracking and lifting on the Dask cluster at ADDRESS (e.g. tcp://host:8786)")
@click.option("--init", "init_path", type=click.Path(dir_okay=False), default=None,
              help="initialisation .npz (w1 … wL): scale parameter points to its gradient-flow invariants")
@click.option("--no-lift", is_flag=True, help="function space only: skip lifting to parameter space")
@click.option("--classes", type=click.Choice(["auto", "all", "orbits"]), default="auto", show_default=True,
              help="parameter points to list: every labelled scaling class, one per orbit under permuting layers "
                   "of equal size (with its size), or auto (all up to 100 000 classes, orbits above)")
@click.option("--quiet", is_flag=True, help="no progress line on stderr")
@friendly
def solve(k, strides, method, data_path, all_strata, seed, fmt, output, allow_singular, jobs, scheduler, init_path,
          no_lift, classes, quiet):
    """Find every critical point of the square loss, in function space and,
    through every compatible factorisation, in parameter space (stride one),
    or directly in parameter space (--method parameters; strides, D-dim)."""
    from critlcn.critical import solve as run

    arch = _arch(k, strides)
    method = method_for(arch, method)
    if method == "parameters":
        bad = [name for name, given in (("--all-strata", all_strata), ("--init", init_path), ("--no-lift", no_lift),
                                        ("--classes", classes != "auto"),
                                        ("--scheduler", scheduler), ("--jobs", jobs > 1)) if given]
        if bad:
            raise CritlcnError(f"{', '.join(bad)}: for --method strata only (the parameter-space solver runs in one process); drop {' and '.join(bad)}")
    ds, loss = _dataset_and_loss(arch, data_path, allow_singular)
    if method == "parameters":
        from critlcn.render import render_params
        from critlcn.paramspace import solve as run_params

        result = run_params(arch, loss, ds, seed=seed, quiet=quiet)
        emit(render_params(result, fmt), output)
        finish(result)
        return
    init = None
    if init_path is not None:
        from critlcn.lift import load_init

        init = load_init(init_path, arch)  # bad files fail before the solve, not after
    result = run(arch, loss, ds, all_strata=all_strata, seed=seed, jobs=jobs, scheduler=scheduler,
                 progress=False if quiet else None)
    lifted = None
    if not no_lift:
        from critlcn.lift import lift

        lifted = lift(arch, loss, result.points, init=init, solve=result, jobs=jobs, scheduler=scheduler,
                      orbits={"auto": None, "all": False, "orbits": True}[classes])
    emit(render_solve(result, lifted, fmt), output)
    warning = non_finite_warning(result, lifted)
    if warning:
        click.echo(warning, err=True)
    finish(result)


@click.group("systems", cls=KSubGroup, invoke_without_command=True)
@k_option()
@click.option("--data", "data_path", type=click.Path(dir_okay=False), default=None,
              help="dataset .npz; default: the shipped dataset (degree 4)")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="folder for the PHCpack files (created if missing)")
@click.option("--all-strata", is_flag=True, help="one file per partition of d, not only compatible strata")
@click.option("--allow-singular", is_flag=True, help="continue when the data's Q is singular")
@click.pass_context
@friendly
def systems(ctx, k, data_path, out_dir, all_strata, allow_singular):
    """Write the critical systems of the data as PHCpack input files
    (``phc -b FILE OUT`` solves them); ``systems build`` builds the start cache."""
    if ctx.invoked_subcommand is not None:
        return
    from critlcn.critical import needed_partitions
    from critlcn.startsystems import load_start, partition_key
    from critlcn.systems import critical_system, default_chart, parameters, phc_file, variable_names

    if not k:
        raise CritlcnError("no filter sizes given: pass them after --k, e.g. critlcn systems --k 3 2 2 --out DIR")
    if not out_dir:
        raise CritlcnError("no output folder: pass --out DIR")
    arch = _arch(k, stride_one="systems")
    ds, loss = _dataset_and_loss(arch, data_path, allow_singular)
    need = needed_partitions(arch, all_strata=all_strata)
    texts = {}
    for lam, rrmps in need.items():
        start = load_start(lam)
        chart = start.chart if start is not None else default_chart(lam)
        assembled = critical_system(chart).assemble(parameters(loss.Q, loss.b))
        groups = ", ".join(f"f_{m} of degree {n}" for m, n in chart.groups)
        header = {
            "unknowns": " ".join(variable_names(chart)) + f" (w = c * prod_m f_m^m; {groups}; "
                        "t1.. run through the groups in this order)",
            "partition": " ".join(map(str, lam)),
            "rrmps": " ".join(rrmps),
            "architecture": arch.label(),
            "data": f"{ds.source} ({ds.samples} samples)",
            "data sha256": ds.sha256,
            "chart sha256": chart.digest,
            "equations": "(c Q u - b).u = 0 and (c Q u - b).du/dt_v = 0; valid: c != 0, roots of all f_m distinct",
        }
        texts[f"d{arch.degree}_{partition_key(lam)}.phc"] = phc_file(assembled, header)
    write_folder(out_dir, texts, option="--out")
    emit("\n".join(os.path.join(out_dir, n) for n in texts), None)


def _build(max_degree, jobs, rebuild, directory):
    from critlcn.critical import build_cache as run

    def notify(line):
        click.echo(line, err=True)

    rows = run(max_degree, directory=directory, jobs=jobs, rebuild=rebuild, notify=notify)
    emit("\n".join(f"{' '.join(map(str, lam)):<16} {count:>5}  {status}" for lam, count, status in rows), None)


def _build_command(name: str):
    @click.command(name)
    @click.option("--max-degree", type=click.IntRange(1, MAX_SOLVE_DEGREE), required=True,
                  help="build start systems for every partition of degree 1..D")
    @click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="worker processes")
    @click.option("--rebuild", is_flag=True, help="rebuild even usable cache files")
    @click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
                  help="cache folder (default: the package's data/start_systems/)")
    @friendly
    def command(max_degree, jobs, rebuild, directory):
        """Build or check the cached start systems (one per partition of each degree)."""
        _build(max_degree, jobs, rebuild, directory)

    return command


systems.add_command(_build_command("build"))
build_cache = _build_command("build-cache")


@systems.command("params", cls=KCommand)
@k_option()
@strides_option()
@click.option("--rebuild", is_flag=True, help="rebuild even a usable cache file")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="cache folder (default: the package's data/param_start_systems/)")
@friendly
def systems_params(k, strides, rebuild, directory):
    """Build or check the parameter-space start system of one architecture
    (strides, D-dim; monodromy until the Segre number is reached)."""
    from critlcn.paramspace import cache_path, get_start, load_start

    arch = _arch(k, strides)
    cached = None if rebuild else load_start(arch, directory)
    status = "cached" if cached is not None and cached.count == arch.segre_number else "built"
    st = get_start(arch, directory, rebuild=rebuild)
    emit(f"{arch.label()}: {st.count} start solutions (Segre number {arch.segre_number}), {status}: "
         f"{cache_path(arch, directory)}", None)


@click.group("data")
def data():
    """Datasets: synthetic data for a given architecture."""


@data.command("synth", cls=KCommand)
@k_option()
@strides_option()
@click.option("--samples", type=int, required=True, help="number of samples N")
@click.option("--seed", type=SEED, default=0, show_default=True, help="seed of every random choice")
@click.option("--teacher", default="random", show_default=True,
              help="'random' or a file (.npy, or text) with the end-to-end teacher filter")
@click.option("--noise", type=float, default=0.0, show_default=True, help="standard deviation of output noise")
@click.option("--d0", default=None, metavar="D0",
              help="input size d_0 (default 2 k), or a format like 8x6 for D-dim filters")
@click.option("--kind", type=click.Choice(["gaussian", "ar"]), default="gaussian", show_default=True,
              help="gaussian: Gaussian inputs and a teacher filter; ar: windows of a simulated AR(2) series "
                   "and its next values (realistic, badly conditioned; 1-D stride one)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), required=True, help="output .npz file")
@friendly
def synth(k, strides, samples, seed, teacher, noise, d0, kind, out_path):
    """Write synthetic data: Gaussian inputs and a teacher filter (at the
    end-to-end stride with --s; X (N, h0, w0, ...) for D-dim filters), or AR
    series windows."""
    from critlcn.data import ar_windows, save, synth as make

    arch = _arch(k, strides)
    if d0 is not None:
        try:
            d0 = tuple(int(v) for v in str(d0).lower().split("x"))
        except ValueError:
            raise CritlcnError(f"--d0 {d0!r} is not a size or a format: pass e.g. --d0 12 or --d0 8x6") from None
        d0 = d0[0] if len(d0) == 1 and arch.axes == 1 else d0
    if kind == "ar":
        if not arch.stride_one:
            raise CritlcnError(f"--kind ar makes 1-D stride-one windows, not data for {arch.label()}: use --kind gaussian")
        if teacher != "random":
            raise CritlcnError("--teacher applies to --kind gaussian only: AR targets are the series' next values")
        ds = ar_windows(arch, samples, np.random.default_rng(seed), noise=noise or 1.0, d0=d0)
        save(ds, out_path)
        emit(f"wrote {out_path}: {ds.samples} samples, X {ds.X.shape}, Y {ds.Y.shape}, sha256 {ds.sha256}", None)
        return
    filt = None
    if teacher != "random":
        if not os.path.exists(teacher):
            raise CritlcnError(f"teacher file {teacher} does not exist: pass 'random' or a file with {arch.size} numbers")
        try:
            filt = np.load(teacher) if teacher.endswith(".npy") else np.loadtxt(teacher)
        except Exception:
            raise CritlcnError(f"cannot read teacher file {teacher}: give a .npy file or whitespace-separated numbers") from None
        filt = np.atleast_1d(np.asarray(filt, dtype=float)).ravel()
    ds = make(arch, samples, np.random.default_rng(seed), teacher=filt, noise=noise, d0=d0)
    save(ds, out_path)
    emit(f"wrote {out_path}: {ds.samples} samples, X {ds.X.shape}, Y {ds.Y.shape}, sha256 {ds.sha256}", None)
