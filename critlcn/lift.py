"""Lifting function-space critical points to parameter space (docs/math.md, "The loss
in parameter space").

A real critical point ``w`` of ``ℓ|Δ(ρ|γ)`` on a compatible stratum is
factored into its distinct real linear factors and irreducible real quadratic
factors (the colours of `critlcn.compatibility.colours`). Every labelled
compatible assignment of colours to layers then gives layer filters
``(w_1, …, w_L)`` with ``w_L * ⋯ * w_1 = w``: one scaling class of critical
points of ``L = ℓ ∘ μ``. Each class is represented by its balanced point
(equal norms) or, given an initialisation, by the points with the same
gradient-flow invariants ``δ_ij = ‖w_i‖² − ‖w_j‖²`` (2^{L−1} sign variants).

Every parameter point is verified: the gradient of ``L`` (exact formula) must
vanish to rounding, and the Hessian restricted to the orthogonal complement
of the ``L − 1`` scaling directions classifies it as ``minimum``, ``saddle``
or ``degenerate``.

Reference: Kohn, Merkh, Montúfar, Trager, *Geometry of Linear Convolutional
Networks* (2022), Theorem 5.x (critical points and factorisations) and
Section 6 (invariants).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import types
from typing import Iterable, Sequence

import numpy as np

from critlcn.architecture import Architecture
from critlcn.compatibility import assignment_orbits, count_assignments, labelled_assignments, pattern_string
from critlcn.convolution import all_but_one, convolve, end_to_end
from critlcn.errors import CritlcnError
from critlcn.landscape import classify_hessian, parameter_hessian, scaling_directions
from critlcn.parallel import pmap, roomy_heap, single_threaded_blas
from critlcn.results import (
    CriticalPoint,
    HessianType,
    LiftedPoint,
    LiftResult,
    MinimumKind,
    ParameterPoint,
    Scaling,
    ZeroSet,
)
from critlcn.roots import Factorisation, factor_form
from critlcn.rrmp import RRMP
from critlcn.scaling import normalise

__all__ = [
    "layer_filters",
    "balanced",
    "invariants",
    "scale_to_invariants",
    "sign_variants",
    "lift_point",
    "lift",
    "check_init",
    "load_init",
    "LIST_LIMIT",
]

#: Above this many parameter classes in all, a lifting lists one point per
#: orbit of equal-size layers (d = 8, k = (3, 2, …, 2): about 12 000 classes,
#: all listed; one point with nine real roots at d = 9 has 181 440).
LIST_LIMIT = 100_000


# ---------------------------------------------------------------------------
# layer filters and their scalings


def layer_filters(fact: Factorisation, assignment: Sequence[Sequence[int]], arch: Architecture) -> tuple[np.ndarray, ...]:
    """The layer filters an assignment prescribes, balanced (equal norms).

    Examples
    --------
    >>> from critlcn.convolution import end_to_end
    >>> from critlcn.roots import form_from_roots
    >>> arch = Architecture((3, 2))
    >>> f = factor_form(form_from_roots([1.0, 2.0, 3.0]), RRMP.parse("111|0"))
    >>> fs = layer_filters(f, [(0,), (0,), (1,)], arch)
    >>> bool(np.allclose(end_to_end(fs), form_from_roots([1.0, 2.0, 3.0])))
    True
    >>> bool(np.isclose(np.linalg.norm(fs[0]), np.linalg.norm(fs[1])))
    True
    """
    return balanced(_layer_products(fact, assignment, arch))


def _layer_products(fact: Factorisation, assignment, arch: Architecture, cache: dict | None = None) -> list:
    """The unbalanced layer filters of `layer_filters`; ``cache`` (one per
    factorisation) keeps each layer's product of factors, which recurs
    across assignments (each layer multiplies its factors in index order, so
    a cached product is the same array)."""
    holds: list[list[int]] = [[] for _ in arch.k]
    for fac, subset in enumerate(assignment):
        for b in subset:
            holds[b].append(fac)
    layers = []
    for held in holds:
        key = tuple(held)
        f = None if cache is None else cache.get(key)
        if f is None:
            f = np.array([1.0])
            for fac in held:
                f = convolve(f, fact.factors[fac])
            if cache is not None:
                cache[key] = f
        layers.append(f)
    for i, (f, ki) in enumerate(zip(layers, arch.k)):
        if f.size != ki:
            raise CritlcnError(f"assignment fills layer {i + 1} to size {f.size}, not k_{i + 1} = {ki}")
    layers[0] = layers[0] * fact.scale
    return layers


def balanced(filters: Sequence) -> tuple[np.ndarray, ...]:
    """The balanced point of the scaling class of ``filters``: same end-to-end
    filter, all filters of equal norm, signs moved to layer 1.

    Examples
    --------
    >>> from critlcn.convolution import end_to_end
    >>> fs = balanced([np.array([4.0, 0.0]), np.array([0.0, -1.0])])
    >>> [float(np.linalg.norm(f)) for f in fs]
    [2.0, 2.0]
    >>> end_to_end(fs)
    array([ 0., -4.,  0.])
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    norms = np.array([np.linalg.norm(f) for f in fs])
    if np.any(norms == 0):
        raise CritlcnError("cannot balance filters when one of them is zero")
    target = np.exp(np.mean(np.log(norms)))
    return tuple(f * (target / n) for f, n in zip(fs, norms))


