"""The starting mass matrix of BNN HMC/NUTS (``bayesnn.mass``) against closed forms.

For a linear network (no hidden layer) with a Gaussian likelihood of fixed noise σ and
independent Normal priors, the Fisher information is exact and diagonal-known:
``F_jj = Σ_i x_ij² / σ²`` for weight j and ``n / σ²`` for the bias, and the prior adds
``1 / std²``. The estimate averages ``num_draws`` squared scores, each an exact
``(Σ_i x_ij ε_i / σ)²`` with ε ~ N(0, 1), i.e. ``F_jj χ²₁``: its relative standard error is
√(2 / num_draws), and the test allows 5 of them (fixed seed). Padding rows must not count.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import bayesnn
from bayesnn.mass import fisher_inverse_mass
from inference import Program, kernels
from inference.mcmc import sample_chains

NOISE, PRIOR, BIAS = 0.3, 0.8, 1.5
LINEAR = bayesnn.BNN(bayesnn.MLP(hidden=()), noise=NOISE, prior_scale=PRIOR, bias_scale=BIAS)


def test_linear_gaussian_fisher_inverse_mass_is_the_closed_form():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    x[10:] = 50.0  # padding rows: garbage that must not enter
    mask = np.arange(12) < 10
    y = rng.normal(size=12)
    z = jnp.zeros((2, 4))  # two chains at the same point: the mean over chains is that point's value
    draws = 2000
    inverse_mass = fisher_inverse_mass(
        jax.random.PRNGKey(0), LINEAR, jnp.asarray(x), jnp.asarray(y), jnp.asarray(mask), z, num_draws=draws
    )
    program = Program(LINEAR.model, jnp.asarray(x), jnp.asarray(y), jnp.asarray(mask))
    weight_precision = 1.0 / (PRIOR * LINEAR.net.gain / np.sqrt(3)) ** 2
    by_site = {  # the closed form per site, flattened in the program's own layout
        "W0": (np.sum(x[mask] ** 2, axis=0)[:, None] / NOISE**2, np.full((3, 1), weight_precision)),
        "b0": (np.array([mask.sum() / NOISE**2]), np.array([1.0 / BIAS**2])),
    }
    fisher = np.asarray(program.to_flat({k: jnp.asarray(v[0]) for k, v in by_site.items()}))
    prior_precision = np.asarray(program.to_flat({k: jnp.asarray(v[1]) for k, v in by_site.items()}))
    got_precision = 1.0 / np.asarray(inverse_mass)
    relative_se = np.sqrt(2.0 / (2 * draws)) * fisher / (fisher + prior_precision)  # 2 chains, 2000 draws each
    np.testing.assert_array_less(np.abs(got_precision / (fisher + prior_precision) - 1), 5 * relative_se)


def test_mcmc_warmup_starts_from_the_kernels_inverse_mass():
    # 3 warmup steps end no mass window (Stan's schedule needs ≥ 20), so the mass the chain
    # leaves warmup with is the one it started from: the kernel's, not the identity.
    given = jnp.array([0.25, 4.0])
    _, _, tuned = sample_chains(
        jax.random.split(jax.random.PRNGKey(0), 1),
        jnp.zeros((1, 2)),
        kernel=kernels.hmc(num_steps=3).tuned(inverse_mass=given),
        logdensity_fn=lambda q: -0.5 * jnp.sum(q**2 / jnp.array([0.25, 4.0])),
        num_warmup=3,
        num_samples=2,
    )
    np.testing.assert_allclose(tuned.inverse_mass[0], given)


def test_initial_mass_option_is_checked():
    with pytest.raises(ValueError, match="initial_mass"):
        bayesnn.fit(jax.random.PRNGKey(0), LINEAR, np.zeros((4, 3)), np.zeros(4), method="hmc", initial_mass="laplace")
