"""Tests of critlcn.homotopy (the phcpy wrapper) and of the parameter
homotopy against PHCpack's blackbox solver."""

import subprocess
import sys

import numpy as np
import pytest

from critlcn import homotopy
from critlcn.architecture import Architecture
from critlcn.critical import get_start, solve_blackbox, solve_partition
from critlcn.data import quadratic_loss, synth
from critlcn.errors import CritlcnError
from critlcn.rrmp import partitions
from critlcn.systems import parameters


def test_phcpy_output_never_reaches_stdout():
    code = (
        "from critlcn import homotopy\n"
        "homotopy.phcpy_version()\n"
        "homotopy.blackbox(['x^2 - 4;'], ['x'])\n"
        "homotopy.track(['x^2 - 9;'], ['x^2 - 1;'], [[1.0]], ['x'], gamma=1j)\n"
        "print('only this')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "only this\n"


def test_phcpy_is_imported_only_when_solving():
    code = (
        "import sys, critlcn.critical, critlcn.systems, critlcn.data, critlcn._cli_solve\n"
        "print(any(m.startswith('phcpy') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_only_homotopy_imports_phcpy():
    import pathlib
    import re

    pattern = re.compile(r"^\s*(import phcpy|from phcpy[ .])", re.M)
    root = pathlib.Path(homotopy.__file__).parent
    users = sorted(p.name for p in root.glob("*.py") if pattern.search(p.read_text()))
    assert users == ["homotopy.py"]


def test_double_double_tracking_agrees_with_double():
    gamma = 0.6 + 0.8j
    a = homotopy.track(["x^3 - 8;"], ["x^3 - 1;"], [[1.0], [-0.5 + 0.8660254037844386j]], ["x"], gamma)
    b = homotopy.track(["x^3 - 8;"], ["x^3 - 1;"], [[1.0], [-0.5 + 0.8660254037844386j]], ["x"], gamma, precision="dd")
    assert np.allclose([e.point for e in a], [e.point for e in b])
    with pytest.raises(CritlcnError):
        homotopy.track(["x - 1;"], ["x;"], [[0.0]], ["x"], gamma, precision="qd")


def _w_set(sol_chart, X):
    return np.array(sorted((sol_chart.form(x) for x in X), key=lambda w: tuple(np.round(w.real, 6))))


@pytest.mark.parametrize("lam", [lam for d in range(2, 6) for lam in partitions(d)], ids=str)
def test_parameter_homotopy_equals_blackbox(lam):
    d = sum(lam)
    rng = np.random.default_rng(500 + 7 * d + len(lam))
    arch = Architecture((d + 1,))
    ds = synth(arch, 30, rng, noise=0.5)
    loss = quadratic_loss(ds, arch)
    p = parameters(loss.Q, loss.b)
    p = p / np.linalg.norm(p)
    start = get_start(lam)
    ours = solve_partition(start, p, rng)
    theirs = solve_blackbox(start.chart, p, seed=d)
    assert len(ours.solutions) == theirs.count("valid") == start.count
    a = np.array([start.chart.form(x) for x in ours.solutions])
    b = np.array([start.chart.form(x) for x in theirs.valid])
    # same points: every blackbox point has a partner among ours
    for w in b:
        assert np.min(np.linalg.norm(a - w, axis=1)) <= 1e-8 * (1 + np.linalg.norm(w))


def test_solution_strings_are_read_as_phcpys_own_parser_reads_them(monkeypatch):
    # blackbox solutions, and ends of paths stopped half way (t < 1) by a
    # tracker allowed two steps, each compared with phcpy.solutions.strsol2dict
    _, _, so, _ = homotopy._phcpy()
    sv = homotopy._phcpy()[0]
    with homotopy.silenced():
        texts = list(sv.solve(["x^2 - 4*y;", "y^3 - 2 + x*y;"], verbose=True))
    monkeypatch.setattr(homotopy, "ADE_PATH_PARAMETERS", dict(homotopy.ADE_PATH_PARAMETERS, max_steps=2))
    monkeypatch.setattr(homotopy, "_parse", lambda sols, names: sols)  # keep the strings of this track
    texts += homotopy.track(["x*y - 6;", "x + y - 5;"], ["x*y - 1;", "x - y;"], [[1.0, 1.0], [-1.0, -1.0]],
                            ["x", "y"], gamma=0.6 + 0.8j, tracker="ade")
    monkeypatch.undo()
    assert len(texts) == 8
    stopped = 0
    for text in texts:
        ref = so.strsol2dict(text)
        end = homotopy._parse([text], ["y", "x"])[0]
        assert np.array_equal(end.point, [ref["y"], ref["x"]])
        assert (end.err, end.rco, end.res, end.t) == (ref["err"], ref["rco"], ref["res"], abs(ref["t"]))
        stopped += end.t < 1
    assert stopped == 2
