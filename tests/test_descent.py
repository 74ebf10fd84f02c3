"""Tests of batched gradient descent, the limit classifiers and the
experiment (issues 4 and 6)."""

import itertools

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.descent import (
    batch_value_gradient,
    descend,
    experiment,
    gaussian_losses,
    random_init,
    rrmp_of_limit,
    rrmp_of_near_form,
    whitened_losses,
)
from critlcn.errors import CritlcnError
from critlcn.polynomials import form_from_roots, rotate_form
from critlcn.render import EXPERIMENT_FORMATS, render_experiment
from critlcn.rrmp import REGIONS, RRMP, enumerate_rrmps, region


def _random_roots(r: RRMP, rng, split: float):
    """Distinct roots of pattern r, well separated, each repeated root split
    into a near-multiple cluster of size ``split``; also returns which roots
    form each colour."""
    while True:
        reals = rng.uniform(-2, 2, size=len(r.rho))
        pairs = rng.uniform(-1.5, 1.5, size=len(r.gamma)) + 1j * rng.uniform(0.4, 1.5, size=len(r.gamma))
        centres = list(reals) + list(pairs) + list(np.conj(pairs))
        if len(centres) < 2 or min(abs(a - b) for a, b in itertools.combinations(centres, 2)) > 0.3:
            break
    colours = []
    for x, m in zip(reals, r.rho):
        colours.append([x + split * rng.uniform(-1, 1) for _ in range(m)])
    for z, m in zip(pairs, r.gamma):
        colours.append([z + split * (rng.uniform(-1, 1) + 1j * rng.uniform(-1, 1)) for _ in range(m)])
    return colours


@pytest.mark.parametrize("d", [3, 4, 5, 6])
def test_near_form_classifier_recognises_near_multiple_roots(d):
    rng = np.random.default_rng(100 + d)
    for r in enumerate_rrmps(d):
        for split in (0.0, 1e-9, 1e-7):
            cols = _random_roots(r, rng, split)
            roots = [z for c in cols[: len(r.rho)] for z in c]
            roots += [z for c in cols[len(r.rho):] for w in c for z in (w, np.conj(w))]
            w = rng.normal() * form_from_roots(np.array(roots)).real
            w = rotate_form(w, rng.uniform(0, np.pi))  # roots anywhere on P^1
            assert rrmp_of_near_form(w) == r, (str(r), split)


@pytest.mark.parametrize("k", [(3, 2, 2), (4, 2), (2, 2, 2, 2), (3, 3)])
def test_limit_classifier_on_layer_factorisations(k):
    """Layers built from known roots, shared roots perturbed by up to 1e-6
    (the accuracy of a gradient-descent limit): the pattern of the product."""
    from critlcn.compatibility import colours, labelled_assignments

    arch = Architecture(k)
    rng = np.random.default_rng(sum(k))
    for r in enumerate_rrmps(arch.degree):
        for assignment in itertools.islice(labelled_assignments(r, arch), 3):
            cols = colours(r)
            base = _random_roots(r, rng, 0.0)
            layers = [[] for _ in arch.k]
            for col, members, subset in zip(cols, base, assignment):
                for b in subset:
                    z = members[0] + 1e-6 * (rng.uniform(-1, 1) + (1j * rng.uniform(-1, 1) if col.kind == "q" else 0))
                    layers[b] += [z] if col.kind == "p" else [z, np.conj(z)]
            fs = [rng.normal() * form_from_roots(np.array(ro)).real if ro else np.array([rng.normal()])
                  for ro in layers]
            assert rrmp_of_limit(fs) == r
            # and a limit whose shared roots are genuinely apart is generic
            assert rrmp_of_limit(fs, tol=1e-9).partition == (1,) * arch.degree


def test_batch_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    arch = Architecture((3, 2, 2))
    bl = gaussian_losses(arch, rng.normal(size=(3, arch.size)), 20, rng)
    fs = random_init(arch, 3, rng, 1.0)
    _, grads, _ = batch_value_gradient(bl, fs)
    h = 1e-6
    for layer, f in enumerate(fs):
        for a in range(f.shape[1]):
            plus = [g.copy() for g in fs]
            minus = [g.copy() for g in fs]
            plus[layer][:, a] += h
            minus[layer][:, a] -= h
            fd = (batch_value_gradient(bl, plus)[0] - batch_value_gradient(bl, minus)[0]) / (2 * h)
            assert np.allclose(grads[layer][:, a], fd, rtol=1e-6, atol=1e-6)


