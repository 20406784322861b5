"""``Strategy``: hashing (equal settings share one compiled program), the JSON round trip,
validation before tracing, and run folders written before ``Strategy`` existed still resuming."""

import json
import pathlib
import shutil

import numpy as np
import pytest

from surrogates.bo import Optimizer, Strategy, acquisition, minimize, minimize_compiled, problems
from surrogates.bo.step import propose_jit
from surrogates.bo.storage import RunDirectory
from surrogates.bo.strategy import OPTIMIZER_OPTIONS, Options
from tests.compilations import backend_compilations

DATA_DIR = pathlib.Path(__file__).parents[2] / "data"
BRANIN = problems.get("branin")
FAST = {"raw_samples": 64, "num_restarts": 2, "num_steps": 10}
# The settings of tests/data/bo_run_v1, a run folder written by the loop before Strategy existed
# (format modbayes.optimizer/1: surrogate, acquisition and optimizer options at the top of the state).
V1_SETTINGS = dict(surrogate="gp", acquisition="ucb", acquisition_options={"beta": 2.0}, optimizer_options=FAST)


def test_equal_settings_give_equal_hashes_whatever_the_dict_order():
    a = Strategy("ibnn", "logei", surrogate_options={"learn": True, "depth": 3}, optimizer_options=FAST)
    b = Strategy("ibnn", "logei", surrogate_options={"depth": 3, "learn": True}, optimizer_options=dict(FAST))
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Strategy("ibnn", "logei", surrogate_options={"depth": 2, "learn": True})}) == 2
    assert Strategy() != Strategy(acquisition="ucb")
    assert a.surrogate_options == {"depth": 3, "learn": True}  # a Mapping, compared with dicts


def test_options_are_frozen_json_values():
    options = Options({"hidden": (32, 32), "method_options": {"learning_rate": 0.03}})
    assert options["hidden"] == (32, 32)  # sequences read back as tuples: hashable static arguments
    options["method_options"]["learning_rate"] = 1.0  # a copy: the stored value is untouched
    assert options == {"hidden": [32, 32], "method_options": {"learning_rate": 0.03}}
    assert options.to_dict() == {"hidden": [32, 32], "method_options": {"learning_rate": 0.03}}
    with pytest.raises(AttributeError):
        options.extra = 1
    with pytest.raises(ValueError, match="surrogate_options must hold JSON values"):
        Strategy(surrogate_options={"prior": object()})
    with pytest.raises(TypeError, match="acquisition_options must be a dict"):
        Strategy(acquisition_options=[("beta", 2.0)])


def test_a_tuple_option_reaches_a_model_that_hashes_it():
    """The gp is a static argument of its own jitted fit: a list lengthscale would not hash."""
    strategy = Strategy(surrogate_options={"lengthscale": [0.2, 0.3], "learn": False})
    opt = Optimizer(BRANIN.bounds, strategy=strategy, n_init=None, seed=0, budget=9)
    X = opt.ask(3)
    opt.tell(X, [BRANIN.fun(x) for x in X])
    assert opt.ask().shape == (1, 2)
    assert opt.surrogate.lengthscale == (0.2, 0.3)


@pytest.mark.parametrize(
    "strategy",
    [
        Strategy(),
        Strategy("ibnn", "qlognei", surrogate_options={"learn": False}, optimizer_options=FAST, n_init=7),
        Strategy("laplace", "ucb", surrogate_options={"hidden": [8, 8], "method_options": {"pretrain_steps": 50}}),
    ],
)
def test_json_round_trip_gives_an_equal_strategy(strategy):
    text = json.dumps(strategy.to_json())
    back = Strategy.from_json(json.loads(text))
    assert back == strategy and hash(back) == hash(strategy)
    assert json.dumps(back.to_json()) == text


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"surrogate": "no_such_model"}, ValueError, "no_such_model"),
        ({"acquisition": "no_such_acq"}, ValueError, "acquisition must be one of"),
        ({"optimizer_options": {"restarts": 3}}, ValueError, r"optimizer_options: unknown setting\(s\) \['restarts'\]"),
        ({"n_init": 0}, ValueError, "n_init"),
        ({"optimizer_options": {"raw_samples": 64.0}}, TypeError, r"optimizer_options\['raw_samples'\]"),
        ({"optimizer_options": {"learning_rate": -1}}, ValueError, "positive number"),
        ({"surrogate": 3}, TypeError, "surrogate must be a registered name"),
    ],
)
def test_bad_settings_fail_at_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        Strategy(**kwargs)


