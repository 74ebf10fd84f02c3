"""Gradient descent for strides and D-dim filters: limits are critical points
on the solver's list, and the contrast of MATH.md §9 (strides > 1: positive-loss
limits are smooth interior points; stride one: some sit on lower strata)."""

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.paramdescent import experiment, jacobian_rank


@pytest.mark.parametrize("k,s", [((2, 2), (2, 1)), ((3, 2), (2, 1)), (((2, 1), (1, 2)), ())])
def test_strided_and_d_dim_limits_are_smooth_and_listed(k, s):
    arch = Architecture(k, s)
    ex = experiment(arch, 12, seed=3, targets=4, match=4, max_steps=5000, data_model="whitened")
    summary = ex.summary()
    assert summary["checked_against_solver"] == 12
    converged = [l for l in ex.limits if l.gradient_norm < 1e-6]
    assert len(converged) >= 8
    assert all(l.on_list for l in converged)
    assert all(l.smooth_interior for l in ex.limits if l.loss > 1e-8)


def test_stride_one_limits_reach_lower_strata():
    # (2, 2): a limit with w_1 ∝ w_2 (a double root split over both layers) has rank J_μ = 2 < 3
    arch = Architecture((2, 2))
    ex = experiment(arch, 20, seed=1, targets=10, match=10, max_steps=5000, data_model="whitened")
    converged = [l for l in ex.limits if l.gradient_norm < 1e-6]
    assert all(l.on_list for l in converged)
    assert any(not l.smooth_interior for l in converged)


def test_jacobian_rank_of_shared_roots():
    arch = Architecture((2, 2))
    assert jacobian_rank(arch, np.array([1.0, -2.0, 3.0, -6.0])) == 2
    assert jacobian_rank(arch, np.array([1.0, -2.0, 3.0, 5.0])) == 3
