"""Every ``to_arviz`` goes through ArviZ's own tools on whichever major is installed (0.x on
Python 3.11, 1.x on 3.12 in CI's second leg; ``inference._arviz``), with the same groups,
shapes and attrs, and the numbers ArviZ reports agree with the draws they came from."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

import bayesnn
import inference
from inference._arviz import ARVIZ_1, from_groups, group_names, summary

RNG = np.random.default_rng(0)


def test_from_groups_keeps_shapes_and_puts_attrs_on_every_group():
    draws = RNG.normal(size=(3, 50, 2))
    data = from_groups({"posterior": {"x": draws}, "sample_stats": {"lp": draws[..., 0]}}, {"log_evidence": -1.5})
    assert group_names(data) == ["posterior", "sample_stats"]
    np.testing.assert_array_equal(np.asarray(data.posterior["x"]), draws)
    for group in ("posterior", "sample_stats"):
        assert data[group].attrs["log_evidence"] == -1.5
    assert data.attrs["log_evidence"] == -1.5
    assert type(data).__name__ == ("DataTree" if ARVIZ_1 else "InferenceData")


def test_mcmc_summary_matches_the_draws():
    """The summary's mean and sd are the draws' own, and its interval is the 94% HDI on both majors
    (0.x names it ``hdi_3%``/``hdi_97%``, 1.x ``hdi94_lb``/``hdi94_ub``): on a normal posterior
    it spans ±1.88 sd."""

    def model():
        numpyro.sample("mu", dist.Normal(1.0, 2.0))

    post = inference.mcmc(jax.random.PRNGKey(0), inference.Program(model), num_warmup=200, num_samples=300)
    table = post.summary()
    mu = np.asarray(post.samples["mu"])
    assert table.loc["mu", "mean"] == pytest.approx(mu.mean(), abs=0.01)
    assert table.loc["mu", "sd"] == pytest.approx(mu.std(), abs=0.01)
    lower, upper = (table.loc["mu", c] for c in table.columns if str(c).startswith("hdi"))
    assert (upper - lower) / (2 * mu.std()) == pytest.approx(1.88, abs=0.15)


def test_smc_result_through_summary_with_its_evidence():
    result = inference.smc(jax.random.PRNGKey(1), lambda x: -0.5 * jnp.sum(x**2), prior=dist.Normal(0, 2).expand([2]))
    data = result.to_arviz()
    assert data.posterior.attrs["log_evidence"] == pytest.approx(result.log_evidence)
    table = summary(data)
    x = np.asarray(result.samples["x"])
    np.testing.assert_allclose(table["mean"].to_numpy(float), x.mean(0), atol=0.01)


def test_bnn_posterior_to_arviz_has_chains_draws_and_method():
    net = bayesnn.MLP((4,))
    bnn = bayesnn.BNN(net, noise=0.1)
    X = jnp.linspace(0, 1, 8)[:, None]
    post = bayesnn.fit(
        jax.random.PRNGKey(2), bnn, X, jnp.sin(3 * X[:, 0]), method="hmc", num_chains=2, num_warmup=20, num_samples=10
    )
    data = post.to_arviz()
    assert "posterior" in group_names(data)
    assert data.posterior.attrs["method"] == "hmc"
    for name, values in post.values.items():
        assert np.asarray(data.posterior[name]).shape == (2, 10, *np.shape(values)[1:]), name
