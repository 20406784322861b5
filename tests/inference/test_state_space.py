"""Particle filter, PMMH and SMC² on a linear-Gaussian SSM against the Kalman filter.

The exact answers (log-likelihood, posterior of the AR coefficient a, evidence) come from
the Kalman filter and 1-D quadrature in ``ssm_fixtures``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import inference
from tests.inference.ssm_fixtures import SSM, exact_posterior_on_grid, kalman_log_likelihood, prior, simulate


@pytest.fixture(scope="module")
def ys():
    return simulate(num_steps=30)


def test_particle_filter_matches_kalman(ys):
    """log p̂ has sd ≈ 0.1 per run at N=1000, T=30; the mean of 8 runs is within 0.15 (≈ 4 se)."""
    exact = kalman_log_likelihood(ys, 0.9)
    lls = [
        float(inference.particle_filter(jax.random.PRNGKey(s), SSM, jnp.asarray(ys), 1000, {"a": 0.9}).log_likelihood)
        for s in range(8)
    ]
    assert abs(np.mean(lls) - exact) < 0.15


def test_filter_returns_ancestry_and_filtered_means(ys):
    res = inference.particle_filter(jax.random.PRNGKey(0), SSM, jnp.asarray(ys), 2000, {"a": 0.9}, return_ancestry=True)
    assert res.ancestors.shape == (30, 2000) and res.positions.shape == (30, 2000)
    # Kalman filtered means; particle error sd ≈ sqrt(P_t / N) ≈ 0.015
    m, p, means = 0.0, 1.0, []
    for y in ys:
        m, p = 0.9 * m, 0.81 * p + 0.5
        k = p / (p + 0.8)
        m, p = m + k * (y - m), (1 - k) * p
        means.append(m)
    assert np.max(np.abs(np.asarray(res.filtered_mean()) - np.array(means))) < 0.08


def test_pmmh_agrees_with_exact_likelihood_mh(ys):
    """PMMH and MH with the exact Kalman likelihood target the same posterior: their means
    agree with the quadrature answer within 4 MCSE (ESS from ArviZ)."""
    import arviz as az

    _, mean, sd = exact_posterior_on_grid(ys)
    post = inference.pmmh(
        jax.random.PRNGKey(0), SSM, jnp.asarray(ys), prior, num_particles=64, num_warmup=300, num_samples=600
    )
    a = np.asarray(post.samples["a"])
    ess = float(az.ess(a))
    assert abs(a.mean() - mean) < 4 * sd / np.sqrt(ess)

    def kalman_jax(a):
        def step(carry, y):
            m, p = carry
            m, p = a * m, a * a * p + 0.5
            s = p + 0.8
            ll = -0.5 * (jnp.log(2 * jnp.pi * s) + (y - m) ** 2 / s)
            k = p / s
            return (m + k * (y - m), (1 - k) * p), ll

        return jax.lax.scan(step, (0.0, 1.0), jnp.asarray(ys))[1].sum()

    def log_post(z):  # unconstrained a = 2·sigmoid(z) − 1, uniform prior + Jacobian
        a = 2 * jax.nn.sigmoid(z[0]) - 1
        return kalman_jax(a) + jnp.log(2 * jax.nn.sigmoid(z[0]) * (1 - jax.nn.sigmoid(z[0])))

    exact_mh = inference.mcmc(jax.random.PRNGKey(1), log_post, kernel="rwmh", init_position=jnp.zeros(1))
    b = 2 * jax.nn.sigmoid(np.asarray(exact_mh.samples["x"])[..., 0]) - 1
    ess_b = float(az.ess(np.asarray(b)))
    se = np.sqrt(sd**2 / ess + sd**2 / ess_b)
    assert abs(a.mean() - float(b.mean())) < 4 * se


def test_smc2_evidence_matches_quadrature(ys):
    """log Ẑ of SMC² (M=200, N_x=64) has sd ≈ 0.08 here; tolerance 0.25 ≈ 3 sd."""
    log_z, mean, sd = exact_posterior_on_grid(ys)
    result = inference.smc2(
        jax.random.PRNGKey(0), SSM, jnp.asarray(ys), prior, num_particles=200, num_state_particles=64
    )
    assert abs(result.log_evidence - log_z) < 0.25
    assert abs(np.asarray(result.samples["a"]).mean() - mean) < 0.5 * sd
    assert result.history["ess"].shape == (30,)


def test_state_space_errors(ys):
    def two_sites(params):
        numpyro.sample("a", dist.Normal())
        return numpyro.sample("b", dist.Normal())

    bad = inference.StateSpaceModel(two_sites, SSM.transition, SSM.emission)
    with pytest.raises(ValueError, match="exactly one"):
        inference.particle_filter(jax.random.PRNGKey(0), bad, jnp.asarray(ys), 10, {"a": 0.9})
    with pytest.raises(ValueError, match="leading axis"):
        inference.particle_filter(jax.random.PRNGKey(0), SSM, jnp.asarray(ys)[None], 10, {"a": 0.9})
    with pytest.raises(ValueError, match="num_particles"):
        inference.particle_filter(jax.random.PRNGKey(0), SSM, jnp.asarray(ys), 0, {"a": 0.9})

    def impossible(params, x, t, y=None):
        return numpyro.sample("y", dist.Uniform(10.0, 11.0), obs=y)

    dead = inference.StateSpaceModel(SSM.init, SSM.transition, impossible)
    with pytest.raises(ValueError, match="every particle has zero weight at step t=1"):
        inference.particle_filter(jax.random.PRNGKey(0), dead, jnp.asarray(ys), 10, {"a": 0.9})
