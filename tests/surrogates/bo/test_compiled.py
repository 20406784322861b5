"""``minimize_compiled``: the whole BO run as one program, against the Python loop.

Known answers: the Python loop (``minimize``) with the same seed, step for step (the
compiled step mirrors ``Optimizer._model_based``; only the padding differs, full budget
against power-of-two buckets, so proposals agree to round-off), and each seed of a
run over four seeds against that seed run alone.
"""

import json
import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from surrogates.bo import minimize, problems
from surrogates.bo.compiled import minimize_compiled
from surrogates.bo.space import Categorical, Real
from surrogates.bo.step import traceable_fit
from tests.compilations import backend_compilations

PROBLEM = problems.get("branin")


def branin(x):
    b, c, t = 5.1 / (4 * jnp.pi**2), 5 / jnp.pi, 1 / (8 * jnp.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6.0) ** 2 + 10.0 * (1 - t) * jnp.cos(x[0]) + 10.0


@pytest.fixture(scope="module")
def four_seeds():
    return minimize_compiled(branin, PROBLEM.bounds, n_init=4, budget=8, seeds=[0, 3, 5, 7])


def test_compiled_run_proposes_what_the_python_loop_proposes(four_seeds):
    objective = lambda x: float(branin(jnp.asarray(x)))  # noqa: E731
    python = minimize(objective, PROBLEM.bounds, n_init=4, budget=8, seed=3, progress=False)
    # 1e-9 of the box: the fits differ only in the round-off of the padding (measured ~1e-14).
    np.testing.assert_allclose(four_seeds.X[1], np.asarray(python.X), atol=1e-9 * 15)
    np.testing.assert_allclose(four_seeds.y[1], np.asarray(python.y), rtol=1e-8)
    assert four_seeds.y_best[1] == pytest.approx(python.y_best, rel=1e-8)
    assert four_seeds.y_best[0] == pytest.approx(np.min(four_seeds.y[0]))


def test_four_seeds_run_together_match_four_separate_runs(four_seeds):
    for i, seed in enumerate(four_seeds.seeds):
        alone = minimize_compiled(branin, PROBLEM.bounds, n_init=4, budget=8, seeds=[seed])
        np.testing.assert_allclose(alone.X[0], four_seeds.X[i], atol=1e-10)
        np.testing.assert_allclose(alone.y[0], four_seeds.y[i], rtol=1e-10)


def test_one_compilation_per_problem_and_surrogate_not_per_seed_or_iteration():
    """A 12-step run compiles its program once (plus at most a few small conversions);
    the same configuration with other seeds compiles nothing."""
    first = backend_compilations(lambda: minimize_compiled(branin, PROBLEM.bounds, n_init=3, budget=15, seeds=[1, 2]))
    again = backend_compilations(lambda: minimize_compiled(branin, PROBLEM.bounds, n_init=3, budget=15, seeds=[8, 9]))
    assert 1 <= first <= 4, first
    assert again == 0, again


@pytest.mark.parametrize(
    "surrogate, options",
    [
        ("dkl", {"hidden": [8], "pretrain_steps": 20, "steps": 20}),
        ("laplace", {"hidden": [8], "method_options": {"pretrain_steps": 50}}),
        ("bnn_hmc", {"hidden": [8], "method_options": {"num_warmup": 20, "num_samples": 20, "pretrain_steps": 50}}),
    ],
)
def test_learned_feature_and_bnn_surrogates_run_compiled_as_in_the_python_loop(surrogate, options):
    """With a budget of 16 both loops pad to 16 rows, so the programs see the same arrays
    and propose the same points (to round-off), for surrogates with a random fit too."""
    compiled = minimize_compiled(
        branin, PROBLEM.bounds, surrogate=surrogate, surrogate_options=options, n_init=14, budget=16, seeds=[0]
    )
    objective = lambda x: float(branin(jnp.asarray(x)))  # noqa: E731
    python = minimize(
        objective,
        PROBLEM.bounds,
        surrogate=surrogate,
        surrogate_options=options,
        n_init=14,
        budget=16,
        seed=0,
        progress=False,
    )
    np.testing.assert_allclose(compiled.X[0], np.asarray(python.X), atol=1e-6 * 15)


def test_unsupported_surrogates_and_spaces_raise():
    with pytest.raises(ValueError, match="fit_traced"):
        traceable_fit(object())
    with pytest.raises(ValueError, match="continuous"):
        minimize_compiled(branin, [Real(0.0, 1.0), Categorical(3)], budget=6)
    with pytest.raises(ValueError, match="n_init"):
        minimize_compiled(branin, PROBLEM.bounds, n_init=9, budget=6)


def test_warm_started_fits_agree_with_the_python_loop_across_its_bucket_changes():
    """16 steps: the gp's hyperparameters are carried from step to step in both loops, while
    the Python loop's padding grows 8 → 16 → 32 rows and the compiled loop's stays at 20."""
    compiled = minimize_compiled(PROBLEM.fun, PROBLEM.bounds, n_init=4, budget=20, seeds=[2])
    python = minimize(PROBLEM.fun, PROBLEM.bounds, n_init=4, budget=20, seed=2, progress=False)
    np.testing.assert_allclose(compiled.X[0], np.asarray(python.X), atol=1e-7 * 15)


SHARDED_SCRIPT = """
import json, jax
from surrogates.bo import problems
from surrogates.bo.compiled import minimize_compiled
assert jax.device_count() == 2, jax.devices()
p = problems.get("branin")
res = minimize_compiled(p.fun, p.bounds, n_init=4, budget=8, seeds=[0, 3, 5])
print("RESULT" + json.dumps({"X": res.X.tolist(), "y": res.y.tolist()}))
"""


def test_seeds_split_over_two_host_devices_match_one_device(four_seeds):
    """Two CPU devices: three seeds (padded to four) run two per device and give the
    single-device results."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SHARDED_SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    sharded = json.loads(out.stdout.split("RESULT")[-1])
    assert np.shape(sharded["X"]) == (3, 8, 2)
    np.testing.assert_allclose(sharded["X"], four_seeds.X[:3], atol=1e-9 * 15)
    np.testing.assert_allclose(sharded["y"], four_seeds.y[:3], rtol=1e-8)
