"""The multilinear form that PHCpack tracks (systems.tracking_polynomials) and
the trackers (issue 11): checked against the dense (c, t) equations, against
sympy's reading of the PHCpack strings, and against the standard tracker."""

import numpy as np
import pytest
import sympy

import critlcn.startsystems as ss
from critlcn.rrmp import partitions
from critlcn.startsystems import chart_endpoints, get_start, reference_norm, track_parameters, uses_ade
from critlcn.systems import (
    change_chart,
    critical_system,
    default_chart,
    form_transform,
    mobius_chart,
    random_chart,
    random_parameters,
    tracking_names,
    tracking_points,
    tracking_polynomials,
)


def _sympy_values(polys, names, point):
    """Evaluate PHCpack strings with sympy (independent of critlcn's writer)."""
    syms = {n: sympy.Symbol(n) for n in names}
    subs = {syms[n]: complex(v) for n, v in zip(names, point)}
    out = []
    for text in polys:
        expr = sympy.sympify(text.rstrip(";").replace("^", "**"), locals=dict(syms, i=sympy.I))
        out.append(complex(expr.subs(subs).evalf()))
    return np.array(out)


@pytest.mark.parametrize("lam", [(1,), (2,), (2, 1), (3, 1), (2, 2), (2, 1, 1), (3, 2, 1)])
def test_multilinear_form_equals_the_dense_equations(lam):
    rng = np.random.default_rng(sum(lam) + 10 * len(lam))
    chart = random_chart(lam, rng)
    p = random_parameters(chart.degree, rng)
    x = (rng.normal(size=chart.unknowns) + 1j * rng.normal(size=chart.unknowns)) / 2
    names = tracking_names(chart)
    polys = tracking_polynomials(chart, p)
    assert len(polys) == len(names)  # square
    assert "^" not in "".join(polys)  # multilinear: what the ade tracker reads correctly
    full = tracking_points(chart, p, x[None])[0]
    values = _sympy_values(polys, names, full)
    dense = critical_system(chart).assemble(p).evaluate(x[None])[0]
    # E_0 and the E_v: the equations after the auxiliary ones, before the r̃ ones
    L = chart.degree + 1
    e = values[len(names) - L - chart.unknowns : len(names) - L]
    assert np.allclose(e, dense, rtol=1e-9, atol=1e-9 * np.abs(dense).max())
    # every auxiliary equation vanishes at the lifted point
    aux = np.concatenate([values[: len(names) - L - chart.unknowns], values[len(names) - L :]])
    assert np.abs(aux).max() <= 1e-9 * (1 + np.abs(full).max() ** 3)


def test_a_mobius_chart_is_the_monic_chart_in_moved_coordinates():
    rng = np.random.default_rng(4)
    chart = random_chart((2, 1), rng)
    c, t1, t2 = 1.5, 0.3 - 0.2j, -0.7 + 0.1j
    # written out: f2 = x' + t1 y', f1 = x' + t2 y' with (x', y') = M (x, y)
    M = chart.mobius
    xp, yp = M[0], M[1]
    f2, f1 = xp + t1 * yp, xp + t2 * yp
    w = c * np.convolve(np.convolve(f2, f2), f1)
    assert np.allclose(chart.form([c, t1, t2]), w)
    T = form_transform(M, 3)
    assert np.allclose(T @ np.convolve(np.convolve([1, t1], [1, t1]), [1, t2]) * c, w)


def test_change_chart_keeps_the_filter():
    rng = np.random.default_rng(8)
    a, b = random_chart((3, 1, 1), rng), random_chart((3, 1, 1), rng)
    X = rng.normal(size=(5, a.unknowns)) + 1j * rng.normal(size=(5, a.unknowns))
    Y = change_chart(X, a, b)
    for x, y in zip(X, Y):
        assert np.allclose(a.form(x), b.form(y))


def test_boundary_points_become_nan():
    a = mobius_chart((1,), np.eye(2))                    # f = x + t y
    b = mobius_chart((1,), np.array([[0, 1], [1, 0]]))   # f = y + t x: misses the forms divisible by x
    assert np.isnan(change_chart([[1.0, 0.0]], b, a)).all()  # f = y is on a's boundary


