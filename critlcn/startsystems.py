"""Start systems of the stratified solver: the critical system of each
complex partition ``λ`` at generic complex data with all its valid
solutions, built by monodromy and cached on disk (docs/math.md, "Solving:
homotopy continuation").

A start system is built once by `build_start`: a blackbox solve at generic
complex data (or one solution made by choosing the data to fit a random
point) completed by monodromy (`_monodromy`) until the number of valid
solutions reaches the exact count of `critlcn.degrees`. `get_start` reads
the cache (``critlcn/data/start_systems/``) or builds and stores it.

Start-system cache
------------------
``critlcn/data/start_systems/d{d}_{λ}.npz`` (e.g. ``d5_4-1.npz``) holds, per
partition, the arrays ``mobius`` (the chart's 2x2 matrix,
`systems.mobius_chart`), ``parameters`` (generic complex ``p0``) and
``solutions`` (every valid solution there), and ``meta``, JSON text with
``format`` (`START_FORMAT`), the critlcn version that wrote it, ``degree``,
``partition``, ``unknowns``, ``count``, ``provenance`` (how completeness was
established) and ``sha256`` (of the arrays and all other fields).
`load_start` refuses a file whose format, checksum, partition or sizes do
not match, or whose solutions do not solve its own system; such a file is
rebuilt, never used. Rebuild with ``critlcn systems build --max-degree 9
[--rebuild] [--jobs N]``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from critlcn import homotopy
from critlcn.degrees import ed_degree
from critlcn.endpoints import Endpoints, classify_endpoints, random_gamma, scaled_condition as _scaled_condition
from critlcn.errors import CritlcnError
from critlcn.parallel import pmap
from critlcn.rrmp import partitions
from critlcn.roots import min_root_separation
from critlcn.systems import (
    Assembled,
    Chart,
    change_chart,
    check_partition,
    critical_system,
    default_chart,
    mobius_chart,
    random_chart,
    random_parameters,
    tracking_names,
    tracking_points,
    tracking_polynomials,
    unpack_parameters,
    variable_names,
)

__all__ = [
    "START_FORMAT",
    "Solved",
    "StartSystem",
    "partition_key",
    "cache_dir",
    "cache_path",
    "load_start",
    "rechart",
    "save_start",
    "reference_norm",
    "scaled_condition",
    "SINGULAR",
    "chart_endpoints",
    "solve_blackbox",
    "track_parameters",
    "build_start",
    "get_start",
    "build_cache",
    "ROOT_SEPARATION",
]

#: Two roots closer than this chordal distance on P^1 count as colliding.
ROOT_SEPARATION = 1e-7


# ---------------------------------------------------------------------------
# the cache: generic parameters with all their valid solutions, on disk

#: Version of the start-system file format; files of any other version are rebuilt.
START_FORMAT = "critlcn-start-system/3"



@dataclass(frozen=True, eq=False)
class Solved:
    """Solutions of a chart's system at parameters, frozen (read-only
    arrays); ``provenance`` records how completeness was established. The
    common part of `StartSystem` and `critlcn.paramspace.ParamStart`.

    Examples
    --------
    >>> s = Solved(default_chart((1,)), np.zeros(5), [[1.0, 0.5]])
    >>> s.count, s.solutions.flags.writeable
    (1, False)
    """

    chart: object
    parameters: np.ndarray
    solutions: np.ndarray
    provenance: tuple = ()

    def __post_init__(self):
        p = np.array(self.parameters, dtype=complex)
        X = np.array(self.solutions, dtype=complex).reshape(-1, self.chart.unknowns)
        p.flags.writeable = False
        X.flags.writeable = False
        object.__setattr__(self, "parameters", p)
        object.__setattr__(self, "solutions", X)
        object.__setattr__(self, "provenance", tuple(tuple(kv) for kv in dict(self.provenance).items()))

    @property
    def count(self) -> int:
        """Number of solutions."""
        return self.solutions.shape[0]


@dataclass(frozen=True, eq=False)
class StartSystem(Solved):
    """All valid solutions of the critical system of ``chart`` at generic
    complex parameters ``p0``: the start of every parameter homotopy for ``λ``
    (their number is the generic ED degree of ``Δ_λ``).
    """

    chart: Chart

    @property
    def partition(self) -> tuple[int, ...]:
        """``λ``."""
        return self.chart.partition

    def to_arrays(self) -> dict:
        """The arrays of a cache file (`save_start`): ``parameters``,
        ``solutions``, ``mobius`` and ``meta`` (JSON text: format, critlcn
        version, degree, partition, unknowns, count, provenance, and the
        ``sha256`` of everything else)."""
        import json

        from critlcn import __version__

        if self.chart.mobius is None:
            raise CritlcnError("only start systems in a Möbius chart (systems.mobius_chart) can be stored")
        meta = {
            "format": START_FORMAT,
            "critlcn": __version__,
            "degree": self.chart.degree,
            "partition": list(self.partition),
            "unknowns": variable_names(self.chart),
            "count": self.count,
            "provenance": dict(self.provenance),
        }
        arrays = {"parameters": self.parameters, "solutions": self.solutions, "mobius": self.chart.mobius}
        meta["sha256"] = _content_hash(meta, arrays)
        return dict(arrays, meta=np.array(json.dumps(meta, sort_keys=True)))

    @classmethod
    def from_arrays(cls, data, partition=None) -> "StartSystem":
        """Read and check a cache file's arrays; raise `CritlcnError` when it
        is corrupt, of another format version, or for other parameters."""
        import json

        try:
            meta = json.loads(str(data["meta"]))
            arrays = {k: np.asarray(data[k]) for k in ("parameters", "solutions", "mobius")}
        except (KeyError, ValueError, TypeError) as err:
            raise CritlcnError(f"start system file is incomplete: {err}") from None
        if meta.get("format") != START_FORMAT:
            raise CritlcnError(f"start system has format {meta.get('format')!r}, not {START_FORMAT!r}")
        if meta.get("sha256") != _content_hash({k: v for k, v in meta.items() if k != "sha256"}, arrays):
            raise CritlcnError("start system checksum does not match its content")
        lam = check_partition(meta["partition"])
        if partition is not None and lam != check_partition(partition):
            raise CritlcnError(f"start system is for partition {lam}, not {tuple(partition)}")
        chart = mobius_chart(lam, arrays["mobius"])
        if sum(lam) != meta["degree"]:
            raise CritlcnError("start system's degree does not match its partition")
        out = cls(chart, arrays["parameters"], arrays["solutions"].reshape(-1, chart.unknowns),
                  tuple(meta.get("provenance", {}).items()))
        if out.count != meta["count"] or out.parameters.shape != (critical_system(chart).n_params,):
            raise CritlcnError("start system's sizes do not match its partition")
        # the solutions must solve the stored system: catches edited numbers
        err = critical_system(chart).assemble(out.parameters).backward_error(out.solutions)
        if out.count and not np.all(err <= 1e-8):
            raise CritlcnError("start system's solutions do not solve its equations")
        return out


def _content_hash(meta: dict, arrays: dict) -> str:
    import json

    h = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
    for key in sorted(arrays):
        arr = np.ascontiguousarray(arrays[key], dtype=complex)
        h.update(key.encode() + repr(arr.shape).encode() + arr.tobytes())
    return h.hexdigest()


def partition_key(partition) -> str:
    """File-name key of a partition: ``(4, 1)`` -> ``'4-1'``.

    Examples
    --------
    >>> partition_key((2, 1, 1))
    '2-1-1'
    """
    return "-".join(str(p) for p in check_partition(partition))


def cache_dir() -> str:
    """Folder of the shipped start systems (``critlcn/data/start_systems/``)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "start_systems")


