"""MATH.md §3 checked numerically, with numpy root finding only."""

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.rrmp import RRMP, enumerate_rrmps, region


def real_root_count(coeffs, tol=1e-6):
    """Real roots (with multiplicity) of the binary form with these coefficients;
    a vanishing leading coefficient is a real root at infinity."""
    coeffs = np.asarray(coeffs, dtype=float)
    lead_zeros = 0
    scale = np.abs(coeffs).max()
    while lead_zeros < len(coeffs) - 1 and abs(coeffs[lead_zeros]) < 1e-14 * scale:
        lead_zeros += 1
    roots = np.roots(coeffs[lead_zeros:])
    return lead_zeros + int(np.sum(np.abs(roots.imag) < tol * np.maximum(1, np.abs(roots))))


def form_with_pattern(r: RRMP, rng):
    """A form of type r: well separated random real roots and conjugate pairs."""
    coeffs = np.array([1.0])
    reals = rng.permutation(np.linspace(-2, 2, max(len(r.rho), 1)))[: len(r.rho)]
    for root, m in zip(reals, r.rho):
        for _ in range(m):
            coeffs = np.convolve(coeffs, [1.0, -root])
    centres = rng.permutation(np.linspace(-1.5, 1.5, max(len(r.gamma), 1)))[: len(r.gamma)]
    for (a, m) in zip(centres, r.gamma):
        b = 0.7 + 0.3 * rng.random()
        for _ in range(m):
            coeffs = np.convolve(coeffs, [1.0, -2 * a, a * a + b * b])
    return coeffs * rng.choice([-1, 1]) * (0.5 + rng.random())


ARCHS = [Architecture(k) for k in [(3, 2, 2), (4, 2), (2, 2, 2), (2, 2, 4), (2, 2, 2, 2), (3, 3), (2, 4, 2, 2)]]


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: ",".join(map(str, a.k)))
def test_products_of_random_layers_lie_in_the_function_space(arch):
    rng = np.random.default_rng(7)
    for _ in range(300):
        w = np.array([1.0])
        for ki in arch.k:
            w = np.convolve(w, rng.standard_normal(ki))
        if not arch.filling:
            assert real_root_count(w) >= arch.e


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: ",".join(map(str, a.k)))
def test_regions_behave_under_perturbation(arch):
    """interior: the point and every small perturbation are in M; boundary:
    the point is in M and some small perturbations leave it; exterior: the
    point and every small perturbation are outside M."""
    rng = np.random.default_rng(11)
    for r in enumerate_rrmps(arch.degree):
        where = region(r, arch.e)
        base = form_with_pattern(r, rng)
        in_m = lambda w: arch.filling or real_root_count(w) >= arch.e  # noqa: E731
        outside = 0
        for _ in range(400):
            eps = 10.0 ** rng.uniform(-9, -6)
            w = base + eps * rng.standard_normal(base.shape)
            outside += not in_m(w)
        # real roots counted by numpy on the form itself, not read off r; a
        # multiple root comes back from np.roots spread by up to eps^(1/m)
        at = arch.filling or real_root_count(base, tol=1e-2) >= arch.e
        if where == "interior":
            assert at and outside == 0, r
        elif where == "boundary":
            assert at and outside > 0, r
        else:
            # small perturbations cannot add real roots (a complex pair stays
            # complex; a multiple real root splits into at most as many), so
            # the whole neighbourhood is outside M
            assert not at and outside == 400, r
