"""Tests of lifting critical points to parameter space (issue 4).

Every check compares with an independent computation: direct convolution,
the balls-in-bins count, finite differences of a loss evaluated from
scratch, and gradient descent.
"""

import itertools

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.compatibility import count_assignments
from critlcn.critical import solve
from critlcn.data import QuadraticLoss, quadratic_loss, synth
from critlcn.descent import BatchLoss, descend, random_init
from critlcn.errors import CritlcnError
from critlcn.landscape import parameter_gradient, parameter_hessian, scaling_directions
from critlcn.lift import invariants, lift, load_init
from critlcn.render import render_summary
from critlcn.roots import factor_form, form_from_roots
from critlcn.rrmp import RRMP

ARCHS = [(3, 2, 2), (4, 2), (3, 3), (2, 2, 2)]


def _loss_from_scratch(loss, filters):
    """L(w_1..w_L) by explicit convolution, independent of the code under test."""
    w = np.array([1.0])
    for f in filters:
        w = np.convolve(w, f)
    return float(w @ loss.Q @ w - 2 * loss.b @ w + loss.c0)


def _synthetic(k, seed, samples=40, noise=0.3):
    arch = Architecture(k)
    ds = synth(arch, samples, np.random.default_rng(seed), noise=noise)
    return arch, ds, quadratic_loss(ds, arch)


@pytest.fixture(scope="module", params=ARCHS, ids=str)
def solved(request):
    arch, ds, loss = _synthetic(request.param, seed=sum(request.param) * 7 + len(request.param))
    res = solve(arch, loss, ds, seed=0)
    return arch, loss, res, lift(arch, loss, res.points, solve=res)


def test_lifted_filters_multiply_back_and_count_equals_assignments(solved):
    arch, loss, res, lifted = solved
    assert len(lifted.points) == len(res.points)
    for p in lifted.points:
        if not p.compatible:
            continue
        assert p.lifts, p.reason
        assert len(p.parameters) == count_assignments(p.rrmp, arch)
        for q in p.parameters:
            fs = q.arrays()
            assert [f.size for f in fs] == list(arch.k)
            w = np.array([1.0])
            for f in reversed(fs):  # w_L * ... * w_1
                w = np.convolve(w, f)
            assert np.allclose(w, p.filter, rtol=0, atol=1e-10 * np.linalg.norm(p.filter))
            norms = [np.linalg.norm(f) for f in fs]
            assert np.allclose(norms, norms[0], rtol=1e-10)  # balanced
        # distinct labelled assignments give distinct classes
        dirs = [tuple(np.round(np.concatenate([f / np.linalg.norm(f) * np.sign(f[np.argmax(abs(f))])
                                                for f in q.arrays()]), 6)) for q in p.parameters]
        assert len(set(dirs)) == len(dirs)
    assert lifted.parameter_classes == sum(count_assignments(p.rrmp, arch) for p in res.points if p.compatible)


def test_one_point_per_orbit_stands_for_the_classes_it_replaces(solved):
    # every labelled class (the full lifting) against one point per orbit of equal-size layers
    arch, loss, res, full = solved
    orbits = lift(arch, loss, res.points, solve=res, orbits=True)
    assert orbits.orbits and not full.orbits
    assert orbits.parameter_classes == full.parameter_classes
    assert orbits.summary() == full.summary()
    for p, q in zip(full.points, orbits.points):
        assert sum(x.classes for x in q.parameters) == len(p.parameters)
        by_assignment = {x.assignment: x for x in p.parameters}
        for x in q.parameters:
            twin = by_assignment[x.assignment]
            assert (x.filters, x.type, x.negative_eigenvalues, x.minimum) == \
                (twin.filters, twin.type, twin.negative_eigenvalues, twin.minimum)
            # the orbit's members: layers of one size hold the same factors; one loss, one spectrum
            members = [y for y in p.parameters if _layer_contents(y.assignment, arch) == _layer_contents(x.assignment, arch)]
            assert len(members) == x.classes
            for y in members:
                assert y.type == x.type and y.loss == pytest.approx(x.loss, rel=1e-12)
                assert np.allclose(sorted(y.eigenvalues), sorted(x.eigenvalues), rtol=1e-7,
                                   atol=1e-9 * max(map(abs, x.eigenvalues)))
    if len(set(arch.k)) < arch.layers and full.parameter_classes:
        assert sum(len(p.parameters) for p in orbits.points) < full.parameter_classes


