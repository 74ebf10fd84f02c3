"""Certified solutions: interval proofs that a numerical solution is a true,
isolated, valid (and real or non-real) critical point.

Every system critlcn solves has the shape

    F(v) = G(v)ᵀ (Q w(v) − b) = 0,

with ``w(v)`` a polynomial map to end-to-end filters, ``Q`` and ``b`` the data
of the square loss (MATH.md §5) and ``G`` the matrix of "test directions":
``G = ∂w/∂v`` for the parameter-space equations (MATH.md §9), and for the
stratum equations of MATH.md §6 (``w = c·u(t)``, the ``t`` equations divided
by ``c``) ``G = (u, ∂u/∂t_1, …)``. Its Jacobian is

    ∂F_j/∂v_k = (∂g_j/∂v_k) · (Q w − b) + g_j · Q ∂w/∂v_k,

so a model only supplies ``w``, ``∂w``, ``G`` and ``∂G`` on a box in ball
arithmetic (python-flint's ``acb``; polynomial products in C); the dot
products with ``Q`` are ball matrix products. See `CertModel`.

The proof is Krawczyk's test with ε-inflation (R. Krawczyk 1969; R. Moore
1977; as used by HomotopyContinuation.jl's ``certify``: Breiding, Rose and
Timme, *Certifying zeros of polynomial systems using interval arithmetic*,
ACM TOMS 2023, arXiv 2011.05000): for a box ``X`` around the refined point
``x̃`` and any matrix ``Y`` (here a float inverse of ``F'(x̃)``),

    K(X) = x̃ − Y F(x̃) + (I − Y F'(X)) (X − x̃) ⊂ interior(X)

proves that ``X`` holds exactly one zero of ``F``, non-singular, and that
it lies in ``K(X)``. The data and the chart are floats, hence exact dyadic
rationals, so the proof is rigorous for the system as the solver defines it.

On top of the Krawczyk box a certificate proves, on ``K(X)``:

* **validity** (the model's ``valid``): for the strata, ``c ≠ 0`` and all
  roots of all ``f_m`` pairwise distinct (the discriminant of ``Π_m f_m``
  excludes 0);
* **realness** (real data only): the model's ``conjugate`` maps a solution to
  the chart coordinates of the complex-conjugate filter, again a solution.
  If the image of ``K(X)`` lies inside ``X``, uniqueness in ``X`` forces the
  solution to be its own conjugate: a real filter. If the image misses
  ``K(X)``, the filter is certified non-real. (The charts are complex, so
  plain conjugation of coordinates would prove nothing: Lemma 7.1 of the
  paper above needs a real system.)

Distinct solutions: two certificates whose tight boxes ``K(X)`` are disjoint
hold distinct solutions; when one tight box lies inside the other's ``X``
they are the same solution (counted once, the later marked ``duplicate``).
The *certified count* is the number of distinct certified valid solutions;
as certified solutions are non-singular, it never exceeds the generic count,
and equal to it it proves the solve complete for that data.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint as fl
import numpy as np

from critlcn.endpoints import scaled_condition
from critlcn.errors import CritlcnError

#: Working precisions (bits) tried in turn for each solution: ill-conditioned
#: solutions need more than double precision for the Krawczyk test to close.
PRECISIONS = (53, 128, 256)

__all__ = [
    "PRECISIONS",
    "CertModel",
    "StratumModel",
    "MonomialModel",
    "chart_conjugation",
    "Certificate",
    "CertificationResult",
    "certify",
    "certify_stratum",
]




# ---------------------------------------------------------------------------
# conversions between numpy and balls


_FLOATS = frozenset({float, complex, np.float64, np.complex128, int})


def _acb_exact(z):
    """A ball holding ``z`` exactly (floats) or enclosing it (fractions)."""
    if type(z) in _FLOATS:
        z = complex(z)
        return fl.acb(z.real, z.imag)
    if isinstance(z, Fraction):
        return fl.acb(fl.arb(fl.fmpq(z.numerator, z.denominator)))
    if isinstance(z, tuple) and len(z) == 2:
        return fl.acb(_acb_exact(z[0]).real, _acb_exact(z[1]).real)
    z = complex(z)
    return fl.acb(z.real, z.imag)


def _matrix(rows) -> object:
    return fl.acb_mat([[_acb_exact(v) for v in row] for row in rows])


def _column(values):
    return fl.acb_mat([[v] for v in values])


def _box(center, radius):
    """Balls ``center_i + [−r, r] + i[−r, r]`` (rectangles in ``C``)."""
    return [fl.acb(fl.arb(float(z.real), r), fl.arb(float(z.imag), r)) for z, r in zip(center, radius)]


def _mid(values) -> np.ndarray:
    return np.array([complex(v.mid()) for v in values], dtype=complex)


def _upper(values) -> np.ndarray:
    """Rigorous-enough float upper bounds of ``|v|`` (abs_upper, rounded up)."""
    return np.array([float(v.abs_upper()) for v in values]) * (1 + 2.0**-50)


def _bounds(values, *, inward: bool = False) -> np.ndarray:
    """``(lo_re, hi_re, lo_im, hi_im)`` per ball in floats, rounded outwards
    (a superset: for disjointness) or, with ``inward``, inwards (a subset: for
    containment in a box of uniqueness)."""
    out = np.empty((len(values), 4))
    for i, v in enumerate(values):
        for k, part in enumerate((v.real, v.imag)):
            m, r = float(part.mid()), float(part.rad())
            slack = 2.0**-50 * (abs(m) + r) + 2.0**-1070
            if inward:
                r, slack = max(r - slack, 0.0), 0.0
            out[i, 2 * k] = m - r - slack
            out[i, 2 * k + 1] = m + r + slack
    return out


# ---------------------------------------------------------------------------
# the interface a system implements


class CertModel:
    """A polynomial system ``F(v) = G(v)ᵀ (Q w(v) − b)`` that can be certified.

    Subclasses implement `jet` (and optionally `valid`, `conjugate`). All
    arguments and results are python-flint balls: ``x`` is a list of
    ``acb`` (a box), matrices are ``acb_mat``.

    Attributes
    ----------
    unknowns : int
        Number of unknowns ``n`` (and of equations).
    size : int
        Length ``L`` of ``w``.
    """

    unknowns: int
    size: int

    def jet(self, x):
        """``(w, Dw, G, DG)`` on the box ``x``: ``w`` (L×1), ``Dw = ∂w/∂v``
        (L×n), ``G`` (L×n) and ``DG`` ((n·n)×L) whose row ``j·n + k`` is
        ``∂g_j/∂v_k``; ``DG`` may be ``None`` when ``G`` is constant."""
        raise NotImplementedError

    def valid(self, x) -> bool:
        """True when every point of the box is a valid solution candidate
        (e.g. no colliding roots); the default accepts every point."""
        return True

    def conjugate(self, x):
        """A box holding the coordinates of the conjugate filter of every
        point of ``x`` (a solution maps to a solution for real data), or
        ``None`` when not available."""
        return None


class StratumModel(CertModel):
    """The critical system of a stratum chart (`critlcn.systems.Chart`):
    ``w = c·Π_m f_m^m``, ``f_m = A_m (1, t_m)`` (MATH.md §6).

    Derivatives come from the product rule on the factors: ``∂u/∂t_{m,j} =
    m f_m^{m−1} (A_m e_j) Π_{m'≠m} f_{m'}^{m'}`` and likewise for second
    derivatives, each a product of a few small ``acb_poly``.

    Examples
    --------
    >>> from critlcn.systems import Chart
    >>> model = StratumModel(Chart((1,), (np.eye(2),)))   # w = c (x + t y)
    >>> model.unknowns, model.size
    (2, 2)
    """

    def __init__(self, chart):
        self.chart = chart
        self.groups = chart.groups
        self.unknowns = chart.unknowns
        self.size = chart.degree + 1
        self._A = [_matrix(A) for A in chart.matrices]
        self._inv: dict[int, list] = {}
        # constant polynomials ∂f_m/∂t_{m,j}: column j + 1 of A_m
        self._cols = [[fl.acb_poly([_acb_exact(v) for v in A[:, j + 1]]) for j in range(n)]
                      for (m, n), A in zip(self.groups, chart.matrices)]

    def _factors(self, x):
        out, pos = [], 1
        for (m, n), A in zip(self.groups, self._A):
            a = A * _column([fl.acb(1)] + list(x[pos:pos + n]))
            out.append(fl.acb_poly(a.entries()))
            pos += n
        return out

    def _coeffs(self, p):
        c = p.coeffs()
        return c + [fl.acb(0)] * (self.size - len(c))

    def jet(self, x):
        c = x[0]
        f = self._factors(x)
        G = len(f)
        ms = [m for m, _ in self.groups]
        P = [f[g] ** ms[g] for g in range(G)]

        def prod(skip):
            out = fl.acb_poly([1])
            for g in range(G):
                if g not in skip:
                    out = out * P[g]
            return out

        u = prod(())
        one = fl.acb_poly([1])
        d1 = [ms[g] * (f[g] ** (ms[g] - 1) if ms[g] > 1 else one) * prod((g,)) for g in range(G)]
        # flat index of each t: (group, j)
        idx = [(g, j) for g in range(G) for j in range(self.groups[g][1])]
        du = [self._cols[g][j] * d1[g] for g, j in idx]
        nt = len(idx)
        n = self.unknowns
        zero_row = [fl.acb(0)] * self.size
        DG = [zero_row] * (n * n)
        # row 0 of G is u: ∂u/∂t_k; rows v of G are ∂u/∂t_v: second derivatives
        for k in range(nt):
            DG[0 * n + k + 1] = self._coeffs(du[k])
        d2 = {}
        for g in range(G):
            for h in range(g, G):
                if g == h:
                    if ms[g] > 1:
                        pw = f[g] ** (ms[g] - 2) if ms[g] > 2 else one
                        d2[g, g] = (ms[g] * (ms[g] - 1)) * pw * prod((g,))
                else:
                    a = f[g] ** (ms[g] - 1) if ms[g] > 1 else one
                    bb = f[h] ** (ms[h] - 1) if ms[h] > 1 else one
                    d2[g, h] = (ms[g] * ms[h]) * a * bb * prod((g, h))
        for v in range(nt):
            gv, jv = idx[v]
            for k in range(v, nt):
                gk, jk = idx[k]
                key = (min(gv, gk), max(gv, gk))
                if key not in d2:
                    continue
                row = self._coeffs(self._cols[gv][jv] * self._cols[gk][jk] * d2[key])
                DG[(v + 1) * n + k + 1] = row
                DG[(k + 1) * n + v + 1] = row
        ucol = self._coeffs(u)
        cols = [ucol] + [self._coeffs(p) for p in du]
        Gm = fl.acb_mat([list(r) for r in zip(*cols)])
        Dw = fl.acb_mat([[r[0]] + [c * e for e in r[1:]] for r in zip(*cols)])
        w = _column([c * e for e in ucol])
        return w, Dw, Gm, fl.acb_mat(DG)

    def valid(self, x) -> bool:
        """``c ≠ 0`` and the binary form ``Π_m f_m`` has distinct roots on
        ``P^1`` (its discriminant, as a resultant, excludes 0)."""
        if x[0].contains(0):
            return False
        g = fl.acb_poly([1])
        for f in self._factors(x):
            g = g * f
        coeffs = g.coeffs()
        n = len(self.chart.partition)
        coeffs = coeffs + [fl.acb(0)] * (n + 1 - len(coeffs))
        if n <= 1:
            return not all(a.contains(0) for a in coeffs)
        # a root at y = ∞ is a root too: dehomogenise where the leading
        # coefficient is certainly non-zero, so the degree stays n
        for cf in (coeffs, coeffs[::-1]):
            if not cf[n].contains(0):
                return not _resultant(cf, _derivative(cf)).contains(0)
        return False

    def _inverses(self):
        # the float matrices are unitary only up to rounding, so A^H is not
        # their inverse: enclose the exact inverse at the working precision
        prec = fl.ctx.prec
        if prec not in self._inv:
            self._inv[prec] = [A.inv() for A in self._A]
        return self._inv[prec]

    def conjugate(self, x):
        """Chart coordinates of the conjugate filter: ``ā_m = s_m A_m (1, t'_m)``
        with ``(s_m, s_m t'_m) = A_m⁻¹ ā_m`` and ``c' = c̄ Π s_m^m``."""
        c = x[0].conjugate()
        out, pos = [None], 1
        for (m, n), A, Ainv in zip(self.groups, self._A, self._inverses()):
            a = A * _column([fl.acb(1)] + list(x[pos:pos + n]))
            v = (Ainv * _column([e.conjugate() for e in a.entries()])).entries()
            if v[0].contains(0):
                return None
            out.extend(e / v[0] for e in v[1:])
            c = c * v[0] ** m
            pos += n
        out[0] = c
        return out


class MonomialModel(CertModel):
    """A gradient system ``F = (∂w/∂v)ᵀ (Q w − b)`` (``G = ∂w``, the
    parameter-space equations of MATH.md §9) for a vector-valued polynomial
    map ``w(v) = Σ_k C[k] v^E[k]`` given by its monomials.

    Ball evaluation builds the monomials and their first and second
    derivatives once per box; the sums over monomials are ball matrix
    products. Suited to multilinear maps (few variables per monomial).

    Parameters
    ----------
    exponents : array_like, shape (M, n)
    coefficients : array_like, shape (M, L)
    valid : callable, optional
        ``valid(model, x) -> bool`` on a box (default: always valid).
    conjugate : callable, optional
        ``conjugate(model, x) -> box or None``: coordinates of the conjugate
        filter (needed to certify realness). Default: plain conjugation when
        the coefficients are real, else none.

    Examples
    --------
    >>> # w(v) = (v, v²): ℓ = (v + 4)² + (v² − 7/2)², a simple zero at v = −2
    >>> model = MonomialModel([[1], [2]], [[1, 0], [0, 1]])
    >>> res = certify(model, np.eye(2), [-4.0, 3.5], [[-2.0]])
    >>> res.distinct, res.certificates[0].real
    (1, True)
    """

    def __init__(self, exponents, coefficients, *, valid=None, conjugate=None):
        E = np.asarray(exponents, dtype=np.int64)
        C = np.asarray(coefficients, dtype=complex)
        if E.ndim != 2 or C.ndim != 2 or E.shape[0] != C.shape[0]:
            raise CritlcnError(f"exponents (M, n) and coefficients (M, L) must agree; got {E.shape} and {C.shape}")
        self.unknowns, self.size = E.shape[1], C.shape[1]
        self._terms = [tuple((int(v), int(e)) for v, e in enumerate(row) if e) for row in E]
        self._top = E.max(axis=0) if E.size else np.zeros(self.unknowns, dtype=np.int64)
        self._C = _matrix(C.T)  # L × M, exact
        self._valid, self._conj = valid, conjugate
        self._real_map = bool(np.all(C.imag == 0))

    def jet(self, x):
        n, M = self.unknowns, len(self._terms)
        pw = [[fl.acb(1)] for _ in range(n)]
        for v in range(n):
            for _ in range(int(self._top[v])):
                pw[v].append(pw[v][-1] * x[v])
        zero = fl.acb(0)
        mon = []
        d1 = [[zero] * n for _ in range(M)]
        d2 = [[zero] * (n * n) for _ in range(M)]
        for k, terms in enumerate(self._terms):
            m = fl.acb(1)
            for v, e in terms:
                m = m * pw[v][e]
            mon.append([m])
            for a, (v, e) in enumerate(terms):
                rest = fl.acb(e) * pw[v][e - 1]
                for b2, (u, f) in enumerate(terms):
                    if b2 != a:
                        rest = rest * pw[u][f]
                d1[k][v] = rest
                for b2, (u, f) in enumerate(terms):
                    if u == v:
                        if e < 2:
                            continue
                        val = fl.acb(e * (e - 1)) * pw[v][e - 2]
                        others = [t for t in terms if t[0] != v]
                    else:
                        val = fl.acb(e * f) * pw[v][e - 1] * pw[u][f - 1]
                        others = [t for t in terms if t[0] not in (u, v)]
                    for s, g in others:
                        val = val * pw[s][g]
                    d2[k][v * n + u] = val
        w = self._C * fl.acb_mat(mon)
        Dw = self._C * fl.acb_mat(d1)
        DG = (self._C * fl.acb_mat(d2)).transpose()
        return w, Dw, Dw, DG

    def valid(self, x) -> bool:
        return True if self._valid is None else bool(self._valid(self, x))

    def conjugate(self, x):
        if self._conj is not None:
            return self._conj(self, x)
        # a real map: conjugate coordinates are the conjugate filter's
        return [v.conjugate() for v in x] if self._real_map else None


def chart_conjugation(free: int, matrices):
    """The conjugation map of parameter-space charts, for `MonomialModel`:
    unknowns ``x = (w_1, t_2, …, t_L)`` with ``w_1`` (``free`` entries)
    unconstrained and ``w_i = A_i (1, t_i)``, the end-to-end filter
    multilinear in ``(w_1, …, w_L)`` (MATH.md §9). The conjugate filter has
    ``w̄_i = s_i A_i (1, t'_i)`` with ``(s_i, s_i t'_i) = A_i⁻¹ w̄_i`` and
    ``w'_1 = w̄_1 Π s_i`` (the exact inverse is enclosed: float matrices are
    unitary only up to rounding).

    Examples
    --------
    >>> conj = chart_conjugation(2, [np.eye(2)])
    >>> [complex(v.mid()) for v in conj(None, [fl.acb(1, 1), fl.acb(2), fl.acb(0, 3)])]
    [(1-1j), (2+0j), -3j]
    """
    mats = [np.asarray(A, dtype=complex) for A in matrices]
    cache: dict[int, list] = {}

    def conjugate(model, x):
        prec = fl.ctx.prec
        if prec not in cache:
            cache[prec] = [(_matrix(A), _matrix(A).inv()) for A in mats]
        scale = fl.acb(1)
        out, pos = [], free
        for (A, Ainv), M in zip(cache[prec], mats):
            n = M.shape[0] - 1
            w = (A * _column([fl.acb(1)] + list(x[pos:pos + n]))).entries()
            v = (Ainv * _column([e.conjugate() for e in w])).entries()
            if v[0].contains(0):
                return None
            out.extend(e / v[0] for e in v[1:])
            scale = scale * v[0]
            pos += n
        return [e.conjugate() * scale for e in x[:free]] + out

    return conjugate


def _derivative(cf):
    return [k * cf[k] for k in range(1, len(cf))]


def _resultant(p, q):
    """Sylvester resultant of coefficient lists (ascending) of degrees
    ``len − 1`` (leading coefficients may be balls)."""
    m, n = len(p) - 1, len(q) - 1
    size = m + n
    rows = []
    for i in range(n):
        rows.append([fl.acb(0)] * i + p[::-1] + [fl.acb(0)] * (size - m - 1 - i))
    for i in range(m):
        rows.append([fl.acb(0)] * i + q[::-1] + [fl.acb(0)] * (size - n - 1 - i))
    return fl.acb_mat(rows).det()


# ---------------------------------------------------------------------------
# certificates


@dataclass(frozen=True)
class Certificate:
    """What was proved about one numerical solution.

    ``certified``: a box of radius ``radius`` around ``point`` holds exactly
    one solution, non-singular, inside the tight box ``bounds`` (rows
    ``(lo_re, hi_re, lo_im, hi_im)`` per unknown, rounded outwards).
    ``valid``: that solution is certified valid. ``real``: ``True`` certified
    real, ``False`` certified non-real, ``None`` undecided (or complex data).
    ``duplicate``: index of an earlier certificate holding the same solution.
    ``reason``: why a solution was not certified (empty when it was).
    """

    point: np.ndarray
    certified: bool
    valid: bool
    real: bool | None
    radius: float
    bounds: np.ndarray | None
    duplicate: int | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        """JSON-ready summary (no boxes)."""
        return {"certified": self.certified, "valid": self.valid, "real": self.real,
                "radius": self.radius, "duplicate": self.duplicate, "reason": self.reason}


@dataclass(frozen=True)
class CertificationResult:
    """Certificates of a list of numerical solutions and the counts they prove
    (HomotopyContinuation.jl's vocabulary: certified, distinct, real).

    Examples
    --------
    >>> from critlcn.systems import Chart
    >>> chart = Chart((1,), (np.eye(2),))          # w = c (x + t y)
    >>> res = certify_stratum(chart, np.eye(2), np.array([1.0, 2.0]), [[1.0, 2.0], [1.0, 2.0]])
    >>> res.distinct, res.distinct_real, res.certificates[1].duplicate
    (1, 1, 0)
    """

    certificates: tuple[Certificate, ...]
    undecided_pairs: int = 0

    @property
    def candidates(self) -> int:
        """Number of numerical solutions given."""
        return len(self.certificates)

    @property
    def certified(self) -> int:
        """Solutions in a certified box (duplicates included)."""
        return sum(c.certified for c in self.certificates)

    @property
    def distinct(self) -> int:
        """Distinct certified valid solutions: pairwise proved different.

        A pair neither proved equal nor proved different (never seen in
        practice) counts once, so the number is a proved lower bound."""
        return sum(c.certified and c.valid and c.duplicate is None for c in self.certificates) - self.undecided_pairs

    @property
    def distinct_real(self) -> int:
        """Distinct certified valid solutions certified real."""
        return sum(c.certified and c.valid and c.duplicate is None and c.real is True for c in self.certificates)

    @property
    def distinct_nonreal(self) -> int:
        """Distinct certified valid solutions certified non-real."""
        return sum(c.certified and c.valid and c.duplicate is None and c.real is False for c in self.certificates)

    def to_dict(self) -> dict:
        """JSON-ready counts."""
        return {"candidates": self.candidates, "certified": self.certified, "distinct": self.distinct,
                "distinct_real": self.distinct_real, "distinct_nonreal": self.distinct_nonreal,
                "undecided_pairs": self.undecided_pairs}

    def __str__(self) -> str:
        return (f"{self.candidates} candidates: {self.certified} certified, {self.distinct} distinct "
                f"({self.distinct_real} real, {self.distinct_nonreal} non-real)")


def _system(model: CertModel, Qm, bm, x):
    """``F`` (n×1) and ``F'`` (n×n) on the box ``x``."""
    w, Dw, G, DG = model.jet(x)
    r = Qm * w - bm
    Gt = G.transpose()
    F = Gt * r
    J = Gt * (Qm * Dw)
    if DG is not None:
        n = model.unknowns
        h = (DG * r).entries()
        J = J + fl.acb_mat([h[j * n:(j + 1) * n] for j in range(n)])
    return F, J


def _certify_one(model, data, x0, real_data, *, max_radius=1e-3):
    """Krawczyk's test around ``x0``, then validity and realness on the tight
    box, in increasing working precision until everything is decided;
    returns ``(Certificate, X bounds)``."""
    x0 = np.asarray(x0, dtype=complex)
    if not np.all(np.isfinite(x0)):
        return Certificate(x0, False, False, None, float("nan"), None, reason="not finite"), None
    saved = fl.ctx.prec
    best = None
    try:
        for prec, (Qm, bm) in data.items():
            fl.ctx.prec = prec
            out = _krawczyk_at(model, Qm, bm, x0, max_radius)
            if len(out) == 2:
                if out[1] != "Krawczyk test failed":
                    break  # more precision does not help a singular or far-away point
                continue
            best = _decide(model, out, real_data, max_radius)
            # more precision shrinks the tight box: it decides realness of
            # solutions within rounding distance of the real locus, and
            # validity of those whose discriminant the box at 53 bits could
            # not keep from 0 (two genuine 2-1-1-1-1-1-1 solutions on AR data
            # in a Möbius chart, sextic factor, box radius 3e-7)
            if best[0].valid and (best[0].real is not None or not real_data):
                break
        if best is None:
            return Certificate(out[0], False, False, None, float("nan"), None, reason=out[1]), None
        return best
    finally:
        fl.ctx.prec = saved


def _decide(model, out, real_data, max_radius):
    """Validity, realness and the largest box of uniqueness of a successful
    Krawczyk test ``out``."""
    x, r, Xbox, K, test = out

    def reality(Xbox):
        S = model.conjugate(K) if real_data else None
        if S is None:
            return None
        if all(Xi.contains_interior(Si) for Xi, Si in zip(Xbox, S)):
            return True
        if any(not Ki.overlaps(Si) for Ki, Si in zip(K, S)):
            return False
        return None

    # the tight box K holds the solution; a larger box with a successful
    # test proves uniqueness further out, which is what telling copies of
    # one solution apart, and realness, need
    real = reality(Xbox)
    for _ in range(3):
        if np.max(r) * 100 > max_radius * (1 + np.max(np.abs(x))):
            break
        X2, _, ok = test(r * 100)
        if not ok:
            break
        r, Xbox = r * 100, X2
        real = reality(Xbox)
        if real is not None or not real_data:
            break
    valid = bool(model.valid(K))
    if not valid:
        real = None  # the conjugation argument needs a valid (smooth) point
    return (Certificate(x, True, valid, real, float(np.max(r)), _bounds(K),
                        reason="" if valid else "invalid (c = 0 or colliding roots)"), _bounds(Xbox, inward=True))


def _krawczyk_at(model, Qm, bm, x0, max_radius):
    n = model.unknowns
    scale = 1 + float(np.max(np.abs(x0)))
    # Newton steps in ball arithmetic at the working precision: midpoints
    # stay exact points, ``Y`` is a float inverse (any matrix will do)
    xb = [_acb_exact(v) for v in x0]
    for _ in range(5):
        F, J = _system(model, Qm, bm, xb)
        Jm = _mid(J.entries()).reshape(n, n)
        if not (np.all(np.isfinite(Jm)) and all(v.is_finite() for v in F.entries())):
            return x0, "not finite"
        try:
            Y = np.linalg.inv(Jm)
        except np.linalg.LinAlgError:
            return x0, "singular Jacobian"
        if not np.all(np.isfinite(Y)) or scaled_condition(Jm[None], _mid(xb)[None])[0] > 1e15:
            return x0, "singular Jacobian"
        step = (_matrix(Y) * F).entries()
        # the step's midpoint says whether Newton has converged; its radius
        # is rounding in the evaluation, which more steps cannot remove
        if float(np.max(np.abs(_mid(step)))) <= 2.0 ** (-fl.ctx.prec + 12) * scale:
            break  # converged: keep this point and its residual F
        xb = [(xi - si).mid() for xi, si in zip(xb, step)]
        # a certificate is about the point given, not about where Newton's
        # method would take a far-away guess
        if np.linalg.norm(_mid(xb) - x0) > 1e-6 * scale:
            return x0, "not a solution (Newton moves it)"
    else:
        F, _ = _system(model, Qm, bm, xb)
    x = _mid(xb)
    Yb = _matrix(Y)
    delta = Yb * F
    dabs = _upper(delta.entries())
    ident = fl.acb_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])
    base = _column(xb) - delta
    # start well above the Newton correction and the rounding level, so the
    # first box usually succeeds; K(X) stays as tight as the correction
    r = np.maximum(8 * dabs, 2.0 ** (-fl.ctx.prec + 20) * (np.abs(x) + 2.0**-20 * scale))

    def test(r):
        X = [fl.acb(fl.arb(xi.real, ri), fl.arb(xi.imag, ri)) for xi, ri in zip(xb, r)]
        _, JX = _system(model, Qm, bm, X)
        centred = _column([fl.acb(fl.arb(0, ri), fl.arb(0, ri)) for ri in r])
        K = (base + (ident - Yb * JX) * centred).entries()
        return X, K, all(Xi.contains_interior(Ki) for Xi, Ki in zip(X, K))

    for _ in range(10):
        if np.max(r) > max_radius * scale:
            break
        X, K, ok = test(r)
        if ok:
            return x, r, X, K, test
        # ε-inflation: the next box is the last image, widened
        reach = _upper([Ki - xi for Ki, xi in zip(K, xb)])
        r = np.maximum(2 * r, 2 * reach)
    return x0, "Krawczyk test failed"


def _is_real_data(Q, b) -> bool:
    vals = [v for v in np.asarray(Q, dtype=object).ravel()] + [v for v in np.asarray(b, dtype=object).ravel()]
    return all(isinstance(v, (Fraction, int, float, np.floating, np.integer)) or complex(v).imag == 0 for v in vals)


def certify(model: CertModel, Q, b, points) -> CertificationResult:
    """Certify numerical solutions of ``G(v)ᵀ (Q w(v) − b) = 0``.

    Parameters
    ----------
    model : CertModel
        The polynomial map and its derivatives (e.g. `StratumModel`).
    Q, b : array_like
        Data of the square loss (floats, complex numbers or
        ``fractions.Fraction``; floats are used exactly).
    points : array_like, shape (S, n)
        Approximate solutions (refined or not).

    Returns
    -------
    CertificationResult

    Examples
    --------
    >>> from critlcn.systems import Chart
    >>> chart = Chart((1,), (np.eye(2),))      # w = c (x + t y), so w = Q⁻¹ b is on it
    >>> res = certify(StratumModel(chart), np.eye(2), np.array([1.0, 2.0]), [[1.0, 2.0], [1.0, 5.0]])
    >>> [c.certified for c in res.certificates], res.distinct
    ([True, False], 1)
    """
    Qa = np.asarray(Q, dtype=object)
    ba = np.asarray(b, dtype=object)
    L = model.size
    if Qa.shape != (L, L) or ba.shape != (L,):
        raise CritlcnError(f"Q must be {L}x{L} and b of length {L} for this system; got {Qa.shape} and {ba.shape}")
    X = np.atleast_2d(np.asarray(points, dtype=complex))
    if X.size == 0:
        X = X.reshape(0, model.unknowns)
    if X.shape[1] != model.unknowns:
        raise CritlcnError(f"points must have {model.unknowns} coordinates, got {X.shape[1]}")
    real_data = _is_real_data(Qa, ba)
    certs = []
    boxes = []
    data = {}
    saved = fl.ctx.prec
    try:
        for prec in PRECISIONS:  # data as balls at each working precision (exact for floats)
            fl.ctx.prec = prec
            data[prec] = (_matrix(Qa), _column([_acb_exact(v) for v in ba]))
    finally:
        fl.ctx.prec = saved
    for x0 in X:
        cert, box = _certify_one(model, data, x0, real_data)
        certs.append(cert)
        boxes.append(box)
    certs, undecided = _mark_duplicates(certs, boxes)
    return CertificationResult(tuple(certs), undecided)


def _inside(inner, outer) -> bool:
    return bool(np.all(inner[:, 0] > outer[:, 0]) and np.all(inner[:, 1] < outer[:, 1])
                and np.all(inner[:, 2] > outer[:, 2]) and np.all(inner[:, 3] < outer[:, 3]))


def _disjoint(a, b) -> bool:
    return bool(np.any(a[:, 1] < b[:, 0]) or np.any(b[:, 1] < a[:, 0])
                or np.any(a[:, 3] < b[:, 2]) or np.any(b[:, 3] < a[:, 2]))


def _mark_duplicates(certs, boxes):
    """Mark later copies of a solution; count pairs neither proved equal nor
    proved distinct. A sweep over the real part of the first coordinate keeps
    this near-linear."""
    idx = [i for i, c in enumerate(certs) if c.certified and c.valid]
    if not idx:
        return certs, 0
    parent = {i: i for i in idx}

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lo = {i: certs[i].bounds[0, 0] for i in idx}
    hi = {i: certs[i].bounds[0, 1] for i in idx}
    undecided = 0
    active: list[int] = []
    for i in sorted(idx, key=lo.get):
        active = [j for j in active if hi[j] >= lo[i]]
        for j in active:
            Ti, Tj = certs[i].bounds, certs[j].bounds
            if _disjoint(Ti, Tj):
                continue
            if _inside(Ti, boxes[j]) or _inside(Tj, boxes[i]):
                a, b = root(i), root(j)
                parent[max(a, b)] = min(a, b)
            elif root(i) != root(j):
                undecided += 1
        active.append(i)
    dup = {i: root(i) for i in idx if root(i) != i}
    out = [Certificate(c.point, c.certified, c.valid, c.real, c.radius, c.bounds, dup.get(k), c.reason)
           for k, c in enumerate(certs)]
    return out, undecided


def certify_stratum(chart, Q, b, points) -> CertificationResult:
    """`certify` the critical system of a stratum chart (`critlcn.systems`).

    Examples
    --------
    >>> from critlcn.systems import Chart
    >>> chart = Chart((2,), (np.eye(2),))          # w = c (x + t y)^2
    >>> Q, b = np.eye(3), np.array([1.0, 2.0, 1.0])  # b = (x + y)^2 is on the stratum
    >>> res = certify_stratum(chart, Q, b, [[1.0, 1.0]])
    >>> res.distinct, res.certificates[0].real
    (1, True)
    """
    return certify(StratumModel(chart), Q, b, points)
