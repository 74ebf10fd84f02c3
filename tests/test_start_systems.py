"""Start systems against the independent reference counts
(../shared/reference/ed_degrees.json, through the ``reference`` fixture),
built from scratch without being told the count, and refused when tampered."""

import os

import numpy as np
import pytest

from critlcn.data import QuadraticLoss
from critlcn.degrees import ed_degree
from critlcn.errors import CritlcnError
from critlcn.landscape import classify_hessian, parameter_hessian, scaling_directions
from critlcn.rrmp import partitions
from critlcn.startsystems import StartSystem, build_start, cache_path, get_start, load_start, partition_key, save_start
from critlcn.systems import critical_system


def _ref(reference, lam):
    return reference["ed_degrees"]["degrees"][str(sum(lam))][partition_key(lam)]


def test_reference_covers_degree_8(reference):
    assert set(reference["ed_degrees"]["degrees"]) >= {str(d) for d in range(1, 9)}


def _min_gap(X):
    from scipy.spatial import cKDTree

    pts = np.hstack([X.real, X.imag])
    return float(cKDTree(pts).query(pts, k=2)[0][:, 1].min()) if len(pts) > 1 else np.inf


#: Degrees whose every partition has a shipped start system (all of d ≤ 10).
COMPLETE_DEGREES = range(1, 11)


@pytest.mark.parametrize("d", range(1, 11))
def test_every_cached_start_system_has_the_reference_count(reference, d):
    """d ≤ 8 against the independent reference; d = 9, 10 (not in it) against
    the exact formula of `critlcn.degrees`, itself checked against the
    reference in test_degrees.py."""
    shipped = [lam for lam in partitions(d) if os.path.exists(cache_path(lam))]
    if d in COMPLETE_DEGREES:
        assert len(shipped) == len(partitions(d)), set(partitions(d)) - set(shipped)
    assert shipped
    for lam in shipped:
        count = _ref(reference, lam) if str(d) in reference["ed_degrees"]["degrees"] else ed_degree(lam)
        start = load_start(lam)  # the shipped cache, checked only for integrity here
        assert start is not None, f"cache file for {lam} at {cache_path(lam)} is not usable"
        assert start.count == count, lam
        # the solutions solve their system and are distinct
        system = critical_system(start.chart).assemble(start.parameters)
        assert float(np.max(system.backward_error(start.solutions))) < 1e-9, lam
        assert _min_gap(start.solutions) > 1e-6, lam


def test_tampered_cache_with_a_fresh_checksum_is_refused(reference, tmp_path):
    lam = (2, 1)
    full = load_start(lam)
    short = StartSystem(full.chart, full.parameters, full.solutions[:-1], full.provenance)
    save_start(short, str(tmp_path))  # a consistent file: checksum recomputed over the shortened content
    assert load_start(lam, str(tmp_path)).count == _ref(reference, lam) - 1
    assert load_start(lam, str(tmp_path), expected=_ref(reference, lam)) is None
    # the solver does not use it: it rebuilds the full start system
    assert get_start(lam, str(tmp_path)).count == _ref(reference, lam)


def test_start_system_built_from_scratch_at_degree_6(reference):
    """Monodromy from one made-up solution reaches the reference count with
    distinct solutions of the system; asked for one more, it saturates at
    the reference count instead of inventing a solution."""
    lam = (5, 1)
    start = build_start(lam, np.random.default_rng(6), blackbox_runs=0)
    assert start.count == _ref(reference, lam) == 22
    system = critical_system(start.chart).assemble(start.parameters)
    assert float(np.max(system.backward_error(start.solutions))) < 1e-9
    X = start.solutions
    assert min(np.linalg.norm(X[i] - X[j]) for i in range(len(X)) for j in range(i)) > 1e-6
    with pytest.raises(CritlcnError, match="found 22 of its 23"):
        build_start(lam, np.random.default_rng(7), blackbox_runs=0, target=23, max_loops=25)