def invariants(filters: Sequence) -> np.ndarray:
    """Squared norms minus the first: ``δ_{1i} = ‖w_i‖² − ‖w_1‖²``, which the
    gradient flow keeps constant (docs/math.md, "The loss in parameter space"); all ``δ_ij`` follow.

    Examples
    --------
    >>> invariants([np.array([1.0, 1.0]), np.array([3.0])])
    array([0., 7.])
    """
    sq = np.array([float(np.dot(f, f)) for f in filters])
    return sq - sq[0]


def scale_to_invariants(filters: Sequence, delta) -> tuple[np.ndarray, ...]:
    """The point ``(α_1 w_1, …, α_L w_L)``, ``α_i > 0``, ``Π α_i = 1``, whose
    invariants `invariants` equal ``delta`` (unique; see `sign_variants` for
    the others).

    Examples
    --------
    >>> from critlcn.convolution import end_to_end
    >>> fs = scale_to_invariants([np.array([1.0, 1.0]), np.array([2.0])], [0.0, 3.0])
    >>> np.round(invariants(fs), 12), np.round(end_to_end(fs), 12)
    (array([0., 3.]), array([2., 2.]))
    """
    from scipy.optimize import brentq  # here: scipy.optimize takes ~0.5 s to import

    fs = [np.asarray(f, dtype=float) for f in filters]
    delta = np.asarray(delta, dtype=float)
    if delta.shape != (len(fs),):
        raise CritlcnError(f"need {len(fs)} invariants, got {delta.shape}")
    n = np.array([float(np.dot(f, f)) for f in fs])
    if np.any(n == 0):
        raise CritlcnError("cannot rescale filters when one of them is zero")
    # squared norms t_i = s + a_i with min a_i = 0; Π t_i = Π n_i fixes s > 0,
    # found in log s, where the left side is increasing
    a = delta - delta.min()
    logn = float(np.sum(np.log(n)))

    def excess(u):
        return float(np.sum(np.log(np.exp(u) + a))) - logn

    lo, hi = -1.0, 1.0
    while excess(lo) > 0:
        lo *= 2
    while excess(hi) < 0:
        hi *= 2
    s = np.exp(brentq(excess, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))
    t = s + a
    alpha = np.sqrt(t / n)
    alpha = alpha / np.exp(np.mean(np.log(alpha)))  # exact Π α = 1 against rounding
    return tuple(f * al for f, al in zip(fs, alpha))


