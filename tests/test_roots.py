"""Tests of critlcn.roots beyond the rrmp classifiers (tested in
test_polynomials, test_descent and test_lift): root finding with complex
coefficients and at infinity, chordal distances and root separation against
homogeneous coordinates written out here."""

import numpy as np
import pytest

from critlcn.errors import CritlcnError
from critlcn.roots import (
    chordal,
    form_from_roots,
    form_roots,
    min_root_separation,
    rotate_form,
    rrmp_of_form,
    well_placed_angle,
)
from critlcn.rrmp import RRMP


def _homogeneous(z):
    return np.array([1.0, 0.0]) if np.isinf(z) else np.array([z, 1.0])


def _chordal(a, b):
    """Chordal distance of (x1 : y1), (x2 : y2): |x1 y2 − x2 y1| / (|p1| |p2|)."""
    p, q = _homogeneous(a), _homogeneous(b)
    return abs(p[0] * q[1] - p[1] * q[0]) / (np.linalg.norm(p) * np.linalg.norm(q))


def test_chordal_matches_homogeneous_coordinates():
    pts = [0.0, 1.0, -2.5, 3 + 4j, np.inf, 1e-3j]
    for a in pts:
        for b in pts:
            assert np.isclose(chordal(a, b), _chordal(a, b), atol=1e-15)


def test_form_roots_of_complex_coefficients_and_roots_at_infinity():
    roots = np.array([1 + 2j, -0.5 + 0j, np.inf, np.inf])
    w = form_from_roots(roots, scale=2 - 1j)
    got = form_roots(w)
    assert np.sum(np.isinf(got)) == 2
    assert np.allclose(np.sort_complex(got[np.isfinite(got)]), np.sort_complex(roots[np.isfinite(roots)]))


def test_min_root_separation_is_the_smallest_pairwise_chordal_distance():
    rng = np.random.default_rng(5)
    groups = [rng.normal(size=2) + 1j * rng.normal(size=2), [np.inf, 0.3], rng.normal(size=1)]
    forms = [form_from_roots(np.array(g, dtype=complex)) for g in groups]
    flat = [z for g in groups for z in g]
    expected = min(_chordal(a, b) for i, a in enumerate(flat) for b in flat[i + 1 :])
    assert np.isclose(min_root_separation(forms), expected, rtol=1e-8)
    assert min_root_separation([forms[0], np.zeros(3)]) == 0.0


@pytest.mark.parametrize("pattern", ["1111|0", "112|0", "13|0", "0|2", "2|1", "4|0"])
def test_the_well_placed_rotation_keeps_the_pattern_and_clears_infinity(pattern):
    r = RRMP.parse(pattern)
    rng = np.random.default_rng(len(pattern))
    # the first real root at infinity (np.roots cannot see it), unless there is none
    roots = [np.inf] * r.rho[0] if r.rho else []
    for m in r.rho[1:]:
        roots += [rng.normal()] * m
    for m in r.gamma:
        z = complex(rng.normal(), abs(rng.normal()) + 0.5)
        roots += [z] * m + [np.conj(z)] * m
    w = np.real(form_from_roots(np.array(roots, dtype=complex)))
    v = rotate_form(w, well_placed_angle(w))
    assert abs(v[0]) > 1e-3 * np.linalg.norm(v) and abs(v[-1]) > 1e-3 * np.linalg.norm(v)
    assert rrmp_of_form(v) == r == rrmp_of_form(w)


def test_zero_form_has_no_roots():
    with pytest.raises(CritlcnError):
        form_roots([0.0, 0.0])