def _layer_contents(assignment, arch):
    """Per filter size, the multiset of factor sets that layers of that size hold."""
    holds = [tuple(c for c, subset in enumerate(assignment) if b in subset) for b in range(arch.layers)]
    return {size: sorted(holds[b] for b in range(arch.layers) if arch.k[b] == size) for size in set(arch.k)}


def test_gradient_is_at_rounding_level_and_matches_finite_differences(solved):
    arch, loss, _, lifted = solved
    for _, q in lifted.parameter_points():
        assert q.verified, (q.pattern, q.gradient_norm, q.gradient_scale)
    rng = np.random.default_rng(1)
    fs = [rng.normal(size=k) for k in arch.k]
    grads = np.concatenate(parameter_gradient(loss, fs))
    x = np.concatenate(fs)
    cuts = np.cumsum([0] + list(arch.k))
    h = 1e-6
    fd = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        split = lambda v: [v[cuts[j]:cuts[j + 1]] for j in range(len(arch.k))]  # noqa: E731
        fd.append((_loss_from_scratch(loss, split(x + e)) - _loss_from_scratch(loss, split(x - e))) / (2 * h))
    assert np.allclose(grads, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def _fd_hessian(loss, fs, h=1e-4):
    x = np.concatenate(fs)
    cuts = np.cumsum([0] + [f.size for f in fs])
    split = lambda v: [v[cuts[j]:cuts[j + 1]] for j in range(len(fs))]  # noqa: E731
    n = x.size
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h, h
            val = (_loss_from_scratch(loss, split(x + ei + ej)) - _loss_from_scratch(loss, split(x + ei - ej))
                   - _loss_from_scratch(loss, split(x - ei + ej)) + _loss_from_scratch(loss, split(x - ei - ej)))
            H[i, j] = H[j, i] = val / (4 * h * h)
    return H


def _fd_spectrum(loss, arch, fs):
    """Eigenvalues of the finite-difference Hessian on the complement of the
    scaling directions (built here from scratch), and the Hessian itself."""
    H_fd = _fd_hessian(loss, fs)
    n = H_fd.shape[0]
    cuts = np.cumsum([0] + list(arch.k))
    tangents = []
    for i in range(1, arch.layers):
        v = np.zeros(n)
        v[cuts[0]:cuts[1]] = fs[0]
        v[cuts[i]:cuts[i + 1]] = -fs[i]
        tangents.append(v)
    T = np.array(tangents).T
    P = np.eye(n) - T @ np.linalg.pinv(T)
    return np.linalg.eigvalsh(P @ H_fd @ P), H_fd


def _check_against_fd(loss, arch, q):
    fs = list(q.arrays())
    eig, H_fd = _fd_spectrum(loss, arch, fs)
    assert np.allclose(parameter_hessian(loss, fs), H_fd, atol=1e-5 * np.abs(H_fd).max())
    scale = np.abs(eig).max()
    # the L - 1 scaling directions are (numerically) null
    assert np.sum(np.abs(eig) < 1e-4 * scale) >= arch.layers - 1
    neg = int(np.sum(eig < -1e-4 * scale))
    assert neg == q.negative_eigenvalues
    if q.type == "minimum":
        assert neg == 0 and np.sum(np.abs(eig) < 1e-4 * scale) == arch.layers - 1
    kept = np.sort(eig[np.argsort(np.abs(eig))[arch.layers - 1:]])
    assert np.allclose(kept, np.sort(q.eigenvalues), atol=1e-4 * scale)


def test_hessian_and_classification_match_finite_differences(solved):
    arch, loss, _, lifted = solved
    pairs = lifted.parameter_points()
    assert pairs
    for _, q in pairs:
        _check_against_fd(loss, arch, q)


def test_spectra_shared_by_layer_swapped_points_are_right():
    # on the default data the 112|0 point of k = (3,2,2) lifts to 5 points in
    # 3 orbits of the swap of the two size-2 layers; each spectrum is computed
    # once per orbit and must still be that point's own
    from critlcn.data import default_dataset

    arch = Architecture((3, 2, 2))
    ds = default_dataset()
    loss = quadratic_loss(ds, arch)
    res = solve(arch, loss, ds, seed=0)
    lifted = lift(arch, loss, res.points, solve=res)
    pairs = lifted.parameter_points()
    by_point = {}
    for p, q in pairs:
        by_point.setdefault(id(p), []).append(q)
    orbits = [len({tuple(np.round(q.eigenvalues, 6)) for q in qs}) for qs in by_point.values()]
    assert max(orbits) >= 3
    for _, q in pairs:
        _check_against_fd(loss, arch, q)


def test_scaling_directions_are_null_at_critical_points(solved):
    arch, loss, _, lifted = solved
    for _, q in lifted.parameter_points():
        fs = list(q.arrays())
        H = parameter_hessian(loss, fs)
        S = scaling_directions(fs)
        assert S.shape[1] == arch.layers - 1
        assert np.linalg.norm(H @ S) <= 1e-8 * np.linalg.norm(H)


def test_incompatible_points_do_not_lift_and_zero_set_is_reported():
    arch, ds, loss = _synthetic((3, 2, 2), seed=5)
    res = solve(arch, loss, ds, all_strata=True)
    lifted = lift(arch, loss, res.points, solve=res)
    bad = [p for p in lifted.points if not p.compatible]
    assert bad  # 0|2, 0|11 or 4|0 points exist on all strata
    for p in bad:
        assert not p.lifts and p.parameters == () and "incompatible" in p.reason
    assert lifted.zero_set.loss == pytest.approx(loss.c0)
    assert lifted.zero_set.dimension == (3 + 2 + 2) - (2 + 2)  # two layers of size 2 vanish
    d = lifted.to_dict()
    assert d["parameter_classes"] == lifted.parameter_classes
    for cp in d["critical_points"]:
        for par in cp["parameters"]:
            assert set(par) >= {"pattern", "filters", "gradient_norm", "type", "negative_eigenvalues"}
            assert len(par["filters"]) == arch.layers
    for fmt in ("table", "md", "latex", "csv"):
        text = render_summary(lifted, fmt)
        assert "11|1" in text or "11\\|1" in text or "11$|$1" in text


def test_global_and_nonglobal_minima_against_gradient_descent():
    """Gradient descent from 200+ random initialisations on synthetic data:
    every converged run ends, up to scaling, at a listed parameter point; no
    run goes below the best listed loss; global minima are the lowest."""
    for k, seed in [((3, 2, 2), 3), ((4, 2), 4)]:
        arch, ds, loss = _synthetic(k, seed)
        res = solve(arch, loss, ds)
        lifted = lift(arch, loss, res.points)
        runs = 240
        rng = np.random.default_rng(seed)
        t = np.linalg.solve(loss.Q, loss.b)
        bl = BatchLoss(np.tile(t, (runs, 1)), np.full(runs, loss.c0 - loss.b @ t), np.tile(loss.Q, (runs, 1, 1)))
        desc = descend(bl, random_init(arch, runs, rng))
        best = lifted.best_loss()
        listed = [q for _, q in lifted.parameter_points()]
        assert desc.converged.sum() >= 0.95 * runs
        for i in range(runs):
            assert desc.loss[i] >= best - 1e-9 * (1 + abs(best))
            if not desc.converged[i]:
                continue
            fs = desc.run(i)
            hits = [q for q in listed if all(
                abs(abs(a @ np.asarray(b)) / (np.linalg.norm(a) * np.linalg.norm(b)) - 1) < 1e-6
                for a, b in zip(fs, q.filters))]
            assert hits, (k, i, desc.loss[i])
            # gradient descent only converges to points without descent directions
            assert all(q.type != "saddle" for q in hits)
        globals_ = [q for q in listed if q.minimum == "global"]
        assert globals_ and all(q.loss == pytest.approx(best) for q in globals_)


def test_init_scaling_preserves_invariants_and_gradient_flow_keeps_them():
    arch, ds, loss = _synthetic((4, 2), seed=11)
    rng = np.random.default_rng(11)
    init = [rng.normal(size=4), 2.0 * rng.normal(size=2)]
    delta = invariants(init)
    res = solve(arch, loss, ds)
    lifted = lift(arch, loss, res.points, init=init)
    assert lifted.scaling == "invariants"
    for _, q in lifted.parameter_points():
        fs = q.arrays()
        sq = [float(f @ f) for f in fs]
        assert sq[1] - sq[0] == pytest.approx(delta[1], rel=1e-9, abs=1e-9)
        assert len(q.signs) == 2 ** (arch.layers - 1)
        assert all(np.prod(s) == 1 for s in q.signs)
    # gradient descent with small steps follows the flow, which keeps the
    # invariants; the discrete steps drift by O(step) times the loss decrease
    bl = BatchLoss(np.linalg.solve(loss.Q, loss.b)[None, :], np.zeros(1), loss.Q[None])
    step = 2e-4
    desc = descend(bl, [init[0][None, :], init[1][None, :]], step=step, max_step=step, max_steps=200000)
    assert desc.converged[0]
    end = desc.run(0)
    end_sq = [float(f @ f) for f in end]
    drift_bound = 4 * step * (loss.value(np.convolve(init[1], init[0])) - desc.loss[0])
    assert abs((end_sq[1] - end_sq[0]) - delta[1]) <= drift_bound
    # and it is one of the listed points with these invariants, up to a sign variant
    close = []
    for _, q in lifted.parameter_points():
        for s in q.signs:
            cand = [si * np.asarray(f) for si, f in zip(s, q.filters)]
            close.append(max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(end, cand)))
    assert min(close) < 2 * drift_bound / min(end_sq)


