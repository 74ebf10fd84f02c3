"""The same data in other units give the same critical points, rescaled.

Independent fact: for X → αX, Y → βY the square loss satisfies
ℓ_{α,β}(w) = β² ℓ(α w / β) exactly, and every stratum is a cone, so its
critical points are those of the unscaled data with filters times β/α and
losses times β². The unscaled solve is the reference for the scaled ones.
"""

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.critical import solve
from critlcn.data import dataset_from_arrays, default_dataset, quadratic_loss
from critlcn.errors import CritlcnError
from critlcn.lift import lift

ARCH = Architecture((3, 2, 2))
SCALES = [(1e100, 1.0), (1e-100, 1.0), (1.0, 1e100), (1.0, 1e-100), (1e100, 1e100), (1e-100, 1e-100),
          (1e-37, 1e53), (1e8, 1.0), (1.0, 1e8)]


def _run(alpha, beta):
    ds = default_dataset()
    scaled = dataset_from_arrays(ds.X * alpha, ds.Y * beta, source="scaled")
    loss = quadratic_loss(scaled, ARCH)
    result = solve(ARCH, loss, scaled, seed=0)
    return loss, result, lift(ARCH, loss, result.points, solve=result)


@pytest.fixture(scope="module")
def unscaled():
    return _run(1.0, 1.0)


@pytest.mark.parametrize("alpha,beta", SCALES, ids=lambda v: f"{v:g}")
def test_rescaled_data_give_the_rescaled_critical_points(unscaled, alpha, beta):
    _, ref, ref_lift = unscaled
    loss, res, lifted = _run(alpha, beta)
    assert res.complete and ref.complete
    assert [s.valid for s in res.strata] == [s.valid for s in ref.strata]
    assert [s.real for s in res.strata] == [s.real for s in ref.strata]
    assert [str(p.rrmp) for p in res.points] == [str(p.rrmp) for p in ref.points]
    for p, q in zip(ref.points, res.points):
        assert q.loss == pytest.approx(p.loss * beta**2, rel=1e-8)
        assert np.allclose(np.array(q.filter) * alpha / beta, p.filter, rtol=0, atol=1e-8 * np.linalg.norm(p.filter))
        # the filter is critical for the scaled loss in the user's units: ℓ(w) = loss
        assert loss.value(q.filter) == pytest.approx(q.loss, rel=1e-6)
    for p, q in zip(ref_lift.points, lifted.points):
        assert [a.type for a in q.parameters] == [a.type for a in p.parameters]
        assert [a.pattern for a in q.parameters] == [a.pattern for a in p.parameters]
        for a in q.parameters:
            # the layers multiply to the user's filter and the gradient vanishes at rounding level
            w = np.array([1.0])
            for f in a.filters:
                w = np.convolve(w, f)
            assert np.allclose(w, q.filter, rtol=0, atol=1e-8 * np.linalg.norm(q.filter))
            assert a.verified and np.isfinite(a.gradient_norm)


@pytest.mark.parametrize("alpha,beta,word", [(1e200, 1e200, "overflows"), (1.0, 1e200, "overflows"),
                                             (1.0, 1e-200, "underflows"), (1e-200, 1.0, "underflows")])
def test_data_beyond_double_precision_get_a_clear_error(alpha, beta, word):
    ds = default_dataset()
    with pytest.raises(CritlcnError) as err:
        quadratic_loss(dataset_from_arrays(ds.X * alpha, ds.Y * beta), ARCH)
    message = str(err.value)
    assert word in message and "singular" not in message and "\n" not in message


def test_rescaled_data_on_the_command_line(run_cli, tmp_path):
    ds = default_dataset()
    for name, a, b in [("big", 1e200, 1e200), ("tiny", 1.0, 1e-200)]:
        np.savez(tmp_path / f"{name}.npz", X=ds.X * a, Y=ds.Y * b)
        res = run_cli("solve", "--k", "3", "2", "2", "--data", tmp_path / f"{name}.npz", "--format", "json")
        assert res.returncode == 2 and res.stdout == ""
        assert len(res.stderr.strip().splitlines()) == 1 and "double precision" in res.stderr


def test_invariants_of_an_initialisation_survive_any_units():
    """With --init, every parameter point has the initialisation's invariants
    δ_ij = ‖w_i‖² − ‖w_j‖² in the user's units, at any data scale."""
    from critlcn.lift import invariants

    rng = np.random.default_rng(5)
    for alpha, beta in [(1.0, 1.0), (1e40, 1e-30), (1e-30, 1e40)]:
        ds = default_dataset()
        scaled = dataset_from_arrays(ds.X * alpha, ds.Y * beta, source="scaled")
        loss = quadratic_loss(scaled, ARCH)
        result = solve(ARCH, loss, scaled, seed=0)
        # filters of the size the data call for, with distinct norms
        size = (beta / alpha) ** (1 / 3)
        init = tuple(size * (1 + i) * rng.normal(size=k) / np.sqrt(k) for i, k in enumerate(ARCH.k))
        lifted = lift(ARCH, loss, result.points, init=init)
        want = invariants(init)
        checked = 0
        for p in lifted.points:
            for q in p.parameters:
                got = invariants(q.arrays())
                assert np.allclose(got, want, rtol=1e-8, atol=1e-10 * size**2), (alpha, beta, got, want)
                assert q.verified
                checked += 1
        assert checked > 0
