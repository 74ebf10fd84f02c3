"""Filters as binary forms: convolution, Toeplitz layers, roots and the real
root multiplicity pattern of a numerical form (MATH.md §1, §2).

Convention: a filter ``v ∈ R^n`` is the binary form
``π(v) = Σ_j v[j] x^{n-1-j} y^j``. A root ``(x : y)`` of a form is reported as
the complex number ``z = x / y`` (``inf`` for the root ``(1 : 0)``, which
appears when the leading coefficient vanishes).
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP

__all__ = [
    "convolve",
    "end_to_end",
    "toeplitz",
    "form_from_roots",
    "form_roots",
    "rotate_form",
    "closest_pair",
    "root_clusters",
    "rrmp_of_form",
]


def _as_filter(w) -> np.ndarray:
    arr = np.asarray(w)
    if arr.ndim != 1 or arr.size == 0:
        raise CritlcnError(f"a filter must be a non-empty 1-D array of numbers, got shape {arr.shape}")
    return arr


def convolve(*filters) -> np.ndarray:
    """Full convolution ``w_1 * w_2 * ...``: the product of the binary forms.

    Examples
    --------
    >>> convolve([1.0, 1.0], [1.0, -1.0])      # (x + y)(x - y) = x^2 - y^2
    array([ 1.,  0., -1.])
    """
    if not filters:
        raise CritlcnError("convolve needs at least one filter")
    return reduce(np.convolve, (_as_filter(f) for f in filters))


def end_to_end(layer_filters) -> np.ndarray:
    """End-to-end filter ``w = w_L * ... * w_1`` of a stride-one LCN.

    ``layer_filters`` lists ``w_1`` (applied first) to ``w_L``.

    Examples
    --------
    >>> end_to_end([[1.0, 2.0], [3.0, 0.0, 1.0]])
    array([3., 6., 1., 2.])
    """
    layer_filters = list(layer_filters)
    return convolve(*reversed(layer_filters))


def toeplitz(w, d_in: int) -> np.ndarray:
    """The layer matrix ``W ∈ R^{(d_in - k + 1) × d_in}`` with ``W[r, r + j] = w[j]``.

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


def form_from_roots(roots, scale=1.0) -> np.ndarray:
    """Coefficients of ``scale · Π (x - z y)`` over ``z`` in ``roots``
    (a root ``inf`` contributes the factor ``y``).

    Examples
    --------
    >>> form_from_roots([1.0, -1.0])
    array([ 1.,  0., -1.])
    >>> form_from_roots([np.inf, 2.0], scale=3.0)   # 3 y (x - 2y)
    array([ 0.,  3., -6.])
    """
    roots = np.atleast_1d(np.asarray(roots))
    factors = [np.array([0.0, 1.0]) if np.isinf(z) else np.array([1.0, -z]) for z in roots]
    out = reduce(np.convolve, factors, np.array([1.0]))
    return scale * out


def form_roots(w) -> np.ndarray:
    """All ``deg`` roots ``z = x / y`` of the binary form ``π(w)`` with
    multiplicity, ``inf`` for each vanishing leading coefficient.

    Examples
    --------
    >>> form_roots([0.0, 1.0, -1.0])   # y (x - y)
    array([ 1.+0.j, inf+0.j])
    """
    w = _as_filter(w)
    if not np.any(w):
        raise CritlcnError("the zero form has no well-defined roots")
    lead = np.flatnonzero(w)[0]
    finite = np.roots(w[lead:]).astype(complex)
    return np.concatenate([finite, np.full(lead, np.inf, dtype=complex)])


def rotate_form(w, theta: float) -> np.ndarray:
    """Coefficients of ``π(w)`` after the real rotation
    ``(x, y) = (cos θ X - sin θ Y, sin θ X + cos θ Y)``.

    Real rotations of the projective line keep real roots real and complex
    roots complex, so the rrmp is unchanged; they are used to move roots away
    from infinity.

    Examples
    --------
    >>> np.round(rotate_form([0.0, 1.0], np.pi / 2), 12)   # y -> X
    array([1., 0.])
    """
    w = np.asarray(w, dtype=float)
    d = w.size - 1
    c, s = np.cos(theta), np.sin(theta)
    out = np.zeros(d + 1)
    for j, wj in enumerate(w):
        # (c z - s)^(d-j) (s z + c)^j in z = X / Y, highest power first
        term = np.array([wj])
        for _ in range(d - j):
            term = np.convolve(term, [c, -s])
        for _ in range(j):
            term = np.convolve(term, [s, c])
        out += term
    return out


def _fit(coef: np.ndarray, centres: np.ndarray, mult: list[int], iters: int = 12):
    """Gauss-Newton fit of ``a · Π (z - r_k)^{m_k}`` to ``coef``; returns the
    refined centres and the relative residual."""
    coef = coef.astype(complex)
    r = centres.astype(complex).copy()
    norm = np.linalg.norm(coef)

    def model(rr):
        return reduce(np.convolve, [np.poly(np.full(m, rk)) for rk, m in zip(rr, mult)], np.array([1.0 + 0j]))

    best = (r.copy(), np.inf)
    for _ in range(iters):
        base = model(r)
        scale = np.vdot(base, coef) / np.vdot(base, base)
        res = scale * base - coef
        rel = np.linalg.norm(res) / norm
        if rel < best[1]:
            best = (r.copy(), rel)
        if rel < 1e-15:
            break
        cols = [base]
        for k, (rk, m) in enumerate(zip(r, mult)):
            others = [np.poly(np.full(mm, rr)) for i, (rr, mm) in enumerate(zip(r, mult)) if i != k]
            part = reduce(np.convolve, others, np.array([1.0 + 0j]))
            dk = -m * np.convolve(np.poly(np.full(m - 1, rk)) if m > 1 else np.array([1.0 + 0j]), part)
            cols.append(scale * np.concatenate([np.zeros(base.size - dk.size), dk]))
        jac = np.stack(cols, axis=1)
        step, *_ = np.linalg.lstsq(jac, -res, rcond=None)
        r = r + step[1:]
        if np.linalg.norm(step[1:]) <= 1e-15 * (1 + np.linalg.norm(r)):
            break
    base = model(r)
    scale = np.vdot(base, coef) / np.vdot(base, base)
    rel = np.linalg.norm(scale * base - coef) / norm
    if rel < best[1]:
        best = (r.copy(), rel)
    return best