def sign_variants(layers: int) -> tuple[tuple[int, ...], ...]:
    """The ``2^{L−1}`` sign patterns ``(s_1, …, s_L)`` with ``Π s_i = 1``; each
    maps a critical point to one with the same invariants and loss.

    Examples
    --------
    >>> sign_variants(2)
    ((1, 1), (-1, -1))
    """
    out = []
    for signs in itertools.product((1, -1), repeat=layers - 1):
        last = int(np.prod(signs)) if signs else 1
        out.append(tuple(signs) + (last,))
    return tuple(out)


# ---------------------------------------------------------------------------
# the lifting pipeline


class _Lifter:
    """What every parameter point of one lifting shares: the loss's ``Q``,
    ``b`` and their norms, and per rrmp the labelled assignments and their
    pattern strings (the same for every point of that rrmp)."""

    def __init__(self, loss, arch: Architecture):
        self.loss, self.arch = loss, arch
        self.Q = np.asarray(loss.Q, dtype=float)
        self.b = np.asarray(loss.b, dtype=float)
        # the factors of `critlcn.landscape.gradient_scale`, computed once
        self.q_norm = np.linalg.norm(self.Q, 2)
        self.b_norm = np.linalg.norm(self.b)
        self._assignments: dict[RRMP, tuple] = {}

    def assignments(self, r: RRMP, orbits: bool = False) -> tuple:
        """``(assignment, pattern string, classes)`` for every labelled
        assignment of ``r`` (classes 1), or for one per orbit of equal-size
        layers (classes: the orbit's size)."""
        if (r, orbits) not in self._assignments:
            found = assignment_orbits(r, self.arch) if orbits else ((a, 1) for a in labelled_assignments(r, self.arch))
            self._assignments[r, orbits] = tuple((a, pattern_string(r, a, self.arch.layers), n) for a, n in found)
        return self._assignments[r, orbits]

    def point(self, pattern: str, assignment, filters, signs, fn_loss, hessian=None, classes: int = 1) -> ParameterPoint:
        """The parameter point ``filters``: gradient (`parameter_gradient`),
        its scale (`gradient_scale`) and the Hessian type, by the same
        operations as those functions, sharing the end-to-end filter and the
        all-but-one products between them. ``hessian``: the (type,
        negatives, eigenvalues) of an equivalent point, reused instead of
        recomputed."""
        fs = [np.asarray(f, dtype=float) for f in filters]
        w = end_to_end(fs)
        others = all_but_one(fs)
        g = 2 * (self.Q @ w - self.b)
        grads = [np.correlate(g, u, "valid") for u in others]
        gnorm = float(np.sqrt(sum(float(np.dot(x, x)) for x in grads)))
        scale = float(2 * (self.q_norm * np.linalg.norm(w) + self.b_norm) * max(np.linalg.norm(u) for u in others))
        kind, neg, eig = hessian if hessian is not None else classify_hessian(parameter_hessian(self.loss, fs),
                                                                              scaling_directions(fs))
        return ParameterPoint(
            pattern=pattern,
            assignment=tuple(tuple(int(x) for x in s) for s in assignment),
            filters=tuple(tuple(f.tolist()) for f in fs),
            gradient_norm=gnorm,
            gradient_scale=scale,
            type=kind,
            negative_eigenvalues=neg,
            eigenvalues=tuple(np.asarray(eig, dtype=float).tolist()),
            loss=float(fn_loss),
            signs=signs,
            classes=classes,
        )


