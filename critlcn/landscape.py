"""The loss landscape of ``L = ℓ ∘ μ`` in parameter space: gradient, Hessian,
the scaling directions and their complement, and the type of a critical
point (docs/math.md, "The loss in parameter space").

``μ(w_1, …, w_L) = w_L * ⋯ * w_1`` is the end-to-end map (stride one, 1-D,
from `critlcn.convolution`) and ``ℓ(w) = wᵀQw − 2bᵀw + c0`` a quadratic loss.
By the chain rule ``∇_{w_i} L`` is ``∇ℓ(w)`` pulled back through convolution
by ``u_i``, the end-to-end filter of the other layers (`pullback`); the
gradient-descent engine uses the batched pullback, the lifting of critical
points the single one, so both compute the same formula.

Reference: Kohn, Merkh, Montúfar, Trager, *Geometry of Linear Convolutional
Networks* (2022), Section 5 (critical points in parameter space).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from critlcn.convolution import (
    all_but_one,
    batch_correlate,
    convolution_matrix,
    end_to_end,
    network_filter,
    network_jacobian,
    offsets,
)
from critlcn.results import HessianType

__all__ = [
    "pullback",
    "batch_pullback",
    "parameter_gradient",
    "gradient_scale",
    "parameter_hessian",
    "scaling_directions",
    "scaling_complement",
    "classify_hessian",
    "network_gradient",
    "network_hessian",
    "EIGEN_TOL",
    "GRADIENT_TOL",
]


def pullback(g, filters: Sequence) -> tuple[np.ndarray, ...]:
    """The gradient of ``w ↦ ℓ(μ(filters))`` given ``g = ∇ℓ(w)``: one block per
    layer, ``∂L/∂w_i[a] = Σ_m g[a + m] u_i[m]``.

    Examples
    --------
    >>> [p.tolist() for p in pullback(np.array([1.0, 0.0, 0.0]), [np.array([1.0, 2.0]), np.array([3.0, 4.0])])]
    [[3.0, 0.0], [1.0, 0.0]]
    """
    g = np.asarray(g, dtype=float)
    return tuple(np.correlate(g, u, "valid") for u in all_but_one([np.asarray(f, dtype=float) for f in filters]))


def batch_pullback(g: np.ndarray, others: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`pullback` for a batch: ``g`` is ``(runs, k)`` and ``others`` the
    all-but-one products of the batch (`critlcn.convolution.batch_all_but_one`,
    which also gives the end-to-end filters ``g`` is computed from).

    Examples
    --------
    >>> from critlcn.convolution import batch_all_but_one
    >>> w, others = batch_all_but_one([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
    >>> [x.tolist() for x in batch_pullback(np.array([[1.0, 0.0, 0.0]]), others)]
    [[[3.0, 0.0]], [[1.0, 0.0]]]
    """
    return [batch_correlate(g, u) for u in others]


#: Projected Hessian eigenvalues below this times the largest one in absolute
#: value count as zero.
EIGEN_TOL = 1e-7


#: A parameter point is a critical point when its gradient norm is below this
#: times `gradient_scale`: rounding level.
GRADIENT_TOL = 1e-8


def _loss_parts(loss):
    Q = np.asarray(loss.Q, dtype=float)
    b = np.asarray(loss.b, dtype=float)
    return Q, b


