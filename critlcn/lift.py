"""Lifting function-space critical points to parameter space (MATH.md §4, §7).

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

import itertools
import os
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy.optimize import brentq

from critlcn.architecture import Architecture
from critlcn.compatibility import colours, count_assignments, labelled_assignments, pattern_string
from critlcn.errors import CritlcnError
from critlcn.parallel import pmap
from critlcn.polynomials import closest_pair, rotate_form
from critlcn.rrmp import RRMP

__all__ = [
    "Factorisation",
    "factor_form",
    "layer_filters",
    "balanced",
    "invariants",
    "scale_to_invariants",
    "sign_variants",
    "parameter_gradient",
    "parameter_hessian",
    "scaling_directions",
    "scaling_complement",
    "classify_hessian",
    "ParameterPoint",
    "LiftedPoint",
    "ZeroSet",
    "SummaryRow",
    "LiftResult",
    "lift_point",
    "lift",
    "load_init",
    "render_summary",
    "SUMMARY_FORMATS",
]

#: Relative residual a structured factorisation must reach to be accepted.
FACTOR_TOL = 1e-8
#: A parameter point is verified when its gradient norm is below this times
#: the gradient scale (data and filter sizes): rounding level.
GRADIENT_TOL = 1e-8
#: Projected Hessian eigenvalues below this times the largest one in absolute
#: value count as zero.
EIGEN_TOL = 1e-7
#: Formats of `render_summary`.
SUMMARY_FORMATS = ("table", "md", "latex", "csv")


# ---------------------------------------------------------------------------
# factoring a real form with a known rrmp


@dataclass(frozen=True)
class Factorisation:
    """``π(w) = scale · Π_c factor_c^{m_c}`` with one unit-norm real factor
    (linear or irreducible quadratic) per colour, in the order of `colours`.

    ``residual`` is ``‖w − product‖ / ‖w‖``.
    """

    rrmp: RRMP
    scale: float
    factors: tuple[tuple[float, ...], ...]
    residual: float

    def product(self) -> np.ndarray:
        """The reassembled filter ``scale · Π factor^m``."""
        out = np.array([self.scale])
        for col, f in zip(colours(self.rrmp), self.factors):
            for _ in range(col.multiplicity):
                out = np.convolve(out, f)
        return out


def _well_placed_angle(w: np.ndarray) -> float:
    # A rotation with large end coefficients keeps every root away from 0 and
    # infinity in the affine chart, where np.roots and the fit are well posed.
    best, best_score = 0.0, -1.0
    for theta in np.linspace(0.0, np.pi, 24, endpoint=False):
        v = rotate_form(w, theta)
        score = min(abs(v[0]), abs(v[-1])) / np.linalg.norm(v)
        if score > best_score:
            best, best_score = theta, score
    return float(best)


def _cluster_roots(roots: np.ndarray, n_clusters: int) -> list[list[complex]]:
    """Agglomerate the closest clusters (relative distance between centroids)
    until ``n_clusters`` remain."""
    clusters = [[z] for z in roots]
    while len(clusters) > n_clusters:
        _, a, b = closest_pair([np.mean(c) for c in clusters])
        clusters = [c for i, c in enumerate(clusters) if i not in (a, b)] + [clusters[a] + clusters[b]]
    return clusters


def _model(params: np.ndarray, rho: Sequence[int], gamma: Sequence[int]):
    """Coefficients of ``c Π (x − r y)^ρ Π (x² + s xy + t y²)^γ`` and the
    Jacobian with respect to ``(c, r…, s, t…)``."""
    c = params[0]
    reals = params[1 : 1 + len(rho)]
    quads = params[1 + len(rho) :].reshape(-1, 2)
    bases = [np.array([1.0, -r]) for r in reals] + [np.array([1.0, s, t]) for s, t in quads]
    mults = list(rho) + list(gamma)
    powers = []
    for f, m in zip(bases, mults):
        p = np.array([1.0])
        for _ in range(m):
            p = np.convolve(p, f)
        powers.append(p)
    full = np.array([1.0])
    for p in powers:
        full = np.convolve(full, p)
    cols = [full]
    for i, (f, m) in enumerate(zip(bases, mults)):
        rest = np.array([1.0])
        for j, p in enumerate(powers):
            if j != i:
                rest = np.convolve(rest, p)
        lower = np.array([1.0])
        for _ in range(m - 1):
            lower = np.convolve(lower, f)
        common = c * m * np.convolve(rest, lower)
        if f.size == 2:
            cols.append(np.convolve(common, [0.0, -1.0]))
        else:
            cols.append(np.convolve(common, [0.0, 1.0, 0.0]))
            cols.append(np.convolve(common, [0.0, 0.0, 1.0]))
    return c * full, np.stack(cols, axis=1)


def factor_form(w, r: RRMP) -> Factorisation:
    """Factor the real form ``π(w)`` into the distinct factors of its rrmp ``r``.

    The roots (in a rotated chart that keeps them finite) are clustered to the
    known number of distinct roots, matched to the multiplicities of ``r``,
    and refined by a structured Gauss–Newton fit, so repeated roots come out
    exactly repeated.

    Raises `CritlcnError` when ``w`` does not have rrmp ``r`` to the accuracy
    `FACTOR_TOL`.

    Examples
    --------
    >>> from critlcn.polynomials import form_from_roots
    >>> w = 2.0 * form_from_roots([1.0, 1.0, -2.0, 0.5])
    >>> f = factor_form(w, RRMP.parse("112|0"))
    >>> bool(np.allclose(f.product(), w)), f.residual < 1e-12
    (True, True)
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size != r.degree + 1:
        raise CritlcnError(f"filter of size {w.size} cannot have rrmp {r} of degree {r.degree}")
    norm = np.linalg.norm(w)
    if not np.isfinite(norm) or norm == 0:
        raise CritlcnError("cannot factor a zero or non-finite filter")
    if r.degree == 0:
        return Factorisation(r, float(w[0]), (), 0.0)
    theta = _well_placed_angle(w / norm)
    v = rotate_form(w / norm, theta)
    roots = np.roots(v)
    cols = colours(r)
    clusters = _cluster_roots(roots, len(r.rho) + 2 * len(r.gamma))
    cents = np.array([np.mean(c) for c in clusters])
    sizes = [len(c) for c in clusters]
    # the len(rho) clusters closest to the real axis are the real roots
    order = np.argsort(np.abs(cents.imag) / (1.0 + np.abs(cents)))
    real_idx = list(order[: len(r.rho)])
    upper = [i for i in order[len(r.rho) :] if cents[i].imag > 0]
    lower = [i for i in order[len(r.rho) :] if cents[i].imag <= 0]
    ok = sorted(sizes[i] for i in real_idx) == list(r.rho) and sorted(sizes[i] for i in upper) == list(r.gamma)
    ok = ok and len(upper) == len(lower) == len(r.gamma)
    if not ok:
        raise CritlcnError(f"the roots of this filter do not cluster into the pattern {r}")
    # colours of equal multiplicity are interchangeable: match by sorting
    real_idx.sort(key=lambda i: (sizes[i], cents[i].real))
    upper.sort(key=lambda i: (sizes[i], cents[i].real))
    start = [v[0]] + [cents[i].real for i in real_idx]
    for i in upper:
        z = cents[i]
        start += [-2 * z.real, abs(z) ** 2]
    params = np.array(start, dtype=float)
    rho_m = [sizes[i] for i in real_idx]
    gamma_m = [sizes[i] for i in upper]
    best = (np.inf, params)
    for _ in range(30):
        model, jac = _model(params, rho_m, gamma_m)
        res = model - v
        rel = np.linalg.norm(res)
        if rel < best[0]:
            best = (rel, params.copy())
        if rel < 1e-15:
            break
        step, *_ = np.linalg.lstsq(jac, -res, rcond=None)
        params = params + step
        if not np.all(np.isfinite(params)):
            break
    model, _ = _model(params, rho_m, gamma_m)
    if np.all(np.isfinite(model)) and np.linalg.norm(model - v) < best[0]:
        best = (np.linalg.norm(model - v), params)
    params = best[1]
    c = params[0]
    reals = params[1 : 1 + len(rho_m)]
    quads = params[1 + len(rho_m) :].reshape(-1, 2)
    if any(s * s - 4 * t >= 0 for s, t in quads):
        raise CritlcnError(f"a quadratic factor of this filter has real roots: it is not of type {r}")
    facs = [rotate_form(np.array([1.0, -x]), -theta) for x in reals]
    facs += [rotate_form(np.array([1.0, s, t]), -theta) for s, t in quads]
    scale = c * norm
    unit = []
    for f, m in zip(facs, rho_m + gamma_m):
        n = np.linalg.norm(f)
        unit.append(tuple(float(x) for x in f / n))
        scale *= n**m
    out = Factorisation(r, float(scale), tuple(unit), 0.0)
    residual = float(np.linalg.norm(out.product() - w) / norm)
    if not residual <= FACTOR_TOL:
        raise CritlcnError(
            f"this filter does not have rrmp {r} to relative accuracy {FACTOR_TOL:g} (best fit {residual:.2g})"
        )
    assert [c.multiplicity for c in cols] == rho_m + gamma_m
    return Factorisation(r, out.scale, out.factors, residual)


