"""Result values shared by the solvers, the lifting and the reports: path
statistics, critical points in function and parameter space, solve and lift
results, their statuses, one JSON conversion and one record of versions.

This module imports no solver (PHCpack's version is looked up lazily in
`versions`), so a report or a notebook can read results without the
homotopy machinery. Statuses are `enum.StrEnum` members: they compare equal
to, format as and serialise to their string values, so JSON and tables show
``"valid"``, ``"minimum"``, … as before.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import platform
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from critlcn.architecture import Architecture
from critlcn.rrmp import RRMP

__all__ = [
    "EndpointStatus",
    "HessianType",
    "MinimumKind",
    "Scaling",
    "to_jsonable",
    "versions",
    "StratumStats",
    "CriticalPoint",
    "SolveResult",
    "ParameterPoint",
    "LiftedPoint",
    "ZeroSet",
    "SummaryRow",
    "LiftResult",
    "GRADIENT_TOL",
]

#: A parameter point is verified when its gradient norm is below this times
#: its gradient scale (`critlcn.landscape.gradient_scale`): rounding level.
GRADIENT_TOL = 1e-8


class _Status(enum.StrEnum):
    # repr as the plain string, so lists and tuples of statuses print as the
    # strings they replace (doctests, logs)
    def __repr__(self) -> str:
        return repr(self.value)


class EndpointStatus(_Status):
    """What became of the end point of a path."""

    VALID = "valid"
    DUPLICATE = "duplicate"
    SPURIOUS = "spurious"
    FAILED = "failed"


class HessianType(_Status):
    """Type of a critical point of ``L``, from its Hessian with the scaling
    directions removed."""

    MINIMUM = "minimum"
    SADDLE = "saddle"
    DEGENERATE = "degenerate"


class MinimumKind(_Status):
    """Whether a minimum of ``L`` is a global one."""

    GLOBAL = "global"
    NON_GLOBAL = "non-global"


class Scaling(_Status):
    """Which point of each scaling class the lifting reports."""

    BALANCED = "balanced"
    INVARIANTS = "invariants"


#: Types `to_jsonable` returns as they are.
_PLAIN = frozenset({int, str, bool, type(None)})


@functools.lru_cache(maxsize=None)
def _json_fields(cls) -> tuple[tuple[str, str, bool], ...]:
    """``(field name, JSON key, pairs)`` of the fields of dataclass ``cls``
    that `to_jsonable` writes, in order."""
    out = []
    for f in dataclasses.fields(cls):
        key = f.metadata.get("json", f.name)
        if key is not None:
            out.append((f.name, key, bool(f.metadata.get("pairs"))))
    return tuple(out)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: dataclasses as dicts of their fields
    (a field's ``metadata['json']`` renames it, ``None`` leaves it out;
    ``metadata['pairs']`` turns a tuple of pairs into a dict), `RRMP` and
    `Architecture` as in the reports, enums as their values, numpy arrays and
    scalars as lists and numbers, tuples as lists, non-finite floats as None.

    Examples
    --------
    >>> to_jsonable({"r": RRMP.parse("12|0"), "a": np.array([1.0, np.inf]), "t": (np.int64(2), HessianType.SADDLE)})
    {'r': '12|0', 'a': [1.0, None], 't': [2, 'saddle']}
    """
    kind = type(value)
    if kind is float:  # most leaves (filters, eigenvalues): the last rule below, first
        return value if math.isfinite(value) else None
    if kind in _PLAIN:
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, RRMP):
        return str(value)
    if isinstance(value, Architecture):
        return {**value.to_dict(), "label": value.label()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, key, pairs in _json_fields(kind):
            item = getattr(value, name)
            if pairs:
                item = dict(item)
            out[key] = to_jsonable(item)
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, complex):
        return [to_jsonable(value.real), to_jsonable(value.imag)]
    return value


