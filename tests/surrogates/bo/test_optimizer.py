"""Ask/tell: determinism through save/load, failures, and awkward y values."""

import json

import numpy as np
import pytest

from surrogates.bo import Optimizer, problems

BRANIN = problems.get("branin")


def told(seed=0, offset=0.0, n=8, **kwargs):
    opt = Optimizer(BRANIN.bounds, seed=seed, n_init=n, **kwargs)
    X = opt.ask(n)
    opt.tell(X, np.array([BRANIN.fun(x) for x in X]) + offset)
    return opt


def test_saved_state_is_plain_json_and_reproduces_the_next_proposal(tmp_path):
    opt = told(seed=3)
    opt.save(tmp_path / "s.json")
    state = json.loads((tmp_path / "s.json").read_text())
    assert state["prng"] == {"seed": 3, "counter": 8, "rule": "fold_in(PRNGKey(seed), counter)"}
    again = Optimizer.load(tmp_path / "s.json")
    np.testing.assert_array_equal(opt.ask(2), again.ask(2))


def test_initial_design_is_a_scrambled_sobol_sequence_in_the_bounds():
    opt = Optimizer(BRANIN.bounds, seed=1, n_init=8)
    X = np.vstack([opt.ask(3), opt.ask(5)])  # asking in pieces continues the same sequence
    np.testing.assert_array_equal(X, Optimizer(BRANIN.bounds, seed=1, n_init=8).ask(8))
    assert np.all((X >= BRANIN.bounds[:, 0]) & (X <= BRANIN.bounds[:, 1]))
    # A Sobol design of 8 points puts exactly one point in each eighth of every axis.
    cells = np.floor((X - BRANIN.bounds[:, 0]) / (BRANIN.bounds[:, 1] - BRANIN.bounds[:, 0]) * 8)
    assert all(sorted(cells[:, j]) == list(range(8)) for j in range(2))


def test_offsets_do_not_change_proposals():
    """The loop standardises y, so adding 1e9 changes y only in its last ~7 digits."""
    a, b = told(offset=0.0).ask(1), told(offset=1e9).ask(1)
    np.testing.assert_allclose(a, b, atol=1e-3 * 15)


def test_constant_y_and_non_finite_values():
    opt = Optimizer(BRANIN.bounds, n_init=4)
    X = opt.ask(4)
    opt.tell(X, [1.0, 1.0, np.nan, 1.0])
    assert len(opt.y) == 3 and len(opt.failures) == 1 and "non-finite" in opt.failures[0]["error"]
    x = opt.ask(1)
    assert np.all(np.isfinite(x)) and np.all((x >= BRANIN.bounds[:, 0]) & (x <= BRANIN.bounds[:, 1]))


def test_shape_errors_name_the_argument():
    opt = Optimizer(BRANIN.bounds)
    with pytest.raises(ValueError, match="X must have shape"):
        opt.tell(np.zeros((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match="y must have shape"):
        opt.tell(np.zeros((2, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="acquisition"):
        Optimizer(BRANIN.bounds, acquisition="nope")
    with pytest.raises(ValueError, match="n must be"):
        opt.ask(0)


def test_warm_start_is_saved_so_a_reloaded_run_continues_as_the_uninterrupted_one(tmp_path):
    """The gp's hyperparameters from the last fit are part of the saved state: three more
    asks of a reloaded optimizer equal those of the one that never stopped."""
    opt = told(seed=4)
    for _ in range(2):
        X = opt.ask(1)
        opt.tell(X, [BRANIN.fun(x) for x in X])
    assert set(opt.state_dict()["warm_start"]) == {"log_lengthscale", "log_noise_excess", "mean"}
    opt.save(tmp_path / "s.json")
    again = Optimizer.load(tmp_path / "s.json")
    for _ in range(3):
        X, X_again = opt.ask(1), again.ask(1)
        np.testing.assert_array_equal(X, X_again)
        opt.tell(X, [BRANIN.fun(x) for x in X])
        again.tell(X_again, [BRANIN.fun(x) for x in X_again])
    cold = Optimizer(BRANIN.bounds, seed=4, n_init=8, surrogate_options={"warm_start": False})
    assert cold.state_dict()["warm_start"] is None


def test_default_initial_design_is_bounded_by_the_budget_in_one_place():
    """``n_init`` defaults to 2(d+1), or a third of ``budget`` when that is smaller; a given
    ``n_init`` wins, and a bad ``budget`` is refused by name."""
    assert Optimizer(BRANIN.bounds).n_init == 6
    assert Optimizer(BRANIN.bounds, budget=12).n_init == 4
    assert Optimizer(BRANIN.bounds, budget=100).n_init == 6
    assert Optimizer(BRANIN.bounds, budget=12, n_init=7).n_init == 7
    with pytest.raises(ValueError, match="budget must be >= 1"):
        Optimizer(BRANIN.bounds, budget=0)
    with pytest.raises(TypeError, match="n_init must be an integer"):
        Optimizer(BRANIN.bounds, n_init=2.5)
