"""Convolution of filters: products of binary forms, end-to-end filters,
Toeplitz layer matrices and all-but-one products, for one network or a batch
of networks at once (docs/math.md, "Filters and binary forms").

This is the one place where filters are convolved. The first part is for
stride one and 1-D filters, where the end-to-end filter of a network is the
product of the binary forms of its layers, ``π(w) = π(w_L) ⋯ π(w_1)``. A
network with strides ``s_i`` multiplies stretched forms instead
(``π(w) = Π_i π(w_i)(x^{t_i}, y^{t_i})`` with ``t_i = s_1 ⋯ s_{i−1}``: the
substitution ``π_t`` of Kohn, Montúfar, Shahverdi, Trager, *Function space and
critical points of linear convolutional networks*), and D-dimensional filters
multiply forms in D pairs of variables: the second part (`network_filter`,
`network_jacobian`, `network_matrix`, `windows`, …) handles both through the
offsets at which each layer's entries land, given an architecture.

Convention: layer filters are listed ``w_1`` (applied first) to ``w_L``;
coefficient ``j`` of a filter of size ``n`` multiplies ``x^{n-1-j} y^j``.
"""

from __future__ import annotations

from functools import lru_cache, reduce
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
    "offsets",
    "terms",
    "check_layer_filters",
    "network_filter",
    "network_jacobian",
    "strided_convolution_matrix",
    "layer_matrix",
    "network_matrix",
    "windows",
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

# ---------------------------------------------------------------------------
# strides and D-dimensional filters: the multilinear map μ by offsets
#
# Entry ``j`` of filter ``i`` lands at offset ``j · S_i`` of the end-to-end
# filter (1-D, ``S_i = Π_{m<i} s_m``, the stretched forms of [FSCP]) or at the
# multi-index ``j`` itself (D-dimensional filters, stride one), and
#     w[n] = Σ_{offsets of j_1, ..., j_L summing to n} Π_i w_i[j_i].
# Stride one 1-D is the case S_i = 1, where `network_filter` equals
# `end_to_end`. These take an `critlcn.architecture.Architecture` (its
# formats, strides and end-to-end format); filters are arrays of their
# layer's format, flattened in C order.


@lru_cache(maxsize=256)
def offsets(arch) -> tuple[np.ndarray, ...]:
    """Per layer, the ``(weights, D)`` integer offsets of its entries (C order)
    in the end-to-end filter.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> [o.ravel().tolist() for o in offsets(Architecture((3, 2), (2, 1)))]
    [[0, 1, 2], [0, 2]]
    >>> offsets(Architecture(((2, 2), (1, 2))))[1].tolist()
    [[0, 0], [0, 1]]
    """
    out = []
    for f, S in zip(arch.formats, arch.layer_offsets):
        idx = np.stack(np.unravel_index(np.arange(int(np.prod(f))), f), axis=1) * S
        idx.flags.writeable = False
        out.append(idx)
    return tuple(out)


@lru_cache(maxsize=256)
def terms(arch) -> tuple[np.ndarray, np.ndarray]:
    """The monomials of ``μ``: ``(idx, target)`` with ``idx[t, i]`` the entry of
    filter ``i`` in term ``t`` and ``target[t]`` the flat end-to-end index it
    lands on, so ``w.ravel() = bincount(target, Π_i w_i[idx[:, i]])``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> idx, target = terms(Architecture((2, 2), (2, 1)))
    >>> idx.tolist(), target.tolist()
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 2, 1, 3])
    """
    grids = np.meshgrid(*[np.arange(n) for n in arch.layer_entries], indexing="ij")
    idx = np.stack([g.ravel() for g in grids], axis=1)
    pos = sum(offsets(arch)[i][idx[:, i]] for i in range(arch.layers))
    target = np.ravel_multi_index(tuple(pos.T), arch.end_format)
    idx.flags.writeable = False
    target.flags.writeable = False
    return idx, target