def test_batch_loss_matches_the_data():
    from critlcn.data import quadratic_loss, synth

    rng = np.random.default_rng(4)
    arch = Architecture((4, 2))
    targets = rng.normal(size=(2, arch.size))
    bl = gaussian_losses(arch, targets, 30, np.random.default_rng(9))
    again = np.random.default_rng(9)
    for i, t in enumerate(targets):
        loss = quadratic_loss(synth(arch, 30, again, teacher=t), arch)
        w = rng.normal(size=arch.size)
        assert bl.take([i]).value(w[None, :])[0] == pytest.approx(loss.value(w))


def test_descent_runs_independently_and_converges():
    rng = np.random.default_rng(2)
    arch = Architecture((4, 2))
    bl = whitened_losses(rng.normal(size=(40, arch.size)))
    init = random_init(arch, 40, rng)
    together = descend(bl, init)
    alone = descend(bl.take([7]), [f[7:8] for f in init])
    assert together.converged.all()
    assert np.allclose(together.run(7)[0], alone.run(0)[0])
    # converged means a small gradient, recomputed here
    _, grads, _ = batch_value_gradient(bl, together.filters)
    gn = np.sqrt(sum(np.sum(g * g, axis=1) for g in grads))
    assert np.all(gn <= together.tol * (1 + np.linalg.norm(bl.b(), axis=1)) * 1.0001)


def test_bad_descent_inputs():
    arch = Architecture((2, 2))
    with pytest.raises(CritlcnError):
        random_init(arch, 0, np.random.default_rng(0))
    with pytest.raises(CritlcnError):
        descend(whitened_losses(np.zeros((2, 3))), random_init(arch, 3, np.random.default_rng(0)))
    with pytest.raises(CritlcnError):
        experiment(arch, 5, data_model="laplace")


@pytest.fixture(scope="module")
def small():
    return experiment(Architecture((3, 2, 2)), 60, seed=3, targets=20, match=None)


def test_small_experiment_table_shape_and_matches(small):
    res = small
    assert res.runs == 60 and res.match_targets == 20
    assert sum(t.share for t in res.targets) == pytest.approx(1.0)
    assert sum(t.targets for t in res.targets) == 20
    for t in res.targets:
        assert t.runs == 3 * t.targets
        assert sum(lim.share for lim in t.limits) == pytest.approx(1.0)
        for lim in t.limits:
            assert lim.region in REGIONS and lim.region == region(RRMP.parse(lim.rrmp), 2)
    # every converged limit is one of the listed critical points; none below the best
    assert res.converged >= 57
    assert res.checked_converged == res.converged
    assert res.matched == res.checked_converged
    assert res.lower_than_best == 0
    # a limit of positive loss lies on a lower stratum than the target (for
    # targets in the interior the global minimum has loss ~0)
    for rec in res.records:
        if RRMP.parse(rec.target_rrmp).real_roots >= 2 and rec.loss > 1e-8:
            assert RRMP.parse(rec.limit_rrmp).dimension < RRMP.parse(rec.target_rrmp).dimension


def test_experiment_json_contract_and_formats(small):
    import json

    d = json.loads(render_experiment(small, "json"))
    assert set(d) >= {"architecture", "runs", "seed", "converged", "matched", "targets"}
    for t in d["targets"]:
        assert set(t) >= {"rrmp", "share", "limits"} and 0 <= t["share"] <= 1
        for lim in t["limits"]:
            assert set(lim) >= {"rrmp", "share", "mean_loss", "region"} and 0 <= lim["share"] <= 1
    for fmt in EXPERIMENT_FORMATS:
        assert render_experiment(small, fmt)


def test_experiment_is_reproducible_from_its_seed():
    a = experiment(Architecture((4, 2)), 30, seed=5, data_model="gaussian", samples=20)
    b = experiment(Architecture((4, 2)), 30, seed=5, data_model="gaussian", samples=20)
    assert a.records == b.records and a.targets == b.targets
