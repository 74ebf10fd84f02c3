"""Regression for the 307/306 defect (a d = 8 solve on realistic data counted
one valid solution more than the exact count): an end point that Newton has
not brought onto a solution was accepted because its *backward* error was
small. Near an ill-conditioned solution (Jacobian condition ~1e10, common on
real data) a small residual says little about the distance to the solution.
The data are stored, so the test does not depend on the start-system cache."""

import json
from pathlib import Path

import numpy as np

from critlcn.startsystems import chart_endpoints, reference_norm
from critlcn.systems import Chart, critical_system

DATA = json.loads((Path(__file__).parent / "data" / "unconverged_endpoint_4211.json").read_text())


def _c(v):
    return np.array([complex(a, b) for a, b in v])


def _system():
    chart = Chart.from_dict(DATA["chart"])
    return critical_system(chart).assemble(_c(DATA["parameters"])), chart


def test_the_stored_solution_is_a_solution_and_the_end_point_is_near_it():
    a, _ = _system()
    x, y = _c(DATA["solution"]), _c(DATA["endpoint"])
    assert a.backward_error(x[None])[0] < 1e-13
    # Newton from the end point with enough steps lands on the stored solution:
    # there is one solution here, not two
    z, _, _ = a.newton(y[None], iters=40)
    assert np.linalg.norm(z[0] - x) <= 1e-9 * (1 + np.linalg.norm(x))


def test_an_unconverged_end_point_is_not_a_second_valid_solution():
    a, chart = _system()
    x, y = _c(DATA["solution"]), _c(DATA["endpoint"])
    ends = chart_endpoints(a, np.vstack([x, y]), reference_norm(_c(DATA["parameters"]), chart.degree))
    assert ends.count("valid") == 1
    assert ends.status[0] == "valid"
    # alone, it is either refined onto the solution or not accepted
    alone = chart_endpoints(a, y[None], reference_norm(_c(DATA["parameters"]), chart.degree))
    if alone.status[0] == "valid":
        assert np.linalg.norm(alone.points[0] - x) <= 1e-9 * (1 + np.linalg.norm(x))
