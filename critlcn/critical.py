"""Critical points of the square loss on the function space, stratum by stratum
(docs/math.md, "The stratified solver").

For each complex partition ``λ`` that a compatible rrmp needs (or every ``λ``
of degree ``d``), the critical system of ``λ`` (`critlcn.systems`) is solved by
a coefficient-parameter homotopy from a cached generic start system
(`critlcn.startsystems`), the end points are refined, sorted and repaired
(`critlcn.endpoints`): invalid ones (colliding roots, ``c = 0``) are
discarded and duplicates removed; every real solution is classified by its
actual rrmp (`critlcn.roots.rrmp_of_factors`, from the chart's factors), its loss and its region of ``M_k``.
Every valid solution is then certified by interval arithmetic
(`critlcn.certify`): per stratum the number of distinct certified solutions
(equal to the generic count, it proves the stratum complete for the data),
per real point whether it is certified real.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np

from critlcn.architecture import Architecture
from critlcn.certify import certify_stratum
from critlcn.endpoints import random_gamma, repair_paths
from critlcn.errors import CritlcnError
from critlcn.parallel import Progress, pmap, roomy_heap, single_threaded_blas
from critlcn.results import CriticalPoint, SolveResult, StratumStats, versions
from critlcn.scaling import normalise
from critlcn.seeds import generator
from critlcn.roots import real_factor, rrmp_of_factors
from critlcn.rrmp import enumerate_rrmps, partitions, region
from critlcn.startsystems import (  # noqa: F401  (build_cache, build_start, solve_blackbox: the solver's API)
    build_estimate,
    StartSystem,
    build_cache,
    build_start,
    chart_endpoints,
    get_start,
    load_start,
    reference_norm,
    solve_blackbox,
    track_parameters,
)
from critlcn.systems import Chart, change_chart, critical_system, parameters, random_chart

__all__ = [
    "reference_ed_degree",
    "solve_partition",
    "PartitionSolution",
    "needed_partitions",
    "solve",
]

#: Relative imaginary part under which a solution counts as real.
REAL = 1e-8


# ---------------------------------------------------------------------------
# exact counts (compared against, never used to decide validity)

def reference_ed_degree(partition) -> int:
    """The generic ED degree of ``Δ_λ``: the exact count of `critlcn.degrees`
    (docs/math.md, "The stratified solver"), known for every partition.

    Examples
    --------
    >>> reference_ed_degree((4, 1)), reference_ed_degree((7,)), reference_ed_degree((4, 3))
    (17, 19, 111)
    """
    from critlcn.degrees import ed_degree

    return ed_degree(partition)


# ---------------------------------------------------------------------------
# parallel map over processes or a Dask cluster (phcpy is not thread safe)


def _pmap(func, items, jobs: int, scheduler: str | None = None, progress=None):
    return pmap(func, items, jobs=jobs, scheduler=scheduler, progress=progress)


def _track_unit(args):
    chart, p0, p1, pts, gamma, seed = args
    return track_parameters(chart, p0, p1, pts, gamma, seed=seed)


def _build_unit(args):
    lam, directory = args
    return get_start(lam, directory)


# ---------------------------------------------------------------------------
# one partition at the data


@dataclass(frozen=True)
class PartitionSolution:
    """Valid solutions of one ``λ`` at the data, with path statistics."""

    partition: tuple[int, ...]
    chart: Chart
    solutions: np.ndarray
    paths_tracked: int
    spurious: int
    failed: int
    retracked: int


def _finish_partition(start: StartSystem, p1, raw, rng, gamma: complex, retries: int = 3,
                      subset_rounds: int = 6) -> PartitionSolution:
    """Classify the end points of the start paths (tracked with ``gamma``) and
    repair failures (`critlcn.endpoints.repair_paths`)."""
    chart = start.chart
    a1 = critical_system(chart).assemble(p1)
    ref = reference_norm(p1, chart.degree)

    def classify(points, known=None):
        return chart_endpoints(a1, points, ref, known=known)

    def track(indices, g, seed):
        # looked up at call time, so tests can inject faults into the tracker
        return track_parameters(chart, start.parameters, p1, start.solutions[indices], g, seed=seed)

    def track_elsewhere(indices, g, seed):
        # another chart, for solutions near this one's boundary (paths to infinity here)
        other = random_chart(chart.partition, rng)
        pts = change_chart(start.solutions[indices], chart, other)
        ok = ~np.isnan(pts).any(axis=1)
        out = np.full((len(indices), chart.unknowns), np.nan, dtype=complex)
        if ok.any():
            ends = track_parameters(other, start.parameters, p1, pts[ok], g, seed=seed)
            out[ok] = change_chart(ends, other, chart)
        return out

    raw = np.asarray(raw, dtype=complex).reshape(-1, chart.unknowns)
    out = repair_paths(classify, track, raw, rng, gamma, retries=retries, subset_rounds=subset_rounds,
                       track_elsewhere=track_elsewhere)
    return PartitionSolution(chart.partition, chart, out.solutions, start.count, out.spurious, out.failed,
                             out.retracked)


@single_threaded_blas()
def solve_partition(start: StartSystem, p1, rng: np.random.Generator, *, jobs: int = 1) -> PartitionSolution:
    """All valid solutions of ``λ``'s critical system at parameters ``p1`` by
    the coefficient-parameter homotopy from ``start``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> from critlcn.systems import random_parameters
    >>> sol = solve_partition(get_start((3,)), random_parameters(3, rng), rng)
    >>> len(sol.solutions), sol.paths_tracked, sol.failed
    (7, 7, 0)
    """
    p1 = np.asarray(p1, dtype=complex)
    p1 = p1 / np.linalg.norm(p1)
    gamma = random_gamma(rng)
    seed = int(rng.integers(2**31 - 1))
    batches = np.array_split(np.arange(start.count), max(1, min(jobs, start.count)))
    units = [(start.chart, start.parameters, p1, start.solutions[b], gamma, seed) for b in batches if b.size]
    raw = np.concatenate(_pmap(_track_unit, units, jobs)) if units else np.zeros((0, start.chart.unknowns), complex)
    return _finish_partition(start, p1, raw, rng, gamma)


# ---------------------------------------------------------------------------
# the pipeline


def needed_partitions(arch: Architecture, *, all_strata: bool = False) -> dict[tuple[int, ...], tuple[str, ...]]:
    """Partitions to solve, each with the rrmps it covers: those of the
    compatible rrmps, or every partition of ``d`` with ``all_strata``.

    Examples
    --------
    >>> needed_partitions(Architecture((3, 2, 2)))[(2, 1, 1)]
    ('112|0', '2|1')
    >>> len(needed_partitions(Architecture((3, 2, 2)), all_strata=True))
    5
    """
    from critlcn.compatibility import is_compatible

    out: dict[tuple[int, ...], list[str]] = {}
    for r in enumerate_rrmps(arch.degree):
        if all_strata or is_compatible(r, arch):
            out.setdefault(r.partition, []).append(str(r))
    order = {lam: i for i, lam in enumerate(partitions(arch.degree))}
    return {lam: tuple(out[lam]) for lam in sorted(out, key=order.get)}


@roomy_heap()
@single_threaded_blas()
def _finish_unit(args):
    """One stratum after tracking: its end points refined and repaired
    (`_finish_partition`, with its own seed), its solutions certified and
    its real points (all depend on that stratum alone)."""
    arch, unit, start, p1, raw, gamma, seed = args
    sol = _finish_partition(start, p1, raw, np.random.default_rng(seed), gamma)
    cert = certify_stratum(sol.chart, unit.Q, unit.b, sol.solutions)
    return sol, cert, _real_points(arch, unit, sol, cert)


def _real_points(arch: Architecture, loss, sol: PartitionSolution, cert=None) -> list[CriticalPoint]:
    """The real solutions of ``sol``: numerically real, or certified real by
    ``cert`` (a `CertificationResult` of ``sol.solutions``)."""
    from critlcn.compatibility import is_compatible

    out = []
    for i, x in enumerate(sol.solutions):
        c = cert.certificates[i] if cert is not None else None
        proved = bool(c is not None and c.certified and c.valid and c.duplicate is None and c.real is True)
        w = sol.chart.form(x)
        if np.linalg.norm(w.imag) > REAL * np.linalg.norm(w) and not proved:
            continue
        wr = w.real.copy()
        factors = tuple((int(m), tuple(float(v) for v in real_factor(f))) for m, f in sol.chart.factors(x))
        r = rrmp_of_factors(factors)  # the chart's factors: no clustering of multiple roots
        out.append(CriticalPoint(r, sol.partition, region(r, arch.e), bool(is_compatible(r, arch)),
                                 tuple(float(v) for v in wr), loss.value(wr),
                                 certified_real=None if cert is None else proved, factors=factors))
    return out


def stratum_seeds(lams, rng: np.random.Generator) -> tuple[dict, dict]:
    """The random choices of `solve` for its strata ``lams``, in its order:
    per stratum ``(gamma, tracking seed)``, then per stratum the repair seed
    (``rng`` fresh from the solve's ``seed``). One place, so that one
    stratum of a solve can be re-run exactly (``scripts/stratum_rerun.py``).

    Examples
    --------
    >>> g, r = stratum_seeds([(2,), (1, 1)], generator(0))
    >>> abs(g[(2,)][0]), sorted(r) == [(1, 1), (2,)]
    (1.0, True)
    """
    gammas = {lam: (random_gamma(rng), int(rng.integers(2**31 - 1))) for lam in lams}
    return gammas, {lam: int(rng.integers(2**31 - 1)) for lam in lams}


def build_notice(partitions, *, jobs: int = 1) -> str:
    """What a solve must build before it can start, how long that takes, and
    how to build it ahead (one line for stderr).

    Examples
    --------
    >>> build_notice([(5, 4), (9,)])  # doctest: +ELLIPSIS
    'critlcn: no cached start systems for 2 partitions of d = 9 (9: 25, 5-4: 205 solutions); building them now by monodromy, roughly ... on 1 process; build them ahead with `critlcn systems build --max-degree 9`'
    """
    lams = sorted(partitions, key=lambda lam: (sum(lam), lam), reverse=True)
    degrees = sorted({sum(lam) for lam in lams})
    listing = ", ".join(f"{'-'.join(map(str, lam))}: {reference_ed_degree(lam)}" for lam in lams)
    seconds = build_estimate(lams, jobs=jobs)
    when = f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"
    where = f"d = {degrees[0]}" if len(degrees) == 1 else "d = " + ", ".join(map(str, degrees))
    return (f"critlcn: no cached start systems for {len(lams)} partition{'s' * (len(lams) > 1)} of {where} "
            f"({listing} solutions); building them now by monodromy, roughly {when} on {jobs} "
            f"process{'es' * (jobs > 1)}; build them ahead with `critlcn systems build --max-degree {degrees[-1]}`")


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@single_threaded_blas()  # many small products: see critlcn.parallel.single_threaded_blas
def solve(arch: Architecture, loss, dataset=None, *, all_strata: bool = False, seed: int = 0, jobs: int = 1,
          cache: str | None = None, scheduler: str | None = None, progress: bool | None = False,
          notify=_stderr) -> SolveResult:
    """Every critical point of the square loss ``loss`` on the strata of ``arch``.

    Parameters
    ----------
    arch : Architecture
    loss : critlcn.data.QuadraticLoss
    dataset : critlcn.data.Dataset, optional
        Only recorded (samples, source, sha256).
    all_strata : bool
        Solve every partition of ``d``, not only those of compatible rrmps.
    seed : int
        Seed of every random choice (gamma constants).
    jobs : int
        Worker processes.
    cache : str, optional
        Folder of start systems (default: the package's ``data/start_systems/``).
    scheduler : str, optional
        Address of a Dask distributed scheduler: path tracking runs on its
        workers instead of local processes (results are identical).
    progress : bool or None
        Progress line on stderr: True, False, or None for "when stderr is a
        terminal".
    notify : callable
        Receives one line before start systems missing from the cache are
        built (default: printed on stderr), so that a long build is never a
        silent wait.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> rng = np.random.default_rng(0)
    >>> M = rng.normal(size=(3, 3))
    >>> res = solve(Architecture((2, 2)), QuadraticLoss(M @ M.T + np.eye(3), rng.normal(size=3), 1.0))
    >>> [(s.partition, s.valid, s.expected, s.certified) for s in res.strata]
    [((2,), 4, 4, 4), ((1, 1), 1, 1, 1)]
    """
    if jobs < 1:
        raise CritlcnError(f"`jobs` must be at least 1, got {jobs}", parameter="jobs")
    rng = generator(seed)
    need = needed_partitions(arch, all_strata=all_strata)
    lams = list(need)
    starts = {}
    for lam in lams:
        st = load_start(lam, cache, expected=reference_ed_degree(lam))
        if st is not None:
            starts[lam] = st
    # start systems missing from the cache (d > 10, or a custom cache folder) are built now, in parallel
    missing = [lam for lam in lams if lam not in starts]
    if missing:
        notify(build_notice(missing, jobs=jobs))
    for lam, st in zip(missing, _pmap(_build_unit, [(lam, cache) for lam in missing], jobs, scheduler)):
        starts[lam] = st
    # solve in units where Q and the minimiser have size one (the answer
    # does not depend on the units, the numerics do) and report in the user's
    unit, scale = normalise(loss)
    p1 = parameters(unit.Q, unit.b)
    p1 = p1 / np.linalg.norm(p1)
    gammas, repair_seeds = stratum_seeds(lams, rng)
    # one batch per stratum and job, so small strata and big ones share the workers
    units, owners = [], []
    for lam in lams:
        st = starts[lam]
        nb = max(1, min(2 * jobs, st.count // 8 or 1))  # two pieces per worker: big strata do not finish last alone
        for b in np.array_split(np.arange(st.count), nb):
            if b.size:
                units.append((st.chart, st.parameters, p1, st.solutions[b], *gammas[lam]))
                owners.append(lam)
    bar = Progress("tracking", total=len(units), enabled=None if progress is None else bool(progress))
    raws = _pmap(_track_unit, units, jobs, scheduler, progress=lambda raw: bar.advance(paths=len(raw)))
    # Each stratum is then refined, repaired, certified and its real points
    # classified in a worker (the strata are independent), the biggest first
    # so that the workers finish together: done in the calling process, this
    # was a serial 116 s of a 252 s d = 9 solve on two Dask workers.
    # Certification is for the data as given: floats are exact, and so is
    # the normalisation (powers of two), so proofs for the unit loss are
    # proofs for the user's.
    order = sorted(lams, key=lambda lam: -starts[lam].count)
    items = []
    for lam in order:
        parts = [r for r, o in zip(raws, owners) if o == lam]
        raw = np.concatenate(parts) if parts else np.zeros((0, starts[lam].chart.unknowns), complex)
        items.append((arch, unit, starts[lam], p1, raw, gammas[lam][0], repair_seeds[lam]))
    finished = dict(zip(order, _pmap(_finish_unit, items, jobs, scheduler)))
    strata, points = [], []
    for lam in lams:
        sol, cert, unit_real = finished[lam]
        real = [replace(p, filter=tuple(float(v) for v in scale.filter(p.filter)), loss=scale.loss(p.loss))
                for p in unit_real]
        points.extend(real)
        strata.append(StratumStats(lam, need[lam], sol.paths_tracked, len(sol.solutions), reference_ed_degree(lam),
                                   len(real), sol.spurious, sol.failed, certified=cert.distinct))
    points.sort(key=lambda p: (p.loss, str(p.rrmp)))
    data = dataset.to_dict() if dataset is not None else {"samples": None, "source": "quadratic loss", "sha256": None}
    return SolveResult(arch, int(seed), tuple(data.items()), tuple(strata), tuple(points), bool(all_strata),
                       versions())


