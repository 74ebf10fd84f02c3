"""Tests of interval certification (critlcn.certify).

Independent facts used: systems built with exact rational solutions (sympy,
exact arithmetic), a univariate system with a known double root, the
reference ED degrees, and the numerical classification of real solutions.
"""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from critlcn.certify import CertModel, MonomialModel, StratumModel, certify, certify_stratum, chart_conjugation
from critlcn.critical import get_start, solve_partition
from critlcn.data import quadratic_loss, synth
from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.rrmp import partitions
from critlcn.systems import Chart, default_chart, groups, parameters


def _monic_chart(lam):
    return Chart(lam, tuple(np.eye(n + 1) for _, n in groups(lam)))


def _exact_u(lam, ts, y):
    """u(y) = Π_m (1 + t_1 y + … + t_n y^n)^m in the monic chart (sympy)."""
    u, pos = sp.Integer(1), 0
    for m, n in groups(lam):
        f = 1 + sum(ts[pos + j] * y ** (j + 1) for j in range(n))
        u *= f**m
        pos += n
    return sp.Poly(sp.expand(u), y)


def _exact_system(lam, x0, Q, null_mix=1):
    """Exact data ``b`` (rational, real) for which ``x0 = (c, t)`` (rational,
    possibly complex) solves the stratum system with the monic chart.

    The equations are ``Uᵀ (c Q u − b) = 0``, ``U = (u, ∂u/∂t)``; ``b`` is
    solved for in exact arithmetic (a complex ``x0`` gives twice as many real
    equations)."""
    d = sum(lam)
    y = sp.Symbol("y")
    ts = sp.symbols(f"t1:{len(lam) + 1}")
    upoly = _exact_u(lam, ts, y)
    sub = dict(zip(ts, x0[1:]))

    def coeffs(expr):
        p = sp.Poly(sp.expand(expr), y)
        out = [sp.Integer(0)] * (d + 1)
        for (k,), v in p.terms():
            out[k] = v
        return out

    cols = [coeffs(upoly.as_expr().subs(sub))] + [coeffs(sp.diff(upoly.as_expr(), t).subs(sub)) for t in ts]
    U = sp.Matrix(cols).T
    Qs = sp.Matrix(Q)
    u = U[:, 0]
    rhs = U.T * (x0[0] * Qs * u)
    bs = sp.symbols(f"b0:{d + 1}", real=True)
    eqs = U.T * sp.Matrix(bs) - rhs
    parts = []
    for e in eqs:
        e = sp.expand(e)
        parts += [sp.re(e), sp.im(e)]
    sol = sp.solve([p for p in parts if p != 0], bs, dict=True)
    assert sol, "no real data for this point"
    sol = sol[0]
    free = [b for b in bs if b not in sol]
    vals = {b: sp.Integer(null_mix + i) for i, b in enumerate(free)}
    return [sp.nsimplify(sol.get(b, b).subs(vals)) for b in bs]


def _frac(v):
    return Fraction(int(sp.numer(v)), int(sp.denom(v)))


def _inside(exact, bounds):
    """Is the exact rational complex point inside the (lo_re, hi_re, lo_im, hi_im) rows?"""
    ok = True
    for z, (lr, hr, li, hi) in zip(exact, bounds):
        re, im = sp.re(z), sp.im(z)
        ok &= Fraction(lr) <= _frac(re) <= Fraction(hr)
        ok &= Fraction(li) <= _frac(im) <= Fraction(hi)
    return ok


Q_RAT = [[3, 1, 0, 1], [1, 4, 1, 0], [0, 1, 5, 2], [1, 0, 2, 6]]


def _to_complex(x):
    return np.array([complex(sp.N(v, 30)) for v in x])


def test_an_exact_rational_solution_is_certified_real_and_its_box_contains_it():
    lam = (2, 1)
    x0 = [sp.Rational(2, 3), sp.Rational(-1, 3), sp.Rational(5, 7)]
    b = _exact_system(lam, x0, Q_RAT)
    Q = [[Fraction(v) for v in row] for row in Q_RAT]
    res = certify_stratum(_monic_chart(lam), Q, [_frac(v) for v in b], [_to_complex(x0)])
    cert = res.certificates[0]
    assert cert.certified and cert.valid and cert.real is True
    assert _inside(x0, cert.bounds)
    assert (res.distinct, res.distinct_real) == (1, 1)


