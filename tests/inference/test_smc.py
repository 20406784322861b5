"""SMC against known answers: conjugate evidences, unbiasedness, a bimodal target.

Tolerances: log-evidence errors of adaptive SMC with N particles have sd ≈ 0.03–0.08 here
(measured over seeds); tests allow ≈ 3 sd, or use the CLT error of a mean over repeated runs.
"""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from scipy.special import betaln

import inference
from inference import paths
from inference._arviz import group_names


def test_beta_bernoulli_evidence():
    """Z = B(a+s, b+n−s) / B(a, b) (DESIGN.md §7)."""
    a, b = 2.0, 3.0
    y = (np.random.default_rng(0).uniform(size=40) < 0.3).astype(float)
    s, n = y.sum(), y.size
    exact = betaln(a + s, b + n - s) - betaln(a, b)

    def model(y):
        p = numpyro.sample("p", dist.Beta(a, b))
        numpyro.sample("y", dist.Bernoulli(p), obs=y)

    program = inference.Program(model, jnp.asarray(y))
    estimates = [inference.smc(jax.random.PRNGKey(i), program, num_particles=1000).log_evidence for i in range(3)]
    assert abs(np.mean(estimates) - exact) < 0.1
    result = inference.smc(jax.random.PRNGKey(9), program, num_particles=1000)
    post = np.asarray(result.samples["p"])
    # posterior Beta(a+s, b+n-s): mean within 5 MC standard errors (N=1000, ESS after resample-move ~N/2)
    mean = (a + s) / (a + b + n)
    sd = np.sqrt(mean * (1 - mean) / (a + b + n + 1))
    assert abs(post.mean() - mean) < 5 * sd / np.sqrt(500)


def test_linear_regression_evidence_by_data_annealing():
    """log Z = log N(y; 0, σ²I + s²XXᵀ) for Bayesian linear regression with known σ."""
    rng = np.random.default_rng(1)
    n, d, sigma, s = 40, 3, 0.7, 1.5
    X = rng.normal(size=(n, d))
    y = X @ np.array([0.5, -1.0, 0.3]) + sigma * rng.normal(size=n)
    cov = sigma**2 * np.eye(n) + s**2 * X @ X.T
    exact = float(dist.MultivariateNormal(jnp.zeros(n), jnp.asarray(cov)).log_prob(jnp.asarray(y)))

    def model(X, y):
        w = numpyro.sample("w", dist.Normal(0.0, s).expand([d]).to_event(1))
        numpyro.sample("y", dist.Normal(X @ w, sigma), obs=y)

    program = inference.Program(model, jnp.asarray(X), jnp.asarray(y))
    path = paths.data_annealing(20)
    estimates = [
        inference.smc(jax.random.PRNGKey(i), program, num_particles=1000, path=path, num_mcmc_steps=5).log_evidence
        for i in range(6)
    ]
    # One run's log Ẑ has sd 0.26-0.27 here (measured over 12 seeds, before and after #17 changed
    # the step keys); the mean of 6 is allowed 4 of its standard errors. (The tolerance was 0.15
    # on 3 runs, one standard error: it held for one key stream by chance.)
    assert abs(np.mean(estimates) - exact) < 4 * 0.27 / np.sqrt(6)
    result = inference.smc(jax.random.PRNGKey(0), program, num_particles=1000, path=path, num_mcmc_steps=5)
    assert result.history["level"][-1] == 1.0 and result.num_steps == 20


def _gauss_program(d=4, noise=(0.3, 1.2)):
    v = np.linspace(*noise, d)
    yobs = np.random.default_rng(0).normal(size=d) * 1.3
    exact = float(np.sum(-0.5 * np.log(2 * np.pi * (1 + v)) - 0.5 * yobs**2 / (1 + v)))

    def model(y):
        x = numpyro.sample("x", dist.Normal(0.0, 1.0).expand([d]).to_event(1))
        numpyro.sample("y", dist.Normal(x, jnp.sqrt(v)).to_event(1), obs=y)

    return inference.Program(model, jnp.asarray(yobs)), exact


def test_evidence_estimate_is_unbiased():
    """E[Ẑ/Z] = 1: the mean of exp(log Ẑ − log Z) over R runs is within 3 CLT errors of 1."""
    program, exact = _gauss_program()
    ratios = np.array(
        [
            np.exp(
                inference.smc(jax.random.PRNGKey(i), program, num_particles=100, num_mcmc_steps=3).log_evidence - exact
            )
            for i in range(40)
        ]
    )
    se = ratios.std(ddof=1) / np.sqrt(ratios.size)
    assert abs(ratios.mean() - 1.0) < 3 * se + 1e-3