def test_optimizer_options_are_optimize_acqfs_keywords():
    assert {"raw_samples", "num_restarts", "num_steps", "learning_rate"} <= OPTIMIZER_OPTIONS
    assert "around" not in OPTIMIZER_OPTIONS  # it comes from the data at each step
    # The documented "off" values stay accepted: no starts around the best, the best raw starts.
    off = {"around_samples": 0, "start_temperature": None}
    assert Strategy(optimizer_options=off).optimizer_options == off
    with pytest.raises(ValueError, match="non-negative"):
        Strategy(optimizer_options={"start_temperature": -1.0})


def test_a_strategy_or_its_settings_spelled_out_not_both():
    strategy = Strategy(acquisition="ucb")
    opt = Optimizer(BRANIN.bounds, strategy=strategy)
    assert opt.strategy is strategy and opt.acquisition_name == "ucb"
    assert Optimizer(BRANIN.bounds, acquisition="ucb").strategy == strategy
    with pytest.raises(TypeError, match=r"either as strategy= or as \['surrogate'\]"):
        Optimizer(BRANIN.bounds, strategy=strategy, surrogate="ibnn")
    with pytest.raises(TypeError, match="not both"):  # even when it names the default
        Optimizer(BRANIN.bounds, strategy=strategy, surrogate="gp")
    with pytest.raises(TypeError, match="strategy must be a surrogates.bo.Strategy"):
        minimize(BRANIN.fun, BRANIN.bounds, strategy={"surrogate": "gp"}, budget=3)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['surogate'\]"):
        minimize_compiled(BRANIN.fun, BRANIN.bounds, surogate="ibnn", budget=3)


def test_batch_rule_and_initial_design_rule():
    strategy = Strategy()
    assert strategy.acquisition_for(1) is strategy.acquisition_for(1)  # built once
    assert isinstance(strategy.acquisition_for(4), acquisition.QLogExpectedImprovement)
    with pytest.raises(ValueError, match="one point at a time"):
        Strategy(acquisition="ucb").acquisition_for(2)
    assert strategy.initial_design_size(6) == 14  # 2(d + 1)
    assert strategy.initial_design_size(6, budget=30) == 10  # at most a third of the budget
    assert Strategy(n_init=5).initial_design_size(6, budget=30) == 5


def test_an_acquisition_that_cannot_batch_fails_before_any_evaluation():
    calls = []
    with pytest.raises(ValueError, match="one point at a time"):
        minimize(lambda x: calls.append(x) or 0.0, BRANIN.bounds, acquisition="ucb", batch_size=2, budget=6)
    assert calls == []


def test_equal_strategies_share_the_compiled_proposal():
    """The strategy is propose_jit's static argument: a second, equal strategy built apart
    (as a resumed run builds one) compiles nothing new."""
    opt = Optimizer(BRANIN.bounds, seed=1, n_init=3, optimizer_options=FAST)
    X = opt.ask(3)
    opt.tell(X, [BRANIN.fun(x) for x in X])
    opt.ask()  # compiles fit and proposal for this bucket
    again = Optimizer.from_state_dict(json.loads(json.dumps(opt.state_dict())))
    assert again.strategy == opt.strategy and again.strategy is not opt.strategy
    before = propose_jit._cache_size()
    assert backend_compilations(again.ask) == 0
    assert propose_jit._cache_size() == before
    # The proposal depends on the acquisition and the optimiser settings only: another n_init
    # or surrogate setting (its own fit compiles) reuses the compiled proposal.
    other = Optimizer(BRANIN.bounds, seed=1, n_init=2, optimizer_options=FAST, surrogate_options={"max_steps": 50})
    other.tell(opt.X, opt.y)
    other.num_asked = opt.num_asked
    other.ask()
    assert propose_jit._cache_size() == before


def test_old_run_folders_resume_as_an_uninterrupted_run(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(DATA_DIR / "bo_run_v1", old)
    state = json.loads((old / "state.json").read_text())
    assert state["optimizer"]["format"] == "modbayes.optimizer/1"
    resumed = minimize(BRANIN.fun, BRANIN.bounds, budget=7, checkpoint=old, progress=False)

    fresh = minimize(BRANIN.fun, BRANIN.bounds, **V1_SETTINGS, n_init=3, seed=7, budget=7, progress=False)
    np.testing.assert_allclose(np.asarray(resumed.X), np.asarray(fresh.X), atol=1e-9)
    rewritten = RunDirectory(old).read_state()["optimizer"]
    assert rewritten["format"] == "modbayes.optimizer/2"
    assert rewritten["n_init"] == 3
    # Format 1 kept only the resolved n_init, so the resumed strategy is the one spelled out without it.
    assert Strategy.from_json(rewritten["strategy"]) == Strategy(**V1_SETTINGS)
