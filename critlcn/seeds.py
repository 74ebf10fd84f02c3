"""Seeds: every random choice of critlcn flows from one non-negative integer.

numpy seeds generators from non-negative integers only; a negative seed is
refused with a message (rather than mapped to another number, which would
make two different seeds give one run).
"""

from __future__ import annotations

import numpy as np

from critlcn.errors import CritlcnError

__all__ = ["check_seed", "generator"]


def check_seed(seed, *, name: str = "seed") -> int:
    """``seed`` as an int, or a `CritlcnError` when it is not a whole number ``>= 0``.

    Examples
    --------
    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    critlcn.errors.CritlcnError: `seed` must be a whole number >= 0 (numpy seeds are non-negative), got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CritlcnError(f"`{name}` must be a whole number >= 0 (numpy seeds are non-negative), got {seed!r}",
                           parameter=name)
    return int(seed)


def generator(seed, *, name: str = "seed") -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` after `check_seed`.

    Examples
    --------
    >>> float(generator(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    return np.random.default_rng(check_seed(seed, name=name))
