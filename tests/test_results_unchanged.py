"""Issue 11 changed the charts, the form PHCpack tracks, the tracker and the
monodromy, and none of that may change a result: the real critical points
found at d ≤ 8 on realistic data must be those the code before issue 11
found. tests/data/issue10_real_points_ar.json was written by that code
(commit 3b41f99, script in the file's "how" field), not by the code under
test."""

import json
import os

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.critical import solve
from critlcn.data import ar_windows, quadratic_loss

with open(os.path.join(os.path.dirname(__file__), "data", "issue10_real_points_ar.json")) as fh:
    BEFORE = json.load(fh)


@pytest.mark.parametrize("d", sorted(int(d) for d in BEFORE["results"]))
def test_real_critical_points_are_those_found_before_issue_11(d):
    before = BEFORE["results"][str(d)]
    arch = Architecture((3,) + (2,) * (d - 2))
    loss = quadratic_loss(ar_windows(arch, 60 + 30 * d, np.random.default_rng(d)), arch)
    res = solve(arch, loss, all_strata=True, seed=0, jobs=2)
    assert [[list(s.partition), s.valid, s.expected] for s in res.strata] == before["strata"]
    assert len(res.points) == len(before["points"])
    new = np.array([p.filter for p in res.points])
    for lam, rrmp, w, value in before["points"]:
        w = np.array(w)
        k = int(np.argmin(np.linalg.norm(new - w, axis=1)))
        p = res.points[k]
        assert np.linalg.norm(new[k] - w) <= 1e-6 * np.linalg.norm(w)
        assert (list(p.partition), str(p.rrmp)) == (lam, rrmp)
        assert abs(p.loss - value) <= 1e-8 * max(1.0, abs(value))
