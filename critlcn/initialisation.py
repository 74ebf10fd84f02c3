"""Initialisations for gradient descent: i.i.d. Gaussian weights, or layers
that factor with a prescribed real root multiplicity pattern (docs/math.md,
"Gradient descent experiments").

An rrmp initialisation ``(ρ|γ)`` draws, per run, one labelled compatible
assignment of the colours of ``(ρ|γ)`` to the layers (uniformly among all of
them, `critlcn.compatibility.labelled_assignments`), one root per colour from
a stated distribution, and gives layer ``i`` the product of the linear
(``x − z y``) and irreducible quadratic (``(x − z y)(x − z̄ y)``) factors its
bin holds. The end-to-end filter then has rrmp ``(ρ|γ)`` exactly: a colour of
multiplicity ``m`` sits in ``m`` different layers. Layer norms
(``LAYER_NORMS``): ``balanced`` scales each layer to the norm
``scale · √k_i`` (the root-mean-square norm of a Gaussian layer of standard
deviation ``scale``) with a random sign, so a type changes where the roots
are, not how large the weights are; ``monic`` keeps the monic product
``scale · Π (x − z y)`` as it is (norms then depend on the roots, and layers
are not balanced).

Root distributions (``ROOT_DISTRIBUTIONS``):

``uniform-angle``
    Real roots uniform on the real projective line (the root of a linear
    form with i.i.d. Gaussian coefficients, i.e. standard Cauchy); conjugate
    pairs uniform on the Riemann sphere (the roots of a complex linear form
    with i.i.d. complex Gaussian coefficients), upper half-plane member kept.
``gaussian``
    Real roots ``N(0, 1)``; conjugate pairs ``a ± i|b|`` with ``a, b ~ N(0, 1)``.
``uniform``
    Real roots ``U(−1, 1)``; pairs ``a ± i b`` with ``a ~ U(−1, 1)``, ``b ~ U(0, 1)``.

Roots of different colours closer than ``MIN_SEPARATION`` (chordal distance)
are redrawn, so that every draw has exactly the requested pattern at double
precision (the conditioning changes the distributions by well under 1%).
"""

from __future__ import annotations

import numpy as np

from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP, region

__all__ = ["INIT_SCALE", "ROOT_DISTRIBUTIONS", "LAYER_NORMS", "MIN_SEPARATION", "parse_init_type", "gaussian_init", "rrmp_init",
           "initialise"]

#: Default standard deviation of the Gaussian initialisation of every weight.
INIT_SCALE = 0.5
ROOT_DISTRIBUTIONS = ("uniform-angle", "gaussian", "uniform")
LAYER_NORMS = ("balanced", "monic")
#: Chordal distance under which two drawn roots of different colours are redrawn.
MIN_SEPARATION = 1e-3


def parse_init_type(text: str, arch: Architecture) -> RRMP | None:
    """``'gaussian'`` (None) or an rrmp the architecture can factor as an
    interior point of its function space.

    Raises `CritlcnError` with a one-line reason for a string that is not an
    rrmp, an rrmp of the wrong degree, an incompatible one (no factorisation
    through the layers) or one outside the interior.

    Examples
    --------
    >>> parse_init_type("1111|0", Architecture((4, 2)))
    RRMP('1111|0')
    >>> parse_init_type("gaussian", Architecture((4, 2))) is None
    True
    >>> parse_init_type("22|0", Architecture((4, 2)))
    Traceback (most recent call last):
    ...
    critlcn.errors.CritlcnError: `init_type` 22|0: k=(4,2) cannot factor it (no compatible assignment of its roots to the layers); compatible interior types: 1111|0, 112|0, 11|1
    """
    from critlcn.compatibility import is_compatible
    from critlcn.rrmp import enumerate_rrmps

    if text == "gaussian":
        return None
    if any(s != 1 for s in arch.strides):
        # with strides the end-to-end filter is no longer the product of the layers' forms
        raise CritlcnError(f"`init_type` {text}: rrmp initialisations need stride one; use gaussian",
                           parameter="init_type")

    def usable() -> str:
        ok = [r for r in enumerate_rrmps(arch.degree)
              if is_compatible(r, arch) and region(r, arch.e) == "interior"]
        return ", ".join(str(r) for r in sorted(ok, key=lambda r: r.sort_key()))

    try:
        r = RRMP.parse(text)
    except CritlcnError:
        raise CritlcnError(f"`init_type` {text!r}: give gaussian or an rrmp such as 1111|0 or 11|1; "
                           f"for {arch.label()}: {usable()}", parameter="init_type") from None
    if r.degree != arch.degree:
        raise CritlcnError(f"`init_type` {r}: degree {r.degree}, but {arch.label()} has degree {arch.degree}; "
                           f"use one of {usable()}", parameter="init_type")
    where = region(r, arch.e)
    if not is_compatible(r, arch):
        raise CritlcnError(f"`init_type` {r}: {arch.label()} cannot factor it (no compatible assignment of its roots "
                           f"to the layers); compatible interior types: {usable()}", parameter="init_type")
    if where != "interior":
        raise CritlcnError(f"`init_type` {r}: {where} for {arch.label()}, not interior; use one of {usable()}",
                           parameter="init_type")
    return r


def gaussian_init(arch: Architecture, runs: int, rng: np.random.Generator, *,
                  scale: float = INIT_SCALE) -> tuple[np.ndarray, ...]:
    """i.i.d. ``N(0, scale²)`` weights: one ``(runs, k_i)`` array per layer.

    Examples
    --------
    >>> [a.shape for a in gaussian_init(Architecture((3, 2)), 4, np.random.default_rng(0))]
    [(4, 3), (4, 2)]
    """
    _check(runs, scale)
    return tuple(rng.normal(scale=scale, size=(runs, ki)) for ki in arch.k)


