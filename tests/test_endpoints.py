"""Tests of critlcn.endpoints on a system that is not a critical system
(``x^3 = 1``), with a tracker whose faults are injected: the repair must
find every root (checked against np.roots) and count what it cannot."""

import numpy as np

from critlcn.endpoints import EndpointStatus, classify_endpoints, repair_paths


class Cubic:
    """``x^3 − 1`` in the interface of `critlcn.systems.Assembled`."""

    def newton(self, X, iters=8):
        X = np.array(X, dtype=complex)
        step = np.full(len(X), np.inf)
        for _ in range(iters):
            with np.errstate(all="ignore"):
                dx = (X**3 - 1) / (3 * X**2)
                X = X - dx
                step = np.abs(dx[:, 0]) / (1 + np.abs(X[:, 0]))
        return X, step, np.ones(len(X))

    def backward_error(self, X):
        X = np.asarray(X, dtype=complex)[:, 0]
        return np.abs(X**3 - 1) / (np.abs(X) ** 3 + 1)


ROOTS = np.sort_complex(np.roots([1.0, 0.0, 0.0, -1.0]))


def _classify(points, known=None, spurious=None):
    return classify_endpoints(Cubic(), points, known=known, spurious=spurious)


def test_classification_of_valid_duplicate_spurious_and_failed_points():
    pts = np.array([[1.0 + 1e-6j], [1.0], [ROOTS[0] * 1.001], [np.nan], [1e9]])
    ends = _classify(pts, spurious=lambda X, cond: (np.abs(X[:, 0].imag) > 0.5) & (X[:, 0].imag < 0))
    assert ends.status == ("valid", "duplicate", "spurious", "failed", "failed")
    assert np.allclose(ends.valid, [[1.0]])
    assert ends.count(EndpointStatus.FAILED) == 2


def _tracker(fail_first: set, jump: dict):
    """Start i reaches root i, except: starts in ``fail_first`` fail on their
    first track; ``jump`` maps a start to the root it wrongly reaches first."""
    seen = set()
    calls = []

    def track(indices, gamma, seed):
        calls.append((list(indices), gamma))
        out = []
        for i in indices:
            first = i not in seen
            seen.add(i)
            if first and i in fail_first:
                out.append([np.nan])
            elif first and i in jump:
                out.append([ROOTS[jump[i]]])
            else:
                out.append([ROOTS[i]])
        return np.array(out, dtype=complex)

    return track, calls


def test_a_failed_path_and_a_path_that_jumped_are_retracked_alone():
    track, calls = _tracker(fail_first={0}, jump={2: 1})
    raw = track([0, 1, 2], 1.0, 0)  # start 2 lands on start 1's root: both are suspect
    out = repair_paths(_classify, track, raw, np.random.default_rng(0), 1.0)
    assert np.allclose(np.sort_complex(out.solutions[:, 0]), ROOTS)
    assert (out.failed, out.spurious, out.paths) == (0, 0, 3)
    # one re-track of the three, alone, along a gamma turned slightly from the first
    assert calls[1][0] == [0, 1, 2] and calls[1][1] != 1.0 and abs(abs(calls[1][1]) - 1) < 1e-12
    assert out.retracked == 3


def test_a_path_that_never_converges_is_reported_failed():
    def track(indices, gamma, seed):
        return np.array([[ROOTS[i]] if i != 1 else [np.nan] for i in indices], dtype=complex)

    raw = track([0, 1, 2], 1.0, 0)
    out = repair_paths(_classify, track, raw, np.random.default_rng(0), 1.0, retries=1, subset_rounds=2)
    assert len(out.solutions) == 2 and out.failed == 1 and out.spurious == 0
    assert out.retracked == 2 + 3  # two single-path rounds, one full re-track


def test_duplicates_are_those_of_the_pairwise_rule_near_the_threshold():
    """The batched search for duplicates (`_Pool`) answers exactly as the
    pairwise rule ‖x − y‖ ≤ DUPLICATE (1 + ‖x‖) over every kept point, also
    for points at the threshold distance and after removals."""
    from critlcn.endpoints import DUPLICATE, _Pool

    rng = np.random.default_rng(3)
    n = 5
    base = rng.normal(size=(40, n)) + 1j * rng.normal(size=(40, n))
    pts = []
    for x in base:
        pts.append(x)
        for f in (0.5, 0.999999, 1.0, 1.000001, 2.0):  # copies at and around the threshold
            u = rng.normal(size=n) + 1j * rng.normal(size=n)
            pts.append(x + u / np.linalg.norm(u) * f * DUPLICATE * (1 + np.linalg.norm(x)))
    order = rng.permutation(len(pts))
    pool, kept, removed = _Pool(n), [], set()

    def pairwise(x):
        return [j for j, y in enumerate(kept)
                if j not in removed and np.sqrt(np.sum(np.abs(x - y) ** 2)) <= DUPLICATE * (1 + np.sqrt(np.sum(np.abs(x) ** 2)))]

    mismatches = 0
    for step, k in enumerate(order):
        x = pts[k]
        got, want = pool.same(x), pairwise(x)
        # the two norms may round differently by an ulp; only such ties may differ
        if got != want:
            d = [abs(np.linalg.norm(x - kept[j]) / (DUPLICATE * (1 + np.linalg.norm(x))) - 1) for j in set(got) ^ set(want)]
            assert max(d) < 1e-12
            mismatches += 1
        if got and step % 3 == 0:
            pool.remove(got[0])
            removed.add(got[0])
        pool.add(x, k)
        kept.append(x)
    assert mismatches <= 2