def test_an_exact_non_real_solution_is_certified_non_real_and_its_conjugate_distinct():
    lam = (3,)
    x0 = [sp.Rational(1, 2) + sp.I / 3, sp.Rational(1, 4) - sp.I * sp.Rational(3, 5)]
    b = _exact_system(lam, x0, Q_RAT)
    assert all(sp.im(v) == 0 for v in b)
    Q = [[Fraction(v) for v in row] for row in Q_RAT]
    # real data: the conjugate point solves the system too (monic chart is real)
    conj = [sp.conjugate(v) for v in x0]
    res = certify_stratum(_monic_chart(lam), Q, [_frac(v) for v in b], [_to_complex(x0), _to_complex(conj)])
    assert [c.certified for c in res.certificates] == [True, True]
    assert [c.real for c in res.certificates] == [False, False]
    assert _inside(x0, res.certificates[0].bounds) and _inside(conj, res.certificates[1].bounds)
    assert (res.distinct, res.distinct_real, res.distinct_nonreal) == (2, 0, 2)


def _simple_case():
    lam = (2, 1)
    x0 = [sp.Rational(2, 3), sp.Rational(-1, 3), sp.Rational(5, 7)]
    b = _exact_system(lam, x0, Q_RAT)
    return _monic_chart(lam), np.array(Q_RAT, dtype=float), np.array([float(v) for v in b]), _to_complex(x0)


def test_a_perturbed_point_is_not_certified():
    chart, Q, b, x = _simple_case()
    res = certify_stratum(chart, Q, b, [x + 1e-3, x + np.array([0.0, 1.0, 0.0]), x])
    assert [c.certified for c in res.certificates] == [False, False, True]
    assert res.distinct == 1
    assert all("not a solution" in c.reason for c in res.certificates[:2])


def test_two_copies_of_one_solution_are_counted_once():
    chart, Q, b, x = _simple_case()
    copies = [x, x * (1 + 1e-13), x + 1e-14j, x]
    res = certify_stratum(chart, Q, b, copies)
    assert res.certified == 4
    assert res.distinct == 1
    assert [c.duplicate for c in res.certificates] == [None, 0, 0, 0]


def test_colliding_roots_are_certified_but_not_valid():
    # λ = (1, 1), w = c (x² + t1 xy + t2 y²) covers every quadratic with x² term:
    # data whose minimiser is (x + y)² puts a non-singular solution at t1² = 4 t2
    chart = _monic_chart((1, 1))
    Q = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    w = np.array([1.0, 2.0, 1.0])
    res = certify_stratum(chart, Q, Q @ w, [[1.0, 2.0, 1.0]])
    cert = res.certificates[0]
    assert cert.certified and not cert.valid
    assert res.distinct == 0
    # the same data with a minimiser of distinct roots: valid
    w2 = np.array([1.0, 3.0, 2.0])                  # (x + y)(x + 2y)
    assert certify_stratum(chart, Q, Q @ w2, [[1.0, 3.0, 2.0]]).distinct == 1


class _Curve(CertModel):
    """w(v) = (v, v²) with G = ∂w: the gradient of ℓ(w(v)) (parameter-space shape)."""

    unknowns, size = 1, 2

    def jet(self, x):
        from flint import acb_mat

        v = x[0]
        return (acb_mat([[v], [v * v]]), acb_mat([[1], [2 * v]]), acb_mat([[1], [2 * v]]),
                acb_mat([[0, 2]]))


def test_a_singular_solution_is_not_certified_and_a_simple_one_is():
    # Q = I, b = (−4, 7/2): dℓ/dv ∝ 4v³ − 12v + 8 = 4 (v − 1)² (v + 2)
    res = certify(_Curve(), np.eye(2), [-4.0, 3.5], [[1.0], [-2.0]])
    assert [c.certified for c in res.certificates] == [False, True]
    assert res.certificates[1].bounds[0, 0] < -2 < res.certificates[1].bounds[0, 1]
    assert res.distinct == 1


def test_bad_input_is_one_error():
    chart, Q, b, x = _simple_case()
    with pytest.raises(CritlcnError, match="Q must be 4x4"):
        certify_stratum(chart, Q[:3, :3], b[:3], [x])
    with pytest.raises(CritlcnError, match="3 coordinates"):
        certify_stratum(chart, Q, b, [x[:2]])


