"""Stochastic-gradient MCMC: ``kernels.sgld``, ``kernels.sghmc`` (plain and adaptive),
``MinibatchLogDensity`` and ``run_sgmcmc``.

Neither kernel has a Metropolis–Hastings correction, so for a fixed step size the chain's
stationary law is not exactly π. On a Gaussian target with full-batch gradients every
kernel is a linear Gaussian autoregression, ``s' = A s + ξ``, whose stationary mean is
exactly the target mean and whose stationary covariance solves the discrete Lyapunov
equation ``Σ = A Σ Aᵀ + Cov ξ``; the tests compute that covariance (for the adaptive
kernel with the preconditioner each chain froze after burn-in) and require

* means within 4 Monte-Carlo standard errors (ArviZ ``mcse``, from the effective sample
  size over the chains) of the exact mean — there is no discretisation bias in the mean;
* covariance entries within 4 MCSE (of the mean of ``(x_i − μ_i)(x_j − μ_j)``) plus the
  discretisation bias |Σ_ε − Σ| given by the Lyapunov equation, and that bias itself
  under 5% of the entry's scale: the step sizes are chosen small enough for that.

A correct kernel fails one 4-MCSE check with probability 6e-5; the seeds are fixed.
"""

import functools

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import inference
from inference import kernels

Z_MAX = 4.0
NUM_CHAINS = 8

# -- a correlated 2-D Gaussian, full-batch gradients ------------------------------------------

RHO, SCALE = 0.8, np.array([1.0, 2.0])
COV = np.array([[1.0, RHO], [RHO, 1.0]]) * np.outer(SCALE, SCALE)
PRECISION = np.linalg.inv(COV)  # eigenvalues 0.21 and 3.26
MEAN = np.array([1.0, -2.0])


def gaussian_log_density(position):
    """N(MEAN, COV) on the dict position ``{"a": [1], "b": scalar}``."""
    v = jnp.concatenate([position["a"], position["b"][None]]) - MEAN
    return -0.5 * v @ PRECISION @ v


def flat_draws(positions) -> np.ndarray:
    """``[chains, draws, 2]`` from the dict positions ``{"a": [chains, draws, 1], "b": [chains, draws]}``."""
    return np.concatenate([np.asarray(positions["a"]), np.asarray(positions["b"])[..., None]], axis=-1)


def run_chains(seed, kernel, logdensity_fn, init_position, num_steps, num_burnin, thinning, num_chains=NUM_CHAINS):
    """``run_sgmcmc`` vectorised over chains, under one ``jax.jit``."""

    @jax.jit
    def run(keys):
        return jax.vmap(
            lambda key: inference.run_sgmcmc(
                key, kernel, logdensity_fn, init_position, num_steps, num_burnin=num_burnin, thinning=thinning
            )
        )(keys)

    return run(jax.random.split(jax.random.PRNGKey(seed), num_chains))


def sgld_covariance(precision, step_size):
    """Stationary covariance of SGLD on a Gaussian: x' = (I − εP/2) x + √ε ξ gives (P − εP²/4)⁻¹."""
    return np.linalg.inv(precision - step_size * precision @ precision / 4)


def sghmc_covariance(precision, learning_rate, decay, noise_var, grad_noise_cov=None):
    """Stationary covariance of θ under v' = (1 − α) v − η P θ + ξ, θ' = θ + v' (the v-form
    SGHMC step with ∇ log π = −Pθ), ``learning_rate`` η ``[d]``, ``decay`` α ``[d]``,
    ``noise_var`` Var ξ ``[d]``, plus ``η G η`` for a gradient-noise covariance ``G``."""
    d = precision.shape[0]
    eta = np.diag(np.broadcast_to(learning_rate, d))
    keep = np.diag(1.0 - np.broadcast_to(decay, d))
    a = np.block([[np.eye(d) - eta @ precision, keep], [-eta @ precision, keep]])
    s = np.diag(np.broadcast_to(noise_var, d)).astype(float)
    if grad_noise_cov is not None:
        s = s + eta @ grad_noise_cov @ eta
    return scipy.linalg.solve_discrete_lyapunov(a, np.block([[s, s], [s, s]]))[:d, :d]


