"""Gradient and Hessian of L for any architecture (landscape.network_*),
against finite differences at random points and, at stride one, against the
convolution-based parameter_gradient / parameter_hessian."""

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.convolution import network_filter
from critlcn.data import QuadraticLoss
from critlcn.landscape import network_gradient, network_hessian, parameter_gradient, parameter_hessian


def _loss(arch, rng):
    M = rng.normal(size=(arch.size, arch.size))
    return QuadraticLoss(M @ M.T + np.eye(arch.size), rng.normal(size=arch.size), 3.0)


def _L(arch, loss, theta):
    cuts = np.cumsum([0] + list(arch.layer_entries))
    return loss.value(network_filter(arch, [theta[cuts[i]:cuts[i + 1]] for i in range(arch.layers)]).ravel())


@pytest.mark.parametrize("k,s", [((2, 2), (2, 1)), ((3, 2, 2), (1, 2, 1)), (((2, 2), (2, 1)), ()), ((3, 3), (3, 1))])
def test_gradient_and_hessian_match_finite_differences(k, s):
    rng = np.random.default_rng(2)
    arch = Architecture(k, s)
    loss = _loss(arch, rng)
    theta = rng.normal(size=sum(arch.layer_entries))
    n, h = theta.size, 1e-5
    E = np.eye(n) * h
    g = np.array([(_L(arch, loss, theta + e) - _L(arch, loss, theta - e)) / (2 * h) for e in E])
    np.testing.assert_allclose(network_gradient(arch, loss, theta), g, rtol=1e-6, atol=1e-6)
    H = np.array([[(_L(arch, loss, theta + a + b) - _L(arch, loss, theta + a - b) - _L(arch, loss, theta - a + b)
                    + _L(arch, loss, theta - a - b)) / (4 * h * h) for b in E] for a in E])
    Hs = network_hessian(arch, loss, theta)
    assert np.max(np.abs(H - Hs)) < 1e-4 * max(1.0, np.max(np.abs(Hs)))


@pytest.mark.parametrize("k", [(2, 2), (3, 2, 2), (4, 2)])
def test_stride_one_agrees_with_the_convolution_based_formulas(k):
    rng = np.random.default_rng(5)
    arch = Architecture(k)
    loss = _loss(arch, rng)
    filters = [rng.normal(size=ki) for ki in k]
    theta = np.concatenate(filters)
    np.testing.assert_allclose(network_gradient(arch, loss, theta), np.concatenate(parameter_gradient(loss, filters)),
                               atol=1e-10)
    np.testing.assert_allclose(network_hessian(arch, loss, theta), parameter_hessian(loss, filters), atol=1e-9)
