"""Exact counts of complex critical points (docs/math.md, "Exact counts").

Three integer-valued functions, all in exact arithmetic:

* `segre_ed_degree` — the generic Euclidean distance degree of a Segre
  product ``P^{n_1} × ⋯ × P^{n_L}``, by the Chern-class formula of Draisma,
  Horobeţ, Ottaviani, Sturmfels and Thomas, *The Euclidean distance degree of
  an algebraic variety* (Found. Comput. Math. 2016, Theorem 5.8). It is the
  number of complex critical scaling classes with non-zero filters of the
  square loss of an LCN with generic data, for any strides and any number of
  axes (Shahverdi, *Algebraic complexity and neurovariety of linear
  convolutional networks*).
* `assignment_count` — ``N(λ, μ)``, the number of 0/1 matrices with row sums
  ``λ`` and column sums ``μ``: labelled assignments of the roots of a form of
  type ``λ`` to layers of degrees ``μ``.
* `ed_degree` / `ed_degrees` — the generic ED degree ``EDgen(Δ_λ)`` of the
  coincident root locus of every partition ``λ`` of ``d``, from the identity
  ``gED(P^{μ_1} × ⋯) = Σ_λ N(λ, μ) · EDgen(Δ_λ)``, a unitriangular system
  (``N(λ, λ') = 1``, ``N(λ, μ) = 0`` unless ``λ ≤ μ'`` in dominance order).

These are the numbers every solve is checked against: a stratum whose valid
solutions number ``ed_degree(λ)`` is complete for that data.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import comb, factorial

from critlcn.errors import CritlcnError

__all__ = [
    "MAX_COUNT_DEGREE",
    "segre_ed_degree",
    "segre_dimensions",
    "assignment_count",
    "conjugate",
    "dominates",
    "ed_degrees",
    "ed_degree",
    "architecture_breakdown",
]

#: Largest ``d`` for which `ed_degrees` is offered (p(24) = 1 575
#: partitions; the unitriangular solve grows with the square of that: about a
#: minute at d = 24 on one core, 5 s at d = 20).
MAX_COUNT_DEGREE = 24


def _check_dims(ns) -> tuple[int, ...]:
    out = []
    for n in ns:
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise CritlcnError(f"projective dimension {n!r} is not a non-negative integer")
        out.append(int(n))
    if not out:
        raise CritlcnError("no factors given: a Segre product needs at least one projective space")
    return tuple(sorted(out))


@lru_cache(maxsize=None)
def _segre(ns: tuple[int, ...]) -> int:
    m = sum(ns)
    # P(t) = Π_j Σ_a C(n_j+1, a) / (n_j − a)! t^a, so that
    # deg c_i(X) = ∫ c_i h^{m−i} = (m − i)! [t^i] P(t): the multinomial
    # coefficient of Π h_j^{n_j − a_j} in h^{m−i} split over the layers.
    poly = [Fraction(1)]
    for n in ns:
        factor = [Fraction(comb(n + 1, a), factorial(n - a)) for a in range(n + 1)]
        prod = [Fraction(0)] * (len(poly) + n)
        for i, p in enumerate(poly):
            if p:
                for a, f in enumerate(factor):
                    prod[i + a] += p * f
        poly = prod
    total = Fraction(0)
    for i in range(m + 1):
        deg_ci = factorial(m - i) * poly[i]
        total += (-1) ** i * (2 ** (m + 1 - i) - 1) * deg_ci
    assert total.denominator == 1
    return int(total)


def segre_ed_degree(ns) -> int:
    """Generic ED degree of ``P^{n_1} × ⋯ × P^{n_L}`` in its Segre embedding.

    Parameters
    ----------
    ns : sequence of int
        The projective dimensions ``n_i`` (a filter with ``k_i`` entries
        gives ``n_i = k_i − 1``). The order does not matter.

    Returns
    -------
    int
        ``Σ_{i=0}^{m} (−1)^i (2^{m+1−i} − 1) deg c_i(X)`` with ``m = Σ n_i``
        (Draisma et al. 2016, Theorem 5.8), exactly.

    Examples
    --------
    >>> segre_ed_degree((1, 1)), segre_ed_degree((2, 2)), segre_ed_degree((1, 1, 1)), segre_ed_degree((3, 3))
    (6, 39, 34, 284)
    >>> segre_ed_degree((5,))
    1
    """
    return _segre(_check_dims(ns))


def segre_dimensions(filter_entries) -> tuple[int, ...]:
    """Projective dimensions ``n_i = (entries of filter i) − 1``.

    Parameters
    ----------
    filter_entries : sequence of int
        Number of weights of each layer's filter (``k_i`` in 1-D,
        ``Π_j k_i^{(j)}`` for a D-dimensional filter).

    Examples
    --------
    >>> segre_dimensions((3, 2, 2))
    (2, 1, 1)
    """
    return tuple(int(k) - 1 for k in filter_entries)


def _check_partition(lam, what: str = "partition") -> tuple[int, ...]:
    out = []
    for p in lam:
        if isinstance(p, bool) or int(p) != p or p < 1:
            raise CritlcnError(f"{what} part {p!r} is not a positive integer")
        out.append(int(p))
    return tuple(sorted(out, reverse=True))


def conjugate(lam) -> tuple[int, ...]:
    """The conjugate partition ``λ'`` (columns of the Young diagram).

    Examples
    --------
    >>> conjugate((3, 1)), conjugate((2, 2, 1))
    ((2, 1, 1), (3, 2))
    """
    lam = _check_partition(lam)
    return tuple(sum(1 for p in lam if p > i) for i in range(lam[0] if lam else 0))


def dominates(lam, mu) -> bool:
    """True when ``λ ≥ μ`` in dominance order (partial sums of ``λ`` never
    below those of ``μ``; both partitions of the same number).

    Examples
    --------
    >>> dominates((3, 1), (2, 2)), dominates((2, 2), (3, 1))
    (True, False)
    """
    lam, mu = _check_partition(lam), _check_partition(mu)
    return sum(lam) == sum(mu) and _dominates(lam, mu)


def _dominates(lam: tuple[int, ...], mu: tuple[int, ...]) -> bool:
    a = b = 0
    for i in range(max(len(lam), len(mu))):
        a += lam[i] if i < len(lam) else 0
        b += mu[i] if i < len(mu) else 0
        if a < b:
            return False
    return True


@lru_cache(maxsize=None)
def _fill(levels: tuple[int, ...], rows: tuple[int, ...]) -> int:
    """Ways to fill ``rows`` (row sums, descending) into columns where
    ``levels[v]`` columns have capacity ``v + 1`` left."""
    if not rows:
        return 1 if not any(levels) else 0
    if sum(levels) < rows[0]:
        return 0
    return sum(ways * _fill(new, rows[1:]) for new, ways in _moves(levels, rows[0]))


@lru_cache(maxsize=None)
def _moves(levels: tuple[int, ...], r: int) -> tuple[tuple[tuple[int, ...], int], ...]:
    """Every way to put one ball in each of ``r`` distinct columns: the new
    capacity levels and the number of column choices leading there."""
    out = []

    def choose(v: int, left: int, ways: int, new: list[int]):
        if v < 0:
            if left == 0:
                out.append((_trim(tuple(new)), ways))
            return
        c = levels[v]
        for j in range(min(c, left) + 1):
            nxt = new.copy()
            nxt[v] -= j
            if v > 0:
                nxt[v - 1] += j
            choose(v - 1, left - j, ways * comb(c, j), nxt)

    choose(len(levels) - 1, r, 1, list(levels))
    return tuple(out)


def _trim(levels: tuple[int, ...]) -> tuple[int, ...]:
    end = len(levels)
    while end and levels[end - 1] == 0:
        end -= 1
    return levels[:end]


def assignment_count(lam, mu) -> int:
    """``N(λ, μ)``: 0/1 matrices with row sums ``λ`` and column sums ``μ``.

    Over C a form with root multiplicities ``λ`` has one colour per root with
    ``λ_i`` balls; layers of degrees ``μ`` are the bins. ``N(λ, μ)`` is the
    number of labelled assignments that never put two balls of one colour in
    one bin (docs/math.md, "Exact counts"), computed by dynamic programming over the
    multiset of remaining column capacities.

    Parameters
    ----------
    lam, mu : sequence of int
        Positive parts; order does not matter. Both must have the same sum.

    Examples
    --------
    >>> assignment_count((2, 1, 1), (2, 1, 1)), assignment_count((1, 1, 1, 1), (2, 1, 1))
    (5, 12)
    >>> assignment_count((3, 1), (2, 2))
    0
    """
    lam, mu = _check_partition(lam), _check_partition(mu, "layer degree")
    if sum(lam) != sum(mu):
        raise CritlcnError(f"row sums {lam} and column sums {mu} have different totals {sum(lam)} and {sum(mu)}")
    return _n(lam, mu) if lam else 1


def _n(lam: tuple[int, ...], mu: tuple[int, ...]) -> int:
    """`assignment_count` of checked, descending, non-empty partitions."""
    # N is symmetric: spread the larger parts over the capacity levels of the
    # other side, which keeps the choices per row few
    if lam[0] < mu[0]:
        lam, mu = mu, lam
    levels = [0] * mu[0]
    for m in mu:
        levels[m - 1] += 1
    return _fill(tuple(levels), lam)


def _check_degree(d) -> int:
    if isinstance(d, bool) or int(d) != d or d < 1:
        raise CritlcnError(f"degree {d!r} is not a positive integer: the end-to-end form has degree d >= 1")
    if d > MAX_COUNT_DEGREE:
        raise CritlcnError(f"degree {d} is above the supported {MAX_COUNT_DEGREE} for exact counts: choose a smaller d")
    return int(d)


def _partitions(d: int) -> list[tuple[int, ...]]:
    """Partitions of ``d``, descending parts, in increasing lexicographic order
    (``1^d`` first): every partition comes after all it dominates."""
    out: list[tuple[int, ...]] = []

    def rec(left: int, top: int, prefix: tuple[int, ...]):
        if left == 0:
            out.append(prefix)
            return
        for p in range(min(left, top), 0, -1):
            rec(left - p, p, prefix + (p,))

    rec(d, d, ())
    return sorted(out)


@lru_cache(maxsize=None)
def _ed_degrees(d: int) -> tuple[tuple[tuple[int, ...], int], ...]:
    parts = _partitions(d)
    ed: dict[tuple[int, ...], int] = {}
    for lam in parts:  # increasing lex order: everything λ dominates is known
        mu = conjugate(lam)
        rest = sum(_n(kappa, mu) * ed[kappa] for kappa in ed if _dominates(lam, kappa))
        value = segre_ed_degree(segre_dimensions(m + 1 for m in mu)) - rest
        if value < 1:  # the identity guarantees ≥ 1; anything else is a bug
            raise AssertionError(f"EDgen{lam} = {value} from the Segre identity")
        ed[lam] = value
    return tuple(sorted(ed.items(), key=lambda item: item[0], reverse=True))


def ed_degrees(d) -> dict[tuple[int, ...], int]:
    """``EDgen(Δ_λ)`` for every partition ``λ`` of ``d``.

    Solves ``gED(P^{μ_1} × ⋯ × P^{μ_L}) = Σ_λ N(λ, μ) EDgen(Δ_λ)`` with one
    architecture per partition ``μ = λ'``: unitriangular in dominance order.

    Parameters
    ----------
    d : int
        Degree of the binary forms, ``1 <= d <= MAX_COUNT_DEGREE``.

    Returns
    -------
    dict
        Partition (descending tuple) → generic ED degree, largest part first.

    Examples
    --------
    >>> ed_degrees(4)
    {(4,): 10, (3, 1): 12, (2, 2): 13, (2, 1, 1): 10, (1, 1, 1, 1): 1}
    """
    return dict(_ed_degrees(_check_degree(d)))


def ed_degree(partition) -> int:
    """``EDgen(Δ_λ)`` of one partition (the number of valid complex critical
    points of a generic square loss on the stratum).

    Examples
    --------
    >>> ed_degree((3, 2, 2, 1)), ed_degree((7,)), ed_degree((2, 1, 1, 1, 1, 1, 1, 1))
    (724, 19, 25)
    """
    lam = _check_partition(partition)
    return ed_degrees(sum(lam))[lam]


def architecture_breakdown(layer_degrees) -> tuple[tuple[tuple[int, ...], int, int], ...]:
    """Stride-one breakdown of the Segre number of layers of degrees ``μ``:
    rows ``(λ, N(λ, μ), EDgen(Δ_λ))`` for every ``λ`` with ``N(λ, μ) > 0``.

    ``Σ N · EDgen`` is `segre_ed_degree` of ``P^{μ_1} × ⋯`` (docs/math.md,
    "Exact counts").
    Layers of degree 0 (filters of size 1) only rescale and are dropped.

    Examples
    --------
    >>> rows = architecture_breakdown((2, 1, 1))
    >>> [(lam, n, ed) for lam, n, ed in rows][:2]
    [((3, 1), 1, 12), ((2, 2), 2, 13)]
    >>> sum(n * ed for _, n, ed in rows) == segre_ed_degree((2, 1, 1))
    True
    """
    mu = tuple(m for m in (int(x) for x in layer_degrees) if m > 0)
    if not mu:
        return ()
    out = []
    for lam, ed in ed_degrees(sum(mu)).items():
        n = assignment_count(lam, mu)
        if n:
            out.append((lam, n, ed))
    return tuple(out)
