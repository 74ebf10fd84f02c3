"""Gradient descent on ``L = ℓ ∘ μ`` over many runs at once, classification of
its limits by rrmp, and the experiments of docs/math.md, "Gradient descent
experiments".

Gradient descent runs vectorised over a batch of initialisations (each run
may have its own loss): one forward/backward pass per iteration for all
active runs, a per-run step size controlled by Armijo backtracking (a step
is accepted only if it decreases the loss by at least half the linear
prediction, which caps it at ``1 / λ_max`` near a minimum, so the iteration
follows the gradient flow instead of oscillating), and per-run convergence
by the gradient norm. Converged runs leave the batch.

Limits are classified by `rrmp_of_limit`, which clusters the roots of the
*layer* filters: at a critical point no layer has a repeated root, so each
layer's roots are well conditioned and roots shared between layers agree to
the accuracy of the limit (linear in the gradient), whereas the roots of the
end-to-end form of a near-multiple root split like ``ε^{1/m}``.
`rrmp_of_near_form` classifies an end-to-end form with a tolerance for such
near-multiple roots.

Reference: Kohn, Merkh, Montúfar, Trager, *Geometry of Linear Convolutional
Networks* (2022), Section 7 (experiments).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from critlcn.architecture import Architecture
from critlcn.convolution import batch_all_but_one, batch_end_to_end, end_to_end
from critlcn.errors import CritlcnError
from critlcn.initialisation import INIT_SCALE
from critlcn.landscape import batch_pullback
from critlcn.results import versions
from critlcn.roots import (
    LIMIT_ROOT_TOL,
    chordal,
    cluster_roots,
    rrmp_of_form,
    rrmp_of_limit,
    rrmp_of_near_form,
    rrmp_of_roots,
)
from critlcn.rrmp import RRMP, region

__all__ = [
    "BatchLoss",
    "whitened_losses",
    "gaussian_losses",
    "random_init",
    "batch_end_to_end",
    "batch_value_gradient",
    "Descent",
    "descend",
    "polish_run",
    "chordal",
    "cluster_roots",
    "rrmp_of_roots",
    "rrmp_of_limit",
    "rrmp_of_near_form",
    "match_limit",
    "LimitRow",
    "TargetRow",
    "RunRecord",
    "ExperimentResult",
    "experiment",
    "ClassRow",
    "LossDescentResult",
    "descend_on_loss",
    "DATA_MODELS",
    "TARGET_DISTRIBUTIONS",
    "STEP_RULES",
    "PAPER_SETUP",
    "InitSweepRow",
    "InitSweepResult",
    "init_types",
    "init_type_sweep",
]

DATA_MODELS = ("whitened", "gaussian")
TARGET_DISTRIBUTIONS = ("gaussian", "sphere", "uniform")

#: Default convergence test: ‖∇L‖ ≤ TOL · (1 + ‖b‖).
TOL = 1e-9
#: Default cap on iterations per run.
MAX_STEPS = 20000
#: Step rules of `descend`: Armijo backtracking, or a fixed step size.
STEP_RULES = ("armijo", "fixed")
#: The set-up closest to the paper's tables (README, scripts/sweep_descent.py): `experiment` keywords.
PAPER_SETUP = {"data_model": "gaussian", "samples": 6, "d0": 6, "target_dist": "gaussian", "target_scale": 1.0,
               "init_type": "1111|0", "init_roots": "uniform-angle", "init_norms": "balanced", "init_scale": INIT_SCALE,
               "step_rule": "armijo", "step": 1e-2, "max_steps": MAX_STEPS, "root_tol": LIMIT_ROOT_TOL}
#: Angle tolerance (1 − |cos|) for a limit filter to be parallel to a listed one.
MATCH_TOL = 1e-6


# ---------------------------------------------------------------------------
# batched losses


@dataclass(frozen=True)
class BatchLoss:
    """One quadratic loss per run, ``ℓ_r(w) = (w − t_r)ᵀ Q_r (w − t_r) + e_r``.

    Stored around the minimiser ``t = Q⁻¹ b`` so that losses near zero keep
    their accuracy (``wᵀQw − 2bᵀw + c0`` cancels). ``Q`` is None for the
    identity (whitened data).

    Examples
    --------
    >>> bl = whitened_losses(np.array([[1.0, 2.0]]))
    >>> bl.runs, float(bl.value(np.array([[1.0, 0.0]]))[0])
    (1, 4.0)
    """

    t: np.ndarray
    excess: np.ndarray
    Q: np.ndarray | None = None

    @property
    def runs(self) -> int:
        """Number of losses in the batch."""
        return self.t.shape[0]

    def take(self, idx) -> "BatchLoss":
        """The losses of runs ``idx``."""
        return BatchLoss(self.t[idx], self.excess[idx], None if self.Q is None else self.Q[idx])

    def _apply_Q(self, x: np.ndarray) -> np.ndarray:
        return x if self.Q is None else np.einsum("rij,rj->ri", self.Q, x)

    def value(self, w: np.ndarray) -> np.ndarray:
        """``ℓ_r(w_r)`` for every run."""
        r = w - self.t
        return np.sum(r * self._apply_Q(r), axis=1) + self.excess

    def b(self) -> np.ndarray:
        """The linear terms ``b_r = Q_r t_r``."""
        return self._apply_Q(self.t)

    def loss(self, run: int):
        """Run ``run``'s loss as a `critlcn.data.QuadraticLoss`."""
        from critlcn.data import QuadraticLoss

        t = self.t[run]
        Q = np.eye(t.size) if self.Q is None else self.Q[run]
        b = Q @ t
        return QuadraticLoss(Q, b, float(t @ b + self.excess[run]))


