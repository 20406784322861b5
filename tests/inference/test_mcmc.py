"""``inference.mcmc`` end to end: exact posteriors, Jacobians, ArviZ export, errors, layouts.

Tolerances:

* posterior means must lie within 4 Monte-Carlo standard errors of the exact value, the
  MCSE being ArviZ's (``az.mcse(method="mean")``, from the effective sample size); a
  correct sampler fails one such check with probability 6e-5 (seeds are fixed);
* posterior standard deviations within 15% of exact (the relative SE of an sd estimate is
  about 1/√(2 ESS), under 5% for the ESS reached here);
* layouts (vectorized, sequential, sharded): the same keys give the same draws up to float
  round-off, checked where round-off cannot be amplified (see ``test_sequential...``).
"""

import functools
import json
import os
import subprocess
import sys
import textwrap

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import inference
from inference import kernels
from inference._arviz import bfmi, group_names
from inference._arviz import loo as psis_loo
from tests.compilations import backend_compilations

Z_MAX = 4.0
NUM_CHAINS, NUM_WARMUP, NUM_SAMPLES = 4, 500, 1000

# -- conjugate Bayesian linear regression (DESIGN.md §7), plus constrained prior-only sites ------

N, D, SIGMA, PRIOR_SCALE = 60, 3, 0.5, 2.0
_rng = np.random.default_rng(1)
X = _rng.normal(size=(N, D))
Y = X @ np.array([1.0, -0.5, 0.25]) + SIGMA * _rng.normal(size=N)
POST_COV = np.linalg.inv(X.T @ X / SIGMA**2 + np.eye(D) / PRIOR_SCALE**2)  # precision XᵀX/σ² + I/s²
POST_MEAN = POST_COV @ X.T @ Y / SIGMA**2
POST_SD = np.sqrt(np.diag(POST_COV))


# Sites the data do not touch: their posterior is their prior, whose moments are known. The
# sampler works on log tau, log s and logit p, so without the log-Jacobian of those maps the
# draws would follow p(θ)·|dz/dθ| instead (for tau the mean would be 1.25 instead of 0.80).
CONSTRAINED = {
    "tau": (dist.HalfNormal(1.0), np.sqrt(2 / np.pi), 1 - 2 / np.pi),  # (prior, mean, variance)
    "s": (dist.LogNormal(0.0, 0.5), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
    "p": (dist.Beta(2.0, 5.0), 2 / 7, 2 * 5 / (7**2 * 8)),
}


def regression(X, y=None):
    w = numpyro.sample("w", dist.Normal(0.0, PRIOR_SCALE).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ w, SIGMA), obs=y)
    for name, (prior, _, _) in CONSTRAINED.items():
        numpyro.sample(name, prior)


@functools.cache
def regression_program():
    return inference.Program(regression, jnp.asarray(X), y=jnp.asarray(Y))


@functools.cache
def regression_posterior(kernel: str, chain_method: str | None = None):
    """Cached so that each (kernel, layout) compiles once per session; thinned by 2."""
    return inference.mcmc(
        jax.random.PRNGKey(0),
        regression_program(),
        kernel=kernel,
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=NUM_CHAINS,
        thinning=2,
        chain_method=chain_method,
    )


def assert_mean_within_mcse(draws, exact, what):
    """``draws: [chains, draws]`` against ``exact``: |error| < 4 MCSE."""
    mcse = float(az.mcse(np.asarray(draws), method="mean"))
    error = float(np.mean(draws)) - exact
    assert abs(error) < Z_MAX * mcse, f"{what}: mean {np.mean(draws):.4f}, exact {exact:.4f}, mcse {mcse:.4f}"


@pytest.mark.parametrize("kernel", ["nuts", "hmc", "mala", "rwmh"])
def test_linear_regression_posterior(kernel):
    post = regression_posterior(kernel)
    w = np.asarray(post.samples["w"])
    assert w.shape == (NUM_CHAINS, NUM_SAMPLES, D)
    assert post.positions.shape == (NUM_CHAINS, NUM_SAMPLES, D + len(CONSTRAINED))
    for i in range(D):
        assert_mean_within_mcse(w[..., i], POST_MEAN[i], f"{kernel} w[{i}]")
        assert float(az.ess(w[..., i])) > 200, f"{kernel}: too few effective draws for the checks"
    sd_ratio = w.reshape(-1, D).std(0) / POST_SD
    assert np.all(np.abs(sd_ratio - 1) < 0.15), sd_ratio
    assert np.all(np.asarray(az.rhat(az.convert_to_dataset({"w": w}))["w"]) < 1.02)
    # Warmup tuned one step size per chain, held fixed while sampling.
    step_size = np.asarray(post.stats["step_size"])
    assert np.all(step_size == step_size[:, :1]) and np.all(step_size > 0)
    np.testing.assert_array_equal(np.asarray(post.kernel.step_size), step_size[:, 0])
    if kernel == "rwmh":  # target 0.234: the averaged dual-averaging iterate lands near it
        assert abs(float(np.mean(post.stats["acceptance_prob"])) - 0.234) < 0.1


