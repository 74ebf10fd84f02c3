"""Convolution of filters: products of binary forms, end-to-end filters,
Toeplitz layer matrices and all-but-one products, for one network or a batch
of networks at once (docs/math.md, "Filters and binary forms").

This is the one place where filters are convolved. Everything here is for
stride one and 1-D filters, where the end-to-end filter of a network is the
product of the binary forms of its layers, ``π(w) = π(w_L) ⋯ π(w_1)``. A
network with strides ``s_i`` multiplies stretched forms instead
(``π(w) = Π_i π(w_i)(x^{t_i}, y^{t_i})`` with ``t_i = s_1 ⋯ s_{i−1}``: the
substitution ``π_t`` of Kohn, Montúfar, Shahverdi, Trager, *Function space and
critical points of linear convolutional networks*), and D-dimensional filters
multiply forms in D pairs of variables; both generalise `end_to_end` and
`all_but_one` through their layer-filter arguments, not their callers.

Convention: layer filters are listed ``w_1`` (applied first) to ``w_L``;
coefficient ``j`` of a filter of size ``n`` multiplies ``x^{n-1-j} y^j``.
"""

from __future__ import annotations

from functools import reduce
from typing import Iterable, Sequence

import numpy as np

from critlcn.errors import CritlcnError

__all__ = [
    "convolve",
    "end_to_end",
    "all_but_one",
    "toeplitz",
    "convolution_matrix",
    "batch_convolve",
    "batch_correlate",
    "batch_end_to_end",
    "batch_all_but_one",
]


def _as_filter(w) -> np.ndarray:
    arr = np.asarray(w)
    if arr.ndim != 1 or arr.size == 0:
        raise CritlcnError(f"a filter must be a non-empty 1-D array of numbers, got shape {arr.shape}")
    return arr


def convolve(*filters) -> np.ndarray:
    """Full convolution ``w_1 * w_2 * ...``: the product of the binary forms
    (real or complex coefficients).

    Examples
    --------
    >>> convolve([1.0, 1.0], [1.0, -1.0])      # (x + y)(x - y) = x^2 - y^2
    array([ 1.,  0., -1.])
    """
    if not filters:
        raise CritlcnError("convolve needs at least one filter")
    return reduce(np.convolve, (_as_filter(f) for f in filters))


def end_to_end(layer_filters: Iterable, *, skip: Iterable[int] = ()) -> np.ndarray:
    """End-to-end filter ``w = w_L * ⋯ * w_1`` of a stride-one, 1-D LCN.

    ``layer_filters`` lists ``w_1`` (applied first) to ``w_L``; the layers
    whose indices (from 0) are in ``skip`` are left out (the product of the
    others, as in the second derivatives of ``μ``; ``[1.]`` when all are
    skipped). The filters are convolved in the listed order, ``w_1`` first,
    as `batch_end_to_end` does: at stride one the order changes only the
    rounding, and one order keeps the results of all callers identical.

    Examples
    --------
    >>> end_to_end([[1.0, 2.0], [3.0, 0.0, 1.0]])
    array([3., 6., 1., 2.])
    >>> end_to_end([[1.0, 2.0], [3.0, 0.0, 1.0], [1.0, 1.0]], skip=[1])
    array([1., 3., 2.])
    """
    skip = set(skip)
    kept = [f for i, f in enumerate(layer_filters) if i not in skip]
    if not kept:
        return np.array([1.0])
    return convolve(*kept)


def all_but_one(layer_filters: Sequence) -> list[np.ndarray]:
    """For each layer ``i``, the end-to-end filter of the other layers
    ``u_i``: ``∂μ/∂w_i`` is convolution by ``u_i`` (stride one).

    Prefix and suffix products make this ``2L`` convolutions instead of ``L²``.

    Examples
    --------
    >>> [u.tolist() for u in all_but_one([[1.0, 1.0], [1.0, -1.0], [2.0]])]
    [[2.0, -2.0], [2.0, 2.0], [1.0, 0.0, -1.0]]
    """
    fs = [_as_filter(f) for f in layer_filters]
    n = len(fs)
    prefix = [np.array([1.0])]
    for f in fs[:-1]:
        prefix.append(np.convolve(prefix[-1], f))
    out = [None] * n
    suffix = np.array([1.0])
    for i in range(n - 1, -1, -1):
        out[i] = np.convolve(prefix[i], suffix)
        suffix = np.convolve(suffix, fs[i])
    return out