def whitened_losses(targets) -> BatchLoss:
    """``ℓ_r(w) = ‖w − target_r‖²`` (whitened data: ``Q = I``, ``b = target``).

    Examples
    --------
    >>> whitened_losses([[1.0, 0.0], [0.0, 1.0]]).runs
    2
    """
    t = np.atleast_2d(np.asarray(targets, dtype=float))
    return BatchLoss(t.copy(), np.zeros(t.shape[0]))


def gaussian_losses(arch: Architecture, targets, samples: int, rng: np.random.Generator, d0: int | None = None,
                    noise: float = 0.0) -> BatchLoss:
    """Square losses of Gaussian inputs with teacher outputs: for each target,
    ``samples`` inputs of size ``d0`` (default ``2 k``) and outputs ``W_target x``
    (plus noise), as in `critlcn.data.synth`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bl = gaussian_losses(Architecture((2, 2)), rng.normal(size=(2, 3)), 20, rng)
    >>> bl.Q.shape, bool(np.allclose(bl.excess, 0))
    ((2, 3, 3), True)
    """
    from critlcn.data import quadratic_loss, synth

    t = np.atleast_2d(np.asarray(targets, dtype=float))
    return _batch([quadratic_loss(synth(arch, samples, rng, teacher=target, noise=noise, d0=d0), arch) for target in t])


def _batch(losses) -> BatchLoss:
    """`critlcn.data.QuadraticLoss` values as a batch, each stored around its
    minimiser."""
    Qs, ts, ex = [], [], []
    for loss in losses:
        Q = np.asarray(loss.Q, dtype=float)
        b = np.asarray(loss.b, dtype=float)
        m = np.linalg.solve(Q, b)
        Qs.append(Q)
        ts.append(m)
        ex.append(max(0.0, float(loss.c0) - float(b @ m)))
    return BatchLoss(np.array(ts), np.array(ex), np.array(Qs))


# ---------------------------------------------------------------------------
# batched network


def random_init(arch: Architecture, runs: int, rng: np.random.Generator, scale: float = INIT_SCALE) -> tuple[np.ndarray, ...]:
    """Gaussian initialisations: one ``(runs, k_i)`` array per layer.

    Examples
    --------
    >>> [a.shape for a in random_init(Architecture((3, 2)), 4, np.random.default_rng(0))]
    [(4, 3), (4, 2)]
    """
    from critlcn.initialisation import gaussian_init

    return gaussian_init(arch, runs, rng, scale=scale)


def batch_value_gradient(loss: BatchLoss, filters: Sequence[np.ndarray]):
    """Loss and gradient of ``L`` for every run: ``(values, grads, w)``.

    Examples
    --------
    >>> v, g, w = batch_value_gradient(whitened_losses([[1.0, 2.0, 1.0]]), [np.ones((1, 2))] * 2)
    >>> float(v[0]), [x.tolist() for x in g]
    (0.0, [[[0.0, 0.0]], [[0.0, 0.0]]])
    """
    w, others = batch_all_but_one(filters)
    r = w - loss.t
    Qr = loss._apply_Q(r)
    val = np.sum(r * Qr, axis=1) + loss.excess
    return val, batch_pullback(2 * Qr, others), w


@dataclass(frozen=True)
class Descent:
    """Where gradient descent ended, per run.

    ``filters`` holds one ``(runs, k_i)`` array per layer (layer 1 first).
    """

    filters: tuple[np.ndarray, ...]
    loss: np.ndarray
    gradient_norm: np.ndarray
    converged: np.ndarray
    steps: np.ndarray
    tol: float
    polished: np.ndarray | None = None

    @property
    def runs(self) -> int:
        """Number of runs."""
        return self.loss.size

    def run(self, i: int) -> tuple[np.ndarray, ...]:
        """The limit filters of run ``i``."""
        return tuple(f[i].copy() for f in self.filters)

    def end_to_end(self) -> np.ndarray:
        """End-to-end limit filters ``(runs, k)``."""
        return batch_end_to_end(self.filters)


