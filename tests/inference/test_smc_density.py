"""``smc`` on a raw log-likelihood with a prior of NumPyro distributions (#20), against closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from scipy import stats

import inference
from inference.smc import default_kernel

NUM_PARTICLES = 2000


def test_gaussian_posterior_and_evidence_match_the_closed_form():
    """Prior N(0, I₂), y_i ~ N(x, 0.5²): posterior N(Σy/(1/τ² + n/σ²)·1/σ², ...), evidence a Gaussian."""
    y = jnp.array([[0.8, -0.4], [1.1, -0.2], [0.5, -0.9]])
    sigma = 0.5

    def log_likelihood(x):
        return jnp.sum(dist.Normal(x, sigma).log_prob(y))

    prior = dist.Normal(0.0, 1.0).expand([2])
    result = inference.smc(jax.random.PRNGKey(0), log_likelihood, NUM_PARTICLES, prior=prior)
    n = y.shape[0]
    post_var = 1.0 / (1.0 + n / sigma**2)
    post_mean = post_var * np.sum(np.asarray(y), 0) / sigma**2
    draws = np.asarray(result.samples["x"])
    se = np.sqrt(post_var / NUM_PARTICLES) * 3  # particles are correlated: allow an ESS of N/9
    np.testing.assert_array_less(np.abs(draws.mean(0) - post_mean), 4 * se)
    np.testing.assert_allclose(draws.var(0), post_var, rtol=0.15)
    # Each coordinate's observations are jointly N(0, σ²I + 11ᵀ).
    cov = sigma**2 * np.eye(n) + np.ones((n, n))
    exact = sum(stats.multivariate_normal(np.zeros(n), cov).logpdf(np.asarray(y)[:, j]) for j in range(2))
    assert abs(result.log_evidence - exact) < 0.1


def test_constrained_site_is_unconstrained_with_its_jacobian():
    """Gamma(2, 1) prior on a Poisson rate: the posterior is Gamma(2 + Σk, 1 + n), the evidence negative binomial."""
    counts = jnp.array([3.0, 5.0, 4.0, 2.0])

    def log_likelihood(p):
        return jnp.sum(dist.Poisson(p["rate"]).log_prob(counts))

    result = inference.smc(jax.random.PRNGKey(1), log_likelihood, NUM_PARTICLES, prior={"rate": dist.Gamma(2.0, 1.0)})
    shape, rate = 2.0 + float(counts.sum()), 1.0 + len(counts)
    draws = np.asarray(result.samples["rate"])
    assert draws.min() > 0
    assert abs(draws.mean() - shape / rate) < 4 * 3 * np.sqrt(shape) / rate / np.sqrt(NUM_PARTICLES)
    np.testing.assert_allclose(draws.var(), shape / rate**2, rtol=0.15)
    k = np.asarray(counts)
    exact = (
        stats.gamma(2.0).logpdf(1.0)  # Bayes' rule at rate = 1: p(k) = p(k | 1) p(1) / p(1 | k)
        + stats.poisson(1.0).logpmf(k).sum()
        - stats.gamma(shape, scale=1 / rate).logpdf(1.0)
    )
    assert abs(result.log_evidence - exact) < 0.1


def test_raw_density_and_numpyro_model_are_the_same_program():
    def log_likelihood(p):
        return dist.Normal(p["mu"], 1.0).log_prob(0.7)

    def model():
        mu = numpyro.sample("mu", dist.Normal(0.0, 2.0))
        numpyro.sample("obs", dist.Normal(mu, 1.0), obs=0.7)

    raw = inference.density_program(log_likelihood, {"mu": dist.Normal(0.0, 2.0)})
    program = inference.Program(model)
    for z in (-1.3, 0.0, 2.1):
        position = {"mu": jnp.asarray(z)}
        np.testing.assert_allclose(raw.log_prior(position), program.log_prior(position), rtol=1e-6)
        np.testing.assert_allclose(raw.log_likelihood(position), program.log_likelihood(position), rtol=1e-6)


def test_default_kernel_follows_the_gradients():
    continuous = inference.density_program(lambda x: -jnp.sum(x**2), dist.Normal(0.0, 1.0))
    discrete = inference.Program(lambda: numpyro.sample("k", dist.Bernoulli(0.3)))
    assert default_kernel(continuous) == "hmc"
    assert default_kernel(discrete) == "rwmh"


def test_bad_prior_arguments_are_clear_errors():
    def log_likelihood(x):
        return -jnp.sum(x**2)

    with pytest.raises(ValueError, match="needs prior="):
        inference.smc(jax.random.PRNGKey(0), log_likelihood)
    with pytest.raises(TypeError, match="prior must be"):
        inference.smc(jax.random.PRNGKey(0), log_likelihood, prior=[dist.Normal(0.0, 1.0)])
    with pytest.raises(TypeError, match=r"prior\['a'\]"):
        inference.smc(jax.random.PRNGKey(0), log_likelihood, prior={"a": 1.0})
    program = inference.density_program(log_likelihood, dist.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="carries its own prior"):
        inference.smc(jax.random.PRNGKey(0), program, prior=dist.Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="log-likelihood function"):
        inference.smc(jax.random.PRNGKey(0), 3.0)