def check_moments(draws, mean, cov, cov_eps, what):
    """``draws: [chains, draws, d]``; see the module docstring for the tolerances."""
    d = draws.shape[-1]
    bias = np.abs(cov_eps - cov)
    entry_scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.all(bias < 0.05 * entry_scale), f"{what}: step size too large, discretisation bias {bias}"
    for i in range(d):
        x = draws[..., i]
        assert float(az.ess(x)) > 200, (what, i, float(az.ess(x)))  # enough for the MCSE to be trusted
        mcse = float(az.mcse(x, method="mean"))
        assert abs(x.mean() - mean[i]) < Z_MAX * mcse, (what, i, x.mean(), mean[i], mcse)
        for j in range(i, d):
            h = (x - mean[i]) * (draws[..., j] - mean[j])
            mcse = float(az.mcse(h, method="mean"))
            assert abs(h.mean() - cov[i, j]) < Z_MAX * mcse + bias[i, j], (what, i, j, h.mean(), cov[i, j], mcse)


GAUSSIAN_START = {"a": jnp.zeros(1), "b": jnp.zeros(())}
GAUSSIAN_KERNELS = {
    "sgld": kernels.sgld(step_size=0.05),
    "sghmc": kernels.sghmc(step_size=0.05, friction=1.0),
    "sghmc_adaptive": kernels.sghmc(step_size=0.04, adaptive=True),
}


@pytest.mark.parametrize("name", list(GAUSSIAN_KERNELS))
def test_correlated_gaussian_full_batch(name):
    kernel = GAUSSIAN_KERNELS[name]
    result = run_chains(1, kernel, gaussian_log_density, GAUSSIAN_START, 30_000, 2_000, 10)
    draws = flat_draws(result.positions)
    assert draws.shape == (NUM_CHAINS, 3_000, 2)
    assert result.stats["log_density"].shape == (NUM_CHAINS, 32_000)
    if name == "sgld":
        cov_eps = sgld_covariance(PRECISION, kernel.step_size)
    elif name == "sghmc":
        eps = kernel.step_size
        cov_eps = sghmc_covariance(PRECISION, eps**2, eps * kernel.friction, 2 * kernel.friction * eps**3)
    else:
        assert float(np.max(result.stats["noise_clipped"])) == 0.0
        # Each chain froze its own preconditioner after burn-in: average their stationary covariances.
        inverse_mass = np.asarray(jax.vmap(kernel.preconditioner)(result.state))
        eps, alpha = kernel.step_size, kernel.mdecay
        covs = [sghmc_covariance(PRECISION, eps**2 * m, alpha, 2 * alpha * eps**2 * m - eps**4) for m in inverse_mass]
        cov_eps = np.mean(covs, axis=0)
    check_moments(draws, MEAN, COV, cov_eps, name)


# -- conjugate Bayesian linear regression on minibatches --------------------------------------

N, BATCH, SIGMA, PRIOR_SCALE = 500, 50, 1.0, 2.0
_rng = np.random.default_rng(7)
X = np.column_stack([np.ones(N), _rng.normal(size=N)])  # intercept and slope
Y = X @ np.array([0.5, -1.0]) + SIGMA * _rng.normal(size=N)
POST_COV = np.linalg.inv(X.T @ X / SIGMA**2 + np.eye(2) / PRIOR_SCALE**2)
POST_MEAN = POST_COV @ X.T @ Y / SIGMA**2
POST_SD = np.sqrt(np.diag(POST_COV))


def log_prior(w):
    return -0.5 * jnp.sum(w**2) / PRIOR_SCALE**2