def descend(loss: BatchLoss, init: Sequence[np.ndarray], tol: float = TOL, max_steps: int = MAX_STEPS,
            step: float = 1e-2, max_step: float = np.inf, polish: bool = True, *, rule: str = "armijo") -> Descent:
    """Gradient descent on every run of the batch until ``‖∇L‖ ≤ tol (1 + ‖b‖)``
    or ``max_steps`` iterations.

    Parameters
    ----------
    loss : BatchLoss
        One loss per run (``loss.runs`` equal to the batch size).
    init : sequence of arrays
        One ``(runs, k_i)`` array per layer.
    tol : float
        Relative gradient tolerance.
    max_steps : int
        Iteration cap per run.
    step : float
        Initial step size (``rule='armijo'``: adapted per run by
        backtracking, ×1.25 after an accepted step, ×0.5 after a rejected
        one); the step size of every iteration for ``rule='fixed'``.
    max_step : float
        Cap on the step size (small caps follow the gradient flow closely).
    polish : bool
        Finish runs still above the tolerance after ``max_steps`` with
        Newton steps (`polish_run`) when the Hessian there, scaling
        directions removed, has no negative eigenvalue: gradient descent
        converges slowly (linearly with a rate near 1) to minima with a small
        curvature, e.g. next to a repeated-root stratum, and Newton's method
        reaches the same minimum quadratically.
    rule : {'armijo', 'fixed'}
        ``armijo``: backtracking as above; ``fixed``: plain gradient descent
        ``θ ← θ − step · ∇L(θ)`` (as in the paper's era), a run whose loss
        becomes non-finite stops there, not converged.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> arch = Architecture((2, 2))
    >>> res = descend(whitened_losses(np.tile([1.0, 0.0, -1.0], (5, 1))), random_init(arch, 5, rng))
    >>> bool(res.converged.all()), bool(np.all(res.loss < 1e-12))
    (True, True)
    """
    init = [np.array(f, dtype=float) for f in init]
    R = init[0].shape[0]
    if any(f.ndim != 2 or f.shape[0] != R for f in init) or loss.runs != R:
        raise CritlcnError("descend: every init array must be (runs, k_i) with one loss per run")
    if max_steps < 1:
        raise CritlcnError(f"`max_steps` must be at least 1, got {max_steps}", parameter="max_steps")
    if not tol > 0:
        raise CritlcnError(f"tolerance must be positive, got {tol}")
    if rule not in STEP_RULES:
        raise CritlcnError(f"unknown step rule `rule` {rule!r}: use one of {', '.join(STEP_RULES)}",
                           parameter="rule")
    if not (step > 0 and np.isfinite(step)):
        raise CritlcnError(f"the step size `step` must be a positive number, got {step}", parameter="step")
    thresh_all = tol * (1.0 + np.linalg.norm(loss.b(), axis=1))
    out_f = [f.copy() for f in init]
    out_loss = np.zeros(R)
    out_gn = np.zeros(R)
    out_steps = np.zeros(R, dtype=int)
    conv = np.zeros(R, dtype=bool)

    idx = np.arange(R)
    cur = [f.copy() for f in init]
    bl = loss
    thresh = thresh_all
    val, grads, _ = batch_value_gradient(bl, cur)
    gn2 = sum(np.sum(g * g, axis=1) for g in grads)
    eta = np.full(R, float(step))
    steps = np.zeros(R, dtype=int)
    eps = np.finfo(float).eps

    def retire(mask):
        ids = idx[mask]
        for j in range(len(cur)):
            out_f[j][ids] = cur[j][mask]
        out_loss[ids] = val[mask]
        out_gn[ids] = np.sqrt(gn2[mask])
        out_steps[ids] = steps[mask]

    for _ in range(max_steps):
        done = gn2 <= thresh * thresh
        # a diverged run (fixed steps too large) stops where it blew up, not converged
        blown = ~np.isfinite(val) | ~np.isfinite(gn2)
        done |= blown
        if np.any(done):
            conv[idx[done & ~blown]] = True
            retire(done)
            keep = ~done
            if not np.any(keep):
                break
            idx = idx[keep]
            cur = [f[keep] for f in cur]
            grads = [g[keep] for g in grads]
            val, gn2, eta, steps, thresh = val[keep], gn2[keep], eta[keep], steps[keep], thresh[keep]
            bl = bl.take(keep)
        cand = [f - eta[:, None] * g for f, g in zip(cur, grads)]
        if rule == "fixed":
            with np.errstate(over="ignore", invalid="ignore"):
                val, grads, _ = batch_value_gradient(bl, cand)
                gn2 = sum(np.sum(g * g, axis=1) for g in grads)
            cur = cand
            steps += 1
            continue
        cval, cgrads, _ = batch_value_gradient(bl, cand)
        cgn2 = sum(np.sum(g * g, axis=1) for g in cgrads)
        # Armijo; near rounding level, a step that lowers the gradient without
        # raising the loss beyond rounding is also accepted
        noise = 8 * eps * (np.abs(val) + np.abs(bl.excess) + 1e-300)
        ok = cval <= val - 0.5 * eta * gn2
        ok |= (cval <= val + noise) & (cgn2 < gn2) & (0.5 * eta * gn2 <= noise)
        ok &= np.isfinite(cval)
        if np.any(ok):
            for j in range(len(cur)):
                cur[j][ok] = cand[j][ok]
                grads[j][ok] = cgrads[j][ok]
            val = np.where(ok, cval, val)
            gn2 = np.where(ok, cgn2, gn2)
        eta = np.where(ok, np.minimum(eta * 1.25, max_step), eta * 0.5)
        steps += 1
    if idx.size and not np.all(conv[idx]):
        retire(np.ones(idx.size, dtype=bool))
    polished = np.zeros(R, dtype=bool)
    if polish:
        for i in np.flatnonzero(~conv):
            fs = [f[i] for f in out_f]
            if not all(np.all(np.isfinite(f)) for f in fs):
                continue
            done = polish_run(loss.loss(i), fs, float(thresh_all[i]))
            if done is not None:
                for j, f in enumerate(done[0]):
                    out_f[j][i] = f
                # the batch form keeps small losses accurate (no cancellation)
                out_loss[i] = loss.take([i]).value(batch_end_to_end([f[None, :] for f in done[0]]))[0]
                out_gn[i] = done[2]
                conv[i] = polished[i] = True
    return Descent(tuple(out_f), out_loss, out_gn, conv, out_steps, float(tol), polished)


