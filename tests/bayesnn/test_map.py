"""``bayesnn.map``: MAP training by Adam, and chain starts from prior draws (``map_starts``)."""

import jax
import jax.numpy as jnp
import numpy as np

from bayesnn.map import map_starts, maximize_log_density

# A Gaussian log density N(MU, diag(SD²)): its maximiser is MU, in closed form.
MU = jnp.array([1.5, -2.0, 0.25])
SD = jnp.array([1.0, 0.5, 2.0])


class GaussianProgram:
    """The two members of ``inference.Program`` that ``map_starts`` uses."""

    def log_density(self, z):
        return -0.5 * jnp.sum(((z - MU) / SD) ** 2)

    def sample_prior(self, key, num_chains):
        return jax.random.normal(key, (num_chains, MU.size))


def test_adam_reaches_the_closed_form_maximiser():
    program = GaussianProgram()
    z, value = maximize_log_density(program.log_density, jnp.zeros(3), num_steps=2000, learning_rate=0.05)
    np.testing.assert_allclose(z, MU, atol=1e-3)
    np.testing.assert_allclose(value, program.log_density(z), rtol=1e-12)


def test_map_starts_trains_the_given_draws():
    program, key = GaussianProgram(), jax.random.PRNGKey(0)
    seen = []

    def draw(k, num_chains):  # laplace's spelling: its own prior draw instead of sample_prior
        seen.append(num_chains)
        return jnp.full((num_chains, MU.size), 10.0) + jax.random.normal(k, (num_chains, MU.size))

    untrained = map_starts(key, program, 4, 0, 0.05, draw=draw)
    np.testing.assert_array_equal(untrained, draw(key, 4))
    trained = map_starts(key, program, 4, 2000, 0.05, draw=draw)
    assert trained.shape == (4, 3) and seen == [4, 4, 4]
    np.testing.assert_allclose(trained, jnp.broadcast_to(MU, (4, 3)), atol=1e-3)
    # Without a draw, the starts are the program's own prior draws.
    np.testing.assert_array_equal(map_starts(key, program, 2, 0, 0.05), program.sample_prior(key, 2))