def log_likelihood(w, batch):
    """One term per datum ``[b]``, for ``batch = {"x": [b, 2], "y": [b]}``."""
    return -0.5 * ((batch["y"] - batch["x"] @ w) / SIGMA) ** 2


def regression_density(x=X, y=Y, batch_size=BATCH):
    data = {"x": jnp.asarray(x), "y": jnp.asarray(y)}
    return inference.minibatch_log_density(log_prior, log_likelihood, data, batch_size)


def gradient_noise_cov():
    """Covariance of the minibatch gradient at the posterior mean: (N²/b) S for b indices drawn
    with replacement, S the population covariance of the per-datum gradients."""
    per_datum = X * ((Y - X @ POST_MEAN) / SIGMA**2)[:, None]
    return N**2 / BATCH * np.cov(per_datum.T, bias=True)


REGRESSION_KERNELS = {
    # friction 45 ≈ 2 √λ: about critically damped for the posterior precision λ ≈ 500.
    "sghmc": kernels.sghmc(step_size=1e-3, friction=45.0),
    "sghmc_adaptive": kernels.sghmc(step_size=0.02, adaptive=True),
}


@functools.cache
def regression_run(name):
    return run_chains(2, REGRESSION_KERNELS[name], regression_density(), jnp.zeros(2), 16_000, 2_000, 4)


@pytest.mark.parametrize("name", list(REGRESSION_KERNELS))
def test_linear_regression_posterior_on_minibatches(name):
    """Means within 4 MCSE plus 0.05 sd; sds within 3% plus 4 relative MCSE (under 15% in all).

    Bias allowances: with B̂ = 0, plain SGHMC leaves the minibatch gradient noise G
    uncorrected; the Lyapunov covariance with G added (``gradient_noise_cov``) puts its sd
    2.4% high at these settings. The adaptive kernel subtracts ε⁴ ≈ η² V̂ for it, slightly
    more or less than G adds (V̂ also holds the squared mean gradient): within 1.5%. The
    discretisation bias is under 1%; 3% covers each. The relative MCSE of an sd is half that
    of the variance, the mean of (x − μ)² (ArviZ ``mcse``): about 2.4% (plain) and 1.2%
    (adaptive) here. The drift is linear and the gradient noise has mean zero, so the
    stationary mean is exact: 0.05 sd only absorbs what remains of the start at 0.
    """
    result = regression_run(name)
    draws = np.asarray(result.positions)  # [chains, draws, 2]
    assert draws.shape == (NUM_CHAINS, 4_000, 2)
    if "noise_clipped" in result.stats:
        assert float(np.max(result.stats["noise_clipped"][:, 2_000:])) == 0.0
    for i in range(2):
        x = draws[..., i]
        assert float(az.ess(x)) > 300, (name, i, float(az.ess(x)))
        mcse = float(az.mcse(x, method="mean"))
        assert abs(x.mean() - POST_MEAN[i]) < Z_MAX * mcse + 0.05 * POST_SD[i], (name, i, x.mean(), POST_MEAN[i])
        relative_sd_mcse = float(az.mcse((x - POST_MEAN[i]) ** 2, method="mean")) / POST_SD[i] ** 2 / 2
        tolerance = 0.03 + Z_MAX * relative_sd_mcse
        assert tolerance < 0.15, (name, i, tolerance)
        assert abs(x.std() / POST_SD[i] - 1) < tolerance, (name, i, x.std() / POST_SD[i], tolerance)


def test_plain_sghmc_gradient_noise_prediction():
    """The minibatch inflation predicted for plain SGHMC above is within its 3% bias allowance."""
    kernel = REGRESSION_KERNELS["sghmc"]
    eps, friction = kernel.step_size, kernel.friction
    precision = np.linalg.inv(POST_COV)
    args = (precision, eps**2, eps * friction, 2 * friction * eps**3)
    predicted = np.sqrt(np.diag(sghmc_covariance(*args, grad_noise_cov=gradient_noise_cov())))
    without_noise = np.sqrt(np.diag(sghmc_covariance(*args)))
    assert np.all(np.abs(without_noise / POST_SD - 1) < 0.01)
    assert np.all(np.abs(predicted / POST_SD - 1) < 0.03), predicted / POST_SD


