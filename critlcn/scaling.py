"""Units of the data: the solver works on a normalised loss and reports in the
user's units.

Rescaling the data, ``X → αX`` and ``Y → βY``, maps the quadratic form of the
square loss ``(Q, b, c₀)`` to ``(α²Q, αβ b, β² c₀)``; the critical points on
every stratum move with it exactly (each stratum is a cone), filters by
``β/α`` and losses by ``β²``. So the answer never depends on the units, but
the numerics do: PHCpack sees one parameter vector ``(Q, b)``, and with
``Q ≈ 10²⁰⁰`` next to ``b ≈ 1`` the ``b`` part is lost to rounding.

`normalise` divides ``Q`` by a power of two near its size and ``b`` so that the
unconstrained minimiser has size about one; powers of two make the division
and the way back (`LossScale.filter`, `LossScale.loss`) exact, so the same data
in other units give the same normalised problem up to the rounding of the
data themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critlcn.errors import CritlcnError

__all__ = ["LossScale", "normalise", "power_of_two_exponent"]


def power_of_two_exponent(x: float) -> int:
    """The ``e`` with ``2**e <= x < 2**(e+1)`` for ``x > 0`` (exact, no logarithm).

    Examples
    --------
    >>> power_of_two_exponent(1.0), power_of_two_exponent(3.0), power_of_two_exponent(1e-300)
    (0, 1, -997)
    """
    if not (x > 0 and np.isfinite(x)):
        raise ValueError(f"need a positive finite number, got {x}")
    return int(np.frexp(x)[1]) - 1


@dataclass(frozen=True)
class LossScale:
    """The units of a loss: user filter ``w = 2**filter_exponent · w̃`` and user
    loss ``ℓ = 2**loss_exponent · ℓ̃`` for the normalised ``w̃``, ``ℓ̃``.

    Examples
    --------
    >>> s = LossScale(filter_exponent=-3, loss_exponent=4)
    >>> s.filter(np.array([8.0, 16.0])), s.loss(0.5)
    (array([1., 2.]), 8.0)
    """

    filter_exponent: int
    loss_exponent: int

    def filter(self, w_unit):
        """A normalised filter (or several, last axis the filter) in the user's units."""
        return np.ldexp(np.asarray(w_unit, dtype=float), self.filter_exponent)

    def loss(self, value_unit: float) -> float:
        """A normalised loss value in the user's units."""
        return float(np.ldexp(float(value_unit), self.loss_exponent))


def normalise(loss, *, where: str = "data"):
    """``(unit_loss, scale)``: the loss in units where ``Q`` and the
    unconstrained minimiser ``Q⁻¹ b`` have size about one, and the map back.

    ``unit_loss.Q = Q / 2^q``, ``unit_loss.b = b / 2^(q + s)``,
    ``unit_loss.c0 = c0 / 2^(q + 2s)`` with ``2^q ≈ tr Q / k`` and
    ``2^s ≈ ‖b‖ / 2^q``; a filter ``w̃`` of the unit loss is the filter
    ``2^s w̃`` of ``loss``, with loss ``2^(q + 2s) ℓ̃(w̃)``.

    Raises `CritlcnError` when ``b = 0`` (the only critical point is then
    ``w = 0``: ``ℓ`` restricted to a cone has ``wᵀ∇ℓ = 2 wᵀQw = 0`` there).

    Examples
    --------
    >>> from critlcn.data import QuadraticLoss
    >>> big = QuadraticLoss(np.diag([4e200, 8e200]), np.array([2e100, 0.0]), 3.0)
    >>> unit, scale = normalise(big)
    >>> float(np.trace(unit.Q)) < 4 and 0.2 < float(np.linalg.norm(unit.b)) < 4
    True
    >>> w = scale.filter(np.linalg.solve(unit.Q, unit.b))
    >>> bool(np.allclose(w, np.linalg.solve(big.Q, big.b), rtol=1e-15, atol=0))
    True
    >>> bool(np.isclose(scale.loss(unit.value(np.zeros(2))), 3.0, rtol=1e-15))
    True
    """
    from critlcn.data import QuadraticLoss

    Q, b, c0 = loss.Q, loss.b, loss.c0
    trace = float(np.trace(Q))
    if not (np.all(np.isfinite(Q)) and np.all(np.isfinite(b)) and np.isfinite(c0)) or not trace > 0:
        raise CritlcnError(f"{where}: the quadratic form of the loss is not finite and positive; "
                           "rescale X and Y to moderate numbers")
    # the trace of a positive semidefinite Q cannot overflow when its entries do not,
    # but /k and the norm of b are taken on scaled copies to keep every step finite
    q = power_of_two_exponent(trace) - power_of_two_exponent(Q.shape[0])
    Qn = np.ldexp(Q, -q)
    bmax = float(np.max(np.abs(b)))
    if bmax == 0:
        raise CritlcnError(f"{where}: the outputs Y are uncorrelated with every window of the inputs (b = 0), "
                           "so the only critical point is w = 0; check that X and Y belong together")
    eb = power_of_two_exponent(bmax)
    # ‖b‖ / 2^q, computed as (‖b‖ / 2^eb) · 2^(eb − q) without leaving the range
    s = power_of_two_exponent(float(np.linalg.norm(np.ldexp(b, -eb)))) + eb - q
    bn = np.ldexp(b, -(q + s))
    c0n = float(np.ldexp(c0, -(q + 2 * s)))
    return QuadraticLoss(Qn, bn, c0n), LossScale(filter_exponent=s, loss_exponent=q + 2 * s)