def test_classification_matches_a_pairwise_reference_on_many_points():
    """Statuses of `classify_endpoints` against a plain pairwise loop (roots of
    x³ = 1 perturbed below and above the duplicate distance)."""
    from critlcn.endpoints import DUPLICATE

    rng = np.random.default_rng(5)
    pts = ROOTS[rng.integers(0, 3, size=300)] + rng.choice([0.0, 1e-12, 1e-3], size=300) * np.exp(2j * np.pi * rng.random(300))
    pts = pts[:, None]
    known = np.array([[ROOTS[1]]])
    ends = _classify(pts, known=known)
    kept, want = [known[0]], []
    for x, ok in zip(ends.points, np.abs(ends.points[:, 0] ** 3 - 1) < 1e-9):
        if not ok or not abs(x[0] ** 3 - 1) / (abs(x[0]) ** 3 + 1) <= 1e-9:
            want.append("failed")
        elif any(abs(x[0] - y[0]) <= DUPLICATE * (1 + abs(x[0])) for y in kept):
            want.append("duplicate")
        else:
            kept.append(x)
            want.append("valid")
    assert ends.status == tuple(want)
    assert ends.count("valid") == 2  # the two roots not already known


class UnitRoots:
    """``x^n − 1`` in the interface of `critlcn.systems.Assembled`."""

    def __init__(self, n):
        self.n = n

    def newton(self, X, iters=8):
        X = np.array(X, dtype=complex)
        step = np.full(len(X), np.inf)
        for _ in range(iters):
            with np.errstate(all="ignore"):
                dx = (X**self.n - 1) / (self.n * X ** (self.n - 1))
                X = X - dx
                step = np.abs(dx[:, 0]) / (1 + np.abs(X[:, 0]))
        return X, step, np.ones(len(X))

    def backward_error(self, X):
        X = np.asarray(X, dtype=complex)[:, 0]
        return np.abs(X**self.n - 1) / (np.abs(X) ** self.n + 1)


def test_a_whole_retrack_goes_in_pieces_and_stops_once_nothing_is_missing():
    """A root that only a fresh gamma reaches: the re-track of every start
    stops after the piece holding the start that reaches it."""
    from critlcn.endpoints import RETRY_PIECES

    n, lost = 160, 5
    roots = np.exp(2j * np.pi * np.arange(n) / n)
    first = 1.0

    def near(gamma):  # the first gamma and the turns of it that re-track lost paths alone
        return abs(np.angle(gamma / first)) < 0.3

    def reaches(i, gamma):  # a fresh gamma permutes which start reaches which root
        return i if near(gamma) else (i + 1 + int(abs(gamma.imag) * 1e6) % (n - 1)) % n

    calls = []

    def track(indices, gamma, seed):
        calls.append((list(indices), gamma))
        return np.array([[np.nan] if near(gamma) and i == lost else [roots[reaches(i, gamma)]] for i in indices])

    def classify(points, known=None):
        return classify_endpoints(UnitRoots(n), points, known=known)

    raw = track(range(n), first, 0)
    out = repair_paths(classify, track, raw, np.random.default_rng(1), first, retries=1, subset_rounds=2)
    assert len(out.solutions) == n and out.failed == 0
    assert np.abs(out.solutions[:, 0][:, None] - roots[None, :]).min(axis=0).max() < 1e-9  # every root found
    fresh = [(idx, g) for idx, g in calls[1:] if not near(g)]
    assert len({g for _, g in fresh}) == 1  # one gamma for the whole re-track
    finder = [i for i in range(n) if reaches(i, fresh[0][1]) == lost]
    assert finder[0] in fresh[-1][0]  # the last piece tracked found the root
    assert all(len(idx) <= -(-n // RETRY_PIECES) for idx, _ in fresh)
    assert sum(len(idx) for idx, _ in fresh) <= n


def test_lost_paths_go_to_fresh_charts_along_the_same_gamma():
    """A path that fails in this chart and in the first other chart reaches
    its root in the second: both chart rounds keep the first gamma (the path
    of filters is the same in every chart), before anything else is tried."""
    n, lost = 40, 3
    roots = np.exp(2j * np.pi * np.arange(n) / n)
    first = np.exp(0.7j)
    charts = []

    def track(indices, gamma, seed):
        return np.array([[np.nan] if i == lost else [roots[i]] for i in indices])

    def track_elsewhere(indices, gamma, seed):
        charts.append(gamma)
        return np.array([[roots[i]] if len(charts) >= 2 or i != lost else [np.nan] for i in indices])

    def classify(points, known=None):
        return classify_endpoints(UnitRoots(n), points, known=known)

    out = repair_paths(classify, track, track(range(n), first, 0), np.random.default_rng(0), first,
                       track_elsewhere=track_elsewhere)
    assert len(out.solutions) == n and out.failed == 0
    assert charts == [first, first]
    assert out.retracked == 2  # two chart rounds of the one lost path
