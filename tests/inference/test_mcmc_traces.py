"""How often ``mcmc`` traces the user's log density (issue #20: first-call compile time).

Each trace of a large density (inference-gym's stochastic volatility model is ~7000 nested
functions) costs seconds. ``mcmc`` calls the density in the initial states, their check,
the step-size search's proxy step and the kernel step; behind ``jax.jit`` (``jitted_density``)
these share one trace, and the step info's structure is read off a stand-in density. Before,
a plain function was traced five times.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import inference
from inference.jitted_density import jitted_density
from tests.compilations import backend_compilations

SCALES = jnp.array([1.0, 2.0, 3.0])


def counting_density(traces: list):
    def log_density(z):
        traces.append(z.shape)
        return -0.5 * jnp.sum((z / SCALES) ** 2)

    return log_density


def run(key, log_density, kernel="nuts"):
    return inference.mcmc(
        key, log_density, kernel=kernel, num_warmup=200, num_samples=10, num_chains=2, init_position=jnp.zeros(3)
    )


@pytest.mark.parametrize("kernel", ["nuts", "hmc", "mala", "rwmh"])
def test_a_first_call_traces_a_plain_density_once(kernel):
    traces = []
    post = run(jax.random.PRNGKey(0), counting_density(traces), kernel)
    assert len(traces) == 1, traces
    # The stats built from the stand-in's info structure carry the real steps' values.
    acceptance = np.asarray(post.stats["acceptance_prob"])
    assert acceptance.shape == (2, 10) and acceptance.dtype == np.asarray(post.stats["log_density"]).dtype
    assert np.all((acceptance >= 0) & (acceptance <= 1)) and np.any(acceptance > 0)


def test_a_second_call_with_the_same_plain_density_compiles_nothing():
    traces = []
    log_density = counting_density(traces)
    first = run(jax.random.PRNGKey(0), log_density)
    assert backend_compilations(lambda: run(jax.random.PRNGKey(1), log_density)) == 0
    again = run(jax.random.PRNGKey(0), log_density)
    assert len(traces) == 1
    np.testing.assert_array_equal(np.asarray(again.positions), np.asarray(first.positions))


def test_the_wrapper_is_equal_exactly_when_the_functions_are():
    f, g = (lambda z: -jnp.sum(z**2)), (lambda z: -jnp.sum(z**4))
    assert jitted_density(f) == jitted_density(f) and hash(jitted_density(f)) == hash(jitted_density(f))
    assert jitted_density(f) != jitted_density(g)
    jitted = jax.jit(f)
    assert jitted_density(jitted) is jitted  # jitted already: used as given
