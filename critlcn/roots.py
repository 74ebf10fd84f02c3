"""Roots of binary forms, root clustering, the real root multiplicity pattern
(rrmp) of a numerical form, and factoring a form whose rrmp is known
(docs/math.md, "Roots and multiplicity patterns").

This is the one place where roots of forms are computed (`form_roots`) and
grouped into multiple roots. A root ``(x : y)`` of a form is reported as the
complex number ``z = x / y`` (``inf`` for ``(1 : 0)``, which appears when
leading coefficients vanish); distances between roots are chordal distances
on the projective line.

Three classifiers answer different questions, so all three are kept:

- `rrmp_of_form`: a form known to rounding accuracy (a solver's output); the
  coarsest clustering whose structured fit ``a Π (z − r_k)^{m_k}`` reproduces
  the coefficients to ``tol`` wins.
- `rrmp_of_near_form` / `rrmp_of_limit`: a form known only to some accuracy
  (a gradient-descent limit), classified by chordal tolerances, or from the
  well-conditioned roots of its layer filters.
- `rrmp_of_factors`: a form given as ``Π f_m^m`` with simple-rooted
  factors (a solution in a stratum's chart): no clustering at all, each
  factor's roots are classified as real or conjugate.
- `factor_form`: the rrmp is known (the stratum of a critical point); the roots
  are grouped into exactly that many clusters and fitted.

Convention: coefficient ``j`` of a form of degree ``d`` multiplies
``x^{d-j} y^j``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from critlcn.convolution import convolve
from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP

__all__ = [
    "form_from_roots",
    "form_roots",
    "rotate_form",
    "well_placed_angle",
    "chordal",
    "closest_pair",
    "min_root_separation",
    "root_clusters",
    "rrmp_of_form",
    "rrmp_of_factors",
    "real_factor",
    "cluster_roots",
    "rrmp_of_roots",
    "rrmp_of_limit",
    "rrmp_of_near_form",
    "Factorisation",
    "factor_form",
    "FACTOR_TOL",
    "LIMIT_ROOT_TOL",
]

#: Leading coefficients below this times the norm of a form count as zero
#: (roots at infinity).
LEADING_ZERO = 1e-14


def form_roots(w) -> np.ndarray:
    """All ``deg`` roots ``z = x / y`` of the binary form ``π(w)`` (real or
    complex coefficients) with multiplicity, ``inf`` for each leading
    coefficient below ``1e-14 ‖w‖``.

    Examples
    --------
    >>> form_roots([0.0, 1.0, -1.0])   # y (x - y)
    array([ 1.+0.j, inf+0.j])
    >>> form_roots([3.0])
    array([], dtype=complex128)
    """
    w = np.asarray(w)
    if w.ndim != 1 or w.size == 0:
        raise CritlcnError(f"a form must be a non-empty 1-D array of coefficients, got shape {w.shape}")
    if not np.issubdtype(w.dtype, np.complexfloating):
        w = w.astype(float)
    if w.size == 1:
        return np.zeros(0, dtype=complex)
    n = np.linalg.norm(w)
    if not (n > 0 and np.isfinite(n)):
        raise CritlcnError("cannot find the roots of a zero or non-finite form")
    lead = np.flatnonzero(np.abs(w) > LEADING_ZERO * n)[0]
    finite = _poly_roots(w[lead:]).astype(complex) if w.size - lead > 1 else np.zeros(0, complex)
    return np.concatenate([finite, np.full(lead, np.inf, dtype=complex)])


def _poly_roots(p: np.ndarray) -> np.ndarray:
    """`numpy.roots` of a 1-D float or complex array, by its own steps
    (eigenvalues of the same companion matrix) without its generic input
    handling: it runs once per factor of every end point."""
    nz = np.flatnonzero(p)
    if nz.size == 0:
        return np.array([])
    trailing = p.size - int(nz[-1]) - 1
    p = p[int(nz[0]):int(nz[-1]) + 1]
    N = p.size
    if N > 1:
        A = np.diag(np.ones((N - 2,), p.dtype), -1)
        A[0, :] = -p[1:] / p[0]
        roots = np.linalg.eigvals(A)
    else:
        roots = np.array([])
    return np.concatenate([roots, np.zeros(trailing, roots.dtype)]) if trailing else roots


def well_placed_angle(w, *, steps: int = 24) -> float:
    """The rotation angle (among ``steps`` equally spaced in ``[0, π)``) whose
    rotated form `rotate_form` has the largest end coefficients.

    Large end coefficients keep every root away from ``0`` and ``∞`` in the
    affine chart, where `form_roots` and the structured fits are well posed.

    Examples
    --------
    >>> theta = well_placed_angle([0.0, 1.0, 0.0])   # x y: roots 0 and inf
    >>> v = rotate_form([0.0, 1.0, 0.0], theta)
    >>> bool(min(abs(v[0]), abs(v[-1])) > 0.4)
    True
    """
    w = np.asarray(w, dtype=float)
    best, best_score = 0.0, -1.0
    thetas = np.linspace(0.0, np.pi, steps, endpoint=False)
    for theta, v in zip(thetas, _rotate_forms(w, thetas)):
        score = min(abs(v[0]), abs(v[-1])) / np.linalg.norm(v)
        if score > best_score:
            best, best_score = theta, score
    return float(best)


def min_root_separation(forms) -> float:
    """Smallest chordal distance between roots of the forms ``forms`` (roots of
    one form and of different forms alike; ``0`` when a form is zero or not
    finite).

    Examples
    --------
    >>> round(min_root_separation([[1.0, -1.0], [1.0, 1.0]]), 12)   # roots 1 and -1
    1.0
    >>> min_root_separation([[1.0, -2.0, 1.0]])                       # double root
    0.0
    """
    roots = []
    for f in forms:
        f = np.asarray(f)
        if not np.all(np.isfinite(f)) or np.linalg.norm(f) == 0:
            return 0.0
        roots.append(form_roots(f))
    z = np.concatenate(roots) if roots else np.zeros(0, complex)
    if z.size < 2:
        return float(np.inf)
    D = chordal(z[:, None], z[None, :])
    return float(np.min(D[np.triu_indices(z.size, 1)]))
def form_from_roots(roots, *, scale=1.0) -> np.ndarray:
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
    out = convolve(np.array([1.0]), *factors)
    return scale * out


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
    return _rotate_forms(w, np.array([theta], dtype=float))[0]


def _times_linear(term: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows of ``term`` (T, k) each convolved with its ``(a_t, b_t)``:
    entry ``i`` is ``term[i] a + term[i − 1] b``, the two products added in
    the order `numpy.convolve` adds them, so the result is the same."""
    T, k = term.shape
    out = np.empty((T, k + 1))
    out[:, 0] = term[:, 0] * a
    out[:, k] = term[:, k - 1] * b
    out[:, 1:k] = term[:, 1:] * a[:, None] + term[:, :-1] * b[:, None]
    return out