def versions(*, extra: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """Versions of critlcn, Python and the libraries a result depends on, for
    reports (PHCpack's ``'unavailable'`` when phcpy cannot be imported), then
    those of the modules named in ``extra`` (e.g. ``('matplotlib',)`` for a
    report with plots).

    Examples
    --------
    >>> [name for name, _ in versions(extra=("click",))]
    ['critlcn', 'python', 'numpy', 'scipy', 'sympy', 'networkx', 'phcpy', 'python-flint', 'click']
    """
    import importlib
    import sys

    from critlcn import __version__

    def module_version(module: str, distribution: str) -> str:
        # the module's own __version__ when it is loaded; else its
        # distribution's metadata, which names the same version without
        # importing it (sympy and networkx take ~0.6 s to import, and a
        # solve needs neither); the import only when there is no metadata
        if module not in sys.modules:
            try:
                return version(distribution)
            except PackageNotFoundError:
                pass
        return str(importlib.import_module(module).__version__)

    from importlib.metadata import PackageNotFoundError, version

    try:
        from critlcn.homotopy import phcpy_version

        phc = phcpy_version()
    except Exception:  # a report still renders without PHCpack
        phc = "unavailable"
    out = [("critlcn", __version__), ("python", platform.python_version()), ("numpy", np.__version__),
           ("scipy", module_version("scipy", "scipy")), ("sympy", module_version("sympy", "sympy")),
           ("networkx", module_version("networkx", "networkx")), ("phcpy", phc),
           ("python-flint", module_version("flint", "python-flint"))]

    for name in extra:
        try:  # distribution metadata: click 9 drops its __version__ attribute
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, str(getattr(importlib.import_module(name), "__version__", "unknown"))))
    return tuple(out)


# ---------------------------------------------------------------------------
# function space


@dataclass(frozen=True)
class StratumStats:
    """Per-partition statistics of a solve (HomotopyContinuation.jl style:
    nothing hidden; ``failed`` paths are reported, not dropped)."""

    partition: tuple[int, ...]
    rrmps: tuple[str, ...]
    paths_tracked: int
    valid: int
    expected: int | None
    real: int
    spurious: int
    failed: int
    #: distinct valid solutions proved by interval arithmetic (`critlcn.certify`);
    #: ``None`` when not certified
    certified: int | None = None

    @property
    def proved(self) -> bool:
        """True when the certified count equals the generic count: the stratum
        is proved complete for the data."""
        return self.certified is not None and self.expected is not None and self.certified == self.expected

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return to_jsonable(self)


@dataclass(frozen=True)
class CriticalPoint:
    """A real critical point of ``ℓ`` on the stratum of its rrmp."""

    rrmp: RRMP
    partition: tuple[int, ...]
    region: str
    compatible: bool
    filter: tuple[float, ...]
    loss: float
    #: True when a certified box proves it is a real, valid, isolated
    #: solution (`critlcn.certify`); ``None`` when not certified
    certified_real: bool | None = None
    #: The distinct-root factors ``((m, f_m), …)`` of ``filter = c Π f_m^m``
    #: from the solver's chart (real unit-norm forms, simple roots), so that
    #: lifting need not find multiple roots in the expanded filter
    #: (`critlcn.roots.factor_form`); ``()`` when not known. Not in the JSON.
    factors: tuple = field(default=(), compare=False, repr=False, metadata={"json": None})

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return to_jsonable(self)


