"""``mcmc(..., init_per_chain=True)``: one start per chain (NumPyro's batched ``init_params``)."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import inference
from inference import kernels

KEY = jax.random.PRNGKey(0)


def log_density(position):
    return -0.5 * jnp.sum(position["x"] ** 2)


def frozen(program, init, **options):
    """One draw per chain from a random walk with a step too small to move: the draw is the start."""
    kernel = kernels.rwmh(step_size=1e-9)
    return inference.mcmc(
        KEY, program, kernel, num_warmup=0, num_samples=1, num_chains=3, init_position=init, **options
    )


def test_each_chain_starts_at_its_own_position():
    starts = np.array([[0.0, 1.0], [2.0, 3.0], [-4.0, 5.0]])
    post = frozen(log_density, {"x": jnp.asarray(starts)}, init_per_chain=True)
    np.testing.assert_allclose(np.asarray(post.samples["x"][:, 0]), starts, atol=1e-6)


def test_one_position_is_still_shared_by_every_chain():
    post = frozen(log_density, {"x": jnp.array([1.5, -0.5])})
    np.testing.assert_allclose(np.asarray(post.samples["x"][:, 0]), np.tile([1.5, -0.5], (3, 1)), atol=1e-6)


def test_program_sites_per_chain_on_the_constrained_scale():
    def model():
        numpyro.sample("tau", dist.HalfNormal(1.0))

    taus = np.array([0.5, 1.0, 2.0])
    post = frozen(inference.Program(model), {"tau": jnp.asarray(taus)}, init_per_chain=True)
    np.testing.assert_allclose(np.asarray(post.samples["tau"][:, 0]), taus, rtol=1e-6)


def test_a_chain_axis_of_the_wrong_length_is_refused_by_name():
    with pytest.raises(ValueError, match=r"leading axis of length num_chains=3.*\(2, 2\)"):
        frozen(log_density, {"x": jnp.zeros((2, 2))}, init_per_chain=True)
    with pytest.raises(ValueError, match="init_per_chain=True needs init_position"):
        inference.mcmc(KEY, inference.Program(lambda: numpyro.sample("a", dist.Normal())), init_per_chain=True)
    with pytest.raises(TypeError, match="init_per_chain must be a bool"):
        frozen(log_density, {"x": jnp.zeros((3, 2))}, init_per_chain="yes")
