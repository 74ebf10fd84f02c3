"""Failure reporting: a path that fails under every gamma and two paths that
always end at one point make the solve incomplete, and the command line says
so (stderr warning, exit status 3) while its output still parses.

The path tracker is replaced by one that tracks honestly and then sabotages
one chosen start solution, whatever gamma is used."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import critlcn.critical as critical
from critlcn.architecture import Architecture
from critlcn.cli import main
from critlcn.data import default_dataset, quadratic_loss
from critlcn.errors import EXIT_INCOMPLETE
from critlcn.results import SolveResult, StratumStats
from critlcn.systems import change_chart

LAM = (2, 1, 1)  # a partition of the default example k = (3, 2, 2), 10 solutions
ARCH = Architecture((3, 2, 2))


def _sabotage(monkeypatch, how):
    """Paths that end at one chosen solution of ``LAM`` are diverted (to
    infinity, or onto another solution): which start reaches which end
    depends on gamma, and the solver also tracks in other charts, so the
    sabotage is keyed on the end point's filter, and the solution is lost
    under every gamma and in every chart."""
    honest = critical.track_parameters
    marks = {}

    def track(chart, p_from, p_to, points, gamma, seed=0):
        ends = honest(chart, p_from, p_to, points, gamma, seed=seed)
        if chart.partition != LAM:
            return ends
        if not marks:  # the first honest run: every path of LAM reaches its own solution
            marks["lost"], marks["kept"] = chart.form(ends[0]), (chart, ends[1].copy())
        for i, x in enumerate(ends):
            w = chart.form(x)
            if np.linalg.norm(w - marks["lost"]) <= 1e-5 * np.linalg.norm(w):
                ends[i] = 1e12 if how == "fail" else change_chart(marks["kept"][1], marks["kept"][0], chart)[0]
        return ends

    monkeypatch.setattr(critical, "track_parameters", track)


def _solve():
    ds = default_dataset()
    return critical.solve(ARCH, quadratic_loss(ds, ARCH), ds, seed=0)


def _stats(result):
    return next(s for s in result.strata if s.partition == LAM)


def test_a_path_failing_under_every_gamma_is_reported(monkeypatch):
    _sabotage(monkeypatch, "fail")
    res = _solve()
    s = _stats(res)
    assert (s.valid, s.expected, s.failed) == (9, 10, 1)
    assert not res.complete and res.to_dict()["complete"] is False
    assert any("2-1-1" in p and "1 path failed" in p for p in res.problems)


def test_colliding_paths_are_counted_once_and_reported(monkeypatch):
    _sabotage(monkeypatch, "collide")
    res = _solve()
    s = _stats(res)
    assert (s.valid, s.expected, s.failed) == (9, 10, 1)
    assert not res.complete
    filters = np.array([p.filter for p in res.points if p.partition == LAM])
    # no real point listed twice
    for i in range(len(filters)):
        for j in range(i + 1, len(filters)):
            assert np.linalg.norm(filters[i] - filters[j]) > 1e-6 * np.linalg.norm(filters[i])


@pytest.mark.parametrize("fmt", ["json", "table", "md", "csv", "latex"])
def test_incomplete_solve_warns_and_exits_3_in_every_format(monkeypatch, fmt):
    _sabotage(monkeypatch, "fail")
    res = CliRunner().invoke(main, ["solve", "--k", "3", "2", "2", "--no-lift", "--format", fmt])
    assert res.exit_code == EXIT_INCOMPLETE, res.output
    warning = res.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("Warning: incomplete solve") and "2-1-1" in warning[0]
    if fmt == "json":
        data = json.loads(res.stdout)
        assert data["complete"] is False and any("2-1-1" in p for p in data["problems"])


def test_report_on_an_incomplete_solve_warns_and_exits_3(monkeypatch, tmp_path):
    _sabotage(monkeypatch, "fail")
    res = CliRunner().invoke(main, ["report", "--k", "3", "2", "2", "--runs", "0", "--out", str(tmp_path / "r")])
    assert res.exit_code == EXIT_INCOMPLETE, res.output
    assert "Warning: incomplete solve" in res.stderr
    assert (tmp_path / "r" / "report.md").exists()
    assert "incomplete" in (tmp_path / "r" / "report.md").read_text().lower()


def test_complete_solve_exits_0(run_cli):
    res = run_cli("solve", "--k", "4", "2", "--no-lift", "--format", "json")
    assert res.returncode == 0 and res.stderr == ""
    assert json.loads(res.stdout)["complete"] is True


def test_unknown_count_is_not_complete():
    stats = StratumStats((2, 1), ("2|1",), 7, 7, None, 3, 0, 0)
    res = SolveResult(Architecture((2, 2)), 0, (), (stats,), ())
    assert not res.complete and "unknown" in res.problems[0]