@pytest.mark.parametrize("kernel", ["nuts", "hmc", "mala", "rwmh"])
def test_halfnormal_lognormal_beta_sites(kernel):
    """Means and variances of the constrained prior-only sites: the log-Jacobians are applied."""
    post = regression_posterior(kernel)
    for name, (_, mean, var) in CONSTRAINED.items():
        x = np.asarray(post.samples[name])
        assert x.shape == (NUM_CHAINS, NUM_SAMPLES)
        assert_mean_within_mcse(x, mean, f"{kernel} {name}")
        assert_mean_within_mcse((x - mean) ** 2, var, f"{kernel} {name} variance")


# -- ArviZ ------------------------------------------------------------------------------------


def test_to_arviz_groups_and_shapes():
    idata = regression_posterior("nuts").to_arviz()
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(group_names(idata))
    assert idata.posterior["w"].shape == (NUM_CHAINS, NUM_SAMPLES, D)
    for stat in ("acceptance_rate", "step_size", "diverging", "energy", "n_steps", "lp"):
        assert idata.sample_stats[stat].shape == (NUM_CHAINS, NUM_SAMPLES), stat
    assert idata.sample_stats["diverging"].dtype == bool
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert idata.log_likelihood["y"].shape == (NUM_CHAINS, NUM_SAMPLES, N)
    np.testing.assert_allclose(idata.observed_data["y"], Y)
    # lp is the unnormalised log density (Jacobians included): log prior + log likelihood.
    post = regression_posterior("nuts")
    log_prior = jax.jit(jax.vmap(jax.vmap(post.program.log_prior)))(post.positions)
    np.testing.assert_allclose(idata.sample_stats["lp"], log_prior + idata.log_likelihood["y"].sum("y_dim_0"))
    energy_bfmi = bfmi(idata)
    assert energy_bfmi.shape == (NUM_CHAINS,) and np.all(energy_bfmi > 0.3), energy_bfmi


def test_rwmh_has_no_hamiltonian_stats():
    stats = regression_posterior("rwmh").to_arviz().sample_stats
    assert "acceptance_rate" in stats and "step_size" in stats
    assert "energy" not in stats and "diverging" not in stats


def test_loo_on_the_exported_posterior():
    """For a well-specified regression with 3 coefficients the effective number of
    parameters p_loo is close to 3; elpd_loo is close to the exact log predictive density."""
    loo = psis_loo(regression_posterior("nuts").to_arviz())
    assert np.isfinite(loo.elpd) and loo.n_data_points == N
    assert abs(loo.p - D) < 1.5, loo.p
    assert np.all(loo.pareto_k < 0.7)
    # Exact in-sample log predictive density Σ log N(y_i; x_iᵀμ, σ² + x_iᵀΣx_i) bounds elpd_loo above.
    lpd = np.sum(-0.5 * np.log(2 * np.pi * (SIGMA**2 + np.einsum("ij,jk,ik->i", X, POST_COV, X))))
    lpd -= np.sum(0.5 * (Y - X @ POST_MEAN) ** 2 / (SIGMA**2 + np.einsum("ij,jk,ik->i", X, POST_COV, X)))
    assert lpd - 5 < loo.elpd < lpd


# -- errors users can cause ---------------------------------------------------------------------


def fully_observed(y):
    numpyro.sample("y", dist.Normal(0.0, 1.0), obs=y)


def scale_model(y):
    tau = numpyro.sample("tau", dist.HalfNormal(1.0))
    numpyro.sample("y", dist.LogNormal(0.0, tau), obs=y)