@pytest.mark.parametrize("r", ["1111|0", "112|0", "22|0", "13|0", "4|0", "11|1", "2|1", "0|2", "0|11", "12|1"])
def test_factor_form_recovers_known_factors(r):
    rrmp = RRMP.parse(r)
    rng = np.random.default_rng(len(r) * 31 + sum(rrmp.rho))
    for _ in range(5):
        reals = rng.uniform(-2, 2, size=len(rrmp.rho))
        pairs = rng.uniform(-1.5, 1.5, size=len(rrmp.gamma)) + 1j * rng.uniform(0.3, 1.5, size=len(rrmp.gamma))
        roots = [x for x, m in zip(reals, rrmp.rho) for _ in range(m)]
        roots += [z for p, m in zip(pairs, rrmp.gamma) for _ in range(m) for z in (p, np.conj(p))]
        if len(set(roots)) > 1 and min(abs(a - b) for a, b in itertools.combinations(set(roots), 2)) < 0.15:
            continue
        w = rng.normal() * form_from_roots(np.array(roots)).real
        theta = rng.uniform(0, np.pi)  # also put roots near infinity
        from critlcn.polynomials import rotate_form
        w = rotate_form(w, theta)
        f = factor_form(w, rrmp)
        assert np.allclose(f.product(), w, atol=1e-10 * np.linalg.norm(w))
        for fac, col in zip(f.factors, __import__("critlcn.compatibility", fromlist=["colours"]).colours(rrmp)):
            assert len(fac) == col.size + 1
            if col.size == 2:
                a, b, c = fac
                assert b * b - 4 * a * c < 0


