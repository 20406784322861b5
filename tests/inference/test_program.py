"""``Program``: densities, Jacobians, views of a position, prior draws, jit/vmap safety.

Deterministic identities (``log_density = log_prior + log_likelihood``, Jacobians, round
trips) are checked to 1e-10 in float64. Prior moments are z-tests: a mean of ``n`` iid
draws has standard error ``sd / sqrt(n)`` and must lie within 4 of them (a correct
implementation fails one such check with probability 6e-5; the seeds are fixed anyway).
"""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest
from scipy import stats

import inference

Z_MAX = 4.0  # z-score bound for Monte-Carlo means


def constrained_model(y=None):
    """One site per unconstraining transform (exp, exp, logit) plus a Normal vector."""
    tau = numpyro.sample("tau", dist.HalfNormal(2.0))
    s = numpyro.sample("s", dist.LogNormal(0.3, 0.7))
    p = numpyro.sample("p", dist.Beta(2.0, 3.0))
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0).expand([2]).to_event(1))
    numpyro.deterministic("scaled", tau * mu)
    with numpyro.plate("data", y.shape[0]):
        numpyro.sample("y", dist.Normal(mu[0] + p * mu[1], s), obs=y)


Y = jnp.array([0.3, -1.2, 0.8, 2.0, 0.1])


@pytest.fixture(scope="module")
def program():
    return inference.Program(constrained_model, Y)


@pytest.fixture(scope="module")
def batched(program):
    """Jitted, vmapped densities (op-by-op evaluation of a model is slow; eager results are
    compared with these in ``test_jit_and_vmap_agree_with_eager``)."""
    return {
        name: jax.jit(jax.vmap(getattr(program, name)))
        for name in ("log_density", "log_prior", "log_likelihood", "constrain", "pointwise_log_likelihood")
    }


def random_positions(program, n, seed=0):
    return jax.random.normal(jax.random.PRNGKey(seed), (n, program.dim))


def test_sites_and_dim(program):
    assert program.dim == 5
    assert set(program.latent_names) == {"tau", "s", "p", "mu"}
    assert program.observed_names == ("y",)
    assert program.deterministic_names == ("scaled",)
    assert not program.has_discrete


def test_log_density_is_prior_plus_likelihood(program, batched):
    z = random_positions(program, 20)
    total = batched["log_density"](z)
    np.testing.assert_allclose(total, batched["log_prior"](z) + batched["log_likelihood"](z), rtol=1e-12)


def test_log_jacobians_match_hand_computation(program, batched):
    """log_prior(z) = Σ log p(θ) + log|dθ/dz| with θ = exp(z) (HalfNormal, LogNormal) and
    θ = logistic(z) (Beta); densities from scipy, Jacobians by hand."""
    zs = random_positions(program, 5, seed=1)
    log_prior, log_likelihood = batched["log_prior"](zs), batched["log_likelihood"](zs)
    for i, z in enumerate(zs):
        sites = program.to_sites(z)
        z_tau, z_s, z_p, mu = (np.asarray(sites[k]) for k in ("tau", "s", "p", "mu"))
        tau, s, p = np.exp(z_tau), np.exp(z_s), 1 / (1 + np.exp(-z_p))
        expected = (
            stats.halfnorm(scale=2.0).logpdf(tau)
            + z_tau  # log|d exp(z)/dz| = z
            + stats.lognorm(s=0.7, scale=np.exp(0.3)).logpdf(s)
            + z_s
            + stats.beta(2.0, 3.0).logpdf(p)
            + np.log(p * (1 - p))  # log|d logistic(z)/dz|
            + stats.norm().logpdf(mu).sum()
        )
        assert abs(float(log_prior[i]) - expected) < 1e-10
        log_lik = stats.norm(mu[0] + p * mu[1], s).logpdf(np.asarray(Y)).sum()
        assert abs(float(log_likelihood[i]) - log_lik) < 1e-10


def test_constrain_unconstrain_round_trip(program, batched):
    z = random_positions(program, 50, seed=2)
    values = batched["constrain"](z)
    assert np.all(values["tau"] > 0) and np.all(values["s"] > 0) and np.all((values["p"] > 0) & (values["p"] < 1))
    unconstrain = jax.jit(jax.vmap(program.unconstrain))
    back = unconstrain({k: values[k] for k in program.latent_names})
    np.testing.assert_allclose(back, z, rtol=1e-10, atol=1e-10)
    values = {"tau": 0.7, "s": 2.5, "p": 0.2, "mu": jnp.array([0.4, -0.1])}
    again = program.constrain(program.unconstrain(values))
    for name, value in values.items():
        np.testing.assert_allclose(again[name], value, rtol=1e-10)


def test_deterministic_sites_in_constrain(program):
    z = random_positions(program, 1, seed=3)[0]
    values = program.constrain(z)
    assert set(values) == {"tau", "s", "p", "mu", "scaled"}
    np.testing.assert_allclose(values["scaled"], values["tau"] * values["mu"], rtol=1e-12)


def test_pointwise_log_likelihood_sums_to_log_likelihood(program, batched):
    z = random_positions(program, 20, seed=4)
    pointwise = batched["pointwise_log_likelihood"](z)
    assert set(pointwise) == {"y"} and pointwise["y"].shape == (20, *Y.shape)
    np.testing.assert_allclose(pointwise["y"].sum(-1), batched["log_likelihood"](z), rtol=1e-12)


def test_observed_data(program):
    np.testing.assert_array_equal(program.observed_data()["y"], Y)


