"""Start systems of the stratified solver: the critical system of each
complex partition ``λ`` at generic complex data with all its valid
solutions, built by a blackbox solve and monodromy loops, and cached on disk
(docs/math.md, "Solving: homotopy continuation").

A start system is built once by `build_start`: a blackbox solve at generic
complex data (or one solution made by choosing the data to fit a random
point) completed by monodromy loops until the number of valid solutions
reaches the reference ED degree (when known) and stops growing. `get_start`
reads the cache (``critlcn/data/start_systems/``) or builds and stores it.

Start-system cache
------------------
``critlcn/data/start_systems/d{d}_{λ}.json`` (e.g. ``d5_4-1.json``) holds, per partition,
the chart, generic complex parameters ``p0`` and every valid solution there
(complex numbers as ``[re, im]`` pairs), with ``format`` (`START_FORMAT`),
the critlcn version that wrote it, ``degree``, ``partition``, ``unknowns``,
``count``, ``provenance`` (how completeness was established) and ``sha256``
(of the canonical JSON of all other fields). `load_start` refuses a file whose
format, checksum, partition or sizes do not match, or whose solutions do not
solve its own system; such a file is rebuilt, never used. Rebuild with
``critlcn systems build --max-degree 8 [--rebuild] [--jobs N]`` (shipped: every
partition of d ≤ 8).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from critlcn import homotopy
from critlcn.degrees import ed_degree
from critlcn.endpoints import Endpoints, classify_endpoints, random_gamma
from critlcn.errors import CritlcnError
from critlcn.parallel import pmap
from critlcn.rrmp import partitions
from critlcn.roots import min_root_separation
from critlcn.systems import (
    Assembled,
    Chart,
    check_partition,
    complex_from_json,
    complex_to_json,
    critical_system,
    default_chart,
    random_chart,
    random_parameters,
    variable_names,
)

__all__ = [
    "START_FORMAT",
    "CACHED_MAX_DEGREE",
    "StartSystem",
    "partition_key",
    "cache_dir",
    "cache_path",
    "load_start",
    "save_start",
    "reference_norm",
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
START_FORMAT = "critlcn-start-system/2"

#: Largest degree whose start systems ship with the package.
CACHED_MAX_DEGREE = 7


@dataclass(frozen=True, eq=False)
class StartSystem:
    """All valid solutions of the critical system of ``chart`` at generic
    complex parameters ``p0``: the start of every parameter homotopy for ``λ``.

    ``provenance`` records how completeness was established.
    """

    chart: Chart
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
    def partition(self) -> tuple[int, ...]:
        """``λ``."""
        return self.chart.partition

    @property
    def count(self) -> int:
        """Number of start solutions (the generic ED degree of ``Δ_λ``)."""
        return self.solutions.shape[0]

    def to_dict(self) -> dict:
        """The JSON content of a cache file, with its ``sha256``."""
        from critlcn import __version__

        body = {
            "format": START_FORMAT,
            "critlcn": __version__,
            "degree": self.chart.degree,
            "partition": list(self.partition),
            "unknowns": variable_names(self.chart),
            "chart": self.chart.to_dict(),
            "parameters": complex_to_json(self.parameters),
            "solutions": complex_to_json(self.solutions),
            "count": self.count,
            "provenance": dict(self.provenance),
        }
        body["sha256"] = _content_hash(body)
        return body

    @classmethod
    def from_dict(cls, data: dict, partition=None) -> "StartSystem":
        """Read and check a cache file's content; raise `CritlcnError` when it
        is corrupt, of another format version, or for other parameters."""
        if not isinstance(data, dict) or data.get("format") != START_FORMAT:
            raise CritlcnError(f"start system has format {data.get('format') if isinstance(data, dict) else None!r}, not {START_FORMAT!r}")
        if data.get("sha256") != _content_hash({k: v for k, v in data.items() if k != "sha256"}):
            raise CritlcnError("start system checksum does not match its content")
        lam = check_partition(data["partition"])
        if partition is not None and lam != check_partition(partition):
            raise CritlcnError(f"start system is for partition {lam}, not {tuple(partition)}")
        chart = Chart.from_dict(data["chart"])
        if chart.partition != lam or sum(lam) != data["degree"]:
            raise CritlcnError("start system's chart does not match its partition")
        out = cls(chart, complex_from_json(data["parameters"]), complex_from_json(data["solutions"]).reshape(-1, chart.unknowns),
                  tuple(data.get("provenance", {}).items()))
        if out.count != data["count"] or out.parameters.shape != (critical_system(chart).n_params,):
            raise CritlcnError("start system's sizes do not match its partition")
        # the solutions must solve the stored system: catches edited numbers
        err = critical_system(chart).assemble(out.parameters).backward_error(out.solutions)
        if out.count and not np.all(err <= 1e-8):
            raise CritlcnError("start system's solutions do not solve its equations")
        return out


def _content_hash(body: dict) -> str:
    import json

    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


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
    """Path of the cache file of ``λ``, e.g. ``.../data/start_systems/d5_4-1.json``.

    Examples
    --------
    >>> os.path.basename(cache_path((4, 1)))
    'd5_4-1.json'
    """
    lam = check_partition(partition)
    return os.path.join(directory or cache_dir(), f"d{sum(lam)}_{partition_key(lam)}.json")


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
    import json

    path = cache_path(partition, directory)
    try:
        with open(path) as fh:
            data = json.load(fh)
        start = StartSystem.from_dict(data, partition)
    except (OSError, ValueError, KeyError, TypeError, IndexError, CritlcnError):
        return None
    return start if expected is None or start.count == expected else None


def save_start(start: StartSystem, directory: str | None = None) -> str:
    """Write ``start`` atomically to its cache file; returns the path."""
    import json

    from critlcn.files import atomic_write

    path = cache_path(start.partition, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return atomic_write(path, json.dumps(start.to_dict(), indent=1) + "\n")


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

    def spurious(x) -> bool:
        return bool(np.linalg.norm(chart.form(x)) <= 1e-8 * reference_norm
                    or min_root_separation([f for _, f in chart.factors(x)]) <= ROOT_SEPARATION)

    X = np.atleast_2d(np.asarray(points, dtype=complex)).reshape(-1, chart.unknowns)
    return classify_endpoints(assembled, X, spurious=spurious, known=known)


def reference_norm(p, d: int) -> float:
    """A typical size ``‖Q⁻¹ b‖`` of critical filters for the (complex)
    parameters ``p = (Q, b)`` of degree ``d``.

    Examples
    --------
    >>> from critlcn.systems import parameters
    >>> reference_norm(parameters(2 * np.eye(2), np.array([2.0, 0.0])), 1)
    1.0
    """
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


def track_parameters(chart: Chart, p_from, p_to, points, gamma: complex, *, seed: int = 0,
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
    random point), then runs monodromy loops ``p0 → p1 → p0`` along random
    gamma paths, adding every new valid solution, until the count equals
    ``target`` — the exact generic ED degree of `critlcn.degrees` unless
    given — and stops there.

    Raises `CritlcnError` when ``max_loops`` loops do not reach ``target``,
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
    a0 = system.assemble(p0)
    ref0 = reference_norm(p0, d)
    loops = 0
    while len(sols) < target and loops < max_loops:
        loops += 1
        p1 = random_parameters(d, rng)
        mid = track_parameters(chart, p0, p1, sols, random_gamma(rng), seed=seed + 100 + loops)
        back = track_parameters(chart, p1, p0, mid, random_gamma(rng), seed=seed + 200 + loops)
        new = chart_endpoints(a0, back, ref0, known=sols)
        sols = check(np.concatenate([sols, new.valid]), loops)
    if len(sols) != target:
        raise CritlcnError(
            f"building the start system of λ = {lam}: found {len(sols)} of its {target} solutions after {loops} "
            "monodromy loops; build again (another attempt uses another chart and seed)",
            exit_code=1,
        )
    provenance = {
        "method": f"{blackbox_runs} blackbox solve(s) + monodromy until the exact count",
        "loops": loops,
        "target": target,
        "count": int(len(sols)),
    }
    return StartSystem(chart, p0, sols, tuple(provenance.items()))


#: Rough cost of one tracked path at d = 8 (seconds, one core) and its growth
#: per degree, from the d = 6, 7, 8 benchmarks; used only to tell a user how
#: long building a start system will take.
PATH_SECONDS_D8 = 0.07
PATH_GROWTH = 1.8
#: Monodromy loops a build typically needs (each tracks every known solution
#: there and back).
TYPICAL_LOOPS = 10


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
        total += ed_degree(lam) * 2 * TYPICAL_LOOPS * per_path
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
    pmap(_rebuild_unit, [(lam, directory, rebuild) for lam in todo], jobs=jobs)
    return [(lam, get_start(lam, directory).count, status[lam]) for lam in lams]


def _rebuild_unit(args):
    lam, directory, rebuild = args
    # without --rebuild, another process may have built it meanwhile: get_start checks again
    return get_start(lam, directory, rebuild=rebuild).count

