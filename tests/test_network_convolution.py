"""End-to-end filters of strided and D-dimensional networks, checked by brute
force against the layers applied one after the other (scipy's correlation,
subsampled), and the function-space facts of MATH.md §9–11."""


import numpy as np
import pytest
from scipy.signal import correlate

from critlcn.architecture import Architecture
from critlcn.convolution import end_to_end as stride_one_end_to_end
from critlcn.convolution import network_filter as end_to_end
from critlcn.convolution import network_jacobian as end_to_end_jacobian
from critlcn.convolution import network_matrix, windows
from critlcn.errors import CritlcnError


def _apply_layers(arch, filters, x):
    """The network on one input, layer by layer: valid correlation, then every s-th output."""
    for w, s in zip(filters, arch.strides):
        y = correlate(x, w, mode="valid", method="direct")
        x = y[tuple(slice(None, None, s) for _ in range(y.ndim))]
    return x


def _random_1d(rng):
    L = int(rng.integers(1, 4))
    k = tuple(int(v) for v in rng.integers(1, 4, size=L))
    s = tuple(int(v) for v in rng.integers(1, 4, size=L))
    return Architecture(k, s)


@pytest.mark.parametrize("trial", range(25))
def test_strided_end_to_end_equals_layers_applied_to_inputs(trial):
    rng = np.random.default_rng(trial)
    arch = _random_1d(rng)
    filters = [rng.normal(size=f) for f in arch.formats]
    w = end_to_end(arch, filters)
    assert w.shape == arch.end_format
    S = arch.end_stride
    d0 = arch.min_input()[0] + int(rng.integers(0, 7))
    for _ in range(3):
        x = rng.normal(size=d0)
        direct = _apply_layers(arch, filters, x)
        single = correlate(x, w, mode="valid", method="direct")[::S]
        assert direct.shape == single.shape == (arch.layer_sizes(d0)[-1],)
        np.testing.assert_allclose(direct, single, atol=1e-12)
        np.testing.assert_allclose(network_matrix(arch, filters, d0) @ x, direct, atol=1e-12)
        np.testing.assert_allclose(windows(arch, x[None])[0] @ w, direct, atol=1e-12)


@pytest.mark.parametrize("k", [((2, 2), (2, 1)), ((2, 1), (1, 2)), ((2, 2), (2, 2)), ((3, 2), (2, 2), (1, 2)),
                               ((2, 2, 2), (2, 1, 2))])
def test_d_dim_end_to_end_equals_layers_applied_to_inputs(k):
    rng = np.random.default_rng(len(k) + sum(map(sum, k)))
    arch = Architecture(k)
    filters = [rng.normal(size=f) for f in arch.formats]
    w = end_to_end(arch, filters)
    assert w.shape == arch.end_format == tuple(1 + sum(f[j] - 1 for f in k) for j in range(len(k[0])))
    shape = tuple(n + 2 for n in arch.min_input())
    for _ in range(3):
        x = rng.normal(size=shape)
        direct = _apply_layers(arch, filters, x)
        single = correlate(x, w, mode="valid", method="direct")
        assert direct.shape == single.shape == arch.layer_sizes(shape)[-1]
        np.testing.assert_allclose(direct, single, atol=1e-12)
        np.testing.assert_allclose(network_matrix(arch, filters, shape) @ x.ravel(), direct.ravel(), atol=1e-12)
        np.testing.assert_allclose(windows(arch, x[None])[0] @ w.ravel(), direct.ravel(), atol=1e-12)


@pytest.mark.parametrize("k,s", [((2, 2), (2, 1)), ((3, 2, 2), (1, 1, 1)), ((3, 3), (3, 2)), ((2, 3, 2), (2, 2, 1))])
def test_jacobian_matches_finite_differences(k, s):
    rng = np.random.default_rng(7)
    arch = Architecture(k, s)
    filters = [rng.normal(size=f) for f in arch.formats]
    J = end_to_end_jacobian(arch, filters)
    flat = np.concatenate(filters)
    sizes = np.cumsum([0] + list(arch.layer_entries))
    h = 1e-6
    for c in range(flat.size):
        up, dn = flat.copy(), flat.copy()
        up[c] += h
        dn[c] -= h
        split = lambda v: [v[sizes[i]:sizes[i + 1]] for i in range(arch.layers)]  # noqa: E731
        fd = (end_to_end(arch, split(up)) - end_to_end(arch, split(dn))).ravel() / (2 * h)
        np.testing.assert_allclose(J[:, c], fd, atol=1e-7)


ARCHS = [((2, 2), (2, 1)), ((3, 2), (2, 1)), ((3, 2), (3, 1)), ((2, 3), (2, 1)), ((2, 2, 2), (2, 2, 1)),
         ((3, 2, 2), (1, 1, 1)), ((4, 2), (1, 1)), ((2, 1, 2), (1, 3, 1)), ((1, 3), (2, 1)), ((3, 3), (1, 5))]


