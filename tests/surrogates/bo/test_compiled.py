"""``minimize_compiled``: the whole BO run as one program, against the Python loop.

Known answers: the Python loop (``minimize``) with the same seed, step for step (the
compiled step mirrors ``Optimizer._model_based``; only the padding differs, full budget
against power-of-two buckets, so proposals agree to round-off), and each seed of a
vmapped run against that seed run alone.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from surrogates.bo import minimize, problems
from surrogates.bo.compiled import minimize_compiled
from surrogates.bo.space import Categorical, Real

PROBLEM = problems.get("branin")


def branin(x):
    b, c, t = 5.1 / (4 * jnp.pi**2), 5 / jnp.pi, 1 / (8 * jnp.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6.0) ** 2 + 10.0 * (1 - t) * jnp.cos(x[0]) + 10.0


@pytest.fixture(scope="module")
def two_seeds():
    return minimize_compiled(branin, PROBLEM.bounds, n_init=4, budget=8, seeds=[0, 3])


def test_compiled_run_proposes_what_the_python_loop_proposes(two_seeds):
    objective = lambda x: float(branin(jnp.asarray(x)))  # noqa: E731
    python = minimize(objective, PROBLEM.bounds, n_init=4, budget=8, seed=3, progress=False)
    # 1e-9 of the box: the fits differ only in the round-off of the padding (measured ~1e-14).
    np.testing.assert_allclose(two_seeds.X[1], np.asarray(python.X), atol=1e-9 * 15)
    np.testing.assert_allclose(two_seeds.y[1], np.asarray(python.y), rtol=1e-8)
    assert two_seeds.y_best[1] == pytest.approx(python.y_best, rel=1e-8)
    assert two_seeds.y_best[0] == pytest.approx(np.min(two_seeds.y[0]))


def test_seeds_run_together_match_separate_runs(two_seeds):
    alone = minimize_compiled(branin, PROBLEM.bounds, n_init=4, budget=8, seeds=[0])
    np.testing.assert_allclose(alone.X[0], two_seeds.X[0], atol=1e-10)


def test_unsupported_surrogates_and_spaces_raise():
    with pytest.raises(ValueError, match="pure-JAX fit"):
        minimize_compiled(branin, PROBLEM.bounds, surrogate="dkl", budget=6)
    with pytest.raises(ValueError, match="continuous"):
        minimize_compiled(branin, [Real(0.0, 1.0), Categorical(3)], budget=6)
    with pytest.raises(ValueError, match="n_init"):
        minimize_compiled(branin, PROBLEM.bounds, n_init=9, budget=6)