def _rotate_forms(w, thetas) -> np.ndarray:
    """`rotate_form` of ``w`` for every angle of ``thetas`` at once: (T, d + 1)."""
    w = np.asarray(w, dtype=float)
    d = w.size - 1
    thetas = np.asarray(thetas, dtype=float)
    # scalar cos and sin, as `rotate_form` always took them (numpy's array
    # versions may differ in the last bit)
    c = np.array([np.cos(t) for t in thetas])
    s = np.array([np.sin(t) for t in thetas])
    T = thetas.size
    # term j is w_j (c z - s)^(d-j) (s z + c)^j in z = X / Y, highest power
    # first, multiplied out factor by factor, (c z - s) first: all d + 1
    # terms and all angles advance together, row (j, t) at index j T + t
    term = np.repeat(w, T)[:, None]
    for step in range(d):
        first = np.repeat(step < d - np.arange(d + 1), T)
        term = _times_linear(term, np.where(first, np.tile(c, d + 1), np.tile(s, d + 1)),
                             np.where(first, np.tile(-s, d + 1), np.tile(c, d + 1)))
    out = np.zeros((T, d + 1))
    for j in range(d + 1):
        out += term[j * T:(j + 1) * T]
    return out


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


def _root_powers(rk, m: int) -> tuple:
    """``(np.poly(np.full(m, rk)), np.poly(np.full(m − 1, rk)))`` (``m ≥ 1``;
    the second ``None`` for ``m = 1``) from one chain of the products numpy
    forms: ``(z − r_k)^m`` and ``(z − r_k)^{m−1}``, real (as numpy makes
    them) when ``r_k`` is its own conjugate."""
    zero = np.complex128(rk)
    factor = np.array([1, -zero], dtype=complex)
    a, below = np.ones((1,), dtype=complex), None
    for _ in range(m):
        below = a
        a = np.convolve(a, factor, mode="full")
    if zero == zero.conjugate():
        a, below = a.real.copy(), below.real.copy()
    return a, (below if m > 1 else None)


