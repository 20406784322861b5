"""How often ``mcmc`` traces the user's log density (issue #20: first-call compile time).

Each trace of a large density (inference-gym's stochastic volatility model is ~7000 nested
functions) costs seconds. ``mcmc`` calls the density in the initial states, their check,
the step-size search's proxy step and the kernel step. A plain function goes behind
``jax.jit`` (``jitted_density``), so these share one trace (it was traced five times before);
and the step info's structure is read off a stand-in density, not off one more trace.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import inference
from inference.jitted_density import JittedDensity, jitted_density
from inference.minibatch import minibatch_log_density
from tests.compilations import backend_compilations

SCALES = jnp.array([1.0, 2.0, 3.0])
SETTINGS = dict(num_warmup=200, num_samples=10, num_chains=2, chain_method="vectorized")


def counting_density(traces: list):
    def log_density(z):
        traces.append(z.shape)
        return -0.5 * jnp.sum((z / SCALES) ** 2)

    return log_density


@pytest.mark.parametrize("kernel", ["nuts", "hmc", "mala", "rwmh"])
def test_a_first_call_traces_a_plain_density_once(kernel):
    traces = []
    post = inference.mcmc(
        jax.random.PRNGKey(0), counting_density(traces), kernel=kernel, init_position=jnp.zeros(3), **SETTINGS
    )
    assert len(traces) == 1, traces
    # The stats built from the stand-in's info structure carry the real steps' values.
    acceptance = np.asarray(post.stats["acceptance_prob"])
    assert acceptance.shape == (2, 10) and acceptance.dtype == np.asarray(post.stats["log_density"]).dtype
    assert np.all((acceptance >= 0) & (acceptance <= 1)) and np.any(acceptance > 0)


def test_the_step_info_costs_no_trace_of_a_program():
    """A ``Program``'s density is not jitted (``jitted_density``): five traces of the model, six
    when the step info's structure came from a step on the real density."""
    traces = []

    def model():
        traces.append(1)
        numpyro.sample("x", dist.Normal(0.0, SCALES).to_event(1))

    inference.mcmc(jax.random.PRNGKey(0), inference.Program(model), **SETTINGS)
    assert len(traces) <= 5, len(traces)


def test_a_second_call_with_the_same_plain_density_compiles_nothing():
    """The compiled programs are cached on the density as a static argument: the wrapper
    must hash and compare as the function, or every call would compile again."""
    traces = []
    log_density = counting_density(traces)
    inference.mcmc(jax.random.PRNGKey(0), log_density, init_position=jnp.zeros(3), **SETTINGS)
    again = lambda: inference.mcmc(jax.random.PRNGKey(1), log_density, init_position=jnp.zeros(3), **SETTINGS)  # noqa: E731
    assert backend_compilations(again) == 0
    assert len(traces) == 1


def test_only_plain_functions_are_wrapped():
    f, g = (lambda z: -jnp.sum(z**2)), (lambda z: -jnp.sum(z**4))
    assert jitted_density(f) == jitted_density(f) and hash(jitted_density(f)) == hash(jitted_density(f))
    assert jitted_density(f) != jitted_density(g)
    assert isinstance(jitted_density(functools.partial(f)), JittedDensity)
    jitted = jax.jit(f)
    assert jitted_density(jitted) is jitted  # jitted already: used as given
    # Other callables keep their type: SG kernels test for a MinibatchLogDensity.
    minibatch = minibatch_log_density(lambda p: 0.0, lambda p, d: jnp.sum(d["x"]), {"x": jnp.zeros((4, 1))}, 2)
    assert jitted_density(minibatch) is minibatch