@pytest.mark.parametrize("lam", [(4,), (3, 1), (2, 2), (2, 1, 1), (4, 1), (3, 2), (2, 2, 1)], ids=str)
def test_certified_count_on_real_data_equals_the_reference(lam, reference):
    d = sum(lam)
    expected = reference["ed_degrees"]["degrees"][str(d)]["-".join(map(str, lam))]
    rng = np.random.default_rng(40 + d + len(lam))
    arch = Architecture((d + 1,))
    ds = synth(arch, 30, rng, noise=0.5)
    loss = quadratic_loss(ds, arch)
    sol = solve_partition(get_start(lam), parameters(loss.Q, loss.b), rng)
    res = certify_stratum(sol.chart, loss.Q, loss.b, sol.solutions)
    assert res.distinct == expected
    # realness: certified real exactly where the filter is numerically real
    # (a certified non-real filter has a clearly non-zero imaginary part)
    for x, cert in zip(sol.solutions, res.certificates):
        w = sol.chart.form(x)
        numerically_real = bool(np.linalg.norm(w.imag) <= 1e-8 * np.linalg.norm(w))
        assert cert.real is numerically_real


@pytest.mark.parametrize("d", [4, 5])
def test_every_start_solution_is_certified_at_generic_complex_data(d, reference):
    for lam in partitions(d):
        st = get_start(lam)
        L = d + 1
        iu, ju = np.triu_indices(L)
        p = st.parameters
        Q = np.zeros((L, L), complex)
        Q[iu, ju] = p[: iu.size]
        Q[ju, iu] = p[: iu.size]
        res = certify_stratum(st.chart, Q, p[iu.size:], st.solutions)
        assert res.distinct == reference["ed_degrees"]["degrees"][str(d)]["-".join(map(str, lam))]
        # complex data: realness is not decided
        assert all(c.real is None for c in res.certificates)


def test_default_chart_conjugation_maps_a_real_point_to_itself():
    # build a real filter on λ = (2, 1), express it in the complex chart, and
    # check the chart conjugation gives back the same coordinates
    from flint import acb

    chart = default_chart((2, 1))
    model = StratumModel(chart)
    a2, a1 = np.array([1.0, 0.7]), np.array([1.0, -1.3])   # real f_2, f_1
    x = [None]
    c = 2.0
    for (m, n), A, a in zip(chart.groups, chart.matrices, (a2, a1)):
        v = np.linalg.solve(A, a)
        x.extend(v[1:] / v[0])
        c *= v[0] ** m                      # A(1, t) = a / v0
    x[0] = c
    x = np.array(x, dtype=complex)
    assert np.allclose(chart.form(x), 2.0 * np.convolve(np.convolve(a2, a2), a1))
    img = model.conjugate([acb(z.real, z.imag) for z in x])
    assert np.allclose([complex(v.mid()) for v in img], x, atol=1e-12)


def _two_layer_model(A, hand_written=True):
    """w = w_1 * w_2 (convolution), w_1 = (x0, x1) free, w_2 = A (1, t): the
    parameter-space system of k = (2, 2) written out by hand."""
    ex, co = [], []
    for j in range(2):           # w_1[j] · A[:, 0] and w_1[j] · t · A[:, 1], shifted by j
        for q in range(2):
            e = [0, 0, 0]
            e[j] = 1
            e[2] = q
            c = np.zeros(3, complex)
            c[j:j + 2] = A[:, q]
            ex.append(e)
            co.append(c)

    def conjugate(model, x):
        from flint import acb, acb_mat

        Ab = acb_mat([[acb(z.real, z.imag) for z in row] for row in A])
        w2 = (Ab * acb_mat([[acb(1)], [x[2]]])).entries()
        v = (Ab.inv() * acb_mat([[e.conjugate()] for e in w2])).entries()  # exact inverse, not A^H
        return [x[0].conjugate() * v[0], x[1].conjugate() * v[0], v[1] / v[0]]

    return MonomialModel(ex, co, conjugate=conjugate if hand_written else chart_conjugation(2, [A]))


def test_parameter_space_points_lifted_from_strata_are_certified_and_number_the_segre_count():
    # k = (2, 2): every critical class is a stratum point lifted through an
    # assignment of its roots (MATH.md §4, §10): λ = (2) once, λ = (1, 1) twice;
    # the total is gED(P^1 × P^1) = 6
    rng = np.random.default_rng(7)
    M = rng.normal(size=(3, 3))
    Q, b = M @ M.T + np.eye(3), rng.normal(size=3)
    A = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))[0]
    points, real = [], []
    for lam in [(2,), (1, 1)]:
        sol = solve_partition(get_start(lam), parameters(Q, b), rng)
        for x in sol.solutions:
            w = sol.chart.form(x)
            if lam == (2,):
                f = sol.chart.factors(x)[0][1]
                pairs = [(f, x[0] * f)]
            else:
                r1, r2 = np.roots(w[::-1])
                pairs = [(np.array([-r1, 1]), w[2] * np.array([-r2, 1])), (np.array([-r2, 1]), w[2] * np.array([-r1, 1]))]
            for w2, w1 in pairs:
                v = np.linalg.solve(A, w2)
                points.append([w1[0] * v[0], w1[1] * v[0], v[1] / v[0]])
                real.append(bool(np.linalg.norm(w.imag) <= 1e-8 * np.linalg.norm(w)))
    assert any(real) and not all(real)
    for hand_written in (True, False):  # the library's chart conjugation agrees with the one written out here
        res = certify(_two_layer_model(A, hand_written), Q, b, points + points[:1])
        assert res.certified == 7 and res.distinct == 6
        assert res.certificates[6].duplicate == 0
        assert [c.real for c in res.certificates[:6]] == real


