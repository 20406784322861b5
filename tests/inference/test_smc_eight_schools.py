"""The default SMC mutation on EightSchools (non-centred, as in inference-gym) against a long
NUTS run (#20): posterior means and sds within their Monte Carlo standard errors.

The random walk at its default 10 moves per step was seen to leave ``log_stddev`` 9% too
narrow; where gradients exist the default is now HMC.
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

import inference

Y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
PRIOR = {
    "avg_effect": dist.Normal(0.0, 10.0),
    "log_stddev": dist.Normal(5.0, 1.0),
    "school_effects_standard": dist.Normal(0.0, 1.0).expand([8]),
}
SITES = ("avg_effect", "log_stddev")
NUM_SEEDS = 6


def log_likelihood(p):
    effects = p["avg_effect"] + jnp.exp(p["log_stddev"]) * p["school_effects_standard"]
    return jnp.sum(dist.Normal(effects, SIGMA).log_prob(Y))


def log_density(p):
    return log_likelihood(p) + sum(jnp.sum(d.log_prob(p[name])) for name, d in PRIOR.items())


def nuts_reference():
    """Means and sds of the two scalar sites, with their MCSEs (ArviZ), from 4 × 5000 NUTS draws."""
    start = {"avg_effect": 0.0, "log_stddev": 2.0, "school_effects_standard": jnp.zeros(8)}
    post = inference.mcmc(jax.random.PRNGKey(100), log_density, num_samples=5000, init_position=start)
    out = {}
    for name in SITES:
        draws = np.asarray(post.samples[name])  # [chains, draws]
        mcse_mean = float(az.mcse(draws, method="mean"))
        mcse_sd = float(az.mcse(draws, method="sd"))
        out[name] = (draws.mean(), draws.std(), mcse_mean, mcse_sd)
    return out


def test_default_smc_kernel_matches_long_nuts_on_eight_schools():
    reference = nuts_reference()
    runs = [inference.smc(jax.random.PRNGKey(seed), log_likelihood, prior=PRIOR) for seed in range(NUM_SEEDS)]
    for name in SITES:
        means = np.array([np.asarray(r.samples[name]).mean() for r in runs])
        sds = np.array([np.asarray(r.samples[name]).std() for r in runs])
        ref_mean, ref_sd, mcse_mean, mcse_sd = reference[name]
        # Each SMC run's error is estimated from the spread over seeds (a run is not iid draws).
        se_mean = np.hypot(means.std(ddof=1) / np.sqrt(NUM_SEEDS), mcse_mean)
        se_sd = np.hypot(sds.std(ddof=1) / np.sqrt(NUM_SEEDS), mcse_sd)
        assert abs(means.mean() - ref_mean) < 4 * se_mean, (name, means.mean(), ref_mean, se_mean)
        assert abs(sds.mean() - ref_sd) < 4 * se_sd, (name, sds.mean(), ref_sd, se_sd)
        # 4 SEs is loose only if the SEs are: they must resolve a 9% error in the sd.
        assert 4 * se_sd < 0.09 * ref_sd, (name, se_sd, ref_sd)
