import itertools
from collections import defaultdict

import pytest

from critlcn.architecture import Architecture
from critlcn.compatibility import (
    compatibility_table,
    count_assignments,
    example_pattern,
    is_compatible,
    assignment_orbits,
    labelled_assignments,
    patterns,
    stratum_info,
    stratum_infos,
)
from critlcn.rrmp import RRMP, enumerate_rrmps


def small_architectures(max_layers=4, max_degree=8):
    """Every ordered architecture with 1..max_layers layers and 1 <= d <= max_degree
    (filter sizes >= 2, plus a few with a size-1 layer)."""
    out = []
    for L in range(1, max_layers + 1):
        for bins in itertools.product(range(1, max_degree + 1), repeat=L):
            if sum(bins) <= max_degree:
                out.append(Architecture(tuple(b + 1 for b in bins)))
    out += [Architecture((1, 3, 2)), Architecture((2, 1, 1, 3))]
    return out


def brute_force(r: RRMP, arch: Architecture):
    """Every way to give each concrete factor a set of distinct layers, kept when
    every layer's degree comes out right. Returns labelled assignments and, per
    orbit (the multiset of layer sets per colour type), the paper-order string."""
    names = [f"p{i + 1}" for i in range(len(r.rho))] + [f"q{j + 1}" for j in range(len(r.gamma))]
    mults = list(r.rho) + list(r.gamma)
    sizes = [1] * len(r.rho) + [2] * len(r.gamma)
    types = [("p", m) for m in r.rho] + [("q", g) for g in r.gamma]
    L = arch.layers
    valid = []
    for choice in itertools.product(*[itertools.combinations(range(L), m) for m in mults]):
        load = [0] * L
        for subset, size in zip(choice, sizes):
            for b in subset:
                load[b] += size
        if tuple(load) == arch.bins:
            valid.append(choice)
    orbits = defaultdict(list)
    for choice in valid:
        key = tuple(sorted((t, subset) for t, subset in zip(types, choice)))
        orbits[key].append(choice)

    def layer_key(choice):
        return tuple(
            tuple(sorted((0 if names[c][0] == "p" else 1, int(names[c][1:])) for c in range(len(names)) if b in choice[c]))
            for b in range(L)
        )

    def text(choice):
        layers = []
        for b in range(L):
            facs = sorted((c for c in range(len(names)) if b in choice[c]),
                          key=lambda c: (names[c][0], int(names[c][1:])))
            layers.append("".join(names[c] for c in facs) or "1")
        return "·".join(layers)

    reps = sorted((min(members, key=layer_key) for members in orbits.values()), key=layer_key)
    return valid, [text(c) for c in reps]


@pytest.mark.parametrize("arch", small_architectures(), ids=lambda a: ",".join(map(str, a.k)))
def test_against_brute_force(arch):
    for r in enumerate_rrmps(arch.degree):
        valid, orbit_patterns = brute_force(r, arch)
        assert count_assignments(r, arch) == len(valid), r
        assert is_compatible(r, arch) == bool(valid), r
        assert list(patterns(r, arch)) == orbit_patterns, r
        assert example_pattern(r, arch) == (orbit_patterns[0] if valid else None)
        assert sorted(labelled_assignments(r, arch)) == sorted(valid), r


@pytest.mark.parametrize("arch", small_architectures(max_layers=5, max_degree=7), ids=lambda a: ",".join(map(str, a.k)))
def test_assignment_orbits_against_brute_force(arch):
    # orbits of the brute-force labelled assignments under permuting layers of equal size
    def key(choice):
        holds = [frozenset(c for c, subset in enumerate(choice) if b in subset) for b in range(arch.layers)]
        return tuple(tuple(sorted(tuple(sorted(holds[b])) for b in range(arch.layers) if arch.k[b] == size))
                     for size in sorted(set(arch.k)))

    for r in enumerate_rrmps(arch.degree):
        valid, _ = brute_force(r, arch)
        expected = defaultdict(int)
        for choice in valid:
            expected[key(choice)] += 1
        found = list(assignment_orbits(r, arch))
        assert sorted((key(a), n) for a, n in found) == sorted(expected.items()), r
        assert all(a in valid for a, _ in found), r


def test_paper_table_exactly(reference):
    ref = reference["compatibility_paper"]
    archs = [Architecture(tuple(int(x) for x in key.split(","))) for key in ref["architectures"]]
    rows, cols = compatibility_table(archs)
    assert [str(r) for r in rows] == ref["rows"]
    for arch, key in zip(archs, ref["architectures"]):
        assert list(cols[arch]) == ref["architectures"][key]
        for r, expected in zip(rows, ref["regions_e2"].values()):
            assert stratum_info(r, arch).region == ref["regions_e2"][str(r)]


def test_compatible_strata_lie_in_the_function_space():
    # every odd-degree layer needs a real root, so compatible => at least e real roots
    for arch in small_architectures(max_layers=3, max_degree=7):
        for r in enumerate_rrmps(arch.degree):
            if is_compatible(r, arch):
                assert r.real_roots >= arch.e


def test_parallel_infos_equal_serial():
    arch = Architecture((5, 5, 5, 5, 4))  # d = 19: 2 298 rrmps, enough to split
    assert stratum_infos(arch, 3, jobs=2) == stratum_infos(arch, 3, jobs=1)
    assert len(stratum_infos(arch, 3, jobs=2)) >= 2000


def test_truncated_patterns_are_a_prefix():
    arch = Architecture((3, 3, 3, 3))
    r = RRMP.parse("11111111|0")
    everything = patterns(r, arch)
    info = stratum_info(r, arch, max_patterns=2)
    assert info.patterns == everything[:2] and info.patterns_truncated == (len(everything) > 2)