def polish_run(loss, filters: Sequence[np.ndarray], threshold: float, iterations: int = 30,
               max_move: float = 1e-2):
    """Newton's method on ``L`` (on the complement of the scaling directions)
    from a point where gradient descent converges slowly.

    Returns ``(filters, loss, gradient norm)`` once the gradient norm is at
    most ``threshold``, or None when the Hessian has a negative eigenvalue
    (a saddle that gradient descent would leave), the loss rises, or the
    point moves more than ``max_move`` relative to its size.

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> out = polish_run(loss, [np.array([1.0, 1.0 + 1e-5]), np.array([1.0, -1.0])], 1e-12)
    >>> out is not None and out[2] <= 1e-12
    True
    """
    from critlcn.landscape import (classify_hessian, parameter_gradient, parameter_hessian, scaling_complement,
                                   scaling_directions)

    fs = [np.array(f, dtype=float) for f in filters]
    sizes = np.cumsum([0] + [f.size for f in fs])
    x0 = np.concatenate(fs)
    start_loss = loss.value(batch_end_to_end([f[None, :] for f in fs])[0])
    for _ in range(iterations):
        grads = parameter_gradient(loss, fs)
        g = np.concatenate(grads)
        gn = float(np.linalg.norm(g))
        val = loss.value(batch_end_to_end([f[None, :] for f in fs])[0])
        if val > start_loss + 1e-9 * (1 + abs(start_loss)):
            return None
        if gn <= threshold:
            return fs, float(val), gn
        H = parameter_hessian(loss, fs)
        S = scaling_directions(fs)
        _, neg, _ = classify_hessian(H, S, tol=1e-9)
        if neg:
            return None
        B = scaling_complement(S)
        y, *_ = np.linalg.lstsq(B.T @ H @ B, -B.T @ g, rcond=1e-12)
        x = np.concatenate(fs) + B @ y
        if np.linalg.norm(x - x0) > max_move * np.linalg.norm(x0):
            return None
        fs = [x[sizes[j] : sizes[j + 1]] for j in range(len(fs))]
    return None


# ---------------------------------------------------------------------------
# classifying limits


# ---------------------------------------------------------------------------
# matching limits to listed critical points