# ---------------------------------------------------------------------------
# layer filters and their scalings


def layer_filters(fact: Factorisation, assignment: Sequence[Sequence[int]], arch: Architecture) -> tuple[np.ndarray, ...]:
    """The layer filters an assignment prescribes, balanced (equal norms).

    Examples
    --------
    >>> from critlcn.polynomials import end_to_end, form_from_roots
    >>> arch = Architecture((3, 2))
    >>> f = factor_form(form_from_roots([1.0, 2.0, 3.0]), RRMP.parse("111|0"))
    >>> fs = layer_filters(f, [(0,), (0,), (1,)], arch)
    >>> bool(np.allclose(end_to_end(fs), form_from_roots([1.0, 2.0, 3.0])))
    True
    >>> bool(np.isclose(np.linalg.norm(fs[0]), np.linalg.norm(fs[1])))
    True
    """
    layers = [np.array([1.0]) for _ in arch.k]
    for fac, subset in zip(fact.factors, assignment):
        for b in subset:
            layers[b] = np.convolve(layers[b], fac)
    for i, (f, ki) in enumerate(zip(layers, arch.k)):
        if f.size != ki:
            raise CritlcnError(f"assignment fills layer {i + 1} to size {f.size}, not k_{i + 1} = {ki}")
    layers[0] = layers[0] * fact.scale
    return balanced(layers)