def cache_path(partition, directory: str | None = None) -> str:
    """Path of the cache file of ``λ``, e.g. ``.../data/start_systems/d5_4-1.npz``.

    Examples
    --------
    >>> os.path.basename(cache_path((4, 1)))
    'd5_4-1.npz'
    """
    lam = check_partition(partition)
    return os.path.join(directory or cache_dir(), f"d{sum(lam)}_{partition_key(lam)}.npz")


def load_start(partition, directory: str | None = None, *, expected: int | None = None) -> StartSystem | None:
    """The cached start system of ``λ``, or ``None`` when it is missing or
    unusable (corrupt, other format version, other parameters, or a count of
    solutions other than the exact count ``expected`` when given): such a
    file is never used, only rebuilt. A checksum only shows that a file is
    as written; the count shows that no solution is missing.

    Examples
    --------
    >>> load_start((1,), directory="/nonexistent") is None
    True
    """
    path = cache_path(partition, directory)
    try:
        with np.load(path, allow_pickle=False) as data:
            start = StartSystem.from_arrays(data, partition)
    except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile, CritlcnError):
        return None
    return start if expected is None or start.count == expected else None


def save_start(start: StartSystem, directory: str | None = None) -> str:
    """Write ``start`` atomically to its cache file (``.npz``); returns the path."""
    import io

    from critlcn.files import atomic_write

    path = cache_path(start.partition, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **start.to_arrays())
    return atomic_write(path, buf.getvalue())


