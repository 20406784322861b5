"""Sampling methods against a long reference run of NumPyro's NUTS on a tiny BNN.

One hidden layer of 3 tanh units, 10 noisy points of sin(3x), fixed noise: a 10-parameter
posterior with the usual permutation and sign symmetries (which leave the predictive
unchanged). For each method, the posterior-predictive mean and sd of f at five inputs
must match the reference within 4 combined Monte Carlo standard errors (ArviZ's
ESS-based MCSE for the mean and for the sd, of the method and of the reference).
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest

import bayesnn

BNN = bayesnn.BNN(bayesnn.MLP((3,), "tanh"), noise=0.3)
_rng = np.random.default_rng(1)
X = np.sort(_rng.uniform(-1.5, 1.5, size=(10, 1)), axis=0)
Y = np.sin(3 * X[:, 0]) + 0.3 * _rng.normal(size=10)
XQ = np.linspace(-2.0, 2.0, 5)[:, None]


def predictive(values, chains):
    """f at XQ for every draw, as ArviZ's ``[chains, draws, 5]``."""
    f = np.asarray(jax.vmap(lambda v: BNN.latent(v, jnp.asarray(XQ)))(values))
    return f.reshape(chains, -1, f.shape[-1])


def summary(f):
    """Mean, sd and their MCSEs over draws for each query point."""
    data = az.convert_to_dataset({"f": f})
    mean, sd = f.mean(axis=(0, 1)), f.std(axis=(0, 1))
    mcse_mean = az.mcse(data, method="mean")["f"].values
    mcse_sd = az.mcse(data, method="sd")["f"].values
    return mean, sd, mcse_mean, mcse_sd


@pytest.fixture(scope="module")
def reference():
    mcmc = numpyro.infer.MCMC(
        numpyro.infer.NUTS(BNN.model),
        num_warmup=1000,
        num_samples=2000,
        num_chains=4,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(0), jnp.asarray(X), jnp.asarray(Y))
    samples = {k: v for k, v in mcmc.get_samples().items() if k != "y"}
    return summary(predictive(samples, 4))


@pytest.mark.parametrize(
    "method, options",
    [
        ("nuts", dict(num_chains=4, num_warmup=500, num_samples=1000)),
        # The paper's fixed-path-length HMC, with a longer path so that 4 x 2000 draws mix.
        ("hmc", dict(num_chains=4, num_warmup=500, num_samples=2000, path_length=1.0)),
        # No Metropolis correction: the draws carry an O(ε) discretisation bias (Chen et al. 2014,
        # §3.2), kept below the tolerance by a small step size (full batch: 10 rows < 32).
        ("sghmc", dict(num_chains=4, num_burnin=1000, num_steps=20000, thinning=10, step_size=0.003)),
    ],
)
def test_predictive_matches_reference_nuts(reference, method, options):
    post = bayesnn.fit(jax.random.PRNGKey(1), BNN, X, Y, method=method, **options)
    mean, sd, mcse_mean, mcse_sd = summary(predictive(post.values, options["num_chains"]))
    ref_mean, ref_sd, ref_mcse_mean, ref_mcse_sd = reference
    assert np.all(np.abs(mean - ref_mean) < 4 * np.hypot(mcse_mean, ref_mcse_mean)), (mean, ref_mean, mcse_mean)
    assert np.all(np.abs(sd - ref_sd) < 4 * np.hypot(mcse_sd, ref_mcse_sd)), (sd, ref_sd, mcse_sd)