def _fit(coef: np.ndarray, centres: np.ndarray, mult: list[int], iters: int = 12):
    """Gauss-Newton fit of ``a · Π (z - r_k)^{m_k}`` to ``coef``; returns the
    refined centres and the relative residual."""
    coef = coef.astype(complex)
    r = centres.astype(complex).copy()
    norm = np.linalg.norm(coef)

    def powers(rr):
        # (z - r_k)^{m_k} and (z - r_k)^{m_k - 1} for every k, computed once
        # per iterate and shared by the model and every column of its Jacobian
        return [_root_powers(rk, m) for rk, m in zip(rr, mult)]

    def model(rr, pw=None):
        return convolve(np.array([1.0 + 0j]), *[p for p, _ in (powers(rr) if pw is None else pw)])

    best = (r.copy(), np.inf)
    for _ in range(iters):
        both = powers(r)
        pw = [p for p, _ in both]
        base = model(r, both)
        scale = np.vdot(base, coef) / np.vdot(base, base)
        res = scale * base - coef
        rel = np.linalg.norm(res) / norm
        if rel < best[1]:
            best = (r.copy(), rel)
        if rel < 1e-15:
            break
        cols = [base]
        for k, (rk, m) in enumerate(zip(r, mult)):
            others = [p for i, p in enumerate(pw) if i != k]
            part = convolve(np.array([1.0 + 0j]), *others)
            dk = -m * convolve(both[k][1] if m > 1 else np.array([1.0 + 0j]), part)
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


def root_clusters(w, *, tol: float = 1e-10):
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
    v = rotate_form(w / np.linalg.norm(w), well_placed_angle(w))
    roots = form_roots(v)
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


def rrmp_of_form(w, *, tol: float = 1e-10, imag_tol: float = 1e-6) -> RRMP:
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



def real_factor(f) -> np.ndarray:
    """The real unit-norm form of which ``f`` (complex coefficients) is a
    complex multiple: the chart's factors of a real critical filter are such
    multiples, up to rounding.

    Examples
    --------
    >>> np.round(real_factor(np.array([1.0, -2.0]) * (3 - 4j)), 6)   # its largest coefficient positive
    array([-0.447214,  0.894427])
    """
    f = np.asarray(f, dtype=complex)
    k = int(np.argmax(np.abs(f)))
    g = (f * (np.conj(f[k]) / abs(f[k]))).real
    return g / np.linalg.norm(g)