def rechart(start: StartSystem, chart: Chart) -> StartSystem:
    """``start`` in another chart of the same partition: the same filters at
    the same parameters, coordinates recomputed from the factors and refined
    by Newton's method; no path is tracked.

    Raises `CritlcnError` when a solution lies on the new chart's boundary or
    the refined solutions are not all valid and distinct.

    Examples
    --------
    >>> st = get_start((2, 1))
    >>> other = rechart(st, random_chart((2, 1), np.random.default_rng(3)))
    >>> bool(np.allclose([other.chart.form(x) for x in other.solutions], [st.chart.form(x) for x in st.solutions]))
    True
    """
    X = change_chart(start.solutions, start.chart, chart)
    if np.isnan(X).any():
        raise CritlcnError(f"a start solution of {start.partition} lies on the new chart's boundary")
    a0 = critical_system(chart).assemble(start.parameters)
    ends = chart_endpoints(a0, X, reference_norm(start.parameters, chart.degree))
    if len(ends.valid) != start.count:
        raise CritlcnError(f"{start.partition}: {len(ends.valid)} of {start.count} solutions valid in the new chart")
    return StartSystem(chart, start.parameters, ends.valid, start.provenance)


# ---------------------------------------------------------------------------
# building


def chart_endpoints(assembled: Assembled, points, reference_norm: float, *, known=None) -> Endpoints:
    """`critlcn.endpoints.classify_endpoints` for a critical system in a chart:
    a solution is spurious when its filter is much smaller than
    ``reference_norm`` (the excluded ``c = 0`` component) or two roots of its
    factors collide (chordal distance at most `ROOT_SEPARATION`).

    Examples
    --------
    >>> a = critical_system(default_chart((1, 1))).assemble(random_parameters(2, np.random.default_rng(0)))
    >>> chart_endpoints(a, np.zeros((1, 3)), 1.0).status
    ('failed',)
    """
    chart = assembled.system.chart

    def spurious(X, condition) -> np.ndarray:
        small = np.array([np.linalg.norm(chart.form(x)) <= 1e-8 * reference_norm for x in X])
        close = np.array([min_root_separation([f for _, f in chart.factors(x)]) <= ROOT_SEPARATION for x in X])
        return small | close | (condition > SINGULAR)

    X = np.atleast_2d(np.asarray(points, dtype=complex)).reshape(-1, chart.unknowns)
    return classify_endpoints(assembled, X, spurious=spurious, known=known)


#: Scaled condition number (`scaled_condition`) above which an end point is
#: singular, hence not a solution that the generic count counts: the blackbox
#: solver once returned an 18th "valid" point for λ = (4, 1), a point of the
#: locus where two factors share a root (raw condition 6e21), whose roots were
#: still 1e-5 apart after Newton's linear convergence. Genuine solutions of
#: every cached start system have at most 1.3e6; certification refuses above 1e15.
SINGULAR = 1e13


