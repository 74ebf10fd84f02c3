"""The end-to-end filter of a network with strides or D-dimensional filters,
as a multilinear map given by offsets (MATH.md §9, §11).

Entry ``j`` of filter ``i`` lands at offset ``j · S_i`` of the end-to-end
filter (1-D, ``S_i = Π_{m<i} s_m``) or at the multi-index ``j`` itself
(D-dimensional, stride one), and

    w[n] = Σ_{offsets of j_1, ..., j_L summing to n} Π_i w_i[j_i].

Stride one 1-D is the special case ``S_i = 1`` (the full convolution).
Filters are arrays of their layer's format (a vector in 1-D); flattened
vectors use C order.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError

__all__ = [
    "offsets",
    "end_to_end",
    "end_to_end_jacobian",
    "layer_matrix",
    "network_matrix",
    "convolution_matrix",
    "windows",
    "check_filters",
    "terms",
]


@lru_cache(maxsize=256)
def offsets(arch: Architecture) -> tuple[np.ndarray, ...]:
    """Per layer, the ``(weights, D)`` integer offsets of its entries (C order)
    in the end-to-end filter.

    Examples
    --------
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
def terms(arch: Architecture) -> tuple[np.ndarray, np.ndarray]:
    """The monomials of ``μ``: ``(idx, target)`` with ``idx[t, i]`` the entry of
    filter ``i`` in term ``t`` and ``target[t]`` the flat end-to-end index it
    lands on, so ``w.ravel() = bincount(target, Π_i w_i[idx[:, i]])``.

    Examples
    --------
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


def check_filters(arch: Architecture, filters) -> tuple[np.ndarray, ...]:
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


def _place(arch: Architecture, i: int, w, dtype) -> np.ndarray:
    out = np.zeros(arch.end_format, dtype=dtype)
    off = offsets(arch)[i]
    out[tuple(off.T)] = np.ravel(w)
    return out


def _combine(arch: Architecture, acc: np.ndarray, i: int, w) -> np.ndarray:
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


def end_to_end(arch: Architecture, filters) -> np.ndarray:
    """The end-to-end filter ``μ(w_1, ..., w_L)`` (an array of ``arch.end_format``).

    Examples
    --------
    >>> end_to_end(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]]).tolist()
    [3.0, 6.0, 4.0, 8.0]
    >>> end_to_end(Architecture((2, 2)), [[1.0, 2.0], [3.0, 4.0]]).tolist()
    [3.0, 10.0, 8.0]
    """
    ws = check_filters(arch, filters)
    dtype = np.result_type(*ws, float)
    acc = _place(arch, 0, ws[0], dtype)
    for i in range(1, arch.layers):
        acc = _combine(arch, acc, i, ws[i])
    return acc


def _all_but(arch: Architecture, ws, i: int) -> np.ndarray:
    dtype = np.result_type(*ws, float)
    acc = np.zeros(arch.end_format, dtype=dtype)
    acc[(0,) * arch.axes] = 1
    for m in range(arch.layers):
        if m != i:
            acc = _combine(arch, acc, m, ws[m])
    return acc


def end_to_end_jacobian(arch: Architecture, filters) -> np.ndarray:
    """Jacobian of ``μ`` at ``filters``: shape ``(size, Σ weights)``, rows the
    flattened end-to-end filter, columns the flattened filters, layer 1 first.

    Examples
    --------
    >>> J = end_to_end_jacobian(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]])
    >>> J.shape, int(np.linalg.matrix_rank(J))
    ((4, 4), 3)
    """
    ws = check_filters(arch, filters)
    cols = []
    for i in range(arch.layers):
        rest = _all_but(arch, ws, i)
        for off in offsets(arch)[i]:
            shifted = np.zeros(arch.end_format, dtype=rest.dtype)
            src = tuple(slice(0, int(n - o)) for n, o in zip(arch.end_format, off))
            dst = tuple(slice(int(o), int(n)) for n, o in zip(arch.end_format, off))
            shifted[dst] = rest[src]
            cols.append(shifted.ravel())
    return np.stack(cols, axis=1)


def convolution_matrix(w, in_shape, stride: int = 1) -> np.ndarray:
    """The matrix of ``x ↦ y``, ``y[r] = Σ_j w[j] x[stride · r + j]`` (no
    padding; ``r`` and ``j`` multi-indices in D dimensions), on flattened
    (C order) inputs and outputs.

    Examples
    --------
    >>> convolution_matrix(np.array([1.0, 2.0]), (5,), stride=2).tolist()
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


def layer_matrix(arch: Architecture, i: int, w, in_shape) -> np.ndarray:
    """Matrix of layer ``i`` (0-based) with filter ``w`` on inputs of ``in_shape``:
    ``(W_i)[r, s_i r + j] = w_i[j]`` (MATH.md §9; per axis in D dimensions).

    Examples
    --------
    >>> layer_matrix(Architecture((2, 2), (2, 1)), 0, [1.0, 2.0], 5).shape
    (2, 5)
    """
    f = arch.formats[i]
    return convolution_matrix(np.asarray(w).reshape(f), in_shape, arch.strides[i])


def network_matrix(arch: Architecture, filters, d0) -> np.ndarray:
    """The product ``W_L ⋯ W_1`` of the layers' matrices on inputs of size ``d0``.

    Examples
    --------
    >>> network_matrix(Architecture((2, 2), (2, 1)), [[1.0, 2.0], [3.0, 4.0]], 5).tolist()
    [[3.0, 6.0, 4.0, 8.0, 0.0]]
    """
    ws = check_filters(arch, filters)
    sizes = arch.layer_sizes(d0)
    shapes = sizes if arch.axes > 1 else tuple((n,) for n in sizes)
    M = None
    for i, w in enumerate(ws):
        Wi = layer_matrix(arch, i, w, shapes[i])
        M = Wi if M is None else Wi @ M
    return M


def windows(arch: Architecture, X) -> np.ndarray:
    """The input windows the end-to-end filter sees: ``out[n, r, j] = x_n[S r + j]``
    (1-D, ``S`` the end-to-end stride) or ``x_n[r + j]`` (D dimensions, ``r``, ``j``
    multi-indices, flattened), so that the network's output is ``out[n] @ w.ravel()``.

    Examples
    --------
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