@dataclass(frozen=True)
class SolveResult:
    """Everything a solve found: per-partition statistics and the real
    critical points, sorted by loss.

    ``str(result)`` is a short summary; ``result.to_dict()`` the JSON contract.
    """

    architecture: Architecture
    seed: int
    data: tuple[tuple[str, object], ...]
    strata: tuple[StratumStats, ...]
    points: tuple[CriticalPoint, ...]
    all_strata: bool = False
    versions: tuple[tuple[str, str], ...] = ()

    @property
    def degree(self) -> int:
        """``d``."""
        return self.architecture.degree

    @property
    def complete(self) -> bool:
        """True when no path failed and every partition's count of valid
        solutions equals its exact count. A partition without a known count
        (``expected`` is None) cannot be proven complete, so it makes the
        result incomplete too (`problems` says why)."""
        return not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Why the result is not complete, one phrase per partition (empty when complete).

        Examples
        --------
        >>> s = StratumStats((2, 1), ("2|1",), 7, 6, 7, 2, 0, 1)
        >>> r = SolveResult(Architecture((2, 2)), 0, (), (s,), ())
        >>> r.complete, r.problems
        (False, ('λ = 2-1: 1 path failed, 6 valid of 7 expected',))
        """
        out = []
        for s in self.strata:
            why = []
            if s.failed:
                why.append(f"{s.failed} path{'s' if s.failed != 1 else ''} failed")
            if s.expected is None:
                why.append(f"{s.valid} valid, exact count unknown")
            elif s.valid != s.expected:
                why.append(f"{s.valid} valid of {s.expected} expected")
            if why:
                out.append(f"λ = {'-'.join(map(str, s.partition))}: " + ", ".join(why))
        return tuple(out)

    def best(self) -> CriticalPoint | None:
        """The compatible critical point of lowest loss."""
        comp = [p for p in self.points if p.compatible]
        return comp[0] if comp else None

    @property
    def certification(self) -> dict | None:
        """What interval certification proved (`critlcn.certify`): certified
        solutions of all valid ones, strata whose every solution is certified,
        strata proved complete (certified count = generic count), and whether
        every count is proved; ``None`` when the solve was not certified."""
        if not self.strata or any(s.certified is None for s in self.strata):
            return None
        return {
            "solutions": sum(s.certified for s in self.strata),
            "valid": sum(s.valid for s in self.strata),
            "strata_certified": sum(s.certified == s.valid for s in self.strata),
            "strata_proved": sum(s.proved for s in self.strata),
            "strata": len(self.strata),
            "every_count_proved": all(s.proved for s in self.strata),
            "real_points_certified": sum(p.certified_real is True for p in self.points),
        }

    def to_dict(self) -> dict:
        """The JSON contract of ``critlcn solve --format json``."""
        return to_jsonable({
            "architecture": self.architecture,
            "degree": self.degree,
            "seed": self.seed,
            "all_strata": self.all_strata,
            "data": dict(self.data),
            "strata": self.strata,
            "critical_points": self.points,
            "complete": self.complete,
            "problems": self.problems,
            "certified": self.certification,
            "versions": dict(self.versions),
        })

    def __str__(self) -> str:
        data = dict(self.data)
        lines = [
            f"{self.architecture.label()}, degree {self.degree}, data {data.get('source')} "
            f"({data.get('samples')} samples), seed {self.seed}",
        ]
        paths = sum(s.paths_tracked for s in self.strata)
        valid = sum(s.valid for s in self.strata)
        failed = sum(s.failed for s in self.strata)
        real = sum(s.real for s in self.strata)
        lines.append(
            f"{len(self.strata)} partitions: {paths} paths tracked, {valid} valid, {real} real, {failed} failed"
            + ("" if self.complete else "  (INCOMPLETE: see the per-partition table)")
        )
        cert = self.certification
        if cert is not None:
            lines.append(
                f"certified: {cert['solutions']} of {cert['valid']} solutions on {cert['strata_certified']} of "
                f"{cert['strata']} strata; "
                + ("every count proved" if cert["every_count_proved"] else
                   f"counts proved on {cert['strata_proved']} of {cert['strata']} strata (see the per-partition table)")
            )
        comp = [p for p in self.points if p.compatible]
        lines.append(f"{len(self.points)} real critical points, {len(comp)} on compatible strata"
                     + (f", {cert['real_points_certified']} certified real" if cert is not None else ""))
        best = self.best()
        if best is not None:
            lines.append(f"best: {best.rrmp} ({best.region}), loss {best.loss:.6g}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# parameter space


@dataclass(frozen=True)
class ParameterPoint:
    """One scaling class of critical points of ``L``, represented by a point.

    ``filters`` lists ``w_1 … w_L`` (layer 1 first); ``signs`` lists the sign
    variants ``(s_1…s_L)`` (``Π s_i = 1``) that give the other points of the
    class with the same invariants. ``minimum`` is a `MinimumKind` for minima,
    else None. ``classes`` is how many labelled scaling classes the point
    stands for: 1, or the size of its orbit under permuting layers of equal
    size when a lifting lists one point per orbit (same loss, same Hessian
    spectrum; `critlcn.compatibility.assignment_orbits`).
    """

    pattern: str
    assignment: tuple[tuple[int, ...], ...] = field(metadata={"json": None})
    filters: tuple[tuple[float, ...], ...]
    gradient_norm: float
    gradient_scale: float = field(metadata={"json": None})
    type: HessianType
    negative_eigenvalues: int
    eigenvalues: tuple[float, ...]
    loss: float = field(metadata={"json": None})
    signs: tuple[tuple[int, ...], ...] = field(default=(), metadata={"json": "sign_variants"})
    minimum: MinimumKind | None = None
    classes: int = 1

    @property
    def verified(self) -> bool:
        """True when the gradient is at rounding level."""
        return self.gradient_norm <= GRADIENT_TOL * self.gradient_scale

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The filters as numpy arrays."""
        return tuple(np.array(f) for f in self.filters)

    def to_dict(self) -> dict:
        """JSON-ready dict: the fields (``signs`` as ``sign_variants``, without
        ``assignment``, ``gradient_scale`` and ``loss``) and ``verified``."""
        return {**to_jsonable(self), "verified": self.verified}


