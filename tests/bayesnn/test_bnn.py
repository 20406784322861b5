"""``MLP`` and ``BNN``: the prior over functions, the NumPyro model, argument checks, refit caching."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest
from numpyro.infer import Predictive

import bayesnn
import inference
from bayesnn import mcmc_fit
from surrogates import kernels


@pytest.mark.parametrize("parameterization", ["standard", "ntk"])
def test_one_hidden_layer_prior_covariance_is_the_nngp_at_any_width(parameterization):
    """For one hidden layer, Cov[f(x), f(x')] = σ_b² + σ² E[φ(u)φ(u')] exactly, at any width
    (the output sums h i.i.d. units with weights of variance σ²/h): the NNGP with depth 1
    (Neal 1996; Lee et al. 2018). Checked on prior draws from ``numpyro.infer.Predictive``,
    so the BNN is also exercised as an ordinary NumPyro model."""
    sigma, bias = 1.7, 0.8
    net = bayesnn.MLP(hidden=(8,), activation="erf", parameterization=parameterization)
    bnn = bayesnn.BNN(net, prior_scale=sigma, bias_scale=bias, noise=1e-3)
    x = jnp.array([[0.3, -0.5, 0.9], [-0.2, 0.4, 0.1]])
    num_draws = 40_000
    params = Predictive(bnn.model, num_samples=num_draws)(jax.random.PRNGKey(0), x)
    params.pop("y")
    f = np.asarray(jax.vmap(lambda v: bnn.latent(v, x))(params))  # [draws, 2]
    want = np.asarray(kernels.nngp(x, x, depth=1, weight_var=sigma**2, bias_var=bias**2, activation="erf"))
    got = f.T @ f / num_draws  # zero prior mean
    # Monte Carlo standard error of each second moment, from the draws themselves.
    products = f[:, :, None] * f[:, None, :]
    mcse = products.std(axis=0) / np.sqrt(num_draws)
    assert np.all(np.abs(got - want) < 4 * mcse), (got, want, mcse)


def test_standard_and_ntk_parameterizations_compute_the_same_function():
    """NTK stores w = W·√n/σ: rescaling the stored weights maps one onto the other exactly."""
    x = jax.random.normal(jax.random.PRNGKey(1), (5, 3))
    standard = bayesnn.MLP((7, 4), "tanh", "standard")
    ntk = bayesnn.MLP((7, 4), "tanh", "ntk")
    sigma = 1.3
    params = standard.init(jax.random.PRNGKey(2), 3, 1, weight_scale=sigma)
    g = standard.gain * sigma
    stored = {k: v * np.sqrt(v.shape[0]) / g if k[0] == "W" else v for k, v in params.items()}
    np.testing.assert_allclose(ntk.apply(stored, x, sigma), standard.apply(params, x, sigma), rtol=1e-12)
    mup = bayesnn.MLP((7, 4), "tanh", "mup")
    last = f"W{mup.num_layers - 1}"
    stored_mup = {**stored, last: stored[last] * np.sqrt(4)}  # μP's output multiplier is σ/n, not σ/√n
    np.testing.assert_allclose(mup.apply(stored_mup, x, sigma), standard.apply(params, x, sigma), rtol=1e-12)


def test_float32_compute_returns_the_float64_function_in_float64():
    # Single-precision products: relative error ~ a few float32 ulps (6e-8) times the depth's
    # growth; 1e-5 of the output scale bounds it with margin. Gradients flow through the casts.
    x = jax.random.normal(jax.random.PRNGKey(1), (9, 3), dtype=jnp.float64)
    exact = bayesnn.MLP((16, 16), "tanh")
    single = bayesnn.MLP((16, 16), "tanh", compute_dtype="float32")
    params = exact.init(jax.random.PRNGKey(2), 3, 1)
    params = jax.tree.map(lambda v: v.astype(jnp.float64), params)
    want, got = exact.apply(params, x), single.apply(params, x)
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(got, want, atol=1e-5 * float(jnp.max(jnp.abs(want))))
    loss = lambda net: jax.grad(lambda p: jnp.sum(net.apply(p, x) ** 2))(params)  # noqa: E731
    for g, w in zip(jax.tree.leaves(loss(single)), jax.tree.leaves(loss(exact)), strict=True):
        assert g.dtype == jnp.float64
        np.testing.assert_allclose(g, w, atol=1e-4 * float(jnp.max(jnp.abs(w))))
    with pytest.raises(ValueError, match="compute_dtype"):
        bayesnn.MLP((4,), compute_dtype="float16")


def test_bnn_is_a_program_with_one_site_per_layer():
    bnn = bayesnn.BNN(bayesnn.MLP((5, 4)), noise="learned", hierarchical=True)
    x, y = jnp.zeros((6, 2)), jnp.zeros(6)
    program = inference.Program(bnn.model, x, y)
    assert set(program.latent_names) == {"W0", "b0", "W1", "b1", "W2", "b2", "noise", "prior_scale"}
    assert program.dim == bnn.net.num_params(2, 1) + 2
    # Masked rows leave the density unchanged, whatever their y.
    mask = jnp.array([True] * 4 + [False] * 2)
    z = program.sample_prior(jax.random.PRNGKey(0), 1)[0]
    padded = inference.Program(bnn.model, x, y.at[4:].set(1e6), mask)
    trimmed = inference.Program(bnn.model, x[:4], y[:4])
    np.testing.assert_allclose(padded.log_density(z), trimmed.log_density(z), rtol=1e-12)


def test_bad_arguments_raise_clear_errors():
    bnn = bayesnn.BNN(bayesnn.MLP((4,)))
    key, x, y = jax.random.PRNGKey(0), np.zeros((5, 2)), np.zeros(5)
    with pytest.raises(ValueError, match="y must have shape"):
        bayesnn.fit(key, bnn, x, np.zeros(4))
    with pytest.raises(ValueError, match="x must be"):
        bayesnn.fit(key, bnn, np.zeros(5), y)
    with pytest.raises(ValueError, match="method must be one of"):
        bayesnn.fit(key, bnn, x, y, method="vi")
    with pytest.raises(ValueError, match="y must be finite"):
        bayesnn.fit(key, bnn, x, np.array([0, 1, np.nan, 0, 0.0]))
    with pytest.raises(TypeError, match="unknown option"):
        bayesnn.fit(key, bnn, x, y, method="hmc", num_leapfrog=3)
    with pytest.raises(ValueError, match="num_samples"):
        bayesnn.fit(key, bnn, x, y, method="hmc", num_samples=0)
    with pytest.raises(ValueError, match="mask"):
        bayesnn.fit(key, bnn, x, y, mask=np.zeros(5, bool))
    with pytest.raises(ValueError, match="activation"):
        bayesnn.MLP((4,), activation="swish2")
    with pytest.raises(TypeError, match="hidden"):
        bayesnn.MLP(4)
    with pytest.raises(ValueError, match="noise"):
        bayesnn.BNN(bayesnn.MLP(), noise=-1.0)
    with pytest.raises(ValueError, match="0 or 1"):
        bayesnn.fit(key, bayesnn.BNN(bayesnn.MLP((4,)), likelihood="bernoulli"), x, np.full(5, 2.0))


def test_hmc_refit_on_new_data_reuses_the_compilation_and_padding_changes_nothing():
    """The fit is one jitted program of the data: a refit on other data of the same size
    compiles nothing, and padding rows (mask False) leave the draws unchanged."""
    bnn = bayesnn.BNN(bayesnn.MLP((6,)), noise=0.1)
    options = dict(method="hmc", num_warmup=30, num_samples=20, pretrain_steps=20)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(12, 2)), rng.normal(size=12)
    key = jax.random.PRNGKey(3)
    x_pad, y_pad = np.vstack([x, np.full((4, 2), 0.5)]), np.concatenate([y, np.full(4, 50.0)])
    mask = np.arange(16) < 12
    padded = bayesnn.fit(key, bnn, x_pad, y_pad, mask=mask, **options)
    compiled = mcmc_fit._fit._cache_size()
    again = bayesnn.fit(key, bnn, x_pad[::-1].copy(), y_pad[::-1].copy(), mask=mask[::-1].copy(), **options)
    assert mcmc_fit._fit._cache_size() == compiled
    assert again.values["W0"].shape == (20, 2, 6)
    plain = bayesnn.fit(key, bnn, x, y, **options)
    for name in plain.values:
        np.testing.assert_allclose(padded.values[name], plain.values[name], rtol=1e-7, atol=1e-9)


def test_numpyro_nuts_accepts_the_model():
    """NumPyro's own tools run on ``BNN.model`` unchanged."""
    bnn = bayesnn.BNN(bayesnn.MLP((3,)), noise=0.5)
    x = jnp.linspace(-1, 1, 8)[:, None]
    mcmc = numpyro.infer.MCMC(numpyro.infer.NUTS(bnn.model), num_warmup=20, num_samples=10, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(0), x, jnp.sin(x[:, 0]))
    assert mcmc.get_samples()["W0"].shape == (10, 1, 3)