@pytest.mark.parametrize("kernel", ["rwmh", pytest.param("mala", marks=pytest.mark.slow), "hmc"])
def test_fixed_schedule_and_kernels_agree_on_the_evidence(kernel):
    program, exact = _gauss_program()
    path = paths.fixed_tempering(np.linspace(0.1, 1.0, 10))
    result = inference.smc(jax.random.PRNGKey(1), program, num_particles=1000, path=path, kernel=kernel)
    assert abs(result.log_evidence - exact) < 0.12
    assert np.allclose(result.history["level"], np.linspace(0.1, 1.0, 10))


def test_bimodal_target_keeps_both_modes_with_their_weights():
    """Posterior 0.3·N(−4, ½²) + 0.7·N(4, ½²), normalised, so log Z = 0 exactly. The share of
    particles in the right mode has sd ≈ sqrt(0.21/ESS); with ESS ≥ 500 that is ≤ 0.02: allow 0.06.
    Over seeds 0-9 the default (HMC) mutation gave log Z with sd 0.05 and mean -0.002: allow 4 sd."""
    mixture = dist.MixtureSameFamily(dist.Categorical(jnp.array([0.3, 0.7])), dist.Normal(jnp.array([-4.0, 4.0]), 0.5))
    prior = dist.Normal(0.0, 10.0)

    def model():
        x = numpyro.sample("x", prior)
        numpyro.factor("target", mixture.log_prob(x) - prior.log_prob(x))

    result = inference.smc(jax.random.PRNGKey(0), inference.Program(model), num_particles=2000)
    x = np.asarray(result.samples["x"])
    assert abs((x > 0).mean() - 0.7) < 0.06
    assert abs(result.log_evidence) < 0.2
    assert idata_has_evidence(result)


def idata_has_evidence(result) -> bool:
    idata = result.to_arviz()
    evidence = idata.posterior.attrs["log_evidence"]
    return "posterior" in group_names(idata) and evidence == pytest.approx(result.log_evidence)


def test_importance_sampling_evidence():
    program, exact = _gauss_program()
    result = inference.importance(jax.random.PRNGKey(0), program, num_particles=20000)
    assert abs(result.log_evidence - exact) < 0.1


def test_bad_arguments_raise_clear_errors():
    program, _ = _gauss_program()
    with pytest.raises(ValueError, match="num_particles"):
        inference.smc(jax.random.PRNGKey(0), program, num_particles=0)
    for bad in [0.0, 1.5]:
        with pytest.raises(ValueError, match="ess_threshold"):
            inference.smc(jax.random.PRNGKey(0), program, ess_threshold=bad)
    with pytest.raises(ValueError, match="resampling scheme"):
        inference.smc(jax.random.PRNGKey(0), program, resampling="bogus")


def test_zero_weight_everywhere_is_reported_with_its_step():
    def model():
        u = numpyro.sample("u", dist.Uniform(0.0, 1.0))
        numpyro.factor("never", jnp.where(u > 2.0, 0.0, -jnp.inf))  # impossible for every u in (0, 1)

    with pytest.raises(ValueError, match="every particle has zero weight at step 1"):
        inference.smc(jax.random.PRNGKey(0), inference.Program(model), num_particles=50)


def test_ess_criterion_needs_a_target_below_the_resampling_threshold():
    """With ``criterion="ess"`` a target at or above ``ess_threshold`` would stall (the ESS of
    unresampled weights never returns to it): a clear error. Below it, on a likelihood 25-100
    times sharper than the prior, every step but the last lands on the target ESS and resamples,
    and log Ẑ is within 4 standard errors (plus its σ²/2 downward bias) of the exact value."""
    program, exact = _gauss_program(noise=(0.01, 0.04))
    with pytest.raises(ValueError, match="target_ess < ess_threshold"):
        inference.smc(jax.random.PRNGKey(0), program, path=paths.adaptive_tempering(0.9, criterion="ess"))
    path = paths.adaptive_tempering(0.3, criterion="ess")
    runs = [inference.smc(jax.random.PRNGKey(i), program, num_particles=500, path=path) for i in range(5)]
    for r in runs:
        assert len(r.history["ess"]) >= 3 and r.history["resampled"][:-1].all()
        np.testing.assert_allclose(r.history["ess"][:-1], 150.0, rtol=1e-3)
    estimates = np.array([r.log_evidence for r in runs])
    sd = estimates.std(ddof=1)
    assert abs(estimates.mean() - exact) < 4 * sd / np.sqrt(len(runs)) + sd**2 / 2, (estimates, exact)
