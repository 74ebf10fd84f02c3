"""Critical equations of the square loss on a coincident root locus (docs/math.md,
"The stratified solver"),
assembled numerically from precomputed coefficient tensors.

For a complex partition ``λ`` of ``d``, group its parts by value ``m``
(``n_m`` parts equal to ``m``) and write the cone over ``Δ_λ`` as

    w = c · u(t),   u = Π_m f_m^m,   f_m = Σ_j a_{m,j} x^{n_m-j} y^j,
    a_m = A_m · (1, t_{m,1}, ..., t_{m,n_m}),

where each ``A_m`` is a random unitary matrix: the *chart*. Compared
with the monic chart (``A_m = I``) it misses a random complex
hyperplane of factors instead of the forms divisible by ``y``, so real data
never puts a critical point near the chart's boundary, which keeps the
solutions well conditioned.

The unknowns are ``x = (c, t)`` (``c`` then the ``t`` of each group, groups by
descending ``m``). The equations are ``∂ℓ/∂c`` and ``∂ℓ/∂t_v`` divided by
``2`` and, for the ``t`` equations, by ``c`` (which removes the spurious
component ``c = 0``):

    E_0 = (c Q u − b) · u = 0,    E_v = (c Q u − b) · ∂u/∂t_v = 0.

They are linear and homogeneous in the parameters ``p = (Q_ij for i ≤ j, b)``,
so each equation is stored as monomial exponents and a matrix ``C`` with
``coefficients = C @ p``: a dataset's system costs one matrix product, no
symbolic algebra.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from math import comb

import numpy as np

from critlcn.convolution import convolve
from critlcn.errors import CritlcnError

__all__ = [
    "groups",
    "check_partition",
    "Chart",
    "form_transform",
    "mobius_chart",
    "random_chart",
    "change_chart",
    "default_chart",
    "CriticalSystem",
    "critical_system",
    "parameters",
    "random_parameters",
    "Assembled",
    "variable_names",
    "unpack_parameters",
    "tracking_names",
    "tracking_points",
    "tracking_polynomials",
    "phc_polynomials",
    "phc_file",
    "complex_to_json",
    "complex_from_json",
]


def groups(partition) -> tuple[tuple[int, int], ...]:
    """``((m, n_m), ...)`` for the distinct parts ``m`` of ``λ``, descending.

    Examples
    --------
    >>> groups((3, 1, 1))
    ((3, 1), (1, 2))
    """
    partition = check_partition(partition)
    out = []
    for m in sorted(set(partition), reverse=True):
        out.append((m, partition.count(m)))
    return tuple(out)


def check_partition(partition) -> tuple[int, ...]:
    """``partition`` as a descending tuple of positive integers.

    Examples
    --------
    >>> check_partition([1, 2, 1])
    (2, 1, 1)
    """
    try:
        lam = tuple(int(p) for p in partition)
    except (TypeError, ValueError):
        raise CritlcnError(f"partition {partition!r} must be a sequence of positive integers, e.g. (2, 1, 1)") from None
    if not lam or any(p < 1 for p in lam):
        raise CritlcnError(f"partition {partition!r} must be a non-empty sequence of positive integers, e.g. (2, 1, 1)")
    return tuple(sorted(lam, reverse=True))


@dataclass(frozen=True, eq=False)
class Chart:
    """A random affine chart: ``a_m = A_m (1, t_m)`` for each group ``(m, n_m)``.

    Examples
    --------
    >>> ch = random_chart((2, 1, 1), np.random.default_rng(0))
    >>> ch.groups, [A.shape for A in ch.matrices], ch.unknowns
    (((2, 1), (1, 2)), [(2, 2), (3, 3)], 4)
    """

    partition: tuple[int, ...]
    matrices: tuple[np.ndarray, ...]
    mobius: np.ndarray | None = None

    def __post_init__(self):
        lam = check_partition(self.partition)
        object.__setattr__(self, "partition", lam)
        if self.mobius is not None:
            M = np.array(self.mobius, dtype=complex)
            if M.shape != (2, 2) or abs(np.linalg.det(M)) < 1e-12:
                raise CritlcnError(f"a Möbius chart needs an invertible 2x2 matrix, got shape {M.shape}")
            M.flags.writeable = False
            object.__setattr__(self, "mobius", M)
            if len(self.matrices) == 0:
                object.__setattr__(self, "matrices", tuple(_mobius_block(M, n) for _, n in groups(lam)))
        mats = []
        for (m, n), A in zip(groups(lam), self.matrices):
            A = np.array(A, dtype=complex)
            if A.shape != (n + 1, n + 1):
                raise CritlcnError(f"chart matrix for part {m} must be {n + 1}x{n + 1}, got {A.shape}")
            A.flags.writeable = False
            mats.append(A)
        if len(mats) != len(groups(lam)):
            raise CritlcnError(f"chart for {lam} needs {len(groups(lam))} matrices, got {len(self.matrices)}")
        object.__setattr__(self, "matrices", tuple(mats))

    @property
    def digest(self) -> str:
        """sha256 of the partition and the matrices: charts with equal digests are equal."""
        h = hashlib.sha256(repr(self.partition).encode())
        for A in self.matrices + (() if self.mobius is None else (self.mobius,)):
            h.update(np.ascontiguousarray(A, dtype=complex).tobytes())
        return h.hexdigest()

    def __eq__(self, other):
        return isinstance(other, Chart) and self.digest == other.digest

    def __hash__(self):
        return hash(self.digest)

    @property
    def groups(self) -> tuple[tuple[int, int], ...]:
        """``((m, n_m), ...)``."""
        return groups(self.partition)

    @property
    def degree(self) -> int:
        """``d = Σ λ``."""
        return sum(self.partition)

    @property
    def unknowns(self) -> int:
        """``1 + len(λ)``: ``c`` and one ``t`` per part."""
        return 1 + len(self.partition)

    def factors(self, x) -> list[tuple[int, np.ndarray]]:
        """``[(m, coefficients of f_m), ...]`` at the point ``x = (c, t)``."""
        x = np.asarray(x, dtype=complex)
        out, pos = [], 1
        for (m, n), A in zip(self.groups, self.matrices):
            out.append((m, A @ np.concatenate([[1.0], x[pos : pos + n]])))
            pos += n
        return out

    def form(self, x) -> np.ndarray:
        """The end-to-end filter ``w = c · Π f_m^m`` at ``x``.

        Examples
        --------
        >>> ch = Chart((1,), (np.eye(2),))        # monic chart: f = x + t y
        >>> ch.form([2.0, 3.0]).real
        array([2., 6.])
        """
        u = convolve(np.array([1.0 + 0j]), *(f for m, f in self.factors(x) for _ in range(m)))
        return complex(np.asarray(x)[0]) * u

    def to_dict(self) -> dict:
        """JSON-ready form (complex numbers as ``[re, im]`` pairs)."""
        if self.mobius is not None:
            return {"partition": list(self.partition), "mobius": complex_to_json(self.mobius)}
        return {"partition": list(self.partition), "matrices": [complex_to_json(A) for A in self.matrices]}

    @classmethod
    def from_dict(cls, data: dict) -> "Chart":
        """Inverse of `to_dict`."""
        if "mobius" in data:
            return mobius_chart(tuple(data["partition"]), complex_from_json(data["mobius"]))
        return cls(tuple(data["partition"]), tuple(complex_from_json(A) for A in data["matrices"]))


def change_chart(X, source: Chart, target: Chart) -> np.ndarray:
    """Coordinates in ``target`` of the points ``X`` of ``source`` (same
    filters: factors re-expressed, no solve); rows whose factor lies on the
    boundary of ``target`` become NaN.

    Examples
    --------
    >>> a = mobius_chart((1,), np.eye(2))                 # f = x + t y
    >>> b = mobius_chart((1,), np.array([[0, 1], [1, 0]]))  # f = y + t x
    >>> change_chart([[2.0, 4.0]], a, b).real            # 2 (x + 4 y) = 8 (y + x / 4)
    array([[8.  , 0.25]])
    """
    if source.partition != target.partition:
        raise CritlcnError(f"charts are for {source.partition} and {target.partition}")
    X = np.atleast_2d(np.asarray(X, dtype=complex))
    out = np.full((X.shape[0], target.unknowns), np.nan, dtype=complex)
    for s, x in enumerate(X):
        c, ts = x[0], []
        for (m, f), A in zip(source.factors(x), target.matrices):
            a = np.linalg.solve(A, f)
            if not abs(a[0]) > 1e-12 * np.linalg.norm(a):
                break
            ts.extend(a[1:] / a[0])
            c = c * a[0] ** m
        else:
            out[s] = [c] + ts
    return out


def complex_to_json(arr) -> list:
    """Complex numbers as ``[re, im]`` pairs (nested like ``arr``).

    Examples
    --------
    >>> complex_to_json([1 + 2j])
    [[1.0, 2.0]]
    """
    arr = np.asarray(arr, dtype=complex)
    return np.stack([arr.real, arr.imag], axis=-1).tolist()


def complex_from_json(data) -> np.ndarray:
    """Inverse of `complex_to_json`.

    Examples
    --------
    >>> complex_from_json([[1.0, 2.0]])
    array([1.+2.j])
    """
    arr = np.asarray(data, dtype=float)
    return arr[..., 0] + 1j * arr[..., 1]


def form_transform(M, n: int) -> np.ndarray:
    """The matrix of ``g ↦ g ∘ M`` on binary forms of degree ``n``: column
    ``j`` holds the coefficients in ``(x, y)`` of ``x'^{n-j} y'^j``, where
    ``(x', y') = M (x, y)``.

    Examples
    --------
    >>> form_transform(np.array([[1, 1], [0, 1]]), 2).real   # x' = x + y, y' = y
    array([[1., 0., 0.],
           [2., 1., 0.],
           [1., 1., 1.]])
    """
    M = np.asarray(M, dtype=complex)
    cols = [convolve(np.array([1.0 + 0j]), *([M[0]] * (n - j) + [M[1]] * j)) for j in range(n + 1)]
    return np.array(cols).T


def _bombieri(n: int) -> np.ndarray:
    return np.sqrt([comb(n, j) for j in range(n + 1)])


def _mobius_block(M, n: int) -> np.ndarray:
    return form_transform(M, n) * _bombieri(n)[None, :]


def mobius_chart(partition, M) -> Chart:
    """The chart that is monic after the change of coordinates ``M``:
    ``f_m = f̃_m ∘ M`` with ``f̃_m = x'^n + Σ_j √C(n, j) t_{m,j} x'^{n-j} y'^j``.

    It misses the forms with a factor vanishing at the point
    ``M⁻¹ (1, 0)`` of ``P¹``. In the primed coordinates every coefficient of
    ``ũ = Π f̃_m^m`` is a sum of few monomials in ``t``, which makes the
    system that PHCpack tracks sparse (`tracking_polynomials`); the binomial
    weights make ``A_m`` unitary in Bombieri's norm when ``M`` is unitary.

    Examples
    --------
    >>> ch = mobius_chart((1,), np.eye(2))      # f = x + t y
    >>> ch.form([2.0, 3.0]).real
    array([2., 6.])
    """
    return Chart(partition, (), np.asarray(M, dtype=complex))


#: A random chart's missed point of P¹ is at least this far (chordal, 1 at
#: ±i) from the real circle, so real filters stay away from its boundary.
CHART_MARGIN = 0.5


def random_chart(partition, rng: np.random.Generator) -> Chart:
    """A Möbius chart (`mobius_chart`) for a Haar-random unitary ``M`` whose
    missed point ``M⁻¹ (1, 0)`` is at least `CHART_MARGIN` from the real
    circle.

    Unitary (rather than merely invertible) matrices keep the chart's
    coordinates comparable to the factors' coefficients, so no factor can
    shrink towards zero while ``c`` blows up (with Gaussian matrices,
    tracking for ``λ = (5, 1)`` produced near-solutions at infinity that
    passed residual checks); a missed point far from the real circle keeps
    real critical points away from the chart's boundary.

    Examples
    --------
    >>> ch = random_chart((2,), np.random.default_rng(1))
    >>> bool(np.allclose(ch.mobius.conj().T @ ch.mobius, np.eye(2)))
    True
    """
    lam = check_partition(partition)
    while True:
        G = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
        q, r = np.linalg.qr(G)
        M = q * (np.diag(r) / np.abs(np.diag(r)))  # phase fix: Haar distributed
        x, y = np.conj(M[0])  # M⁻¹ (1, 0) = M^H (1, 0)
        if 2 * abs((x * np.conj(y)).imag) / (abs(x) ** 2 + abs(y) ** 2) >= CHART_MARGIN:
            return mobius_chart(lam, M)


def default_chart(partition) -> Chart:
    """The fixed chart used for a partition when no cached one exists; its seed
    is derived from ``λ`` so every run and process agrees on it.

    Examples
    --------
    >>> bool(np.all(default_chart((2, 1)).matrices[0] == default_chart((2, 1)).matrices[0]))
    True
    """
    lam = check_partition(partition)
    seed = int.from_bytes(hashlib.sha256(repr(("chart", lam)).encode()).digest()[:8], "little")
    return random_chart(lam, np.random.default_rng(seed))


# ---------------------------------------------------------------------------
# polynomials in t whose coefficients are vectors (binary forms)


def _vpoly_mul(ea, ca, eb, cb):
    """Product of two vector-valued polynomials whose vector coefficients are
    binary forms (multiplied by convolution)."""
    exps = (ea[:, None, :] + eb[None, :, :]).reshape(-1, ea.shape[1])
    la, lb = ca.shape[1], cb.shape[1]
    prod = np.zeros((ca.shape[0], cb.shape[0], la + lb - 1), dtype=complex)
    for i in range(la):
        prod[:, :, i : i + lb] += ca[:, None, i : i + 1] * cb[None, :, :]
    return _combine(exps, prod.reshape(-1, la + lb - 1))


def _combine(exps, coefs):
    uniq, inv = np.unique(exps, axis=0, return_inverse=True)
    out = np.zeros((uniq.shape[0],) + coefs.shape[1:], dtype=complex)
    np.add.at(out, inv.ravel(), coefs)
    return uniq, out


def _u_poly(chart: Chart):
    n = len(chart.partition)
    ex = np.zeros((1, n), dtype=np.int64)
    co = np.ones((1, 1), dtype=complex)
    pos = 0
    for (m, nm), A in zip(chart.groups, chart.matrices):
        fe = np.zeros((nm + 1, n), dtype=np.int64)
        for j in range(nm):
            fe[j + 1, pos + j] = 1
        fc = A.T.copy()  # row j: coefficient vector multiplying t_j (row 0: the constant)
        for _ in range(m):
            ex, co = _vpoly_mul(ex, co, fe, fc)
        pos += nm
    return ex, co


def _derivative(ex, co, v):
    keep = ex[:, v] > 0
    ex2 = ex[keep].copy()
    co2 = co[keep] * ex2[:, v : v + 1]
    ex2[:, v] -= 1
    return ex2, co2


@dataclass(frozen=True)
class CriticalSystem:
    """The critical equations of one chart, with coefficients linear in ``p``.

    ``exponents[e]`` has shape ``(K_e, 1 + len(λ))`` (column 0 is ``c``) and
    ``tensors[e]`` shape ``(K_e, P)``: equation ``e`` at parameters ``p`` is
    ``Σ_k (tensors[e] @ p)[k] · x^exponents[e][k]``.

    Examples
    --------
    >>> sys_ = critical_system(default_chart((2, 1)))
    >>> sys_.unknowns, sys_.n_params, len(sys_.exponents)
    (3, 14, 3)
    """

    chart: Chart
    exponents: tuple[np.ndarray, ...]
    tensors: tuple[np.ndarray, ...]

    @property
    def unknowns(self) -> int:
        """Number of unknowns (and of equations)."""
        return self.chart.unknowns

    @property
    def n_params(self) -> int:
        """``P = (d+1)(d+2)/2 + d + 1``."""
        return self.tensors[0].shape[1]

    def assemble(self, p) -> "Assembled":
        """The system at parameters ``p`` (see `parameters`)."""
        p = np.asarray(p, dtype=complex)
        if p.shape != (self.n_params,):
            raise CritlcnError(f"parameter vector must have {self.n_params} entries, got shape {p.shape}")
        return self.assembled_type(self, tuple(T @ p for T in self.tensors))

    @property
    def assembled_type(self) -> type:
        """What `assemble` returns (parameter-space systems write other names)."""
        return Assembled


@lru_cache(maxsize=64)
def critical_system(chart: Chart) -> CriticalSystem:
    """Precompute the coefficient tensors of the critical equations for ``chart``.

    Cached per chart (charts hash by identity, so keep the chart object).

    Examples
    --------
    >>> s = critical_system(default_chart((1,)))
    >>> s.assemble(parameters(np.eye(2), np.ones(2))).evaluate(np.array([[1.0, 0.5]])).shape
    (1, 2)
    """
    d = chart.degree
    L = d + 1
    ue, uc = _u_poly(chart)
    iu, ju = np.triu_indices(L)
    n = len(chart.partition)
    blocks = [(ue, uc)] + [_derivative(ue, uc, v) for v in range(n)]
    exps_out, tens_out = [], []
    for be, bc in blocks:
        # c-part: c Σ_{i<=j} Q_ij (u_i B_j + u_j B_i) (halved on the diagonal)
        outer = uc[:, None, :, None] * bc[None, :, None, :]  # (Mu, Mb, L, L)
        sym = outer + np.swapaxes(outer, 2, 3)
        sym[..., np.arange(L), np.arange(L)] /= 2
        qpart = sym[..., iu, ju].reshape(-1, iu.size)
        qexp = (ue[:, None, :] + be[None, :, :]).reshape(-1, n)
        qexp = np.concatenate([np.ones((qexp.shape[0], 1), dtype=np.int64), qexp], axis=1)
        # b-part: − Σ_i b_i B_i
        bexp = np.concatenate([np.zeros((be.shape[0], 1), dtype=np.int64), be], axis=1)
        rows_q = np.concatenate([qpart, np.zeros((qpart.shape[0], L), dtype=complex)], axis=1)
        rows_b = np.concatenate([np.zeros((bc.shape[0], iu.size), dtype=complex), -bc], axis=1)
        ex, te = _combine(np.concatenate([qexp, bexp]), np.concatenate([rows_q, rows_b]))
        # order: c first, then the single t_v, then the rest, so PHCpack's
        # symbol table (built in order of appearance) lists c, t1, t2, ...
        deg = ex.sum(axis=1)
        key = np.lexsort(tuple(-ex[:, j] for j in reversed(range(ex.shape[1]))) + (deg,))
        ex, te = ex[key], te[key]
        ex.flags.writeable = False
        te.flags.writeable = False
        exps_out.append(ex)
        tens_out.append(te)
    return CriticalSystem(chart, tuple(exps_out), tuple(tens_out))


def parameters(Q, b) -> np.ndarray:
    """The parameter vector ``p = (Q_ij for i ≤ j row by row, b)``.

    Examples
    --------
    >>> parameters(np.array([[1.0, 2.0], [2.0, 3.0]]), np.array([4.0, 5.0])).real
    array([1., 2., 3., 4., 5.])
    """
    Q = np.asarray(Q)
    b = np.asarray(b)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or b.shape != (Q.shape[0],):
        raise CritlcnError(f"Q must be square and b match it: got Q {Q.shape}, b {b.shape}")
    iu, ju = np.triu_indices(Q.shape[0])
    return np.concatenate([Q[iu, ju], b]).astype(complex)


def random_parameters(d: int, rng: np.random.Generator) -> np.ndarray:
    """Generic complex parameters (complex symmetric ``Q``, complex ``b``), unit norm.

    Examples
    --------
    >>> random_parameters(2, np.random.default_rng(0)).shape
    (9,)
    """
    L = d + 1
    P = L * (L + 1) // 2 + L
    p = rng.normal(size=P) + 1j * rng.normal(size=P)
    return p / np.linalg.norm(p)


def _power_table(X, top: int) -> np.ndarray:
    """``P[s, v, k] = X[s, v] ** k`` for ``k = 0..top`` (by repeated products:
    much faster than complex ``**`` per monomial)."""
    S, n = X.shape
    P = np.ones((S, n, top + 1), dtype=complex)
    with np.errstate(all="ignore"):
        for k in range(1, top + 1):
            P[:, :, k] = P[:, :, k - 1] * X
    return P


def _monomials(P, ex) -> np.ndarray:
    """Values ``(S, M)`` of the monomials with exponent rows ``ex`` (M, n)."""
    out = P[:, 0, ex[:, 0]]
    with np.errstate(all="ignore"):
        for v in range(1, ex.shape[1]):
            out = out * P[:, v, ex[:, v]]
    return out


@dataclass(frozen=True)
class Assembled:
    """A critical system at concrete parameters: evaluation, Jacobian, text."""

    system: CriticalSystem
    coefficients: tuple[np.ndarray, ...]

    def evaluate(self, X) -> np.ndarray:
        """Values at points ``X`` of shape ``(S, n)`` -> ``(S, n)``."""
        X = np.atleast_2d(np.asarray(X, dtype=complex))
        P = self._powers(X)
        out = np.empty((X.shape[0], len(self.coefficients)), dtype=complex)
        for e, (ex, co) in enumerate(zip(self.system.exponents, self.coefficients)):
            out[:, e] = _monomials(P, ex) @ co
        return out

    def _powers(self, X) -> np.ndarray:
        top = max((int(ex.max()) for ex in self.system.exponents if ex.size), default=0)
        return _power_table(X, top)

    def backward_error(self, X) -> np.ndarray:
        """Largest relative residual ``|E_e(x)| / Σ_k |coef_k x^α_k|`` per point.

        Examples
        --------
        >>> a = critical_system(default_chart((1,))).assemble(parameters(np.eye(2), np.ones(2)))
        >>> float(a.backward_error(np.zeros((1, 2)))[0]) > 0.1
        True
        """
        X = np.atleast_2d(np.asarray(X, dtype=complex))
        P = self._powers(X)
        out = np.zeros(X.shape[0])
        for ex, co in zip(self.system.exponents, self.coefficients):
            mon = _monomials(P, ex)
            with np.errstate(all="ignore"):
                rel = np.abs(mon @ co) / (np.abs(mon) @ np.abs(co) + 1e-300)
            out = np.maximum(out, np.where(np.isfinite(rel), rel, np.inf))
        return out

    def jacobian(self, X) -> np.ndarray:
        """Jacobians at points ``X`` (S, n) -> ``(S, n, n)``.

        ``∂x^α/∂x_v = α_v x^α / x_v``: one product of the monomials with the
        exponents per equation instead of one per unknown; points with a
        coordinate at or near 0 (where ``x^α`` can underflow) take the
        term-by-term derivative.

        Examples
        --------
        >>> a = critical_system(default_chart((2, 1))).assemble(random_parameters(3, np.random.default_rng(0)))
        >>> X = np.random.default_rng(1).normal(size=(2, 3)) + 0j
        >>> X[1, 0] = 0.0
        >>> h = 1e-7
        >>> fd = np.stack([(a.evaluate(X + h * np.eye(3)[v]) - a.evaluate(X - h * np.eye(3)[v])) / (2 * h)
        ...                for v in range(3)], axis=2)
        >>> bool(np.allclose(a.jacobian(X), fd, rtol=1e-6, atol=1e-6))
        True
        """
        X = np.atleast_2d(np.asarray(X, dtype=complex))
        S, n = X.shape
        P = self._powers(X)
        out = np.empty((S, n, n), dtype=complex)
        tiny = np.any(np.abs(X) < 1e-100, axis=1) | ~np.all(np.isfinite(X), axis=1)
        fast = np.flatnonzero(~tiny)
        slow = np.flatnonzero(tiny)
        with np.errstate(all="ignore"):
            inv = 1.0 / X[fast]
            for e, (ex, co) in enumerate(zip(self.system.exponents, self.coefficients)):
                if fast.size:
                    out[fast, e, :] = ((_monomials(P[fast], ex) * co) @ ex) * inv
                for v in range(n) if slow.size else ():
                    dex = ex.copy()
                    mult = dex[:, v].astype(complex)
                    dex[:, v] = np.maximum(dex[:, v] - 1, 0)
                    out[slow, e, v] = _monomials(P[slow], dex) @ (co * mult)
        return out

    #: Column-scaling floor of `critlcn.endpoints.scaled_condition` for this
    #: system's unknowns (chart coordinates: none).
    CONDITION_FLOOR = 0.0

    def newton(self, X, iters: int = 8):
        """Newton steps from ``X``; returns refined points, the last step's
        relative size and the scaled condition numbers
        (`critlcn.endpoints.scaled_condition`) of the Jacobians at the end."""
        X = np.atleast_2d(np.asarray(X, dtype=complex)).copy()
        step_size = np.full(X.shape[0], np.inf)
        # A point stops once its step is at rounding level: below 1e-15, or
        # below 1e-11 and no longer shrinking (the floor is cond·eps, 1e-14 to
        # 1e-10 at d = 10, so a fixed threshold would keep every point for all
        # iterations). Slower, linear convergence near a singular solution
        # keeps going.
        active = np.arange(X.shape[0])
        for _ in range(iters):
            if active.size == 0:
                break
            Xa = X[active]
            F = self.evaluate(Xa)
            J = self.jacobian(Xa)
            try:
                dx = np.linalg.solve(J, -F[..., None])[..., 0]
            except np.linalg.LinAlgError:
                dx = np.stack([np.linalg.lstsq(Jk, -Fk, rcond=None)[0] for Jk, Fk in zip(J, F)])
            bad = ~np.all(np.isfinite(dx), axis=1)
            dx[bad] = 0
            X[active] = Xa + dx
            step = np.linalg.norm(dx, axis=1) / (1 + np.linalg.norm(Xa + dx, axis=1))
            step[bad] = np.inf
            done = (step < 1e-15) | ((step < 1e-11) & (step > step_size[active] / 4))
            step_size[active] = step
            active = active[~done]
        from critlcn.endpoints import scaled_condition

        return X, step_size, scaled_condition(self.jacobian(X), X, self.CONDITION_FLOOR)

    def polynomials(self) -> list[str]:
        """The equations as PHCpack strings (each ending in ``;``)."""
        return phc_polynomials(self.system, self.coefficients)


def variable_names(chart: Chart) -> list[str]:
    """Names of the unknowns in PHCpack files: ``c, t1, ..., tn``.

    Examples
    --------
    >>> variable_names(default_chart((2, 1, 1)))
    ['c', 't1', 't2', 't3']
    """
    return ["c"] + [f"t{j + 1}" for j in range(len(chart.partition))]


def _monomial(names, exps) -> str:
    parts = []
    for name, k in zip(names, exps):
        if k == 1:
            parts.append(name)
        elif k > 1:
            parts.append(f"{name}^{int(k)}")
    return "*".join(parts)


def phc_polynomials(system: CriticalSystem, coefficients) -> list[str]:
    """PHCpack strings of the equations with the given coefficient vectors.

    Every term is written, even a zero one, so all unknowns appear and the
    symbol table is ``c, t1, ..., tn`` in this order.

    Examples
    --------
    >>> s = critical_system(default_chart((1,)))
    >>> pols = s.assemble(parameters(np.eye(2), np.ones(2))).polynomials()
    >>> len(pols), pols[0].endswith(";")
    (2, True)
    """
    names = variable_names(system.chart)
    out = []
    for ex, co in zip(system.exponents, coefficients):
        terms = []
        for e, a in zip(ex, co):
            mono = _monomial(names, e)
            coef = f"({a.real:+.17e}{a.imag:+.17e}*i)"
            terms.append(f"+{coef}*{mono}" if mono else f"+{coef}")
        out.append(" ".join(terms) + ";")
    return out


def phc_file(assembled: Assembled, header: dict) -> str:
    """A PHCpack input file (``phc -b file out`` reads it).

    PHCpack reads the number of equations and unknowns, then the polynomials,
    and ignores everything after the last polynomial, so the header (unknowns,
    ``λ``, rrmps covered, data hash) is written there, after the system, as
    ``--`` lines: a comment before the first line would be read as the count.

    Examples
    --------
    >>> s = critical_system(default_chart((1,)))
    >>> text = phc_file(s.assemble(parameters(np.eye(2), np.ones(2))), {"partition": "1"})
    >>> text.splitlines()[0], "-- partition: 1" in text
    ('2 2', True)
    """
    pols = assembled.polynomials()
    n = assembled.system.unknowns
    lines = [f"{n} {n}"] + pols + ["", "-- critlcn critical system (docs/math.md, The stratified solver); phc ignores these lines"]
    for key, value in header.items():
        lines.append(f"-- {key}: {value}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# the sparse form that PHCpack tracks (Möbius charts)


def unpack_parameters(p, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `parameters`: ``(Q, b)`` from ``p`` for degree ``d``.

    Examples
    --------
    >>> Q, b = unpack_parameters(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 1)
    >>> Q.real.tolist(), b.real.tolist()
    ([[1.0, 2.0], [2.0, 3.0]], [4.0, 5.0])
    """
    L = d + 1
    iu, ju = np.triu_indices(L)
    p = np.asarray(p, dtype=complex)
    Q = np.zeros((L, L), dtype=complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    return Q, p[iu.size :]


# Multilinear polynomials: {tuple of distinct unknown indices: coefficient}.


def _mul(f: dict, g: dict) -> dict:
    out: dict = {}
    for a, x in f.items():
        for b, y in g.items():
            assert not set(a) & set(b), "a multilinear product must not repeat an unknown"
            key = tuple(sorted(a + b))
            out[key] = out.get(key, 0) + x * y
    return out


def _add_into(acc: dict, f: dict, scale=1.0) -> None:
    for key, x in f.items():
        acc[key] = acc.get(key, 0) + scale * x


def _form_mul(F, G) -> list:
    out = [dict() for _ in range(len(F) + len(G) - 1)]
    for i, f in enumerate(F):
        for j, g in enumerate(G):
            _add_into(out[i + j], _mul(f, g))
    return out


@dataclass(frozen=True)
class _Multilinear:
    names: tuple          # unknowns, (c, t) first
    fixed: tuple          # the p-independent equations: lists of (coefficient, unknown indices)
    u: tuple              # ũ_i as multilinear polynomials
    derived: tuple        # (name index, how to compute it) for the auxiliary unknowns, in order
    cu_keys: tuple        # the monomials of c ũ
    U: np.ndarray         # U[i, k]: coefficient of monomial k in ũ_i


@lru_cache(maxsize=64)
def _multilinear(chart: Chart) -> _Multilinear:
    """The critical equations of a Möbius chart in multilinear form: every
    monomial is a product of distinct unknowns (see `tracking_polynomials`)."""
    lam = chart.partition
    d = chart.degree
    names = list(variable_names(chart))
    index = {v: i for i, v in enumerate(names)}

    def new(name):
        index[name] = len(names)
        names.append(name)
        return index[name]

    fixed, derived = [], []
    finals, lowers, pos = [], [], 1
    for g, (m, n) in enumerate(groups(lam)):
        w8 = _bombieri(n)
        f = [{(): 1.0 + 0j}] + [{(pos + j,): complex(w8[j + 1])} for j in range(n)]
        chain = [f]
        if m >= 2 and n == 1:
            # one unknown t: f̃^k has coefficients C(k, i) t^i, so powers of t are enough
            copy = new(f"s{g}_0")
            fixed.append([(1.0, (copy,)), (-1.0, (pos,))])
            derived.append((copy, ("copy", pos)))
            powers = {1: pos}
            for k in range(2, m + 1):
                powers[k] = new(f"q{g}_{k}")
                fixed.append([(1.0, (powers[k],)), (-1.0, tuple(sorted((powers[k - 1], copy))))])
                derived.append((powers[k], ("tpower", pos, k)))
                chain.append([{(): 1.0 + 0j}] + [{(powers[i],): complex(comb(k, i))} for i in range(1, k + 1)])
        elif m >= 2:
            copies = [new(f"s{g}_{j}") for j in range(n)]
            for j, cj in enumerate(copies):
                fixed.append([(1.0, (cj,)), (-1.0, (pos + j,))])
                derived.append((cj, ("copy", pos + j)))
            fc = [{(): 1.0 + 0j}] + [{(cj,): complex(w8[j + 1])} for j, cj in enumerate(copies)]
            for k in range(2, m + 1):
                prod = _form_mul(chain[-1], fc)
                var = []
                for i, poly in enumerate(prod):
                    v = new(f"p{g}_{k}_{i}")
                    fixed.append([(1.0, (v,))] + [(-x, key) for key, x in poly.items()])
                    var.append(v)
                derived.append((tuple(var), ("power", g, k)))
                chain.append([{(v,): 1.0 + 0j} for v in var])
        finals.append(chain[m - 1])
        lowers.append(chain[m - 2] if m >= 2 else [{(): 1.0 + 0j}])
        pos += n
    u = [{(): 1.0 + 0j}]
    for F in finals:
        u = _form_mul(u, F)
    L = d + 1
    r = [new(f"r{i}") for i in range(L)]
    # E_0 = r·ũ, then E_{g,j} = r·(m ũ_g' ∂f̃_g/∂t_{g,j} Π_{g'≠g} ũ_{g'}) with ũ_g' = f̃_g^{m-1}
    eqs = [u]
    pos = 1
    for g, (m, n) in enumerate(groups(lam)):
        others = [{(): 1.0 + 0j}]
        for h, F in enumerate(finals):
            if h != g:
                others = _form_mul(others, F)
        base = _form_mul(lowers[g], others)
        w8 = _bombieri(n)
        for j in range(1, n + 1):
            e = [dict() for _ in range(n + 1)]
            e[j] = {(): complex(m * w8[j])}
            eqs.append(_form_mul(base, e))
        pos += n
    for form in eqs:
        terms = []
        for i, poly in enumerate(form):
            terms.extend((x, tuple(sorted(key + (r[i],)))) for key, x in poly.items())
        fixed.append(terms)
    keys = sorted({key for poly in u for key in poly})
    U = np.array([[poly.get(key, 0) for key in keys] for poly in u], dtype=complex)
    return _Multilinear(tuple(names), tuple(tuple(e) for e in fixed), tuple(u), tuple(derived),
                        tuple(tuple(sorted(key + (0,))) for key in keys), U)


def tracking_names(chart: Chart) -> list[str]:
    """Unknowns of the multilinear form (`tracking_polynomials`): ``c, t1..tn``,
    then the auxiliary ones, ending with ``r0..rd``.

    Examples
    --------
    >>> tracking_names(mobius_chart((1,), np.eye(2)))
    ['c', 't1', 'r0', 'r1']
    >>> tracking_names(mobius_chart((2,), np.eye(2)))[:4]
    ['c', 't1', 's0_0', 'q0_2']
    >>> tracking_names(mobius_chart((2, 2), np.eye(2)))[:7]
    ['c', 't1', 't2', 's0_0', 's0_1', 'p0_2_0', 'p0_2_1']
    """
    return list(_multilinear(chart).names)


def tracking_points(chart: Chart, p, X) -> np.ndarray:
    """Points ``(c, t)`` of the critical system with the auxiliary unknowns
    of the multilinear form at parameters ``p`` (copies and powers of the
    factors, ``r̃ = Tᵀ (Q T c ũ(t) − b)``).

    Examples
    --------
    >>> tracking_points(mobius_chart((1,), np.eye(2)), parameters(np.eye(2), np.ones(2)), [[2.0, 3.0]]).real
    array([[2., 3., 1., 5.]])
    """
    ml = _multilinear(chart)
    X = np.atleast_2d(np.asarray(X, dtype=complex))
    S, L = X.shape[0], chart.degree + 1
    out = np.zeros((S, len(ml.names)), dtype=complex)
    out[:, : X.shape[1]] = X
    gs = groups(chart.partition)
    starts = np.cumsum([1] + [n for _, n in gs])
    for target, (kind, *args) in ml.derived:
        if kind == "copy":
            out[:, target] = X[:, args[0]]
        elif kind == "tpower":
            out[:, target] = X[:, args[0]] ** args[1]
        else:
            g, k = args
            n = gs[g][1]
            f = np.concatenate([np.ones((S, 1)), X[:, starts[g] : starts[g] + n]], axis=1) * _bombieri(n)
            acc = f
            for _ in range(k - 1):
                acc = np.stack([np.convolve(a, b) for a, b in zip(acc, f)])
            out[:, list(target)] = acc
    T = form_transform(chart.mobius, chart.degree)
    Q, b = unpack_parameters(p, chart.degree)
    W = np.stack([X[s, 0] * _eval_form(ml.u, out[s]) for s in range(S)]) if S else np.zeros((0, L), complex)
    out[:, -L:] = (W @ T.T @ Q.T - b) @ T
    return out


def _eval_form(form, x) -> np.ndarray:
    return np.array([sum(c * np.prod(x[list(key)]) for key, c in poly.items()) for poly in form])


def _phc_terms(terms, names) -> str:
    parts = []
    for x, key in terms:
        x = complex(x)
        mono = "*".join(names[v] for v in key)
        parts.append(f"+({x.real:+.17e}{x.imag:+.17e}*i)" + (f"*{mono}" if mono else ""))
    return " ".join(parts)


@lru_cache(maxsize=64)
def _fixed_strings(chart: Chart) -> tuple[str, ...]:
    ml = _multilinear(chart)
    return tuple(_phc_terms(e, ml.names) + ";" for e in ml.fixed)


def tracking_polynomials(chart: Chart, p) -> list[str]:
    """The critical equations of a Möbius chart in the multilinear form that
    PHCpack tracks, at parameters ``p`` (docs/math.md, "Solving: homotopy
    continuation").

    With ``u = T ũ`` (``T = form_transform(M, d)``) and the auxiliary
    unknowns ``r̃ = Tᵀ (Q T c ũ(t) − b)`` (so ``r̃ = Tᵀ ∇ℓ(w)/2``), the
    equations ``E_0 = (c Q u − b)·u`` and ``E_v = (c Q u − b)·∂u/∂t_v`` become

        r̃ − c Q̃ ũ(t) + b̃,   r̃·ũ(t),   r̃·∂ũ/∂t_v,

    with ``Q̃ = Tᵀ Q T`` and ``b̃ = Tᵀ b``. The powers ``f̃_m^k`` of a factor
    that appears ``m ≥ 2`` times are unknowns too, defined by
    ``f̃_m^k = f̃_m^{k-1} · f̃'_m`` with a copy ``t'`` of its ``t`` (``t' = t``;
    plain powers ``t^k`` when the factor has one unknown), so every monomial
    is a product of distinct unknowns: the form PHCpack's
    algorithmic-differentiation tracker evaluates fastest (and the only one it
    evaluates correctly in the packaged build: it reads ``x^2`` as ``x``).
    Unknowns ``w̃ = c ũ`` as well (linear ``r̃`` equations) made ade 1.2–1.9×
    slower at d = 8: more unknowns cost it more than more terms.
    Only the ``r̃`` equations depend on ``p`` (linearly), so the straight-line
    homotopy between two parameter points is a coefficient-parameter homotopy.

    Examples
    --------
    >>> pols = tracking_polynomials(mobius_chart((2, 1), np.eye(2)), parameters(np.eye(4), np.ones(4)))
    >>> len(pols) == len(tracking_names(mobius_chart((2, 1), np.eye(2)))), "^" in "".join(pols)
    (True, False)
    """
    ml = _multilinear(chart)
    d = chart.degree
    L = d + 1
    T = form_transform(chart.mobius, d)
    Q, b = unpack_parameters(p, d)
    Qt, bt = T.T @ Q @ T, T.T @ b
    fixed = _fixed_strings(chart)
    r0 = len(ml.names) - L
    out = [" ".join(f"+0*{v}" for v in ml.names) + " " + fixed[0]] + list(fixed[1:])
    QU = -Qt @ ml.U  # r̃_i + b̃_i − c Σ_j Q̃_ij ũ_j(t), one coefficient per monomial of c ũ
    for i in range(L):
        terms = [(1.0, (r0 + i,)), (bt[i], ())] + list(zip(QU[i], ml.cu_keys))
        out.append(_phc_terms(terms, ml.names) + ";")
    return out