def balanced(filters: Sequence) -> tuple[np.ndarray, ...]:
    """The balanced point of the scaling class of ``filters``: same end-to-end
    filter, all filters of equal norm, signs moved to layer 1.

    Examples
    --------
    >>> from critlcn.polynomials import end_to_end
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
    gradient flow keeps constant (MATH.md §7); all ``δ_ij`` follow.

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
    >>> from critlcn.polynomials import end_to_end
    >>> fs = scale_to_invariants([np.array([1.0, 1.0]), np.array([2.0])], [0.0, 3.0])
    >>> np.round(invariants(fs), 12), np.round(end_to_end(fs), 12)
    (array([0., 3.]), array([2., 2.]))
    """
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
# gradient and Hessian of L = ℓ ∘ μ


def _conv_all(filters: Sequence[np.ndarray], skip: Iterable[int] = ()) -> np.ndarray:
    skip = set(skip)
    out = np.array([1.0])
    for i, f in enumerate(filters):
        if i not in skip:
            out = np.convolve(out, f)
    return out


def _conv_all_but(filters: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``[conv of all filters except i for each i]`` from prefix and suffix
    products (2L convolutions instead of L²)."""
    n = len(filters)
    prefix = [np.array([1.0])]
    for f in filters[:-1]:
        prefix.append(np.convolve(prefix[-1], f))
    out = [None] * n
    suffix = np.array([1.0])
    for i in range(n - 1, -1, -1):
        out[i] = np.convolve(prefix[i], suffix)
        suffix = np.convolve(suffix, filters[i])
    return out


def _loss_parts(loss):
    Q = np.asarray(loss.Q, dtype=float)
    b = np.asarray(loss.b, dtype=float)
    return Q, b


def _outer_gradient(loss, fs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``Q`` and ``g = ∇ℓ(w)`` at the end-to-end filter ``w`` of ``fs``."""
    Q, b = _loss_parts(loss)
    return Q, 2 * (Q @ _conv_all(fs) - b)


def parameter_gradient(loss, filters: Sequence) -> tuple[np.ndarray, ...]:
    """Gradient of ``L(w_1, …, w_L) = ℓ(w_L * ⋯ * w_1)``, one block per layer.

    ``∂L/∂w_i[a] = Σ_m g[a + m] u_i[m]`` with ``g = ∇ℓ(w)`` and ``u_i`` the
    convolution of the other filters.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 2.0, 1.0]), 6.0)
    >>> [g.tolist() for g in parameter_gradient(loss, [np.array([1.0, 1.0])] * 2)]
    [[0.0, 0.0], [0.0, 0.0]]
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    _, g = _outer_gradient(loss, fs)
    return tuple(np.correlate(g, u, "valid") for u in _conv_all_but(fs))


def _conv_matrix(u: np.ndarray, k: int) -> np.ndarray:
    """Matrix ``J`` with ``J @ v = u * v`` for ``v`` of size ``k``."""
    J = np.zeros((u.size + k - 1, k))
    for a in range(k):
        J[a : a + u.size, a] = u
    return J


def parameter_hessian(loss, filters: Sequence) -> np.ndarray:
    """Hessian of ``L`` in the coordinates ``(w_1, …, w_L)`` concatenated.

    ``H = Jᵀ (2Q) J + G`` where ``J`` is the Jacobian of ``μ`` and ``G`` holds
    the second derivatives of ``μ`` (bilinear in pairs of layers) against
    ``g = ∇ℓ(w)``.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> H = parameter_hessian(QuadraticLoss(np.eye(1), np.array([1.0]), 1.0), [np.array([1.0]), np.array([1.0])])
    >>> H
    array([[2., 2.],
           [2., 2.]])
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    Q, g = _outer_gradient(loss, fs)
    J = np.concatenate([_conv_matrix(u, f.size) for u, f in zip(_conv_all_but(fs), fs)], axis=1)
    H = J.T @ (2 * Q) @ J
    offs = np.cumsum([0] + [f.size for f in fs])
    for i in range(len(fs)):
        for j in range(i + 1, len(fs)):
            u = _conv_all(fs, [i, j])
            ki, kj = fs[i].size, fs[j].size
            # G[a, c] = Σ_m g[a + c + m] u[m]
            corr = np.correlate(g, u, "valid")
            G = np.array([[corr[a + c] for c in range(kj)] for a in range(ki)])
            H[offs[i] : offs[i + 1], offs[j] : offs[j + 1]] += G
            H[offs[j] : offs[j + 1], offs[i] : offs[i + 1]] += G.T
    return (H + H.T) / 2


def scaling_directions(filters: Sequence) -> np.ndarray:
    """Orthonormal basis (columns) of the ``L − 1`` tangent directions of the
    scaling orbit ``(α_1 w_1, …, α_L w_L)``, ``Π α_i = 1``, at ``filters``.

    Examples
    --------
    >>> scaling_directions([np.array([1.0]), np.array([1.0])]).shape
    (2, 1)
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    offs = np.cumsum([0] + [f.size for f in fs])
    n = offs[-1]
    cols = []
    for i in range(1, len(fs)):
        v = np.zeros(n)
        v[offs[0] : offs[1]] = fs[0]
        v[offs[i] : offs[i + 1]] = -fs[i]
        cols.append(v)
    if not cols:
        return np.zeros((n, 0))
    q, _ = np.linalg.qr(np.stack(cols, axis=1))
    return q


def scaling_complement(scaling: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the orthogonal complement of the
    columns of ``scaling`` (orthonormal, e.g. `scaling_directions`).

    Examples
    --------
    >>> B = scaling_complement(scaling_directions([np.array([1.0]), np.array([1.0])]))
    >>> B.shape, round(abs(float(B[0, 0] - B[1, 0])), 12)
    ((2, 1), 0.0)
    """
    n, m = scaling.shape
    if not m:
        return np.eye(n)
    q, _ = np.linalg.qr(np.concatenate([scaling, np.eye(n)], axis=1))
    return q[:, m:n]


def classify_hessian(H: np.ndarray, scaling: np.ndarray, tol: float = EIGEN_TOL) -> tuple[str, int, np.ndarray]:
    """Type of a critical point from its Hessian with the scaling directions
    (columns of ``scaling``) removed: ``('minimum' | 'saddle' | 'degenerate',
    number of negative eigenvalues, eigenvalues)``.

    Examples
    --------
    >>> classify_hessian(np.diag([1.0, -2.0, 0.0]), np.array([[0.0], [0.0], [1.0]]))[:2]
    ('saddle', 1)
    """
    basis = scaling_complement(scaling)
    eig = np.linalg.eigvalsh(basis.T @ H @ basis)
    cut = tol * max(1.0, float(np.max(np.abs(eig)))) if eig.size else 0.0
    neg = int(np.sum(eig < -cut))
    if neg:
        kind = "saddle"
    elif np.all(eig > cut):
        kind = "minimum"
    else:
        kind = "degenerate"
    return kind, neg, eig


# ---------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class ParameterPoint:
    """One scaling class of critical points of ``L``, represented by a point.

    ``filters`` lists ``w_1 … w_L`` (layer 1 first); ``signs`` lists the sign
    variants ``(s_1…s_L)`` (``Π s_i = 1``) that give the other points of the
    class with the same invariants. ``minimum`` is ``'global'``,
    ``'non-global'`` or ``None``.
    """

    pattern: str
    assignment: tuple[tuple[int, ...], ...]
    filters: tuple[tuple[float, ...], ...]
    gradient_norm: float
    gradient_scale: float
    type: str
    negative_eigenvalues: int
    eigenvalues: tuple[float, ...]
    loss: float
    signs: tuple[tuple[int, ...], ...] = ()
    minimum: str | None = None

    @property
    def verified(self) -> bool:
        """True when the gradient is at rounding level."""
        return self.gradient_norm <= GRADIENT_TOL * self.gradient_scale

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The filters as numpy arrays."""
        return tuple(np.array(f) for f in self.filters)

    def to_dict(self) -> dict:
        """JSON-ready dict (issue 4 item 5, plus extra fields)."""
        return {
            "pattern": self.pattern,
            "filters": [list(f) for f in self.filters],
            "gradient_norm": self.gradient_norm,
            "type": self.type,
            "negative_eigenvalues": self.negative_eigenvalues,
            "verified": self.verified,
            "minimum": self.minimum,
            "eigenvalues": list(self.eigenvalues),
            "sign_variants": [list(s) for s in self.signs],
        }


@dataclass(frozen=True)
class LiftedPoint:
    """A real function-space critical point with its parameter points.

    ``lifts`` is False (with ``reason``) for points on incompatible strata or
    when factoring failed; ``parameters`` is then empty.
    """

    rrmp: RRMP
    partition: tuple[int, ...]
    region: str
    compatible: bool
    filter: tuple[float, ...]
    loss: float
    parameters: tuple[ParameterPoint, ...]
    lifts: bool
    reason: str | None = None

    def to_dict(self) -> dict:
        """The solve contract's critical point plus ``parameters``."""
        return {
            "rrmp": str(self.rrmp),
            "partition": list(self.partition),
            "region": self.region,
            "compatible": self.compatible,
            "filter": list(self.filter),
            "loss": self.loss,
            "lifts": self.lifts,
            "reason": self.reason,
            "parameters": [p.to_dict() for p in self.parameters],
        }


@dataclass(frozen=True)
class ZeroSet:
    """The critical set where two or more filters vanish (``w = 0``)."""

    loss: float
    dimension: int
    layers: int

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "description": "two or more filters zero (w = 0)",
            "loss": self.loss,
            "dimension": self.dimension,
            "positive_dimensional": self.dimension > 0,
        }


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary by rrmp."""

    rrmp: str
    region: str
    compatible: bool
    real_points: int
    parameter_classes: int
    minima: int
    saddles: int
    degenerate: int
    best_loss: float | None


@dataclass(frozen=True)
class LiftResult:
    """Every real critical point lifted, the zero set, and the scaling used.

    ``scaling`` is ``'balanced'`` or ``'invariants'`` (then ``delta`` holds
    ``δ_{1i}`` of the initialisation). ``solve`` optionally holds the
    `critlcn.critical.SolveResult` whose JSON this extends.
    """

    architecture: Architecture
    points: tuple[LiftedPoint, ...]
    zero_set: ZeroSet
    scaling: str = "balanced"
    delta: tuple[float, ...] = ()
    solve: object = field(default=None, compare=False)

    @property
    def parameter_classes(self) -> int:
        """Total number of parameter-space scaling classes (non-zero ``w``)."""
        return sum(len(p.parameters) for p in self.points)

    def best_loss(self) -> float | None:
        """Lowest loss of a lifted critical point (the global minimum of ``L``
        when it is below the zero set's loss)."""
        losses = [p.loss for p in self.points if p.lifts]
        return min(losses) if losses else None

    def parameter_points(self) -> list[tuple[LiftedPoint, ParameterPoint]]:
        """All (function-space point, parameter point) pairs."""
        return [(p, q) for p in self.points for q in p.parameters]

    def summary(self) -> tuple[SummaryRow, ...]:
        """Counts by rrmp: real critical points, parameter classes, minima,
        saddles, degenerate points, best loss."""
        rows: dict[str, list[LiftedPoint]] = {}
        for p in self.points:
            rows.setdefault(str(p.rrmp), []).append(p)
        out = []
        for key in sorted(rows, key=lambda s: RRMP.parse(s).sort_key()):
            pts = rows[key]
            params = [q for p in pts for q in p.parameters]
            out.append(SummaryRow(
                key, pts[0].region, pts[0].compatible, len(pts), len(params),
                sum(q.type == "minimum" for q in params), sum(q.type == "saddle" for q in params),
                sum(q.type == "degenerate" for q in params), min(p.loss for p in pts),
            ))
        return tuple(out)

    def to_dict(self) -> dict:
        """The solve JSON contract extended by issue 4: ``parameters`` per
        critical point, ``parameter_classes``, ``zero_set``, ``scaling``."""
        base = self.solve.to_dict() if self.solve is not None else {
            "architecture": {**self.architecture.to_dict(), "label": self.architecture.label()},
            "degree": self.architecture.degree,
        }
        base["critical_points"] = [p.to_dict() for p in self.points]
        base["parameter_classes"] = self.parameter_classes
        base["zero_set"] = self.zero_set.to_dict()
        base["scaling"] = {"kind": self.scaling, "delta": list(self.delta)}
        base["summary"] = [dict(r.__dict__) for r in self.summary()]
        return base

    def __str__(self) -> str:
        return render_summary(self, "table")


# ---------------------------------------------------------------------------
# the lifting pipeline


def _parameter_point(loss, arch: Architecture, r: RRMP, assignment, filters, signs, fn_loss,
                     hessian=None) -> ParameterPoint:
    """``hessian``: the (type, negatives, eigenvalues) of an equivalent point,
    reused instead of recomputed."""
    fs = [np.asarray(f, dtype=float) for f in filters]
    grads = parameter_gradient(loss, fs)
    gnorm = float(np.sqrt(sum(float(np.dot(g, g)) for g in grads)))
    Q, b = _loss_parts(loss)
    w = _conv_all(fs)
    # size of the gradient's terms: |g| times the largest |u_i|
    scale = 2 * (np.linalg.norm(Q, 2) * np.linalg.norm(w) + np.linalg.norm(b))
    scale *= max(np.linalg.norm(u) for u in _conv_all_but(fs))
    kind, neg, eig = hessian if hessian is not None else classify_hessian(parameter_hessian(loss, fs),
                                                                          scaling_directions(fs))
    return ParameterPoint(
        pattern=pattern_string(r, assignment, arch.layers),
        assignment=tuple(tuple(int(x) for x in s) for s in assignment),
        filters=tuple(tuple(float(x) for x in f) for f in fs),
        gradient_norm=gnorm,
        gradient_scale=float(scale),
        type=kind,
        negative_eigenvalues=neg,
        eigenvalues=tuple(float(x) for x in eig),
        loss=float(fn_loss),
        signs=signs,
    )


def lift_point(arch: Architecture, loss, r: RRMP, w, init=None) -> tuple[ParameterPoint, ...]:
    """Every parameter point above the real critical filter ``w`` of rrmp ``r``:
    one per labelled compatible assignment, balanced, or scaled to the
    invariants of ``init`` (filters ``w_1 … w_L``).

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
    """
    w = np.asarray(w, dtype=float)
    if count_assignments(r, arch) == 0:
        raise CritlcnError(f"rrmp {r} is incompatible with {arch.label()}")
    fact = factor_form(w, r)
    w_loss = float(loss.value(w))
    delta = None if init is None else invariants(init)
    signs = sign_variants(arch.layers) if init is not None else ()
    out = []
    seen: dict[tuple, tuple] = {}
    for assignment in labelled_assignments(r, arch):
        fs = layer_filters(fact, assignment, arch)
        if delta is not None:
            fs = scale_to_invariants(fs, delta)
        # Stride one: convolution commutes, so swapping two layers of one size
        # (and moving a sign between layers) maps parameters to parameters with
        # the same loss; the Hessian is conjugated by a signed permutation and
        # keeps its spectrum. Balanced points of one orbit are such images; the
        # invariants of --init are not permutation-invariant, so no reuse there.
        key = _orbit_key(assignment, arch) if delta is None else None
        point = _parameter_point(loss, arch, r, assignment, fs, signs, w_loss, seen.get(key))
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


def _lift_unit(args):
    arch, loss, r, w, init = args
    try:
        return lift_point(arch, loss, r, w, init)
    except CritlcnError as err:
        return f"factoring failed: {err}"


def lift(arch: Architecture, loss, points: Iterable, init=None, solve=None, rel_tol: float = 1e-9,
         jobs: int = 1, scheduler: str | None = None) -> LiftResult:
    """Lift every real critical point (objects with ``rrmp``, ``partition``,
    ``region``, ``compatible``, ``filter``, ``loss``, e.g. the points of a
    `critlcn.critical.SolveResult`) to parameter space and classify.

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
    points = list(points)
    rrmps = [p.rrmp if isinstance(p.rrmp, RRMP) else RRMP.parse(str(p.rrmp)) for p in points]
    todo = [i for i, r in enumerate(rrmps) if count_assignments(r, arch) > 0]
    done = dict(zip(todo, pmap(_lift_unit, [(arch, loss, rrmps[i], points[i].filter, init) for i in todo],
                               jobs=jobs, scheduler=scheduler)))
    lifted = []
    for i, (p, r) in enumerate(zip(points, rrmps)):
        common = dict(rrmp=r, partition=tuple(p.partition), region=p.region, compatible=bool(p.compatible),
                      filter=tuple(float(x) for x in p.filter), loss=float(p.loss))
        if i not in done:
            lifted.append(LiftedPoint(**common, parameters=(), lifts=False, reason=_incompatible_reason(r, arch)))
        elif isinstance(done[i], str):
            lifted.append(LiftedPoint(**common, parameters=(), lifts=False, reason=done[i]))
        else:
            lifted.append(LiftedPoint(**common, parameters=done[i], lifts=True))
    c0 = float(loss.c0)
    mins = [q.loss for p in lifted for q in p.parameters if q.type == "minimum"]
    best = min(mins + [c0]) if mins else None
    tol = rel_tol * max(1.0, abs(c0))
    flagged = []
    for p in lifted:
        params = []
        for q in p.parameters:
            flag = None
            if q.type == "minimum" and best is not None:
                flag = "global" if q.loss <= best + tol else "non-global"
            params.append(ParameterPoint(**{**q.__dict__, "minimum": flag}))
        flagged.append(LiftedPoint(**{**p.__dict__, "parameters": tuple(params)}))
    pairs = [a + b for a, b in itertools.combinations(arch.k, 2)]
    zero = ZeroSet(c0, sum(arch.k) - min(pairs) if pairs else 0, arch.layers)
    delta = tuple(float(x) for x in invariants(init)) if init is not None else ()
    return LiftResult(arch, tuple(flagged), zero, "invariants" if init is not None else "balanced", delta, solve)


# ---------------------------------------------------------------------------
# initialisations


def check_init(filters, arch: Architecture, where: str = "init") -> tuple[np.ndarray, ...]:
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
        raise CritlcnError(f"init file {path} does not exist; check the --init path")
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


# ---------------------------------------------------------------------------
# summary rendering


def _fmt_loss(x) -> str:
    return "-" if x is None else f"{x:.6g}"


def _summary_rows(result: LiftResult):
    head = ("rrmp", "region", "compatible", "real points", "parameter classes", "minima", "saddles", "degenerate",
            "best loss")
    rows = [(r.rrmp, r.region, "yes" if r.compatible else "no", r.real_points, r.parameter_classes, r.minima,
             r.saddles, r.degenerate, _fmt_loss(r.best_loss)) for r in result.summary()]
    return head, rows


def render_summary(result: LiftResult, fmt: str = "table") -> str:
    """The summary by rrmp as ``'table'``, ``'md'``, ``'latex'`` or ``'csv'`` text.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> from types import SimpleNamespace as P
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> print(render_summary(lift(Architecture((2, 2)), loss, [pt]), "csv").strip())
    rrmp,region,compatible,real points,parameter classes,minima,saddles,degenerate,best loss
    11|0,interior,yes,1,2,2,0,0,0
    """
    from critlcn.report import render_table

    if fmt not in SUMMARY_FORMATS:
        raise CritlcnError(f"unknown summary format {fmt!r}: use one of {', '.join(SUMMARY_FORMATS)}")
    head, rows = _summary_rows(result)
    zero = result.zero_set
    note = (f"zero set (two or more filters zero, w = 0): loss {zero.loss:.6g}, dimension {zero.dimension}; "
            f"{result.parameter_classes} parameter classes, scaling {result.scaling}")
    text = render_table(head, rows, fmt)
    if fmt == "csv":
        return text + "\n"
    if fmt == "latex":
        return text + "\n% " + note + "\n"
    return text + "\n\n" + note + "\n"