@dataclass(frozen=True)
class LiftedPoint:
    """A real function-space critical point with its parameter points.

    ``lifts`` is False (with ``reason``) for points on incompatible strata or
    when factoring failed; ``parameters`` is then empty. The fields of the
    function-space point are also readable here (``p.rrmp``, ``p.loss``, …).
    """

    point: CriticalPoint
    parameters: tuple[ParameterPoint, ...]
    lifts: bool
    reason: str | None = None

    rrmp = property(lambda self: self.point.rrmp, doc="rrmp of the function-space point.")
    partition = property(lambda self: self.point.partition, doc="Its complex partition.")
    region = property(lambda self: self.point.region, doc="Its region of the function space.")
    compatible = property(lambda self: self.point.compatible, doc="Whether its stratum is compatible.")
    filter = property(lambda self: self.point.filter, doc="Its end-to-end filter.")
    loss = property(lambda self: self.point.loss, doc="Its loss.")

    def to_dict(self) -> dict:
        """The solve contract's critical point plus ``lifts``, ``reason`` and
        ``parameters``."""
        return {**to_jsonable(self.point), "lifts": self.lifts, "reason": self.reason,
                "parameters": [p.to_dict() for p in self.parameters]}


@dataclass(frozen=True)
class ZeroSet:
    """The critical set where two or more filters vanish (``w = 0``)."""

    loss: float
    dimension: int
    layers: int

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return to_jsonable({
            "description": "two or more filters zero (w = 0)",
            "loss": self.loss,
            "dimension": self.dimension,
            "positive_dimensional": self.dimension > 0,
        })


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary by rrmp."""

    rrmp: str
    region: str
    compatible: bool
    real_points: int
    parameter_classes: int
    minima: int
    saddles: int
    degenerate: int
    best_loss: float | None


@dataclass(frozen=True)
class LiftResult:
    """Every real critical point lifted, the zero set, and the scaling used.

    ``scaling`` is a `Scaling` (with ``INVARIANTS``, ``delta`` holds
    ``δ_{1i}`` of the initialisation). ``solve`` optionally holds the
    `SolveResult` whose JSON this extends. ``orbits`` is True when one
    parameter point per orbit of equal-size layers is listed (each with its
    ``classes``), False when every labelled class is.
    """

    architecture: Architecture
    points: tuple[LiftedPoint, ...]
    zero_set: ZeroSet
    scaling: Scaling = Scaling.BALANCED
    delta: tuple[float, ...] = ()
    solve: SolveResult | None = field(default=None, compare=False)
    orbits: bool = False

    @property
    def parameter_classes(self) -> int:
        """Total number of parameter-space scaling classes (non-zero ``w``),
        listed or not."""
        return sum(q.classes for p in self.points for q in p.parameters)

    def best_loss(self) -> float | None:
        """Lowest loss of a lifted critical point (the global minimum of ``L``
        when it is below the zero set's loss)."""
        losses = [p.loss for p in self.points if p.lifts]
        return min(losses) if losses else None

    def parameter_points(self) -> list[tuple[LiftedPoint, ParameterPoint]]:
        """All (function-space point, parameter point) pairs."""
        return [(p, q) for p in self.points for q in p.parameters]

    def summary(self) -> tuple[SummaryRow, ...]:
        """Counts by rrmp: real critical points, parameter classes, minima,
        saddles, degenerate points, best loss."""
        rows: dict[str, list[LiftedPoint]] = {}
        for p in self.points:
            rows.setdefault(str(p.rrmp), []).append(p)
        out = []
        for key in sorted(rows, key=lambda s: RRMP.parse(s).sort_key()):
            pts = rows[key]
            params = [q for p in pts for q in p.parameters]
            out.append(SummaryRow(
                key, pts[0].region, pts[0].compatible, len(pts), sum(q.classes for q in params),
                sum(q.classes for q in params if q.type == HessianType.MINIMUM),
                sum(q.classes for q in params if q.type == HessianType.SADDLE),
                sum(q.classes for q in params if q.type == HessianType.DEGENERATE), min(p.loss for p in pts),
            ))
        return tuple(out)

    def to_dict(self) -> dict:
        """The solve JSON contract extended by the lifting: ``parameters`` per
        critical point, ``parameter_classes``, ``zero_set``, ``scaling``,
        ``summary``."""
        base = self.solve.to_dict() if self.solve is not None else {
            "architecture": to_jsonable(self.architecture),
            "degree": self.architecture.degree,
        }
        base["critical_points"] = [p.to_dict() for p in self.points]
        base["parameter_classes"] = self.parameter_classes
        base["parameters_listed"] = "orbits" if self.orbits else "all"
        base["zero_set"] = self.zero_set.to_dict()
        base["scaling"] = to_jsonable({"kind": self.scaling, "delta": self.delta})
        base["summary"] = to_jsonable(self.summary())
        return base

    def __str__(self) -> str:
        from critlcn.render import render_summary

        return render_summary(self, "table")