KEY = jax.random.PRNGKey(0)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"num_chains": 0}, ValueError, "num_chains"),
        ({"num_samples": 0}, ValueError, "num_samples"),
        ({"num_warmup": -1}, ValueError, "num_warmup"),
        ({"num_chains": 2.0}, TypeError, "num_chains"),
        ({"thinning": 0}, ValueError, "thinning"),
        ({"kernel": "slice"}, ValueError, r"kernel must be one of \['hmc', 'mala', 'nuts', 'rwmh'\]"),
        ({"kernel": object()}, TypeError, "kernel"),
        ({"chain_method": "threads"}, ValueError, "chain_method"),
        ({"init_position": {"tau": 1.0, "extra": 0.0}}, ValueError, "init_position"),
        ({"init_position": {}}, ValueError, "init_position"),
        ({"init_position": {"tau": jnp.ones(2)}}, ValueError, r"init_position\['tau'\]"),
        ({"init_position": [1.0]}, TypeError, "init_position"),
    ],
)
def test_bad_arguments_raise_before_sampling(options, error, message):
    program = inference.Program(scale_model, jnp.array([1.0, 2.0]))
    with pytest.raises(error, match=message):
        inference.mcmc(KEY, program, **{"num_warmup": 10, "num_samples": 10, **options})


def test_model_without_latent_sites_raises():
    with pytest.raises(ValueError, match="no latent sample sites"):
        inference.mcmc(KEY, inference.Program(fully_observed, 0.5))


def test_program_must_be_a_program_or_function():
    with pytest.raises(TypeError, match="program"):
        inference.mcmc(KEY, "model")


def test_logdensity_fn_needs_a_matching_init_position():
    def log_density(position):
        return -0.5 * jnp.sum(position["x"] ** 2)

    with pytest.raises(ValueError, match="init_position is required"):
        inference.mcmc(KEY, log_density)
    with pytest.raises(ValueError, match="init_position"):
        inference.mcmc(KEY, log_density, init_position={"z": jnp.zeros(2)})
    with pytest.raises(ValueError, match="scalar"):
        inference.mcmc(KEY, lambda p: p["x"] ** 2, init_position={"x": jnp.zeros(2)})


def test_non_finite_initial_density_names_the_site():
    # Data outside the support: LogNormal observations must be positive.
    with pytest.raises(ValueError, match=r"initial log density .* site\(s\) \['y'\]"):
        inference.mcmc(KEY, inference.Program(scale_model, jnp.array([1.0, -2.0])), num_warmup=10, num_samples=10)
    # A starting value outside the support of a constrained site.
    program = inference.Program(scale_model, jnp.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"init_position .* support of site\(s\) \['tau'\]: tau=-1.0"):
        inference.mcmc(KEY, program, num_warmup=10, num_samples=10, init_position={"tau": -1.0})
    with pytest.raises(ValueError, match=r"init_position .* \['tau'\]"):
        inference.mcmc(KEY, program, num_warmup=10, num_samples=10, init_position={"tau": 0.0})
    # A log-density function that is -inf at its starting point.
    with pytest.raises(ValueError, match="initial log density is -inf"):
        inference.mcmc(KEY, lambda x: jnp.log(x).sum(), num_warmup=10, num_samples=10, init_position=jnp.zeros(2))


# -- chain layouts ----------------------------------------------------------------------------


def fixed_step_nuts(chain_method):
    return inference.mcmc(
        KEY,
        regression_program(),
        kernel=kernels.nuts(step_size=0.05),
        num_warmup=0,
        num_samples=100,
        chain_method=chain_method,
    )


def test_sequential_chains_match_vectorized():
    """``lax.map`` over chains and ``vmap`` give the same draws, compared to 1e-9 for NUTS at a
    fixed step size. (Through warmup, the last-bit differences between batched and unbatched
    log densities can flip a trajectory's U-turn or multinomial choice, after which the chains
    drift apart: equally valid, but no longer equal. RWMH, whose accept decisions do not
    amplify round-off, is compared through warmup in the slow test below.)"""
    sequential, vectorized = fixed_step_nuts("sequential"), fixed_step_nuts("vectorized")
    np.testing.assert_allclose(sequential.positions, vectorized.positions, rtol=1e-9, atol=1e-9)


@pytest.mark.slow
def test_sequential_chains_match_vectorized_through_warmup():
    vectorized = regression_posterior("rwmh")  # one device: the default layout is vectorized
    sequential = regression_posterior("rwmh", "sequential")
    np.testing.assert_allclose(sequential.positions, vectorized.positions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sequential.kernel.step_size, vectorized.kernel.step_size, rtol=1e-9)


