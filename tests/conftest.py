import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
if not REFERENCE.is_dir():  # a clone elsewhere: look beside the repository's parent
    REFERENCE = Path(os.environ.get("CRITLCN_REFERENCE", "/work/shared/reference"))


@pytest.fixture(scope="session")
def reference():
    """The independently obtained reference data in ../shared/reference."""
    if not REFERENCE.is_dir():
        pytest.fail(f"reference data not found at {REFERENCE}; set CRITLCN_REFERENCE")
    return {p.stem: json.loads(p.read_text()) for p in REFERENCE.glob("*.json")}


def critlcn_exe() -> str:
    """The installed console script (not python -m), as a user runs it."""
    exe = Path(sys.executable).with_name("critlcn")
    if exe.exists():
        return str(exe)
    found = shutil.which("critlcn")
    if not found:
        pytest.fail("the critlcn console script is not installed: pip install -e .")
    return found


@pytest.fixture(scope="session")
def run_cli():
    """Run the installed ``critlcn`` and return the CompletedProcess."""

    def run(*args, cwd=None, timeout=600):
        return subprocess.run([critlcn_exe(), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                              timeout=timeout)

    return run
