"""Student-t process surrogate against its closed forms (Shah, Wilson & Ghahramani 2014; DESIGN.md §7)."""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from surrogates import kernels
from surrogates.kernel_gp import IBNN
from surrogates.student_t import StudentT
from tests.surrogates.conftest import NNGP_OPTS, cube_gram

OPTS = NNGP_OPTS


def test_marginal_likelihood_is_the_multivariate_t(data):
    X, y, _ = data
    model = StudentT(alpha=2.5, beta=1.5, **OPTS)
    params = model.init_params()
    got = -len(y) * model.loss(params, jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)) - model.log_prior(params)
    K = cube_gram(kernels.nngp, X, X, depth=2, weight_var=2.0, bias_var=0.1) + 1e-2 * np.eye(len(y))
    want = scipy.stats.multivariate_t(loc=np.zeros(len(y)), shape=1.5 / 2.5 * K, df=5.0).logpdf(y)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_large_alpha_is_the_gp(data):
    # ν = 2e7: the scale factor is 1 + O(n/ν) and ν'/(ν'−2) = 1 + 1e-7, so the variances agree to ~1e-6.
    X, y, Xq = data
    gm, gv = IBNN(**OPTS).fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    tm, tv = StudentT(alpha=1e7, beta=1e7, **OPTS).fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    np.testing.assert_allclose(tm, gm, atol=1e-10)
    np.testing.assert_allclose(tv, gv, rtol=1e-5)


def test_an_outlier_widens_the_posterior_by_the_closed_form_factor(data):
    # The shared inverse-gamma scale cannot single out one point: at fixed hyperparameters the
    # predictive mean is the GP's (Shah et al. 2014, §3), and what the outlier changes is the
    # scale factor (ν + yᵀΣ⁻¹y)/(ν + n), which multiplies the GP covariance.
    X, y, Xq = data
    y_out = y.copy()
    y_out[3] += 10.0
    model = StudentT(alpha=1.5, beta=1.5, **OPTS)
    clean = model.fit(jax.random.PRNGKey(0), X, y)
    dirty = model.fit(jax.random.PRNGKey(0), X, y_out)
    gp_mean, _ = IBNN(**OPTS).fit(jax.random.PRNGKey(0), X, y_out).predict(Xq)
    np.testing.assert_allclose(dirty.predict(Xq)[0], gp_mean, atol=1e-10)
    K = cube_gram(kernels.nngp, X, X, depth=2, weight_var=2.0, bias_var=0.1) + 1e-2 * np.eye(len(y))
    quad = y_out @ np.linalg.solve(K, y_out)
    np.testing.assert_allclose(dirty.scale, (3.0 + quad) / (3.0 + len(y)), rtol=1e-8)
    assert np.all(dirty.predict(Xq)[1] > 10 * clean.predict(Xq)[1])


def test_samples_are_multivariate_t(data):
    # 4000 draws of a t with ν' = 19 dof: the variance estimate's relative sd is
    # √((2 + 6/(ν'−4))/4000) ≈ 2.5%; 5 sd tolerance. Kurtosis 6/(ν'−4) = 0.4 > 0 marks the t.
    X, y, Xq = data
    post = StudentT(alpha=1.5, beta=1.5, **OPTS).fit(jax.random.PRNGKey(0), X, y)
    assert float(post.dof) == 3.0 + len(y)
    mean, var = post.predict(Xq)
    F = np.asarray(post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000))
    assert F.shape == (4000, len(Xq))
    np.testing.assert_allclose(F.var(0), var, rtol=0.125)
    assert np.all(np.abs(F.mean(0) - mean) < 5 * np.sqrt(var / 4000))
    assert scipy.stats.kurtosis((F - mean) / np.sqrt(var), axis=None) > 0.2


def test_padding_rows_are_ignored(data):
    X, y, Xq = data
    model = StudentT(alpha=1.5, beta=1.5, **OPTS)
    want = model.fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    Xp, yp = np.concatenate([X, np.full((4, 2), 0.3)]), np.concatenate([y, np.full(4, -50.0)])
    got = model.fit(jax.random.PRNGKey(0), Xp, yp, mask=np.arange(len(yp)) < len(y)).predict(Xq)
    np.testing.assert_allclose(got[0], want[0], atol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-7)


def test_learning_raises_the_marginal_likelihood(data):
    X, y, _ = data
    X, y, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    model = StudentT(max_steps=10)
    loss = jax.jit(model.loss)
    assert loss(jax.jit(model.fit_params)(X, y, mask), X, y, mask) < loss(model.init_params(), X, y, mask)


def test_learning_stays_in_the_model_on_a_gap_in_the_data():
    """Learning β/α as well as α left a flat direction: on these 12 points the fit used to run
    off to α ~ 1e7, a posterior scale of 1e-10 and kernel variances of 1e3–1e4. With the ratio
    fixed, α stays within its bounds, the scale factor stays O(1) and the gap keeps its variance."""
    x = np.r_[np.linspace(0, 0.35, 6), np.linspace(0.65, 1, 6)]
    y = (6 * x - 2) ** 2 * np.sin(12 * x - 4)
    y = (y - y.mean()) / y.std()
    model = StudentT()
    post = model.fit(jax.random.PRNGKey(0), x[:, None], y)
    params = model.fit_params(jnp.asarray(x[:, None]), jnp.asarray(y), jnp.ones(12, bool))
    alpha, _ = model.shape_and_ratio(params)
    assert 0.5 <= float(alpha) <= 1e4
    assert 0.1 < float(post.scale) < 10.0
    assert float(jnp.exp(params["log_weight_var"])) < 100 and float(jnp.exp(params["log_bias_var"])) < 100
    _, var = post.predict(jnp.asarray([[0.5]]))
    assert float(var[0]) > 1e-2  # the middle of the gap is uncertain