SHARDED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, jax.numpy as jnp, numpy as np
    jax.config.update("jax_enable_x64", True)
    import arviz as az
    import numpyro, numpyro.distributions as dist
    import inference
    from inference import kernels
    from inference.sharding import default_chain_method

    rng = np.random.default_rng(1)
    n, d, sigma, s = 60, 3, 0.5, 2.0
    X = rng.normal(size=(n, d))
    y = X @ np.array([1.0, -0.5, 0.25]) + sigma * rng.normal(size=n)
    cov = np.linalg.inv(X.T @ X / sigma**2 + np.eye(d) / s**2)
    mean = cov @ X.T @ y / sigma**2

    def model(X, y=None):
        w = numpyro.sample("w", dist.Normal(0.0, s).expand([d]).to_event(1))
        numpyro.sample("y", dist.Normal(X @ w, sigma), obs=y)

    program = inference.Program(model, jnp.asarray(X), y=jnp.asarray(y))
    out = {"device_count": jax.device_count(), "default": default_chain_method(4)}
    key = jax.random.PRNGKey(0)

    def run(kernel, chain_method, num_warmup, num_samples):
        return inference.mcmc(key, program, kernel=kernel, num_warmup=num_warmup, num_samples=num_samples,
                              num_chains=4, chain_method=chain_method)

    post = run("nuts", None, 300, 1000)
    out["devices_used"] = len(post.positions.sharding.device_set)
    w = np.asarray(post.samples["w"])
    out["z"] = [float((w[..., i].mean() - mean[i]) / az.mcse(w[..., i], method="mean")) for i in range(d)]
    out["sd_ratio"] = (w.reshape(-1, d).std(0) / np.sqrt(np.diag(cov))).tolist()

    comparisons = [("nuts_fixed", kernels.nuts(step_size=0.05), 0)]
    if sys.argv[1] == "slow":
        comparisons.append(("rwmh_warmup", "rwmh", 300))
    for name, kernel, num_warmup in comparisons:
        sharded, vectorized = run(kernel, None, num_warmup, 100), run(kernel, "vectorized", num_warmup, 100)
        out[name] = max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                        for a, b in [(sharded.positions, vectorized.positions),
                                     (sharded.kernel.step_size, vectorized.kernel.step_size)])
    try:
        inference.mcmc(key, program, num_warmup=10, num_samples=10, num_chains=6, chain_method="parallel")
        out["uneven"] = "no error"
    except ValueError as err:
        out["uneven"] = str(err)
    print("RESULT" + json.dumps(out))
    """
)


def run_sharded(variant: str) -> dict:
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-c", SHARDED_SCRIPT, variant], capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT")[-1])
    assert out["device_count"] == 4 and out["default"] == "parallel" and out["devices_used"] == 4
    assert max(abs(z) for z in out["z"]) < Z_MAX, out["z"]
    assert max(abs(r - 1) for r in out["sd_ratio"]) < 0.15, out["sd_ratio"]
    assert "multiple of the device count" in out["uneven"], out["uneven"]
    return out


def test_chains_sharded_over_four_devices():
    """Four virtual CPU devices: the default layout shards the chains ("parallel"), the answer
    is right, and fixed-step NUTS gives the vectorized layout's draws to 1e-9."""
    out = run_sharded("default")
    assert out["nuts_fixed"] < 1e-9, out


@pytest.mark.slow
def test_chains_sharded_over_four_devices_through_warmup():
    """RWMH through warmup (step-size search, dual averaging, mass windows) sharded and vectorized."""
    out = run_sharded("slow")
    assert out["nuts_fixed"] < 1e-9 and out["rwmh_warmup"] < 1e-9, out


def test_a_second_run_on_the_same_program_compiles_nothing():
    """The sampler is compiled once per (program, kernel structure, settings): another key,
    another step size or a progress bar reuse it, and the bar does not change the draws."""
    program = regression_program()

    def run(key, step_size, progress=False):
        kernel = kernels.hmc(step_size=step_size, num_steps=5)
        return inference.mcmc(key, program, kernel, num_warmup=20, num_samples=30, num_chains=2, progress=progress)

    quiet = run(jax.random.PRNGKey(1), 0.05)
    assert backend_compilations(lambda: run(jax.random.PRNGKey(2), 0.07)) == 0
    with_bar = run(jax.random.PRNGKey(1), 0.05, progress=True)
    np.testing.assert_array_equal(np.asarray(with_bar.positions), np.asarray(quiet.positions))
