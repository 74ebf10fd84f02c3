"""Balls in bins: which rrmps an architecture can factor, and how (docs/math.md,
"Roots and multiplicity patterns"; Kohn, Merkh, Montúfar, Trager, *Geometry of
Linear Convolutional Networks*, Section 4).

Bin ``i`` has size ``k_i - 1``. A real root of multiplicity ``ρ`` is a colour
with ``ρ`` balls of size 1; a conjugate pair of multiplicity ``γ`` a colour
with ``γ`` balls of size 2. An assignment fills every bin exactly and never
puts two balls of one colour in one bin, so a colour of multiplicity ``m``
occupies ``m`` distinct bins.

Counting and deciding use a dynamic programme over the multiset of remaining
bin capacities (the count is invariant under permuting bins), memoised across
patterns, so neither lists assignments.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from dataclasses import dataclass
from functools import lru_cache
from math import comb, factorial
from typing import Iterator, Sequence

from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP, enumerate_rrmps, region

__all__ = [
    "Colour",
    "colours",
    "count_assignments",
    "is_compatible",
    "labelled_assignments",
    "assignment_orbits",
    "patterns",
    "pattern_string",
    "example_pattern",
    "StratumInfo",
    "stratum_info",
    "stratum_infos",
    "compatibility_table",
]

SEPARATOR = "·"


@dataclass(frozen=True)
class Colour:
    """One distinct real linear factor (``kind='p'``) or irreducible quadratic
    factor (``kind='q'``) of a form, with its multiplicity."""

    kind: str
    index: int
    multiplicity: int

    @property
    def size(self) -> int:
        """Degree of the factor: 1 for a real root, 2 for a conjugate pair."""
        return 1 if self.kind == "p" else 2

    def __str__(self) -> str:
        return f"{self.kind}{self.index}"


def colours(r: RRMP) -> tuple[Colour, ...]:
    """The colours of ``r`` in paper notation: ``p1..pr`` by ascending ``ρ``,
    then ``q1..qc`` by ascending ``γ``.

    Examples
    --------
    >>> [(str(c), c.multiplicity) for c in colours(RRMP.parse("12|1"))]
    [('p1', 1), ('p2', 2), ('q1', 1)]
    """
    reals = tuple(Colour("p", i + 1, m) for i, m in enumerate(r.rho))
    pairs = tuple(Colour("q", j + 1, m) for j, m in enumerate(r.gamma))
    return reals + pairs


def _norm_caps(caps) -> tuple[int, ...]:
    return tuple(sorted((c for c in caps if c > 0), reverse=True))


@lru_cache(maxsize=None)
def _count(balls: tuple[tuple[int, int], ...], caps: tuple[int, ...]) -> int:
    """Labelled assignments of colours ``balls`` (pairs (size, multiplicity))
    into bins with remaining capacities ``caps`` (descending, zeros dropped)."""
    if not balls:
        return 0 if caps else 1
    size, mult = balls[0]
    rest = balls[1:]
    groups: dict[int, int] = {}
    for c in caps:
        groups[c] = groups.get(c, 0) + 1
    values = [c for c in groups if c >= size]
    if sum(groups[c] for c in values) < mult:
        return 0
    total = 0
    # choose how many bins of each capacity value this colour enters
    ranges = [range(min(groups[c], mult) + 1) for c in values]
    for take in itertools.product(*ranges):
        if sum(take) != mult:
            continue
        weight = 1
        new = []
        for c, n in groups.items():
            t = take[values.index(c)] if c in values else 0
            weight *= comb(n, t)
            new.extend([c - size] * t + [c] * (n - t))
        sub = _count(rest, _norm_caps(new))
        if sub:
            total += weight * sub
    return total


def _sorted_balls(balls) -> tuple[tuple[int, int], ...]:
    # Large colours first: they are the most constrained, which prunes early.
    return tuple(sorted(balls, key=lambda b: (-b[0] * b[1], -b[0], -b[1])))


def _balls(cols: Sequence[Colour]) -> tuple[tuple[int, int], ...]:
    return _sorted_balls((c.size, c.multiplicity) for c in cols)


def _check(r: RRMP, arch: Architecture) -> None:
    if r.degree != arch.degree:
        raise CritlcnError(f"rrmp {r} has degree {r.degree} but {arch.label()} has degree {arch.degree}")


def count_assignments(r: RRMP, arch: Architecture) -> int:
    """Number of labelled compatible assignments: the parameter-space scaling
    classes above one point of ``Δ(ρ|γ)``.

    Examples
    --------
    >>> count_assignments(RRMP.parse("1111|0"), Architecture((3, 2, 2)))
    12
    >>> count_assignments(RRMP.parse("0|2"), Architecture((3, 2, 2)))
    0
    """
    _check(r, arch)
    return _count(_balls(colours(r)), _norm_caps(arch.bins))


def is_compatible(r: RRMP, arch: Architecture) -> bool:
    """True when ``(ρ|γ)`` admits a compatible assignment for ``arch``.

    Examples
    --------
    >>> is_compatible(RRMP.parse("22|0"), Architecture((3, 2, 2)))
    True
    >>> is_compatible(RRMP.parse("22|0"), Architecture((4, 2)))
    False
    """
    return count_assignments(r, arch) > 0


def _feasible(cols: Sequence[Colour], caps: Sequence[int]) -> bool:
    return _count(_balls(cols), _norm_caps(caps)) > 0


def labelled_assignments(r: RRMP, arch: Architecture) -> Iterator[tuple[tuple[int, ...], ...]]:
    """Every labelled compatible assignment, one tuple of layer indices
    (0-based, layer 1 first) per colour in the order of `colours`.

    Lists assignments, so use it for lifting, not to count.

    Examples
    --------
    >>> list(labelled_assignments(RRMP.parse("2|1"), Architecture((3, 2, 2))))
    [((1, 2), (0,))]
    """
    _check(r, arch)
    cols = colours(r)
    bins = list(arch.bins)

    def place(i: int, caps: list[int]):
        if i == len(cols):
            yield ()
            return
        col = cols[i]
        for subset in itertools.combinations(range(len(caps)), col.multiplicity):
            if any(caps[b] < col.size for b in subset):
                continue
            new = list(caps)
            for b in subset:
                new[b] -= col.size
            if _feasible(cols[i + 1 :], new):
                for tail in place(i + 1, new):
                    yield (subset,) + tail

    yield from place(0, bins)


def assignment_orbits(r: RRMP, arch: Architecture) -> Iterator[tuple[tuple[tuple[int, ...], ...], int]]:
    """One labelled compatible assignment per orbit under permuting layers of
    equal size, with the orbit's size (how many labelled assignments it
    stands for); the sizes add up to `count_assignments`.

    Swapping two layers of one size maps parameters to parameters of the same
    loss and Hessian spectrum (convolution commutes), so an orbit is one
    critical point up to relabelling. Orbits are built layer by layer, the
    contents of equal-size layers in non-decreasing order, so nothing is
    listed twice: ``k = (3, 2, …, 2)`` at ``d = 10`` has 1 814 400 labelled
    assignments of ten real roots but 45 orbits.

    Examples
    --------
    >>> list(assignment_orbits(RRMP.parse("1111|0"), Architecture((3, 2, 2))))
    [(((0,), (0,), (1,), (2,)), 2), (((0,), (1,), (0,), (2,)), 2), (((0,), (1,), (2,), (0,)), 2), \
(((1,), (0,), (0,), (2,)), 2), (((1,), (0,), (2,), (0,)), 2), (((1,), (2,), (0,), (0,)), 2)]
    """
    _check(r, arch)
    cols = colours(r)
    bins = list(arch.bins)
    k = list(arch.k)
    sizes = [c.size for c in cols]

    def contents(cap, left, start=0):
        """Sets of colours (ascending indices) with sizes adding up to ``cap``."""
        if cap == 0:
            yield ()
            return
        for i in range(start, len(cols)):
            if left[i] and sizes[i] <= cap:
                for tail in contents(cap - sizes[i], left, i + 1):
                    yield (i,) + tail

    def fill(b, left, chosen):
        if b == len(bins):
            yield tuple(chosen)
            return
        prev = max((j for j in range(b) if k[j] == k[b]), default=None)
        for content in contents(bins[b], left):
            if prev is not None and content < chosen[prev]:
                continue
            new = list(left)
            for i in content:
                new[i] -= 1
            if _feasible([Colour(c.kind, c.index, m) for c, m in zip(cols, new) if m], bins[b + 1:]):
                yield from fill(b + 1, new, chosen + [content])

    for layout in fill(0, [c.multiplicity for c in cols], []):
        size = 1
        for width in sorted(set(k)):
            group = [layout[b] for b in range(len(k)) if k[b] == width]
            size *= factorial(len(group))
            for same in itertools.groupby(sorted(group)):
                size //= factorial(len(list(same[1])))
        yield tuple(tuple(b for b in range(len(k)) if i in layout[b]) for i in range(len(cols))), size


def pattern_string(r: RRMP, assignment: Sequence[Sequence[int]], layers: int) -> str:
    """Paper notation of an assignment: layers ``w_1·w_2·…``, linear factors
    before quadratic ones; a layer of filter size 1 is written ``1``.

    Examples
    --------
    >>> pattern_string(RRMP.parse("11|1"), [(1,), (2,), (0,)], 3)
    'q1·p1·p2'
    """
    cols = colours(r)
    per_layer: list[list[Colour]] = [[] for _ in range(layers)]
    for col, subset in zip(cols, assignment):
        for b in subset:
            per_layer[b].append(col)
    parts = []
    for facs in per_layer:
        facs.sort(key=lambda c: (c.kind, c.index))
        parts.append("".join(map(str, facs)) or "1")
    return SEPARATOR.join(parts)


def _split(shape: tuple[tuple[int, int, int], ...], take: tuple[int, ...]) -> tuple[tuple[int, int, int], ...]:
    out = []
    for (count, size, left), t in zip(shape, take):
        if t:
            out.append((t, size, left - 1))
        if count - t:
            out.append((count - t, size, left))
    return tuple(out)


class _LazyList:
    """A cached sequence that is computed only as far as it is read, so the
    first pattern of a huge orbit listing costs no more than its own path."""

    def __init__(self, gen):
        self._items: list = []
        self._gen = gen

    def __iter__(self):
        i = 0
        while True:
            if i < len(self._items):
                yield self._items[i]
                i += 1
            elif self._gen is None:
                return
            else:
                try:
                    self._items.append(next(self._gen))
                except StopIteration:
                    self._gen = None


@lru_cache(maxsize=None)
def _layer_choices(shape: tuple[tuple[int, int, int], ...], cap: int, later: tuple[int, ...]) -> _LazyList:
    """Feasible ways to fill a bin of size ``cap`` from classes ``shape``
    (members, ball size, balls left per member): how many members of each
    class enter, in lexicographic order, with the classes after the choice,
    keeping only choices after which the ``later`` bins can still be filled."""
    room_after = [0] * (len(shape) + 1)
    for j in range(len(shape) - 1, -1, -1):
        count, size, left = shape[j]
        room_after[j] = room_after[j + 1] + (count * size if left > 0 else 0)
    caps = _norm_caps(later)

    def rec(j: int, cap: int, acc: tuple[int, ...]):
        if cap == 0:
            yield acc + (0,) * (len(shape) - j)
            return
        if j == len(shape) or room_after[j] < cap:
            return
        count, size, left = shape[j]
        top = min(count, cap // size) if left > 0 else 0
        for t in range(top, -1, -1):
            yield from rec(j + 1, cap - t * size, acc + (t,))

    def feasible():
        for take in rec(0, cap, ()):
            after = _split(shape, take)
            balls = [(size, left) for count, size, left in after if left > 0 for _ in range(count)]
            if _count(_sorted_balls(balls), caps):
                yield take, after

    return _LazyList(feasible())


@lru_cache(maxsize=None)
def _completions(shape: tuple, bins: tuple[int, ...], limit: int | None) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """The first ``limit`` ways (all when None) to fill ``bins`` from classes
    ``shape``, each a sequence of per-layer takes, in lexicographic order.
    They depend on class sizes only, so subtrees are shared across rrmps."""
    if not bins:
        return ((),)
    out = []
    for take, after in _layer_choices(shape, bins[0], bins[1:]):
        room = None if limit is None else limit - len(out)
        for tail in _completions(after, bins[1:], room):
            out.append((take,) + tail)
        if limit is not None and len(out) >= limit:
            break
    return tuple(out)


def _canonical_assignments(r: RRMP, arch: Architecture, limit: int | None = None) -> list[tuple[tuple[int, ...], ...]]:
    """Canonical assignments, one per orbit under relabelling colours of equal
    kind and multiplicity, in increasing paper order (layer 1's factors first):
    per assignment, the tuple of colour indices in each layer.

    Layers are filled one after another. Colours of one type that have
    entered exactly the same layers so far form a class; taking ``t`` of a
    class always takes its first ``t`` members, which keeps only the
    lexicographically first member of each orbit. Each layer's choices come in
    lexicographic order from `_layer_choices`, which drops every dead end, so
    the first assignment is the paper's example and a truncated listing is a
    prefix of the full one.
    """
    cols = colours(r)
    firsts: list[int] = []
    shape: list[tuple[int, int, int]] = []
    for i, c in enumerate(cols):
        if shape and (cols[i - 1].kind, cols[i - 1].multiplicity) == (c.kind, c.multiplicity):
            count, size, left = shape[-1]
            shape[-1] = (count + 1, size, left)
        else:
            firsts.append(i)
            shape.append((1, c.size, c.multiplicity))
    if not _feasible(cols, arch.bins):
        return []
    out = []
    for takes in _completions(tuple(shape), arch.bins, limit):
        cur_firsts, cur_shape, rows = firsts, tuple(shape), []
        for take in takes:
            chosen, new_firsts = [], []
            for first, (count, _, _), t in zip(cur_firsts, cur_shape, take):
                if t:
                    new_firsts.append(first)
                    chosen.extend(range(first, first + t))
                if count - t:
                    new_firsts.append(first + t)
            rows.append(tuple(chosen))
            cur_firsts, cur_shape = new_firsts, _split(cur_shape, take)
        out.append(tuple(rows))
    return out


def patterns(r: RRMP, arch: Architecture, limit: int | None = None) -> tuple[str, ...]:
    """Distinct factorisation patterns of ``r`` for ``arch``, up to relabelling
    colours of equal multiplicity, in paper order (the first is the paper's
    example). ``limit`` keeps only the first ones: at high degree a single
    rrmp can have 10^5 patterns.

    Examples
    --------
    >>> patterns(RRMP.parse("112|0"), Architecture((3, 2, 2)))
    ('p1p2·p3·p3', 'p1p3·p2·p3', 'p1p3·p3·p2')
    >>> patterns(RRMP.parse("4|0"), Architecture((3, 2, 2)))
    ()
    """
    _check(r, arch)
    gen = _canonical_assignments(r, arch, limit)
    # colour indices within a layer come out ascending, which is paper order
    names = [str(c) for c in colours(r)]
    return tuple(SEPARATOR.join("".join(names[i] for i in row) or "1" for row in rows) for rows in gen)


def example_pattern(r: RRMP, arch: Architecture) -> str | None:
    """The paper's example pattern (the first of `patterns`), or None when
    ``r`` is incompatible with ``arch``.

    Examples
    --------
    >>> example_pattern(RRMP.parse("11|1"), Architecture((4, 2)))
    'p1q1·p2'
    """
    found = patterns(r, arch, limit=1)
    return found[0] if found else None


@dataclass(frozen=True)
class StratumInfo:
    """What ``critlcn enumerate`` reports about one rrmp for one architecture."""

    rrmp: RRMP
    region: str
    compatible: bool
    patterns: tuple[str, ...]
    assignments: int
    patterns_truncated: bool = False

    def to_dict(self) -> dict:
        """JSON-ready row of the ``enumerate`` contract."""
        return {
            "rrmp": str(self.rrmp),
            "rho": list(self.rrmp.rho),
            "gamma": list(self.rrmp.gamma),
            "partition": list(self.rrmp.partition),
            "dimension": self.rrmp.dimension,
            "region": self.region,
            "compatible": self.compatible,
            "patterns": list(self.patterns),
            "assignments": self.assignments,
            "patterns_truncated": self.patterns_truncated,
        }


def stratum_info(r: RRMP, arch: Architecture, max_patterns: int | None = None) -> StratumInfo:
    """Region, compatibility, all patterns and the assignment count of ``r``.

    Examples
    --------
    >>> s = stratum_info(RRMP.parse("22|0"), Architecture((3, 2, 2)))
    >>> s.region, s.compatible, s.patterns, s.assignments
    ('boundary', True, ('p1p2·p1·p2',), 2)
    """
    n = count_assignments(r, arch)
    limit = None if max_patterns is None else max_patterns + 1
    pats = patterns(r, arch, limit) if n else ()
    truncated = max_patterns is not None and len(pats) > max_patterns
    return StratumInfo(r, region(r, arch.e), n > 0, pats[:max_patterns] if truncated else pats, n, truncated)


def compatibility_table(archs: Sequence[Architecture]) -> tuple[tuple[RRMP, ...], dict[Architecture, tuple[str | None, ...]]]:
    """The paper's side-by-side table: rows are the rrmps of the common degree,
    one column of example patterns (None = incompatible) per architecture.

    Examples
    --------
    >>> rows, cols = compatibility_table([Architecture((4, 2))])
    >>> [str(r) for r in rows[:3]], cols[Architecture((4, 2))][:3]
    (['1111|0', '112|0', '22|0'], ('p1p2p3·p4', 'p1p2p3·p3', None))
    """
    if not archs:
        raise CritlcnError("no architecture given in `archs`: pass at least one, e.g. 3 2 2 and 4 2", parameter="archs")
    degrees = {a.degree for a in archs}
    if len(degrees) != 1:
        listing = ", ".join(f"{a.label()}: d={a.degree}" for a in archs)
        raise CritlcnError(f"architectures of different degrees ({listing}): a table needs equal d = Σ(k_i - 1)")
    rows = tuple(enumerate_rrmps(degrees.pop()))
    cols = {a: tuple(example_pattern(r, a) for r in rows) for a in archs}
    return rows, cols


def _infos_chunk(args) -> list[StratumInfo]:
    rrmps, arch, max_patterns = args
    return [stratum_info(r, arch, max_patterns) for r in rrmps]


def stratum_infos(arch: Architecture, max_patterns: int | None = None, jobs: int | None = None) -> list[StratumInfo]:
    """`stratum_info` for every rrmp of degree ``d``, in display order.

    Large degrees are split over ``jobs`` processes (default: all cores);
    each process keeps its own memo of the dynamic programme.

    Examples
    --------
    >>> [s.assignments for s in stratum_infos(Architecture((4, 2)))]
    [4, 1, 0, 0, 0, 2, 1, 0, 0]
    """
    rrmps = enumerate_rrmps(arch.degree)
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(rrmps) < 2000:
        return _infos_chunk((rrmps, arch, max_patterns))
    # interleave so that every process gets a share of the expensive rows
    chunks = [(rrmps[i::jobs], arch, max_patterns) for i in range(jobs)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        parts = pool.map(_infos_chunk, chunks)
    out = [None] * len(rrmps)
    for i, part in enumerate(parts):
        out[i::jobs] = part
    return out
