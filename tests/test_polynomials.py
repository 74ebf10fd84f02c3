"""Tests of critlcn.polynomials against constructions with known answers."""

import numpy as np
import pytest

from critlcn.errors import CritlcnError
from critlcn.polynomials import (
    convolve,
    end_to_end,
    form_from_roots,
    form_roots,
    rotate_form,
    rrmp_of_form,
    toeplitz,
)
from critlcn.rrmp import RRMP, enumerate_rrmps


def test_convolution_is_the_product_of_layer_matrices():
    rng = np.random.default_rng(0)
    w1, w2, w3 = rng.normal(size=3), rng.normal(size=2), rng.normal(size=2)
    d0 = 9
    W = toeplitz(w3, d0 - 3) @ toeplitz(w2, d0 - 2) @ toeplitz(w1, d0)
    assert np.allclose(W, toeplitz(end_to_end([w1, w2, w3]), d0))


def test_convolution_matches_polynomial_product():
    # coefficient j multiplies x^{n-1-j} y^j: (2x + y)(x - 3y) = 2x^2 - 5xy - 3y^2
    assert np.allclose(convolve([2.0, 1.0], [1.0, -3.0]), [2.0, -5.0, -3.0])


def test_toeplitz_rejects_short_input():
    with pytest.raises(CritlcnError):
        toeplitz([1.0, 2.0, 3.0], 2)


def test_roots_round_trip_including_infinity():
    roots = np.array([0.5, -2.0, np.inf, 1 + 1j, 1 - 1j])
    w = form_from_roots(roots, scale=3.0)
    got = form_roots(np.real(w))
    assert sum(np.isinf(got)) == 1
    assert np.allclose(np.sort_complex(got[np.isfinite(got)]), np.sort_complex(roots[np.isfinite(roots)]))


def test_rotation_keeps_the_form_up_to_the_substitution():
    rng = np.random.default_rng(1)
    w = rng.normal(size=5)
    theta = 0.7
    v = rotate_form(w, theta)
    X, Y = rng.normal(size=2)
    c, s = np.cos(theta), np.sin(theta)
    x, y = c * X - s * Y, s * X + c * Y
    lhs = sum(wj * x ** (4 - j) * y**j for j, wj in enumerate(w))
    rhs = sum(vj * X ** (4 - j) * Y**j for j, vj in enumerate(v))
    assert np.isclose(lhs, rhs)


def _random_form(r: RRMP, rng):
    roots = []
    for m in r.rho:
        roots += [rng.normal()] * m
    for m in r.gamma:
        z = complex(rng.normal(), rng.uniform(0.2, 2.0))
        roots += [z] * m + [z.conjugate()] * m
    return np.real(form_from_roots(roots, scale=rng.normal()))


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_rrmp_of_random_forms_of_each_pattern(d):
    rng = np.random.default_rng(d)
    for r in enumerate_rrmps(d):
        for _ in range(5):
            w = _random_form(r, rng)
            w = w + 1e-14 * np.linalg.norm(w) * rng.normal(size=w.size)  # solver-sized noise
            assert rrmp_of_form(w) == r


def test_rrmp_with_root_at_infinity_and_tiny_leading_coefficient():
    w = np.real(form_from_roots([np.inf, np.inf, 1.0, 2.0]))  # y^2 (x - y)(x - 2y)
    assert str(rrmp_of_form(w)) == "112|0"
    w2 = w.copy()
    w2[0] = 1e-17
    assert str(rrmp_of_form(w2)) == "112|0"


def test_near_but_distinct_roots_stay_distinct():
    w = np.real(form_from_roots([1.0, 1.0 + 1e-3, -1.0]))
    assert str(rrmp_of_form(w)) == "111|0"


def test_complex_pair_with_small_imaginary_part():
    w = np.real(form_from_roots([1 + 1e-3j, 1 - 1e-3j, 0.0]))
    assert str(rrmp_of_form(w)) == "1|1"


def test_rrmp_rejects_zero_form():
    with pytest.raises(CritlcnError):
        rrmp_of_form([0.0, 0.0, 0.0])
