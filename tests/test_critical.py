"""Tests of the function-space solver against reference counts, independent
verification of every real critical point, and brute-force minimisation."""

import json

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import least_squares, minimize

from critlcn.architecture import Architecture
from critlcn.critical import get_start, solve, solve_partition
from critlcn.data import quadratic_loss, synth
from critlcn.rrmp import RRMP, partitions
from critlcn.systems import parameters



def _data_params(d, rng, samples=30, noise=0.5):
    arch = Architecture((d + 1,))
    ds = synth(arch, samples, rng, noise=noise)
    loss = quadratic_loss(ds, arch)
    return loss, parameters(loss.Q, loss.b)


@pytest.mark.parametrize("lam", [lam for d in range(1, 6) for lam in partitions(d)], ids=str)
def test_valid_counts_equal_reference_on_20_datasets(lam, reference):
    expected = reference["ed_degrees"]["degrees"][str(sum(lam))]["-".join(map(str, lam))]
    start = get_start(lam)
    rng = np.random.default_rng(1000 + 17 * sum(lam) + len(lam))
    for _ in range(20):
        _, p = _data_params(sum(lam), rng)
        sol = solve_partition(start, p, rng)
        assert (len(sol.solutions), sol.failed) == (expected, 0)


@pytest.mark.parametrize("d", [6, 7])
def test_general_facts_up_to_degree_7(d):
    rng = np.random.default_rng(d)
    facts = {(d,): 3 * d - 2, (2,) + (1,) * (d - 2): 3 * d - 2, (1,) * d: 1}
    for lam, expected in facts.items():
        start = get_start(lam)
        for _ in range(3):
            loss, p = _data_params(d, rng)
            sol = solve_partition(start, p, rng)
            assert len(sol.solutions) == expected
        if lam == (1,) * d:  # the only critical point is the unconstrained minimiser
            w = sol.chart.form(sol.solutions[0])
            assert np.allclose(w.real, loss.minimiser()) and np.allclose(w.imag, 0, atol=1e-9)


# ---------------------------------------------------------------------------
# independent verification of real critical points


def _stratum_form(theta, r: RRMP):
    """s · Π (x − r_i y)^{ρ_i} · Π ((x − a_j y)^2 + b_j^2 y^2)^{γ_j} (real parameters)."""
    s, rest = theta[0], theta[1:]
    w = np.array([s])
    for i, m in enumerate(r.rho):
        for _ in range(m):
            w = np.convolve(w, [1.0, -rest[i]])
    off = len(r.rho)
    for j, m in enumerate(r.gamma):
        a, b = rest[off + 2 * j], rest[off + 2 * j + 1]
        for _ in range(m):
            w = np.convolve(w, [1.0, -2 * a, a * a + b * b])
    return w