def _parallel(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 1.0
    return 1.0 - abs(float(a @ b)) / (na * nb)


def match_limit(filters: Sequence, lifted, tol: float = MATCH_TOL):
    """Find the listed parameter point that the limit ``filters`` equals up to
    scaling (every layer parallel, same end-to-end filter).

    ``lifted`` is a `critlcn.lift.LiftResult`. Returns ``(point index,
    parameter index)`` into ``lifted.points`` or None.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = lift(Architecture((2, 2)), loss, [pt])
    >>> match_limit([np.array([2.0, -2.0]), np.array([0.5, 0.5])], res)
    (0, 1)
    """
    fs = [np.asarray(f, dtype=float) for f in filters]
    w = end_to_end(fs)
    best = None
    for i, p in enumerate(lifted.points):
        target = np.asarray(p.filter)
        if np.linalg.norm(w - target) > np.sqrt(tol) * (1 + np.linalg.norm(target)):
            continue
        for j, q in enumerate(p.parameters):
            worst = max(_parallel(a, np.asarray(b)) for a, b in zip(fs, q.filters))
            if worst <= tol and (best is None or worst < best[0]):
                best = (worst, i, j)
    return None if best is None else (best[1], best[2])


# ---------------------------------------------------------------------------
# the experiment


@dataclass(frozen=True)
class LimitRow:
    """One limit type among the runs of one target type."""

    rrmp: str
    runs: int
    share: float
    mean_loss: float
    region: str
    converged: int
    types: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready dict; ``types`` counts the checked runs
        by the type of the listed critical point they matched."""
        return {"rrmp": self.rrmp, "runs": self.runs, "share": self.share, "mean_loss": self.mean_loss,
                "region": self.region, "converged": self.converged, "types": dict(self.types)}


@dataclass(frozen=True)
class TargetRow:
    """One target type: its share of targets and the limits of its runs."""

    rrmp: str
    targets: int
    share: float
    runs: int
    limits: tuple[LimitRow, ...]

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"rrmp": self.rrmp, "targets": self.targets, "share": self.share, "runs": self.runs,
                "limits": [lim.to_dict() for lim in self.limits]}


@dataclass(frozen=True)
class RunRecord:
    """One run: its target, limit type, loss and checks. ``matched`` is None
    for runs outside the checked subset."""

    target: int
    target_rrmp: str
    limit_rrmp: str
    loss: float
    gradient_norm: float
    steps: int
    converged: bool
    matched: bool | None
    limit_type: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class ExperimentResult:
    """Outcome of `experiment`: tables by target type and per-run records."""

    architecture: Architecture
    runs: int
    seed: int
    data_model: str
    init_scale: float
    tol: float
    max_steps: int
    targets: tuple[TargetRow, ...]
    records: tuple[RunRecord, ...]
    checked: int
    match_targets: int
    lower_than_best: int
    seconds: float = field(default=0.0, compare=False)
    versions: tuple[tuple[str, str], ...] = ()
    init_type: str = "gaussian"
    init_roots: str | None = None
    target_dist: str = "gaussian"
    target_scale: float = 1.0
    rule: str = "armijo"
    step: float = 1e-2
    root_tol: float = LIMIT_ROOT_TOL
    polish: bool = True
    init_norms: str | None = None
    samples: int | None = None
    d0: int | None = None

    @property
    def converged(self) -> int:
        """Runs that reached a critical point (small gradient)."""
        return sum(r.converged for r in self.records)

    @property
    def matched(self) -> int:
        """Checked runs whose limit is a listed critical point up to scaling."""
        return sum(1 for r in self.records if r.matched)

    @property
    def checked_converged(self) -> int:
        """Converged runs whose limit was checked against the solver's list."""
        return sum(1 for r in self.records if r.converged and r.matched is not None)

    def to_dict(self) -> dict:
        """The JSON contract of ``critlcn experiment --format json``."""
        cc = self.checked_converged
        return {
            "architecture": {**self.architecture.to_dict(), "label": self.architecture.label()},
            "runs": self.runs,
            "seed": self.seed,
            "data_model": self.data_model,
            "samples": self.samples,
            "d0": self.d0,
            "init_scale": self.init_scale,
            "init_type": self.init_type,
            "init_roots": self.init_roots,
            "init_norms": self.init_norms,
            "target_dist": self.target_dist,
            "target_scale": self.target_scale,
            "step_rule": self.rule,
            "step": self.step,
            "root_tol": self.root_tol,
            "polish": self.polish,
            "tol": self.tol,
            "max_steps": self.max_steps,
            "converged": self.converged,
            "matched": self.matched,
            "match_checked": cc,
            "match_targets": self.match_targets,
            "matched_share": (self.matched / cc) if cc else None,
            "lower_than_best": self.lower_than_best,
            "targets": [t.to_dict() for t in self.targets],
            "seconds": self.seconds,
            "versions": dict(self.versions),
        }


def _limit_rrmp(filters, tol: float) -> str:
    # "?" stands for a limit whose roots do not form a real rrmp at this tolerance
    try:
        return str(rrmp_of_limit(filters, tol=tol))
    except CritlcnError:
        return "?"


def _class_type(param) -> str:
    """A listed parameter point's type as a limit table shows it."""
    return param.type if param.minimum is None else f"{param.minimum} minimum"


def _below_best(loss: float, best: float | None) -> bool:
    # a run below every listed critical point means the list missed one
    return best is not None and loss < best - 1e-8 * (1 + abs(best))


def experiment(arch: Architecture, runs: int, seed: int = 0, data_model: str = "whitened", targets: int | None = None,
               samples: int = 50, init_scale: float = INIT_SCALE, tol: float = TOL, max_steps: int = MAX_STEPS,
               match: int | None = 0, root_tol: float = LIMIT_ROOT_TOL, *, init_type: str = "gaussian",
               init_roots: str = "uniform-angle", init_norms: str = "balanced", target_dist: str = "gaussian",
               target_scale: float = 1.0, step_rule: str = "armijo", step: float = 1e-2, polish: bool | None = None,
               d0: int | None = None) -> ExperimentResult:
    """The experiment of Kohn, Merkh, Montúfar, Trager, *Geometry of Linear
    Convolutional Networks*, Section 7 (docs/math.md, "Gradient descent
    experiments"): random targets, gradient descent from
    random initialisations, limits classified by rrmp and tabulated by
    target type.

    Parameters
    ----------
    arch : Architecture
    runs : int
        Number of gradient-descent runs.
    seed : int
        Seed of every random choice (targets, data, initialisations, subset).
    data_model : {'whitened', 'gaussian'}
        ``whitened``: ``ℓ(w) = ‖w − target‖²``; ``gaussian``: ``samples``
        Gaussian inputs with the target as teacher.
    targets : int, optional
        Number of targets (default: one per run); runs cycle through them.
    init_scale : float
        Standard deviation of the Gaussian initialisation (an rrmp
        initialisation gives layer ``i`` the norm ``init_scale · √k_i``).
    match : int or None
        Check the limits of this many targets (a seeded subset; None = all)
        against the critical points listed by `critlcn.critical.solve` and
        `critlcn.lift.lift`.
    root_tol : float
        Chordal distance under which layer roots of a limit count as one
        root (`rrmp_of_limit`).
    init_type : str
        ``'gaussian'`` or an rrmp (`critlcn.initialisation.initialise`).
    init_roots : {'uniform-angle', 'gaussian', 'uniform'}
        Root distribution of an rrmp initialisation.
    init_norms : {'balanced', 'monic'}
        Layer norms of an rrmp initialisation.
    d0 : int, optional
        Input size of the ``gaussian`` data model (default ``2 k``; at least
        ``k``, one output per sample).
    target_dist : {'gaussian', 'sphere', 'uniform'}
        Targets with i.i.d. ``N(0, 1)`` coefficients, those normalised to
        the unit sphere (same rrmp frequencies), or i.i.d. ``U(−1, 1)``
        coefficients; times ``target_scale``.
    step_rule, step : str, float
        Step rule and (initial) step size of `descend`.
    polish : bool, optional
        Newton finish of slow runs (`descend`); default: for Armijo only.

    Examples
    --------
    >>> res = experiment(Architecture((2, 2)), 20, seed=1, match=2)
    >>> sum(t.share for t in res.targets), res.matched == res.checked_converged
    (1.0, True)
    """
    if data_model not in DATA_MODELS:
        raise CritlcnError(f"unknown data model {data_model!r}: use one of {', '.join(DATA_MODELS)}")
    if runs < 1:
        raise CritlcnError(f"`runs` must be at least 1, got {runs}", parameter="runs")
    T = runs if targets is None else int(targets)
    if T < 1 or T > runs:
        raise CritlcnError(f"`targets` must be between 1 and the number of runs ({runs}), got {T}",
                           parameter="targets")
    if match is not None and match < 0:
        raise CritlcnError(f"`match` must be at least 0, got {match}", parameter="match")
    if d0 is not None and d0 < arch.size:
        raise CritlcnError(f"`d0` must be at least the filter size {arch.size} of {arch.label()}, got {d0}",
                           parameter="d0")
    if target_dist not in TARGET_DISTRIBUTIONS:
        raise CritlcnError(f"unknown `target_dist` {target_dist!r}: use one of {', '.join(TARGET_DISTRIBUTIONS)}",
                           parameter="target_dist")
    if not (target_scale > 0 and np.isfinite(target_scale)):
        raise CritlcnError(f"`target_scale` must be a positive number, got {target_scale}", parameter="target_scale")
    if not (root_tol > 0 and np.isfinite(root_tol)):
        raise CritlcnError(f"`root_tol` must be a positive number, got {root_tol}", parameter="root_tol")
    if step_rule not in STEP_RULES:
        raise CritlcnError(f"unknown `step_rule` {step_rule!r}: use one of {', '.join(STEP_RULES)}",
                           parameter="step_rule")
    if not (step > 0 and np.isfinite(step)):
        raise CritlcnError(f"`step` must be a positive number, got {step}", parameter="step")
    from critlcn.initialisation import LAYER_NORMS, ROOT_DISTRIBUTIONS, initialise, parse_init_type

    if init_roots not in ROOT_DISTRIBUTIONS:
        raise CritlcnError(f"unknown `init_roots` {init_roots!r}: use one of {', '.join(ROOT_DISTRIBUTIONS)}",
                           parameter="init_roots")
    if init_norms not in LAYER_NORMS:
        raise CritlcnError(f"unknown `init_norms` {init_norms!r}: use one of {', '.join(LAYER_NORMS)}",
                           parameter="init_norms")
    parse_init_type(init_type, arch)  # bad types fail before any work
    if polish is None:
        polish = step_rule == "armijo"
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    if target_dist == "uniform":
        tgt = rng.uniform(-1.0, 1.0, size=(T, arch.size))
    else:
        tgt = rng.normal(size=(T, arch.size))
    if target_dist == "sphere":
        tgt /= np.linalg.norm(tgt, axis=1, keepdims=True)
    tgt *= target_scale
    if data_model == "whitened":
        tl = whitened_losses(tgt)
    else:
        tl = gaussian_losses(arch, tgt, samples, rng, d0=d0)
    owner = np.arange(runs) % T
    bl = tl.take(owner)
    init = initialise(arch, runs, rng, init_type=init_type, roots=init_roots, scale=init_scale, norms=init_norms)
    desc = descend(bl, init, tol=tol, max_steps=max_steps, step=step, polish=polish, rule=step_rule)
    target_types = [str(rrmp_of_form(t)) for t in tgt]
    # a diverged run (fixed steps too large) has no limit to classify
    limit_types = [_limit_rrmp(desc.run(i), root_tol) if np.isfinite(desc.loss[i]) else "?" for i in range(runs)]

    # check a seeded subset of targets against the solver
    n_match = T if match is None else min(match, T)
    chosen = set(rng.choice(T, size=n_match, replace=False).tolist()) if n_match else set()
    matched_flags: dict[int, bool | None] = {}
    kinds: dict[int, str | None] = {}
    lower = 0
    if chosen:
        from critlcn.critical import solve
        from critlcn.lift import lift

        for t in sorted(chosen):
            loss = tl.loss(t)
            lifted = lift(arch, loss, solve(arch, loss, seed=seed).points)
            best = lifted.best_loss()
            for i in np.flatnonzero(owner == t):
                if _below_best(desc.loss[i], best):
                    lower += 1
                if not desc.converged[i]:
                    matched_flags[i] = None
                    continue
                hit = match_limit(desc.run(i), lifted)
                matched_flags[i] = hit is not None
                if hit is not None:
                    kinds[i] = _class_type(lifted.points[hit[0]].parameters[hit[1]])
    records = tuple(
        RunRecord(int(owner[i]), target_types[owner[i]], limit_types[i], float(desc.loss[i]),
                  float(desc.gradient_norm[i]), int(desc.steps[i]), bool(desc.converged[i]), matched_flags.get(i),
                  kinds.get(i))
        for i in range(runs)
    )
    rows = []
    tcount: dict[str, int] = {}
    for s in target_types:
        tcount[s] = tcount.get(s, 0) + 1
    for ts in sorted(tcount, key=lambda s: RRMP.parse(s).sort_key()):
        recs = [r for r in records if r.target_rrmp == ts]
        lims = {}
        for r in recs:
            lims.setdefault(r.limit_rrmp, []).append(r)
        lrows = []
        for ls in sorted(lims, key=lambda s: RRMP.parse(s).sort_key() if s != "?" else (99,)):
            group = lims[ls]
            reg = region(RRMP.parse(ls), arch.e) if ls != "?" else "?"
            kinds_here: dict[str, int] = {}
            for r in group:
                if r.matched is not None:
                    label = r.limit_type if r.matched else "unmatched"
                    kinds_here[label] = kinds_here.get(label, 0) + 1
            lrows.append(LimitRow(ls, len(group), len(group) / len(recs), float(np.mean([r.loss for r in group])),
                                  reg, sum(r.converged for r in group), tuple(sorted(kinds_here.items()))))
        rows.append(TargetRow(ts, tcount[ts], tcount[ts] / T, len(recs), tuple(lrows)))
    return ExperimentResult(arch, runs, int(seed), data_model, float(init_scale), float(tol), int(max_steps),
                            tuple(rows), records, len(matched_flags), n_match, lower,
                            time.perf_counter() - start, versions(), init_type,
                            None if init_type == "gaussian" else init_roots, target_dist, float(target_scale), step_rule,
                            float(step), float(root_tol), bool(polish),
                            None if init_type == "gaussian" else init_norms,
                            None if data_model == "whitened" else int(samples),
                            None if data_model == "whitened" else int(d0 if d0 is not None else 2 * arch.size))


# ---------------------------------------------------------------------------
# gradient descent on one loss, checked against its lifted critical points


@dataclass(frozen=True)
class ClassRow:
    """Runs that ended at one listed parameter class (or at none: ``pattern``
    None)."""

    rrmp: str
    pattern: str | None
    type: str | None
    runs: int
    share: float
    mean_loss: float

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class LossDescentResult:
    """Gradient descent from many initialisations on one loss, each limit
    matched to the parameter classes of a `critlcn.lift.LiftResult`."""

    architecture: Architecture
    runs: int
    seed: int
    init_scale: float
    converged: int
    matched: int
    lower_than_best: int
    best_loss: float | None
    lowest_run_loss: float
    rows: tuple[ClassRow, ...]

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("architecture", "rows")}
        out["architecture"] = self.architecture.to_dict()
        out["rows"] = [r.to_dict() for r in self.rows]
        return out


