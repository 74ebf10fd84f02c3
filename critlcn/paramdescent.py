"""Gradient descent on ``L = ℓ ∘ μ`` for any architecture (strides,
D-dimensional filters, stride one), each limit classified as a smooth
interior point of the function space or not (rank of the Jacobian of ``μ``)
and checked against the parameter-space solver's list (MATH.md §8, §9).

The headline contrast (MATH.md §9): with all inner strides above one, limits
with positive loss are smooth interior points; with stride one they sit on
lower strata, where layers share roots and ``μ``'s Jacobian drops rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critlcn.architecture import Architecture
from critlcn.data import QuadraticLoss, quadratic_loss, synth
from critlcn.convolution import network_filter, network_jacobian, terms
from critlcn.errors import CritlcnError

__all__ = ["descend", "descend_batch", "jacobian_rank", "Limit", "DescentExperiment", "experiment"]

#: Relative singular value under which the Jacobian of ``μ`` at a limit of
#: gradient descent counts as rank deficient (limits are accurate to ~1e-9 in
#: the gradient; near a lower stratum the convergence is slow, so the cut is loose).
RANK_TOL = 1e-5
#: Relative distance under which a limit equals a listed critical point.
MATCH_TOL = 1e-4


def _split(arch, theta):
    theta = np.asarray(theta)
    cuts = np.cumsum([0] + list(arch.layer_entries))
    return [theta[cuts[i] : cuts[i + 1]] for i in range(arch.layers)]


def _values_and_gradients(arch: Architecture, Q, b, c0, theta):
    """``L`` and its gradient for a batch: ``theta`` (R, n), each run with its
    own quadratic loss ``(Q[r], b[r], c0[r])``, from the monomials of ``μ``
    (`critlcn.convolution.terms`)."""
    idx, target = terms(arch)
    cuts = np.cumsum([0] + list(arch.layer_entries))
    R = theta.shape[0]
    vals = np.stack([theta[:, cuts[i] + idx[:, i]] for i in range(arch.layers)], axis=2)  # (R, T, L)
    # products of all factors but one, by prefix and suffix products (no division by zero)
    ones = np.ones((R, vals.shape[1], 1))
    pre = np.cumprod(np.concatenate([ones, vals[:, :, :-1]], axis=2), axis=2)
    suf = np.cumprod(np.concatenate([ones, vals[:, :, ::-1][:, :, :-1]], axis=2), axis=2)[:, :, ::-1]
    excl = pre * suf
    full = excl[:, :, 0] * vals[:, :, 0]  # (R, T)
    onehot = np.zeros((vals.shape[1], arch.size))
    onehot[np.arange(vals.shape[1]), target] = 1
    w = full @ onehot  # (R, size)
    Qw = np.einsum("rij,rj->ri", Q, w)
    value = np.einsum("ri,ri->r", w, Qw) - 2 * np.einsum("ri,ri->r", b, w) + c0
    g = 2 * (Qw - b)  # (R, size)
    gt = g[:, target]  # (R, T)
    grad = np.zeros_like(theta)
    for i in range(arch.layers):
        sel = np.zeros((vals.shape[1], arch.layer_entries[i]))
        sel[np.arange(vals.shape[1]), idx[:, i]] = 1
        grad[:, cuts[i]:cuts[i + 1]] = (gt * excl[:, :, i]) @ sel
    return value, grad


def _stack(losses):
    return (np.array([l.Q for l in losses]), np.array([l.b for l in losses]), np.array([l.c0 for l in losses]))


def descend(arch: Architecture, loss, theta0, *, max_steps: int = 20000, gtol: float = 1e-9):
    """Gradient descent with a backtracking (Armijo) step from ``theta0``
    (flattened filters, layer 1 first); returns ``(theta, steps, gradient norm)``.

    Examples
    --------
    >>> arch = Architecture((2, 2), (2, 1))
    >>> loss = QuadraticLoss(np.eye(4), np.array([1.0, 2.0, 3.0, 6.0]), 50.0)
    >>> theta, steps, g = descend(arch, loss, np.array([0.5, 0.5, 0.5, 0.5]), max_steps=3000)
    >>> bool(loss.value(network_filter(arch, _split(arch, theta))) < 1e-12)
    True
    """
    th, st, gn = descend_batch(arch, [loss], np.atleast_2d(np.asarray(theta0, dtype=float)), max_steps=max_steps,
                               gtol=gtol)
    return th[0], int(st[0]), float(gn[0])


def descend_batch(arch: Architecture, losses, theta0, *, max_steps: int = 20000, gtol: float = 1e-9):
    """`descend` for many runs at once (run ``r`` on ``losses[r]`` from
    ``theta0[r]``); each run keeps its own step size and stops on its own."""
    Q, b, c0 = _stack(losses)
    theta = np.array(theta0, dtype=float)
    R = theta.shape[0]
    f, g = _values_and_gradients(arch, Q, b, c0, theta)
    step = np.full(R, 0.1)
    steps = np.zeros(R, dtype=int)
    active = np.ones(R, dtype=bool)
    for _ in range(max_steps):
        gn = np.linalg.norm(g, axis=1)
        active &= gn >= gtol
        if not active.any():
            break
        a = np.flatnonzero(active)
        pending = a
        while pending.size:
            trial = theta[pending] - step[pending, None] * g[pending]
            ft, gt = _values_and_gradients(arch, Q[pending], b[pending], c0[pending], trial)
            ok = (ft <= f[pending] - 0.5 * step[pending] * gn[pending] ** 2) | (step[pending] < 1e-14)
            acc = pending[ok]
            theta[acc], f[acc], g[acc] = trial[ok], ft[ok], gt[ok]
            step[pending[~ok]] /= 2
            pending = pending[~ok]
        step[a] *= 1.5
        steps[a] += 1
    return theta, steps, np.linalg.norm(g, axis=1)


def jacobian_rank(arch: Architecture, theta, tol: float = RANK_TOL) -> int:
    """Numerical rank of the Jacobian of ``μ`` at the filters ``theta``.

    Examples
    --------
    >>> jacobian_rank(Architecture((2, 2)), np.array([1.0, 2.0, 1.0, 2.0]))  # w_1 = w_2: a double root
    2
    """
    sv = np.linalg.svd(network_jacobian(arch, _split(arch, np.asarray(theta))), compute_uv=False)
    return int(np.sum(sv > tol * sv[0])) if sv.size and sv[0] > 0 else 0


@dataclass(frozen=True)
class Limit:
    """Where one run ended."""

    target: int
    loss: float
    gradient_norm: float
    steps: int
    jacobian_rank: int
    smooth_interior: bool
    on_list: bool | None


@dataclass(frozen=True)
class DescentExperiment:
    """Limits of gradient descent on random targets (``seed`` and versions recorded)."""

    architecture: Architecture
    seed: int
    runs: int
    targets: int
    samples: int
    init_scale: float
    limits: tuple[Limit, ...]
    data_model: str = "gaussian"

    def summary(self) -> dict:
        """Shares of limits: zero loss, positive loss at smooth interior
        points, positive loss elsewhere; and how many matched the solver's list."""
        zero = [l for l in self.limits if l.loss <= 1e-8]
        pos = [l for l in self.limits if l.loss > 1e-8]
        smooth = [l for l in pos if l.smooth_interior]
        checked = [l for l in self.limits if l.on_list is not None]
        return {
            "runs": len(self.limits),
            "zero_loss": len(zero),
            "positive_loss": len(pos),
            "positive_loss_smooth_interior": len(smooth),
            "positive_loss_not_smooth": len(pos) - len(smooth),
            "mean_positive_loss_smooth": float(np.mean([l.loss for l in smooth])) if smooth else None,
            "mean_positive_loss_not_smooth": float(np.mean([l.loss for l in pos if not l.smooth_interior]))
            if len(pos) > len(smooth) else None,
            "checked_against_solver": len(checked),
            "on_solver_list": sum(1 for l in checked if l.on_list),
            "not_converged": sum(1 for l in self.limits if l.gradient_norm > 1e-6),
        }

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        from critlcn.results import versions

        a = self.architecture
        return {"architecture": {**a.to_dict(), "label": a.label()}, "seed": self.seed, "runs": self.runs,
                "data_model": self.data_model,
                "targets": self.targets, "samples": self.samples, "init_scale": self.init_scale,
                "summary": self.summary(),
                "limits": [dict(target=l.target, loss=l.loss, gradient_norm=l.gradient_norm, steps=l.steps,
                                jacobian_rank=l.jacobian_rank, smooth_interior=l.smooth_interior, on_list=l.on_list)
                           for l in self.limits],
                "versions": dict(versions())}


