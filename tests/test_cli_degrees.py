"""`critlcn degrees` run as a user runs it (installed script)."""

import csv
import io
import json

import pytest


def test_degree_table_matches_the_reference(run_cli, reference):
    for d, values in reference["ed_degrees"]["degrees"].items():
        out = run_cli("degrees", "--d", d, "--format", "json")
        assert out.returncode == 0, out.stderr
        payload = json.loads(out.stdout)
        assert payload["ed_degrees"] == values
        assert payload["total"] == sum(values.values())


def test_architecture_breakdown_sums_to_the_segre_number(run_cli):
    out = run_cli("degrees", "--k", "3", "2", "2", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    body = [r for r in rows if r["partition λ"] != "total"]
    assert sum(int(r["N(λ, μ)"]) * int(r["EDgen(Δ_λ)"]) for r in body) == 100  # P^2 x P^1 x P^1, MATH.md §10
    assert rows[-1]["classes"] == "100"


@pytest.mark.parametrize("args, count", [
    (("--k", "2x2", "2x1"), 14), (("--k", "2x2", "2x2"), 284), (("--k", "3", "2", "--s", "3", "1"), 10),
    (("--k", "2", "2", "2", "--s", "2", "2", "1"), 34), (("--k", "2x1", "1x2"), 6),
])
def test_segre_numbers_for_strides_and_d_dim(run_cli, args, count):
    out = run_cli("degrees", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["critical_scaling_classes"] == count


@pytest.mark.parametrize("args", [
    ("--d", "0"), ("--d", "100"), ("--d", "x"), ("--k", "3", "a"), ("--k", "2x2", "3"), (),
    ("--d", "4", "--k", "3", "2"), ("--k", "3", "2", "--s", "2"), ("--k", "3", "2", "--s", "0", "1"),
    ("--k", "0", "2"),
])
def test_bad_input_is_one_line_and_exit_2(run_cli, args):
    out = run_cli("degrees", *args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("Error:")