def test_batched_rotations_equal_the_one_at_a_time_products_bit_for_bit():
    """`well_placed_angle` rotates a form by 24 angles at once; the result
    must be the old one-angle-at-a-time product of linear forms (copied here
    as the reference), to the last bit, so the chosen angle and the rrmp
    never change; and it must be the rotated form (checked with numpy's
    polynomial products)."""
    from critlcn.roots import _rotate_forms

    def one_at_a_time(w, theta):
        d = w.size - 1
        c, s = np.cos(theta), np.sin(theta)
        out = np.zeros(d + 1)
        for j, wj in enumerate(w):
            term = np.array([wj])
            for _ in range(d - j):
                term = np.convolve(term, [c, -s])
            for _ in range(j):
                term = np.convolve(term, [s, c])
            out += term
        return out

    rng = np.random.default_rng(11)
    thetas = np.linspace(0.0, np.pi, 24, endpoint=False)
    for d in (0, 1, 2, 5, 8, 9):
        for _ in range(20):
            w = rng.normal(size=d + 1) * 10.0 ** rng.uniform(-4, 4)
            got = _rotate_forms(w, thetas)
            for t, row in zip(thetas, got):
                assert np.array_equal(row, one_at_a_time(w, t))
                assert np.array_equal(rotate_form(w, t), row)
            t = thetas[5]
            c, s = np.cos(t), np.sin(t)
            ref = sum(wj * np.polymul(np.poly1d([c, -s]) ** (d - j), np.poly1d([s, c]) ** j).coeffs[-(d + 1):]
                      if d else wj * np.ones(1) for j, wj in enumerate(w))
            assert np.allclose(got[5], np.atleast_1d(ref), rtol=1e-12, atol=1e-12 * np.abs(w).sum())


def test_root_powers_are_numpys_poly_bit_for_bit():
    """`_fit` builds (z − r)^m and (z − r)^(m−1) in one chain; they must be
    what numpy.poly gives (dtype too: real for a real r)."""
    from critlcn.roots import _root_powers

    rng = np.random.default_rng(2)
    centres = [1.5 + 0j, complex(-0.3, -0.0), 0.2 + 0.7j, -2 - 1e-9j, complex(np.nan, 0.0), 0j]
    centres += list(rng.normal(size=6) + 1j * rng.normal(size=6) * (rng.random(6) < 0.5))
    for rk in centres:
        for m in range(1, 6):
            top, below = _root_powers(np.complex128(rk), m)
            want = np.poly(np.full(m, np.complex128(rk)))
            assert top.dtype == want.dtype and np.array_equal(top, want, equal_nan=True)
            if m > 1:
                want = np.poly(np.full(m - 1, np.complex128(rk)))
                assert below.dtype == want.dtype and np.array_equal(below, want, equal_nan=True)
            else:
                assert below is None


def test_polynomial_roots_are_numpys_bit_for_bit():
    """`form_roots` finds the finite roots with `_poly_roots`, numpy.roots'
    own steps; they must be numpy.roots' results exactly (real and complex
    coefficients, zero leading and trailing coefficients, degree 0 and 1)."""
    from critlcn.roots import _poly_roots

    rng = np.random.default_rng(9)
    cases = [np.array([2.0]), np.array([1.0, -3.0]), np.array([0.0, 1.0, 2.0, 0.0, 0.0]), np.zeros(3),
             np.array([1.0, 0.0, 0.0]), np.array([1j, 2.0, 0.0])]
    for d in range(1, 10):
        for _ in range(10):
            cases.append(rng.normal(size=d + 1))
            cases.append(rng.normal(size=d + 1) + 1j * rng.normal(size=d + 1))
    for p in cases:
        got, want = _poly_roots(p), np.roots(p)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_rrmp_of_factors_keeps_high_multiplicities_that_expansion_blurs():
    """A real form c·f7^7·f2^2·f1 given by complex multiples of its factors
    (as a chart gives them): the rrmp comes out exact from the factors for
    every draw, while the expanded form's roots (a 7-fold root becomes a
    ring of radius ~eps^(1/7)) are a clustering problem. Truth: by
    construction. (`rrmp_of_form` of the expanded form gave 135|2 and 126|2
    on 2 of these 50 draws, and stopped a d = 10 solve on AR data.)"""
    from critlcn.roots import rrmp_of_factors

    rng = np.random.default_rng(4)
    for _ in range(50):
        r7 = rng.normal()
        pair = complex(rng.normal(), abs(rng.normal()) + 0.2)
        real1 = rng.normal(size=2)
        f7 = np.array([1.0, -r7]) * np.exp(1j * rng.uniform(0, 6.3))
        f2 = np.array([1.0, -2 * pair.real, abs(pair) ** 2]) * np.exp(1j * rng.uniform(0, 6.3))  # conjugate pair, double
        f1 = np.convolve([1.0, -real1[0]], [1.0, -real1[1]]) * (rng.normal() + 1j * rng.normal())
        assert str(rrmp_of_factors([(7, f7), (2, f2), (1, f1)])) == str(RRMP((7, 1, 1), (2,)))


