"""critlcn: every critical point of a linear convolutional network's square loss.

See ``MATH.md`` (Kohn, Merkh, Montúfar, Trager, *Geometry of Linear
Convolutional Networks*, 2022) for the mathematics implemented here.
"""

__version__ = "0.1.0"

from critlcn.errors import CritlcnError  # noqa: E402
from critlcn.architecture import Architecture  # noqa: E402
from critlcn.rrmp import RRMP, enumerate_rrmps, partitions  # noqa: E402

__all__ = ["CritlcnError", "Architecture", "RRMP", "enumerate_rrmps", "partitions", "__version__"]