def experiment(arch: Architecture, runs: int, *, seed: int = 0, targets: int | None = None, samples: int = 50,
               init_scale: float = 0.5, max_steps: int = 20000, match: int = 100,
               data_model: str = "gaussian") -> DescentExperiment:
    """Gradient descent from Gaussian initialisations (one target per run
    unless ``targets``); the limits of the first ``match`` targets are
    checked against the parameter-space solver.

    Targets are Gaussian end-to-end filters; ``data_model`` ``'whitened'``
    uses the loss ``‖w − target‖²``, ``'gaussian'`` Gaussian inputs with the
    target as teacher plus noise of standard deviation 0.1. A random target
    lies (almost surely) outside a lower-dimensional function space.

    Examples
    --------
    >>> ex = experiment(Architecture((2, 2), (2, 1)), 3, seed=0, match=1)
    >>> s = ex.summary()
    >>> s["runs"], s["positive_loss_not_smooth"], s["on_solver_list"] == s["checked_against_solver"]
    (3, 0, True)
    """
    from critlcn.paramspace import solve

    if runs < 1:
        raise CritlcnError(f"`runs` must be at least 1, got {runs}", parameter="runs")
    targets = runs if targets is None else int(targets)
    if targets < 1:
        raise CritlcnError(f"`targets` must be at least 1, got {targets}", parameter="targets")
    rng = np.random.default_rng(seed)
    losses = []
    if data_model not in ("gaussian", "whitened"):
        raise CritlcnError(f"unknown `data_model` {data_model!r}: use gaussian or whitened", parameter="data_model")
    for _ in range(targets):
        target = rng.normal(size=arch.size)
        if data_model == "whitened":
            losses.append(QuadraticLoss(np.eye(arch.size), target, float(target @ target)))
        else:
            losses.append(quadratic_loss(synth(arch, samples, rng, teacher=target, noise=0.1), arch))
    lists = {}
    limits = []
    dim = arch.function_space_dimension
    owner = [run % targets for run in range(runs)]
    theta0 = init_scale * rng.normal(size=(runs, sum(arch.layer_entries)))
    thetas, steps, gns = descend_batch(arch, [losses[t] for t in owner], theta0, max_steps=max_steps)
    for run in range(runs):
        t = owner[run]
        loss = losses[t]
        theta = thetas[run]
        w = network_filter(arch, _split(arch, theta)).ravel()
        rank = jacobian_rank(arch, theta)
        on_list = None
        if t < match:
            if t not in lists:
                res = solve(arch, loss, seed=seed + t, quiet=True)
                lists[t] = np.array([p.end_to_end for p in res.points]).reshape(-1, arch.size)
            ends = lists[t]
            on_list = bool(ends.size and np.min(np.linalg.norm(ends - w, axis=1)) <= MATCH_TOL * max(1.0, np.linalg.norm(w)))
        limits.append(Limit(t, float(loss.value(w)), float(gns[run]), int(steps[run]), rank, rank == dim, on_list))
    return DescentExperiment(arch, int(seed), runs, targets, samples, float(init_scale), tuple(limits), data_model)