def _fit_stratum(w, r: RRMP):
    """Real parameters of the stratum of r reproducing w, found from scratch
    (scipy clustering of numpy roots, then least squares)."""
    roots = np.roots(w)
    k = len(r.rho) + 2 * len(r.gamma)
    pts = np.column_stack([roots.real, roots.imag])
    labels = fcluster(linkage(pts, "average"), k, criterion="maxclust") if len(roots) > 1 else np.array([1])
    centres = [roots[labels == c].mean() for c in np.unique(labels)]
    reals = sorted([z for z in centres if abs(z.imag) < 1e-3], key=lambda z: z.real)
    uppers = [z for z in centres if z.imag >= 1e-3]
    # match multiplicities by cluster size
    sizes = {c: int(np.sum(labels == c)) for c in np.unique(labels)}
    size_of = {complex(roots[labels == c].mean()): sizes[c] for c in sizes}
    reals = sorted(reals, key=lambda z: size_of[complex(z)])
    uppers = sorted(uppers, key=lambda z: size_of[complex(z)])
    assert len(reals) == len(r.rho) and len(uppers) == len(r.gamma)
    theta0 = [w[0]] + [z.real for z in reals] + [v for z in uppers for v in (z.real, z.imag)]
    fit = least_squares(lambda th: _stratum_form(th, r) - w, theta0, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return fit.x


def _verify_point(point, loss, arch):
    r = point.rrmp
    w = np.array(point.filter)
    theta = _fit_stratum(w, r)
    # w lies on the stratum of r ...
    assert np.linalg.norm(_stratum_form(theta, r) - w) <= 1e-8 * np.linalg.norm(w)
    # ... and not on a smaller one: fitted roots distinct, conjugate pairs non-real
    rs = theta[1 : 1 + len(r.rho)]
    pairs = theta[1 + len(r.rho) :].reshape(-1, 2)
    zs = list(rs) + [complex(a, b) for a, b in pairs]
    for i in range(len(zs)):
        for j in range(i + 1, len(zs)):
            assert abs(zs[i] - zs[j]) > 1e-5
    assert np.all(np.abs(pairs[:, 1]) > 1e-5) if len(pairs) else True
    # the gradient of ℓ ∘ (root parametrisation) vanishes (central differences)
    f = lambda th: loss.value(_stratum_form(th, r))
    h = 1e-6 * (1 + np.abs(theta))
    g = np.array([(f(theta + hi * e) - f(theta - hi * e)) / (2 * hi) for hi, e in zip(h, np.eye(theta.size))])
    J = np.column_stack([(_stratum_form(theta + hi * e, r) - _stratum_form(theta - hi * e, r)) / (2 * hi)
                         for hi, e in zip(h, np.eye(theta.size))])
    # a gradient term's natural size: |J| times the size of the two parts of ∇ℓ = 2(Qw − b)
    scale = np.linalg.norm(J) * 2 * (np.linalg.norm(loss.Q @ w) + np.linalg.norm(loss.b))
    return np.linalg.norm(g) / scale


@pytest.mark.parametrize("k, seed", [((3, 2, 2), 0), ((4, 2), 1), ((3, 3), 2), ((2, 2, 2, 2), 3), ((4, 3), 4), ((3, 2, 2, 2), 5)])
def test_every_real_point_is_critical_on_its_reported_stratum(k, seed):
    arch = Architecture(k)
    rng = np.random.default_rng(seed)
    ds = synth(arch, 40, rng, noise=0.3)
    loss = quadratic_loss(ds, arch)
    result = solve(arch, loss, ds, all_strata=True, seed=seed)
    assert result.points
    for p in result.points:
        assert _verify_point(p, loss, arch) < 1e-6, p


def test_verification_rejects_a_non_critical_point():
    arch = Architecture((3, 2, 2))
    rng = np.random.default_rng(0)
    ds = synth(arch, 40, rng, noise=0.3)
    loss = quadratic_loss(ds, arch)
    p = solve(arch, loss, ds, seed=0).points[0]
    w = _stratum_form(_fit_stratum(np.array(p.filter), p.rrmp) * 1.01, p.rrmp)
    moved = type(p)(p.rrmp, p.partition, p.region, p.compatible, tuple(w), loss.value(w))
    assert _verify_point(moved, loss, arch) > 1e-4


# ---------------------------------------------------------------------------
# brute force over parameter space


def _brute_force(arch, loss, rng, restarts=40):
    sizes = arch.k
    cuts = np.cumsum(sizes)[:-1]

    def f(theta):
        layers = np.split(theta, cuts)
        w = layers[-1]
        for layer in reversed(layers[:-1]):
            w = np.convolve(w, layer)
        return loss.value(w)

    best = np.inf
    for _ in range(restarts):
        res = minimize(f, rng.normal(size=sum(sizes)), method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
        best = min(best, res.fun)
    return best


@pytest.mark.parametrize("k, seed, teacher", [((3, 2, 2), 11, None), ((4, 2), 12, None),
                                              ((3, 2, 2), 13, "0|11"), ((4, 2), 14, "0|11")])
def test_best_critical_point_is_the_brute_force_minimum(k, seed, teacher):
    arch = Architecture(k)
    rng = np.random.default_rng(seed)
    if teacher == "0|11":  # no real roots: outside M, so the best point sits on a lower stratum
        from critlcn.polynomials import form_from_roots

        z1, z2 = complex(0.3, 0.8), complex(-1.1, 0.5)
        teacher = np.real(form_from_roots([z1, z1.conjugate(), z2, z2.conjugate()]))
    ds = synth(arch, 40, rng, teacher=teacher, noise=0.5)
    loss = quadratic_loss(ds, arch)
    best = solve(arch, loss, ds, seed=seed).best()
    brute = _brute_force(arch, loss, rng)
    assert best.loss == pytest.approx(brute, rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------------------
# the result value


def test_solve_result_contract_and_statistics():
    arch = Architecture((3, 2, 2))
    rng = np.random.default_rng(7)
    ds = synth(arch, 40, rng, noise=0.3)
    loss = quadratic_loss(ds, arch)
    res = solve(arch, loss, ds, seed=3)
    d = json.loads(json.dumps(res.to_dict()))
    assert {"architecture", "degree", "seed", "data", "strata", "critical_points", "versions"} <= set(d)
    assert d["data"] == {"samples": 40, "source": "synthetic", "sha256": ds.sha256}
    assert d["seed"] == 3 and d["degree"] == 4
    for s in d["strata"]:
        assert set(s) == {"partition", "rrmps", "paths_tracked", "valid", "expected", "real", "spurious", "failed",
                          "certified"}
        assert s["paths_tracked"] == s["valid"] == s["expected"] == s["certified"] and s["failed"] == 0
    assert d["certified"]["every_count_proved"] is True
    for p in d["critical_points"]:
        assert set(p) >= {"rrmp", "partition", "region", "compatible", "filter", "loss", "certified_real"}
        assert len(p["filter"]) == 5
    assert "paths tracked" in str(res)
    # the strata are those of the compatible rrmps of the paper's table
    covered = {r for s in d["strata"] for r in s["rrmps"]}
    assert covered == {"1111|0", "112|0", "22|0", "13|0", "11|1", "2|1"}


def test_same_seed_same_result_and_jobs_equal_serial():
    arch = Architecture((4, 2))
    rng = np.random.default_rng(8)
    ds = synth(arch, 40, rng, noise=0.3)
    loss = quadratic_loss(ds, arch)
    a = solve(arch, loss, ds, all_strata=True, seed=5)
    b = solve(arch, loss, ds, all_strata=True, seed=5, jobs=2)
    assert a.strata == b.strata
    assert [str(p.rrmp) for p in a.points] == [str(p.rrmp) for p in b.points]
    assert np.allclose([p.loss for p in a.points], [p.loss for p in b.points])


def test_interrupted_cache_build_resumes(tmp_path):
    from critlcn.critical import build_cache
    from critlcn.startsystems import load_start, save_start

    for lam in [(1,), (2,), (1, 1)]:  # what an interrupted build left behind
        save_start(load_start(lam), str(tmp_path))
    (tmp_path / "d3_2-1.json").write_text('{"format": "critlcn-start-system/1", "trunc')  # killed mid-write
    rows = build_cache(3, directory=str(tmp_path))
    status = {lam: s for lam, _, s in rows}
    assert status[(1,)] == status[(2,)] == status[(1, 1)] == "cached"
    assert status[(3,)] == status[(2, 1)] == status[(1, 1, 1)] == "built"
    assert [c for _, c, _ in rows] == [1, 4, 1, 7, 7, 1]
    assert load_start((2, 1), str(tmp_path)).count == 7


def test_rebuild_flag_rebuilds(tmp_path):
    from critlcn.critical import build_cache, build_start
    from critlcn.startsystems import cache_path, save_start
    from critlcn.systems import random_chart

    rng = np.random.default_rng(99)  # a valid start system, but not the one a build makes
    save_start(build_start((2,), rng, chart=random_chart((2,), rng), target=4), str(tmp_path))
    planted = open(cache_path((2,), str(tmp_path)), "rb").read()
    assert build_cache(2, directory=str(tmp_path))[1][2] == "cached"
    rows = build_cache(2, directory=str(tmp_path), rebuild=True)
    assert {s for _, _, s in rows} == {"built"} and [c for _, c, _ in rows] == [1, 4, 1]
    assert open(cache_path((2,), str(tmp_path)), "rb").read() != planted


def test_a_path_that_keeps_failing_is_repaired_without_retracking_all(monkeypatch):
    # fault injection: start path 5 fails in the main pass and in the double
    # double re-track (same gamma); a fresh gamma for that path alone must
    # recover the missing solution, without a full re-track of all 13 paths
    import critlcn.critical as cr
    from critlcn.endpoints import random_gamma
    from critlcn.systems import random_parameters

    start = get_start((2, 2))
    rng = np.random.default_rng(11)
    p1 = random_parameters(4, rng)
    gamma = random_gamma(rng)
    real_track = cr.track_parameters
    calls = []

    def flaky(chart, p_from, p_to, points, g, seed=0):
        calls.append(len(points))
        ends = real_track(chart, p_from, p_to, points, g, seed=seed)
        if g == gamma:
            hit = [i for i, x in enumerate(np.atleast_2d(points)) if np.allclose(x, start.solutions[5])]
            ends[hit] = np.nan
        return ends

    monkeypatch.setattr(cr, "track_parameters", flaky)
    raw = flaky(start.chart, start.parameters, p1, start.solutions, gamma)
    sol = cr._finish_partition(start, p1, raw, rng, gamma)
    assert (len(sol.solutions), sol.failed, sol.spurious) == (13, 0, 0)
    assert calls[1] == 1 and max(calls[1:]) < 13  # the dd re-track, then single-path rounds only
    blackbox = cr.solve_blackbox(start.chart, p1, seed=3).valid
    for x in sol.solutions:  # every pooled point is one the blackbox finds as well
        assert min(np.linalg.norm(x - y) for y in blackbox) < 1e-6 * (1 + np.linalg.norm(x))
