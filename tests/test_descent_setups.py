"""Experiment set-ups of issue 16: step rules, initialisation types, targets,
reproducibility, the `--paper` preset and bad input through the installed
console script."""

import json

import numpy as np
import pytest

from critlcn.architecture import Architecture
from critlcn.descent import PAPER_SETUP, descend, experiment, init_types, rrmp_of_limit, whitened_losses
from critlcn.errors import CritlcnError
from critlcn.initialisation import gaussian_init


@pytest.mark.parametrize("k", [(3, 2), (4, 2)])
def test_fixed_step_gradient_descent_reaches_the_same_limits_as_armijo(k):
    """Two different step rules from the same initialisations: plain
    fixed-step descent (no Newton finish) and Armijo backtracking both
    approximate the gradient flow, so where both converge they must end at
    the same end-to-end filter (up to the tolerance) and the same stratum,
    global and non-global limits alike."""
    arch = Architecture(k)
    rng = np.random.default_rng(11)
    loss = whitened_losses(rng.normal(size=(40, arch.size)))
    init = gaussian_init(arch, 40, rng, scale=0.5)
    armijo = descend(loss, init, tol=1e-8)
    fixed = descend(loss, init, tol=1e-8, rule="fixed", step=0.02, max_steps=200000, polish=False)
    assert armijo.converged.all() and fixed.converged.all()
    assert not fixed.polished.any()
    wa, wf = armijo.end_to_end(), fixed.end_to_end()
    assert np.all(np.linalg.norm(wa - wf, axis=1) <= 1e-5 * (1 + np.linalg.norm(wa, axis=1)))
    types_a = [str(rrmp_of_limit(armijo.run(i))) for i in range(40)]
    types_f = [str(rrmp_of_limit(fixed.run(i))) for i in range(40)]
    assert types_a == types_f
    assert len(set(types_a)) >= 2  # the case is not trivial: more than one kind of limit


def test_fixed_step_too_large_diverges_and_is_not_converged():
    arch = Architecture((3, 2))
    rng = np.random.default_rng(0)
    loss = whitened_losses(rng.normal(size=(5, arch.size)))
    res = descend(loss, gaussian_init(arch, 5, rng, scale=3.0), rule="fixed", step=5.0, max_steps=200, polish=False)
    assert not res.converged.any()


def test_bad_step_rule():
    arch = Architecture((3, 2))
    rng = np.random.default_rng(0)
    with pytest.raises(CritlcnError, match="step rule"):
        descend(whitened_losses(np.ones((2, 4))), gaussian_init(arch, 2, rng), rule="adam")
    with pytest.raises(CritlcnError, match="step size"):
        descend(whitened_losses(np.ones((2, 4))), gaussian_init(arch, 2, rng), step=0.0)


def _tables(res):
    return [(t.rrmp, t.targets, [(lim.rrmp, lim.runs, round(lim.mean_loss, 12)) for lim in t.limits])
            for t in res.targets]


@pytest.mark.parametrize("options", [
    {},
    {"init_type": "11|1", "init_roots": "gaussian"},
    {"init_type": "1111|0", "step_rule": "fixed", "step": 0.05, "max_steps": 3000, "target_dist": "sphere"},
])
def test_experiment_is_reproducible_from_the_seed(options):
    arch = Architecture((3, 2, 2))
    # determinism, not convergence, is under test: a short step budget keeps it quick
    options = {"max_steps": 3000, **options}
    a = experiment(arch, 60, seed=5, **options)
    b = experiment(arch, 60, seed=5, **options)
    c = experiment(arch, 60, seed=6, **options)
    assert _tables(a) == _tables(b)
    assert [r.to_dict() for r in a.records] == [r.to_dict() for r in b.records]
    assert [r.loss for r in a.records] != [r.loss for r in c.records]


def test_experiment_records_its_set_up():
    res = experiment(Architecture((4, 2)), 20, seed=1, init_type="112|0", init_roots="uniform",
                     target_dist="uniform", target_scale=2.0, step_rule="fixed", step=0.03, root_tol=1e-3)
    d = res.to_dict()
    assert (d["init_type"], d["init_roots"], d["init_norms"], d["target_dist"], d["target_scale"], d["step_rule"],
            d["step"], d["root_tol"], d["polish"]) == ("112|0", "uniform", "balanced", "uniform", 2.0, "fixed", 0.03,
                                                       1e-3, False)
    assert experiment(Architecture((4, 2)), 5).to_dict()["init_roots"] is None
    assert experiment(Architecture((4, 2)), 5).to_dict()["samples"] is None
    assert experiment(Architecture((4, 2)), 5, data_model="gaussian", samples=7).to_dict()["samples"] == 7