@pytest.mark.parametrize("lam", [(3,), (2, 1), (2, 2, 1), (3, 2, 1), (2, 1, 1, 1)], ids=str)
def test_stratum_model_equations_match_the_solver_system(lam):
    # the product-rule jets against the solver's monomial tensors (systems.py)
    from critlcn.certify import _column, _matrix, _mid, _system
    from critlcn.systems import critical_system, random_parameters
    from flint import acb

    d = sum(lam)
    rng = np.random.default_rng(len(lam) + d)
    chart = default_chart(lam)
    p = random_parameters(d, rng)
    L = d + 1
    iu, ju = np.triu_indices(L)
    Q = np.zeros((L, L), complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    a = critical_system(chart).assemble(p)
    x = rng.normal(size=chart.unknowns) + 1j * rng.normal(size=chart.unknowns)
    F, J = _system(StratumModel(chart), _matrix(Q), _column([acb(z.real, z.imag) for z in p[iu.size:]]),
                   [acb(z.real, z.imag) for z in x])
    n = chart.unknowns
    assert np.allclose(_mid(F.entries()), a.evaluate(x[None])[0], rtol=1e-10, atol=1e-10)
    assert np.allclose(_mid(J.entries()).reshape(n, n), a.jacobian(x[None])[0], rtol=1e-10, atol=1e-10)


def test_monomial_model_jacobian_matches_finite_differences():
    from critlcn.certify import _column, _matrix, _mid, _system
    from flint import acb

    rng = np.random.default_rng(3)
    A = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))[0]
    model = _two_layer_model(A)
    Q, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    Q = Q + Q.T

    def F(x):
        return _mid(_system(model, _matrix(Q), _column([acb(v) for v in b]), [acb(z.real, z.imag) for z in x])[0].entries())

    x = rng.normal(size=3) + 1j * rng.normal(size=3)
    _, J = _system(model, _matrix(Q), _column([acb(v) for v in b]), [acb(z.real, z.imag) for z in x])
    h = 1e-6
    fd = np.column_stack([(F(x + h * e) - F(x - h * e)) / (2 * h) for e in np.eye(3)])
    assert np.allclose(_mid(J.entries()).reshape(3, 3), fd, rtol=1e-6, atol=1e-6)
    # and F is the gradient of ℓ(w(x)) / 2 (holomorphic: d/dx of the polynomial loss)
    def loss(x):
        w = np.convolve(x[:2], A @ np.array([1, x[2]]))
        return w @ Q @ w - 2 * b @ w
    g = np.array([(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(3)]) / 2
    assert np.allclose(F(x), g, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("lam", [(2, 1), (2, 1, 1)], ids=str)
def test_blackbox_spurious_end_points_are_certified_invalid(lam, reference):
    # PHCpack's blackbox finds the spurious solutions too (colliding roots,
    # sorted out numerically by root separation); certification must agree
    from critlcn.critical import solve_blackbox
    from critlcn.systems import random_parameters

    d = sum(lam)
    p = random_parameters(d, np.random.default_rng(1))
    chart = default_chart(lam)
    ends = solve_blackbox(chart, p)
    assert ends.count("spurious") > 0
    L = d + 1
    iu, ju = np.triu_indices(L)
    Q = np.zeros((L, L), complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    res = certify_stratum(chart, Q, p[iu.size:], ends.points)
    for status, cert in zip(ends.status, res.certificates):
        if status == "spurious":
            assert not cert.valid
        if status == "valid":
            assert cert.certified and cert.valid
    assert res.distinct == reference["ed_degrees"]["degrees"][str(d)]["-".join(map(str, lam))]


def test_a_real_point_real_only_to_rounding_is_certified_real():
    # regression: with A^H standing in for the inverse of the (float, so only
    # nearly unitary) chart matrices, the conjugation map was off by ~1e-16
    # and, at 128 bits, this real solution was "certified" non-real
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / "data" / "certify_near_real_point.json").read_text())
    chart = Chart.from_dict(data["chart"])
    x = np.array([complex(*z) for z in data["point"]])
    w = chart.form(x)
    assert 0 < np.linalg.norm(w.imag) / np.linalg.norm(w) < 1e-11
    res = certify_stratum(chart, np.array(data["Q"]), np.array(data["b"]), [x])
    cert = res.certificates[0]
    assert cert.certified and cert.valid and cert.real is True


def test_the_307th_solution_is_not_certified_as_a_second_one():
    # the 307/306 defect's stored end point (tests/data/unconverged_endpoint_4211.json):
    # Newton left it 5e-6 from an ill-conditioned solution; certification
    # counts one solution, whatever it makes of the end point
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / "data" / "unconverged_endpoint_4211.json").read_text())
    chart = Chart.from_dict(data["chart"])
    c = lambda v: np.array([complex(a, b) for a, b in v])  # noqa: E731
    p = c(data["parameters"])
    L = chart.degree + 1
    iu, ju = np.triu_indices(L)
    Q = np.zeros((L, L), complex)
    Q[iu, ju] = p[: iu.size]
    Q[ju, iu] = p[: iu.size]
    res = certify_stratum(chart, Q, p[iu.size:], [c(data["solution"]), c(data["endpoint"])])
    assert res.certificates[0].certified and res.certificates[0].valid
    assert res.distinct == 1
    assert not res.certificates[1].certified or res.certificates[1].duplicate == 0