def scaled_condition(assembled: Assembled, x) -> float:
    """Condition number of the Jacobian at ``x`` with columns scaled by
    ``|x_j|`` and rows normalised: charts put genuine solutions at very
    different scales, which makes the raw condition number huge without the
    solution being singular.

    Examples
    --------
    >>> p = random_parameters(2, np.random.default_rng(0))
    >>> x = solve_blackbox(default_chart((2,)), p).valid[0]
    >>> scaled_condition(critical_system(default_chart((2,))).assemble(p), x) < 1e6
    True
    """
    x = np.asarray(x, dtype=complex)[None, :]
    return float(_scaled_condition(assembled.jacobian(x), x)[0])


def reference_norm(p, d: int) -> float:
    """A typical size ``‖Q⁻¹ b‖`` of critical filters for the (complex)
    parameters ``p = (Q, b)`` of degree ``d``.

    Examples
    --------
    >>> from critlcn.systems import parameters
    >>> reference_norm(parameters(2 * np.eye(2), np.array([2.0, 0.0])), 1)
    1.0
    """
    Q, b = unpack_parameters(p, d)
    try:
        return float(np.linalg.norm(np.linalg.solve(Q, b)))
    except np.linalg.LinAlgError:
        return float(np.linalg.norm(b) / max(np.linalg.norm(Q), 1e-300))


def solve_blackbox(chart: Chart, p, *, seed: int = 0) -> Endpoints:
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
    return chart_endpoints(assembled, pts, reference_norm(np.asarray(p), chart.degree))


#: Dense (c, t) systems whose terms × unknowns exceed this are tracked in the
#: multilinear form by PHCpack's ade tracker instead (scripts/benchmark_tracking.py:
#: the standard tracker costs about 40 µs per term and unknown and path on the
#: dense form, ade 20-40 ms per path on the multilinear form at d = 6..8).
ADE_WORK = 1200


def uses_ade(chart: Chart) -> bool:
    """Whether paths of ``chart`` are tracked in the multilinear form by
    PHCpack's ade tracker (Möbius charts whose dense system has terms ×
    unknowns above `ADE_WORK`) rather than in the dense form by the
    standard tracker.

    Examples
    --------
    >>> uses_ade(default_chart((3, 2, 1, 1, 1))), uses_ade(default_chart((4, 4)))
    (True, False)
    """
    if chart.mobius is None:
        return False
    return sum(len(e) for e in critical_system(chart).exponents) * chart.unknowns > ADE_WORK


