"""``ibnn`` and ``ntk`` surrogates against the closed-form GP on their kernels (Rasmussen & Williams §2.2)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates import kernels
from surrogates.kernel_gp import IBNN, NTKGP
from tests.surrogates.conftest import cube_gram


def closed_form(kernel_fn, X, y, Xq, noise, **kw):
    K = cube_gram(kernel_fn, X, X, **kw) + noise * np.eye(len(X))
    Ks = cube_gram(kernel_fn, Xq, X, **kw)
    Kss = cube_gram(kernel_fn, Xq, Xq, **kw)
    return Ks @ np.linalg.solve(K, y), Kss - Ks @ np.linalg.solve(K, Ks.T)


@pytest.mark.parametrize("name, fn", [("ibnn", kernels.nngp), ("ntk", kernels.ntk)])
def test_fixed_hyperparameters_give_the_closed_form_posterior(data, name, fn):
    X, y, Xq = data
    opts = dict(depth=2, weight_var=2.0, bias_var=0.1, activation="relu")
    post = surrogates.get(name, noise=1e-2, learn=False, **opts).fit(jax.random.PRNGKey(0), X, y)
    mean, var = post.predict(Xq)
    want_mean, want_cov = closed_form(fn, X, y, Xq, 1e-2, **opts)
    # Both are float64 solves of a matrix with condition number ~1e4: agreement to ~1e-10.
    np.testing.assert_allclose(mean, want_mean, atol=1e-8)
    np.testing.assert_allclose(var, np.diag(want_cov), rtol=1e-6, atol=1e-10)


def test_defaults_and_validation():
    s = surrogates.get("ibnn")
    assert isinstance(s, IBNN) and isinstance(surrogates.get("ntk"), NTKGP)
    assert (s.depth, s.weight_var, s.bias_var, s.activation) == (3, 10.0, 1.3, "relu")  # Li, Rudner & Wilson 2024
    with pytest.raises(ValueError, match="activation"):
        surrogates.get("ibnn", activation="tanh")
    with pytest.raises(ValueError, match="weight_var"):
        surrogates.get("ibnn", weight_var=-1.0)


def test_learning_raises_the_marginal_likelihood(data):
    X, y, _ = data
    X, y, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    model = IBNN(max_steps=10)
    loss = jax.jit(model.loss)
    start = loss(model.init_params(), X, y, mask)
    fitted = loss(jax.jit(model.fit_params)(X, y, mask), X, y, mask)
    assert fitted < start - 1e-3


def test_padding_rows_are_ignored(data):
    X, y, Xq = data
    s = IBNN(noise=1e-2, learn=False)
    want = s.fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    Xp = np.concatenate([X, np.full((5, 2), 0.5)])
    yp = np.concatenate([y, np.full(5, 100.0)])
    mask = np.arange(len(yp)) < len(y)
    got = s.fit(jax.random.PRNGKey(0), Xp, yp, mask=mask).predict(Xq)
    np.testing.assert_allclose(got[0], want[0], atol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-7)


def test_samples_have_the_predicted_moments(data):
    # 4000 joint draws: the mean's standard error is sd/63, the variance's ≈ var·√(2/4000) = 2.2%;
    # tolerances are 5 standard errors.
    X, y, Xq = data
    post = IBNN(noise=1e-2, learn=False).fit(jax.random.PRNGKey(0), X, y)
    mean, var = post.predict(Xq)
    F = post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000)
    assert F.shape == (4000, len(Xq))
    assert np.all(np.abs(F.mean(0) - mean) < 5 * np.sqrt(var / 4000))
    np.testing.assert_allclose(F.var(0), var, rtol=5 * np.sqrt(2 / 4000))