def lift_point(arch: Architecture, loss, r: RRMP, w, *, init=None, orbits: bool = False, factors=None,
               _lifter=None) -> tuple[ParameterPoint, ...]:
    """Every parameter point above the real critical filter ``w`` of rrmp ``r``:
    one per labelled compatible assignment, balanced, or scaled to the
    invariants of ``init`` (filters ``w_1 … w_L``). With ``orbits``, one per
    orbit under permuting layers of equal size instead, each with the
    orbit's size as its ``classes``. ``factors``: the distinct-root factors
    of ``w`` when known (`critlcn.results.CriticalPoint.factors`), passed to
    `critlcn.roots.factor_form`.

    Points that differ by swapping layers of equal size share one Hessian
    spectrum, computed once.

    Raises `CritlcnError` when ``r`` is incompatible or ``w`` cannot be factored.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pts = lift_point(Architecture((2, 2)), loss, RRMP.parse("11|0"), [1.0, 0.0, -1.0])
    >>> [(p.pattern, p.type, p.verified) for p in pts]
    [('p1·p2', 'minimum', True), ('p2·p1', 'minimum', True)]
    >>> [(p.pattern, p.classes) for p in lift_point(Architecture((2, 2)), loss, RRMP.parse("11|0"), [1.0, 0.0, -1.0],
    ...                                            orbits=True)]
    [('p1·p2', 2)]
    """
    w = np.asarray(w, dtype=float)
    if count_assignments(r, arch) == 0:
        raise CritlcnError(f"rrmp {r} is incompatible with {arch.label()}")
    lifter = _lifter if _lifter is not None else _Lifter(loss, arch)
    fact = factor_form(w, r, factors=factors or None)
    w_loss = float(loss.value(w))
    delta = None if init is None else invariants(init)
    signs = sign_variants(arch.layers) if init is not None else ()
    out = []
    seen: dict[tuple, tuple] = {}
    products: dict[tuple, np.ndarray] = {}
    for assignment, pattern, classes in lifter.assignments(r, orbits):
        fs = balanced(_layer_products(fact, assignment, arch, products))
        if delta is not None:
            fs = scale_to_invariants(fs, delta)
        # Stride one: convolution commutes, so swapping two layers of one size
        # (and moving a sign between layers) maps parameters to parameters with
        # the same loss; the Hessian is conjugated by a signed permutation and
        # keeps its spectrum. Balanced points of one orbit are such images; the
        # invariants of --init are not permutation-invariant, so no reuse there.
        key = _orbit_key(assignment, arch) if delta is None else None
        point = lifter.point(pattern, assignment, fs, signs, w_loss, seen.get(key), classes)
        if key is not None:
            seen.setdefault(key, (point.type, point.negative_eigenvalues, np.array(point.eigenvalues)))
        out.append(point)
    return tuple(out)


def _orbit_key(assignment, arch: Architecture) -> tuple:
    """Which factors each layer holds, up to permuting layers of equal size."""
    holds = [[] for _ in arch.k]
    for fac, subset in enumerate(assignment):
        for b in subset:
            holds[b].append(fac)
    return tuple(tuple(sorted(tuple(holds[b]) for b in range(arch.layers) if arch.k[b] == size))
                 for size in sorted(set(arch.k)))


def _incompatible_reason(r: RRMP, arch: Architecture) -> str:
    return (
        f"rrmp {r} is incompatible with {arch.label()}: no way to put its factors into layers of degrees "
        f"{', '.join(map(str, arch.bins))} without a repeated factor in one layer, so no parameters reach this "
        "stratum without a double root in some layer"
    )


@roomy_heap()
def _lift_unit(args):
    """`lift_point` for each ``(rrmp, filter)`` of a chunk, with one `_Lifter`;
    a point that cannot be factored gives the reason instead."""
    arch, loss, items, init, orbits = args
    lifter = _Lifter(loss, arch)
    out = []
    for r, w, factors in items:
        try:
            out.append(lift_point(arch, loss, r, w, init=init, orbits=orbits, factors=factors, _lifter=lifter))
        except CritlcnError as err:
            out.append(f"factoring failed: {err}")
    return out