def track_parameters(chart: Chart, p_from, p_to, points, gamma: complex, *, seed: int = 0) -> np.ndarray:
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
    points = np.atleast_2d(np.asarray(points, dtype=complex))
    if points.size == 0:
        return points.reshape(0, chart.unknowns)
    if uses_ade(chart):
        # the multilinear form: same solutions, few terms, no powers (systems.tracking_polynomials)
        names = tracking_names(chart)
        start, target = tracking_polynomials(chart, p_from), tracking_polynomials(chart, p_to)
        points = tracking_points(chart, p_from, points)
        tracker = "ade"
    else:
        system = critical_system(chart)
        names = variable_names(chart)
        start, target = system.assemble(p_from).polynomials(), system.assemble(p_to).polynomials()
        tracker = "standard"
    ends = homotopy.track(target, start, points, names, gamma=gamma, seed=seed, tracker=tracker)
    return np.array([e.point[: chart.unknowns] for e in ends]).reshape(-1, chart.unknowns)


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
    *,
    chart: Chart | None = None,
    target: int | None = None,
    blackbox_runs: int = 1,
    max_loops: int = 60,
) -> StartSystem:
    """All valid solutions of ``λ``'s critical system at generic complex data.

    Starts from the union of ``blackbox_runs`` blackbox solves (or, with
    ``blackbox_runs=0``, from one solution made by choosing the data to fit a
    random point), then runs monodromy between ``p0`` and a second random
    parameter point (`_monodromy`), adding every new valid solution, until
    the count equals ``target`` — the exact generic ED degree of
    `critlcn.degrees` unless given — and stops there.

    When the monodromy stalls (`MONODROMY_STALL` new gamma paths without a
    new solution), a blackbox solve at the more complete point adds the
    solutions that monodromy from one seed cannot reach, and the monodromy
    goes on from the union.

    Raises `CritlcnError` when ``max_loops`` gamma paths between the two
    points and that blackbox solve do not reach ``target``,
    and at once when the count ever exceeds it: a parameter homotopy has at
    most the generic number of isolated solutions, so a larger count means a
    duplicate or a spurious point was accepted.

    Examples
    --------
    >>> st = build_start((2, 1), np.random.default_rng(0))
    >>> st.count, dict(st.provenance)["target"]
    (7, 7)
    """
    lam = tuple(sorted((int(p) for p in partition), reverse=True))
    d = sum(lam)
    target = ed_degree(lam) if target is None else int(target)
    chart = chart if chart is not None else default_chart(lam)
    system = critical_system(chart)
    seed = int(rng.integers(2**31 - 1))

    def check(sols, loops):
        if len(sols) > target:
            raise CritlcnError(
                f"building the start system of λ = {lam}: {len(sols)} valid solutions after {loops} monodromy loops, "
                f"more than the exact count {target}; this is a bug in end-point classification, please report it",
                exit_code=1,
            )
        return sols

    if blackbox_runs > 0:
        p0 = random_parameters(d, rng)
        sols = np.zeros((0, chart.unknowns), dtype=complex)
        for run in range(blackbox_runs):
            ends = solve_blackbox(chart, p0, seed=seed + run)
            new = chart_endpoints(system.assemble(p0), ends.valid, reference_norm(p0, d), known=sols)
            sols = check(np.concatenate([sols, new.valid]), 0)
    else:
        x0, p0 = _seed_solution(chart, rng)
        sols = x0[None, :]
    p0, sols, loops, paths = _monodromy(chart, p0, sols, target, rng, seed, max_loops, check)
    rescued = 0
    if len(sols) < target:
        # Stalled: the missing solutions are on a component of the incidence
        # variety {(x, p): F(x, p) = 0} that no monodromy loop from the seed
        # reaches (d = 10, λ = 7-2-1: 307 of 308 with three charts and seeds,
        # every end point accounted for). A blackbox solve at the same point
        # reaches every component; monodromy then goes on from the union.
        ends = solve_blackbox(chart, p0, seed=seed + 1)
        new = chart_endpoints(system.assemble(p0), ends.valid, reference_norm(p0, d), known=sols)
        sols = check(np.concatenate([sols, new.valid]), loops)
        rescued = len(new.valid)
        if rescued and len(sols) < target:
            p0, sols, more, extra = _monodromy(chart, p0, sols, target, rng, seed + 2, max_loops, check)
            loops, paths = loops + more, paths + extra
    if len(sols) != target:
        raise CritlcnError(
            f"building the start system of λ = {lam}: found {len(sols)} of its {target} solutions after {loops} "
            "monodromy edges; build again (another attempt uses another chart and seed)",
            exit_code=1,
        )
    provenance = {
        "method": f"{blackbox_runs} blackbox solve(s) + monodromy on a two-node graph until the exact count"
                  + (f" (stalled; a blackbox solve added {rescued})" if rescued else ""),
        "edges": loops,
        "paths": paths,
        "target": target,
        "count": int(len(sols)),
    }
    return StartSystem(chart, p0, sols, tuple(provenance.items()))


#: Edges (gamma paths) between the two parameter points of a monodromy build.
MONODROMY_EDGES = 3
#: New edges without a new solution after which a monodromy build has stalled.
MONODROMY_STALL = 5


