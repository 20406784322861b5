"""The on-device acquisition optimiser finds known maximisers."""

import jax
import jax.numpy as jnp
import numpy as np

import surrogates  # noqa: F401  (float64)
from surrogates.bo.optimize_acqf import optimize_acqf, shifted_sobol


def test_interior_and_boundary_maximisers_of_a_quadratic():
    centre = jnp.array([0.3, 0.7, 1.4])  # the last coordinate's maximiser is outside: the box edge wins
    f = lambda U: -jnp.sum((U[0] - centre) ** 2)
    U, value = jax.jit(lambda k: optimize_acqf(f, k, 1, 3))(jax.random.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(U)[0], [0.3, 0.7, 1.0], atol=1e-3)
    np.testing.assert_allclose(value, -(0.4**2), atol=1e-5)


def test_global_maximiser_of_a_multimodal_function():
    """Negative Branin on the unit cube has three global maximisers; any one is fine."""

    def neg_branin(U):
        x1, x2 = 15 * U[0, 0] - 5, 15 * U[0, 1]
        b, c, t = 5.1 / (4 * jnp.pi**2), 5 / jnp.pi, 1 / (8 * jnp.pi)
        return -((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * jnp.cos(x1) + 10)

    _, value = jax.jit(lambda k: optimize_acqf(neg_branin, k, 1, 2))(jax.random.PRNGKey(1))
    np.testing.assert_allclose(-value, 0.397887, atol=1e-4)


def test_shifted_sobol_is_uniform():
    """The mean of 1024 shifted Sobol points is 1/2 to far better than Monte-Carlo's 1/sqrt(12·1024) = 0.009."""
    P = np.asarray(shifted_sobol(jax.random.PRNGKey(3), 1024, 4))
    assert P.shape == (1024, 4) and P.min() >= 0 and P.max() < 1
    np.testing.assert_allclose(P.mean(0), 0.5, atol=2e-3)