@single_threaded_blas()
def lift(arch: Architecture, loss, points: Iterable, *, init=None, solve=None, rel_tol: float = 1e-9,
         jobs: int = 1, scheduler: str | None = None, orbits: bool | None = None) -> LiftResult:
    """Lift every real critical point (objects with ``rrmp``, ``partition``,
    ``region``, ``compatible``, ``filter``, ``loss``, e.g. the points of a
    `critlcn.critical.SolveResult`) to parameter space and classify.

    ``orbits``: list one parameter point per orbit under permuting layers of
    equal size, with the orbit's size (True), or every labelled class
    (False). None (default) lists every class up to `LIST_LIMIT` classes in
    all, orbits above: ``k = (3, 2, …, 2)`` at ``d = 10`` has 1 814 400
    classes above one point with ten real roots, and 45 orbits. The counts
    (`LiftResult.parameter_classes`, the summary) are the same either way.

    Global minima are the minima of lowest loss (when below the zero set's
    loss ``c0``); other minima are flagged ``'non-global'``. Points are lifted
    in ``jobs`` processes or on the Dask cluster at ``scheduler``.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> from types import SimpleNamespace as P
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = lift(Architecture((2, 2)), loss, [pt])
    >>> res.parameter_classes, [q.minimum for q in res.points[0].parameters]
    (2, ['global', 'global'])
    """
    if init is not None:
        init = check_init(init, arch)
    user_loss, user_init = loss, init
    # Lift in the solver's units (see critlcn.scaling): filters of size one
    # keep every product below overflow at any data scale. Multiplying every
    # layer by one factor u maps critical points to critical points of the
    # rescaled loss, with gradients times (loss unit)/u, Hessians times
    # (loss unit)/u² and invariants times u², so types and sign counts stay.
    loss, scale = normalise(user_loss)
    u = 2.0 ** (scale.filter_exponent / arch.layers)
    if init is not None:
        init = tuple(np.asarray(f) / u for f in init)
    points = list(points)
    rrmps = [p.rrmp if isinstance(p.rrmp, RRMP) else RRMP.parse(str(p.rrmp)) for p in points]
    todo = [i for i, r in enumerate(rrmps) if count_assignments(r, arch) > 0]
    if orbits is None:
        orbits = sum(count_assignments(rrmps[i], arch) for i in todo) > LIST_LIMIT
    unit_filters = [np.ldexp(np.asarray(p.filter, dtype=float), -scale.filter_exponent) for p in points]
    # a few chunks per process: each shares one _Lifter and one pickling round trip
    chunks = [c for c in np.array_split(np.arange(len(todo)), max(1, min(len(todo), 4 * max(1, jobs)))) if c.size]
    units = [(arch, loss, [(rrmps[todo[k]], unit_filters[todo[k]], getattr(points[todo[k]], "factors", ()))
                           for k in c], init, orbits) for c in chunks]
    done = dict(zip(todo, itertools.chain.from_iterable(pmap(_lift_unit, units, jobs=jobs, scheduler=scheduler))))
    unit_loss = 2.0 ** -scale.loss_exponent
    done = {i: v if isinstance(v, str) else tuple(
        dataclasses.replace(q, filters=tuple(tuple(float(x) * u for x in f) for f in q.filters),
                gradient_norm=q.gradient_norm / unit_loss / u, gradient_scale=q.gradient_scale / unit_loss / u,
                eigenvalues=tuple(e / unit_loss / u**2 for e in q.eigenvalues), loss=scale.loss(q.loss))
        for q in v) for i, v in done.items()}
    loss, init = user_loss, user_init
    lifted = []
    for i, (p, r) in enumerate(zip(points, rrmps)):
        common = CriticalPoint(rrmp=r, partition=tuple(p.partition), region=p.region, compatible=bool(p.compatible),
                               filter=tuple(float(x) for x in p.filter), loss=float(p.loss),
                               certified_real=getattr(p, "certified_real", None), factors=getattr(p, "factors", ()))
        if i not in done:
            lifted.append(LiftedPoint(common, parameters=(), lifts=False, reason=_incompatible_reason(r, arch)))
        elif isinstance(done[i], str):
            lifted.append(LiftedPoint(common, parameters=(), lifts=False, reason=done[i]))
        else:
            lifted.append(LiftedPoint(common, parameters=done[i], lifts=True))
    c0 = float(loss.c0)
    mins = [q.loss for p in lifted for q in p.parameters if q.type == HessianType.MINIMUM]
    best = min(mins + [c0]) if mins else None
    tol = rel_tol * max(1.0, abs(c0))
    flagged = []
    for p in lifted:
        params = []
        for q in p.parameters:
            flag = None
            if q.type == HessianType.MINIMUM and best is not None:
                flag = MinimumKind.GLOBAL if q.loss <= best + tol else MinimumKind.NON_GLOBAL
            params.append(dataclasses.replace(q, minimum=flag))
        flagged.append(dataclasses.replace(p, parameters=tuple(params)))
    pairs = [a + b for a, b in itertools.combinations(arch.k, 2)]
    zero = ZeroSet(c0, sum(arch.k) - min(pairs) if pairs else 0, arch.layers)
    delta = tuple(float(x) for x in invariants(init)) if init is not None else ()
    return LiftResult(arch, tuple(flagged), zero, Scaling.INVARIANTS if init is not None else Scaling.BALANCED, delta,
                      solve, bool(orbits))