def descend_on_loss(arch: Architecture, loss, lifted, runs: int, seed: int = 0, init_scale: float = INIT_SCALE,
                    tol: float = TOL, max_steps: int = MAX_STEPS, root_tol: float = LIMIT_ROOT_TOL, *,
                    init_type: str = "gaussian", init_roots: str = "uniform-angle") -> LossDescentResult:
    """Gradient descent on one loss (a `critlcn.data.QuadraticLoss`) from
    ``runs`` random initialisations; each converged limit is matched, up to
    scaling, to a parameter class of ``lifted``. ``init_type`` and
    ``init_roots`` choose the initialisation as in `experiment`.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = descend_on_loss(Architecture((2, 2)), loss, lift(Architecture((2, 2)), loss, [pt]), 20)
    >>> res.converged == res.matched == 20, sorted(r.pattern for r in res.rows)
    (True, ['p1·p2', 'p2·p1'])
    """
    if runs < 1:
        raise CritlcnError(f"`runs` must be at least 1, got {runs}", parameter="runs")
    from critlcn.initialisation import initialise

    rng = np.random.default_rng(seed)
    bl = _batch([loss]).take(np.zeros(runs, dtype=int))
    init = initialise(arch, runs, rng, init_type=init_type, roots=init_roots, scale=init_scale)
    desc = descend(bl, init, tol=tol, max_steps=max_steps)
    best = lifted.best_loss()
    groups: dict[tuple, list[float]] = {}
    matched = lower = 0
    for i in range(runs):
        if _below_best(desc.loss[i], best):
            lower += 1
        hit = match_limit(desc.run(i), lifted) if desc.converged[i] else None
        if hit is not None:
            matched += 1
            p = lifted.points[hit[0]]
            q = p.parameters[hit[1]]
            key = (str(p.rrmp), q.pattern, _class_type(q))
        else:
            key = (_limit_rrmp(desc.run(i), root_tol), None, None if desc.converged[i] else "not converged")
        groups.setdefault(key, []).append(float(desc.loss[i]))
    rows = tuple(ClassRow(k[0], k[1], k[2], len(v), len(v) / runs, float(np.mean(v)))
                 for k, v in sorted(groups.items(), key=lambda kv: (np.mean(kv[1]), str(kv[0]))))
    return LossDescentResult(arch, runs, int(seed), float(init_scale), int(desc.converged.sum()), matched, lower,
                             best, float(desc.loss.min()), rows)


