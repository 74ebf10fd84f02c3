"""End-to-end tests of solve, systems and data synth through the installed
``critlcn`` console script."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

CRITLCN = os.path.join(os.path.dirname(sys.executable), "critlcn")
if not os.path.exists(CRITLCN):
    CRITLCN = shutil.which("critlcn") or CRITLCN


def run(*args, cwd=None):
    return subprocess.run([CRITLCN, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_solve_json_is_clean_and_follows_the_contract():
    out = run("solve", "--k", 3, 2, 2, "--format", "json", "--seed", 4)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)  # nothing but JSON on stdout (no phcpy banner)
    assert d["architecture"]["k"] == [3, 2, 2] and d["degree"] == 4 and d["seed"] == 4
    assert d["data"]["source"] == "default" and d["data"]["samples"] == 50 and len(d["data"]["sha256"]) == 64
    assert [s["partition"] for s in d["strata"]] == [[3, 1], [2, 2], [2, 1, 1], [1, 1, 1, 1]]
    for s in d["strata"]:
        assert s["paths_tracked"] == s["valid"] == s["expected"] == s["certified"]
        assert s["failed"] == 0
    assert d["certified"]["every_count_proved"] is True
    assert all(p["certified_real"] is True for p in d["critical_points"])
    assert {"critlcn", "numpy", "phcpy", "python-flint"} <= set(d["versions"])
    best = min((p for p in d["critical_points"] if p["compatible"]), key=lambda p: p["loss"])
    assert len(best["filter"]) == 5


def test_solve_formats_and_output_file(tmp_path):
    for fmt, check in [("table", lambda t: "paths" in t and "certified: " in t and "every count proved" in t),
                       ("md", lambda t: t.startswith("# critlcn solve") and "| certified |" in t),
                       ("latex", lambda t: "certified" in t),
                       ("csv", lambda t: t.splitlines()[0].startswith(
                           "rrmp,partition,region,compatible,loss,certified_real,w0")
                        and all(",True," in row for row in t.splitlines()[1:]))]:
        out = run("solve", "--k", 4, 2, "--format", fmt)
        assert out.returncode == 0 and check(out.stdout), out.stderr
    target = tmp_path / "r.json"
    out = run("solve", "--k", 4, 2, "--all-strata", "--format", "json", "--output", target)
    assert out.returncode == 0 and out.stdout == ""
    assert len(json.loads(target.read_text())["strata"]) == 5


def test_synth_then_solve_degree_5(tmp_path):
    data = tmp_path / "d.npz"
    out = run("data", "synth", "--k", 3, 3, 2, "--samples", 40, "--seed", 3, "--noise", 0.2, "--out", data)
    assert out.returncode == 0, out.stderr
    with np.load(data) as npz:
        assert npz["X"].shape == (40, 12) and npz["Y"].shape == (40, 7)
    out = run("solve", "--k", 3, 3, 2, "--data", data, "--format", "json", "--jobs", 2)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert all(s["valid"] == s["expected"] and s["failed"] == 0 for s in d["strata"])
    assert d["data"]["source"] == "d.npz"


def test_systems_writes_phc_files_with_header(tmp_path):
    out = run("systems", "--k", 3, 2, 2, "--out", tmp_path / "sys")
    assert out.returncode == 0, out.stderr
    names = sorted(os.listdir(tmp_path / "sys"))
    assert names == ["d4_1-1-1-1.phc", "d4_2-1-1.phc", "d4_2-2.phc", "d4_3-1.phc"]
    text = (tmp_path / "sys" / "d4_2-1-1.phc").read_text()
    assert text.splitlines()[0] == "4 4"
    assert "-- partition: 2 1 1" in text and "-- rrmps: 112|0 2|1" in text and "-- data sha256: " in text
    assert "-- unknowns: c t1 t2 t3" in text


@pytest.mark.skipif(shutil.which("phc") is None, reason="phc is not installed")
def test_phc_accepts_the_written_file(tmp_path):
    run("systems", "--k", 3, 2, 2, "--out", tmp_path)
    res = subprocess.run(["phc", "-b", tmp_path / "d4_3-1.phc", tmp_path / "out"], capture_output=True, timeout=300)
    assert res.returncode == 0 and "THE SOLUTIONS" in (tmp_path / "out").read_text()


def test_build_checks_the_cache():
    out = run("systems", "build", "--max-degree", 3)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() [:3] == ["1", "1", "cached"]


def _bad_files(tmp):
    rng = np.random.default_rng(0)
    garbage = tmp / "garbage.npz"
    garbage.write_bytes(b"\x00not an npz")
    np.savez(tmp / "noY.npz", X=rng.normal(size=(5, 10)))
    np.savez(tmp / "shape.npz", X=rng.normal(size=(5, 10)), Y=rng.normal(size=(5, 5)))
    X = rng.normal(size=(5, 10))
    X[1, 2] = np.nan
    np.savez(tmp / "nan.npz", X=X, Y=rng.normal(size=(5, 6)))
    np.savez(tmp / "few.npz", X=rng.normal(size=(1, 6)), Y=rng.normal(size=(1, 2)))
    return {
        tmp / "missing.npz": "does not exist",
        garbage: "cannot read",
        tmp / "noY.npz": "no array Y",
        tmp / "shape.npz": "Y has 5 columns",
        tmp / "nan.npz": "NaN",
        tmp / "few.npz": "--allow-singular",
    }


def test_bad_inputs_one_line_exit_2_nothing_written(tmp_path):
    for path, fragment in _bad_files(tmp_path).items():
        target = tmp_path / "result.json"
        out = run("solve", "--k", 3, 2, 2, "--data", path, "--format", "json", "--output", target)
        assert out.returncode == 2, (path, out.stderr)
        assert out.stdout == ""
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], out.stderr
        assert "Traceback" not in out.stderr
        assert not target.exists()
        assert not [n for n in os.listdir(tmp_path) if n.startswith(".critlcn")]
        out = run("systems", "--k", 3, 2, 2, "--data", path, "--out", tmp_path / "sysdir")
        assert out.returncode == 2 and not (tmp_path / "sysdir").exists()


def test_singular_data_runs_with_the_flag(tmp_path):
    _bad_files(tmp_path)
    out = run("solve", "--k", 3, 2, 2, "--data", tmp_path / "few.npz", "--allow-singular", "--format", "json")
    data = json.loads(out.stdout)
    # critical sets of singular data need not be isolated: the generic counts
    # may not be met, and then the run says so (exit 3) instead of passing
    assert out.returncode == (0 if data["complete"] else 3), out.stderr
    assert ("Warning: incomplete solve" in out.stderr) == (not data["complete"])


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["solve", "--k", 3, 3, 2], "default dataset fits filters of size 5"),
        (["solve", "--k", 0, 2], "below 1"),
        (["solve", "--k", 3, 2, 2, "--jobs", 0], "--jobs"),
        (["data", "synth", "--k", 3, 2, "--samples", 0, "--out", "x.npz"], "--samples"),
        (["data", "synth", "--k", 3, 2, "--samples", 5, "--teacher", "nofile.txt", "--out", "x.npz"], "teacher"),
        (["systems", "--k", 3, 2, 2], "--out"),
    ],
)
def test_usage_errors(tmp_path, args, fragment):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2 and fragment in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x.npz").exists()


def test_classes_orbits_lists_one_point_per_orbit_with_the_same_counts():
    runs = {}
    for mode in ("all", "orbits"):
        out = run("solve", "--k", 3, 2, 2, "--format", "json", "--classes", mode)
        assert out.returncode == 0, out.stderr
        runs[mode] = json.loads(out.stdout)
    every, orbits = runs["all"], runs["orbits"]
    assert (every["parameters_listed"], orbits["parameters_listed"]) == ("all", "orbits")
    assert every["parameter_classes"] == orbits["parameter_classes"] > 0
    assert every["summary"] == orbits["summary"]
    listed = {mode: sum(len(p["parameters"]) for p in d["critical_points"]) for mode, d in runs.items()}
    assert listed["all"] == every["parameter_classes"] > listed["orbits"]
    assert sum(q["classes"] for p in orbits["critical_points"] for q in p["parameters"]) == every["parameter_classes"]
    table = run("solve", "--k", 3, 2, 2, "--classes", "orbits")
    assert table.returncode == 0 and "classes" in table.stdout and "orbit of equal-size layers" in table.stdout
