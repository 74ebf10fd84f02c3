"""Real root multiplicity patterns ``(ρ|γ)``: the value type, enumeration,
regions and the closure order (docs/math.md, "Roots and multiplicity patterns").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from critlcn.errors import CritlcnError

__all__ = [
    "RRMP",
    "partitions",
    "enumerate_rrmps",
    "partitions_of_degree",
    "region",
    "degenerations",
    "REGIONS",
]

REGIONS = ("interior", "boundary", "exterior")


def _format_parts(parts: tuple[int, ...]) -> str:
    if not parts:
        return "0"
    if any(p >= 10 for p in parts):
        # A lone part of 10 or more keeps a trailing comma: "11" alone would
        # read as two parts 1, 1 (the notation's rule leaves this case ambiguous).
        return ",".join(str(p) for p in parts) + ("," if len(parts) == 1 else "")
    return "".join(str(p) for p in parts)


def _parse_parts(text: str, whole: str) -> tuple[int, ...]:
    text = text.strip()
    if text == "0":
        return ()
    if "," in text:
        pieces = (text[:-1] if text.endswith(",") else text).split(",")
    else:
        pieces = list(text)
    try:
        parts = tuple(int(p) for p in pieces)
    except ValueError:
        raise CritlcnError(
            f"cannot read rrmp {whole!r}: parts must be digits, e.g. 112|0, 0|11 or 1,10|0"
        ) from None
    if any(p < 1 for p in parts):
        raise CritlcnError(f"cannot read rrmp {whole!r}: parts must be positive (write an empty side as 0)")
    return parts


@dataclass(frozen=True, order=True)
class RRMP:
    """A real root multiplicity pattern ``(ρ|γ)``.

    ``rho`` holds the multiplicities of the distinct real roots, ``gamma``
    those of the distinct pairs of complex-conjugate roots. Both are stored
    sorted ascending, so equal patterns compare equal.

    Examples
    --------
    >>> r = RRMP.parse("211|0")
    >>> r, r.degree, r.partition, r.dimension
    (RRMP('112|0'), 4, (2, 1, 1), 4)
    >>> str(RRMP((10, 1), ())), str(RRMP((), (11,)))
    ('1,10|0', '0|11,')
    """

    rho: tuple[int, ...]
    gamma: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "rho", tuple(sorted(int(p) for p in self.rho)))
        object.__setattr__(self, "gamma", tuple(sorted(int(p) for p in self.gamma)))
        if any(p < 1 for p in self.rho + self.gamma):
            raise CritlcnError(f"multiplicities must be positive: got rho={self.rho}, gamma={self.gamma}")

    @classmethod
    def parse(cls, text: str) -> "RRMP":
        """Read ``'112|0'``, ``'0|11'`` or ``'1,10|0'``."""
        if not isinstance(text, str) or text.count("|") != 1:
            raise CritlcnError(f"cannot read rrmp {text!r}: write it as rho|gamma, e.g. 112|0 or 11|1")
        left, right = text.split("|")
        return cls(_parse_parts(left, text), _parse_parts(right, text))

    def __str__(self) -> str:
        return f"{_format_parts(self.rho)}|{_format_parts(self.gamma)}"

    def __repr__(self) -> str:
        return f"RRMP('{self}')"

    @property
    def degree(self) -> int:
        """``Σρ + 2Σγ``."""
        return sum(self.rho) + 2 * sum(self.gamma)

    @property
    def real_roots(self) -> int:
        """Number of real roots counted with multiplicity, ``Σρ``."""
        return sum(self.rho)

    @property
    def partition(self) -> tuple[int, ...]:
        """Complex partition ``λ = ρ ∪ γ ∪ γ``, descending."""
        return tuple(sorted(self.rho + self.gamma + self.gamma, reverse=True))

    @property
    def dimension(self) -> int:
        """Dimension ``r + 2c + 1`` of the stratum ``Δ(ρ|γ)`` in ``R^{d+1}``."""
        return len(self.rho) + 2 * len(self.gamma) + 1

    def sort_key(self) -> tuple:
        """Display order of the paper's table: fewer complex roots first, then
        real parts refined before coarse ones, then complex pairs coarse first."""
        return (
            sum(self.gamma),
            tuple(sorted(self.rho, reverse=True)),
            tuple(-g for g in sorted(self.gamma, reverse=True)),
        )


@lru_cache(maxsize=None)
def _partitions(n: int, largest: int) -> tuple[tuple[int, ...], ...]:
    if n == 0:
        return ((),)
    out = []
    for first in range(min(n, largest), 0, -1):
        for rest in _partitions(n - first, first):
            out.append((first,) + rest)
    return tuple(out)


def partitions(n: int) -> tuple[tuple[int, ...], ...]:
    """All partitions of ``n`` as descending tuples, in reverse lexicographic order.

    Examples
    --------
    >>> partitions(4)
    ((4,), (3, 1), (2, 2), (2, 1, 1), (1, 1, 1, 1))
    """
    if n < 0:
        raise CritlcnError(f"cannot partition a negative number {n}")
    return _partitions(n, n)


def enumerate_rrmps(d: int) -> list[RRMP]:
    """Every rrmp of degree ``d``, in the display order of the paper's table.

    Examples
    --------
    >>> [str(r) for r in enumerate_rrmps(4)]
    ['1111|0', '112|0', '22|0', '13|0', '4|0', '11|1', '2|1', '0|2', '0|11']
    """
    if d < 0:
        raise CritlcnError(f"degree {d} is negative")
    out = [
        RRMP(rho, gamma)
        for g in range(d // 2 + 1)
        for gamma in partitions(g)
        for rho in partitions(d - 2 * g)
    ]
    return sorted(out, key=RRMP.sort_key)


def partitions_of_degree(d: int) -> tuple[tuple[int, ...], ...]:
    """Complex partitions ``λ`` of ``d`` (the coincident root loci), descending.

    Examples
    --------
    >>> partitions_of_degree(3)
    ((3,), (2, 1), (1, 1, 1))
    """
    return partitions(d)


def region(r: RRMP, e: int) -> str:
    """``'interior'``, ``'boundary'`` or ``'exterior'`` of ``M_k`` (docs/math.md,
    "Roots and multiplicity patterns").

    ``e`` is the number of even filter sizes of the architecture.

    Examples
    --------
    >>> [region(RRMP.parse(s), 2) for s in ("13|0", "22|0", "0|11")]
    ['interior', 'boundary', 'exterior']
    """
    if e <= 1:
        return "interior"
    if r.real_roots < e:
        return "exterior"
    odd = sum(1 for p in r.rho if p % 2)
    return "boundary" if odd <= e - 2 else "interior"


def degenerations(r: RRMP) -> frozenset[RRMP]:
    """Patterns reached from ``r`` by one move of the closure order: two real roots
    merge, two conjugate pairs merge, a pair collapses onto the real line, or a
    pair lands on a real root.

    Examples
    --------
    >>> sorted(str(x) for x in degenerations(RRMP.parse("11|1")))
    ['112|0', '13|0', '2|1']
    """
    out = set()
    rho, gamma = list(r.rho), list(r.gamma)
    for i in range(len(rho)):
        for j in range(i + 1, len(rho)):
            rest = rho[:i] + rho[i + 1 : j] + rho[j + 1 :]
            out.add(RRMP(tuple(rest) + (rho[i] + rho[j],), r.gamma))
    for i in range(len(gamma)):
        gout = gamma[:i] + gamma[i + 1 :]
        out.add(RRMP(r.rho + (2 * gamma[i],), tuple(gout)))
        for j in range(i + 1, len(gamma)):
            rest = gamma[:i] + gamma[i + 1 : j] + gamma[j + 1 :]
            out.add(RRMP(r.rho, tuple(rest) + (gamma[i] + gamma[j],)))
        for a in range(len(rho)):
            rest = rho[:a] + rho[a + 1 :]
            out.add(RRMP(tuple(rest) + (rho[a] + 2 * gamma[i],), tuple(gout)))
    return frozenset(out)
