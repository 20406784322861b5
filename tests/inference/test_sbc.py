"""Simulation-based calibration (Talts et al. 2018, "Validating Bayesian inference
algorithms with simulation-based calibration") of ``inference.mcmc`` with NUTS.

Model: a non-centred hierarchical normal with J = 4 groups,
``mu ~ N(0, 1)``, ``tau ~ HalfNormal(1)``, ``theta_j = mu + tau · z_j``, ``z_j ~ N(0, 1)``,
``y_j ~ N(theta_j, 1)``. For each of M replications, parameters are drawn from the prior,
data are simulated, and the rank of the true ``mu`` and ``tau`` among L thinned posterior
draws is recorded. If the sampler is correct the ranks are uniform on ``{0, ..., L}``.

The M replications are independent, so their joint posterior is the product of the M
single-replication posteriors: one ``Program`` holds all of them (site shapes ``[M]`` and
``[M, J]``) and one NUTS chain samples every replication at once — one compilation
instead of M. Thinning makes the kept draws nearly independent (checked via their ESS),
as SBC requires (Talts et al. §5). Uniformity is a chi-square test on 5 equal bins of
ranks; a correct sampler fails it with probability 0.001 (the seeds are fixed).
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from scipy import stats

import inference

NUM_GROUPS = 4
NUM_BINS = 5
P_MIN = 1e-3


def replicated_hierarchical(y):
    """M independent copies of the non-centred model; ``y: [M, J]``."""
    num_reps, num_groups = y.shape
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0).expand([num_reps]).to_event(1))
    tau = numpyro.sample("tau", dist.HalfNormal(1.0).expand([num_reps]).to_event(1))
    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([num_reps, num_groups]).to_event(2))
    theta = mu[:, None] + tau[:, None] * z
    numpyro.sample("y", dist.Normal(theta, 1.0).to_event(2), obs=y)


def simulate(seed, num_reps):
    """True parameters from the prior and data given them."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=num_reps)
    tau = np.abs(rng.normal(size=num_reps))
    z = rng.normal(size=(num_reps, NUM_GROUPS))
    y = mu[:, None] + tau[:, None] * z + rng.normal(size=(num_reps, NUM_GROUPS))
    return {"mu": mu, "tau": tau}, y


def run_sbc(seed, num_reps, num_draws, thinning, num_warmup):
    """``{site: (ranks [M], draws [L, M])}`` for ``mu`` and ``tau``."""
    truth, y = simulate(seed, num_reps)
    post = inference.mcmc(
        jax.random.PRNGKey(seed),
        inference.Program(replicated_hierarchical, jnp.asarray(y)),
        kernel="nuts",
        num_warmup=num_warmup,
        num_samples=num_draws,
        num_chains=1,
        thinning=thinning,
    )
    assert int(np.sum(post.stats["diverging"])) == 0
    out = {}
    for name in ("mu", "tau"):
        draws = np.asarray(post.samples[name])[0]
        out[name] = ((draws < truth[name]).sum(axis=0), draws)
    return out


def check_uniform_ranks(result, num_draws):
    assert (num_draws + 1) % NUM_BINS == 0
    for name, (ranks, draws) in result.items():
        assert ranks.min() >= 0 and ranks.max() <= num_draws
        counts = np.bincount(ranks // ((num_draws + 1) // NUM_BINS), minlength=NUM_BINS)
        p_value = stats.chisquare(counts).pvalue
        assert p_value > P_MIN, f"{name}: rank counts {counts}, chi-square p = {p_value:.2g}"
        # Thinned draws must be close to independent for the ranks to be uniform.
        ess = np.array([az.ess(draws[None, :, m]) for m in range(draws.shape[1])])
        assert np.median(ess) > 0.5 * num_draws, (name, np.median(ess))


def test_sbc_hierarchical_nuts():
    """200 replications, 39 draws each (ranks 0..39 in 5 bins of 8; 40 replications expected per bin)."""
    num_draws = 39
    check_uniform_ranks(run_sbc(seed=0, num_reps=200, num_draws=num_draws, thinning=5, num_warmup=400), num_draws)


@pytest.mark.slow
def test_sbc_hierarchical_nuts_large():
    """1000 replications, 99 draws each (200 replications expected per bin)."""
    num_draws = 99
    check_uniform_ranks(run_sbc(seed=1, num_reps=1000, num_draws=num_draws, thinning=4, num_warmup=500), num_draws)