# ---------------------------------------------------------------------------
# which strata gradient descent reaches from which initialisation type


@dataclass(frozen=True)
class InitSweepRow:
    """Runs from one initialisation type that ended on one limit stratum
    (``listed``: how the matched critical points are listed, e.g.
    ``'global minimum 12'``; ``'unmatched'`` / ``'not converged'`` otherwise)."""

    init_type: str
    rrmp: str
    listed: str
    runs: int
    share: float
    mean_loss: float

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class InitSweepResult:
    """Gradient descent on one loss from every initialisation type."""

    architecture: Architecture
    runs: int
    seed: int
    init_roots: str
    init_scale: float
    types: tuple[str, ...]
    rows: tuple[InitSweepRow, ...]

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"architecture": self.architecture.to_dict(), "runs": self.runs, "seed": self.seed,
                "init_roots": self.init_roots, "init_scale": self.init_scale, "types": list(self.types),
                "rows": [r.to_dict() for r in self.rows]}


def init_types(arch: Architecture) -> tuple[str, ...]:
    """``'gaussian'`` and every compatible interior rrmp of ``arch``, in the
    paper's display order.

    Examples
    --------
    >>> init_types(Architecture((4, 2)))
    ('gaussian', '1111|0', '112|0', '11|1')
    """
    from critlcn.compatibility import is_compatible
    from critlcn.rrmp import enumerate_rrmps

    ok = [r for r in enumerate_rrmps(arch.degree) if region(r, arch.e) == "interior" and is_compatible(r, arch)]
    return ("gaussian",) + tuple(str(r) for r in sorted(ok, key=lambda r: r.sort_key()))