def check_layer_filters(arch, filters) -> tuple[np.ndarray, ...]:
    """The filters as arrays of the layers' formats; raise `CritlcnError` on a
    wrong number or size (flat vectors of the right length are reshaped)."""
    filters = list(filters)
    if len(filters) != arch.layers:
        raise CritlcnError(f"{len(filters)} filters for the {arch.layers} layers of {arch.label()}")
    out = []
    for i, (w, f) in enumerate(zip(filters, arch.formats)):
        w = np.asarray(w)
        if w.size != int(np.prod(f)):
            raise CritlcnError(f"filter {i + 1} has {w.size} weights; {arch.label()} needs format {'x'.join(map(str, f))}")
        out.append(w.reshape(f))
    return tuple(out)


def _place_layer(arch, i: int, w, dtype) -> np.ndarray:
    out = np.zeros(arch.end_format, dtype=dtype)
    off = offsets(arch)[i]
    out[tuple(off.T)] = np.ravel(w)
    return out


def _shift_add(arch, acc: np.ndarray, i: int, w) -> np.ndarray:
    """``acc`` (end-to-end format, supported near the origin) times layer
    ``i``'s filter placed at its offsets."""
    out = np.zeros(arch.end_format, dtype=np.result_type(acc, np.asarray(w)))
    shape = np.array(arch.end_format)
    for off, v in zip(offsets(arch)[i], np.ravel(w)):
        if v == 0:
            continue
        src = tuple(slice(0, int(n - o)) for n, o in zip(shape, off))
        dst = tuple(slice(int(o), int(n)) for n, o in zip(shape, off))
        out[dst] += v * acc[src]
    return out


def network_filter(arch, filters) -> np.ndarray:
    """The end-to-end filter ``μ(w_1, ..., w_L)`` (an array of ``arch.end_format``).

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> network_filter(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]]).tolist()
    [3.0, 6.0, 4.0, 8.0]
    >>> network_filter(Architecture((2, 2)), [[1.0, 2.0], [3.0, 4.0]]).tolist()
    [3.0, 10.0, 8.0]
    """
    ws = check_layer_filters(arch, filters)
    dtype = np.result_type(*ws, float)
    acc = _place_layer(arch, 0, ws[0], dtype)
    for i in range(1, arch.layers):
        acc = _shift_add(arch, acc, i, ws[i])
    return acc


def _network_all_but(arch, ws, i: int) -> np.ndarray:
    dtype = np.result_type(*ws, float)
    acc = np.zeros(arch.end_format, dtype=dtype)
    acc[(0,) * arch.axes] = 1
    for m in range(arch.layers):
        if m != i:
            acc = _shift_add(arch, acc, m, ws[m])
    return acc


def network_jacobian(arch, filters) -> np.ndarray:
    """Jacobian of ``μ`` at ``filters``: shape ``(size, Σ weights)``, rows the
    flattened end-to-end filter, columns the flattened filters, layer 1 first.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> J = network_jacobian(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]])
    >>> J.shape, int(np.linalg.matrix_rank(J))
    ((4, 4), 3)
    """
    ws = check_layer_filters(arch, filters)
    cols = []
    for i in range(arch.layers):
        rest = _network_all_but(arch, ws, i)
        for off in offsets(arch)[i]:
            shifted = np.zeros(arch.end_format, dtype=rest.dtype)
            src = tuple(slice(0, int(n - o)) for n, o in zip(arch.end_format, off))
            dst = tuple(slice(int(o), int(n)) for n, o in zip(arch.end_format, off))
            shifted[dst] = rest[src]
            cols.append(shifted.ravel())
    return np.stack(cols, axis=1)