def _monodromy(chart: Chart, p0, sols, target: int, rng, seed: int, max_edges: int, check):
    """Monodromy on a graph with two parameter points ``p0``, ``p1`` joined by
    `MONODROMY_EDGES` gamma paths (more when it stalls): every solution known
    at a point is tracked once along every edge except the one it arrived
    by, and what lands at the other point is kept when new there, until
    either point has ``target`` solutions (Duff, Hill, Jensen, Lee, Leykin and
    Sommars, *Solving polynomial systems via homotopy continuation and
    monodromy*). About ``2 (edges − 1)`` paths per solution, where repeating
    loops ``p0 → p1 → p0`` over all known solutions costs several times more.
    Returns ``(parameters, solutions there, edges used, paths tracked)`` for
    the point that is complete (or ``p0``): for λ = 6-2-1 one solution at
    ``p0`` was lost on every edge while ``p1`` had all 260."""
    d = chart.degree
    p = [p0, random_parameters(d, rng)]
    system = critical_system(chart)
    assembled = [system.assemble(q) for q in p]
    refs = [reference_norm(q, d) for q in p]
    known = [np.asarray(sols, dtype=complex).reshape(-1, chart.unknowns), np.zeros((0, chart.unknowns), complex)]
    arrived = [[-1] * len(known[0]), []]  # the edge each solution came by
    gammas = [random_gamma(rng) for _ in range(MONODROMY_EDGES)]
    done = [[0] * len(gammas), [0] * len(gammas)]  # per point and edge: solutions tracked so far
    paths = 0
    grew_at = len(gammas)  # edges when a point last gained a solution
    while max(len(known[0]), len(known[1])) < target:
        work = [(a, e) for a in (0, 1) for e in range(len(gammas)) if done[a][e] < len(known[a])]
        if not work:
            if len(gammas) >= max_edges or len(gammas) - grew_at >= MONODROMY_STALL:
                break
            gammas.append(random_gamma(rng))  # stalled: one more path between the points
            done[0].append(0)
            done[1].append(0)
            continue
        # the point with fewer solutions first: it is the one that grows
        a, e = min(work, key=lambda ae: (len(known[1 - ae[0]]), ae[0]))
        b = 1 - a
        idx = [i for i in range(done[a][e], len(known[a])) if arrived[a][i] != e]
        done[a][e] = len(known[a])
        if not idx:
            continue
        # edge e is (1 - s) γ_e p0 + s p1; from p1 back to p0 it is the same path with 1/γ_e
        g = gammas[e] if a == 0 else 1 / gammas[e]
        ends = track_parameters(chart, p[a], p[b], known[a][idx], g, seed=seed + 7 * paths + e)
        paths += len(idx)
        new = chart_endpoints(assembled[b], ends, refs[b], known=known[b])
        found = new.valid
        known[b] = np.concatenate([known[b], found])
        arrived[b].extend([e] * len(found))
        if len(found):
            grew_at = len(gammas)
        check(known[b], len(gammas))
    at = 1 if len(known[1]) > len(known[0]) else 0
    return p[at], known[at], len(gammas), paths


#: Rough cost of one tracked path at d = 8 (seconds, one core) and its growth
#: per degree (scripts/benchmark_tracking.py), and the paths a monodromy build
#: tracks per solution (`_monodromy`, measured on the d = 9 build); used only
#: to tell a user how long building a start system will take.
PATH_SECONDS_D8 = 0.03
PATH_GROWTH = 1.5
PATHS_PER_SOLUTION = 5


def build_estimate(partitions, *, jobs: int = 1) -> float:
    """Rough wall time in seconds to build the start systems of ``partitions``
    by monodromy (for the notice before a solve that must build them).

    Examples
    --------
    >>> 0 < build_estimate([(3, 2, 2, 1)]) < build_estimate([(3, 2, 2, 1), (4, 3, 2)])
    True
    """
    total = 0.0
    for lam in partitions:
        d = sum(lam)
        per_path = PATH_SECONDS_D8 * PATH_GROWTH ** (d - 8)
        total += ed_degree(lam) * PATHS_PER_SOLUTION * per_path
    return total / max(1, int(jobs))


