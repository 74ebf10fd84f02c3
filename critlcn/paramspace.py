"""Every critical point of the square loss in parameter space, for any strides
and D-dimensional filters (MATH.md §9–11).

Unknowns: ``w_1`` (all its weights) and, for ``i ≥ 2``, ``w_i = A_i (1, t_i)``
with ``A_i`` a Haar-random unitary matrix: the random affine chart
``a_i · w_i = 1`` with ``a_i`` the first row of ``A_i^H``, which removes the
scaling. Equations: ``½ ∂L/∂x_v = (Q w − b) · ∂w/∂x_v = 0`` for the
``Σ_i weights_i − (L − 1)`` unknowns ``x``, with ``w = μ(w_1, …, w_L)`` the
end-to-end filter (`critlcn.convolution.network_filter`). They are linear and homogeneous in
the data ``p = (Q_ij for i ≤ j, b)``, so the coefficient-parameter homotopy of
MATH.md §6 applies; a start system (all solutions at generic complex ``p0``)
depends only on the architecture and is built once by monodromy until the
number of valid solutions equals the Segre number (MATH.md §10), then cached
in ``critlcn/data/param_start_systems/``.

A solution is *valid* when it is finite, nonsingular and ``w ≠ 0``
(``w_1 ≠ 0``: the chart already excludes ``w_i = 0`` for ``i ≥ 2``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from critlcn import homotopy
from critlcn.architecture import Architecture
from critlcn.convolution import network_filter, network_jacobian, offsets
from critlcn.endpoints import Endpoints, classify_endpoints, random_gamma, repair_paths
from critlcn.errors import CritlcnError
from critlcn.landscape import EIGEN_TOL, classify_hessian, network_gradient, network_hessian, scaling_directions
from critlcn.results import HessianType, versions
from critlcn.startsystems import Solved
from critlcn.systems import Assembled, CriticalSystem, _derivative, complex_from_json, complex_to_json, parameters, random_parameters

__all__ = [
    "ParamChart",
    "random_param_chart",
    "default_param_chart",
    "ParamSystem",
    "param_system",
    "classify",
    "real_representative",
    "ParamStart",
    "build_start",
    "get_start",
    "load_start",
    "save_start",
    "cache_path",
    "PathStats",
    "ParamPoint",
    "ParamResult",
    "track_all",
    "solve",
    "analyse_point",
]

#: Condition number (columns scaled by ``max(1, |x_j|)``, rows normalised)
#: above which an end point is singular (not valid). Scaling matters: a
#: genuine solution with a filter near its chart's boundary has coordinates
#: ~1e2 and an unscaled condition ~1e14 (measured for k = (3,2,2)), but a
#: scaled one ~1e8.
SINGULAR = 1e11
#: Relative imaginary part under which a solution counts as real.
REAL = 1e-7
#: Start-system file format; files of another format are rebuilt.
START_FORMAT = "critlcn-param-start/1"


def _unitary(n: int, rng: np.random.Generator) -> np.ndarray:
    G = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    q, r = np.linalg.qr(G)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _system_strides(arch: Architecture) -> tuple[int, ...]:
    """The strides the critical system depends on: the last one only
    subsamples the output (it enters the data's windows, not ``μ``)."""
    return tuple(arch.strides[:-1]) + (1,)


def _arch_key(arch: Architecture) -> str:
    ks = "-".join("x".join(map(str, f)) for f in arch.formats)
    return f"k{ks}_s{'-'.join(map(str, _system_strides(arch)))}"


@dataclass(frozen=True, eq=False)
class ParamChart:
    """Random affine charts ``w_i = A_i (1, t_i)`` for layers ``2..L``.

    Examples
    --------
    >>> ch = random_param_chart(Architecture((3, 2), (2, 1)), np.random.default_rng(0))
    >>> ch.unknowns, [A.shape for A in ch.matrices]
    (4, [(2, 2)])
    """

    arch: Architecture
    matrices: tuple[np.ndarray, ...]

    def __post_init__(self):
        mats = []
        for A, n in zip(self.matrices, self.arch.layer_entries[1:]):
            A = np.array(A, dtype=complex)
            if A.shape != (n, n):
                raise CritlcnError(f"chart matrix must be {n}x{n}, got {A.shape}")
            A.flags.writeable = False
            mats.append(A)
        if len(mats) != self.arch.layers - 1:
            raise CritlcnError(f"chart of {self.arch.label()} needs {self.arch.layers - 1} matrices, got {len(mats)}")
        object.__setattr__(self, "matrices", tuple(mats))

    @property
    def digest(self) -> str:
        """sha256 of the architecture and the matrices."""
        h = hashlib.sha256(repr((self.arch.formats, self.arch.strides)).encode())
        for A in self.matrices:
            h.update(np.ascontiguousarray(A).tobytes())
        return h.hexdigest()

    def __eq__(self, other):
        return isinstance(other, ParamChart) and self.digest == other.digest

    def __hash__(self):
        return hash(self.digest)

    @property
    def unknowns(self) -> int:
        """``Σ_i weights_i − (L − 1)``."""
        return self.arch.function_space_dimension

    def names(self) -> list[str]:
        """Unknowns in PHCpack files: ``x1, ..., xn`` (``w_1`` first, then each ``t_i``)."""
        return [f"x{j + 1}" for j in range(self.unknowns)]

    def filters(self, x) -> list[np.ndarray]:
        """The flattened filters ``w_1, ..., w_L`` at the point ``x``."""
        x = np.asarray(x, dtype=complex)
        k1 = self.arch.layer_entries[0]
        out = [x[:k1]]
        pos = k1
        for A in self.matrices:
            n = A.shape[0] - 1
            out.append(A @ np.concatenate([[1.0], x[pos : pos + n]]))
            pos += n
        return out

    def point(self, filters) -> np.ndarray:
        """Chart coordinates of filters (each ``w_i``, ``i ≥ 2``, rescaled onto
        its chart and the scale moved into ``w_1``); inverse of `filters`."""
        ws = [np.asarray(w, dtype=complex).ravel() for w in filters]
        scale = 1.0 + 0j
        ts = []
        for A, w in zip(self.matrices, ws[1:]):
            c = np.linalg.solve(A, w)
            scale *= c[0]
            ts.append(c[1:] / c[0])
        return np.concatenate([ws[0] * scale] + ts)

    def to_dict(self) -> dict:
        """JSON-ready form (complex numbers as ``[re, im]`` pairs)."""
        return {"matrices": [complex_to_json(A) for A in self.matrices]}


def random_param_chart(arch: Architecture, rng: np.random.Generator) -> ParamChart:
    """A chart with Haar-random unitary matrices (``‖w_i‖ ≥ 1`` on the chart,
    so no factor shrinks to zero while another blows up)."""
    return ParamChart(arch, tuple(_unitary(n, rng) for n in arch.layer_entries[1:]))


def default_param_chart(arch: Architecture) -> ParamChart:
    """The chart of ``arch`` when no cached one exists; its seed is derived
    from the architecture so every run and process agrees on it.

    Examples
    --------
    >>> a = Architecture((2, 2), (2, 1))
    >>> default_param_chart(a) == default_param_chart(a)
    True
    """
    seed = int.from_bytes(hashlib.sha256(repr(("pchart", _arch_key(arch))).encode()).digest()[:8], "little")
    return random_param_chart(arch, np.random.default_rng(seed))


# ---------------------------------------------------------------------------
# the equations as exponent arrays with coefficients linear in p


def _combine_terms(exps, coefs):
    uniq, inv = np.unique(exps, axis=0, return_inverse=True)
    out = np.zeros((uniq.shape[0],) + coefs.shape[1:], dtype=complex)
    np.add.at(out, inv.ravel(), coefs)
    return uniq, out


def _shift(arch: Architecture, vecs: np.ndarray, off) -> np.ndarray:
    """Shift flattened end-to-end vectors ``(M, size)`` by the multi-index ``off``."""
    K = arch.end_format
    V = vecs.reshape((vecs.shape[0],) + K)
    out = np.zeros_like(V)
    src = (slice(None),) + tuple(slice(0, int(n - o)) for n, o in zip(K, off))
    dst = (slice(None),) + tuple(slice(int(o), int(n)) for n, o in zip(K, off))
    out[dst] = V[src]
    return out.reshape(vecs.shape)


def _w_poly(chart: ParamChart):
    """``w(x)`` as a vector-valued polynomial: exponents ``(M, n)``, coefficients ``(M, size)``."""
    arch = chart.arch
    n = chart.unknowns
    size = arch.size
    offs = offsets(arch)
    k1 = arch.layer_entries[0]
    flat = lambda o: int(np.ravel_multi_index(tuple(o), arch.end_format))  # noqa: E731
    ex = np.zeros((k1, n), dtype=np.int64)
    co = np.zeros((k1, size), dtype=complex)
    for j in range(k1):
        ex[j, j] = 1
        co[j, flat(offs[0][j])] = 1
    pos = k1
    for i, A in enumerate(chart.matrices, start=1):
        m = A.shape[0] - 1
        le = np.zeros((m + 1, n), dtype=np.int64)
        for q in range(m):
            le[q + 1, pos + q] = 1
        lc = A.T  # row q: the filter vector multiplying t_q (row 0: the constant)
        shifted = np.stack([_shift(arch, co, o) for o in offs[i]])  # (k_i, Ma, size)
        prod = np.einsum("bj,jak->abk", lc, shifted)
        exps = (ex[:, None, :] + le[None, :, :]).reshape(-1, n)
        ex, co = _combine_terms(exps, prod.reshape(-1, size))
        pos += m
    return ex, co


@dataclass(frozen=True)
class ParamSystem(CriticalSystem):
    """The critical equations of one parameter-space chart; equation ``e`` at
    parameters ``p`` is ``Σ_k (tensors[e] @ p)[k] · x^exponents[e][k]``, with
    ``P = size (size + 1)/2 + size`` parameters.

    Examples
    --------
    >>> s = param_system(default_param_chart(Architecture((2, 2), (2, 1))))
    >>> s.unknowns, s.n_params
    (3, 14)
    """

    chart: ParamChart

    @property
    def assembled_type(self) -> type:
        """`ParamAssembled`: PHCpack text with the chart's own names."""
        return ParamAssembled


class ParamAssembled(Assembled):
    """A parameter-space system at concrete data: evaluation, Jacobian and
    Newton from `critlcn.systems.Assembled`, PHCpack text with its own names."""

    #: Filter entries can be exactly 0 at a genuine point (`critlcn.endpoints.scaled_condition`).
    CONDITION_FLOOR = 1.0

    def polynomials(self) -> list[str]:
        """The equations as PHCpack strings; the first one lists every
        unknown, in order, with a zero coefficient, so PHCpack's symbol
        table is ``x1, ..., xn``."""
        names = self.system.chart.names()
        out = []
        for e, (ex, co) in enumerate(zip(self.system.exponents, self.coefficients)):
            terms = [f"+(0.0+0.0*i)*{nm}" for nm in names] if e == 0 else []
            for row, a in zip(ex, co):
                mono = "*".join(f"{nm}^{int(k)}" if k > 1 else nm for nm, k in zip(names, row) if k > 0)
                coef = f"({a.real:+.17e}{a.imag:+.17e}*i)"
                terms.append(f"+{coef}*{mono}" if mono else f"+{coef}")
            out.append(" ".join(terms) + ";")
        return out


@lru_cache(maxsize=32)
def param_system(chart: ParamChart) -> ParamSystem:
    """Precompute the coefficient tensors of the critical equations of ``chart``."""
    arch = chart.arch
    size = arch.size
    n = chart.unknowns
    we, wc = _w_poly(chart)
    iu, ju = np.triu_indices(size)
    exps_out, tens_out = [], []
    for v in range(n):
        be, bc = _derivative(we, wc, v)
        # Q-part: Σ_{i≤j} Q_ij (w_i B_j + w_j B_i), halved on the diagonal
        outer = wc[:, None, :, None] * bc[None, :, None, :]
        sym = outer + np.swapaxes(outer, 2, 3)
        sym[..., np.arange(size), np.arange(size)] /= 2
        qpart = sym[..., iu, ju].reshape(-1, iu.size)
        qexp = (we[:, None, :] + be[None, :, :]).reshape(-1, n)
        rows_q = np.concatenate([qpart, np.zeros((qpart.shape[0], size), dtype=complex)], axis=1)
        rows_b = np.concatenate([np.zeros((bc.shape[0], iu.size), dtype=complex), -bc], axis=1)
        ex, te = _combine_terms(np.concatenate([qexp, be]), np.concatenate([rows_q, rows_b]))
        ex.flags.writeable = False
        te.flags.writeable = False
        exps_out.append(ex)
        tens_out.append(te)
    return ParamSystem(chart, tuple(exps_out), tuple(tens_out))


# ---------------------------------------------------------------------------
# end points


def _reference_norm(p, size: int) -> float:
    iu, ju = np.triu_indices(size)
    Q = np.zeros((size, size), dtype=complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    b = p[iu.size :]
    try:
        return float(np.linalg.norm(np.linalg.solve(Q, b)))
    except np.linalg.LinAlgError:
        return float(np.linalg.norm(b) / max(np.linalg.norm(Q), 1e-300))


def classify(assembled: ParamAssembled, points, p, known=None) -> Endpoints:
    """Refine ``points`` by Newton's method and sort them with
    `critlcn.endpoints.classify_endpoints`; *spurious* here means ``w = 0``
    (the excluded component ``w_1 = 0``) or singular (`SINGULAR`).

    Examples
    --------
    >>> ch = default_param_chart(Architecture((2, 2), (2, 1)))
    >>> p = random_parameters(3, np.random.default_rng(0))
    >>> classify(param_system(ch).assemble(p), np.full((1, 3), 1e9), p).status
    ('failed',)
    """
    chart = assembled.system.chart
    ref_norm = _reference_norm(np.asarray(p, dtype=complex), chart.arch.size)

    def spurious(X, condition) -> np.ndarray:
        zero = np.array([np.linalg.norm(network_filter(chart.arch, chart.filters(x))) <= 1e-8 * ref_norm for x in X])
        return zero | (condition > SINGULAR)

    X = np.atleast_2d(np.asarray(points, dtype=complex)).reshape(-1, chart.unknowns)
    return classify_endpoints(assembled, X, spurious=spurious, known=known)


def _track(system: ParamSystem, p_from, p_to, points, gamma: complex, seed: int) -> np.ndarray:
    points = np.atleast_2d(np.asarray(points, dtype=complex))
    n = system.unknowns
    if points.size == 0:
        return points.reshape(0, n)
    start = system.assemble(p_from).polynomials()
    target = system.assemble(p_to).polynomials()
    ends = homotopy.track(target, start, points, system.chart.names(), gamma=gamma, seed=seed)
    return np.array([e.point for e in ends]).reshape(-1, n)


# ---------------------------------------------------------------------------
# start systems


@dataclass(frozen=True, eq=False)
class ParamStart(Solved):
    """Every valid solution of the chart's system at generic complex ``p0``."""

    chart: ParamChart

    def to_dict(self) -> dict:
        """The JSON content of a cache file, with its ``sha256``."""
        from critlcn import __version__

        arch = self.chart.arch
        body = {
            "format": START_FORMAT,
            "critlcn": __version__,
            "architecture": arch.to_dict(),
            "segre_number": arch.segre_number,
            "unknowns": self.chart.names(),
            "chart": self.chart.to_dict(),
            "parameters": complex_to_json(self.parameters),
            "solutions": complex_to_json(self.solutions),
            "count": self.count,
            "provenance": dict(self.provenance),
        }
        body["sha256"] = _content_hash(body)
        return body

    @classmethod
    def from_dict(cls, data: dict, arch: Architecture) -> "ParamStart":
        """Read and check a cache file's content for ``arch``; raise
        `CritlcnError` when it is corrupt, of another format or architecture,
        or its solutions do not solve its system."""
        if not isinstance(data, dict) or data.get("format") != START_FORMAT:
            raise CritlcnError("parameter-space start system of another format")
        if data.get("sha256") != _content_hash({k: v for k, v in data.items() if k != "sha256"}):
            raise CritlcnError("parameter-space start system checksum does not match its content")
        mine = {**arch.to_dict(), "strides": list(_system_strides(arch))}
        theirs = data.get("architecture") or {}
        if {**theirs, "strides": list(theirs.get("strides", []))[:-1] + [1]} != mine:
            raise CritlcnError(f"start system is for {data.get('architecture')}, not {arch.label()}")
        chart = ParamChart(arch, tuple(complex_from_json(A) for A in data["chart"]["matrices"]))
        out = cls(chart, complex_from_json(data["parameters"]), complex_from_json(data["solutions"]).reshape(-1, chart.unknowns),
                  tuple(data.get("provenance", {}).items()))
        system = param_system(chart)
        if out.count != data["count"] or out.parameters.shape != (system.n_params,):
            raise CritlcnError("start system's sizes do not match its architecture")
        err = system.assemble(out.parameters).backward_error(out.solutions)
        if out.count and not np.all(err <= 1e-8):
            raise CritlcnError("start system's solutions do not solve its equations")
        return out


def _content_hash(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cache_dir() -> str:
    """Folder of the shipped parameter-space start systems (``critlcn/data/param_start_systems/``)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "param_start_systems")


def cache_path(arch: Architecture, directory: str | None = None) -> str:
    """Path of the cache file of ``arch``.

    Examples
    --------
    >>> os.path.basename(cache_path(Architecture(((2, 2), (2, 1)))))
    'k2x2-2x1_s1-1.json'
    >>> os.path.basename(cache_path(Architecture((3, 2), (2, 4))))   # the last stride is not in the system
    'k3-2_s2-1.json'
    """
    return os.path.join(directory or cache_dir(), _arch_key(arch) + ".json")


def load_start(arch: Architecture, directory: str | None = None) -> ParamStart | None:
    """The cached start system of ``arch``, or ``None`` when missing or unusable.

    Examples
    --------
    >>> load_start(Architecture((2, 2), (2, 1)), directory="/nonexistent") is None
    True
    """
    try:
        with open(cache_path(arch, directory)) as fh:
            return ParamStart.from_dict(json.load(fh), arch)
    except (OSError, ValueError, KeyError, TypeError, IndexError, CritlcnError):
        return None


def save_start(start: ParamStart, directory: str | None = None) -> str:
    """Write ``start`` atomically to its cache file; returns the path."""
    from critlcn.files import atomic_write

    path = cache_path(start.chart.arch, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return atomic_write(path, json.dumps(start.to_dict(), separators=(",", ":")) + "\n")


def _sharing_structures(budgets):
    """Every multiset of shared factors for layers whose forms have the
    multidegrees ``budgets``: tuples of ``(multidegree, layers)`` with at
    least two layers each, fitting every layer's multidegree."""
    n = len(budgets)
    D = len(budgets[0]) if budgets else 0
    from itertools import combinations, product

    subsets = [T for r in range(2, n + 1) for T in combinations(range(n), r)]
    types = []
    for T in subsets:
        top = [min(budgets[i][j] for i in T) for j in range(D)]
        for deg in product(*[range(t + 1) for t in top]):
            if any(deg):
                types.append((tuple(deg), T))

    def rec(start, left):
        yield ()
        for t in range(start, len(types)):
            deg, T = types[t]
            if all(all(left[i][j] >= deg[j] for j in range(D)) for i in T):
                new = [list(v) for v in left]
                for i in T:
                    for j in range(D):
                        new[i][j] -= deg[j]
                for tail in rec(t, new):
                    yield ((deg, T),) + tail

    yield from rec(0, [list(b) for b in budgets])


def _random_form(rng: np.random.Generator, degrees) -> np.ndarray:
    shape = tuple(d + 1 for d in degrees)
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _component_seeds(arch: Architecture, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Random filters on every component of the solution set.

    Layers with the same offset step ``S_i`` (all layers of a stride-one
    network) can share factors of their forms, and shared factors stay
    shared under monodromy: for stride one the critical scaling classes split
    by how the roots of the end-to-end form are shared out among the layers
    (MATH.md §10: one class per critical point of a stratum ``Δ_λ`` and
    labelled assignment); a D-dimensional filter can share a factor of any
    multidegree. So there is one seed per structure of shared factors
    (`_sharing_structures`, per group of layers with equal ``S_i``): each
    layer's filter is the product (full convolution) of its shared factors
    and one generic factor for the rest of its multidegree. A seed that lies
    on no component only costs a path.
    """
    from itertools import product

    from scipy.signal import convolve

    groups: dict[int, list[int]] = {}
    for i, S in enumerate(arch.layer_offsets):
        groups.setdefault(S, []).append(i)
    budgets = [tuple(v - 1 for v in f) for f in arch.formats]
    per_group = [[(members, st) for st in _sharing_structures([budgets[i] for i in members])]
                 for members in groups.values()]
    seeds = []
    for choice in product(*per_group):
        filters = [None] * arch.layers
        for members, structure in choice:
            factors = {i: [] for i in members}
            left = {i: list(budgets[i]) for i in members}
            for deg, T in structure:
                atom = _random_form(rng, deg)
                for t in T:
                    i = members[t]
                    factors[i].append(atom)
                    left[i] = [a - b for a, b in zip(left[i], deg)]
            for i in members:
                f = _random_form(rng, left[i])
                for atom in factors[i]:
                    f = convolve(f, atom, mode="full")
                filters[i] = f.ravel()
        seeds.append(filters)
    return seeds


def build_start(arch: Architecture, rng: np.random.Generator, *, chart: ParamChart | None = None,
                stable_loops: int = 3, max_loops: int = 200, progress=None) -> ParamStart:
    """All valid solutions at generic complex data, by monodromy.

    Each seed point (see `_component_seeds`) solves the system at data
    chosen to fit it (the equations are linear in the data); it is carried
    to common generic data ``p0`` by a parameter homotopy. Then loops
    ``p0 → p1 → p0`` along random gamma paths add every new valid solution,
    until the count equals the Segre number and no loop has found anything
    new for ``stable_loops`` loops. Raises `CritlcnError` when the count
    exceeds the Segre number (a bug: never silently kept) or ``max_loops``
    loops do not reach it.

    Examples
    --------
    >>> build_start(Architecture((2, 2), (2, 1)), np.random.default_rng(0)).count
    6
    >>> build_start(Architecture((2, 2)), np.random.default_rng(0)).count
    6
    >>> len(_component_seeds(Architecture((2, 2)), np.random.default_rng(0)))
    2
    """
    target = arch.segre_number
    chart = chart if chart is not None else random_param_chart(arch, rng)
    system = param_system(chart)
    seed = int(rng.integers(2**31 - 1))
    p0 = random_parameters(arch.size - 1, rng)
    a0 = system.assemble(p0)
    sols = np.zeros((0, system.unknowns), dtype=complex)
    seeds = _component_seeds(arch, rng)
    n_seeds = len(seeds)
    for c, filters in enumerate(seeds):
        x, pc = _seed_at(system, chart.point(filters), rng)
        for attempt in range(3):
            end = _track(system, pc, p0, x[None, :], random_gamma(rng), seed + 7919 * c + attempt)
            new = classify(a0, end, p0, known=sols)
            if new.count("valid") or new.count("duplicate"):
                sols = np.concatenate([sols, new.valid])
                break
    if len(sols) == 0:
        raise CritlcnError(f"start system of {arch.label()}: no seed point reached generic data; "
                           "rebuild with another seed", exit_code=1)
    quiet = loops = 0
    while loops < max_loops and not (len(sols) >= target and quiet >= stable_loops):
        loops += 1
        p1 = random_parameters(arch.size - 1, rng)
        mid = _track(system, p0, p1, sols, random_gamma(rng), seed + 2 * loops)
        mid = classify(system.assemble(p1), mid, p1).valid
        back = _track(system, p1, p0, mid, random_gamma(rng), seed + 2 * loops + 1)
        new = classify(a0, back, p0, known=sols)
        if new.count("valid"):
            sols = np.concatenate([sols, new.valid])
            quiet = 0
        else:
            quiet += 1
        if progress:
            progress(loops, len(sols), target)
        if len(sols) > target:
            raise CritlcnError(
                f"start system of {arch.label()}: {len(sols)} valid solutions, more than the Segre number {target} "
                "(MATH.md §10); this is a bug, please report it", exit_code=1)
        if len(sols) < target and quiet >= 4 * stable_loops + 10:
            break  # stalled: some component of the solution set has no seed
    if len(sols) != target:
        raise CritlcnError(
            f"start system of {arch.label()}: {len(sols)} valid solutions after {loops} monodromy loops, "
            f"expected the Segre number {target}; rebuild with another seed", exit_code=1)
    provenance = {"method": "monodromy from one seed solution per structure of shared factors", "seeds": n_seeds, "loops": loops,
                  "stable_loops": quiet, "segre_number": target, "count": int(len(sols))}
    return ParamStart(chart, p0, sols, tuple(provenance.items()))


def _seed_at(system: ParamSystem, x0, rng: np.random.Generator):
    """Generic parameters ``p`` that the point ``x0`` solves (a random kernel
    vector of the equations, which are linear in ``p``)."""
    x0 = np.asarray(x0, dtype=complex)
    M = np.array([np.prod(x0[None, :] ** ex, axis=1) @ T for ex, T in zip(system.exponents, system.tensors)])
    r = rng.normal(size=M.shape[1]) + 1j * rng.normal(size=M.shape[1])
    p = r - np.linalg.pinv(M) @ (M @ r)
    return x0, p / np.linalg.norm(p)


def _build_seed(arch: Architecture) -> int:
    return int.from_bytes(hashlib.sha256(repr(("pstart", _arch_key(arch))).encode()).digest()[:8], "little")


def get_start(arch: Architecture, directory: str | None = None, *, rebuild: bool = False, save: bool = True,
              quiet: bool = False) -> ParamStart:
    """The start system of ``arch``: the cached one when usable (its count
    equals the Segre number), otherwise built now by monodromy (saying so on
    stderr first) and stored for next time when ``save``.

    Examples
    --------
    >>> get_start(Architecture((2, 2), (2, 1))).count
    6
    """
    if not rebuild:
        st = load_start(arch, directory)
        if st is not None and st.count == arch.segre_number:
            return st
    if not quiet:
        print(f"critlcn: no cached start system for {arch.label()}: building it now by monodromy "
              f"({arch.segre_number} solutions, the Segre number); build it ahead with "
              f"critlcn systems params --k {' '.join('x'.join(map(str, f)) for f in arch.formats)} "
              f"--s {' '.join(map(str, arch.strides))} (cached in {cache_path(arch, directory)})", file=sys.stderr, flush=True)
    rng = np.random.default_rng(_build_seed(arch))
    last = None
    for _attempt in range(3):
        try:
            st = build_start(arch, rng)
            break
        except CritlcnError as err:
            last = err
    else:
        raise last
    if save:
        try:
            save_start(st, directory)
        except OSError:
            pass  # a read-only install still solves; it rebuilds next time
    return st


# ---------------------------------------------------------------------------
# solving at the data


@dataclass(frozen=True)
class PathStats:
    """Path statistics of one parameter homotopy (nothing hidden); *spurious*
    end points solve the equations but have ``w = 0`` or are singular."""

    tracked: int
    valid: int
    expected: int
    real: int
    spurious: int
    failed: int
    retracked: int

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dict(tracked=self.tracked, valid=self.valid, expected=self.expected, real=self.real,
                    spurious=self.spurious, failed=self.failed, retracked=self.retracked)


def track_all(start: ParamStart, p1, rng: np.random.Generator):
    """Track every start solution to ``p1`` and repair failures with
    `critlcn.endpoints.repair_paths` (nearby and fresh gammas, then full
    re-tracks); returns its `critlcn.endpoints.Repaired`."""
    system = param_system(start.chart)
    a1 = system.assemble(p1)
    gamma = random_gamma(rng)
    raw = _track(system, start.parameters, p1, start.solutions, gamma, int(rng.integers(2**31 - 1)))

    def track(indices, g, seed):
        return _track(system, start.parameters, p1, start.solutions[list(indices)], g, seed)

    return repair_paths(lambda pts, known=None: classify(a1, pts, p1, known=known), track, raw, rng, gamma)


# ---------------------------------------------------------------------------
# real points: loss, gradient, Hessian, smoothness


def _split(arch: Architecture, theta) -> list[np.ndarray]:
    cuts = np.cumsum([0] + list(arch.layer_entries))
    return [np.asarray(theta)[cuts[i] : cuts[i + 1]] for i in range(arch.layers)]


@dataclass(frozen=True)
class ParamPoint:
    """A real critical point of ``L`` (one per scaling class, balanced:
    equal filter norms, the largest entry of each ``w_i``, ``i ≥ 2``, positive)."""

    filters: tuple[tuple[float, ...], ...]
    end_to_end: tuple[float, ...]
    loss: float
    gradient_norm: float
    type: str
    negative_eigenvalues: int
    zero_eigenvalues: int
    global_minimum: bool
    jacobian_rank: int
    smooth_interior: bool

    def to_dict(self, arch: Architecture) -> dict:
        """JSON-ready dict; filters and the end-to-end filter as (D-dim) arrays."""
        return {
            "filters": [np.asarray(f).reshape(fm).tolist() for f, fm in zip(self.filters, arch.formats)],
            "end_to_end": np.asarray(self.end_to_end).reshape(arch.end_format).tolist(),
            "loss": self.loss,
            "gradient_norm": self.gradient_norm,
            "type": self.type,
            "negative_eigenvalues": self.negative_eigenvalues,
            "zero_eigenvalues": self.zero_eigenvalues,
            "global_minimum": self.global_minimum,
            "jacobian_rank": self.jacobian_rank,
            "smooth_interior": self.smooth_interior,
        }


def real_representative(chart: ParamChart, x):
    """Real filters in the scaling class of the chart point ``x``, balanced,
    or ``None`` when the class has no real point."""
    ws = chart.filters(x)
    arch = chart.arch
    out = [None] * arch.layers
    scale = 1.0 + 0j
    for i in range(1, arch.layers):
        w = ws[i]
        piv = w[np.argmax(np.abs(w))]
        out[i] = w / piv
        scale *= piv
    out[0] = ws[0] * scale
    for w in out:
        if np.linalg.norm(w.imag) > REAL * max(np.linalg.norm(w), 1e-300):
            return None
    real = [w.real for w in out]
    norms = np.array([np.linalg.norm(w) for w in real])
    if np.any(norms == 0):
        return None
    target = np.exp(np.mean(np.log(norms)))
    return [w * (target / nm) for w, nm in zip(real, norms)]


def analyse_point(arch: Architecture, loss, filters) -> dict:
    """Loss, gradient norm, Hessian type (scaling directions projected out,
    `critlcn.landscape.classify_hessian`) and rank of the Jacobian of ``μ`` at
    real filters."""
    theta = np.concatenate([np.ravel(f) for f in filters])
    ws = _split(arch, theta)
    w = network_filter(arch, ws).ravel()
    grad = network_gradient(arch, loss, theta)
    H = network_hessian(arch, loss, theta)
    kind, neg, eig = classify_hessian(H, scaling_directions(ws))
    cutoff = EIGEN_TOL * max(1.0, float(np.max(np.abs(eig)))) if eig.size else 0.0
    sv = np.linalg.svd(network_jacobian(arch, ws), compute_uv=False)
    rank = int(np.sum(sv > 1e-8 * sv[0])) if sv.size and sv[0] > 0 else 0
    return {"loss": loss.value(w), "gradient_norm": float(np.linalg.norm(grad)), "type": HessianType(kind),
            "negative_eigenvalues": int(neg), "zero_eigenvalues": int(np.sum(np.abs(eig) <= cutoff)),
            "jacobian_rank": rank, "end_to_end": w}


@dataclass(frozen=True)
class ParamResult:
    """Everything a parameter-space solve found, real points sorted by loss."""

    architecture: Architecture
    seed: int
    data: tuple[tuple[str, object], ...]
    stats: PathStats
    points: tuple[ParamPoint, ...]
    versions: tuple[tuple[str, str], ...] = ()

    @property
    def complete(self) -> bool:
        """True when no path failed and the count equals the Segre number."""
        return self.stats.failed == 0 and self.stats.valid == self.stats.expected

    def to_dict(self) -> dict:
        """The JSON contract of ``critlcn solve --method parameters --format json``."""
        a = self.architecture
        return {
            "method": "parameters",
            "architecture": {**a.to_dict(), "label": a.label()},
            "end_to_end_format": list(a.end_format),
            "end_to_end_stride": a.end_stride,
            "function_space_dimension": a.function_space_dimension,
            "ambient_dimension": a.ambient_dimension,
            "segre_number": a.segre_number,
            "seed": self.seed,
            "data": dict(self.data),
            "paths": self.stats.to_dict(),
            "complete": self.complete,
            "critical_points": [p.to_dict(a) for p in self.points],
            "versions": dict(self.versions),
        }

    def __str__(self) -> str:
        a, s = self.architecture, self.stats
        data = dict(self.data)
        lines = [
            f"{a.label()}, end-to-end filter {'x'.join(map(str, a.end_format))} at stride {a.end_stride}, "
            f"data {data.get('source')} ({data.get('samples')} samples), seed {self.seed}",
            f"parameter-space homotopy: {s.tracked} paths tracked, {s.valid} valid (expected {s.expected}, "
            f"the Segre number), {s.real} real, {s.spurious} spurious (w = 0 or singular), {s.failed} failed"
            + ("" if self.complete else "  (INCOMPLETE)"),
        ]
        smooth = sum(p.smooth_interior for p in self.points)
        lines.append(f"{len(self.points)} real critical scaling classes, {smooth} at smooth interior points "
                     f"(rank of the Jacobian of μ = {a.function_space_dimension})")
        if self.points:
            b = self.points[0]
            lines.append(f"best: loss {b.loss:.6g} ({b.type})")
        return "\n".join(lines)


def solve(arch: Architecture, loss, dataset=None, *, seed: int = 0, cache: str | None = None,
          quiet: bool = False) -> ParamResult:
    """Every critical point of ``L = ℓ ∘ μ`` with non-zero filters, by the
    parameter homotopy from the start system of ``arch`` (MATH.md §9).

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> rng = np.random.default_rng(0)
    >>> M = rng.normal(size=(4, 4))
    >>> res = solve(Architecture((2, 2), (2, 1)), QuadraticLoss(M @ M.T + np.eye(4), rng.normal(size=4), 1.0))
    >>> res.stats.valid, res.stats.expected, res.complete
    (6, 6, True)
    """
    if loss.size != arch.size:
        raise CritlcnError(f"the loss acts on filters of size {loss.size}, but {arch.label()} has end-to-end "
                           f"filter size {arch.size}")
    rng = np.random.default_rng(seed)
    start = get_start(arch, cache, quiet=quiet)
    p1 = parameters(loss.Q, loss.b)
    p1 = p1 / np.linalg.norm(p1)
    rep = track_all(start, p1, rng)
    sols, zero, failed, retracked = rep.solutions, rep.spurious, rep.failed, rep.retracked
    reps = []
    for x in sols:
        r = real_representative(start.chart, x)
        if r is not None:
            reps.append(r)
    info = [analyse_point(arch, loss, r) for r in reps]
    best = min((i["loss"] for i in info), default=np.inf)
    tol = 1e-9 * max(1.0, abs(best))
    points = []
    for r, i in zip(reps, info):
        points.append(ParamPoint(tuple(tuple(float(v) for v in f) for f in r),
                                 tuple(float(v) for v in i["end_to_end"]), float(i["loss"]), i["gradient_norm"],
                                 i["type"], i["negative_eigenvalues"], i["zero_eigenvalues"],
                                 bool(i["loss"] <= best + tol), i["jacobian_rank"],
                                 bool(i["jacobian_rank"] == arch.function_space_dimension)))
    points.sort(key=lambda p: p.loss)
    stats = PathStats(start.count, len(sols), arch.segre_number, len(points), zero, failed, retracked)
    data = dataset.to_dict() if dataset is not None else {"samples": None, "source": "quadratic loss", "sha256": None}
    return ParamResult(arch, int(seed), tuple(data.items()), stats, tuple(points), versions())
