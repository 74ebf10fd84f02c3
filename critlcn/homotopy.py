"""The only module that talks to PHCpack (through phcpy).

phcpy is imported lazily, the first time something is solved, with file
descriptor 1 pointed at ``/dev/null``: the import prints a banner and the
solver prints progress from C and Ada code, which would corrupt critlcn's
stdout (JSON output must parse). phcpy keeps global state and is not thread
safe: run parallel work in separate processes.

Two entry points:

* `blackbox` – PHCpack's blackbox solver on a system (``phcpy.solver.solve``;
  in this build ``verbose=False`` returns no solutions, so it runs verbosely
  with the output silenced).
* `track` – the straight-line homotopy ``(1 − s) γ G + s F`` from a start
  system ``G`` with known solutions to a target ``F``. Because the critical
  equations are linear in the data ``(Q, b)``, this is a coefficient-parameter
  homotopy between two data points (docs/math.md, "Solving: homotopy
  continuation").
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from dataclasses import dataclass

import numpy as np

from critlcn.errors import CritlcnError

__all__ = ["silenced", "phcpy_version", "blackbox", "track", "PathEnd", "set_seed"]

_PHCPY = None


@contextlib.contextmanager
def silenced():
    """Point file descriptors 1 and 2 at ``/dev/null`` for the duration.

    Python-level buffers are flushed first so nothing critlcn printed is lost.

    Examples
    --------
    >>> with silenced():
    ...     n = os.write(1, b"hidden")
    >>> n
    6
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        # phcpy also prints from Python, to whatever sys.stdout is right now
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        try:
            sys.stdout.flush()
        except Exception:
            pass
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)


def _phcpy():
    global _PHCPY
    if _PHCPY is None:
        try:
            with silenced():
                import phcpy  # noqa: F401
                import phcpy.solutions
                import phcpy.solver
                import phcpy.trackers
                from phcpy import phcpy2c3
        except ImportError:
            raise CritlcnError(
                "phcpy is not installed: install PHCpack's Python bindings (Debian: apt install python3-phcpy)",
                exit_code=1,
            ) from None
        _PHCPY = (phcpy.solver, phcpy.trackers, phcpy.solutions, phcpy2c3)
    return _PHCPY


def phcpy_version() -> str:
    """PHCpack's version string, e.g. ``'PHCv2.4.86 released 2022-05-30'``.

    Examples
    --------
    >>> phcpy_version().startswith("PHCv")
    True
    """
    *_, c = _phcpy()
    with silenced():
        text = c.py2c_PHCpack_version_string()
    return text.strip()


def set_seed(seed: int) -> None:
    """Seed PHCpack's own random numbers (gamma constants, start systems).

    Examples
    --------
    >>> set_seed(1)
    """
    *_, c = _phcpy()
    # PHCpack treats seed 0 as "no seed" and then finds no solutions: shift it
    c.py2c_set_seed(1 + int(seed) % (2**31 - 2))


@dataclass(frozen=True)
class PathEnd:
    """The end of one path: the point, PHCpack's diagnostics.

    ``err`` is the last Newton correction, ``rco`` the estimated inverse
    condition number, ``res`` the residual, ``t`` the value of the continuation
    parameter reached (1 when the path got to the end).
    """

    point: np.ndarray
    err: float
    rco: float
    res: float
    t: float


_DIAGNOSTICS = re.compile(r"err\s*:\s*(\S+)\s*=\s*rco\s*:\s*(\S+)\s*=\s*res\s*:\s*(\S+)")


def _complex(text: str) -> complex:
    parts = text.split()
    return complex(float(parts[0]), float(parts[-1]))


def _parse(sols, names) -> list[PathEnd]:
    """PHCpack solution strings as `PathEnd` s, coordinates in the order of
    ``names``. Reads what ``phcpy.solutions.strsol2dict`` reads, with
    ``float`` instead of ``ast.literal_eval`` (phcpy's parser took 3 s of a
    75-s one-core d = 8 solve)."""
    out = []
    for text in sols:
        head, _, rest = text.partition("the solution for t :")
        coords, _, diag = rest.partition("==")
        values = {}
        for line in coords.split("\n"):
            name, colon, number = line.partition(":")
            if colon:
                values[name.strip()] = _complex(number)
        t = _complex(head.split("\n", 1)[0].partition(":")[2])
        found = _DIAGNOSTICS.search(diag)
        err, rco, res = (float(v) for v in found.groups()) if found else (np.nan,) * 3
        out.append(PathEnd(np.array([values[n] for n in names]), err, rco, res, float(abs(t))))
    return out


