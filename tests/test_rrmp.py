import numpy as np
import pytest
from hypothesis import given, strategies as st

from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP, degenerations, enumerate_rrmps, partitions, region


def generating_function_counts(n_max):
    """Coefficients of Π 1/(1-x^n) · Π 1/(1-x^{2n}): ρ any partition, γ counted twice."""
    coeffs = np.zeros(n_max + 1, dtype=object)
    coeffs[0] = 1
    for step in [n for n in range(1, n_max + 1)] + [2 * n for n in range(1, n_max // 2 + 1)]:
        for i in range(step, n_max + 1):
            coeffs[i] += coeffs[i - step]
    return [int(c) for c in coeffs]


def test_rrmp_counts_match_generating_function():
    expected = generating_function_counts(30)
    for d in range(0, 31):
        rows = enumerate_rrmps(d)
        assert len(rows) == expected[d], d
        assert len(set(rows)) == len(rows)
        assert all(r.degree == d for r in rows)


def test_partition_counts():
    # p(n) for n = 0..15 (OEIS A000041)
    known = [1, 1, 2, 3, 5, 7, 11, 15, 22, 30, 42, 56, 77, 101, 135, 176]
    assert [len(partitions(n)) for n in range(16)] == known


def test_paper_row_order(reference):
    rows = reference["compatibility_paper"]["rows"]
    assert [str(r) for r in enumerate_rrmps(4)] == rows


def test_regions_match_reference(reference):
    regions = reference["compatibility_paper"]["regions_e2"]
    for text, expected in regions.items():
        assert region(RRMP.parse(text), 2) == expected, text


def test_filling_architectures_are_all_interior():
    assert {region(r, e) for r in enumerate_rrmps(5) for e in (0, 1)} == {"interior"}


parts = st.lists(st.integers(min_value=1, max_value=14), max_size=6)


@given(parts, parts)
def test_format_parse_round_trip(rho, gamma):
    r = RRMP(tuple(rho), tuple(gamma))
    text = str(r)
    assert RRMP.parse(text) == r
    assert str(RRMP.parse(text)) == text
    assert ("," in text) == any(p >= 10 for p in rho + gamma)


@given(parts, parts)
def test_partition_and_dimension(rho, gamma):
    r = RRMP(tuple(rho), tuple(gamma))
    assert sum(r.partition) == r.degree
    assert r.dimension == len(r.partition) + 1


@pytest.mark.parametrize("bad", ["", "11", "1|1|1", "a|0", "1x|0", "0|-1", "1,,2|0"])
def test_parse_rejects_garbage(bad):
    with pytest.raises(CritlcnError):
        RRMP.parse(bad)


def test_degenerations_follow_the_four_moves():
    # two reals merge; pair collapses; pair lands on a real root (MATH.md §2)
    assert degenerations(RRMP.parse("11|1")) == {RRMP.parse("2|1"), RRMP.parse("112|0"), RRMP.parse("13|0")}
    # two pairs merge, or either collapses
    assert degenerations(RRMP.parse("0|11")) == {RRMP.parse("0|2"), RRMP.parse("2|1")}
    for d in range(1, 9):
        for r in enumerate_rrmps(d):
            for s in degenerations(r):
                assert s.degree == d and s.dimension < r.dimension
