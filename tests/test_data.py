"""Tests of critlcn.data: the quadratic form equals the loss computed directly."""


import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.data import (
    dataset_from_arrays,
    default_dataset,
    load,
    quadratic_loss,
    save,
    synth,
)
from critlcn.errors import CritlcnError
from critlcn.polynomials import toeplitz

ARCH = Architecture((3, 2, 2))


def _direct_loss(ds, w):
    W = toeplitz(w, ds.input_size)
    return np.mean([np.sum((W @ x - y) ** 2) for x, y in zip(ds.X, ds.Y)])


def test_quadratic_form_equals_direct_loss_and_gradient():
    rng = np.random.default_rng(0)
    ds = synth(ARCH, 40, rng, noise=0.3)
    loss = quadratic_loss(ds, ARCH)
    for _ in range(5):
        w = rng.normal(size=5)
        assert np.isclose(loss.value(w), _direct_loss(ds, w))
        h = 1e-6
        fd = [(_direct_loss(ds, w + h * e) - _direct_loss(ds, w - h * e)) / (2 * h) for e in np.eye(5)]
        assert np.allclose(loss.gradient(w), fd, atol=1e-6)


def test_noiseless_teacher_has_zero_loss():
    rng = np.random.default_rng(1)
    teacher = rng.normal(size=5)
    ds = synth(ARCH, 30, rng, teacher=teacher)
    assert quadratic_loss(ds, ARCH).value(teacher) == pytest.approx(0.0, abs=1e-10)


def test_synth_is_deterministic():
    a = synth(ARCH, 10, np.random.default_rng(5), noise=0.1)
    b = synth(ARCH, 10, np.random.default_rng(5), noise=0.1)
    assert a.sha256 == b.sha256 and np.array_equal(a.X, b.X)


def test_default_dataset_matches_its_documented_recipe():
    ds = default_dataset()
    again = synth(ARCH, 50, np.random.default_rng(20220101), d0=10, noise=0.1)
    assert ds.X.shape == (50, 10) and ds.Y.shape == (50, 6)
    assert np.array_equal(ds.X, again.X) and np.array_equal(ds.Y, again.Y)
    quadratic_loss(ds, Architecture((4, 2)))  # fits every degree-4 architecture


def test_save_load_round_trip(tmp_path):
    ds = synth(ARCH, 7, np.random.default_rng(2))
    p = tmp_path / "d.npz"
    save(ds, str(p))
    back = load(str(p))
    assert back.sha256 == ds.sha256


def test_values_are_immutable():
    ds = synth(ARCH, 7, np.random.default_rng(2))
    with pytest.raises(ValueError):
        ds.X[0, 0] = 1.0
    loss = quadratic_loss(ds, ARCH)
    with pytest.raises(ValueError):
        loss.Q[0, 0] = 1.0


@pytest.mark.parametrize(
    "make, fragment",
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(b"not a zip"), "cannot read"),
        (lambda p: np.savez(p, X=np.ones((3, 10))), "no array Y"),
        (lambda p: np.savez(p, X=np.ones((3, 10)), Y=np.ones((3, 5))), "Y has 5 columns"),
        (lambda p: np.savez(p, X=np.ones((3, 4)), Y=np.ones((3, 1))), "smaller than the end-to-end filter"),
        (lambda p: np.savez(p, X=np.ones((3, 10)), Y=np.ones((2, 6))), "samples"),
        (lambda p: np.savez(p, X=np.full((3, 10), np.nan), Y=np.ones((3, 6))), "NaN"),
        (lambda p: np.savez(p, X=np.ones(10), Y=np.ones(6)), "2-D"),
        (lambda p: np.savez(p, X=np.random.default_rng(0).normal(size=(1, 6)), Y=np.ones((1, 2))), "`allow_singular`"),  # the CLI says --allow-singular
    ],
)
def test_bad_data_gives_one_line_error(tmp_path, make, fragment):
    p = tmp_path / "bad.npz"
    make(p)
    with pytest.raises(CritlcnError) as info:
        quadratic_loss(load(str(p)), ARCH)
    msg = str(info.value)
    assert fragment in msg and "\n" not in msg


def test_singular_allowed_with_flag():
    rng = np.random.default_rng(3)
    ds = dataset_from_arrays(rng.normal(size=(1, 6)), rng.normal(size=(1, 2)))
    loss = quadratic_loss(ds, ARCH, allow_singular=True)
    assert np.linalg.matrix_rank(loss.Q) < 5


def test_synth_rejects_wrong_teacher():
    with pytest.raises(CritlcnError):
        synth(ARCH, 5, np.random.default_rng(0), teacher=np.ones(4))
