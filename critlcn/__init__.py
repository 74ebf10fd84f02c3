"""critlcn: every critical point of a linear convolutional network's square loss.

See ``docs/math.md`` (after Kohn, Merkh, Montúfar, Trager, *Geometry of Linear
Convolutional Networks*, 2022) for the mathematics implemented here.

The notebook API: `Architecture`, `solve` (function-space critical points),
`lift` (their parameter-space points), the result types of `critlcn.results`
and `CritlcnError`. The solver and the lifting are imported on first use, so
``import critlcn`` stays cheap for the command line.

Examples
--------
>>> import numpy as np, critlcn
>>> from critlcn.data import QuadraticLoss
>>> arch = critlcn.Architecture((2, 2))
>>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
>>> res = critlcn.solve(arch, loss)
>>> lifted = critlcn.lift(arch, loss, res.points)
>>> isinstance(lifted, critlcn.LiftResult), lifted.best_loss() < 1e-12
(True, True)
"""

__version__ = "0.1.0"

from critlcn.errors import CritlcnError  # noqa: E402
from critlcn.architecture import Architecture  # noqa: E402
from critlcn.rrmp import RRMP, enumerate_rrmps, partitions  # noqa: E402

# name -> module, imported when the name is first used
_LAZY = {
    "solve": "critlcn.critical",
    "lift": "critlcn.lift",
    "StratumStats": "critlcn.results",
    "CriticalPoint": "critlcn.results",
    "SolveResult": "critlcn.results",
    "ParameterPoint": "critlcn.results",
    "LiftedPoint": "critlcn.results",
    "LiftResult": "critlcn.results",
    "ZeroSet": "critlcn.results",
    "EndpointStatus": "critlcn.results",
    "HessianType": "critlcn.results",
    "MinimumKind": "critlcn.results",
    "Scaling": "critlcn.results",
}

__all__ = ["CritlcnError", "Architecture", "RRMP", "enumerate_rrmps", "partitions", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        if name != "lift":  # importing critlcn.lift left the (callable) module here: keep it
            globals()[name] = value
        return globals().get(name, value)
    raise AttributeError(f"module 'critlcn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
