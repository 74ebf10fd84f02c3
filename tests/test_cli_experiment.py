"""End-to-end tests of ``critlcn experiment`` and ``critlcn report`` through
the installed console script."""

import base64
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest


def _command():
    exe = shutil.which("critlcn") or os.path.join(os.path.dirname(sys.executable), "critlcn")
    if not os.path.exists(exe):
        pytest.skip("the critlcn console script is not installed (pip install -e .)")
    return [exe]


def run(*args, timeout=300):
    return subprocess.run(_command() + list(args), capture_output=True, text=True, timeout=timeout)


def test_experiment_json_contract(tmp_path):
    out = tmp_path / "exp.json"
    plot = tmp_path / "bars.svg"
    r = run("experiment", "--k", "4", "2", "--runs", "40", "--seed", "7", "--match", "10", "--format", "json",
            "--output", str(out), "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["architecture"]["k"] == [4, 2] and d["runs"] == 40 and d["seed"] == 7
    assert 0 <= d["matched"] <= d["converged"] <= 40
    assert d["match_checked"] > 0 and d["matched"] == d["match_checked"]
    assert sum(t["share"] for t in d["targets"]) == pytest.approx(1.0)
    for t in d["targets"]:
        assert sum(lim["share"] for lim in t["limits"]) == pytest.approx(1.0)
        assert all(lim["region"] in ("interior", "boundary", "exterior") for lim in t["limits"])
    assert plot.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("fmt,marker", [("table", "share of runs"), ("md", "|---"), ("latex", r"\begin{tabular}")])
def test_experiment_formats(fmt, marker):
    r = run("experiment", "--k", "3", "2", "2", "--runs", "12", "--match", "0", "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert marker in r.stdout


@pytest.mark.parametrize("args,word", [
    (["--runs", "0"], "--runs"),
    (["--runs", "-3"], "--runs"),
    (["--max-steps", "0"], "--max-steps"),
    (["--data-model", "laplace"], "data-model"),
    (["--format", "xml"], "format"),
    (["--output", "/nonexistent-dir/x.json"], "does not exist"),
    (["--plot", "bars.gif"], ".png"),
    (["--init-scale", "-1"], "init-scale"),
])
def test_experiment_bad_input_one_line_exit_2(args, word):
    r = run("experiment", "--k", "4", "2", "--runs", "5", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in r.stderr


def test_report_bad_input(tmp_path):
    r = run("report", "--k", "4", "2", "--out", str(tmp_path / "rep"), "--data", str(tmp_path / "none.npz"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "init.npz"
    import numpy as np

    np.savez(bad, w1=[1.0, 2.0, 3.0, 4.0])
    r = run("report", "--k", "4", "2", "--out", str(tmp_path / "rep"), "--init", str(bad))
    assert r.returncode == 2 and "w2" in r.stderr and len(r.stderr.strip().splitlines()) == 1


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.headings, self._h = [], [], [], False
        self.cells = []
        self._cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        self._h = tag in ("h1", "h2")
        self._cell = tag == "td"

    def handle_endtag(self, tag):
        self._h = False
        self._cell = False

    def handle_data(self, data):
        if self._h:
            self.headings.append(data)
        if self._cell:
            self.cells.append(data)


def test_report_markdown_and_self_contained_html(tmp_path):
    out = tmp_path / "rep"
    r = run("report", "--k", "3", "2", "2", "--out", str(out), "--runs", "40", "--seed", "1")
    assert r.returncode == 0, r.stderr
    md = (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    p = _Collect()
    p.feed(page)
    for section in ("Architecture", "Compatibility", "Strata graph", "Critical points by stratum",
                    "Critical points in parameter space", "Gradient descent limits", "Limits by initialisation type"):
        assert section in p.headings and f"## {section}" in md
    assert p.tags.count("table") >= 5
    assert {"11|1", "112|0", "p1p2·p3·p3"} <= set(p.cells)
    # every image is embedded (no external files) and decodes as PNG
    assert len(p.images) == 4
    for img in p.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert img.get("alt")
    # the Markdown names image files that exist next to it
    import re

    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(names) == 4 and all((out / n).exists() for n in names)
    assert "seed" in md and "numpy" in md
