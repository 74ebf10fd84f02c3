"""The CLI for strides and D-dimensional filters: enumerate, data synth,
solve (parameter space), bad input as one line with exit status 2."""

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, run_cli):
    d = tmp_path_factory.mktemp("data")
    out = {}
    for name, args in {"strided": ["--k", "3", "2", "--s", "2", "1"], "ddim": ["--k", "2x2", "2x1"],
                       "one": ["--k", "3", "2"]}.items():
        path = d / f"{name}.npz"
        r = run_cli("data", "synth", *args, "--samples", "40", "--seed", "3", "--noise", "0.3", "--out", path)
        assert r.returncode == 0, r.stderr
        out[name] = path
    return out


def test_enumerate_strided_and_d_dim_json(run_cli):
    r = run_cli("enumerate", "--k", "3", "2", "--s", "2", "1", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["end_to_end_format"], d["end_to_end_stride"], d["function_space_dimension"], d["ambient_dimension"],
            d["filling"], d["segre_number"]) == ([5], 2, 4, 5, False, 10)
    assert "smooth interior" in d["why"]
    r = run_cli("enumerate", "--k", "2x2", "2x2", "--format", "json")
    d = json.loads(r.stdout)
    assert (d["end_to_end_format"], d["function_space_dimension"], d["ambient_dimension"], d["filling"],
            d["segre_number"]) == ([3, 3], 7, 9, False, 284)
    # --strides stays an alias of --s
    r2 = run_cli("enumerate", "--k", "3", "2", "--strides", "2", "1", "--format", "json")
    assert json.loads(r2.stdout)["end_to_end_stride"] == 2


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "latex"])
def test_enumerate_strided_every_format(run_cli, fmt):
    r = run_cli("enumerate", "--k", "2", "2", "2", "--s", "2", "2", "1", "--format", fmt)
    assert r.returncode == 0 and "34" in r.stdout, r.stderr


def test_data_synth_shapes(datasets):
    with np.load(datasets["strided"]) as z:
        # d_1 = floor((d_0 - 3)/2) + 1, d_2 = d_1 - 1
        d0 = z["X"].shape[1]
        assert z["Y"].shape == (40, (d0 - 3) // 2)
    with np.load(datasets["ddim"]) as z:
        assert z["X"].ndim == 3 and z["Y"].shape[1:] == (z["X"].shape[1] - 2, z["X"].shape[2] - 1)


def test_solve_strided_json(run_cli, datasets):
    r = run_cli("solve", "--k", "3", "2", "--s", "2", "1", "--data", datasets["strided"], "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["paths"]["valid"] == d["segre_number"] == 10 and d["complete"]
    assert all(p["smooth_interior"] for p in d["critical_points"])
    assert d["seed"] == 0 and "phcpy" in d["versions"]


def test_solve_d_dim_json_has_d_dim_filters(run_cli, datasets):
    r = run_cli("solve", "--k", "2x2", "2x1", "--data", datasets["ddim"], "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["paths"]["valid"] == 14
    p = d["critical_points"][0]
    assert np.asarray(p["end_to_end"]).shape == (3, 2)
    assert [np.asarray(f).shape for f in p["filters"]] == [(2, 2), (2, 1)]


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "latex"])
def test_solve_parameters_every_format(run_cli, datasets, fmt, tmp_path):
    out = tmp_path / f"r.{fmt}"
    r = run_cli("solve", "--k", "3", "2", "--method", "parameters", "--data", datasets["one"], "--format", fmt,
                "--output", out)
    assert r.returncode == 0, r.stderr
    assert out.read_text().strip()


@pytest.mark.parametrize("args,match", [
    (["solve", "--k", "3", "2", "--s", "0", "1"], "below 1"),
    (["solve", "--k", "3", "2", "--s", "2"], "1 strides for 2 layers"),
    (["solve", "--k", "2x2", "3"], "different orders"),
    (["solve", "--k", "2x2", "2y1"], "not a whole number"),
    (["solve", "--k", "3", "2", "--s", "2", "1", "--method", "strata"], "stride one"),
    (["data", "synth", "--k", "3", "2", "--s", "2", "1", "2", "--samples", "3"], "3 strides for 2 layers"),
])
def test_bad_input_one_line_exit_2_nothing_written(run_cli, tmp_path, args, match):
    out = tmp_path / "out.file"
    extra = ["--out", out] if args[0] == "data" else ["--output", out]
    r = run_cli(*args, *extra, cwd=tmp_path)
    assert r.returncode == 2
    assert match in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stdout == "" and list(tmp_path.iterdir()) == []


def test_data_of_the_wrong_shape_for_the_strides(run_cli, datasets, tmp_path):
    out = tmp_path / "r.json"
    # data made for stride one does not fit strides (2, 1)
    r = run_cli("solve", "--k", "3", "2", "--s", "2", "1", "--data", datasets["one"], "--output", out)
    assert r.returncode == 2 and "regenerate the data" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
    r = run_cli("solve", "--k", "2x2", "2x2", "--data", datasets["ddim"], "--output", out)
    assert r.returncode == 2 and "regenerate the data" in r.stderr and not out.exists()
    r = run_cli("solve", "--k", "2x2", "2x1", "--data", datasets["strided"], "--output", out)
    assert r.returncode == 2 and "order 3" in r.stderr and not out.exists()


def test_systems_params_builds_and_says_so_on_stderr(run_cli, tmp_path):
    r = run_cli("systems", "params", "--k", "2", "2", "2", "--s", "1", "2", "1", "--dir", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "34 start solutions" in r.stdout and "built" in r.stdout
    # before building, stderr says which architecture, how many solutions and how to build ahead
    assert "k=(2,2,2),s=(1,2,1)" in r.stderr and "34 solutions" in r.stderr and "critlcn systems params" in r.stderr
    r = run_cli("systems", "params", "--k", "2", "2", "2", "--s", "1", "2", "1", "--dir", tmp_path)
    assert "cached" in r.stdout and r.stderr == ""


def test_experiment_with_strides(run_cli, tmp_path):
    r = run_cli("experiment", "--k", "2", "2", "--s", "2", "1", "--runs", "4", "--targets", "2", "--match", "2",
                "--max-steps", "3000", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    s = d["summary"]
    assert s["runs"] == 4 and s["positive_loss_not_smooth"] == 0 and s["on_solver_list"] == s["checked_against_solver"]
    assert d["seed"] == 0 and "phcpy" in d["versions"]
    out = tmp_path / "x.json"
    r = run_cli("experiment", "--k", "2", "2", "--s", "2", "1", "--init-type", "1111|0", "--output", out)
    assert r.returncode == 2 and "--init-type" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
