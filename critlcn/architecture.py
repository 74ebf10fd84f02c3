"""Architectures of stride-one 1-D linear convolutional networks (docs/math.md, "Filters and binary forms")."""

from __future__ import annotations

from dataclasses import dataclass

from critlcn.errors import CritlcnError

__all__ = ["Architecture", "MAX_DEGREE"]

#: Largest end-to-end degree ``d`` that ``critlcn`` enumerates. The number of
#: rrmps grows like the partition numbers (d = 24: 9 776 rrmps; d = 30: 46 092; d = 40: about
#: 468 342), and at d = 30 a full enumeration with patterns still takes
#: seconds; beyond that the tables are too large to be useful.
MAX_DEGREE = 30


@dataclass(frozen=True)
class Architecture:
    """Filter sizes ``k = (k_1, ..., k_L)`` (layer 1 first) and strides.

    Parameters
    ----------
    k : tuple of int
        Filter sizes, each at least 1.
    strides : tuple of int, optional
        One stride per layer; only stride one is supported for now.

    Examples
    --------
    >>> a = Architecture((3, 2, 2))
    >>> a.size, a.degree, a.e, a.filling, a.bins
    (5, 4, 2, False, (2, 1, 1))
    """

    k: tuple[int, ...]
    strides: tuple[int, ...] = ()

    def __post_init__(self):
        k = tuple(self.k)
        if not k:
            raise CritlcnError("no filter sizes given in `k`: pass them layer 1 first, e.g. 3 2 2", parameter="k")
        for ki in k:
            if isinstance(ki, bool) or not isinstance(ki, int):
                raise CritlcnError(f"filter size {ki!r} in `k` is not an integer: pass whole numbers, e.g. 3 2 2",
                                   parameter="k")
            if ki < 1:
                raise CritlcnError(f"filter size {ki} in `k` is below 1: every filter has at least one weight, e.g. 3 2 2",
                                   parameter="k")
        strides = tuple(self.strides) if self.strides else (1,) * len(k)
        if len(strides) != len(k):
            raise CritlcnError(f"{len(strides)} strides for {len(k)} layers: give one stride per filter size")
        if any(s != 1 for s in strides):
            raise CritlcnError(f"strides {strides} are not supported yet: only stride one; drop `strides`",
                               parameter="strides")
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "strides", strides)

    @property
    def layers(self) -> int:
        """Number of layers ``L``."""
        return len(self.k)

    @property
    def degree(self) -> int:
        """Degree ``d = Σ (k_i - 1)`` of the end-to-end binary form."""
        return sum(ki - 1 for ki in self.k)

    @property
    def size(self) -> int:
        """End-to-end filter size ``d + 1``."""
        return self.degree + 1

    @property
    def bins(self) -> tuple[int, ...]:
        """Degrees ``k_i - 1`` of the layers' forms (the bin sizes)."""
        return tuple(ki - 1 for ki in self.k)

    @property
    def e(self) -> int:
        """Number of even filter sizes (layers whose form has odd degree)."""
        return sum(1 for ki in self.k if ki % 2 == 0)

    @property
    def filling(self) -> bool:
        """True when the function space is all of ``R^k`` (``e <= 1``)."""
        return self.e <= 1

    @property
    def function_space_dimension(self) -> int:
        """Dimension of ``M_k``: stride one makes it full-dimensional."""
        return self.size

    def label(self) -> str:
        """Short label such as ``k=(3,2,2)``."""
        return "k=(" + ",".join(map(str, self.k)) + ")"

    def to_dict(self) -> dict:
        """JSON-ready ``{"k": [...], "strides": [...]}``."""
        return {"k": list(self.k), "strides": list(self.strides)}


def check_degree(arch: Architecture, limit: int = MAX_DEGREE) -> Architecture:
    """Raise `CritlcnError` when ``arch.degree`` exceeds ``limit``.

    Examples
    --------
    >>> check_degree(Architecture((3, 3))).degree
    4
    """
    if arch.degree > limit:
        raise CritlcnError(
            f"degree d = {arch.degree} is above the supported {limit}: use smaller filter sizes (d = Σ(k_i - 1))"
        )
    return arch
