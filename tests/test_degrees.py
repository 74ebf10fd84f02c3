"""Exact counts (MATH.md §10) checked against independent facts: the reference
table, the closed forms of MATH.md §6, the Segre values of §10, brute-force
0/1 matrices, the balls-in-bins counts of `critlcn.compatibility`, and the
cached start systems (built by monodromy, without these counts)."""

import itertools
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critlcn.architecture import Architecture
from critlcn.compatibility import count_assignments
from critlcn.degrees import (
    architecture_breakdown,
    assignment_count,
    conjugate,
    dominates,
    ed_degree,
    ed_degrees,
    segre_ed_degree,
)
from critlcn.errors import CritlcnError
from critlcn.rrmp import RRMP


def _key(lam):
    return "-".join(map(str, lam))


def test_every_reference_ed_degree_is_reproduced(reference):
    table = reference["ed_degrees"]["degrees"]
    assert set(table) >= {str(d) for d in range(1, 9)}
    for d, values in table.items():
        computed = {_key(lam): v for lam, v in ed_degrees(int(d)).items()}
        assert computed == values, d


@pytest.mark.parametrize("d", range(1, 21))
def test_closed_forms_of_section_6(d):
    ed = ed_degrees(d)
    assert ed[(d,)] == 3 * d - 2 or d == 1
    assert ed[(1,) * d] == 1
    if d >= 2:
        assert ed[(2,) + (1,) * (d - 2)] == 3 * d - 2


@pytest.mark.parametrize("ns, value", [
    ((1, 1), 6), ((1, 2), 10), ((2, 2), 39), ((1, 1, 1), 34), ((3, 1), 14), ((2, 1, 1), 100),
    ((3, 3), 284), ((4,), 1), ((0,), 1),
])
def test_segre_values_of_section_10(ns, value):
    assert segre_ed_degree(ns) == value


@pytest.mark.parametrize("d, total", [(9, 11600), (10, 34864)])
def test_sums_of_section_10(d, total):
    assert sum(ed_degrees(d).values()) == total


def test_named_values_of_section_10():
    assert ed_degree((4, 3, 2, 1)) == 3476
    assert ed_degree((3, 2, 2, 2, 1)) == 3708


def _brute_n(lam, mu):
    """0/1 matrices with row sums lam and column sums mu, by listing rows."""
    cols = len(mu)
    rows = [list(itertools.combinations(range(cols), r)) for r in lam]
    count = 0
    for choice in itertools.product(*rows):
        sums = [0] * cols
        for row in choice:
            for c in row:
                sums[c] += 1
        count += sums == list(mu)
    return count


partition = st.lists(st.integers(1, 4), min_size=1, max_size=4)


@given(partition, st.data())
@settings(max_examples=60, deadline=None)
def test_assignment_count_matches_brute_force_and_is_symmetric(lam, data):
    d = sum(lam)
    mu = data.draw(st.lists(st.integers(1, d), min_size=1, max_size=4).filter(lambda m: sum(m) == d)
                   | st.just([d]))
    n = assignment_count(lam, mu)
    assert n == _brute_n(lam, mu)
    assert n == assignment_count(mu, lam)
    # Gale-Ryser: non-zero exactly when λ ≤ μ' in dominance order
    assert (n > 0) == dominates(conjugate(mu), lam)


@given(partition)
@settings(max_examples=60, deadline=None)
def test_n_of_lambda_and_its_conjugate_is_one(lam):
    assert assignment_count(lam, conjugate(lam)) == 1
    assert conjugate(conjugate(lam)) == tuple(sorted(lam, reverse=True))


@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), st.randoms())
@settings(max_examples=40, deadline=None)
def test_segre_number_does_not_depend_on_the_order_of_layers(ns, rnd):
    shuffled = list(ns)
    rnd.shuffle(shuffled)
    assert segre_ed_degree(ns) == segre_ed_degree(shuffled)


def _stride_one_architectures(max_degree):
    seen = set()
    for L in range(1, max_degree + 1):
        for bins in itertools.product(range(1, max_degree + 1), repeat=L):
            if sum(bins) <= max_degree and tuple(sorted(bins)) not in seen:
                seen.add(tuple(sorted(bins)))
                yield Architecture(tuple(b + 1 for b in bins))


def test_identity_with_balls_in_bins_counts_and_cached_start_systems():
    """For every stride-one architecture with d <= 8: Σ_λ (labelled assignments
    of (λ|0) from the compatibility module) × (solutions in the cached start
    system of λ, built by monodromy) = the Segre number."""
    from critlcn.startsystems import load_start

    cached = {}
    archs = list(_stride_one_architectures(8))
    assert len(archs) == sum(1 for d in range(1, 9) for _ in _partitions_of(d))
    for arch in archs:
        total = 0
        for lam in _partitions_of(arch.degree):
            n = count_assignments(RRMP(tuple(sorted(lam)), ()), arch)
            if n:
                if lam not in cached:
                    start = load_start(lam)
                    assert start is not None, f"no cached start system for {lam}"
                    cached[lam] = start.count
                total += n * cached[lam]
        assert total == segre_ed_degree(tuple(k - 1 for k in arch.k)), arch


def _partitions_of(d):
    return [lam for lam in ed_degrees(d)]


def test_breakdown_sums_to_the_segre_number():
    for bins in [(2, 1, 1), (3, 1), (1, 1, 1, 1, 1), (4, 3, 2, 1), (2, 2, 2, 2, 2)]:
        rows = architecture_breakdown(bins)
        assert sum(n * e for _, n, e in rows) == segre_ed_degree(bins)
        assert all(n == assignment_count(lam, bins) for lam, n, _ in rows)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, 10 ** 6])
def test_bad_degrees_are_rejected(bad):
    with pytest.raises(CritlcnError):
        ed_degrees(bad)


def test_bad_segre_and_assignment_input_is_rejected():
    with pytest.raises(CritlcnError):
        segre_ed_degree(())
    with pytest.raises(CritlcnError):
        segre_ed_degree((1, -1))
    with pytest.raises(CritlcnError):
        assignment_count((2, 1), (2, 2))


def test_binomial_sanity_of_n():
    # one column of capacity r over rows of 1s: choose which rows, C(n, r) ways
    for n in range(1, 7):
        for r in range(1, n + 1):
            assert assignment_count((1,) * n, (r, n - r) if r < n else (n,)) == comb(n, r)