def _outer_gradient(loss, fs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``Q`` and ``g = ∇ℓ(w)`` at the end-to-end filter ``w`` of ``fs``."""
    Q, b = _loss_parts(loss)
    return Q, 2 * (Q @ end_to_end(fs) - b)


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
    return pullback(g, fs)


def gradient_scale(loss, filters: Sequence) -> float:
    """The size of the terms of `parameter_gradient` at ``filters``:
    ``2 (‖Q‖ ‖w‖ + ‖b‖) · max_i ‖u_i‖``; a gradient norm below `GRADIENT_TOL`
    times this is rounding.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> gradient_scale(QuadraticLoss(np.eye(1), np.array([1.0]), 1.0), [np.array([2.0]), np.array([3.0])])
    42.0
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    Q, b = _loss_parts(loss)
    scale = 2 * (np.linalg.norm(Q, 2) * np.linalg.norm(end_to_end(fs)) + np.linalg.norm(b))
    return float(scale * max(np.linalg.norm(u) for u in all_but_one(fs)))


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
    J = np.concatenate([convolution_matrix(u, f.size) for u, f in zip(all_but_one(fs), fs)], axis=1)
    H = J.T @ (2 * Q) @ J
    offs = np.cumsum([0] + [f.size for f in fs])
    for i in range(len(fs)):
        for j in range(i + 1, len(fs)):
            u = end_to_end(fs, skip=[i, j])
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


def classify_hessian(H: np.ndarray, scaling: np.ndarray, *, tol: float = EIGEN_TOL) -> tuple[HessianType, int, np.ndarray]:
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
        kind = HessianType.SADDLE
    elif np.all(eig > cut):
        kind = HessianType.MINIMUM
    else:
        kind = HessianType.DEGENERATE
    return kind, neg, eig


# ---------------------------------------------------------------------------
# any architecture (strides, D-dimensional filters): μ by offsets


def _split(arch, theta) -> list[np.ndarray]:
    cuts = np.cumsum([0] + list(arch.layer_entries))
    theta = np.asarray(theta)
    return [theta[cuts[i] : cuts[i + 1]] for i in range(arch.layers)]


def network_gradient(arch, loss, theta) -> np.ndarray:
    """Gradient of ``L = ℓ ∘ μ`` at the flattened filters ``theta`` (layer 1
    first) of any architecture: ``J_μᵀ ∇ℓ(μ(θ))`` (`network_jacobian`).

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.data import QuadraticLoss
    >>> arch = Architecture((2, 2), (2, 1))
    >>> network_gradient(arch, QuadraticLoss(np.eye(4), np.zeros(4), 0.0), np.zeros(4)).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    ws = _split(arch, theta)
    w = network_filter(arch, ws).ravel()
    return network_jacobian(arch, ws).T @ loss.gradient(w)


def network_hessian(arch, loss, theta) -> np.ndarray:
    """Hessian of ``L = ℓ ∘ μ`` at ``theta`` for any architecture:
    ``2 J_μᵀ Q J_μ + Σ_n ∂_n ℓ · ∇²μ_n``, the second derivatives of the
    multilinear ``μ`` taken exactly: ``∂²μ/∂w_i[a]∂w_j[b]`` is the product of
    the other layers shifted by the two entries' offsets.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> from critlcn.data import QuadraticLoss
    >>> arch = Architecture((2, 2), (2, 1))
    >>> H = network_hessian(arch, QuadraticLoss(np.eye(4), np.ones(4), 0.0), np.zeros(4))
    >>> float(H[0, 2]), float(H[0, 0])
    (-2.0, 0.0)
    """
    ws = _split(arch, theta)
    w = network_filter(arch, ws).ravel()
    J = network_jacobian(arch, ws)
    g = loss.gradient(w).reshape(arch.end_format)
    H = 2 * J.T @ loss.Q @ J
    cuts = np.cumsum([0] + list(arch.layer_entries))
    offs = offsets(arch)
    K = arch.end_format
    for i in range(arch.layers):
        for j in range(i + 1, arch.layers):
            # entry 0 of every filter sits at the origin: unit filters there
            # leave the product R of the other layers
            part = [np.eye(1, n).ravel() if m in (i, j) else v
                    for m, (v, n) in enumerate(zip(ws, arch.layer_entries))]
            R = network_filter(arch, part)
            for a, oa in enumerate(offs[i]):
                for b, ob in enumerate(offs[j]):
                    o = oa + ob
                    src = tuple(slice(int(x), int(n)) for n, x in zip(K, o))
                    dst = tuple(slice(0, int(n - x)) for n, x in zip(K, o))
                    val = float(np.sum(g[src] * R[dst]))
                    H[cuts[i] + a, cuts[j] + b] += val
                    H[cuts[j] + b, cuts[i] + a] += val
    return H