# -- the minibatch estimate ----------------------------------------------------------------------


def test_minibatch_estimate_is_unbiased_over_a_partition():
    """Each datum is in exactly one of the N/b batches of a partition, so the average of the
    estimates over them is the full log density (and gradient), up to round-off."""
    density = regression_density()
    w = jnp.array([0.3, -0.7])
    batches = jax.random.permutation(jax.random.PRNGKey(3), N).reshape(N // BATCH, BATCH)
    values, grads = jax.jit(jax.vmap(jax.value_and_grad(density.estimate), (None, 0)))(w, batches)
    full, full_grad = jax.jit(jax.value_and_grad(density))(w)
    np.testing.assert_allclose(values.mean(), full, rtol=1e-12)
    np.testing.assert_allclose(grads.mean(0), full_grad, rtol=1e-10)
    exact = log_prior(w) + jnp.sum(log_likelihood(w, {"x": X, "y": Y}))
    np.testing.assert_allclose(full, exact, rtol=1e-12)


def test_minibatch_draws_are_uniform_and_the_estimate_unbiased():
    """Over 20 000 minibatches the estimate averages to the full log density within 4 SE, and
    each of the N indices is drawn with frequency 1/N (binomial SE; 4.5 SE over 500 counts
    fails with probability 3e-3)."""
    density = regression_density()
    w = jnp.array([0.3, -0.7])
    keys = jax.random.split(jax.random.PRNGKey(4), 20_000)
    indices = jax.jit(jax.vmap(density.sample_indices))(keys)
    assert indices.shape == (20_000, BATCH)
    values = np.asarray(jax.jit(jax.vmap(density.estimate, (None, 0)))(w, indices))
    assert abs(values.mean() - float(density(w))) < Z_MAX * values.std() / np.sqrt(values.size)
    counts = np.bincount(np.asarray(indices).ravel(), minlength=N)
    draws, p = indices.size, 1 / N
    assert np.all(np.abs(counts - draws * p) < 4.5 * np.sqrt(draws * p * (1 - p)))


def test_full_batch_minibatch_density_draws_everything():
    density = regression_density(batch_size=N)
    np.testing.assert_array_equal(density.sample_indices(jax.random.PRNGKey(0)), np.arange(N))


# -- one compilation for new data of the same shape; the other drivers ------------------------


def test_run_sgmcmc_under_an_outer_jit_with_traced_data():
    """The data are jit arguments: a second data set of the same shape reuses the program."""
    traces = []

    @jax.jit
    def fit(key, x, y):
        traces.append(1)
        density = inference.minibatch_log_density(log_prior, log_likelihood, {"x": x, "y": y}, BATCH)
        kernel = kernels.sghmc(step_size=0.02, adaptive=True)
        return inference.run_sgmcmc(key, kernel, density, jnp.zeros(2), 500, num_burnin=500, thinning=5)

    first = fit(jax.random.PRNGKey(0), X, Y)
    second = fit(jax.random.PRNGKey(0), X, -Y)
    assert len(traces) == 1
    assert first.positions.shape == (100, 2)
    # Flipping y flips the posterior mean: the second run sees the new data.
    assert np.asarray(first.positions)[:, 1].mean() < 0 < np.asarray(second.positions)[:, 1].mean()


@pytest.mark.slow  # not statistical; the time is mcmc's compilation (~5 s)
def test_sg_kernels_run_under_mcmc_and_cycle():
    """A ``MinibatchLogDensity`` is an ordinary log density for ``mcmc`` and the other kernels."""
    density = regression_density()
    kernel = kernels.cycle(kernels.sgld(step_size=1e-4), kernels.rwmh(step_size=0.05))
    post = inference.mcmc(
        jax.random.PRNGKey(5),
        density,
        kernel,
        num_warmup=100,
        num_samples=200,
        num_chains=2,
        init_position=jnp.zeros(2),
    )
    assert post.samples["x"].shape == (2, 200, 2)
    assert np.all(np.isfinite(post.samples["x"]))
    assert np.all(np.abs(np.asarray(post.samples["x"]).mean((0, 1)) - POST_MEAN) < 10 * POST_SD)


def test_sites_restriction_holds_other_sites_fixed():
    def log_density(position):
        return gaussian_log_density(position) - 0.5 * position["c"] ** 2

    start = {"a": jnp.zeros(1), "b": jnp.zeros(()), "c": jnp.asarray(3.0)}
    result = inference.run_sgmcmc(
        jax.random.PRNGKey(6), kernels.sghmc(0.05, sites=["a", "b"]), log_density, start, 20, thinning=2
    )
    np.testing.assert_array_equal(result.positions["c"], 3.0)
    assert np.all(result.positions["b"] != 0.0)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"kernel": kernels.hmc()}, TypeError, "kernel must be"),
        ({"logdensity_fn": 3.0}, TypeError, "logdensity_fn must be"),
        ({"num_steps": 0}, ValueError, "num_steps must be >= 1"),
        ({"num_steps": 10.0}, TypeError, "num_steps must be an integer"),
        ({"num_burnin": -1}, ValueError, "num_burnin must be >= 0"),
        ({"thinning": 0}, ValueError, "thinning must be >= 1"),
        ({"num_steps": 5, "thinning": 10}, ValueError, r"num_steps \(5\) must be >= thinning \(10\)"),
        ({"init_position": {}}, ValueError, "init_position must be a pytree"),
        ({"init_position": jnp.zeros(2, int)}, TypeError, "floating-point"),
        ({"init_position": jnp.zeros(3)}, ValueError, "could not be evaluated at init_position"),
        ({"logdensity_fn": lambda w: w}, ValueError, "must return a scalar"),
    ],
)
def test_run_sgmcmc_bad_arguments(kwargs, error, message):
    args = {
        "key": jax.random.PRNGKey(0),
        "kernel": kernels.sgld(),
        "logdensity_fn": regression_density(),
        "init_position": jnp.zeros(2),
        "num_steps": 10,
    } | kwargs
    with pytest.raises(error, match=message):
        inference.run_sgmcmc(**args)


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: kernels.sgld(step_size=0.0), ValueError, "step_size must be > 0"),
        (lambda: kernels.sghmc(step_size=-1.0), ValueError, "step_size must be > 0"),
        (lambda: kernels.sghmc(step_size=0.1, friction=20.0), ValueError, "must be <= 1"),
        (lambda: kernels.sghmc(friction=0.0), ValueError, "friction must be > 0"),
        (lambda: kernels.sghmc(adaptive=True, friction=1.0), ValueError, "pass mdecay"),
        (lambda: kernels.sghmc(mdecay=0.1), ValueError, "mdecay applies to adaptive=True"),
        (lambda: kernels.sghmc(adaptive=True, mdecay=1.5), ValueError, r"mdecay must be in \(0, 1\]"),
        (lambda: kernels.sghmc(adaptive=1), TypeError, "adaptive must be True or False"),
        (lambda: regression_density(batch_size=N + 1), ValueError, "batch_size must be <= num_data = 500"),
        (lambda: regression_density(batch_size=0), ValueError, "batch_size must be >= 1"),
        (lambda: regression_density(y=Y[:10]), ValueError, "same leading axis"),
        (lambda: inference.minibatch_log_density(None, log_likelihood, {"y": Y}, 5), TypeError, "log_prior"),
        (lambda: inference.minibatch_log_density(log_prior, 1.0, {"y": Y}, 5), TypeError, "log_likelihood"),
        (lambda: inference.minibatch_log_density(log_prior, log_likelihood, {}, 5), ValueError, "empty"),
    ],
)
def test_constructors_reject_bad_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()
