"""End points of homotopy paths: refine, classify, deduplicate, and repair
failed paths (docs/math.md, "Solving: homotopy continuation").

Nothing here depends on the stratified critical systems: any polynomial
system with the interface of `critlcn.systems.Assembled` (``newton``,
``backward_error``) works, with its own test for spurious solutions (points
that solve the equations but not the problem, e.g. colliding roots of a
chart or ``c = 0``). Path tracking itself is passed in as a function, so the
repair does not care which homotopy produced the paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from critlcn.results import EndpointStatus

__all__ = [
    "Endpoints",
    "classify_endpoints",
    "Repaired",
    "repair_paths",
    "random_gamma",
    "scaled_condition",
    "BACKWARD_ERROR",
    "DIVERGED",
    "CONVERGED",
    "MORE_NEWTON",
    "ROUNDING",
    "DUPLICATE",
    "NEARBY_TURNS",
    "RETRY_PIECES",
]

#: Endpoints with a relative residual above this after Newton did not converge.
BACKWARD_ERROR = 1e-9
#: End points with a coordinate larger than this went to infinity: the random
#: unitary chart puts genuine solutions at moderate coordinates (at most ~70 over
#: every cached start system), while a diverging path can reach a point with a
#: tiny *relative* residual (`phc -b` returned one with t ≈ 2e10, c ≈ 5e-14).
DIVERGED = 1e8
#: A refined end point whose last Newton correction (relative) is above this
#: has not converged onto a nonsingular solution, however small its residual:
#: near an ill-conditioned solution (condition ~1e10 on real data) a point
#: 1e-5 away can have a backward error of 5e-10. Genuine solutions end with
#: corrections below ~1e-10 (measured on realistic data at d = 8).
CONVERGED = 1e-9
#: Backward error at rounding level. An end point with one, whose scaled
#: condition times it is below `CONVERGED`, has converged even when its
#: Newton corrections stay above `CONVERGED`: in a badly scaled chart the
#: equations' terms cancel (a coordinate of 97 to degree 13), so evaluating
#: them is noisy and the corrections stall at that noise (5e-9 at a solution
#: of realistic data, d = 10, scaled condition 3e4, that every other chart
#: refines to 1e-13).
ROUNDING = 1e-13
#: Extra Newton steps for end points that have not converged after the first ones.
MORE_NEWTON = 24
#: Relative distance under which two solutions are the same point.
DUPLICATE = 1e-7
#: Rotations (radians) of gamma for re-tracking failed paths alone.
NEARBY_TURNS = (0.02, -0.05, 0.1, -0.2)
#: Pieces in which a re-track of every path goes, stopping once nothing is missing.
RETRY_PIECES = 8


def scaled_condition(J, X, floor: float = 0.0) -> np.ndarray:
    """Condition numbers of the Jacobians ``J`` (shape ``(m, n, n)``) at the
    points ``X`` (``(m, n)``), columns scaled by ``max(floor, |x_j|)`` (by 1
    where that is 0) and rows normalised; infinite where anything is not finite.

    Charts put genuine solutions at very different scales (a scale ``c`` of
    5e-11 beside roots of size 30 on real data), which makes the raw condition
    number huge without the point being singular. Parameter-space unknowns
    (filter entries) can be exactly 0 at a genuine point, hence ``floor = 1``
    there.

    Examples
    --------
    A genuine point with a coordinate of 1e-9 looks singular without the floor:

    >>> J = np.array([[[1.0, 1.0], [1.0, -1.0]]])
    >>> x = np.array([[1.0, 1e-9]])
    >>> bool(scaled_condition(J, x)[0] > 1e8), round(float(scaled_condition(J, x, floor=1.0)[0]), 6)
    (True, 1.0)
    """
    J = np.asarray(J, dtype=complex)
    X = np.asarray(X, dtype=complex).reshape(J.shape[0], J.shape[2])
    out = np.full(J.shape[0], np.inf)
    ok = np.all(np.isfinite(J.reshape(J.shape[0], -1)), axis=1) & np.all(np.isfinite(X), axis=1)
    if ok.any():
        cols = np.maximum(floor, np.abs(X[ok]))
        Js = J[ok] * np.where(cols > 0, cols, 1.0)[:, None, :]
        rows = np.linalg.norm(Js, axis=2, keepdims=True)
        with np.errstate(all="ignore"):
            out[ok] = np.linalg.cond(Js / np.where(rows > 0, rows, 1.0))
    return out


@dataclass(frozen=True)
class Endpoints:
    """Refined end points of a set of paths, and what became of each.

    ``status[i]`` is an `EndpointStatus`: ``'valid'``, ``'duplicate'`` (same
    point as an earlier valid one), ``'spurious'`` (converged but rejected by
    the problem's own test) or ``'failed'`` (diverged — a coordinate above
    `DIVERGED` — or did not converge: residual above `BACKWARD_ERROR`, or last
    Newton correction above `CONVERGED` while the backward error is above
    `ROUNDING` or the condition times it above `CONVERGED`). ``condition``
    holds the scaled condition numbers (`scaled_condition`) at the points.
    """

    points: np.ndarray
    status: tuple[EndpointStatus, ...]
    condition: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        """The distinct valid solutions."""
        mask = np.array([s == EndpointStatus.VALID for s in self.status], dtype=bool)
        return self.points[mask] if mask.size else self.points

    def count(self, status: str) -> int:
        """How many end points have ``status``."""
        return sum(1 for s in self.status if s == status)


def _same(x, y) -> bool:
    return np.linalg.norm(x - y) <= DUPLICATE * (1 + np.linalg.norm(x))


#: Relative slack of the vectorised pre-selection in `_Pool`: the batched
#: distances round differently from `_same`'s (by a few ulps), so every point
#: within ``DUPLICATE (1 + ‖x‖) (1 + _SLACK)`` is re-checked with `_same`
#: itself, and `_same` alone decides.
_SLACK = 1e-6


class _Pool:
    """Points kept so far (the good end points of `repair_paths`), with a fast
    "which of them is ``_same`` as ``x``".

    The distances to all kept points are computed in one numpy call; only
    the few within a slightly enlarged radius are then judged by `_same`, so
    the answers are exactly those of ``[j for j in kept if _same(x, P[j])]``
    at O(kept) numpy work instead of O(kept) Python calls.
    """

    def __init__(self, n: int, points=()):
        self._P = np.empty((max(8, len(points)), n), dtype=complex)
        self._alive = np.zeros(self._P.shape[0], dtype=bool)
        self._key: list = []
        self.size = 0
        for x in points:
            self.add(x, None)

    def add(self, x, key) -> None:
        if self.size == self._P.shape[0]:
            self._P = np.concatenate([self._P, np.empty_like(self._P)])
            self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
        self._P[self.size] = x
        self._alive[self.size] = True
        self._key.append(key)
        self.size += 1

    def remove(self, slot: int) -> None:
        self._alive[slot] = False

    def same(self, x) -> list[int]:
        """Slots (in insertion order) of the live points ``y`` with ``_same(x, y)``."""
        if not self.size:
            return []
        with np.errstate(all="ignore"):
            d = np.linalg.norm(self._P[:self.size] - x, axis=1)
            near = np.flatnonzero(self._alive[:self.size]
                                  & ~(d > DUPLICATE * (1 + np.linalg.norm(x)) * (1 + _SLACK)))
        return [int(j) for j in near if _same(x, self._P[j])]

    def key(self, slot: int):
        return self._key[slot]


def classify_endpoints(assembled, points, *, spurious: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                       known=None) -> Endpoints:
    """Refine ``points`` with Newton's method and sort them into valid,
    duplicate, spurious and failed.

    Parameters
    ----------
    assembled : critlcn.systems.Assembled
        The system the points should solve: anything with
        ``newton(X, iters=...)`` returning ``(refined, last relative
        correction, scaled condition)`` per point, and ``backward_error(X)``.
    points : array_like, shape (S, n)
        Raw end points.
    spurious : callable, optional
        ``spurious(X, condition)`` (rows: refined solutions, with their
        scaled condition numbers from ``newton``) is True where a solution
        does not solve the problem (default: none is); one call for all.
    known : array_like, optional
        Already accepted solutions: points equal to one of them are duplicates.

    Examples
    --------
    >>> from critlcn.systems import critical_system, default_chart, random_parameters
    >>> a = critical_system(default_chart((1, 1))).assemble(random_parameters(2, np.random.default_rng(0)))
    >>> classify_endpoints(a, np.zeros((1, 3))).status
    ('failed',)
    """
    X = np.atleast_2d(np.asarray(points, dtype=complex))
    status = []
    cond = np.full(X.shape[0], np.inf)
    if X.shape[0] == 0 or X.size == 0:
        return Endpoints(X, (), cond)
    finite = np.all(np.isfinite(X), axis=1)
    Xr = X.copy()
    step = np.full(X.shape[0], np.inf)
    if np.any(finite):
        with np.errstate(all="ignore"):
            ref, stp, cnd = assembled.newton(X[finite])
        Xr[finite], step[finite], cond[finite] = ref, stp, cnd
        slow = np.flatnonzero(finite & ~(step <= CONVERGED))
        if slow.size:  # linear convergence near an ill-conditioned solution: give it time
            with np.errstate(all="ignore"):
                ref, stp, cnd = assembled.newton(Xr[slow], iters=MORE_NEWTON)
            Xr[slow], step[slow], cond[slow] = ref, stp, cnd
    with np.errstate(all="ignore"):
        err = assembled.backward_error(Xr)
    known = np.zeros((0, X.shape[1]), complex) if known is None else np.asarray(known, dtype=complex)
    kept = known.reshape(-1, X.shape[1])[np.all(np.isfinite(known.reshape(-1, X.shape[1])), axis=1)]
    # accepted points, in a buffer with room for all (one vectorised distance test per point)
    buf = np.empty((max(16, 2 * len(kept) + X.shape[0]), X.shape[1]), dtype=complex)
    buf[: len(kept)] = kept
    m = len(kept)
    with np.errstate(invalid="ignore"):
        converged = (step <= CONVERGED) | ((err <= ROUNDING) & (cond * err <= CONVERGED))
        ok = (finite & np.all(np.isfinite(Xr), axis=1) & (err <= BACKWARD_ERROR) & converged
              & (np.max(np.abs(Xr), axis=1) <= DIVERGED))
    bad = np.zeros(X.shape[0], dtype=bool)
    if spurious is not None and ok.any():
        bad[ok] = np.asarray(spurious(Xr[ok], cond[ok]), dtype=bool)
    for i, x in enumerate(Xr):
        if not ok[i]:
            status.append(EndpointStatus.FAILED)
        elif bad[i]:
            status.append(EndpointStatus.SPURIOUS)
        elif m and np.min(np.linalg.norm(buf[:m] - x, axis=1)) <= DUPLICATE * (1 + np.linalg.norm(x)):
            status.append(EndpointStatus.DUPLICATE)  # the test of _same, against every accepted point at once
        else:
            buf[m] = x
            m += 1
            status.append(EndpointStatus.VALID)
    return Endpoints(Xr, tuple(status), cond)


def random_gamma(rng: np.random.Generator) -> complex:
    """A random complex number of modulus one (the gamma trick).

    Examples
    --------
    >>> round(abs(random_gamma(np.random.default_rng(0))), 12)
    1.0
    """
    angle = rng.uniform(0, 2 * np.pi)
    return complex(np.cos(angle), np.sin(angle))


@dataclass(frozen=True)
class Repaired:
    """The distinct valid end points of a set of paths after repair, and how
    many paths stayed unaccounted for."""

    solutions: np.ndarray
    paths: int
    spurious: int
    failed: int
    retracked: int


def repair_paths(classify: Callable[..., Endpoints], track: Callable, raw, rng: np.random.Generator,
                 gamma: complex, *, retries: int = 3, subset_rounds: int = 6,
                 track_elsewhere: Callable | None = None, elsewhere_rounds: int = 3) -> Repaired:
    """Classify the end points ``raw`` of ``paths = len(raw)`` start paths
    (tracked with ``gamma``) and repair failures.

    ``classify(points, known=None)`` sorts end points (`classify_endpoints`
    with the system bound); ``track(indices, gamma, seed)`` tracks
    the start solutions ``indices`` again and returns raw end points.

    Which start solution reaches which end point depends on ``gamma``. When
    two paths end at the same point one of them jumped and nothing says
    which, so both count as lost. Lost paths are first tracked in other
    charts, up to ``elsewhere_rounds`` times, when
    ``track_elsewhere(indices, gamma, seed)`` is given (it returns end points
    in this chart's coordinates), along the same gamma, each time in a fresh
    chart: a solution close to a chart's boundary is a path to infinity there
    and an ordinary one elsewhere, and the path of filters is the same in
    every chart (realistic data, d = 9: two rounds found 5 of the 6 lost
    solutions of a stratum, where a turned gamma in the second round had
    found none, and the sixth took a partial re-track of every path). Then
    they are re-tracked alone, up to ``subset_rounds`` times, first with
    gammas slightly turned from ``gamma`` (`NEARBY_TURNS`), then with fresh
    ones (a new gamma can change where a path ends, so such a round finds a
    missing solution or lands on a known one; it costs a few paths, not all
    of them). If solutions are still missing, all paths are
    re-tracked with a fresh gamma (in random order, in `RETRY_PIECES`
    pieces, stopping as soon as none is missing), up to ``retries`` times.
    The distinct valid end points of
    all attempts are pooled; paths never accounted for are reported as
    failed (or spurious).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> roots = np.array([[1.0 + 0j], [-1.0 + 0j]])          # x^2 = 1
    >>> system = SimpleNamespace(newton=lambda X, iters=8: (X, np.zeros(len(X)), np.ones(len(X))),
    ...                          backward_error=lambda X: np.abs(X[:, 0] ** 2 - 1))
    >>> classify = lambda pts, known=None: classify_endpoints(system, pts, known=known)
    >>> track = lambda idx, g, seed: roots[idx]   # a tracker that works the second time
    >>> out = repair_paths(classify, track, np.array([[1.0 + 0j], [np.nan]]), np.random.default_rng(0), 1.0)
    >>> sorted(out.solutions[:, 0].real.tolist()), out.failed, out.retracked
    ([-1.0, 1.0], 0, 1)
    """
    raw = np.atleast_2d(np.asarray(raw, dtype=complex))
    paths, n = raw.shape

    def seed() -> int:
        return int(rng.integers(2**31 - 1))

    def sort_out(points):
        """Valid end points and the status of the others, by start index."""
        ends = classify(points)
        good: dict[int, np.ndarray] = {}
        bad: dict[int, str] = {}
        slots = _Pool(n)  # the points of `good`, in its order
        for i, (x, status) in enumerate(zip(ends.points, ends.status)):
            if status in (EndpointStatus.VALID, EndpointStatus.DUPLICATE):
                clash = slots.same(x)
                if clash:
                    for slot in clash:
                        j = slots.key(slot)
                        slots.remove(slot)
                        del good[j]
                        bad[j] = EndpointStatus.FAILED
                    bad[i] = EndpointStatus.FAILED
                else:
                    good[i] = x
                    slots.add(x, i)
            else:
                bad[i] = status
        return good, bad

    # No re-track in double double: in the packaged PHCpack 2.4.86 that
    # tracker returns the start solutions of any system in two or more
    # unknowns unchanged (t = 0), so it never repaired a path.
    good, bad = sort_out(raw)
    retracked = 0
    pool = np.array(list(good.values())).reshape(-1, n)
    rounds = 0
    while track_elsewhere is not None and len(pool) < paths and bad and rounds < elsewhere_rounds:
        # the first gamma again: the path of filters is the same in every chart, only its
        # coordinates change, so the start that missed its solution here reaches it there
        rounds += 1
        lost = sorted(bad)
        retracked += len(lost)
        ends = classify(track_elsewhere(lost, gamma, seed()), known=pool)
        pool = np.concatenate([pool, ends.valid])
        bad = {j: s for j, s in zip(lost, ends.status) if s != EndpointStatus.VALID}
    rounds = 0
    while len(pool) < paths and bad and rounds < subset_rounds:
        # a gamma near the first keeps (mostly) which start reaches which end
        # while moving the path off whatever made it fail; later rounds use
        # unrelated gammas
        turn = NEARBY_TURNS[rounds] if rounds < len(NEARBY_TURNS) else None
        rounds += 1
        g = gamma * np.exp(1j * turn) if turn is not None else random_gamma(rng)
        lost = sorted(bad)
        retracked += len(lost)
        ends = classify(track(lost, g, seed()), known=pool)
        pool = np.concatenate([pool, ends.valid])
        bad = {j: s for j, s in zip(lost, ends.status) if s != EndpointStatus.VALID}
    attempt = 0
    while len(pool) < paths and attempt < retries:
        # Every start again with one fresh gamma, whose end points are all the
        # solutions again. Nothing says which start reaches a missing one, so
        # they go in random order, in pieces, until none is missing: about
        # half the paths when one solution is missing (realistic data, d = 9:
        # 2 of 490 lost, two whole re-tracks were 75% of that stratum's time).
        attempt += 1
        g, order = random_gamma(rng), rng.permutation(paths)
        bad = {}
        for piece in np.array_split(order, max(1, min(RETRY_PIECES, paths // 16))):
            if len(pool) >= paths:
                break
            idx = sorted(int(i) for i in piece)
            retracked += len(idx)
            ends = classify(track(idx, g, seed()), known=pool)
            pool = np.concatenate([pool, ends.valid])
            bad.update({j: s for j, s in zip(idx, ends.status)
                        if s not in (EndpointStatus.VALID, EndpointStatus.DUPLICATE)})
    missing = max(0, paths - len(pool))
    spurious = min(missing, sum(1 for s in bad.values() if s == EndpointStatus.SPURIOUS))
    return Repaired(pool, paths, spurious, missing - spurious, retracked)