def blackbox(polynomials: list[str], names: list[str], seed: int = 0) -> list[PathEnd]:
    """Solve a square system with PHCpack's blackbox solver.

    Parameters
    ----------
    polynomials : list of str
        PHCpack strings, each ending in ``;``.
    names : list of str
        Unknowns in the order the points are returned.
    seed : int
        Seed for PHCpack's random choices.

    Examples
    --------
    >>> ends = blackbox(["x^2 - 4;", "y - 1;"], ["x", "y"])
    >>> sorted(round(float(e.point[0].real), 6) for e in ends)
    [-2.0, 2.0]
    """
    sv, _, _, _ = _phcpy()
    set_seed(seed)
    with silenced():
        sols = sv.solve(list(polynomials), verbose=True)
    return _parse(sols, names)


def _solution_strings(points, names) -> list[str]:
    _, _, so, _ = _phcpy()
    return [so.make_solution(list(names), [complex(v) for v in pt]) for pt in points]


def track(target: list[str], start: list[str], points, names: list[str], gamma: complex, seed: int = 0,
          precision: str = "d", tracker: str = "standard") -> list[PathEnd]:
    """Track the start solutions ``points`` from ``start`` to ``target``.

    The homotopy is ``(1 − s) γ · start + s · target`` (PHCpack's standard
    homotopy with power one), ``s`` from 0 to 1. ``precision`` is ``'d'``
    (double) or ``'dd'`` (double double; the same ``gamma`` gives the same
    paths in both). In the packaged PHCpack 2.4.86 the double-double tracker
    returns the start solutions unchanged (``t = 0``) for systems in two or
    more unknowns, so critlcn's own solves track in double only. ``tracker`` is
    ``'standard'`` (PHCpack's general tracker) or ``'ade'`` (its
    algorithmic-differentiation tracker with `ADE_PATH_PARAMETERS`, several
    times faster; in the packaged PHCpack 2.4.86 it evaluates ``x^k`` as
    ``x``, so it is refused for systems with a power).

    Examples
    --------
    >>> ends = track(["x^2 - 9;"], ["x^2 - 1;"], [[1.0], [-1.0]], ["x"], gamma=0.6 + 0.8j)
    >>> sorted(round(float(e.point[0].real), 6) for e in ends)
    [-3.0, 3.0]
    """
    if precision not in ("d", "dd"):
        raise CritlcnError(f"precision must be 'd' or 'dd', got {precision!r}")
    _, tr, _, _ = _phcpy()
    points = np.atleast_2d(np.asarray(points, dtype=complex))
    if points.shape[0] == 0:
        return []
    if tracker not in ("standard", "ade"):
        raise CritlcnError(f"tracker must be 'standard' or 'ade', got {tracker!r}")
    if tracker == "ade" and (precision != "d" or any("^" in pol for pol in list(target) + list(start))):
        raise CritlcnError("the 'ade' tracker works in double precision on multilinear polynomials (no powers x^k)")
    set_seed(seed)
    start_sols = _solution_strings(points, names)
    with silenced():
        sols = (_ADE.call(list(target), list(start), start_sols, len(names), complex(gamma), dict(ADE_PATH_PARAMETERS), seed)
                if tracker == "ade" else None)
        if sols is None:  # the standard tracker, or the ade server died
            run = tr.double_double_track if precision == "dd" else tr.standard_double_track
            sols = run(list(target), list(start), start_sols, gamma=complex(gamma), pwt=1)
    return _parse(sols, names)



