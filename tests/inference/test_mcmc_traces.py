"""How often a first ``mcmc`` call traces the user's log density (issue #20: first-call compile time).

Each trace of a large density (inference-gym's stochastic volatility model is ~7000 nested
functions) costs seconds, and XLA compiles every inlined copy. The traces a first call
needs: the starts' check, the initial states, the step-size search's proxy step and the
kernel step. The step info's structure is read off a stand-in density (a fifth trace before).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import inference

TRACES = 4


@pytest.mark.parametrize("kernel", ["nuts", "hmc", "mala", "rwmh"])
def test_a_first_call_traces_the_density_once_per_program_part(kernel):
    traces = []
    scales = jnp.array([1.0, 2.0, 3.0])

    def log_density(z):
        traces.append(z.shape)
        return -0.5 * jnp.sum((z / scales) ** 2)

    post = inference.mcmc(
        jax.random.PRNGKey(0),
        log_density,
        kernel=kernel,
        num_warmup=200,
        num_samples=10,
        num_chains=2,
        init_position=jnp.zeros(3),
    )
    assert len(traces) <= TRACES, traces
    # The stats built from the stand-in's info structure carry the real steps' values.
    acceptance = np.asarray(post.stats["acceptance_prob"])
    assert acceptance.shape == (2, 10) and acceptance.dtype == np.asarray(post.stats["log_density"]).dtype
    assert np.all((acceptance >= 0) & (acceptance <= 1)) and np.any(acceptance > 0)