def _well_placed(w: np.ndarray) -> np.ndarray:
    # Pick, among a fixed set of angles, the rotation whose end coefficients
    # are largest, so no root sits near infinity and np.roots is well posed.
    best, best_score = w, -1.0
    for theta in np.linspace(0.0, np.pi, 13)[:-1]:
        v = rotate_form(w, theta)
        score = min(abs(v[0]), abs(v[-1])) / np.linalg.norm(v)
        if score > best_score:
            best, best_score = v, score
    return best


def closest_pair(centres) -> tuple[float, int, int]:
    """The two closest of ``centres`` (complex numbers, at least two) in the
    relative distance ``|a − b| / (1 + min(|a|, |b|))``: ``(distance, i, j)``.

    Examples
    --------
    >>> dist, i, j = closest_pair([0.0, 5.0, 5.1, 1.0])
    >>> round(dist, 6), i, j
    (0.016667, 1, 2)
    """
    best = None
    for a in range(len(centres)):
        for b in range(a + 1, len(centres)):
            dist = abs(centres[a] - centres[b]) / (1.0 + min(abs(centres[a]), abs(centres[b])))
            if best is None or dist < best[0]:
                best = (float(dist), a, b)
    return best


def root_clusters(w, tol: float = 1e-10):
    """Distinct roots of ``π(w)`` with multiplicities, in a rotated affine chart.

    Roots are clustered hierarchically (closest pair first); the coarsest
    clustering whose structured least-squares fit ``a Π (z - r_k)^{m_k}``
    reproduces the coefficients to relative accuracy ``tol`` wins. Returned
    centres are in the coordinate of the rotated form (real roots stay real).

    Returns
    -------
    list of (complex, int)

    Examples
    --------
    >>> sorted(m for _, m in root_clusters([1.0, -2.0, 1.0]))     # (x - y)^2
    [2]
    """
    w = np.asarray(w, dtype=float)
    if w.ndim != 1 or w.size < 2:
        raise CritlcnError("a form of degree >= 1 is needed to classify roots")
    if not np.all(np.isfinite(w)) or not np.any(w):
        raise CritlcnError("cannot classify the roots of a zero or non-finite form")
    v = _well_placed(w / np.linalg.norm(w))
    roots = np.roots(v)
    clusters = [[z] for z in roots]
    mult = [1] * len(roots)
    centres = np.array(roots, dtype=complex)
    chosen = (centres.copy(), list(mult))
    d = len(roots)
    while len(clusters) > 1:
        # merge the two closest cluster centres
        dist, a, b = closest_pair(centres)
        # an m-fold root known to accuracy tol splits by about tol^(1/m):
        # clusters farther apart than that for any m <= d cannot be one root
        if dist > 10 * tol ** (1.0 / d):
            break
        merged = clusters[a] + clusters[b]
        clusters = [c for i, c in enumerate(clusters) if i not in (a, b)] + [merged]
        mult = [len(c) for c in clusters]
        start = np.array([np.mean(c) for c in clusters])
        if dist > 10 * tol ** (1.0 / len(merged)):
            centres = start  # too far apart for this multiplicity: skip the fit, keep merging
            continue
        refined, rel = _fit(v, start, mult)
        centres = refined
        if rel <= tol:
            chosen = (refined.copy(), list(mult))
    return list(zip(chosen[0], chosen[1]))


def rrmp_of_form(w, tol: float = 1e-10, imag_tol: float = 1e-6) -> RRMP:
    """The real root multiplicity pattern of the real binary form ``π(w)``.

    Parameters
    ----------
    w : array_like
        Real coefficients, ``w[j]`` multiplying ``x^{d-j} y^j``.
    tol : float
        Relative accuracy a multiplicity structure must reproduce ``w`` to;
        roots much closer than about ``tol ** 0.25`` are treated as one multiple root.
    imag_tol : float
        A root ``z`` counts as real when ``|Im z| <= imag_tol · (1 + |z|)``.

    Examples
    --------
    >>> str(rrmp_of_form(form_from_roots([1.0, 1.0, -2.0, 0.5])))
    '112|0'
    >>> str(rrmp_of_form([1.0, 0.0, 2.0, 0.0, 1.0]))           # (x^2 + y^2)^2
    '0|2'
    >>> str(rrmp_of_form([0.0, 0.0, 1.0]))                      # y^2: double root at infinity
    '2|0'
    """
    clusters = root_clusters(w, tol=tol)
    rho, upper, lower = [], [], []
    for z, m in clusters:
        if abs(z.imag) <= imag_tol * (1.0 + abs(z)):
            rho.append(m)
        elif z.imag > 0:
            upper.append(m)
        else:
            lower.append(m)
    if sorted(upper) != sorted(lower):
        raise CritlcnError(
            "the roots of this form do not come in conjugate pairs at the given tolerance: "
            "the coefficients are not real or too inaccurate; loosen tol"
        )
    return RRMP(tuple(rho), tuple(upper))