def _withholding(real_track, target: int, withhold):
    """A tracker that never delivers a ``target``-th distinct solution at the
    parameter points where ``withhold(p_from_of_first_call, p_to)`` is true;
    returns it and the first call's start parameters (p0 of the build)."""
    first, seen = [], {}

    def track(chart, p_from, p_to, points, gamma, **kw):
        ends = real_track(chart, p_from, p_to, points, gamma, **kw)
        if not first:
            first.append(p_from)
        if withhold(first[0], p_to):
            mine = seen.setdefault(np.asarray(p_to).tobytes(), [])
            for i, x in enumerate(ends):
                if np.all(np.isfinite(x)) and not any(np.linalg.norm(x - y) < 1e-6 * (1 + np.linalg.norm(x)) for y in mine):
                    if len(mine) >= target - 1:
                        ends[i] = np.nan
                    else:
                        mine.append(x)
        return ends

    return track, first


def test_monodromy_completes_at_the_other_point_when_one_solution_is_always_lost(reference, monkeypatch):
    """d = 9, λ = 6-2-1 stalled at 259 of 260 at p0 (one solution lost on
    every edge) while p1 had all 260. A tracker that always loses the last
    solution at p0 must still give a complete start system, at p1."""
    import critlcn.startsystems as ss

    lam, target = (2, 1), _ref(reference, (2, 1))
    lossy, first = _withholding(ss.track_parameters, target, lambda p0, p_to: np.allclose(p_to, p0))
    monkeypatch.setattr(ss, "track_parameters", lossy)
    start = build_start(lam, np.random.default_rng(3), blackbox_runs=0)
    assert start.count == target
    assert not np.allclose(start.parameters, first[0])  # the other point
    system = critical_system(start.chart).assemble(start.parameters)
    assert float(np.max(system.backward_error(start.solutions))) < 1e-9


def test_a_stalled_monodromy_is_completed_by_a_blackbox_solve(reference, monkeypatch):
    """d = 10, λ = 7-2-1 stalled at 307 of 308 at both points with every
    chart and seed: one solution lies where no loop from the seed leads. A
    tracker that never lets the last solution arrive at either point must
    still give a complete start system (a blackbox solve adds it), not an
    error after every allowed edge."""
    import critlcn.startsystems as ss

    lam, target = (2, 1), _ref(reference, (2, 1))
    lossy, _ = _withholding(ss.track_parameters, target, lambda p0, p_to: True)
    monkeypatch.setattr(ss, "track_parameters", lossy)
    start = build_start(lam, np.random.default_rng(3), blackbox_runs=0, max_loops=60)
    assert start.count == target
    assert "a blackbox solve added" in dict(start.provenance)["method"]
    assert dict(start.provenance)["edges"] < 60  # stopped at the stall, not at the limit
    system = critical_system(start.chart).assemble(start.parameters)
    assert float(np.max(system.backward_error(start.solutions))) < 1e-9
    X = start.solutions
    assert min(np.linalg.norm(X[i] - X[j]) for i in range(len(X)) for j in range(i)) > 1e-6


def test_degenerate_hessian_is_classified_degenerate():
    """At w = 0 with three layers the loss is cubic in the parameters (w is a
    product of three filters), so every second derivative vanishes and the
    second-order test says nothing: the point is degenerate, whatever the data."""
    rng = np.random.default_rng(3)
    M = rng.normal(size=(4, 4))
    loss = QuadraticLoss(M @ M.T + np.eye(4), rng.normal(size=4), 2.0)
    zero = [np.zeros(2), np.zeros(2), np.zeros(2)]
    H = parameter_hessian(loss, zero)
    # independent: central differences of L = ℓ(w1 * w2 * w3) at 0
    def L(theta):
        w = np.convolve(np.convolve(theta[0:2], theta[2:4]), theta[4:6])
        return loss.value(w)
    h, n = 1e-3, 6
    fd = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            fd[i, j] = (L(e_i + e_j) - L(e_i - e_j) - L(-e_i + e_j) + L(-e_i - e_j)) / (4 * h * h)
    assert np.allclose(fd, 0, atol=1e-4) and np.allclose(H, fd, atol=1e-4)
    kind, negatives, _ = classify_hessian(H, scaling_directions(zero))
    assert (kind, negatives) == ("degenerate", 0)
    # and one zero eigenvalue among positive ones is degenerate too
    kind, negatives, _ = classify_hessian(np.diag([2.0, 1.0, 0.0]), np.zeros((3, 0)))
    assert (kind, negatives) == ("degenerate", 0)