# ---------------------------------------------------------------------------
# initialisations


def check_init(filters, arch: Architecture, *, where: str = "init") -> tuple[np.ndarray, ...]:
    """Validate layer filters ``w_1 … w_L`` for ``arch`` (sizes, finiteness, non-zero).

    Examples
    --------
    >>> [f.shape for f in check_init([[1.0, 2.0], [3.0]], Architecture((2, 1)))]
    [(2,), (1,)]
    """
    fs = list(filters)
    if len(fs) != arch.layers:
        raise CritlcnError(f"{where}: {len(fs)} filters for {arch.layers} layers; give w1 … w{arch.layers}")
    out = []
    for i, (f, ki) in enumerate(zip(fs, arch.k)):
        try:
            a = np.asarray(f, dtype=float).ravel()
        except (TypeError, ValueError):
            raise CritlcnError(f"{where}: w{i + 1} is not numeric; store real numbers") from None
        if a.size != ki:
            raise CritlcnError(f"{where}: w{i + 1} has {a.size} entries but k_{i + 1} = {ki}; give filters of sizes {', '.join(map(str, arch.k))}")
        if not np.all(np.isfinite(a)):
            raise CritlcnError(f"{where}: w{i + 1} contains NaN or infinite values; give finite numbers")
        if not np.any(a):
            raise CritlcnError(f"{where}: w{i + 1} is zero, so its invariants fix no scaling; give non-zero filters")
        out.append(a)
    return tuple(out)


def load_init(path: str, arch: Architecture) -> tuple[np.ndarray, ...]:
    """Read an initialisation ``.npz`` with arrays ``w1 … wL`` (layer 1 first).

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "init.npz")
    >>> np.savez(p, w1=[1.0, 2.0], w2=[3.0, 4.0])
    >>> [f.tolist() for f in load_init(p, Architecture((2, 2)))]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if not os.path.exists(path):
        raise CritlcnError(f"init file {path} does not exist; check the path")
    names = [f"w{i + 1}" for i in range(arch.layers)]
    try:
        with np.load(path, allow_pickle=False) as npz:
            found = set(npz.files)
            missing = [n for n in names if n not in found]
            if missing:
                raise CritlcnError(
                    f"init file {path} has no array {', '.join(missing)} (found: {', '.join(sorted(found)) or 'none'}); "
                    f"save the filters as {', '.join(names)}, e.g. numpy.savez(path, w1=..., w2=...)"
                )
            arrays = [np.array(npz[n]) for n in names]
    except CritlcnError:
        raise
    except Exception as err:
        raise CritlcnError(
            f"cannot read init file {path} ({type(err).__name__}): give a .npz written by numpy.savez with arrays {', '.join(names)}"
        ) from None
    for n, a in zip(names, arrays):
        if a.dtype.kind not in "biuf":
            raise CritlcnError(f"init file {path}: {n} must hold real numbers, got {a.dtype}")
    return check_init(arrays, arch, where=f"init file {path}")


class _CallableModule(types.ModuleType):
    # ``critlcn.lift`` names both this module and the function `lift` (the
    # notebook API); whichever the import system left on the package, calling
    # it lifts
    def __call__(self, *args, **kwargs):
        return lift(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
