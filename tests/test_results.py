"""Tests of critlcn.results: the JSON conversion never writes invalid JSON,
statuses read and serialise as their strings, a lifted point reads as its
function-space point, versions are the installed ones, and the notebook API
of the package."""

import json
import subprocess
import sys

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.results import (
    CriticalPoint,
    EndpointStatus,
    HessianType,
    LiftedPoint,
    MinimumKind,
    ParameterPoint,
    to_jsonable,
    versions,
)
from critlcn.rrmp import RRMP


def _point():
    return CriticalPoint(RRMP.parse("11|0"), (1, 1), "interior", True, (1.0, 0.0, -1.0), np.float64(0.25))


def _param(**extra):
    base = dict(pattern="p1·p2", assignment=((0,), (1,)), filters=((1.0, 1.0), (1.0, -1.0)), gradient_norm=1e-17,
                gradient_scale=4.0, type=HessianType.MINIMUM, negative_eigenvalues=0, eigenvalues=(1.0, np.inf),
                loss=0.25, signs=((1, 1), (-1, -1)))
    return ParameterPoint(**{**base, **extra})


def test_json_of_results_parses_strictly_even_with_non_finite_numbers():
    data = {"arch": Architecture((2, 2)), "nan": float("nan"), "arr": np.array([1.0, -np.inf]),
            "int": np.int64(3), "status": EndpointStatus.SPURIOUS, "point": _point()}
    text = json.dumps(to_jsonable(data), allow_nan=False)
    back = json.loads(text)
    assert back["nan"] is None and back["arr"] == [1.0, None] and back["int"] == 3
    assert back["status"] == "spurious" and back["arch"]["label"] == "k=(2,2)"
    assert back["point"] == {"rrmp": "11|0", "partition": [1, 1], "region": "interior", "compatible": True,
                             "filter": [1.0, 0.0, -1.0], "loss": 0.25, "certified_real": None}


def test_parameter_point_json_renames_omits_and_adds_verified():
    d = json.loads(json.dumps(_param(minimum=MinimumKind.GLOBAL).to_dict(), allow_nan=False))
    assert d["sign_variants"] == [[1, 1], [-1, -1]] and d["minimum"] == "global" and d["type"] == "minimum"
    assert d["verified"] is True and d["eigenvalues"] == [1.0, None]
    assert not {"assignment", "gradient_scale", "loss", "signs"} & set(d)


def test_lifted_point_reads_and_serialises_as_its_function_space_point():
    p = LiftedPoint(_point(), (_param(),), lifts=True)
    assert (p.rrmp, p.partition, p.region, p.compatible, p.filter, p.loss) == (
        RRMP.parse("11|0"), (1, 1), "interior", True, (1.0, 0.0, -1.0), 0.25)
    d = p.to_dict()
    assert {k: d[k] for k in _point().to_dict()} == _point().to_dict()
    assert d["lifts"] is True and d["reason"] is None and len(d["parameters"]) == 1


def test_statuses_equal_format_and_print_as_strings():
    assert HessianType.SADDLE == "saddle" and f"{MinimumKind.NON_GLOBAL}" == "non-global"
    assert str([EndpointStatus.VALID]) == "['valid']"


def test_versions_are_the_installed_ones():
    import networkx
    import scipy
    import sympy

    v = dict(versions())
    assert (v["numpy"], v["scipy"], v["sympy"], v["networkx"]) == (np.__version__, scipy.__version__,
                                                                    sympy.__version__, networkx.__version__)
    assert v["python"] == ".".join(map(str, sys.version_info[:3])) and v["phcpy"]


@pytest.mark.parametrize("first", ["import critlcn.lift", "import critlcn"])
def test_the_notebook_api_works_whatever_was_imported_first(first):
    # `critlcn.lift` names a module and a function: calling it must lift in a
    # fresh interpreter whichever was imported first, like the functions do here
    from critlcn.critical import solve
    from critlcn.data import QuadraticLoss
    from critlcn.lift import lift

    arch = Architecture((2, 2))
    loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    direct = lift(arch, loss, solve(arch, loss).points)
    expected = sorted(str(q.type) for p in direct.points for q in p.parameters)
    code = (f"{first}\nimport critlcn, numpy as np\nfrom critlcn.data import QuadraticLoss\n"
            "arch = critlcn.Architecture((2, 2))\n"
            "loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)\n"
            "res = critlcn.lift(arch, loss, critlcn.solve(arch, loss).points)\n"
            "assert isinstance(res, critlcn.LiftResult) and isinstance(res.points[0], critlcn.LiftedPoint)\n"
            "print(sorted(str(q.type) for p in res.points for q in p.parameters))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(expected) and "minimum" in expected


def test_import_critlcn_does_not_load_the_solver():
    code = "import sys, critlcn\nprint(sorted(m for m in sys.modules if m in ('phcpy', 'critlcn.critical', 'critlcn.lift')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_versions_name_the_versions_of_the_imported_modules():
    """`versions` reads distribution metadata for modules not yet loaded; it
    must give what the modules themselves say."""
    import flint
    import networkx
    import scipy
    import sympy

    from critlcn.results import versions

    got = dict(versions())
    assert got["scipy"] == scipy.__version__ and got["sympy"] == sympy.__version__
    assert got["networkx"] == networkx.__version__ and got["python-flint"] == flint.__version__