@pytest.mark.parametrize("k,s", ARCHS)
def test_dimension_is_the_rank_of_the_jacobian(k, s):
    # the dimension of the image of μ is the generic rank of its Jacobian
    rng = np.random.default_rng(3)
    arch = Architecture(k, s)
    ranks = {int(np.linalg.matrix_rank(end_to_end_jacobian(arch, [rng.normal(size=f) for f in arch.formats])))
             for _ in range(3)}
    assert ranks == {arch.function_space_dimension}
    assert arch.function_space_dimension <= arch.ambient_dimension


@pytest.mark.parametrize("k", [((2, 2), (2, 1)), ((2, 1), (1, 2)), ((2, 2), (2, 2)), ((2, 1), (2, 1)), ((3, 1),)])
def test_d_dim_dimension_is_the_rank_of_the_jacobian(k):
    rng = np.random.default_rng(4)
    arch = Architecture(k)
    J = end_to_end_jacobian(arch, [rng.normal(size=f) for f in arch.formats])
    assert int(np.linalg.matrix_rank(J)) == arch.function_space_dimension


def test_filling_follows_the_seeds_theorems():
    # stride one: e <= 1 (MATH.md §3)
    assert Architecture((3, 3)).filling and not Architecture((2, 2)).filling
    # the last stride changes nothing in the function space
    assert Architecture((3, 2), (1, 4)).filling and not Architecture((2, 2), (1, 4)).filling
    # an inner stride > 1 with k_L > 1: lower-dimensional, not filling (§9)
    for k, s in [((3, 3), (2, 1)), ((2, 2, 2), (1, 2, 1)), ((3, 2), (3, 1))]:
        a = Architecture(k, s)
        assert not a.filling and a.function_space_dimension < a.ambient_dimension
    # a last layer with one weight only rescales: (3, 1) with s = (2, 1) is one layer
    assert Architecture((3, 1), (2, 1)).filling
    # D-dim with two non-trivial layers on different axes: never filling (§11)
    assert not Architecture(((2, 2), (2, 1))).filling
    assert not Architecture(((2, 1), (1, 2))).filling
    assert Architecture(((3, 1), (2, 1))).filling  # a 1-D network written in 2-D: e = 1
    assert not Architecture(((2, 1), (2, 1))).filling  # e = 2, like 1-D (2, 2)
    assert Architecture(((3, 3),)).filling


def test_reduced():
    assert Architecture((3, 2), (2, 1)).reduced
    assert not Architecture((3, 1), (2, 1)).reduced
    assert not Architecture(((2, 2), (1, 1))).reduced


@pytest.mark.parametrize("k,s,count", [((2, 2), (2, 1), 6), ((3, 2), (2, 1), 10), ((3, 2), (3, 1), 10),
                                       ((2, 3), (2, 1), 10), ((2, 2, 2), (2, 2, 1), 34), ((3, 3), (1, 1), 39),
                                       ((3, 2, 2), (1, 1, 1), 100)])
def test_segre_numbers_of_mathmd(k, s, count):
    assert Architecture(k, s).segre_number == count


@pytest.mark.parametrize("k,count", [(((2, 2), (2, 1)), 14), (((2, 1), (1, 2)), 6), (((2, 2), (2, 2)), 284)])
def test_segre_numbers_d_dim(k, count):
    assert Architecture(k).segre_number == count


def test_layer_sizes_follow_the_floor_formula():
    arch = Architecture((3, 2, 2), (2, 3, 1))
    for d0 in range(arch.min_input()[0], 40):
        sizes = arch.layer_sizes(d0)
        for i, (ki, si) in enumerate(zip(arch.k, arch.s)):
            assert sizes[i + 1] == (sizes[i] - ki) // si + 1
    with pytest.raises(CritlcnError, match="too small"):
        arch.layer_sizes(arch.min_input()[0] - 1)


@pytest.mark.parametrize("k,s,match", [((2, 2), (0, 1), "below 1"), ((2, 2), (2,), "one stride per filter"),
                                       (((2, 2), 3), (), "different orders"), (((2, 2), (2, 2)), (2, 1), "not supported"),
                                       ((2, 0), (), "below 1")])
def test_bad_architectures(k, s, match):
    with pytest.raises(CritlcnError, match=match):
        Architecture(k, s)


@pytest.mark.parametrize("k,s", ARCHS[:6])
def test_terms_sum_to_the_end_to_end_filter(k, s):
    from critlcn.convolution import terms

    rng = np.random.default_rng(9)
    arch = Architecture(k, s)
    filters = [rng.normal(size=f) for f in arch.formats]
    idx, target = terms(arch)
    prods = np.prod([filters[i][idx[:, i]] for i in range(arch.layers)], axis=0)
    np.testing.assert_allclose(np.bincount(target, prods, minlength=arch.size), end_to_end(arch, filters).ravel())


@pytest.mark.parametrize("k", [(2,), (3, 2), (3, 2, 2), (4, 1, 3)])
def test_network_filter_at_stride_one_is_the_product_of_forms(k):
    rng = np.random.default_rng(len(k))
    arch = Architecture(k)
    filters = [rng.normal(size=ki) for ki in k]
    np.testing.assert_allclose(end_to_end(arch, filters), stride_one_end_to_end(filters), atol=1e-13)