def strided_convolution_matrix(w, in_shape, stride: int = 1) -> np.ndarray:
    """The matrix of ``x ↦ y``, ``y[r] = Σ_j w[j] x[stride · r + j]`` (no
    padding; ``r`` and ``j`` multi-indices in D dimensions), on flattened
    (C order) inputs and outputs.

    Examples
    --------
    >>> strided_convolution_matrix(np.array([1.0, 2.0]), (5,), stride=2).tolist()
    [[1.0, 2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0, 0.0]]
    """
    w = np.asarray(w)
    in_shape = tuple(int(n) for n in np.atleast_1d(in_shape))
    if w.ndim != len(in_shape):
        w = w.reshape((-1,) + (1,) * (len(in_shape) - 1)) if w.ndim == 1 else w
    out_shape = tuple((n - k) // stride + 1 for n, k in zip(in_shape, w.shape))
    if any(n < 1 for n in out_shape):
        raise CritlcnError(f"input of shape {in_shape} is smaller than the filter {w.shape}")
    M = np.zeros((int(np.prod(out_shape)), int(np.prod(in_shape))), dtype=w.dtype if w.dtype.kind == "c" else float)
    for r, rr in enumerate(np.ndindex(*out_shape)):
        for j in np.ndindex(*w.shape):
            pos = tuple(stride * a + b for a, b in zip(rr, j))
            M[r, np.ravel_multi_index(pos, in_shape)] += w[j]
    return M


def layer_matrix(arch, i: int, w, in_shape) -> np.ndarray:
    """Matrix of layer ``i`` (0-based) with filter ``w`` on inputs of ``in_shape``:
    ``(W_i)[r, s_i r + j] = w_i[j]`` (MATH.md §9; per axis in D dimensions).

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> layer_matrix(Architecture((2, 2), (2, 1)), 0, [1.0, 2.0], 5).shape
    (2, 5)
    """
    f = arch.formats[i]
    return strided_convolution_matrix(np.asarray(w).reshape(f), in_shape, arch.strides[i])


def network_matrix(arch, filters, d0) -> np.ndarray:
    """The product ``W_L ⋯ W_1`` of the layers' matrices on inputs of size ``d0``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> network_matrix(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]], 5).tolist()
    [[3.0, 6.0, 4.0, 8.0, 0.0]]
    """
    ws = check_layer_filters(arch, filters)
    sizes = arch.layer_sizes(d0)
    shapes = sizes if arch.axes > 1 else tuple((n,) for n in sizes)
    M = None
    for i, w in enumerate(ws):
        Wi = layer_matrix(arch, i, w, shapes[i])
        M = Wi if M is None else Wi @ M
    return M


def windows(arch, X) -> np.ndarray:
    """The input windows the end-to-end filter sees: ``out[n, r, j] = x_n[S r + j]``
    (1-D, ``S`` the end-to-end stride) or ``x_n[r + j]`` (D dimensions, ``r``, ``j``
    multi-indices, flattened), so that the network's output is ``out[n] @ w.ravel()``.

    Examples
    --------
    >>> from critlcn.architecture import Architecture
    >>> windows(Architecture((2, 2), (2, 1)), np.arange(6.0)[None]).tolist()
    [[[0.0, 1.0, 2.0, 3.0], [2.0, 3.0, 4.0, 5.0]]]
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    in_shape = X.shape[1:]
    K = arch.end_format
    S = arch.end_stride
    out_shape = arch.layer_sizes(in_shape if arch.axes > 1 else in_shape[0])[-1]
    out_shape = out_shape if arch.axes > 1 else (out_shape,)
    idx = np.stack(np.unravel_index(np.arange(int(np.prod(K))), K), axis=1)  # (size, D)
    rows = np.stack(np.unravel_index(np.arange(int(np.prod(out_shape))), out_shape), axis=1)  # (R, D)
    pos = S * rows[:, None, :] + idx[None, :, :]  # (R, size, D)
    flat = np.ravel_multi_index(tuple(np.moveaxis(pos, -1, 0)), in_shape)
    return X.reshape(n, -1)[:, flat]