@pytest.mark.parametrize("lam", [(3, 2, 1, 1), (2, 2, 1, 1, 1)])
def test_ade_and_standard_tracker_reach_the_same_solutions(lam, monkeypatch):
    st = get_start(lam)
    assert uses_ade(st.chart)
    rng = np.random.default_rng(1)
    p1 = random_parameters(st.chart.degree, rng)
    idx = np.arange(min(12, st.count))
    a1 = critical_system(st.chart).assemble(p1)
    ade = chart_endpoints(a1, track_parameters(st.chart, st.parameters, p1, st.solutions[idx], 0.6 + 0.8j), 
                          reference_norm(p1, st.chart.degree))
    monkeypatch.setattr(ss, "ADE_WORK", 10**12)  # everything dense, standard tracker
    std = chart_endpoints(a1, track_parameters(st.chart, st.parameters, p1, st.solutions[idx], 0.6 + 0.8j),
                          reference_norm(p1, st.chart.degree))
    assert len(ade.valid) >= len(idx) - 1 and len(std.valid) >= len(idx) - 1
    for x in ade.valid:
        d = np.linalg.norm(std.valid - x, axis=1).min() if len(std.valid) else np.inf
        assert d <= 1e-6 * (1 + np.linalg.norm(x)) or len(std.valid) < len(idx)


def test_heavy_partitions_use_ade_and_light_ones_the_dense_form():
    heavy = [lam for lam in partitions(8) if uses_ade(default_chart(lam))]
    assert (3, 2, 1, 1, 1) in heavy and (8,) not in heavy and (4, 4) not in heavy


def test_a_solution_near_the_chart_boundary_is_found_in_another_chart():
    # Gaussian d = 8 data (`critlcn data synth --k 3 2 2 2 2 2 2 --samples 60
    # --noise 0.3 --seed 0`): one solution of λ = 4-3-1 has t1 ≈ 132 in the
    # cached chart (its quadruple root near the chart's missed point); its
    # path failed under every gamma, and solves ended 278 or 279 of 280 until
    # the repair tracked lost paths in another chart along the same gamma
    from critlcn.architecture import Architecture
    from critlcn.critical import _finish_partition
    from critlcn.data import quadratic_loss, synth
    from critlcn.endpoints import random_gamma
    from critlcn.scaling import normalise
    from critlcn.systems import parameters

    arch = Architecture((3, 2, 2, 2, 2, 2, 2))
    unit, _ = normalise(quadratic_loss(synth(arch, 60, np.random.default_rng(0), noise=0.3), arch))
    p1 = parameters(unit.Q, unit.b)
    p1 = p1 / np.linalg.norm(p1)
    st = get_start((4, 3, 1))
    rng = np.random.default_rng(1)
    gamma = random_gamma(rng)
    raw = track_parameters(st.chart, st.parameters, p1, st.solutions, gamma, seed=3)
    sol = _finish_partition(st, p1, raw, rng, gamma)
    assert (len(sol.solutions), sol.failed) == (280, 0)
    assert np.abs(sol.solutions[:, 1:]).max() > 100  # the near-boundary one is there, in this chart's coordinates


def test_ade_path_parameters_are_phcpacks_defaults_but_the_newton_iterations():
    # the names are our reading of py2c_ade_manypaths_d_pars' argument order:
    # PHCpack's own defaults, in that order, must give the documented values
    from critlcn import homotopy

    *_, c = homotopy._phcpy()
    defaults = dict(zip(homotopy._ADE_PARAMETER_NAMES, c.py2c_get_default_path_parameters(16)))
    assert (defaults["max_steps"], defaults["max_step"], defaults["newton_iterations"]) == (1000, 0.1, 3)
    tuned = dict(homotopy.ADE_PATH_PARAMETERS)
    assert tuned.pop("newton_iterations") == 4
    assert tuned == {k: v for k, v in defaults.items() if k != "newton_iterations"}


def test_the_ade_server_tracks_with_the_callers_path_parameters(monkeypatch):
    # x*y = 6, x + y = 5 from x*y = 1, x = y: two paths; a tracker allowed
    # two steps cannot reach s = 1, so a server that ignored the caller's
    # parameters would still return the solutions
    from critlcn import homotopy

    args = (["x*y - 6;", "x + y - 5;"], ["x*y - 1;", "x - y;"], [[1.0, 1.0], [-1.0, -1.0]], ["x", "y"])
    ends = homotopy.track(*args, gamma=0.6 + 0.8j, tracker="ade")
    assert sorted(np.round(e.point.real, 8).tolist() for e in ends) == [[2.0, 3.0], [3.0, 2.0]]
    monkeypatch.setattr(homotopy, "ADE_PATH_PARAMETERS", dict(homotopy.ADE_PATH_PARAMETERS, max_steps=2))
    short = homotopy.track(*args, gamma=0.6 + 0.8j, tracker="ade")
    assert not any(np.allclose(e.point, [2, 3]) or np.allclose(e.point, [3, 2]) for e in short)