def test_solve_reports_certified_counts_equal_to_the_reference_and_certified_real_points(reference):
    from critlcn.critical import solve

    arch = Architecture((3, 2, 2, 2))
    rng = np.random.default_rng(11)
    ds = synth(arch, 40, rng, noise=0.3)
    res = solve(arch, quadratic_loss(ds, arch), ds, all_strata=True, seed=2)
    ref = reference["ed_degrees"]["degrees"]["5"]
    assert [s.certified for s in res.strata] == [ref["-".join(map(str, s.partition))] for s in res.strata]
    assert res.certification["every_count_proved"] is True
    assert res.points and all(p.certified_real is True for p in res.points)
    assert f"certified: {sum(ref.values())} of {sum(ref.values())} solutions on {len(ref)} of {len(ref)} strata; " \
           "every count proved" in str(res)


def test_a_badly_scaled_genuine_solution_is_certified():
    """Regression: a 5-3 solution on AR data with c = 5e-11 beside roots of
    size 30 was refused as 'singular Jacobian' (raw condition > 1e15), so a
    d = 8 real-data solve proved 3855 of 3856. Newton from a nearby point
    returns to it (a genuine, non-singular solution), and it is certified."""
    import json
    from pathlib import Path

    from critlcn.certify import certify_stratum
    from critlcn.systems import Chart, critical_system, parameters

    data = json.loads((Path(__file__).parent / "data" / "certify_badly_scaled_53.json").read_text())
    chart = Chart.from_dict(data["chart"])
    Q, b = np.array(data["Q"]), np.array(data["b"])
    x = np.array([complex(re, im) for re, im in data["solution"]])
    assembled = critical_system(chart).assemble(parameters(Q, b))
    z, _, _ = assembled.newton((x * (1 + 1e-7))[None], iters=30)
    assert np.allclose(z[0], x, rtol=1e-10, atol=1e-20)
    res = certify_stratum(chart, Q, b, [x])
    assert res.certified == 1 and res.distinct == 1 and res.certificates[0].valid


def test_validity_undecided_at_53_bits_is_decided_with_more_precision():
    # two genuine 2-1-1-1-1-1-1 solutions on AR data (stored): at 53 bits the
    # tight box (radius ~3e-7) could not keep the sextic factor's
    # discriminant from 0, and the solve proved 20 of 22
    import json
    import os

    from critlcn.systems import complex_from_json, mobius_chart

    with open(os.path.join(os.path.dirname(__file__), "data", "certify_sextic_validity.json")) as fh:
        data = json.load(fh)
    chart = mobius_chart(tuple(data["partition"]), complex_from_json(data["mobius"]))
    res = certify_stratum(chart, np.array(data["Q"]), np.array(data["b"]), complex_from_json(data["points"]))
    assert res.distinct == 2
    assert all(c.certified and c.valid for c in res.certificates)
