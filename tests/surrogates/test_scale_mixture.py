"""NNGP scale mixtures by importance sampling, validated against the closed-form Student-t process."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro import distributions as dist

import surrogates
from surrogates.kernel_gp import IBNN
from surrogates.scale_mixture import ScaleMixtureGP
from surrogates.student_t import StudentT
from tests.surrogates.conftest import NNGP_OPTS

OPTS = NNGP_OPTS


def test_inverse_gamma_importance_sampler_matches_the_student_t(data):
    # The Student-t variance is E[s | y]·C with s | y ~ InvGamma(α + n/2, β + q/2) (DESIGN.md §7).
    # The self-normalised estimate of E[s | y] has relative sd ≈ cv/√ESS, cv = 1/√(α + n/2 − 2)
    # the posterior's coefficient of variation; tolerance 5 of those.
    X, y, Xq = data
    post = ScaleMixtureGP(prior="inverse_gamma", alpha=3.0, beta=3.0, num_particles=20000, **OPTS).fit(
        jax.random.PRNGKey(0), X, y
    )
    want_mean, want_var = StudentT(alpha=3.0, beta=3.0, **OPTS).fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(mean, want_mean, atol=1e-10)
    cv = 1 / np.sqrt(3.0 + len(y) / 2 - 2)
    assert float(post.ess) > 100
    np.testing.assert_allclose(var, want_var, rtol=5 * cv / np.sqrt(float(post.ess)))


def test_half_cauchy_scale_prior(data):
    # The mean of f does not depend on the scale; the variance is the GP's times E_w[s].
    X, y, Xq = data
    post = ScaleMixtureGP(prior="half_cauchy", tau_scale=1.0, **OPTS).fit(jax.random.PRNGKey(0), X, y)
    gm, gv = IBNN(**OPTS).fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(mean, gm, atol=1e-10)
    np.testing.assert_allclose(var, float(post.scale) * gv, rtol=1e-8)
    assert float(post.ess) > 100
    F = post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000)
    assert F.shape == (4000, len(Xq))
    # Draws mix GPs of variance s·C: their variance is E_w[s]·C, within 5 sd of a heavy-tailed
    # estimate (the scale mixture's kurtosis inflates the 2.2% Gaussian sd; 15% allowed).
    np.testing.assert_allclose(np.var(np.asarray(F), 0), var, rtol=0.15)


def test_unknown_prior_raises():
    with pytest.raises(ValueError, match="prior"):
        ScaleMixtureGP(prior="gamma")


def test_get_student_t_with_a_distribution_matches_the_closed_form(data):
    # The same check as above through the registry, with the inverse-gamma prior given as a
    # generic NumPyro distribution: the importance-sampling path, validated by the closed form.
    X, y, Xq = data
    sampled = surrogates.get("student_t", scale_prior=dist.InverseGamma(3.0, 3.0), num_particles=20000, **OPTS)
    closed = surrogates.get("student_t", alpha=3.0, beta=3.0, **OPTS)
    assert isinstance(sampled, ScaleMixtureGP) and isinstance(closed, StudentT)
    post = sampled.fit(jax.random.PRNGKey(0), X, y)
    want_mean, want_var = closed.fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(mean, want_mean, atol=1e-10)
    cv = 1 / np.sqrt(3.0 + len(y) / 2 - 2)
    np.testing.assert_allclose(var, want_var, rtol=5 * cv / np.sqrt(float(post.ess)))


def test_burr12_prior_draws_follow_its_cdf():
    # τ = √s / tau_scale ~ Burr XII(c, k): F(x) = 1 − (1 + x^c)^(−k). Empirical CDF of 20000 draws
    # at five quantiles, within 5 binomial standard errors.
    model = ScaleMixtureGP(prior="burr12", burr_c=3.0, burr_k=0.5, tau_scale=2.0, num_particles=20000, **OPTS)
    tau = np.sqrt(np.asarray(model.prior_draws(jax.random.PRNGKey(3)))) / 2.0
    for p in (0.1, 0.3, 0.5, 0.7, 0.9):
        x = ((1 - p) ** (-1 / 0.5) - 1) ** (1 / 3.0)
        assert abs(np.mean(tau <= x) - p) < 5 * np.sqrt(p * (1 - p) / tau.size)


def test_low_effective_sample_size_warns(data):
    X, y, _ = data
    # A scale prior far below the data's scale: the likelihood picks out the extreme tail.
    with pytest.warns(RuntimeWarning, match="effective sample size"):
        surrogates.get("student_t", scale_prior="half_cauchy", tau_scale=1e-4, num_particles=256, **OPTS).fit(
            jax.random.PRNGKey(0), X, 1e3 * np.asarray(y)
        )


@pytest.mark.parametrize("bad", ["gamma", dist.Normal(0.0, 1.0), dist.HalfNormal(jnp.ones(2)), 3.0])
def test_bad_scale_prior_raises(bad):
    with pytest.raises(ValueError, match="scale_prior"):
        surrogates.get("student_t", scale_prior=bad)
