"""``critlcn solve`` end to end: parameter-space output, --init, Dask and --jobs."""

import json

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.compatibility import count_assignments


def solve_json(run_cli, *extra):
    res = run_cli("solve", "--k", 3, 2, 2, "--format", "json", "--quiet", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def convolve_all(filters):
    w = np.array([1.0])
    for f in filters:
        w = np.convolve(w, f)
    return w


def test_solve_json_has_parameter_points(run_cli):
    data = solve_json(run_cli)
    arch = Architecture((3, 2, 2))
    total = 0
    for point in data["critical_points"]:
        from critlcn.rrmp import RRMP

        n = count_assignments(RRMP.parse(point["rrmp"]), arch)
        assert len(point["parameters"]) == n
        total += n
        for q in point["parameters"]:
            assert set(q) >= {"pattern", "filters", "gradient_norm", "type", "negative_eigenvalues"}
            assert [len(f) for f in q["filters"]] == [3, 2, 2]
            assert np.allclose(convolve_all(q["filters"]), point["filter"], atol=1e-9)
            assert q["type"] in ("minimum", "saddle", "degenerate")
            assert q["gradient_norm"] < 1e-8
    assert data["parameter_classes"] == total > 0
    assert data["seed"] == 0 and "versions" in data


@pytest.mark.parametrize("fmt", ["table", "md", "latex", "csv"])
def test_solve_prints_parameter_space_by_default(run_cli, fmt):
    res = run_cli("solve", "--k", 3, 2, 2, "--format", fmt, "--quiet")
    assert res.returncode == 0, res.stderr
    assert "q1·p1·p2" in res.stdout or "q1$\\cdot$p1$\\cdot$p2" in res.stdout
    if fmt != "csv":
        assert "Summary by rrmp" in res.stdout or "parameter classes" in res.stdout


def test_init_scaling_keeps_the_invariants(run_cli, tmp_path):
    rng = np.random.default_rng(3)
    init = [rng.normal(size=k) for k in (3, 2, 2)]
    path = tmp_path / "init.npz"
    np.savez(path, w1=init[0], w2=init[1], w3=init[2])
    data = solve_json(run_cli, "--init", path)
    norms0 = [float(np.sum(f ** 2)) for f in init]
    checked = 0
    for point in data["critical_points"]:
        for q in point["parameters"]:
            norms = [float(np.sum(np.square(f))) for f in q["filters"]]
            assert np.allclose(np.diff(norms), np.diff(norms0), atol=1e-8 * max(norms0))
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("arrays, needle", [
    ({"w1": np.ones(3), "w2": np.ones(2)}, "w3"),
    ({"w1": np.ones(3), "w2": np.ones(3), "w3": np.ones(2)}, "w2"),
    ({"w1": np.ones(3), "w2": np.array([1.0, np.nan]), "w3": np.ones(2)}, "finite"),
])
def test_bad_init_files(run_cli, tmp_path, arrays, needle):
    path = tmp_path / "init.npz"
    np.savez(path, **arrays)
    out = tmp_path / "out.json"
    res = run_cli("solve", "--k", 3, 2, 2, "--init", path, "--output", out)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()


def test_jobs_and_dask_equal_serial(run_cli):
    distributed = pytest.importorskip("distributed")
    serial = solve_json(run_cli, "--all-strata")
    jobs = solve_json(run_cli, "--all-strata", "--jobs", "2")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        dask = solve_json(run_cli, "--all-strata", "--scheduler", cluster.scheduler_address)
    finally:
        cluster.close()
    for other in (jobs, dask):
        assert other["strata"] == serial["strata"]
        assert [p["rrmp"] for p in other["critical_points"]] == [p["rrmp"] for p in serial["critical_points"]]
        for a, b in zip(other["critical_points"], serial["critical_points"]):
            assert np.allclose(a["filter"], b["filter"], atol=1e-10)
            # lifting runs in the workers too
            assert [(q["pattern"], q["type"]) for q in a["parameters"]] == \
                [(q["pattern"], q["type"]) for q in b["parameters"]]
            for qa, qb in zip(a["parameters"], b["parameters"]):
                assert np.allclose(np.concatenate(qa["filters"]), np.concatenate(qb["filters"]), atol=1e-8)