def test_target_distributions_are_what_they_say():
    arch = Architecture((4, 2))
    sphere = experiment(arch, 50, seed=2, target_dist="sphere", target_scale=3.0)
    # every run of a whitened experiment with t on the 3-sphere: a limit w
    # at a critical point is an orthogonal projection, so 0 <= loss <= |t|^2
    assert all(0 <= r.loss <= 9.0 + 1e-9 for r in sphere.records)
    with pytest.raises(CritlcnError, match="target_dist"):
        experiment(arch, 5, target_dist="cauchy")
    with pytest.raises(CritlcnError, match="init_type"):
        experiment(arch, 5, init_type="22|0")


def test_init_types_are_the_compatible_interior_rrmps(reference):
    """Against the paper's compatibility table (reference data): the rrmp
    types offered are exactly its compatible rows in the interior region."""
    table = reference["compatibility_paper"]
    for key, k in (("4,2", (4, 2)), ("3,2,2", (3, 2, 2))):
        expected = {r for r, pattern in zip(table["rows"], table["architectures"][key])
                    if pattern is not None and table["regions_e2"][r] == "interior"}
        assert set(init_types(Architecture(k))) == {"gaussian"} | expected


def test_cli_invalid_init_type_one_line_exit_2_nothing_written(run_cli, tmp_path):
    out = tmp_path / "exp.json"
    plot = tmp_path / "bars.png"
    for bad in ("22|0", "2|1", "111|0", "abc", "0|11"):
        r = run_cli("experiment", "--k", "4", "2", "--runs", "10", "--init-type", bad, "--output", out, "--plot", plot)
        assert r.returncode == 2, (bad, r.stderr)
        assert r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "--init-type" in lines[0] and "Traceback" not in r.stderr
        assert not out.exists() and not plot.exists()
    for args, word in ((["--init-roots", "cauchy"], "--init-roots"), (["--step-rule", "adam"], "--step-rule"),
                       (["--step", "0"], "--step"), (["--target-dist", "x"], "--target-dist"),
                       (["--root-tol", "-1"], "--root-tol"), (["--init-norms", "x"], "--init-norms"),
                       (["--data-model", "gaussian", "--d0", "3"], "--d0")):
        r = run_cli("experiment", "--k", "4", "2", "--runs", "10", *args)
        assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
        assert word in r.stderr


def test_cli_paper_preset_and_explicit_options(run_cli):
    r = run_cli("experiment", "--k", "4", "2", "--runs", "30", "--match", "0", "--paper", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for key, value in PAPER_SETUP.items():
        assert d[key] == value
    # an option given explicitly wins over the preset
    r = run_cli("experiment", "--k", "4", "2", "--runs", "30", "--match", "0", "--paper", "--init-type", "11|1",
                "--format", "json")
    assert json.loads(r.stdout)["init_type"] == "11|1"
    # the same seed gives the same JSON tables
    r2 = run_cli("experiment", "--k", "4", "2", "--runs", "30", "--match", "0", "--paper", "--init-type", "11|1",
                 "--format", "json")
    assert json.loads(r.stdout)["targets"] == json.loads(r2.stdout)["targets"]


def test_a_root_shared_by_balanced_equal_layers_stays_shared():
    """MATH.md §7: along the flow ``‖w_2‖² − ‖w_3‖²`` is constant, and
    swapping the two size-2 layers of k = (3,2,2) is a symmetry of L. An
    initialisation 13|0 (pattern p1p2·p2·p2) has w_2 = ±w_3, so every
    iterate keeps w_2 = ±w_3 and descent ends on the invariant set, at
    limits of type 13|0, 112|0 or 2|1 but never at 11|1 (distinct layer-2
    and layer-3 roots)."""
    from critlcn.initialisation import rrmp_init
    from critlcn.rrmp import RRMP

    arch = Architecture((3, 2, 2))
    rng = np.random.default_rng(8)
    init = rrmp_init(arch, RRMP.parse("13|0"), 60, rng)
    assert np.allclose(np.abs(np.sum(init[1] * init[2], axis=1)), np.sum(init[1] ** 2, axis=1))
    res = descend(whitened_losses(rng.normal(size=(60, arch.size))), init)
    w2, w3 = res.filters[1], res.filters[2]
    assert np.allclose(np.abs(w2), np.abs(w3), atol=1e-8)
    kinds = {str(rrmp_of_limit(res.run(i))) for i in range(60)}
    assert "11|1" not in kinds and "1111|0" not in kinds