def test_factor_form_rejects_a_wrong_pattern():
    with pytest.raises(CritlcnError):
        factor_form(form_from_roots([1.0, 2.0, 3.0, 4.0]), RRMP.parse("112|0"))


def test_load_init_errors_are_one_line(tmp_path):
    arch = Architecture((3, 2, 2))
    good = tmp_path / "good.npz"
    np.savez(good, w1=[1.0, 2.0, 3.0], w2=[1.0, 1.0], w3=[0.5, -1.0])
    assert [f.size for f in load_init(str(good), arch)] == [3, 2, 2]
    cases = {
        "missing.npz": dict(w1=[1.0, 2.0, 3.0], w2=[1.0, 1.0]),
        "size.npz": dict(w1=[1.0, 2.0], w2=[1.0, 1.0], w3=[0.5, -1.0]),
        "nan.npz": dict(w1=[1.0, np.nan, 3.0], w2=[1.0, 1.0], w3=[0.5, -1.0]),
    }
    words = {"missing.npz": "w3", "size.npz": "k_1 = 3", "nan.npz": "NaN"}
    for name, arrays in cases.items():
        p = tmp_path / name
        np.savez(p, **arrays)
        with pytest.raises(CritlcnError) as err:
            load_init(str(p), arch)
        msg = str(err.value)
        assert "\n" not in msg and words[name] in msg and err.value.exit_code == 2
    with pytest.raises(CritlcnError):
        load_init(str(tmp_path / "absent.npz"), arch)
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(CritlcnError):
        load_init(str(junk), arch)


