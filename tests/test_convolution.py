"""Tests of critlcn.convolution against independent constructions: products
of layer matrices, numpy's polynomial product, and products evaluated at a
point."""

import numpy as np
import pytest

from critlcn.convolution import (
    all_but_one,
    batch_all_but_one,
    batch_convolve,
    batch_correlate,
    batch_end_to_end,
    convolution_matrix,
    end_to_end,
    toeplitz,
)
from critlcn.errors import CritlcnError

SIZES = [(3,), (2, 2), (3, 2, 2), (4, 1, 3), (2, 2, 2, 2)]


def _value(f, x, y):
    """The binary form of filter f evaluated at (x, y), written out."""
    n = len(f)
    return sum(c * x ** (n - 1 - j) * y**j for j, c in enumerate(f))


@pytest.mark.parametrize("sizes", SIZES)
def test_end_to_end_is_the_product_of_the_forms_and_of_the_layer_matrices(sizes):
    rng = np.random.default_rng(len(sizes))
    fs = [rng.normal(size=k) for k in sizes]
    w = end_to_end(fs)
    x, y = rng.normal(size=2)
    assert np.isclose(_value(w, x, y), np.prod([_value(f, x, y) for f in fs]))
    d0 = sum(sizes) + 3
    W = np.eye(d0)
    d = d0
    for f in fs:  # layer 1 first: W = W_L ... W_1
        W = toeplitz(f, d) @ W
        d -= f.size - 1
    assert np.allclose(W, toeplitz(w, d0))


@pytest.mark.parametrize("sizes", SIZES)
def test_all_but_one_and_skip_leave_out_the_right_layers(sizes):
    rng = np.random.default_rng(7)
    fs = [rng.normal(size=k) for k in sizes]
    x, y = rng.normal(size=2)
    vals = [_value(f, x, y) for f in fs]
    for i, u in enumerate(all_but_one(fs)):
        assert np.isclose(_value(u, x, y), np.prod(vals[:i] + vals[i + 1 :]))
    for i in range(len(fs)):
        for j in range(i + 1, len(fs)):
            u = end_to_end(fs, skip=[i, j])
            others = [v for m, v in enumerate(vals) if m not in (i, j)]
            assert np.isclose(_value(u, x, y), np.prod(others) if others else 1.0)


def test_convolution_matrix_multiplies_like_numpy_polymul():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=4), rng.normal(size=3)
    assert np.allclose(convolution_matrix(u, 3) @ v, np.polymul(u, v))


@pytest.mark.parametrize("sizes", SIZES)
def test_batched_versions_agree_with_one_run_at_a_time(sizes):
    rng = np.random.default_rng(11)
    runs = 5
    fs = [rng.normal(size=(runs, k)) for k in sizes]
    w, others = batch_all_but_one(fs)
    assert np.allclose(w, batch_end_to_end(fs))
    for r in range(runs):
        single = [f[r] for f in fs]
        assert np.allclose(w[r], end_to_end(single))
        for u_batch, u in zip(others, all_but_one(single)):
            assert np.allclose(u_batch[r], u)
    a, b = rng.normal(size=(runs, 3)), rng.normal(size=(runs, 2))
    assert np.allclose(batch_convolve(a, b), [np.polymul(p, q) for p, q in zip(a, b)])
    g = rng.normal(size=(runs, 6))
    assert np.allclose(batch_correlate(g, a), [np.correlate(p, q, "valid") for p, q in zip(g, a)])


def test_bad_filters_are_refused():
    with pytest.raises(CritlcnError):
        all_but_one([[1.0], []])
    with pytest.raises(CritlcnError):
        end_to_end([np.ones((2, 2))])