def test_sample_prior_shapes_and_moments(program):
    """Means of 20000 prior draws of each constrained site against the closed forms."""
    n = 20_000
    z = jax.jit(program.sample_prior, static_argnums=1)(jax.random.PRNGKey(5), n)
    assert z.shape == (n, program.dim)
    draws = jax.jit(jax.vmap(program.constrain))(z)
    assert draws["mu"].shape == (n, 2) and draws["tau"].shape == (n,)
    exact_means = {
        "tau": 2.0 * np.sqrt(2 / np.pi),  # HalfNormal(σ): σ√(2/π)
        "s": np.exp(0.3 + 0.7**2 / 2),  # LogNormal(m, v): exp(m + v²/2)
        "p": 2.0 / 5.0,  # Beta(a, b): a/(a+b)
    }
    for name, exact in exact_means.items():
        x = np.asarray(draws[name])
        z_score = (x.mean() - exact) / (x.std() / np.sqrt(n))
        assert abs(z_score) < Z_MAX, (name, x.mean(), exact)
    # HalfNormal variance σ²(1 − 2/π); the variance of a sample variance is (μ4 − σ⁴)/n.
    tau = np.asarray(draws["tau"])
    var_exact = 4.0 * (1 - 2 / np.pi)
    se_var = np.sqrt(np.var((tau - tau.mean()) ** 2) / n)
    assert abs(tau.var() - var_exact) < Z_MAX * se_var
    mu = np.asarray(draws["mu"])
    assert np.all(np.abs(mu.mean(0)) < Z_MAX / np.sqrt(n))


def test_initial_positions_are_uniform_on_unconstrained_scale(program):
    z = program.initial_positions(jax.random.PRNGKey(6), 1000)
    assert z.shape == (1000, program.dim)
    assert float(jnp.max(jnp.abs(z))) <= 2.0


def test_jit_and_vmap_agree_with_eager(program, batched):
    z = random_positions(program, 4, seed=7)
    for i in (0, 3):
        np.testing.assert_allclose(batched["log_density"](z)[i], program.log_density(z[i]), rtol=1e-12)
        np.testing.assert_allclose(jax.jit(program.log_density)(z[i]), program.log_density(z[i]), rtol=1e-12)
        for name, value in program.constrain(z[i]).items():
            np.testing.assert_allclose(batched["constrain"](z)[name][i], value, rtol=1e-12)
        pointwise = program.pointwise_log_likelihood(z[i])["y"]
        np.testing.assert_allclose(batched["pointwise_log_likelihood"](z)["y"][i], pointwise, rtol=1e-12)
    # Gradients: vmapped against one at a time (an eager grad only re-traces the same thing).
    grad = jax.jit(jax.vmap(jax.grad(program.log_density)))(z)
    np.testing.assert_allclose(grad[1], jax.jit(jax.grad(program.log_density))(z[1]), rtol=1e-10)


# -- discrete latent sites -------------------------------------------------------------------

PROBS = np.array([0.2, 0.3, 0.5])


def discrete_model():
    k = numpyro.sample("k", dist.Categorical(probs=jnp.asarray(PROBS)))
    x = numpyro.sample("x", dist.Normal(k * 1.0, 1.0))
    numpyro.sample("y", dist.Normal(x, 0.5), obs=1.0)


@pytest.fixture(scope="module")
def discrete_program():
    return inference.Program(discrete_model)


def test_discrete_site_gives_dict_view(discrete_program):
    prog = discrete_program
    assert prog.has_discrete and prog.discrete_names == ("k",) and prog.continuous_names == ("x",)
    assert prog.dim == 1
    position = {"k": jnp.array(2), "x": jnp.array(0.4)}
    assert prog.to_sites(position) is position
    expected = np.log(PROBS[2]) + stats.norm(2.0, 1.0).logpdf(0.4) + stats.norm(0.4, 0.5).logpdf(1.0)
    assert abs(float(prog.log_density(position)) - expected) < 1e-10
    assert abs(float(jax.jit(prog.log_density)(position)) - expected) < 1e-10
    values = prog.constrain(position)
    assert int(values["k"]) == 2 and float(values["x"]) == pytest.approx(0.4)


def test_discrete_site_rejects_flat_vector(discrete_program):
    with pytest.raises(TypeError, match="discrete latent sites"):
        discrete_program.log_density(jnp.zeros(1))


def test_discrete_prior_draws_have_the_categorical_frequencies(discrete_program):
    """Frequencies of k in 20000 draws: binomial standard error sqrt(p(1−p)/n)."""
    n = 20_000
    draws = jax.jit(discrete_program.sample_prior, static_argnums=1)(jax.random.PRNGKey(8), n)
    assert set(draws) == {"k", "x"} and draws["x"].shape == (n,)
    assert jnp.issubdtype(draws["k"].dtype, jnp.integer)
    freq = np.bincount(np.asarray(draws["k"]), minlength=3) / n
    assert np.all(np.abs(freq - PROBS) < Z_MAX * np.sqrt(PROBS * (1 - PROBS) / n)), freq
    start = discrete_program.initial_positions(jax.random.PRNGKey(9), 10)
    assert start["k"].shape == (10,) and start["x"].shape == (10,)


def test_model_without_latent_sites_raises():
    def fully_observed(y):
        numpyro.sample("y", dist.Normal(0.0, 1.0), obs=y)

    with pytest.raises(ValueError, match="no latent sample sites"):
        inference.Program(fully_observed, 1.0)


def test_check_sites_names_the_argument(program):
    good = {"tau": 1.0, "s": 1.0, "p": 0.5, "mu": jnp.zeros(2)}
    program.check_sites(good)
    with pytest.raises(ValueError, match="init_position"):
        program.check_sites({k: v for k, v in good.items() if k != "tau"})
    with pytest.raises(ValueError, match=r"init_position\['mu'\]"):
        program.check_sites({**good, "mu": jnp.zeros(3)})