def _ade_local(target, start, start_sols, dim, gamma, pars=None):
    """PHCpack's algorithmic-differentiation tracker in this process (only
    the ade server calls it: see `_AdeServer`), with the path parameters
    ``pars`` (default `ADE_PATH_PARAMETERS`)."""
    from phcpy import interface

    *_, c = _phcpy()
    c.py2c_syscon_clear_symbol_table()
    c.py2c_solcon_clear_standard_solutions()
    interface.store_standard_system(target, nbvar=dim)
    c.py2c_copy_standard_container_to_target_system()
    interface.store_standard_system(start, nbvar=dim)
    c.py2c_copy_standard_container_to_start_system()
    interface.store_standard_solutions(dim, start_sols)
    pars = ADE_PATH_PARAMETERS if pars is None else pars
    c.py2c_ade_manypaths_d_pars(0, gamma.real, gamma.imag, *(pars[name] for name in _ADE_PARAMETER_NAMES))
    return interface.load_standard_solutions()


#: The order of the path parameters of ``py2c_ade_manypaths_d_pars``.
_ADE_PARAMETER_NAMES = (
    "max_steps", "predictor_points", "step_increase", "step_decrease", "max_step", "max_step_end",
    "min_step", "residual_tolerance", "correction_tolerance", "first_correction_tolerance",
    "newton_iterations", "newton_tolerance", "refinement_iterations", "refinement_tolerance",
)

#: Path parameters of the ade tracker: PHCpack 2.4.86's defaults
#: (``py2c_get_default_path_parameters(16)``) except up to 4 Newton iterations
#: per step instead of 3. With 3, a step whose corrector needs a fourth
#: iteration is rejected and the step size cut, so paths of the critical
#: equations took about 380 steps (268 accepted) at d = 8; with 4, the same
#: end points 2.6 times faster (scripts/benchmark_tracking.py; docs/math.md).
ADE_PATH_PARAMETERS = {
    "max_steps": 1000, "predictor_points": 4, "step_increase": 1.25, "step_decrease": 0.7,
    "max_step": 0.1, "max_step_end": 0.01, "min_step": 1e-7, "residual_tolerance": 1e-6,
    "correction_tolerance": 1e-6, "first_correction_tolerance": 0.01, "newton_iterations": 4,
    "newton_tolerance": 1e-9, "refinement_iterations": 3, "refinement_tolerance": 1e-11,
}


def _ade_serve() -> None:  # pragma: no cover - runs in the server process
    """Loop of the ade server: pickled requests on stdin, replies on the
    original stdout (fd 1 itself points at /dev/null: PHCpack prints)."""
    import pickle

    reply = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    requests = sys.stdin.buffer
    while True:
        try:
            args = pickle.load(requests)
        except EOFError:
            return
        with contextlib.redirect_stdout(io.StringIO()):
            seed = args.pop()
            set_seed(seed)
            sols = _ade_local(*args)
        pickle.dump(sols, reply)
        reply.flush()


class _AdeServer:
    """A child process that runs only PHCpack's ade tracker.

    In the packaged PHCpack 2.4.86 the ade tracker corrupts the heap
    (``malloc(): unaligned tcache chunk detected``, or silently wrong end
    points) once the standard tracker has run in the same process, which the
    repair of failed paths and the dense form need. So ade runs in a
    process of its own, started on first use; if it dies, the caller falls
    back to the standard tracker.
    """

    def __init__(self):
        self.proc = None
        self.owner = None
        self.calls = 0

    def call(self, target, start, start_sols, dim, gamma, pars, seed):
        import pickle
        import subprocess

        if self.owner != os.getpid():  # a forked worker: the parent's server is the parent's
            self.proc, self.owner = None, os.getpid()
        if self.proc is not None and self.calls >= ADE_RECYCLE:
            self.proc.stdin.close()  # the ade tracker leaks memory (1.9 GB after a minute of d = 9 work)
            self.proc.wait()
            self.proc = None
        if self.proc is None or self.proc.poll() is not None:
            self.calls = 0
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from critlcn.homotopy import _ade_serve; _ade_serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.calls += 1
        try:
            pickle.dump([target, start, start_sols, dim, gamma, pars, seed], self.proc.stdin)
            self.proc.stdin.flush()
            return pickle.load(self.proc.stdout)
        except (EOFError, BrokenPipeError, pickle.UnpicklingError):
            self.proc.kill()
            self.proc = None
            return None


#: Calls after which the ade server is replaced by a fresh one.
ADE_RECYCLE = 40

_ADE = _AdeServer()
