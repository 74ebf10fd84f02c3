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


# The opposite mistake, in a badly scaled chart: a genuine solution whose
# Newton corrections never drop below CONVERGED, because evaluating the
# equations at coordinates near 97 (degree up to 13) is noisy. A d = 10 solve
# of realistic data lost it in every repair round (3 whole re-tracks, 15 min).
SCALED = json.loads((Path(__file__).parent / "data" / "badly_scaled_solution_4321.json").read_text())


def _scaled_system(key):
    from critlcn.systems import parameters

    chart = Chart.from_dict(SCALED[key])
    p = parameters(np.array(SCALED["Q"]), np.array(SCALED["b"]))
    return chart, critical_system(chart).assemble(p / np.linalg.norm(p)), p / np.linalg.norm(p)


def test_the_badly_scaled_solution_is_a_nonsingular_solution_in_another_chart():
    from critlcn.systems import change_chart

    chart, _, _ = _scaled_system("chart")
    other, a, _ = _scaled_system("other_chart")
    y = change_chart(_c(SCALED["solution"])[None], chart, other)
    z, step, _ = a.newton(y, iters=10)
    # quadratic convergence to rounding level there: a nonsingular solution
    assert step[0] < 1e-11 and a.backward_error(z)[0] < 1e-14
    assert np.linalg.norm(change_chart(z, other, chart)[0] - _c(SCALED["solution"])) <= 1e-9 * 100


def test_a_solution_at_its_rounding_floor_is_valid_and_certified():
    from critlcn.certify import certify_stratum

    chart, a, p = _scaled_system("chart")
    x = _c(SCALED["solution"])[None]
    _, step, _ = a.newton(x, iters=10)
    assert step[0] > 1e-9  # the stall that made it "failed"
    ends = chart_endpoints(a, x, reference_norm(p, chart.degree))
    assert ends.status == ("valid",)
    assert certify_stratum(chart, np.array(SCALED["Q"]), np.array(SCALED["b"]), ends.points).distinct == 1