def init_type_sweep(arch: Architecture, loss, lifted, runs: int, *, seed: int = 0,
                    init_roots: str = "uniform-angle", init_scale: float = INIT_SCALE) -> InitSweepResult:
    """`descend_on_loss` from every type of `init_types` (``runs`` runs each,
    the same seed for each type): which strata gradient descent reaches from
    where.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> from critlcn.data import QuadraticLoss
    >>> from critlcn.lift import lift
    >>> loss = QuadraticLoss(np.eye(3), np.array([1.0, 0.0, -1.0]), 2.0)
    >>> pt = P(rrmp=RRMP.parse("11|0"), partition=(1, 1), region="interior", compatible=True,
    ...        filter=(1.0, 0.0, -1.0), loss=0.0)
    >>> res = init_type_sweep(Architecture((2, 2)), loss, lift(Architecture((2, 2)), loss, [pt]), 10)
    >>> [(r.init_type, r.rrmp, r.listed, r.runs) for r in res.rows]
    [('gaussian', '11|0', 'global minimum', 10), ('11|0', '11|0', 'global minimum', 10)]
    """
    types = init_types(arch)
    rows = []
    for t in types:
        res = descend_on_loss(arch, loss, lifted, runs, seed=seed, init_scale=init_scale, init_type=t,
                              init_roots=init_roots)
        groups: dict[tuple[str, str], list] = {}
        for r in res.rows:
            listed = r.type if r.pattern is not None else (r.type or "unmatched")
            groups.setdefault((r.rrmp, listed), []).append(r)
        ordered = sorted(groups.items(), key=lambda kv: (RRMP.parse(kv[0][0]).sort_key() if kv[0][0] != "?"
                                                         else (99,), kv[0][1]))
        for (rr, listed), group in ordered:
            n = sum(g.runs for g in group)
            rows.append(InitSweepRow(t, rr, listed, n, n / runs, float(sum(g.runs * g.mean_loss for g in group) / n)))
    return InitSweepResult(arch, int(runs), int(seed), init_roots, float(init_scale), types, tuple(rows))