#: Independent build attempts (chart, data, seed) before giving up.
BUILD_ATTEMPTS = 3


def _build_seed(partition) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(repr(("start", tuple(partition))).encode()).digest()[:8], "little")


def get_start(partition, directory: str | None = None, *, rebuild: bool = False, save: bool = True) -> StartSystem:
    """The start system of ``λ``: the cached one when it is usable, otherwise
    built now (deterministically from ``λ``) and, when ``save`` and the folder
    is writable, stored for next time.

    A cached file is accepted only if it is intact (checksum), of the current
    format, for ``λ``, its solutions solve its system, and its count equals
    the reference ED degree where that is known.

    Building: by monodromy until the exact count of `critlcn.degrees`
    (`build_start`), deterministically from ``λ``; an attempt that stops
    short (a loop limit) is followed by one with another chart, up to three.

    Examples
    --------
    >>> get_start((2, 1)).count
    7
    """
    lam = tuple(sorted((int(p) for p in partition), reverse=True))
    ref = ed_degree(lam)
    if not rebuild:
        start = load_start(lam, directory, expected=ref)
        if start is not None:
            return start
    rng = np.random.default_rng(_build_seed(lam))
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        try:
            start = build_start(lam, rng, chart=random_chart(lam, rng), target=ref,
                                blackbox_runs=1 if sum(lam) <= 5 else 0)
            break
        except CritlcnError as err:
            if attempt == BUILD_ATTEMPTS or "more than the exact count" in str(err):
                raise
    start = StartSystem(start.chart, start.parameters, start.solutions,
                        tuple(dict(start.provenance, attempt=attempt).items()))
    if save:
        try:
            save_start(start, directory)
        except OSError:
            pass  # a read-only install still solves; it just rebuilds next time
    return start


def build_cache(max_degree: int, *, directory: str | None = None, jobs: int = 1, rebuild: bool = False,
                min_degree: int = 1, notify=None) -> list[tuple[tuple[int, ...], int, str]]:
    """Build (or check) the start systems of every partition of degree
    ``min_degree..max_degree``; returns ``(λ, count, 'cached'|'built')`` rows.

    Resumable: partitions whose cache file is already usable are kept, so an
    interrupted build continues where it stopped. ``notify`` receives one
    line per partition built.

    Examples
    --------
    >>> build_cache(2)
    [((1,), 1, 'cached'), ((2,), 4, 'cached'), ((1, 1), 1, 'cached')]
    """
    if max_degree < 1:
        raise CritlcnError(f"`max_degree` must be at least 1, got {max_degree}", parameter="max_degree")
    lams = [lam for d in range(min_degree, max_degree + 1) for lam in partitions(d)]
    status = {}
    todo = []
    for lam in lams:
        st = None if rebuild else load_start(lam, directory, expected=ed_degree(lam))
        if st is not None:
            status[lam] = "cached"
        else:
            todo.append(lam)
            status[lam] = "built"
    # low degrees first (they are needed most often), big partitions first
    # within a degree so parallel workers finish together
    todo.sort(key=lambda lam: (sum(lam), -len(lam)))
    done = []

    def tick(result):
        done.append(result)
        if notify is not None:
            lam, count = result
            notify(f"critlcn: built {'-'.join(map(str, lam))} (d = {sum(lam)}): {count} solutions "
                   f"({len(done)} of {len(todo)} to build)")

    pmap(_rebuild_unit, [(lam, directory, rebuild) for lam in todo], jobs=jobs, progress=tick, fresh=True)
    return [(lam, get_start(lam, directory).count, status[lam]) for lam in lams]


def _rebuild_unit(args):
    lam, directory, rebuild = args
    # without --rebuild, another process may have built it meanwhile: get_start checks again
    return lam, get_start(lam, directory, rebuild=rebuild).count

