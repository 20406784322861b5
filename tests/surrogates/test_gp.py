"""The GP surrogate against the closed-form GP formulas (Rasmussen & Williams 2006, §2.2)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates.gp import GP


def matern52_reference(A, B, lengthscale):
    """k(a, b) = (1 + √5 r + 5r²/3) exp(−√5 r), r = ‖(a − b)/ℓ‖ (numpy, float64)."""
    r = np.sqrt((((A[:, None, :] - B[None, :, :]) / lengthscale) ** 2).sum(-1))
    return (1 + np.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-np.sqrt(5) * r)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(12, 3))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2 - X[:, 2]
    Xq = rng.uniform(size=(5, 3))
    return X, (y - y.mean()) / y.std(), Xq


def test_registry_lists_names_for_unknown():
    assert "gp" in surrogates.names()
    assert isinstance(surrogates.get("gp"), GP)
    with pytest.raises(ValueError, match="gp"):
        surrogates.get("no-such-model")


def test_a_list_lengthscale_is_the_same_model_as_a_tuple(data):
    """Options read back from JSON (a saved run) give lists; the model is a static jit argument."""
    X, y, Xq = data
    listed, tupled = (GP(lengthscale=ls, learn=False) for ls in ([0.3, 0.5, 0.8], (0.3, 0.5, 0.8)))
    assert listed == tupled and hash(listed) == hash(tupled)
    m_list, _ = listed.fit(jax.random.PRNGKey(0), X, y).predict(jnp.asarray(Xq))
    m_tuple, _ = tupled.fit(jax.random.PRNGKey(0), X, y).predict(jnp.asarray(Xq))
    np.testing.assert_array_equal(m_list, m_tuple)


def test_posterior_matches_closed_form_for_fixed_hyperparameters(data):
    X, y, Xq = data
    ls, noise, mean = (0.3, 0.5, 0.8), 1e-2, 0.1
    post = GP(lengthscale=ls, noise=noise, mean=mean, learn=False).fit(jax.random.PRNGKey(0), X, y)
    K = matern52_reference(X, X, np.array(ls)) + noise * np.eye(len(X))
    Ks = matern52_reference(Xq, X, np.array(ls))
    want_mean = mean + Ks @ np.linalg.solve(K, y - mean)
    want_cov = matern52_reference(Xq, Xq, np.array(ls)) - Ks @ np.linalg.solve(K, Ks.T)
    got_mean, got_var = post.predict(jnp.asarray(Xq))
    np.testing.assert_allclose(got_mean, want_mean, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_var, np.diag(want_cov), rtol=1e-8, atol=1e-12)

    # Joint draws: empirical mean and covariance within Monte-Carlo error.
    # With S draws the standard error of a covariance entry is about sqrt((c_ii c_jj + c_ij²)/S).
    S = 20000
    F = np.asarray(post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), S))
    assert F.shape == (S, 5)
    se_mean = np.sqrt(np.diag(want_cov) / S)
    assert np.all(np.abs(F.mean(0) - want_mean) < 5 * se_mean)
    d = np.sqrt(np.diag(want_cov))
    se_cov = np.sqrt((np.outer(d**2, d**2) + want_cov**2) / S)
    assert np.all(np.abs(np.cov(F.T) - want_cov) < 5 * se_cov)


def test_padded_rows_change_nothing(data):
    X, y, Xq = data
    gp = GP()
    post = gp.fit(None, X, y)
    Xp = np.vstack([X, np.random.default_rng(1).uniform(size=(4, 3))])
    yp = np.concatenate([y, [9.0, -9.0, 3.0, 1.0]])
    padded = gp.fit(None, Xp, yp, mask=np.arange(16) < 12)
    for a, b in zip(post.predict(jnp.asarray(Xq)), padded.predict(jnp.asarray(Xq)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(post.lengthscale, padded.lengthscale, rtol=1e-6)


def test_map_fit_recovers_the_lengthscale_scale():
    """Data drawn from a GP with lengthscale 0.2: the MAP estimate is within a factor 2
    (a 1-D draw with 60 points pins the lengthscale down to roughly ±30%)."""
    rng = np.random.default_rng(3)
    X = np.sort(rng.uniform(size=(60, 1)), axis=0)
    K = matern52_reference(X, X, np.array([0.2])) + 1e-4 * np.eye(60)
    y = np.linalg.cholesky(K) @ rng.normal(size=60)
    post = GP().fit(None, X, (y - y.mean()) / y.std())
    assert 0.1 < float(post.lengthscale[0]) < 0.4


@pytest.mark.parametrize(
    "case",
    ["duplicates", "constant", "single", "offset"],
)
def test_degenerate_data_gives_finite_posteriors(data, case):
    X, y, Xq = data
    if case == "duplicates":
        X, y = np.vstack([X, X, X[:1]]), np.concatenate([y, y, y[:1]])
    elif case == "constant":
        y = np.zeros_like(y)
    elif case == "single":
        X, y = X[:1], y[:1]
    else:  # a huge offset, as the loop would see it after standardising
        raw = y + 1e9
        y = (raw - raw.mean()) / raw.std()
    # Padded to one size (masked rows are ignored, tested above), so all cases share one compilation.
    mask = np.arange(32) < len(y)
    X, y = np.vstack([X, np.zeros((32 - len(y), 3))]), np.concatenate([y, np.zeros(32 - len(y))])
    post = GP().fit(None, X, y, mask=mask)
    mean, var = post.predict(jnp.asarray(Xq))
    F = post.sample(jax.random.PRNGKey(0), jnp.asarray(Xq), 4)
    assert np.all(np.isfinite(mean)) and np.all(var > 0) and np.all(np.isfinite(F))
    if case == "constant":
        np.testing.assert_allclose(mean, 0.0, atol=1e-6)


def test_warm_start_reaches_the_cold_fits_optimum(data):
    """L-BFGS started from a fitted ``params`` stays at that optimum, and started from a
    perturbed one returns to it: the same log posterior, a vanishing gradient."""
    X, y, _ = data
    gp = GP()
    mask = jnp.ones(len(y), bool)
    loss = lambda p: gp.neg_log_posterior(p, jnp.asarray(X), jnp.asarray(y), mask)  # noqa: E731
    cold = gp.fit(None, X, y)
    again = gp.fit(None, X, y, init=cold.params)
    # L-BFGS stops at a gradient below 1e-5, so a fit sits within ~1e-5 / curvature of the optimum.
    np.testing.assert_allclose(again.lengthscale, cold.lengthscale, rtol=1e-4)
    moved = {**cold.params, "log_lengthscale": cold.params["log_lengthscale"] + jnp.log(2.0)}
    warm = gp.fit(None, X, y, init=jax.tree.map(lambda a: np.asarray(a).tolist(), moved))
    assert float(loss(warm.params)) == pytest.approx(float(loss(cold.params)), abs=1e-8)
    grad = jax.grad(loss)(warm.params)
    assert max(float(jnp.max(jnp.abs(g))) for g in jax.tree.leaves(grad)) < 1e-4
    np.testing.assert_allclose(warm.lengthscale, cold.lengthscale, rtol=1e-3)


def test_bad_init_names_the_argument(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="init must be a dict"):
        GP().fit(None, X, y, init=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"init\['log_lengthscale'\] must have shape \(3,\)"):
        GP().fit(None, X, y, init={**GP().init_params(3), "log_lengthscale": [0.0]})


@pytest.mark.parametrize("name", surrogates.names())
def test_non_finite_training_data_is_refused_naming_the_argument(name):
    """A NaN in a real row of ``y`` (or an inf in ``X``) raises before any tracing, naming the
    argument and the row; the same value in a padding row is allowed (padding holds anything)."""
    X = np.random.default_rng(0).uniform(size=(8, 2))
    y = np.sin(X.sum(1))
    model = surrogates.get(name)
    bad_y = y.copy()
    bad_y[3] = np.nan
    with pytest.raises(ValueError, match=r"y must be finite; rows \[3\]"):
        model.fit(jax.random.PRNGKey(0), X, bad_y)
    bad_X = X.copy()
    bad_X[5, 1] = np.inf
    with pytest.raises(ValueError, match=r"X must be finite; rows \[5\]"):
        model.fit(jax.random.PRNGKey(0), bad_X, y)


def test_padding_rows_may_hold_nan():
    from surrogates.training_data import as_training_data

    X, y = np.zeros((3, 2)), np.array([0.0, 1.0, np.nan])
    _, _, mask = as_training_data(X, y, np.array([True, True, False]))
    assert mask.tolist() == [True, True, False]
