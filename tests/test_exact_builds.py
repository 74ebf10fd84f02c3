"""Start systems are built to the exact count of critlcn.degrees, never past
it, and a solve that must build says so first."""

import numpy as np
import pytest

import critlcn.startsystems as ss
from critlcn.architecture import Architecture
from critlcn.critical import solve
from critlcn.data import QuadraticLoss
from critlcn.endpoints import Endpoints
from critlcn.errors import CritlcnError
from critlcn.systems import random_chart


@pytest.mark.parametrize("lam", [(3,), (2, 2), (3, 1, 1)])
def test_a_build_from_scratch_stops_at_the_reference_count(lam, reference):
    rng = np.random.default_rng(5)
    start = ss.build_start(lam, rng, chart=random_chart(lam, rng), blackbox_runs=0)
    expected = reference["ed_degrees"]["degrees"][str(sum(lam))]["-".join(map(str, lam))]
    prov = dict(start.provenance)
    assert start.count == prov["count"] == prov["target"] == expected
    # the solutions are distinct solutions of the system at the start data
    a = ss.critical_system(start.chart).assemble(start.parameters)
    assert np.max(a.backward_error(start.solutions)) < 1e-9
    dist = np.linalg.norm(start.solutions[:, None] - start.solutions[None], axis=2) + np.eye(start.count)
    assert dist.min() > 1e-6


def test_a_build_that_finds_more_than_the_count_fails_loudly(monkeypatch):
    real = ss.chart_endpoints

    def leaky(assembled, points, ref, known=None):
        ends = real(assembled, points, ref, known=known)
        if ends.valid.size == 0:
            return ends
        # a classification bug: every new point also comes back slightly moved
        fake = ends.valid + 1e-3
        pts = np.concatenate([ends.points, fake])
        return Endpoints(pts, ends.status + tuple(ends.status[i] for i in range(len(ends.status))
                                                  if ends.status[i] == "valid"),
                         np.concatenate([ends.condition, ends.condition[[s == "valid" for s in ends.status]]]))

    monkeypatch.setattr(ss, "chart_endpoints", leaky)
    rng = np.random.default_rng(1)
    with pytest.raises(CritlcnError, match="more than the exact count"):
        ss.build_start((2,), rng, chart=random_chart((2,), rng), blackbox_runs=1)


def test_a_solve_that_must_build_says_so_first(tmp_path):
    rng = np.random.default_rng(0)
    M = rng.normal(size=(3, 3))
    loss = QuadraticLoss(M @ M.T + np.eye(3), rng.normal(size=3), 1.0)
    lines = []
    res = solve(Architecture((2, 2)), loss, cache=str(tmp_path), notify=lines.append)
    assert len(lines) == 1
    assert "2: 4" in lines[0] and "1-1: 1" in lines[0] and "critlcn systems build --max-degree 2" in lines[0]
    assert [(s.valid, s.expected) for s in res.strata] == [(4, 4), (1, 1)]
    lines.clear()
    solve(Architecture((2, 2)), loss, cache=str(tmp_path), notify=lines.append)
    assert lines == []  # cached now: nothing to say
