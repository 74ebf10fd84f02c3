"""End-to-end tests of the installed ``critlcn`` console script (issue 2)."""

import csv
import io
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest


def test_literal_enumerate_command(run_cli):
    res = run_cli("enumerate", "--k", "3", "2", "2")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "degree d = 4" in out and "e = 2" in out and "not filling" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.split() and "|" in line.split()[0]}
    assert "p1p2·p3·p3, p1p3·p2·p3, p1p3·p3·p2" in lines["112|0"]
    assert lines["4|0"].split()[3:5] == ["boundary", "no"]
    assert lines["0|11"].split()[3] == "exterior"


def test_enumerate_json_contract(run_cli):
    res = run_cli("enumerate", "--k", "4", "2", "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["architecture"] == {"k": [4, 2], "strides": [1, 1]}
    assert data["degree"] == 4 and data["e"] == 2 and data["filling"] is False
    rows = {row["rrmp"]: row for row in data["rows"]}
    assert set(rows) == {"1111|0", "112|0", "22|0", "13|0", "4|0", "11|1", "2|1", "0|2", "0|11"}
    row = rows["11|1"]
    assert set(row) >= {"rrmp", "rho", "gamma", "partition", "region", "compatible", "patterns", "assignments"}
    assert row["rho"] == [1, 1] and row["gamma"] == [1] and row["partition"] == [1, 1, 1, 1]
    assert row["patterns"] == ["p1q1·p2"] and row["assignments"] == 2 and row["compatible"] is True
    assert rows["22|0"]["compatible"] is False and rows["22|0"]["patterns"] == []


def test_enumerate_csv_and_output_file(run_cli, tmp_path):
    target = tmp_path / "rows.csv"
    res = run_cli("enumerate", "--k", "3", "2", "2", "--format", "csv", "--output", target)
    assert res.returncode == 0 and res.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 9 and rows[0]["rrmp"] == "1111|0" and rows[0]["assignments"] == "12"


def test_table_json(run_cli, reference):
    res = run_cli("table", "--k", "3", "2", "2", "--k", "4", "2", "--format", "json")
    data = json.loads(res.stdout)
    assert data["architectures"] == reference["compatibility_paper"]["architectures"]


def test_latex_table_compiles(run_cli, tmp_path):
    if not shutil.which("pdflatex"):
        if os.environ.get("CI"):
            pytest.fail("pdflatex missing in CI: scripts/setup.sh installs texlive-latex-recommended")
        pytest.skip("pdflatex not installed")
    res = run_cli("table", "--k", "3", "2", "2", "--k", "4", "2", "--format", "latex")
    assert "\\toprule" in res.stdout and "$$" not in res.stdout
    doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + res.stdout + "\\end{document}\n"
    (tmp_path / "t.tex").write_text(doc)
    comp = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert comp.returncode == 0, comp.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 0


def test_strata_formats(run_cli, tmp_path):
    res = run_cli("strata", "--k", "3", "2", "2")
    data = json.loads(res.stdout)
    edges = {(e["source"], e["target"]) for e in data["edges"]}
    assert ("11|1", "2|1") in edges and ("2|1", "22|0") in edges and ("11|1", "13|0") not in edges
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["0|11"]["region"] == "exterior" and nodes["13|0"]["compatible"] is True
    graphml = run_cli("strata", "--k", "3", "2", "2", "--format", "graphml").stdout
    assert len(ET.fromstring(graphml).findall(".//{http://graphml.graphdrawing.org/xmlns}node")) == 9
    dot = run_cli("strata", "--k", "4", "2", "--format", "dot").stdout
    assert dot.startswith("digraph") and '"0|11" -> "0|2";' in dot


@pytest.mark.parametrize(
    "args, needle",
    [
        (["enumerate"], "missing --k"),
        (["enumerate", "--k"], "no filter sizes after --k"),
        (["enumerate", "--k", "3", "x"], "not a whole number"),
        (["enumerate", "--k", "3", "2.5"], "not a whole number"),
        (["enumerate", "--k", "3", "0"], "below 1"),
        (["enumerate", "--k", "3", "-2"], "below 1"),
        (["enumerate", "--k", "3", "2", "--strides", "1", "0"], "below 1"),
        (["enumerate", "--k", "3", "2", "--s", "2", "-1"], "below 1"),
        (["enumerate", "--k", "3", "2", "--s", "2", "1", "1"], "3 strides for 2 layers"),
        (["enumerate", "--k", "2x2", "3"], "different orders"),
        (["enumerate", "--k", "2x2", "2x"], "not a whole number"),
        (["enumerate", "--k", "2x2", "2x1", "--s", "2", "1"], "not supported"),
        (["strata", "--k", "3", "2", "--s", "2", "1"], "stride one"),
        (["enumerate", "--k", "3", "2", "--strides", "1"], "strides"),
        (["enumerate", "--k", "20", "15"], "above the supported"),
        (["table", "--k", "3", "2", "2", "--k", "4"], "different degrees"),
        (["table"], "missing --k"),
        (["strata", "--k", "22"], "above 20"),
        (["enumerate", "--k", "3", "2", "--output", "/nonexistent/dir/x.txt"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, args, needle):
    res = run_cli(*args)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_failed_write_leaves_nothing(run_cli, tmp_path):
    # writes that fail for root too: the target is a folder (the final rename
    # fails after the content was written), or lies under a regular file
    box = tmp_path / "box"
    (box / "taken").mkdir(parents=True)
    res = run_cli("enumerate", "--k", "3", "2", "--output", box / "taken")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stdout == "" and "Traceback" not in res.stderr
    assert sorted(p.name for p in box.iterdir()) == ["taken"] and list((box / "taken").iterdir()) == []
    (tmp_path / "file").write_text("x")
    res = run_cli("enumerate", "--k", "3", "2", "--output", tmp_path / "file" / "x.txt")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert (tmp_path / "file").read_text() == "x"


def test_strata_plot_is_a_png(run_cli, tmp_path):
    target = tmp_path / "strata.png"
    res = run_cli("strata", "--k", "3", "2", "2", "--plot", target, "--output", tmp_path / "g.json")
    assert res.returncode == 0, res.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_output_files_get_the_usual_permissions(run_cli, tmp_path):
    # the temporary file behind an atomic write is private; the result must not be
    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / "rows.json"
    assert run_cli("enumerate", "--k", "3", "2", "--format", "json", "--output", target).returncode == 0
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
