"""Architectures of linear convolutional networks: 1-D filters with strides and
D-dimensional filters of stride one (docs/math.md, "Filters and binary forms";
../shared/MATH.md §3, §9, §11 for the function-space facts)."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from critlcn.errors import CritlcnError

__all__ = ["Architecture", "MAX_DEGREE", "check_degree", "check_stride_one"]

#: Largest end-to-end degree ``d`` that ``critlcn`` enumerates. The number of
#: rrmps grows like the partition numbers (d = 24: 9 776 rrmps; d = 30: 46 092; d = 40: about
#: 468 342), and at d = 30 a full enumeration with patterns still takes
#: seconds; beyond that the tables are too large to be useful.
MAX_DEGREE = 30


def _format(ki) -> tuple[int, ...]:
    """``3`` -> ``(3,)``, ``(2, 2)`` -> ``(2, 2)``, checked."""
    parts = (ki,) if not isinstance(ki, (tuple, list)) else tuple(ki)
    if not parts:
        raise CritlcnError("an empty filter format in `k`: give sizes like 3 2 2 or formats like 2x2 3x3", parameter="k")
    for v in parts:
        if isinstance(v, bool) or not isinstance(v, int):
            raise CritlcnError(f"filter size {v!r} in `k` is not an integer: pass whole numbers, e.g. 3 2 2 or 2x2 3x3",
                               parameter="k")
        if v < 1:
            raise CritlcnError(f"filter size {v} in `k` is below 1: every filter has at least one weight, e.g. 3 2 2",
                               parameter="k")
    return parts


@dataclass(frozen=True)
class Architecture:
    """Filter sizes or formats ``k = (k_1, ..., k_L)`` (layer 1 first) and strides.

    Parameters
    ----------
    k : tuple of int, or tuple of tuples of int
        1-D filter sizes (``(3, 2, 2)``) or D-dimensional filter formats, one
        tuple per layer, all of the same order D (``((2, 2), (2, 1))``).
    strides : tuple of int, optional
        One stride per layer, each at least 1 (default all ones). Strides
        above one are supported for 1-D filters (MATH.md §9).

    Examples
    --------
    >>> a = Architecture((3, 2, 2))
    >>> a.size, a.degree, a.e, a.filling, a.bins
    (5, 4, 2, False, (2, 1, 1))
    >>> b = Architecture((3, 2), (2, 1))
    >>> b.size, b.end_stride, b.function_space_dimension, b.filling, b.segre_number
    (5, 2, 4, False, 10)
    >>> c = Architecture(((2, 2), (2, 1)))
    >>> c.axes, c.end_format, c.function_space_dimension, c.size, c.filling, c.segre_number
    (2, (3, 2), 5, 6, False, 14)
    """

    k: tuple
    strides: tuple[int, ...] = ()

    def __post_init__(self):
        raw = tuple(self.k) if isinstance(self.k, (tuple, list)) else (self.k,)
        if not raw:
            raise CritlcnError("no filter sizes given in `k`: pass them layer 1 first, e.g. 3 2 2", parameter="k")
        formats = tuple(_format(ki) for ki in raw)
        orders = sorted({len(f) for f in formats})
        if len(orders) > 1:
            raise CritlcnError(
                f"filters of different orders {orders} in `k` (e.g. 3 2x2): give every layer the same number of axes, "
                "e.g. 2x2 2x1", parameter="k"
            )
        multi = any(isinstance(ki, (tuple, list)) for ki in raw) and orders[0] > 1
        k = tuple(f if multi else f[0] for f in formats)
        strides = tuple(self.strides) if self.strides else (1,) * len(k)
        if len(strides) != len(k):
            raise CritlcnError(f"{len(strides)} strides for {len(k)} layers: give one stride per filter in `strides`, e.g. "
                               + " ".join(["2"] * (len(k) - 1) + ["1"]), parameter="strides")
        for s in strides:
            if isinstance(s, bool) or not isinstance(s, int):
                raise CritlcnError(f"stride {s!r} in `strides` is not an integer: pass whole numbers, e.g. 2 1",
                                   parameter="strides")
            if s < 1:
                raise CritlcnError(f"stride {s} in `strides` is below 1: strides are whole numbers >= 1, e.g. 2 1",
                                   parameter="strides")
        if multi and any(s != 1 for s in strides):
            raise CritlcnError(
                f"strides {list(strides)} with {orders[0]}-dimensional filters are not supported: "
                "D-dimensional networks have stride one; drop `strides`", parameter="strides"
            )
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "strides", strides)

    # -- shape -----------------------------------------------------------

    @property
    def layers(self) -> int:
        """Number of layers ``L``."""
        return len(self.k)

    @property
    def axes(self) -> int:
        """Order ``D`` of the filters (1 for 1-D networks)."""
        return len(self.formats[0])

    @property
    def formats(self) -> tuple[tuple[int, ...], ...]:
        """Every filter's format as a tuple (``(k_i,)`` in 1-D)."""
        return tuple(ki if isinstance(ki, tuple) else (ki,) for ki in self.k)

    @property
    def s(self) -> tuple[int, ...]:
        """The strides ``s = (s_1, ..., s_L)``."""
        return self.strides

    @property
    def stride_one(self) -> bool:
        """True for a 1-D network with every stride one: the stratified
        pipeline (MATH.md §4–6) applies."""
        return self.axes == 1 and all(s == 1 for s in self.strides)

    @property
    def sparse(self) -> bool:
        """True when the end-to-end filter is a sparse product (MATH.md §9): a
        stride above one before the last layer with more than one weight
        (one-weight layers only rescale, so their strides pass to the layer
        before them).

        Examples
        --------
        >>> Architecture((3, 2), (2, 1)).sparse, Architecture((3, 1), (2, 1)).sparse
        (True, False)
        """
        kept, lead = self._nontrivial()
        return bool(kept) and (lead > 1 or any(s > 1 for _, s in kept[:-1]))

    @property
    def layer_offsets(self) -> tuple[int, ...]:
        """``S_i = Π_{m<i} s_m``: entry ``j`` of filter ``i`` lands at ``j S_i``."""
        out, acc = [], 1
        for s in self.strides:
            out.append(acc)
            acc *= s
        return tuple(out)

    @property
    def end_stride(self) -> int:
        """Stride ``S = Π s_i`` of the end-to-end convolution."""
        return prod(self.strides)

    @property
    def end_format(self) -> tuple[int, ...]:
        """Format of the end-to-end filter: ``(k_1 + Σ_{i≥2} (k_i − 1) S_i,)``
        in 1-D, ``(1 + Σ_i (k_i^{(j)} − 1))_j`` in D dimensions."""
        if self.axes == 1:
            return (1 + sum((ki - 1) * S for ki, S in zip(self.k, self.layer_offsets)),)
        return tuple(1 + sum(f[j] - 1 for f in self.formats) for j in range(self.axes))

    @property
    def layer_entries(self) -> tuple[int, ...]:
        """Number of weights of each filter (``Π_j k_i^{(j)}``)."""
        return tuple(prod(f) for f in self.formats)

    @property
    def degree(self) -> int:
        """Degree of the end-to-end form: ``d = size − 1`` in 1-D (``Σ (k_i − 1)``
        for stride one), the total degree ``Σ_j (k^{(j)} − 1)`` in D dimensions."""
        return sum(K - 1 for K in self.end_format)

    @property
    def size(self) -> int:
        """Number of entries of the end-to-end filter (the ambient dimension)."""
        return prod(self.end_format)

    @property
    def bins(self) -> tuple[int, ...]:
        """Degrees ``k_i - 1`` of the layers' forms (the bin sizes; 1-D)."""
        return tuple(f[0] - 1 for f in self.formats) if self.axes == 1 else tuple(e - 1 for e in self.layer_entries)

    @property
    def e(self) -> int:
        """Number of even filter sizes (layers whose form has odd degree; 1-D)."""
        return sum(1 for ki in self.bins if ki % 2 == 1)

    @property
    def reduced(self) -> bool:
        """True when every filter has at least two weights: a one-weight layer
        only rescales (seeds' lemma, MATH.md §9)."""
        return all(n >= 2 for n in self.layer_entries)

    # -- function space ----------------------------------------------------

    @property
    def function_space_dimension(self) -> int:
        """``dim M = Σ_i (weights of filter i) − (L − 1)`` (one scale per layer,
        minus the product; MATH.md §9, §11). For stride one 1-D it equals ``size``."""
        return sum(self.layer_entries) - (self.layers - 1)

    @property
    def ambient_dimension(self) -> int:
        """Number of entries of the end-to-end filter."""
        return self.size

    def _nontrivial(self):
        """Layers with more than one weight, with the strides of the trivial
        layers after them merged in (a one-weight layer only rescales and
        subsamples), and the product of the strides of leading trivial layers."""
        kept, lead = [], 1
        for f, s in zip(self.formats, self.strides):
            if prod(f) == 1:
                if kept:
                    kept[-1] = (kept[-1][0], kept[-1][1] * s)
                else:
                    lead *= s
            else:
                kept.append((f, s))
        return kept, lead

    @property
    def filling(self) -> bool:
        """True when the function space is all of the ambient space.

        Stride one 1-D: ``e ≤ 1`` (MATH.md §3). A sparse product (an inner
        stride above one after dropping one-weight layers) or D-dimensional
        filters varying along two axes in two layers are lower-dimensional,
        hence not filling (MATH.md §9, §11).
        """
        kept, lead = self._nontrivial()
        if len(kept) == 0:
            return True
        if lead > 1 and len(kept) >= 1 and self.axes == 1:
            return False  # leading trivial layers subsample: entries between offsets stay zero
        if len(kept) == 1:
            return True
        if any(s > 1 for _, s in kept[:-1]):
            return False
        axes_used = {j for f, _ in kept for j, v in enumerate(f) if v > 1}
        if len(axes_used) > 1:
            return False
        return sum(1 for f, _ in kept if (prod(f) - 1) % 2 == 1) <= 1

    @property
    def segre_dimensions(self) -> tuple[int, ...]:
        """``(n_1, ..., n_L)`` with ``n_i`` = weights of filter ``i`` minus one."""
        from critlcn.degrees import segre_dimensions

        return segre_dimensions(self.layer_entries)

    @property
    def segre_number(self) -> int:
        """Number of complex critical scaling classes with non-zero filters for
        generic data: the generic ED degree of ``P^{n_1} × ⋯ × P^{n_L}`` (MATH.md §10)."""
        from critlcn.degrees import segre_ed_degree

        return segre_ed_degree(self.segre_dimensions)

    # -- data --------------------------------------------------------------

    def layer_sizes(self, d0) -> tuple:
        """Sizes ``d_0, ..., d_L`` of the layers for input size ``d0`` (an int
        in 1-D, a tuple of ``D`` ints otherwise):
        ``d_i = ⌊(d_{i−1} − k_i)/s_i⌋ + 1``, per axis in D dimensions.

        Raises `CritlcnError` when the input is too small for the filters.

        Examples
        --------
        >>> Architecture((3, 2), (2, 1)).layer_sizes(10)
        (10, 4, 3)
        >>> Architecture(((2, 2), (2, 1))).layer_sizes((5, 4))
        ((5, 4), (4, 3), (3, 3))
        """
        shape = (d0,) if self.axes == 1 and not isinstance(d0, (tuple, list)) else tuple(d0)
        if len(shape) != self.axes:
            raise CritlcnError(f"inputs of {len(shape)} axes for {self.axes}-dimensional filters of {self.label()}")
        sizes = [shape]
        for f, s in zip(self.formats, self.strides):
            prev = sizes[-1]
            nxt = tuple((p - kj) // s + 1 if p >= kj else 0 for p, kj in zip(prev, f))
            if any(n < 1 for n in nxt):
                need = self.min_input()
                raise CritlcnError(
                    f"inputs of size {_show(shape)} are too small for {self.label()}: layer {len(sizes)} has no output; "
                    f"use inputs of size at least {_show(need)}"
                )
            sizes.append(nxt)
        if self.axes == 1:
            return tuple(x[0] for x in sizes)
        return tuple(sizes)

    def min_input(self) -> tuple[int, ...]:
        """Smallest input format with an output of at least one entry per axis."""
        need = [1] * self.axes
        for f, s in reversed(list(zip(self.formats, self.strides))):
            need = [(n - 1) * s + kj for n, kj in zip(need, f)]
        return tuple(need)

    def input_size_for(self, d_out) -> tuple[int, ...]:
        """Smallest input format whose output format is ``d_out`` per axis."""
        need = list(d_out) if isinstance(d_out, (tuple, list)) else [d_out]
        for f, s in reversed(list(zip(self.formats, self.strides))):
            need = [(n - 1) * s + kj for n, kj in zip(need, f)]
        return tuple(need)

    def label(self) -> str:
        """Short label such as ``k=(3,2,2)``, ``k=(3,2),s=(2,1)`` or ``k=(2x2,2x1)``.

        Examples
        --------
        >>> Architecture((3, 2), (2, 1)).label(), Architecture(((2, 2), (2, 1))).label()
        ('k=(3,2),s=(2,1)', 'k=(2x2,2x1)')
        """
        ks = "k=(" + ",".join(_show(f) for f in self.formats) + ")"
        if any(s != 1 for s in self.strides):
            ks += ",s=(" + ",".join(map(str, self.strides)) + ")"
        return ks

    def to_dict(self) -> dict:
        """JSON-ready ``{"k": [...], "strides": [...]}`` (formats as lists in D dimensions)."""
        return {"k": [list(ki) if isinstance(ki, tuple) else ki for ki in self.k], "strides": list(self.strides)}


def _show(fmt) -> str:
    fmt = tuple(fmt) if isinstance(fmt, (tuple, list)) else (fmt,)
    return "x".join(map(str, fmt))


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


def check_stride_one(arch: Architecture, what: str) -> Architecture:
    """Raise `CritlcnError` unless ``arch`` is 1-D with every stride one
    (``what`` names the command that needs it).

    Examples
    --------
    >>> check_stride_one(Architecture((3, 2)), "strata").label()
    'k=(3,2)'
    """
    if not arch.stride_one:
        raise CritlcnError(
            f"{what} needs a 1-D network of stride one (strata organise its critical points, MATH.md §4), "
            f"not {arch.label()}; use critlcn enumerate or critlcn solve for strides and D-dimensional filters"
        )
    return arch
