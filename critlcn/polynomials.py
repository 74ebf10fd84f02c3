"""Filters as binary forms (docs/math.md, "Filters and binary forms"): one
namespace for the names of `critlcn.convolution` (convolution, end-to-end
filters, Toeplitz layers) and `critlcn.roots` (roots, rrmp of a numerical
form), which hold the implementations.

Convention: a filter ``v ∈ R^n`` is the binary form
``π(v) = Σ_j v[j] x^{n-1-j} y^j``. A root ``(x : y)`` of a form is reported as
the complex number ``z = x / y`` (``inf`` for the root ``(1 : 0)``, which
appears when the leading coefficient vanishes).

Examples
--------
>>> str(rrmp_of_form(convolve([1.0, -1.0], [1.0, -1.0], [1.0, 2.0])))
'12|0'
"""

from __future__ import annotations

from critlcn.convolution import convolve, end_to_end, toeplitz
from critlcn.roots import closest_pair, form_from_roots, form_roots, root_clusters, rotate_form, rrmp_of_form

__all__ = [
    "convolve",
    "end_to_end",
    "toeplitz",
    "form_from_roots",
    "form_roots",
    "rotate_form",
    "closest_pair",
    "root_clusters",
    "rrmp_of_form",
]