def _seven_fold():
    import json
    import os

    with open(os.path.join(os.path.dirname(__file__), "data", "seven_fold_root_1117.json")) as fh:
        return json.load(fh)


def test_factor_form_takes_the_distinct_roots_from_the_solvers_factors():
    # a 7-fold real root 0.2 from a simple one (realistic data, d = 10): its
    # ring of computed roots takes the simple root in; from the chart's
    # factors every perturbation of the filter factors, with the factors' roots
    from critlcn.roots import factor_form

    fx = _seven_fold()
    r = RRMP.parse(fx["rrmp"])
    factors = [(m, np.array(f)) for m, f in fx["factors"]]
    # independent of factor_form: the roots of the factors, by numpy
    expected = {m: np.sort(np.roots(f).real) for m, f in factors if m == 7}
    singles = np.sort(np.concatenate([np.roots(f).real for m, f in factors if m == 1]))
    rng = np.random.default_rng(0)
    for _ in range(20):
        w = np.array(fx["filter"]) * (1 + 1e-13 * rng.normal(size=len(fx["filter"])))
        fact = factor_form(w, r, factors=factors)
        assert fact.residual < 1e-10
        assert np.allclose(fact.product(), w, rtol=0, atol=1e-10 * np.linalg.norm(w))
        lin = {m: -f[1] / f[0] for m, f in zip(r.rho, fact.factors)}  # x - z y  ->  z
        assert abs(lin[7] - expected[7][0]) < 1e-6 * abs(expected[7][0])
        ones = np.sort([-f[1] / f[0] for m, f in zip(r.rho, fact.factors) if m == 1])
        assert np.allclose(ones, singles, rtol=1e-6)


def test_a_real_root_near_infinity_stays_real_in_rrmp_of_factors():
    # the chart's factors of a real filter are complex multiples of real forms
    # up to rounding; a real root z ≈ -10 032 had |Im z| = 2.6e-6 (1 + |z|)
    # there (realistic data, d = 10), was called non-real, and the rrmp came
    # from clustering the expanded form, which merges a 7-fold root with a
    # simple one 0.2 away (118|0; 18 of these 20 cases before the fix)
    from critlcn.roots import rrmp_of_factors

    rng = np.random.default_rng(1)
    looks_nonreal = 0
    for _ in range(20):
        f7 = np.array([1.0, -18.0]) * np.exp(1j * rng.uniform(0, 2 * np.pi))
        f1 = np.convolve(np.convolve([1.0, -17.8], [1.0, 2.9]), [1e-4, 1.0032]) * np.exp(1j * rng.uniform(0, 2 * np.pi))
        noisy = [(7, f7 + 1e-9 * (rng.normal(size=2) + 1j * rng.normal(size=2))),
                 (1, f1 + 1e-9 * (rng.normal(size=4) + 1j * rng.normal(size=4)))]
        z = np.roots(noisy[1][1])
        looks_nonreal += np.abs(z.imag / (1 + np.abs(z))).max() > 1e-6  # a root of the complex factor
        assert str(rrmp_of_factors(noisy)) == "1117|0"
    assert looks_nonreal >= 10