def toeplitz(w, d_in: int) -> np.ndarray:
    """The layer matrix ``W ∈ R^{(d_in - k + 1) × d_in}`` with ``W[r, r + j] = w[j]``
    (stride one).

    Examples
    --------
    >>> toeplitz([1.0, 2.0], 3)
    array([[1., 2., 0.],
           [0., 1., 2.]])
    """
    w = _as_filter(w)
    k = w.size
    if d_in < k:
        raise CritlcnError(f"input size {d_in} is smaller than the filter size {k}: use inputs of size >= {k}")
    out = np.zeros((d_in - k + 1, d_in), dtype=w.dtype)
    for r in range(d_in - k + 1):
        out[r, r : r + k] = w
    return out


def convolution_matrix(u, k: int) -> np.ndarray:
    """The matrix ``J`` with ``J @ v = u * v`` for ``v`` of size ``k``.

    Examples
    --------
    >>> convolution_matrix([1.0, 2.0], 2)
    array([[1., 0.],
           [2., 1.],
           [0., 2.]])
    """
    u = _as_filter(u)
    J = np.zeros((u.size + k - 1, k), dtype=np.result_type(u.dtype, float))
    for a in range(k):
        J[a : a + u.size, a] = u
    return J


# ---------------------------------------------------------------------------
# batches: one filter per run, as (runs, size) arrays


def batch_convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise full convolution of two ``(runs, ·)`` arrays.

    Examples
    --------
    >>> batch_convolve(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([[1.0, -1.0], [2.0, 3.0]]))
    array([[ 1.,  0., -1.],
           [ 2.,  3.,  0.]])
    """
    if a.shape[1] < b.shape[1]:
        a, b = b, a
    out = np.zeros((a.shape[0], a.shape[1] + b.shape[1] - 1))
    for j in range(b.shape[1]):
        out[:, j : j + a.shape[1]] += a * b[:, j : j + 1]
    return out


def batch_correlate(g: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise valid correlation ``out[r, a] = Σ_m g[r, a + m] u[r, m]``: the
    adjoint of convolution by ``u``, which pulls a gradient in function space
    back to one layer.

    Examples
    --------
    >>> batch_correlate(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 1.0]]))
    array([[3., 5.]])
    """
    n = g.shape[1] - u.shape[1] + 1
    out = g[:, :n] * u[:, :1]
    for m in range(1, u.shape[1]):
        out += g[:, m : m + n] * u[:, m : m + 1]
    return out


def batch_end_to_end(filters: Sequence[np.ndarray]) -> np.ndarray:
    """End-to-end filters ``w_L * ⋯ * w_1`` of a batch: one ``(runs, k_i)``
    array per layer in, ``(runs, k)`` out (stride one, 1-D).

    Examples
    --------
    >>> batch_end_to_end([np.array([[1.0, 2.0]]), np.array([[3.0, 0.0, 1.0]])])
    array([[3., 6., 1., 2.]])
    """
    out = filters[0]
    for f in filters[1:]:
        out = batch_convolve(out, f)
    return out


def batch_all_but_one(filters: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The end-to-end filters of a batch and, for each layer, the end-to-end
    filters of the other layers (`all_but_one` per run): ``(w, [u_1 … u_L])``.

    Examples
    --------
    >>> w, us = batch_all_but_one([np.array([[1.0, 1.0]]), np.array([[1.0, -1.0]])])
    >>> w.tolist(), [u.tolist() for u in us]
    ([[1.0, 0.0, -1.0]], [[[1.0, -1.0]], [[1.0, 1.0]]])
    """
    L = len(filters)
    pre = [None] * L  # pre[i] = w_1 * … * w_{i-1}; None stands for the filter [1]
    acc = None
    for i in range(L):
        pre[i] = acc
        acc = filters[i] if acc is None else batch_convolve(acc, filters[i])
    w = acc
    out = [None] * L
    suf = None  # w_{i+1} * … * w_L
    for i in range(L - 1, -1, -1):
        if pre[i] is None and suf is None:
            out[i] = np.ones((w.shape[0], 1))
        elif pre[i] is None:
            out[i] = suf
        elif suf is None:
            out[i] = pre[i]
        else:
            out[i] = batch_convolve(pre[i], suf)
        suf = filters[i] if suf is None else batch_convolve(filters[i], suf)
    return w, out