def test_zero_loss_target_global_minimum_is_exact():
    """A representable target: the global minimum has loss 0 and is flagged."""
    arch = Architecture((3, 2))
    target = form_from_roots([0.5, -1.0, 2.0]) * 1.5
    loss = QuadraticLoss(np.eye(4), target, float(target @ target))
    from types import SimpleNamespace as P

    pt = P(rrmp=RRMP.parse("111|0"), partition=(1, 1, 1), region="interior", compatible=True,
           filter=tuple(target), loss=0.0)
    lifted = lift(arch, loss, [pt])
    qs = lifted.points[0].parameters
    assert len(qs) == 3 and all(q.minimum == "global" and q.type == "minimum" for q in qs)
    for q in qs:
        w = np.convolve(q.arrays()[1], q.arrays()[0])
        assert np.linalg.norm(w - target) <= 1e-13 * np.linalg.norm(target)


def test_lifted_points_equal_the_landscape_formulas_bit_for_bit():
    """`lift_point` shares the end-to-end filter, the all-but-one products and
    the layer products between the parameter points of one filter; every
    point must still be what `critlcn.landscape` and a direct product of the
    factors give, to the last bit."""
    from critlcn.compatibility import labelled_assignments
    from critlcn.convolution import convolve
    from critlcn.data import QuadraticLoss
    from critlcn.landscape import (classify_hessian, gradient_scale, parameter_gradient, parameter_hessian,
                                   scaling_directions)
    from critlcn.lift import balanced, lift_point
    from critlcn.roots import factor_form, form_from_roots

    rng = np.random.default_rng(4)
    arch = Architecture((3, 2, 2, 2, 2))
    M = rng.normal(size=(7, 7))
    loss = QuadraticLoss(M @ M.T + np.eye(7), rng.normal(size=7), 3.0)
    r = RRMP.parse("1111|1")
    w = form_from_roots([0.3, -1.2, 2.0, 0.7, 1 + 1j, 1 - 1j], scale=1.7).real
    points = lift_point(arch, loss, r, w)
    fact = factor_form(w, r)
    assignments = list(labelled_assignments(r, arch))
    assert len(points) == len(assignments) > 10
    for p, a in zip(points, assignments):
        layers = [np.array([1.0]) for _ in arch.k]
        for fac, subset in zip(fact.factors, a):
            for b in subset:
                layers[b] = convolve(layers[b], fac)
        layers[0] = layers[0] * fact.scale
        fs = balanced(layers)
        assert p.filters == tuple(tuple(float(x) for x in f) for f in fs)
        grads = parameter_gradient(loss, fs)
        assert p.gradient_norm == float(np.sqrt(sum(float(np.dot(g, g)) for g in grads)))
        assert p.gradient_scale == gradient_scale(loss, fs)
        kind, neg, eig = classify_hessian(parameter_hessian(loss, fs), scaling_directions(fs))
        assert (p.type, p.negative_eigenvalues) == (kind, neg)
        assert np.allclose(p.eigenvalues, eig, rtol=1e-9, atol=1e-12 * np.max(np.abs(eig)))


def test_a_sevenfold_root_next_to_a_simple_one_lifts_with_the_solvers_factors():
    # realistic data, d = 10: the filter of rrmp 1117|0 did not lift on some
    # runs ("factoring failed": clustering its roots mixed the 7-fold ring
    # with the simple root 0.2 away), and its 192 parameter classes went
    # missing; the solver's factors travel with the point now
    import json
    import os
    from types import SimpleNamespace

    from critlcn.rrmp import region

    with open(os.path.join(os.path.dirname(__file__), "data", "seven_fold_root_1117.json")) as fh:
        fx = json.load(fh)
    arch = Architecture((3,) + (2,) * 8)
    loss = QuadraticLoss(np.array(fx["Q"]), np.array(fx["b"]), fx["c0"])
    r = RRMP.parse(fx["rrmp"])
    factors = tuple((m, tuple(f)) for m, f in fx["factors"])
    rng = np.random.default_rng(2)
    points = [SimpleNamespace(rrmp=r, partition=(7, 1, 1, 1), region=region(r, arch.e), compatible=True,
                              filter=tuple(np.array(fx["filter"]) * (1 + 1e-13 * rng.normal(size=11))),
                              loss=loss.value(np.array(fx["filter"])), factors=factors) for _ in range(5)]
    res = lift(arch, loss, points, orbits=True)
    assert res.parameter_classes == 5 * count_assignments(r, arch) == 5 * 192
    for p in res.points:
        assert p.lifts and p.parameters
        for q in p.parameters:
            assert q.verified
            w = np.array([1.0])
            for f in q.filters:
                w = np.convolve(w, f)
            assert np.allclose(w, p.filter, rtol=0, atol=1e-9 * np.linalg.norm(p.filter))
