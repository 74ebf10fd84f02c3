"""Every user error is one line on stderr, exit status 2, no traceback and
nothing written."""

import time

import pytest
from click.testing import CliRunner

import critlcn.files
import critlcn.parallel as parallel
from critlcn.cli import main
from critlcn.errors import CritlcnError
from critlcn.parallel import pmap


def _one_line_exit_2(res, needle):
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert res.stdout == "" and "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], res.stderr


@pytest.mark.parametrize("command", [
    ("solve", "--k", "3", "2", "2"),
    ("experiment", "--k", "3", "2", "2", "--runs", "2"),
    ("data", "synth", "--k", "3", "2", "2", "--samples", "5", "--out", "{tmp}/d.npz"),
    ("report", "--k", "3", "2", "2", "--out", "{tmp}/rep"),
], ids=lambda c: c[0])
def test_negative_seed(run_cli, tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    _one_line_exit_2(run_cli(*args, "--seed", "-1"), "numpy seeds are whole numbers >= 0")
    assert list(tmp_path.iterdir()) == []  # no data file, no empty report folder


def test_library_refuses_negative_seeds():
    from critlcn.architecture import Architecture
    from critlcn.critical import solve
    from critlcn.data import QuadraticLoss

    import numpy as np

    with pytest.raises(CritlcnError, match="`seed` must be a whole number >= 0"):
        solve(Architecture((2,)), QuadraticLoss(np.eye(3), np.ones(3), 1.0), seed=-3)


@pytest.mark.parametrize("address", ["nonsense", "tcp://", "http://127.0.0.1:8786", "tcp://host:99999",
                                     "127.0.0.1"])
def test_malformed_scheduler_address_is_refused_at_once(run_cli, address):
    t0 = time.monotonic()
    _one_line_exit_2(run_cli("solve", "--k", "3", "2", "2", "--scheduler", address), "tcp://HOST:PORT")
    assert time.monotonic() - t0 < 15  # refused, not tried for 20 s


def test_unreachable_scheduler_times_out_with_advice(run_cli):
    _one_line_exit_2(run_cli("solve", "--k", "3", "2", "2", "--scheduler", "tcp://127.0.0.1:9"),
                     "cannot reach the Dask scheduler")


def test_scheduler_without_workers_times_out_with_advice(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "WORKER_TIMEOUT", 2)
    with distributed.LocalCluster(n_workers=0, dashboard_address=None) as cluster:
        t0 = time.monotonic()
        with pytest.raises(CritlcnError, match="has no workers") as err:
            pmap(abs, [1, -2], scheduler=cluster.scheduler_address)
        assert time.monotonic() - t0 < 30 and "dask worker" in str(err.value)


@pytest.mark.parametrize("command", [
    ("enumerate",), ("strata",), ("solve",), ("experiment",), ("systems", "--out", "{tmp}/s"),
    ("data", "synth", "--samples", "5", "--out", "{tmp}/d.npz"), ("report", "--out", "{tmp}/r"),
], ids=lambda c: c[0])
def test_repeated_k_on_a_one_architecture_command(run_cli, tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    res = run_cli(*args[:2] if args[0] == "data" else args[:1], "--k", "3", "2", "2", "--k", "4", "2",
                  *(args[2:] if args[0] == "data" else args[1:]))
    _one_line_exit_2(res, "--k given 2 times")
    assert list(tmp_path.iterdir()) == []


def test_report_write_failure_leaves_no_folder(monkeypatch, tmp_path):
    real = critlcn.files.atomic_write
    calls = []

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(critlcn.files, "atomic_write", flaky)
    out = tmp_path / "deep" / "rep"
    res = CliRunner().invoke(main, ["report", "--k", "4", "2", "--runs", "0", "--out", str(out)])
    assert res.exit_code == 2 and "No space left on device" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert len(calls) == 3 and list(tmp_path.iterdir()) == []


def _stderr_on_a_terminal(*args):
    """Run critlcn with stderr on a pseudo-terminal; returns (exit status, what the terminal got)."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("critlcn")  # the console script, as in conftest.critlcn_exe
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.wait(timeout=120), seen.decode(errors="replace")


def test_experiment_shows_progress_on_a_terminal_only():
    args = ("experiment", "--k", "3", "2", "2", "--runs", "300", "--match", "3", "--format", "json")
    code, terminal = _stderr_on_a_terminal(*args)
    assert code == 0 and "experiment k=(3,2,2), 300 runs: running" in terminal
    code, terminal = _stderr_on_a_terminal(*args, "--quiet")
    assert code == 0 and "running" not in terminal
