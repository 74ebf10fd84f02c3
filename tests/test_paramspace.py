"""The parameter-space solver (MATH.md §9–11): counts equal the Segre number,
real points are critical by finite differences of an independently computed
loss, local optimisation finds nothing outside the list, and for stride one
the stratified solver (an independent method) finds the same points."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.signal import correlate

from critlcn import paramspace
from critlcn.landscape import network_gradient, network_hessian
from critlcn.architecture import Architecture
from critlcn.data import quadratic_loss, synth

STRIDED = [((2, 2), (2, 1), 6), ((3, 2), (2, 1), 10), ((3, 2), (3, 1), 10), ((2, 3), (2, 1), 10),
           ((2, 2, 2), (2, 2, 1), 34), ((3, 3), (2, 1), 39), ((2, 2), (3, 2), 6)]
DDIM = [(((2, 2), (2, 1)), 14), (((2, 1), (1, 2)), 6)]


def _data(arch, seed, samples=30, noise=0.5):
    ds = synth(arch, samples, np.random.default_rng(seed), noise=noise)
    return ds, quadratic_loss(ds, arch)


def _network_loss(arch, ds, theta):
    """(1/N) Σ ‖net(x_n) − y_n‖², the network applied layer by layer with
    scipy's correlation (independent of critlcn's end-to-end filters)."""
    cuts = np.cumsum([0] + list(arch.layer_entries))
    filters = [np.asarray(theta[cuts[i]:cuts[i + 1]]).reshape(f) for i, f in enumerate(arch.formats)]
    total = 0.0
    for x, y in zip(ds.X, ds.Y):
        for w, s in zip(filters, arch.strides):
            x = correlate(x, w, mode="valid", method="direct")
            x = x[tuple(slice(None, None, s) for _ in range(x.ndim))]
        total += float(np.sum((x - y) ** 2))
    return total / ds.samples


@pytest.mark.parametrize("k,s,count", STRIDED)
def test_strided_counts_equal_the_segre_number(k, s, count):
    arch = Architecture(k, s)
    assert arch.segre_number == count
    for seed in (1, 2):
        ds, loss = _data(arch, seed)
        res = paramspace.solve(arch, loss, ds, seed=seed)
        assert (res.stats.valid, res.stats.failed) == (count, 0)
        assert res.complete


@pytest.mark.parametrize("k,count", DDIM)
def test_d_dim_counts_equal_the_segre_number(k, count):
    arch = Architecture(k)
    for seed in (1, 2, 3):
        ds, loss = _data(arch, seed)
        res = paramspace.solve(arch, loss, ds, seed=seed)
        assert (res.stats.valid, res.stats.failed) == (count, 0)


def test_d_dim_2x2_2x2_from_the_cache_reaches_284():
    # the start system is expensive (monodromy to 284); it ships in the package
    arch = Architecture(((2, 2), (2, 2)))
    start = paramspace.load_start(arch)
    assert start is not None and start.count == 284 == arch.segre_number
    for seed in (1, 2, 3):
        ds, loss = _data(arch, seed, samples=20)
        res = paramspace.solve(arch, loss, ds, seed=seed)
        assert (res.stats.valid, res.stats.failed) == (284, 0)


def test_start_system_built_from_scratch(tmp_path):
    arch = Architecture((3, 2), (2, 1))
    st = paramspace.get_start(arch, str(tmp_path), quiet=True)
    assert st.count == 10
    assert paramspace.load_start(arch, str(tmp_path)).count == 10


def test_corrupt_start_system_is_rebuilt(tmp_path):
    arch = Architecture((2, 2), (2, 1))
    st = paramspace.get_start(arch, str(tmp_path), quiet=True)
    path = paramspace.cache_path(arch, str(tmp_path))
    text = open(path).read().replace('"count":6', '"count":7')
    open(path, "w").write(text)
    assert paramspace.load_start(arch, str(tmp_path)) is None
    assert paramspace.get_start(arch, str(tmp_path), quiet=True).count == st.count


CHECKED = [((2, 2), (2, 1)), ((3, 2), (2, 1)), ((2, 2, 2), (2, 2, 1)), (((2, 2), (2, 1)), ()), ((3, 3), (1, 1))]


@pytest.mark.parametrize("k,s", CHECKED)
def test_real_points_are_critical_by_finite_differences(k, s):
    arch = Architecture(k, s)
    ds, loss = _data(arch, 5)
    res = paramspace.solve(arch, loss, ds, seed=5)
    assert res.points
    h = 1e-5
    for p in res.points:
        theta = np.concatenate(p.filters)
        n = theta.size
        f0 = _network_loss(arch, ds, theta)
        assert f0 == pytest.approx(p.loss, rel=1e-9, abs=1e-12)
        E = np.eye(n) * h
        grad = np.array([(_network_loss(arch, ds, theta + e) - _network_loss(arch, ds, theta - e)) / (2 * h) for e in E])
        assert np.linalg.norm(grad) < 1e-6 * max(1.0, f0)
        H = np.array([[(_network_loss(arch, ds, theta + a + b) - _network_loss(arch, ds, theta + a - b)
                        - _network_loss(arch, ds, theta - a + b) + _network_loss(arch, ds, theta - a - b)) / (4 * h * h)
                       for b in E] for a in E])
        Hs = network_hessian(arch, loss, theta)
        assert np.max(np.abs(H - Hs)) < 1e-4 * max(1.0, np.max(np.abs(Hs)))
        # the type from the finite-difference Hessian with the scaling directions removed
        eig = np.linalg.eigvalsh(H)
        if p.type == "minimum":
            assert eig.min() > -1e-4 * max(1.0, eig.max())
        elif p.type == "saddle":
            assert eig.min() < -1e-4 * max(1.0, eig.max())


@pytest.mark.parametrize("k,s", CHECKED)
def test_local_optimisation_ends_on_the_list(k, s):
    arch = Architecture(k, s)
    ds, loss = _data(arch, 6)
    res = paramspace.solve(arch, loss, ds, seed=6)
    best = res.points[0].loss
    assert res.points[0].global_minimum and res.points[0].type == "minimum"
    ends = np.array([p.end_to_end for p in res.points])
    rng = np.random.default_rng(0)
    converged = 0
    for _ in range(20):
        theta0 = rng.normal(size=sum(arch.layer_entries))
        opt = minimize(lambda t: _value(arch, loss, t), theta0, jac=lambda t: network_gradient(arch, loss, t),
                       method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
        g = network_gradient(arch, loss, opt.x)
        if np.linalg.norm(g) > 1e-6 or np.linalg.norm(opt.x) < 1e-3:
            continue
        converged += 1
        assert opt.fun >= best - 1e-8 * max(1.0, abs(best))
        w = _e2e(arch, opt.x)
        dist = np.min(np.linalg.norm(ends - w, axis=1)) / max(1.0, np.linalg.norm(w))
        assert dist < 1e-4, (opt.fun, [p.loss for p in res.points])
    assert converged >= 10


def _value(arch, loss, theta):
    return loss.value(_e2e(arch, theta))


def _e2e(arch, theta):
    from critlcn.convolution import network_filter as end_to_end

    cuts = np.cumsum([0] + list(arch.layer_entries))
    return end_to_end(arch, [theta[cuts[i]:cuts[i + 1]] for i in range(arch.layers)]).ravel()


def test_strided_critical_points_are_smooth_interior_points():
    # MATH.md §9: all inner strides > 1 and generic data: every non-zero
    # critical point maps to a smooth point of the function space
    for k, s in [((2, 2), (2, 1)), ((3, 2), (2, 1)), ((2, 2, 2), (2, 2, 1)), ((3, 3), (2, 1))]:
        arch = Architecture(k, s)
        for seed in (7, 8):
            ds, loss = _data(arch, seed)
            res = paramspace.solve(arch, loss, ds, seed=seed)
            assert res.points and all(p.smooth_interior for p in res.points)


def _class_key(filters):
    """A scaling class as one vector: w_i (i ≥ 2) divided by its largest entry, the scale moved to w_1."""
    out, scale = [], 1.0
    for f in filters[1:]:
        f = np.asarray(f, dtype=float)
        piv = f[np.argmax(np.abs(f))]
        out.append(f / piv)
        scale *= piv
    return np.concatenate([np.asarray(filters[0], dtype=float) * scale] + out)


@pytest.mark.parametrize("k,data", [((2, 2), (11, 30, 0.5)), ((3, 2), (11, 30, 0.5)), ((2, 2, 2), (11, 30, 0.5)),
                                    ((3, 3), (11, 30, 0.5)), ((4, 2), (11, 30, 0.5)), ((3, 2, 2), (11, 30, 0.5)),
                                    # three solutions with a filter near its chart's boundary (unscaled
                                    # condition 1e14): valid, and real
                                    ((3, 2, 2), (0, 40, 0.3))])
def test_stride_one_cross_check_with_the_stratified_method(k, data):
    from critlcn.critical import solve as stratified
    from critlcn.degrees import assignment_count
    from critlcn.lift import lift

    arch = Architecture(k)
    ds, loss = _data(arch, *data)
    res = paramspace.solve(arch, loss, ds, seed=data[0])
    strata = stratified(arch, loss, ds, all_strata=True, seed=data[0])
    assert strata.complete
    # complex count: Σ_λ N(λ, μ) · (valid solutions on Δ_λ) = Segre number = parameter-space count
    by_strata = sum(assignment_count(st.partition, arch.bins) * st.valid for st in strata.strata)
    assert res.stats.valid == by_strata == arch.segre_number
    # real points: the lifted points of the stratified method, class by class
    lifted = lift(arch, loss, strata.points)
    theirs = [_class_key(q.filters) for p in lifted.points for q in p.parameters]
    ours = [_class_key(p.filters) for p in res.points]
    assert len(ours) == len(theirs)
    for key in ours:
        assert min(np.linalg.norm(key - t) / max(1.0, np.linalg.norm(key)) for t in theirs) < 1e-6
    types = sorted(q.type for p in lifted.points for q in p.parameters)
    assert sorted(p.type for p in res.points) == types


def test_the_last_stride_shares_the_start_system():
    # s_L only subsamples the output: k = (3,2) with s = (2,4) uses the start system of s = (2,1)
    arch = Architecture((3, 2), (2, 4))
    st = paramspace.load_start(arch)
    assert st is not None and st.count == 10
    ds, loss = _data(arch, 4)
    res = paramspace.solve(arch, loss, ds, seed=4)
    assert (res.stats.valid, res.stats.failed) == (10, 0)
