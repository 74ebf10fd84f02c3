"""Initialisations of prescribed rrmp (issue 16): the product of the layers
has exactly the requested pattern, checked by the numeric classifier of
`critlcn.polynomials` (root clustering of the end-to-end form), which does
not know how the layers were built."""

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.compatibility import is_compatible
from critlcn.errors import CritlcnError
from critlcn.initialisation import ROOT_DISTRIBUTIONS, gaussian_init, initialise, parse_init_type, rrmp_init
from critlcn.polynomials import end_to_end, rrmp_of_form
from critlcn.rrmp import RRMP, enumerate_rrmps, region


def _interior_compatible(arch):
    return [r for r in enumerate_rrmps(arch.degree) if is_compatible(r, arch) and region(r, arch.e) == "interior"]


@pytest.mark.parametrize("k", [(4, 2), (3, 2, 2), (2, 2, 2, 2), (3, 3), (3, 3, 2)])
@pytest.mark.parametrize("roots", ROOT_DISTRIBUTIONS)
def test_every_draw_has_the_requested_rrmp(k, roots):
    arch = Architecture(k)
    types = _interior_compatible(arch)
    assert types
    rng = np.random.default_rng(hash((k, roots)) % 2**32)
    for r in types:
        init = rrmp_init(arch, r, 60, rng, roots=roots, scale=0.7)
        assert [f.shape for f in init] == [(60, ki) for ki in k]
        got = {str(rrmp_of_form(end_to_end([f[i] for f in init]))) for i in range(60)}
        assert got == {str(r)}, (str(r), roots, got)
        # the stated scale: layer i has norm init_scale·√k_i
        for f, ki in zip(init, k):
            assert np.allclose(np.linalg.norm(f, axis=1), 0.7 * np.sqrt(ki))


def test_repeated_roots_sit_in_different_layers():
    """22|0 on k=(3,2,2) has one assignment up to relabelling, p1p2·p1·p2:
    each double root sits in two different layers, never twice in one."""
    arch = Architecture((3, 2, 2))
    rng = np.random.default_rng(3)
    init = rrmp_init(arch, RRMP.parse("22|0"), 200, rng)
    # 22|0 on (3,2,2): the quadratic layer holds both roots once, the two linear layers one each
    for i in range(200):
        w1, w2, w3 = (f[i] for f in init)
        assert str(rrmp_of_form(w1)) == "11|0"
        a, b = np.roots(w2)[0], np.roots(w3)[0]
        assert abs(a - b) > 1e-6  # layers 2 and 3 hold different roots
        assert min(abs(np.roots(w1) - a)) < 1e-6 and min(abs(np.roots(w1) - b)) < 1e-6


def test_gaussian_init_is_the_default_and_seeded():
    arch = Architecture((3, 2, 2))
    a = initialise(arch, 5, np.random.default_rng(4))
    b = gaussian_init(arch, 5, np.random.default_rng(4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    c = initialise(arch, 5, np.random.default_rng(4), init_type="11|1", roots="gaussian")
    d = initialise(arch, 5, np.random.default_rng(4), init_type="11|1", roots="gaussian")
    e = initialise(arch, 5, np.random.default_rng(5), init_type="11|1", roots="gaussian")
    assert all(np.array_equal(x, y) for x, y in zip(c, d))
    assert not all(np.array_equal(x, y) for x, y in zip(c, e))


@pytest.mark.parametrize("text,words", [
    ("22|0", "cannot factor"),      # incompatible with (4,2)
    ("0|11", "cannot factor"),      # exterior and incompatible
    ("2|1", "boundary"),            # compatible, on the boundary
    ("111|0", "degree 3"),
    ("1111", "rrmp such as"),
    ("normal", "rrmp such as"),
])
def test_unusable_init_types(text, words):
    with pytest.raises(CritlcnError, match=words):
        parse_init_type(text, Architecture((4, 2)))
    with pytest.raises(CritlcnError):
        initialise(Architecture((4, 2)), 3, np.random.default_rng(0), init_type=text)


def test_bad_root_distribution_and_scale():
    arch = Architecture((4, 2))
    with pytest.raises(CritlcnError, match="roots"):
        rrmp_init(arch, RRMP.parse("1111|0"), 2, np.random.default_rng(0), roots="cauchy")
    with pytest.raises(CritlcnError, match="scale"):
        rrmp_init(arch, RRMP.parse("1111|0"), 2, np.random.default_rng(0), scale=0.0)