def _check(runs: int, scale: float) -> None:
    if runs < 1:
        raise CritlcnError(f"`runs` must be at least 1, got {runs}", parameter="runs")
    if not (scale > 0 and np.isfinite(scale)):
        raise CritlcnError(f"`scale` must be a positive number, got {scale}", parameter="scale")


def _real_root(rng: np.random.Generator, dist: str) -> float:
    if dist == "uniform-angle":
        return float(np.tan(rng.uniform(-np.pi / 2, np.pi / 2)))
    if dist == "gaussian":
        return float(rng.normal())
    return float(rng.uniform(-1.0, 1.0))


def _pair_root(rng: np.random.Generator, dist: str) -> complex:
    if dist == "uniform-angle":
        a, b = rng.normal(size=2) + 1j * rng.normal(size=2)
        z = -b / a
    elif dist == "gaussian":
        z = complex(rng.normal(), rng.normal())
    else:
        z = complex(rng.uniform(-1.0, 1.0), rng.uniform(0.0, 1.0))
    return complex(z.real, abs(z.imag))


def _chordal(a: complex, b: complex) -> float:
    return abs(a - b) / np.sqrt((1 + abs(a) ** 2) * (1 + abs(b) ** 2))


def _draw_roots(r: RRMP, rng: np.random.Generator, dist: str) -> list[complex]:
    while True:
        roots = [complex(_real_root(rng, dist)) for _ in r.rho] + [_pair_root(rng, dist) for _ in r.gamma]
        # a pair must stay off the real line, and no two colours may (nearly) meet
        points = roots + [z.conjugate() for z in roots[len(r.rho):]]
        if all(_chordal(z, z.conjugate()) > MIN_SEPARATION for z in roots[len(r.rho):]) and all(
                _chordal(points[i], points[j]) > MIN_SEPARATION
                for i in range(len(points)) for j in range(i + 1, len(points))):
            return roots


def rrmp_init(arch: Architecture, rrmp: RRMP, runs: int, rng: np.random.Generator, *,
              roots: str = "uniform-angle", scale: float = INIT_SCALE,
              norms: str = "balanced") -> tuple[np.ndarray, ...]:
    """Layers whose end-to-end filter has rrmp ``rrmp``: one ``(runs, k_i)``
    array per layer (see the module docstring for the distributions and
    ``norms``).

    Examples
    --------
    >>> from critlcn.polynomials import end_to_end, rrmp_of_form
    >>> init = rrmp_init(Architecture((3, 2, 2)), RRMP.parse("11|1"), 3, np.random.default_rng(0))
    >>> [str(rrmp_of_form(end_to_end([f[i] for f in init]))) for i in range(3)]
    ['11|1', '11|1', '11|1']
    """
    from critlcn.compatibility import colours, labelled_assignments

    _check(runs, scale)
    if roots not in ROOT_DISTRIBUTIONS:
        raise CritlcnError(f"unknown `roots` {roots!r}: use one of {', '.join(ROOT_DISTRIBUTIONS)}",
                           parameter="roots")
    if norms not in LAYER_NORMS:
        raise CritlcnError(f"unknown `norms` {norms!r}: use one of {', '.join(LAYER_NORMS)}", parameter="norms")
    if rrmp.degree != arch.degree:
        raise CritlcnError(f"rrmp {rrmp} has degree {rrmp.degree} but {arch.label()} has degree {arch.degree}")
    assignments = list(labelled_assignments(rrmp, arch))
    if not assignments:
        raise CritlcnError(f"{arch.label()} cannot factor {rrmp}: no compatible assignment")
    cols = colours(rrmp)
    out = [np.empty((runs, ki)) for ki in arch.k]
    for run in range(runs):
        chosen = assignments[int(rng.integers(len(assignments)))]
        zs = _draw_roots(rrmp, rng, roots)
        layers = [np.ones(1) for _ in arch.k]
        for col, z, bins in zip(cols, zs, chosen):
            if col.kind == "p":
                factor = np.array([1.0, -z.real])
            else:
                factor = np.array([1.0, -2 * z.real, abs(z) ** 2])
            if norms == "balanced":
                factor /= np.linalg.norm(factor)
            for b in bins:
                layers[b] = np.convolve(layers[b], factor)
        for i, f in enumerate(layers):
            if norms == "monic":
                out[i][run] = scale * f
                continue
            sign = 1.0 if rng.random() < 0.5 else -1.0
            out[i][run] = sign * scale * np.sqrt(arch.k[i]) * f / np.linalg.norm(f)
    return tuple(out)


def initialise(arch: Architecture, runs: int, rng: np.random.Generator, *, init_type: str = "gaussian",
               roots: str = "uniform-angle", scale: float = INIT_SCALE,
               norms: str = "balanced") -> tuple[np.ndarray, ...]:
    """Initial layers of ``runs`` runs: `gaussian_init` for ``'gaussian'``,
    `rrmp_init` for an rrmp string (checked by `parse_init_type`).

    Examples
    --------
    >>> [a.shape for a in initialise(Architecture((4, 2)), 2, np.random.default_rng(1), init_type="1111|0")]
    [(2, 4), (2, 2)]
    """
    r = parse_init_type(init_type, arch)
    if r is None:
        return gaussian_init(arch, runs, rng, scale=scale)
    return rrmp_init(arch, r, runs, rng, roots=roots, scale=scale, norms=norms)
