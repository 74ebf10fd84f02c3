"""Critical points of the square loss on the function space, stratum by stratum
(MATH.md §4–6).

For each complex partition ``λ`` that a compatible rrmp needs (or every ``λ``
of degree ``d``), the critical system of ``λ`` (`critlcn.systems`) is solved by
a coefficient-parameter homotopy from a cached generic start system, the end
points are refined with Newton's method, invalid ones (colliding roots,
``c = 0``) are discarded and duplicates removed; every real solution is
classified by its actual rrmp (`critlcn.polynomials.rrmp_of_form`), its loss
and its region of ``M_k``.

Start systems (one per ``(d, λ)``) are built once by `build_start`: a
blackbox solve at generic complex data completed by monodromy loops until the
number of valid solutions reaches the reference ED degree (when known) and
stops growing.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np

from critlcn import homotopy
from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.parallel import Progress, pmap
from critlcn.polynomials import rrmp_of_form
from critlcn.rrmp import RRMP, enumerate_rrmps, partitions, region
from critlcn.systems import (
    Assembled,
    Chart,
    StartSystem,
    critical_system,
    default_chart,
    load_start,
    parameters,
    random_chart,
    random_parameters,
    save_start,
    variable_names,
)

__all__ = [
    "reference_ed_degree",
    "Endpoints",
    "classify_endpoints",
    "solve_blackbox",
    "track_parameters",
    "build_start",
    "get_start",
    "solve_partition",
    "PartitionSolution",
    "versions",
    "StratumStats",
    "CriticalPoint",
    "SolveResult",
    "needed_partitions",
    "solve",
]

#: Two roots closer than this chordal distance on P^1 count as colliding.
ROOT_SEPARATION = 1e-7
#: Endpoints with a relative residual above this after Newton did not converge.
BACKWARD_ERROR = 1e-9
#: End points with a coordinate larger than this went to infinity: the random
#: unitary chart puts genuine solutions at moderate coordinates (at most ~70 over
#: every cached start system), while a diverging path can reach a point with a
#: tiny *relative* residual (`phc -b` returned one with t ≈ 2e10, c ≈ 5e-14).
DIVERGED = 1e8
#: A refined end point whose last Newton correction (relative) is above this
#: has not converged onto a nonsingular solution, however small its residual:
#: near an ill-conditioned solution (condition ~1e10 on real data) a point
#: 1e-5 away can have a backward error of 5e-10. Genuine solutions end with
#: corrections below ~1e-10 (measured on realistic data at d = 8).
CONVERGED = 1e-9
#: Extra Newton steps for end points that have not converged after the first 8.
MORE_NEWTON = 24
#: Relative distance under which two solutions are the same point.
DUPLICATE = 1e-7
#: Relative imaginary part under which a solution counts as real.
REAL = 1e-8


# ---------------------------------------------------------------------------
# exact counts (compared against, never used to decide validity)

def reference_ed_degree(partition) -> int:
    """The generic ED degree of ``Δ_λ``: the exact count of `critlcn.degrees`
    (MATH.md §10), known for every partition.

    Examples
    --------
    >>> reference_ed_degree((4, 1)), reference_ed_degree((7,)), reference_ed_degree((4, 3))
    (17, 19, 111)
    """
    from critlcn.degrees import ed_degree

    return ed_degree(partition)


# ---------------------------------------------------------------------------
# end points -> valid solutions


@dataclass(frozen=True)
class Endpoints:
    """Refined end points of a set of paths, and what became of each.

    ``status[i]`` is ``'valid'``, ``'duplicate'`` (same point as an earlier
    valid one), ``'spurious'`` (converged but colliding roots or ``c = 0``) or
    ``'failed'`` (diverged — a coordinate above `DIVERGED` — or did not converge:
    residual above `BACKWARD_ERROR` or last Newton correction above `CONVERGED`).
    """

    points: np.ndarray
    status: tuple[str, ...]
    condition: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        """The distinct valid solutions."""
        mask = np.array([s == "valid" for s in self.status], dtype=bool)
        return self.points[mask] if mask.size else self.points

    def count(self, status: str) -> int:
        """How many end points have ``status``."""
        return sum(1 for s in self.status if s == status)


def _min_root_separation(chart: Chart, x) -> float:
    """Smallest chordal distance between roots of the factors ``f_m`` at ``x``
    (roots of one factor and of different factors alike)."""
    pts = []
    for _, f in chart.factors(x):
        n = f.size - 1
        if not np.all(np.isfinite(f)) or np.linalg.norm(f) == 0:
            return 0.0
        # a root (x:y) of f; the chordal metric treats infinity like any point
        lead = np.flatnonzero(np.abs(f) > 1e-14 * np.linalg.norm(f))
        first = lead[0] if lead.size else n
        for z in np.roots(f[first:]) if n - first > 0 else []:
            pts.append(np.array([z, 1.0]))
        for _ in range(first):
            pts.append(np.array([1.0, 0.0]))
    best = np.inf
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            a, b = pts[i], pts[j]
            dist = abs(a[0] * b[1] - a[1] * b[0]) / (np.linalg.norm(a) * np.linalg.norm(b))
            best = min(best, dist)
    return float(best)


def classify_endpoints(assembled: Assembled, points, reference_norm: float, known=None) -> Endpoints:
    """Refine ``points`` with Newton's method and sort them into valid,
    duplicate, spurious and failed.

    Parameters
    ----------
    assembled : Assembled
        The system the points should solve.
    points : array_like, shape (S, n)
        Raw end points.
    reference_norm : float
        A typical size of critical filters (``‖Q⁻¹ b‖``); filters much smaller
        are the excluded ``c = 0`` component.
    known : array_like, optional
        Already accepted solutions: points equal to one of them are duplicates.

    Examples
    --------
    >>> from critlcn.systems import random_parameters
    >>> a = critical_system(default_chart((1, 1))).assemble(random_parameters(2, np.random.default_rng(0)))
    >>> ends = classify_endpoints(a, np.zeros((1, 3)), 1.0)
    >>> ends.status
    ('failed',)
    """
    chart = assembled.system.chart
    X = np.atleast_2d(np.asarray(points, dtype=complex)).reshape(-1, chart.unknowns)
    status = []
    cond = np.full(X.shape[0], np.inf)
    if X.shape[0] == 0:
        return Endpoints(X, (), cond)
    finite = np.all(np.isfinite(X), axis=1)
    Xr = X.copy()
    step = np.full(X.shape[0], np.inf)
    if np.any(finite):
        with np.errstate(all="ignore"):
            ref, stp, cnd = assembled.newton(X[finite])
        Xr[finite], step[finite], cond[finite] = ref, stp, cnd
        slow = np.flatnonzero(finite & ~(step <= CONVERGED))
        if slow.size:  # linear convergence near an ill-conditioned solution: give it time
            with np.errstate(all="ignore"):
                ref, stp, cnd = assembled.newton(Xr[slow], iters=MORE_NEWTON)
            Xr[slow], step[slow], cond[slow] = ref, stp, cnd
    with np.errstate(all="ignore"):
        err = assembled.backward_error(Xr)
    kept = [] if known is None else [np.asarray(k) for k in np.atleast_2d(known) if np.size(k)]
    for i, x in enumerate(Xr):
        if not (finite[i] and np.all(np.isfinite(x)) and err[i] <= BACKWARD_ERROR and step[i] <= CONVERGED
                and np.max(np.abs(x)) <= DIVERGED):
            status.append("failed")
            continue
        w = chart.form(x)
        if np.linalg.norm(w) <= 1e-8 * reference_norm or _min_root_separation(chart, x) <= ROOT_SEPARATION:
            status.append("spurious")
            continue
        if any(np.linalg.norm(x - k) <= DUPLICATE * (1 + np.linalg.norm(x)) for k in kept):
            status.append("duplicate")
            continue
        kept.append(x)
        status.append("valid")
    return Endpoints(Xr, tuple(status), cond)


def _reference_norm(p, d: int) -> float:
    L = d + 1
    iu, ju = np.triu_indices(L)
    Q = np.zeros((L, L), dtype=complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    b = p[iu.size :]
    try:
        return float(np.linalg.norm(np.linalg.solve(Q, b)))
    except np.linalg.LinAlgError:
        return float(np.linalg.norm(b) / max(np.linalg.norm(Q), 1e-300))


# ---------------------------------------------------------------------------
# solving one system


def solve_blackbox(chart: Chart, p, seed: int = 0) -> Endpoints:
    """PHCpack's blackbox solver on the critical system of ``chart`` at ``p``,
    end points refined and classified (the baseline a user would write).

    Examples
    --------
    >>> ends = solve_blackbox(default_chart((2,)), random_parameters(2, np.random.default_rng(0)))
    >>> ends.count("valid")
    4
    """
    assembled = critical_system(chart).assemble(p)
    names = variable_names(chart)
    raw = homotopy.blackbox(assembled.polynomials(), names, seed=seed)
    pts = np.array([e.point for e in raw]).reshape(-1, chart.unknowns)
    return classify_endpoints(assembled, pts, _reference_norm(np.asarray(p), chart.degree))


def track_parameters(chart: Chart, p_from, p_to, points, gamma: complex, seed: int = 0,
                     precision: str = "d") -> np.ndarray:
    """Track ``points`` (solutions at ``p_from``) to ``p_to`` along
    ``(1 − s) γ p_from + s p_to``; returns raw end points (unrefined).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ch = default_chart((1,))
    >>> p0, p1 = random_parameters(1, rng), random_parameters(1, rng)
    >>> x0 = solve_blackbox(ch, p0).valid
    >>> x1 = track_parameters(ch, p0, p1, x0, gamma=0.6 + 0.8j)
    >>> float(critical_system(ch).assemble(p1).backward_error(x1)[0]) < 1e-9
    True
    """
    system = critical_system(chart)
    names = variable_names(chart)
    start = system.assemble(p_from).polynomials()
    target = system.assemble(p_to).polynomials()
    points = np.atleast_2d(np.asarray(points, dtype=complex))
    if points.size == 0:
        return points.reshape(0, chart.unknowns)
    ends = homotopy.track(target, start, points, names, gamma=gamma, seed=seed, precision=precision)
    return np.array([e.point for e in ends]).reshape(-1, chart.unknowns)


def _random_gamma(rng: np.random.Generator) -> complex:
    angle = rng.uniform(0, 2 * np.pi)
    return complex(np.cos(angle), np.sin(angle))


def _seed_solution(chart: Chart, rng: np.random.Generator):
    """A random point ``x0`` and generic parameters ``p0`` that it solves: the
    equations are linear in ``p``, so ``p0`` is a random kernel vector."""
    system = critical_system(chart)
    n = chart.unknowns
    x0 = (rng.normal(size=n) + 1j * rng.normal(size=n)) / np.sqrt(2)
    rows = []
    for ex, T in zip(system.exponents, system.tensors):
        mon = np.prod(x0[None, :] ** ex, axis=1)
        rows.append(mon @ T)
    M = np.array(rows)
    r = rng.normal(size=M.shape[1]) + 1j * rng.normal(size=M.shape[1])
    p0 = r - np.linalg.pinv(M) @ (M @ r)
    return x0, p0 / np.linalg.norm(p0)


def build_start(
    partition,
    rng: np.random.Generator,
    chart: Chart | None = None,
    target: int | None = None,
    blackbox_runs: int = 1,
    stable_loops: int = 3,
    max_loops: int = 60,
) -> StartSystem:
    """All valid solutions of ``λ``'s critical system at generic complex data.

    Starts from the union of ``blackbox_runs`` blackbox solves (or, with
    ``blackbox_runs=0``, from one solution made by choosing the data to fit a
    random point), then runs monodromy loops ``p0 → p1 → p0`` along random
    gamma paths, adding every new valid solution, until the count equals
    ``target`` (when given) and no loop has found anything new for
    ``stable_loops`` loops in a row.

    Raises `CritlcnError` when ``max_loops`` loops do not reach ``target``.

    Examples
    --------
    >>> st = build_start((2, 1), np.random.default_rng(0), target=7)
    >>> st.count
    7
    """
    lam = tuple(sorted((int(p) for p in partition), reverse=True))
    d = sum(lam)
    chart = chart if chart is not None else default_chart(lam)
    system = critical_system(chart)
    seed = int(rng.integers(2**31 - 1))
    if blackbox_runs > 0:
        p0 = random_parameters(d, rng)
        sols = np.zeros((0, chart.unknowns), dtype=complex)
        for run in range(blackbox_runs):
            ends = solve_blackbox(chart, p0, seed=seed + run)
            new = classify_endpoints(system.assemble(p0), ends.valid, _reference_norm(p0, d), known=sols)
            sols = np.concatenate([sols, new.valid])
    else:
        x0, p0 = _seed_solution(chart, rng)
        sols = x0[None, :]
    a0 = system.assemble(p0)
    ref0 = _reference_norm(p0, d)
    quiet, loops = 0, 0
    while loops < max_loops:
        done = target is None or len(sols) >= target
        if done and quiet >= stable_loops:
            break
        loops += 1
        p1 = random_parameters(d, rng)
        mid = track_parameters(chart, p0, p1, sols, _random_gamma(rng), seed=seed + 100 + loops)
        back = track_parameters(chart, p1, p0, mid, _random_gamma(rng), seed=seed + 200 + loops)
        new = classify_endpoints(a0, back, ref0, known=sols)
        if new.count("valid"):
            sols = np.concatenate([sols, new.valid])
            quiet = 0
        else:
            quiet += 1
    if target is not None and len(sols) != target:
        raise CritlcnError(
            f"building the start system of λ = {lam}: found {len(sols)} valid solutions after {loops} monodromy loops, "
            f"expected {target}; rebuild with another seed",
            exit_code=1,
        )
    provenance = {
        "method": f"{blackbox_runs} blackbox solve(s) + monodromy",
        "loops": loops,
        "stable_loops": quiet,
        "reference": target,
        "count": int(len(sols)),
    }
    return StartSystem(chart, p0, sols, tuple(provenance.items()))


# ---------------------------------------------------------------------------
# start systems: cache, or build on the fly


def _build_seed(partition) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(repr(("start", tuple(partition))).encode()).digest()[:8], "little")


def get_start(partition, directory: str | None = None, rebuild: bool = False, save: bool = True) -> StartSystem:
    """The start system of ``λ``: the cached one when it is usable, otherwise
    built now (deterministically from ``λ``) and, when ``save`` and the folder
    is writable, stored for next time.

    A cached file is accepted only if it is intact (checksum), of the current
    format, for ``λ``, its solutions solve its system, and its count equals
    the reference ED degree where that is known.

    Building: each attempt uses its own chart, generic data and seed
    solution, starts from a blackbox solve for ``d ≤ 5`` (PHCpack's blackbox
    gets slow on the high-degree systems of larger ``d``) and runs monodromy
    loops until nothing new appears for several loops. Where the reference
    count is known it must be reached; otherwise attempts repeat until the
    largest count found has been reached by two independent attempts.

    Examples
    --------
    >>> get_start((2, 1)).count
    7
    """
    lam = tuple(sorted((int(p) for p in partition), reverse=True))
    ref = reference_ed_degree(lam)
    if not rebuild:
        start = load_start(lam, directory)
        if start is not None and (ref is None or start.count == ref):
            return start
    rng = np.random.default_rng(_build_seed(lam))
    counts = []
    start = None
    for attempt in range(5):
        chart = random_chart(lam, rng)
        built = build_start(lam, rng, chart=chart, target=ref, blackbox_runs=1 if sum(lam) <= 5 else 0,
                            stable_loops=3 if ref is not None else 5)
        counts.append(built.count)
        if start is None or built.count > start.count:
            start = built
        # monodromy can stop short but never overshoots: trust the largest
        # count once two independent attempts have reached it
        if ref is not None or counts.count(max(counts)) >= 2:
            break
    else:
        raise CritlcnError(f"start system of λ = {lam}: independent builds disagree ({counts}); rebuild with --rebuild",
                           exit_code=1)
    start = StartSystem(start.chart, start.parameters, start.solutions,
                        tuple(dict(start.provenance, attempts=counts).items()))
    if save:
        try:
            save_start(start, directory)
        except OSError:
            pass  # a read-only install still solves; it just rebuilds next time
    return start


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


#: Rotations (radians) of gamma for re-tracking failed paths alone.
NEARBY_TURNS = (0.02, -0.05, 0.1, -0.2)


def _finish_partition(start: StartSystem, p1, raw, rng, gamma: complex, retries: int = 3,
                      subset_rounds: int = 6) -> PartitionSolution:
    """Classify the end points of the start paths (tracked with ``gamma``) and
    repair failures.

    Which start solution reaches which end point depends on ``gamma``, so a
    failed path is first re-tracked along the same path in double double
    precision. When two paths end at the same point one of them jumped and
    nothing says which, so both are re-tracked. Paths still unaccounted for
    are then re-tracked alone, up to ``subset_rounds`` times, first with
    gammas slightly turned from ``gamma`` (`NEARBY_TURNS`), then with fresh
    ones (a new gamma can change where a path ends, so such a round finds a
    missing solution or lands on a known one; it costs a few paths, not all
    of them). If solutions are still missing, all paths are re-tracked with
    a fresh gamma, up to ``retries`` times. The distinct valid end points of
    all attempts are pooled; paths never accounted for are reported as
    failed (or spurious).
    """
    chart = start.chart
    a1 = critical_system(chart).assemble(p1)
    ref = _reference_norm(p1, chart.degree)

    def sort_out(points):
        """Valid end points and the status of the others, by start index."""
        ends = classify_endpoints(a1, points, ref)
        good: dict[int, np.ndarray] = {}
        bad: dict[int, str] = {}
        for i, (x, status) in enumerate(zip(ends.points, ends.status)):
            if status in ("valid", "duplicate"):
                clash = [j for j, y in good.items() if np.linalg.norm(x - y) <= DUPLICATE * (1 + np.linalg.norm(x))]
                if clash:
                    for j in clash:
                        del good[j]
                        bad[j] = "failed"
                    bad[i] = "failed"
                else:
                    good[i] = x
            else:
                bad[i] = status
        return good, bad

    raw = np.asarray(raw, dtype=complex).reshape(-1, chart.unknowns)
    good, bad = sort_out(raw)
    retracked = 0
    if bad:
        idx = sorted(bad)
        retracked += len(idx)
        again = raw.copy()
        again[idx] = track_parameters(chart, start.parameters, p1, start.solutions[idx], gamma,
                                      seed=int(rng.integers(2**31 - 1)), precision="dd")
        good2, bad2 = sort_out(again)
        if len(good2) > len(good):
            good, bad = good2, bad2
    pool = np.array(list(good.values())).reshape(-1, chart.unknowns)
    rounds = 0
    while len(pool) < start.count and bad and rounds < subset_rounds:
        # a gamma near the first keeps (mostly) which start reaches which end
        # while moving the path off whatever made it fail; later rounds use
        # unrelated gammas
        turn = NEARBY_TURNS[rounds] if rounds < len(NEARBY_TURNS) else None
        rounds += 1
        g = gamma * np.exp(1j * turn) if turn is not None else _random_gamma(rng)
        lost = sorted(bad)
        retracked += len(lost)
        pts = track_parameters(chart, start.parameters, p1, start.solutions[lost], g,
                               seed=int(rng.integers(2**31 - 1)))
        ends = classify_endpoints(a1, pts, ref, known=pool)
        pool = np.concatenate([pool, ends.valid])
        bad = {j: s for j, s in zip(lost, ends.status) if s != "valid"}
    attempt = 0
    while len(pool) < start.count and attempt < retries:
        attempt += 1
        retracked += start.count
        pts = track_parameters(chart, start.parameters, p1, start.solutions, _random_gamma(rng),
                               seed=int(rng.integers(2**31 - 1)))
        ends = classify_endpoints(a1, pts, ref, known=pool)
        pool = np.concatenate([pool, ends.valid])
        bad = {i: s for i, s in enumerate(ends.status) if s not in ("valid", "duplicate")}
    missing = max(0, start.count - len(pool))
    spurious = min(missing, sum(1 for s in bad.values() if s == "spurious"))
    return PartitionSolution(chart.partition, chart, pool, start.count, spurious, missing - spurious, retracked)


def solve_partition(start: StartSystem, p1, rng: np.random.Generator, jobs: int = 1) -> PartitionSolution:
    """All valid solutions of ``λ``'s critical system at parameters ``p1`` by
    the coefficient-parameter homotopy from ``start``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sol = solve_partition(get_start((3,)), random_parameters(3, rng), rng)
    >>> len(sol.solutions), sol.paths_tracked, sol.failed
    (7, 7, 0)
    """
    p1 = np.asarray(p1, dtype=complex)
    p1 = p1 / np.linalg.norm(p1)
    gamma = _random_gamma(rng)
    seed = int(rng.integers(2**31 - 1))
    batches = np.array_split(np.arange(start.count), max(1, min(jobs, start.count)))
    units = [(start.chart, start.parameters, p1, start.solutions[b], gamma, seed) for b in batches if b.size]
    raw = np.concatenate(_pmap(_track_unit, units, jobs)) if units else np.zeros((0, start.chart.unknowns), complex)
    return _finish_partition(start, p1, raw, rng, gamma)


# ---------------------------------------------------------------------------
# the pipeline


@dataclass(frozen=True)
class StratumStats:
    """Per-partition statistics of a solve (HomotopyContinuation.jl style:
    nothing hidden; ``failed`` paths are reported, not dropped)."""

    partition: tuple[int, ...]
    rrmps: tuple[str, ...]
    paths_tracked: int
    valid: int
    expected: int | None
    real: int
    spurious: int
    failed: int

    def to_dict(self) -> dict:
        """JSON-ready dict (issue 3 item 6)."""
        return {
            "partition": list(self.partition),
            "rrmps": list(self.rrmps),
            "paths_tracked": self.paths_tracked,
            "valid": self.valid,
            "expected": self.expected,
            "real": self.real,
            "spurious": self.spurious,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class CriticalPoint:
    """A real critical point of ``ℓ`` on the stratum of its rrmp."""

    rrmp: RRMP
    partition: tuple[int, ...]
    region: str
    compatible: bool
    filter: tuple[float, ...]
    loss: float

    def to_dict(self) -> dict:
        """JSON-ready dict (issue 3 item 6)."""
        return {
            "rrmp": str(self.rrmp),
            "partition": list(self.partition),
            "region": self.region,
            "compatible": self.compatible,
            "filter": list(self.filter),
            "loss": self.loss,
        }


@dataclass(frozen=True)
class SolveResult:
    """Everything a solve found: per-partition statistics and the real
    critical points, sorted by loss.

    ``str(result)`` is a short summary; ``result.to_dict()`` the JSON contract.
    """

    architecture: Architecture
    seed: int
    data: tuple[tuple[str, object], ...]
    strata: tuple[StratumStats, ...]
    points: tuple[CriticalPoint, ...]
    all_strata: bool = False
    versions: tuple[tuple[str, str], ...] = ()

    @property
    def degree(self) -> int:
        """``d``."""
        return self.architecture.degree

    @property
    def complete(self) -> bool:
        """True when no path failed and every count equals its reference."""
        return all(s.failed == 0 and (s.expected is None or s.valid == s.expected) for s in self.strata)

    def best(self) -> CriticalPoint | None:
        """The compatible critical point of lowest loss."""
        comp = [p for p in self.points if p.compatible]
        return comp[0] if comp else None

    def to_dict(self) -> dict:
        """The JSON contract of ``critlcn solve --format json``."""
        return {
            "architecture": {**self.architecture.to_dict(), "label": self.architecture.label()},
            "degree": self.degree,
            "seed": self.seed,
            "all_strata": self.all_strata,
            "data": dict(self.data),
            "strata": [s.to_dict() for s in self.strata],
            "critical_points": [p.to_dict() for p in self.points],
            "complete": self.complete,
            "versions": dict(self.versions),
        }

    def __str__(self) -> str:
        data = dict(self.data)
        lines = [
            f"{self.architecture.label()}, degree {self.degree}, data {data.get('source')} "
            f"({data.get('samples')} samples), seed {self.seed}",
        ]
        paths = sum(s.paths_tracked for s in self.strata)
        valid = sum(s.valid for s in self.strata)
        failed = sum(s.failed for s in self.strata)
        real = sum(s.real for s in self.strata)
        lines.append(
            f"{len(self.strata)} partitions: {paths} paths tracked, {valid} valid, {real} real, {failed} failed"
            + ("" if self.complete else "  (INCOMPLETE: see the per-partition table)")
        )
        comp = [p for p in self.points if p.compatible]
        lines.append(f"{len(self.points)} real critical points, {len(comp)} on compatible strata")
        best = self.best()
        if best is not None:
            lines.append(f"best: {best.rrmp} ({best.region}), loss {best.loss:.6g}")
        return "\n".join(lines)


def needed_partitions(arch: Architecture, all_strata: bool = False) -> dict[tuple[int, ...], tuple[str, ...]]:
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


def versions() -> tuple[tuple[str, str], ...]:
    """Versions of critlcn, numpy and PHCpack, for reports."""
    from critlcn import __version__

    return (("critlcn", __version__), ("numpy", np.__version__), ("phcpy", homotopy.phcpy_version()),
            ("python", platform.python_version()))


def _real_points(arch: Architecture, loss, sol: PartitionSolution) -> list[CriticalPoint]:
    from critlcn.compatibility import is_compatible

    out = []
    for x in sol.solutions:
        w = sol.chart.form(x)
        if np.linalg.norm(w.imag) > REAL * np.linalg.norm(w):
            continue
        wr = w.real.copy()
        r = rrmp_of_form(wr)
        out.append(CriticalPoint(r, sol.partition, region(r, arch.e), bool(is_compatible(r, arch)),
                                 tuple(float(v) for v in wr), loss.value(wr)))
    return out


def solve(arch: Architecture, loss, dataset=None, all_strata: bool = False, seed: int = 0, jobs: int = 1,
          cache: str | None = None, scheduler: str | None = None, progress: bool | None = False) -> SolveResult:
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
        Folder of start systems (default: the package's ``systems/``).
    scheduler : str, optional
        Address of a Dask distributed scheduler: path tracking runs on its
        workers instead of local processes (results are identical).
    progress : bool or None
        Progress line on stderr: True, False, or None for "when stderr is a
        terminal".

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> rng = np.random.default_rng(0)
    >>> M = rng.normal(size=(3, 3))
    >>> res = solve(Architecture((2, 2)), QuadraticLoss(M @ M.T + np.eye(3), rng.normal(size=3), 1.0))
    >>> [(s.partition, s.valid, s.expected) for s in res.strata]
    [((2,), 4, 4), ((1, 1), 1, 1)]
    """
    if jobs < 1:
        raise CritlcnError(f"--jobs must be at least 1, got {jobs}")
    rng = np.random.default_rng(seed)
    need = needed_partitions(arch, all_strata)
    lams = list(need)
    starts = {}
    for lam in lams:
        st = load_start(lam, cache)
        ref = reference_ed_degree(lam)
        if st is not None and (ref is None or st.count == ref):
            starts[lam] = st
    # start systems missing from the cache (e.g. d > 7) are built now, in parallel
    missing = [lam for lam in lams if lam not in starts]
    for lam, st in zip(missing, _pmap(_build_unit, [(lam, cache) for lam in missing], jobs, scheduler)):
        starts[lam] = st
    p1 = parameters(loss.Q, loss.b)
    p1 = p1 / np.linalg.norm(p1)
    gammas = {lam: (_random_gamma(rng), int(rng.integers(2**31 - 1))) for lam in lams}
    # one batch per stratum and job, so small strata and big ones share the workers
    units, owners = [], []
    for lam in lams:
        st = starts[lam]
        nb = max(1, min(jobs, st.count // 8 or 1))
        for b in np.array_split(np.arange(st.count), nb):
            if b.size:
                units.append((st.chart, st.parameters, p1, st.solutions[b], *gammas[lam]))
                owners.append(lam)
    bar = Progress("tracking", total=len(units), enabled=None if progress is None else bool(progress))
    raws = _pmap(_track_unit, units, jobs, scheduler, progress=lambda raw: bar.advance(paths=len(raw)))
    strata, points = [], []
    for lam in lams:
        parts = [r for r, o in zip(raws, owners) if o == lam]
        raw = np.concatenate(parts) if parts else np.zeros((0, starts[lam].chart.unknowns), complex)
        sol = _finish_partition(starts[lam], p1, raw, rng, gammas[lam][0])
        real = _real_points(arch, loss, sol)
        points.extend(real)
        strata.append(StratumStats(lam, need[lam], sol.paths_tracked, len(sol.solutions), reference_ed_degree(lam),
                                   len(real), sol.spurious, sol.failed))
    points.sort(key=lambda p: (p.loss, str(p.rrmp)))
    data = dataset.to_dict() if dataset is not None else {"samples": None, "source": "quadratic loss", "sha256": None}
    return SolveResult(arch, int(seed), tuple(data.items()), tuple(strata), tuple(points), bool(all_strata),
                       versions())


def build_cache(max_degree: int, directory: str | None = None, jobs: int = 1, rebuild: bool = False,
                min_degree: int = 1) -> list[tuple[tuple[int, ...], int, str]]:
    """Build (or check) the start systems of every partition of degree
    ``min_degree..max_degree``; returns ``(λ, count, 'cached'|'built')`` rows.

    Resumable: partitions whose cache file is already usable are kept, so an
    interrupted build continues where it stopped.

    Examples
    --------
    >>> build_cache(2)
    [((1,), 1, 'cached'), ((2,), 4, 'cached'), ((1, 1), 1, 'cached')]
    """
    if max_degree < 1:
        raise CritlcnError(f"--max-degree must be at least 1, got {max_degree}")
    lams = [lam for d in range(min_degree, max_degree + 1) for lam in partitions(d)]
    status = {}
    todo = []
    for lam in lams:
        st = None if rebuild else load_start(lam, directory)
        ref = reference_ed_degree(lam)
        if st is not None and (ref is None or st.count == ref):
            status[lam] = "cached"
        else:
            todo.append(lam)
            status[lam] = "built"
    # low degrees first (they are needed most often), big partitions first
    # within a degree so parallel workers finish together
    todo.sort(key=lambda lam: (sum(lam), -len(lam)))
    _pmap(_rebuild_unit, [(lam, directory, rebuild) for lam in todo], jobs)
    return [(lam, get_start(lam, directory).count, status[lam]) for lam in lams]


def _rebuild_unit(args):
    lam, directory, rebuild = args
    # without --rebuild, another process may have built it meanwhile: get_start checks again
    return get_start(lam, directory, rebuild=rebuild).count