def rrmp_of_factors(factors, *, imag_tol: float = 1e-6) -> RRMP:
    """The rrmp of the real form ``Π f_m^m`` from its factors ``[(m, f_m)]``
    (complex coefficients allowed: a chart's factors of a real form), each
    ``f_m`` with simple roots.

    A solver's point lies in a stratum's chart, whose factors have simple,
    well-separated roots; expanding them and clustering the roots of the
    product instead turns a root of multiplicity 7 into a ring of radius
    ``eps^(1/7)`` that can fail to pair up (realistic data, d = 10).
    Each ``f_m`` is first made real (`real_factor`), so its roots come from a
    real eigenvalue problem: real ones exactly real, the others in exact
    conjugate pairs, wherever they are on the projective line (the roots of
    the complex ``f_m`` had imaginary parts of rounding size times ``|z|²``:
    ``2.6e-6 (1 + |z|)`` at a real root ``z ≈ −10 032``, realistic data,
    d = 10). A root counts as real within ``imag_tol`` relative to
    ``1 + |z|``, so two real roots of one factor that nearly meet and come
    out as a conjugate pair count as real; a conjugate pair counts once in
    ``gamma``.

    Examples
    --------
    >>> f2 = np.array([1.0, 0.0, 1.0]) * (2 + 1j)       # x^2 + y^2 (roots ±i), a complex multiple
    >>> f1 = np.array([1.0, -1.0, -2.0]) * 1j           # (x - 2y)(x + y)
    >>> str(rrmp_of_factors([(3, f2), (1, f1)]))
    '11|3'
    """
    rho, gamma = [], []
    for m, f in factors:
        z = form_roots(real_factor(f))
        zf = np.where(np.isfinite(z), z, 0)  # a root at infinity is real
        real = int(np.sum(~np.isfinite(z) | (np.abs(zf.imag) <= imag_tol * (1.0 + np.abs(zf)))))
        rho += [m] * real
        gamma += [m] * ((len(z) - real) // 2)  # exact conjugate pairs: the eigenvalues of a real matrix
    return RRMP(tuple(rho), tuple(gamma))


# ---------------------------------------------------------------------------
# forms known to some accuracy: chordal tolerances

#: Chordal distance under which layer roots of a limit count as one root.
LIMIT_ROOT_TOL = 1e-4


def chordal(z1, z2):
    """Chordal distance on the projective line between roots ``z = x / y``
    (``inf`` allowed); broadcasts.

    Examples
    --------
    >>> print(float(chordal(0.0, np.inf)), round(float(chordal(1.0, -1.0)), 12))
    1.0 1.0
    """
    z1 = np.asarray(z1, dtype=complex)
    z2 = np.asarray(z2, dtype=complex)
    i1, i2 = np.isinf(z1), np.isinf(z2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a1 = np.where(i1, 0, z1)
        a2 = np.where(i2, 0, z2)
        fin = np.abs(a1 - a2) / np.sqrt((1 + np.abs(a1) ** 2) * (1 + np.abs(a2) ** 2))
        inf1 = 1 / np.sqrt(1 + np.abs(a2) ** 2)
        inf2 = 1 / np.sqrt(1 + np.abs(a1) ** 2)
    out = np.where(i1 & i2, 0.0, np.where(i1, inf1, np.where(i2, inf2, fin)))
    return out


def cluster_roots(roots, tol: float) -> list[list[int]]:
    """Single-linkage clusters (lists of indices) of ``roots`` at chordal
    distance ``tol``.

    Examples
    --------
    >>> cluster_roots([1.0, 1.0 + 1e-9, 2.0], 1e-6)
    [[0, 1], [2]]
    """
    z = np.asarray(roots, dtype=complex)
    n = z.size
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n:
        D = chordal(z[:, None], z[None, :])
        for a, b in zip(*np.nonzero(np.triu(D <= tol, 1))):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [groups[k] for k in sorted(groups)]


def _dendrogram_clusters(z: np.ndarray, radius) -> list[list[int]]:
    """Top-down cut of the single-linkage dendrogram (chordal distance): a
    subtree of ``m`` roots is one root when its merge height is at most
    ``radius(m)``, otherwise its two branches are cut further."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    n = z.size
    if n <= 1:
        return [list(range(n))]
    D = chordal(z[:, None], z[None, :])
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    Z = linkage(squareform(D, checks=False), method="single")
    members = {i: [i] for i in range(n)}
    for j, (a, b, _, _) in enumerate(Z):
        members[n + j] = members[int(a)] + members[int(b)]
    out = []
    stack = [2 * n - 2]
    while stack:
        node = stack.pop()
        if node < n:
            out.append(members[node])
            continue
        a, b, h, m = Z[node - n]
        if h <= radius(int(m)):
            out.append(members[node])
        else:
            stack += [int(a), int(b)]
    return sorted((sorted(c) for c in out), key=lambda c: c[0])


def rrmp_of_roots(roots, tol: float, *, accuracy: float = 0.0) -> RRMP:
    """rrmp of the real form with these roots (with multiplicity).

    ``m`` roots count as one root of multiplicity ``m`` when they are joined
    (single linkage, chordal distance) at a distance of at most
    ``max(tol, 10 · accuracy^{1/m})``: a root of multiplicity ``m`` of a form
    known to relative accuracy ``accuracy`` splits by about
    ``accuracy^{1/m}``. A cluster is real when it contains its own conjugates.

    Examples
    --------
    >>> str(rrmp_of_roots([1.0, 1.0 + 1e-7j, 1.0 - 1e-7j, 2 + 1j, 2 - 1j], 1e-5))
    '3|1'
    """
    z = np.asarray(roots, dtype=complex)

    def radius(m: int) -> float:
        return max(tol, 10 * accuracy ** (1.0 / m)) if accuracy > 0 else tol

    groups = _dendrogram_clusters(z, radius)
    where = {}
    for g, members in enumerate(groups):
        for i in members:
            where[i] = g
    rho, gamma = [], []
    paired = set()
    for g, members in enumerate(groups):
        if g in paired:
            continue
        conj = np.conj(z[members[0]])
        dist = chordal(conj, z)
        partner = where[int(np.argmin(dist))]
        if dist.min() > radius(len(members)):
            raise CritlcnError("the roots do not come in conjugate pairs at this tolerance: the form is not real")
        if partner == g:
            rho.append(len(members))
        else:
            if len(groups[partner]) != len(members):
                raise CritlcnError("conjugate root clusters of different sizes: loosen or tighten the tolerance")
            gamma.append(len(members))
            paired.add(partner)
        paired.add(g)
    return RRMP(tuple(rho), tuple(gamma))


def rrmp_of_limit(filters: Sequence, *, tol: float = LIMIT_ROOT_TOL) -> RRMP:
    """rrmp of the end-to-end filter of a gradient-descent limit, from the
    roots of its layer filters (roots of different layers within chordal
    distance ``tol`` are one root of the product).

    Examples
    --------
    >>> w1 = form_from_roots([1.0, 2.0, 3.0])
    >>> w2 = form_from_roots([3.0 + 1e-8])
    >>> str(rrmp_of_limit([w1, w2]))
    '112|0'
    """
    roots = np.concatenate([form_roots(f) for f in filters])
    return rrmp_of_roots(roots, tol)


def rrmp_of_near_form(w, *, tol: float = 1e-4, accuracy: float = 1e-13) -> RRMP:
    """rrmp of an end-to-end form whose multiple roots may be slightly split.

    Roots within chordal distance ``tol`` count as one; a cluster of ``m``
    roots also when it is within ``10 · accuracy^{1/m}``, the splitting of an
    ``m``-fold root of a form known to relative accuracy ``accuracy``
    (rounding: about 1e-13; a gradient-descent limit: its relative gradient).
    Distinct roots must be farther apart than these radii.

    Examples
    --------
    >>> str(rrmp_of_near_form(form_from_roots([1.0, 1.0 + 1e-7, -0.5, 2.0])))
    '112|0'
    >>> str(rrmp_of_near_form(form_from_roots([0.5] * 5 + [-1.0])))
    '15|0'
    """
    w = np.asarray(w, dtype=float)
    n = np.linalg.norm(w)
    return rrmp_of_roots(form_roots(w / n), tol, accuracy=accuracy)



# ---------------------------------------------------------------------------
# factoring a real form with a known rrmp

#: Relative residual a structured factorisation must reach to be accepted.
FACTOR_TOL = 1e-8


@dataclass(frozen=True)
class Factorisation:
    """``π(w) = scale · Π_c factor_c^{m_c}`` with one unit-norm real factor
    (linear or irreducible quadratic) per colour, in the order of
    `critlcn.compatibility.colours` (real roots by ascending multiplicity, then
    conjugate pairs).

    ``residual`` is ``‖w − product‖ / ‖w‖``.
    """

    rrmp: RRMP
    scale: float
    factors: tuple[tuple[float, ...], ...]
    residual: float

    def product(self) -> np.ndarray:
        """The reassembled filter ``scale · Π factor^m``."""
        out = np.array([self.scale])
        for m, f in zip(self.rrmp.rho + self.rrmp.gamma, self.factors):
            for _ in range(m):
                out = convolve(out, f)
        return out


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
            p = convolve(p, f)
        powers.append(p)
    full = np.array([1.0])
    for p in powers:
        full = convolve(full, p)
    cols = [full]
    for i, (f, m) in enumerate(zip(bases, mults)):
        rest = np.array([1.0])
        for j, p in enumerate(powers):
            if j != i:
                rest = convolve(rest, p)
        lower = np.array([1.0])
        for _ in range(m - 1):
            lower = convolve(lower, f)
        common = c * m * convolve(rest, lower)
        if f.size == 2:
            cols.append(convolve(common, [0.0, -1.0]))
        else:
            cols.append(convolve(common, [0.0, 1.0, 0.0]))
            cols.append(convolve(common, [0.0, 0.0, 1.0]))
    return c * full, np.stack(cols, axis=1)


def _factor_roots(factors, theta: float):
    """The distinct roots of ``Π f_m^m`` with multiplicities, ``[(z, m)]``, in
    the chart rotated by ``theta``: the roots of each real-made ``f_m``,
    with conjugates exact; ``None`` if one is not finite there."""
    out = []
    for m, f in factors:
        z = form_roots(rotate_form(real_factor(f), theta))
        if not np.all(np.isfinite(z)):
            return None
        out += [(complex(x), int(m)) for x in z]
    return out


def factor_form(w, r: RRMP, *, factors=None) -> Factorisation:
    """Factor the real form ``π(w)`` into the distinct factors of its rrmp ``r``.

    The roots (in a rotated chart that keeps them finite) are clustered to the
    known number of distinct roots, matched to the multiplicities of ``r``,
    and refined by a structured Gauss–Newton fit, so repeated roots come out
    exactly repeated. With ``factors`` (``[(m, f_m)]``, simple-rooted, as a
    solver's chart gives them: `critlcn.results.CriticalPoint.factors`) the
    distinct roots are those of the ``f_m`` instead, and no clustering is
    needed: a 7-fold root's ring of radius ``eps^(1/7)`` can take in a simple
    root nearby, and clustering the roots of ``w`` then fails (realistic data,
    d = 10, rrmp ``1117|0``: 7 of 10 perturbations of ``w`` by 1e-13).

    Raises `CritlcnError` when ``w`` does not have rrmp ``r`` to the accuracy
    `FACTOR_TOL`.

    Examples
    --------
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
    theta = well_placed_angle(w / norm)
    v = rotate_form(w / norm, theta)
    known = _factor_roots(factors, theta) if factors is not None else None
    if known is not None and sorted(m for _, m in known) == sorted(r.rho + 2 * r.gamma):
        cents = np.array([z for z, _ in known])
        sizes = [m for _, m in known]
    else:
        clusters = _cluster_roots(form_roots(v), len(r.rho) + 2 * len(r.gamma))
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
    assert list(r.rho) + list(r.gamma) == rho_m + gamma_m
    return Factorisation(r, out.scale, out.factors, residual)

