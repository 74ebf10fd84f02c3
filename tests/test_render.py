"""Paper-ready output, checked by the tools a reader uses: a Markdown parser
(markdown-it-py) must see tables with the right columns, pdflatex must
compile the LaTeX without an overfull line, a browser's HTML parser must see
the same columns in the report as the command line prints."""

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from markdown_it import MarkdownIt

from critlcn.architecture import Architecture
from critlcn.results import CriticalPoint, SolveResult, StratumStats
from critlcn.render import non_finite_warning, render_solve
from critlcn.report import render_table
from critlcn.rrmp import RRMP


def markdown_tables(text):
    """Every table of a Markdown text as (header cells, body rows), as a
    CommonMark + GFM-tables parser sees it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, current, row, in_cell, head = [], None, None, False, False
    for tok in tokens:
        if tok.type == "table_open":
            current = {"head": [], "body": []}
        elif tok.type == "thead_open":
            head = True
        elif tok.type == "thead_close":
            head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            (current["head"] if head else current["body"]).append(row)
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif tok.type == "inline" and in_cell:
            row.append(tok.content.replace("\\|", "|").replace("\\\\", "\\"))
        elif tok.type == "table_close":
            tables.append((current["head"][0], current["body"]))
    return tables


def test_compatibility_table_renders_as_a_markdown_table(run_cli, reference):
    ref = reference["compatibility_paper"]
    res = run_cli("table", "--k", "3", "2", "2", "--k", "4", "2")  # the README example, default Markdown
    assert res.returncode == 0, res.stderr
    (head, body), = markdown_tables(res.stdout)
    assert head == ["ρ|γ", "k=(3,2,2)", "k=(4,2)"]
    assert [row[0] for row in body] == ref["rows"]
    for col, key in ((1, "3,2,2"), (2, "4,2")):
        assert [None if row[col] == "−" else row[col] for row in body] == ref["architectures"][key]


def test_solve_markdown_tables_have_every_column_and_row(run_cli):
    md = run_cli("solve", "--k", "3", "2", "2", "--format", "md")
    js = run_cli("solve", "--k", "3", "2", "2", "--format", "json")
    assert md.returncode == 0 and js.returncode == 0
    data = json.loads(js.stdout)
    tables = markdown_tables(md.stdout)
    assert len(tables) == 3
    (h1, b1), (h2, b2), (h3, b3) = tables
    assert len(h1) == 9 and len(b1) == len(data["strata"]) and all(len(r) == 9 for r in b1)
    assert "|grad|" in h2 and len(h2) == 10 and all(len(r) == 10 for r in b2)
    params = sum(max(1, len(p["parameters"])) for p in data["critical_points"])
    assert len(b2) == params
    assert "ρ|γ" not in h3 and len(b3) == len({p["rrmp"] for p in data["critical_points"]})


def _pdflatex(tmp_path, body, name):
    if not shutil.which("pdflatex"):
        if os.environ.get("CI"):
            pytest.fail("pdflatex missing in CI: scripts/setup.sh installs texlive-latex-recommended")
        pytest.skip("pdflatex not installed")
    doc = ("\\documentclass{article}\n\\usepackage{booktabs,array,longtable}\n\\begin{document}\n" + body
           + "\n\\end{document}\n")
    (tmp_path / f"{name}.tex").write_text(doc)
    comp = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert comp.returncode == 0, comp.stdout[-2000:]
    return log


@pytest.mark.parametrize("args", [
    ("solve", "--k", "3", "2", "2"),                       # long "does not lift" reasons, filters of 3 layers
    ("solve", "--k", "3", "2", "2", "--no-lift"),
    ("enumerate", "--k", "4", "4", "3", "--max-patterns", "0"),  # d = 8, every pattern: a long table
    ("table", "--k", "3", "2", "2", "--k", "4", "2", "--k", "2", "2", "2", "2", "--k", "5"),
], ids=lambda a: "-".join(a[:2]) + str(len(a)))
def test_latex_fits_the_page(run_cli, tmp_path, args):
    res = run_cli(*args, "--format", "latex")
    assert res.returncode == 0, res.stderr
    log = _pdflatex(tmp_path, res.stdout, "t")
    assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line][:5]


def test_latex_wraps_a_long_cell_instead_of_overflowing(tmp_path):
    long = "a reason that is much longer than a page is wide " * 6
    text = render_table(["rrmp", "type", "reason"], [["0|2", "does not lift", long]], "latex")
    log = _pdflatex(tmp_path, text, "w")
    assert "Overfull \\hbox" not in log


class _Tables(HTMLParser):
    """Headings and tables (header cells, body rows) of an HTML page."""

    def __init__(self):
        super().__init__()
        self.items, self.tag, self.text = [], None, ""

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "th", "td"):
            self.tag, self.text = tag, ""
        elif tag == "table":
            self.items.append(("table", [], []))
        elif tag == "tr" and self.items and self.items[-1][0] == "table":
            self.items[-1][2].append([])

    def handle_endtag(self, tag):
        if tag == "h2":
            self.items.append(("h2", self.text))
        elif tag in ("th", "td"):
            _, head, rows = self.items[-1]
            (head if tag == "th" else rows[-1]).append(self.text)
        self.tag = None

    def handle_data(self, data):
        if self.tag:
            self.text += data


def test_report_shows_the_command_line_columns(run_cli, tmp_path):
    out = tmp_path / "rep"
    rep = run_cli("report", "--k", "3", "2", "2", "--runs", "0", "--out", out)
    assert rep.returncode == 0, rep.stderr
    page = _Tables()
    page.feed((out / "report.html").read_text())
    items = page.items
    at = next(i for i, it in enumerate(items) if it == ("h2", "Critical points in parameter space"))
    _, head, rows = next(it for it in items[at:] if it[0] == "table")
    md = run_cli("solve", "--k", "3", "2", "2", "--format", "md")
    cli_head, cli_rows = markdown_tables(md.stdout)[1]
    assert head == cli_head
    assert [r for r in rows if r] == cli_rows
    # report.md holds the same tables as report.html, parsed as Markdown
    html_tables = [(it[1], [r for r in it[2] if r]) for it in items if it[0] == "table"]
    assert markdown_tables((out / "report.md").read_text()) == html_tables
    data = json.loads(run_cli("solve", "--k", "3", "2", "2", "--format", "json").stdout)
    pattern = head.index("pattern")
    assert all("lift" not in r[pattern] for r in rows if r)
    # the filter values of every parameter point are in the report, to 4 digits
    filters = head.index("filters (layer 1 first)")
    shown = [r[filters] for r in rows if r and r[filters] != "−"]
    listed = [q["filters"] for p in data["critical_points"] for q in p["parameters"]]
    assert len(shown) == len(listed)
    for text, layers in zip(shown, listed):
        values = [float(v) for v in text.replace("|", " ").split()]
        assert np.allclose(values, np.concatenate(layers), rtol=1e-3, atol=1e-12)


def test_non_finite_numbers_do_not_break_json():
    pt = CriticalPoint(RRMP.parse("11|0"), (1, 1), "interior", True, (1.0, float("nan"), 0.0), float("inf"))
    stats = StratumStats((1, 1), ("11|0",), 1, 1, 1, 1, 0, 0)
    res = SolveResult(Architecture((2, 2)), 0, (("source", "toy"),), (stats,), (pt,))
    data = json.loads(render_solve(res, fmt="json"))
    assert data["critical_points"][0]["filter"][1] is None
    assert data["critical_points"][0]["loss"] is None
    assert non_finite_warning(res).startswith("Warning: 2 numbers")
