"""Linearised Laplace (``bayesnn.laplace``) against closed forms.

* A linear network with a Gaussian likelihood and fixed noise is Bayesian linear
  regression (DESIGN.md §7): the Laplace posterior, the GLM predictive and the evidence
  are exact. Deterministic quantities (covariances, variances, evidences) are checked to
  1e-9 relative (float64 round-off of [P, P] solves, measured ~1e-15). With ``mean="map"``
  the posterior mean is the Adam MAP, converged by 3000 steps to ~1e-11 here (4e-6 after
  1000), checked to 1e-6; ``mean="glm"`` is exact after any number of steps (1e-9).
* The optimised prior precision δ must be the maximiser of the closed-form BLR evidence,
  found here independently: a brute-force log grid, then a root of its derivative
  (``brentq``, 1e-13); checked to 1e-9 relative (both sides solve for a root, not a
  maximum by values, which would be accurate only to ~sqrt(machine eps) ≈ 1e-8).
* Last-layer Laplace on a tanh network is BLR on the MAP network's last-layer features.
* The GGN of the Bernoulli and categorical likelihoods is checked against the autodiff
  Hessian of the linearised network's log likelihood (1e-8 of its largest entry).
* Draws are checked against ``predict`` by z-tests (4 Monte Carlo standard errors; the
  seeds are fixed).
Every data set has padding rows (mask False, garbage x and y) that the references leave out.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from scipy.optimize import brentq
from scipy.stats import multivariate_normal

import bayesnn
from bayesnn import laplace

NOISE = 0.3
LINEAR = bayesnn.BNN(bayesnn.MLP(hidden=()), noise=NOISE, prior_scale=0.8, bias_scale=1.5)
LINEAR_STEPS = 3000  # Adam's MAP of this 4-parameter problem is then converged to ~1e-8
Z_MAX = 4.0
# Posteriors are pytrees: one jitted function serves every fit (op-by-op evaluation is slow).
predict = jax.jit(lambda post, x: post.predict(x))
sample = jax.jit(lambda post, x, num_samples: post.sample(jax.random.PRNGKey(5), x, num_samples), static_argnums=2)


def padded_data(rng, n, n_pad, d, target):
    """Real rows ``x: [n, d]``, ``y: [n]`` (``target(x)``, plus N(0, NOISE²) noise for real
    targets) and the padded ``x_pad, y_pad, mask`` with absurd padding rows last."""
    x = rng.uniform(-1.0, 1.0, size=(n, d))
    y = target(x)
    if y.dtype.kind == "f":
        y = y + NOISE * rng.normal(size=n)
    x_pad = np.vstack([x, np.full((n_pad, d), 7.0)])
    y_pad = np.concatenate([y, np.full(n_pad, 1e3 if y.dtype.kind == "f" else 1)]).astype(y.dtype)
    return x, y, jnp.asarray(x_pad), jnp.asarray(y_pad), jnp.asarray(np.arange(n + n_pad) < n)


def with_bias(phi):
    """The design matrix of the Laplace parameters (W, b) in ``ravel_pytree`` order (W before b)."""
    return np.hstack([phi, np.ones((phi.shape[0], 1))])


def blr_posterior(Phi, y, precision):
    """Bayesian linear regression, prior N(0, diag(precision)⁻¹), noise NOISE: mean and covariance."""
    cov = np.linalg.inv(Phi.T @ Phi / NOISE**2 + np.diag(precision))
    return cov @ Phi.T @ y / NOISE**2, cov


def blr_log_evidence(Phi, y, precision):
    """log N(y; 0, σ²I + Φ diag(precision)⁻¹ Φᵀ) (DESIGN.md §7)."""
    C = NOISE**2 * np.eye(len(y)) + (Phi / precision) @ Phi.T
    return multivariate_normal(np.zeros(len(y)), C).logpdf(y)


def blr_evidence_maximiser(Phi, y):
    """argmax_δ of the BLR evidence with prior N(0, δ⁻¹I): the best point of a log grid, then
    the root of d log Z / d log δ = ½ tr(C⁻¹ΦΦᵀ)/δ − ½ |Φᵀα|²/δ (α = C⁻¹y) in its bracket."""
    K = Phi @ Phi.T

    def slope(t):
        C = NOISE**2 * np.eye(len(y)) + np.exp(-t) * K
        alpha = np.linalg.solve(C, y)
        return 0.5 * np.exp(-t) * (np.trace(np.linalg.solve(C, K)) - alpha @ K @ alpha)

    grid = np.linspace(np.log(1e-5), np.log(1e5), 201)
    best = int(np.argmax([blr_log_evidence(Phi, y, np.full(Phi.shape[1], np.exp(t))) for t in grid]))
    assert 0 < best < len(grid) - 1, "the evidence maximiser must be interior for this check"
    return np.exp(brentq(slope, grid[best - 1], grid[best + 1], xtol=1e-13))


@jax.jit
def linearized_log_lik(post, x, y, mask):
    """The log likelihood of the network linearised at θ* (with ``jax.jvp``, not ``laplace``'s
    Jacobians), its gradient and its negative Hessian — the GGN — at θ*."""
    bnn = post.bnn
    theta, unravel = ravel_pytree({k: post.values[k] for k in post.laplace_sites})

    def f(t):
        out = bnn.latent({**post.values, **unravel(t)}, x)
        return out if out.ndim == 2 else out[:, None]

    def log_lik(t):
        f_star, tangent = jax.jvp(f, (theta,), (t - theta,))
        lp = bnn.observation(f_star + tangent, post.noise_sd()).log_prob(y)
        return jnp.sum(jnp.where(mask, lp, 0.0))

    return log_lik(theta), jax.grad(log_lik)(theta), -jax.hessian(log_lik)(theta)


def check_draws_match_predict(post, xq, num_samples=4000):
    """Marginal means and variances of ``sample`` agree with ``predict`` (z-tests)."""
    mean, var = (np.asarray(v) for v in predict(post, xq))
    draws = np.asarray(sample(post, xq, num_samples))
    assert draws.shape == (num_samples, *mean.shape)
    assert np.all(np.abs(draws.mean(0) - mean) < Z_MAX * np.sqrt(var / num_samples))
    assert np.all(np.abs(draws.var(0) - var) < Z_MAX * var * np.sqrt(2.0 / (num_samples - 1)))


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    return padded_data(rng, 16, 4, 3, lambda x: x @ np.array([1.0, -0.5, 0.3]) + 0.5)


def test_linear_gaussian_laplace_is_bayesian_linear_regression(linear_data):
    x, y, x_pad, y_pad, mask = linear_data
    post, timings = laplace.fit_laplace(
        jax.random.PRNGKey(0), LINEAR, x_pad, y_pad, mask, pretrain_steps=LINEAR_STEPS, optimize_prior_precision=False
    )
    assert post.laplace_sites == ("W0", "b0") and timings["fit"] > 0
    # The model's own prior: W ~ N(0, (g σ)²/d) with tanh's gain g = 5/3, b ~ N(0, 1.5²).
    precision = np.array([3 / (5 / 3 * 0.8) ** 2] * 3 + [1 / 1.5**2])
    np.testing.assert_allclose(post.prior_precision, precision, rtol=1e-12)
    Phi = with_bias(x)
    mean, cov = blr_posterior(Phi, y, precision)
    np.testing.assert_allclose(post.covariance, cov, rtol=1e-9, atol=1e-12 * np.abs(cov).max())
    np.testing.assert_allclose(post.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(post.log_evidence, blr_log_evidence(Phi, y, precision), rtol=1e-10)
    xq = np.random.default_rng(1).uniform(-2, 2, size=(7, 3))
    f_mean, f_var = predict(post, jnp.asarray(xq))
    np.testing.assert_allclose(f_mean, with_bias(xq) @ mean, rtol=1e-6)
    np.testing.assert_allclose(f_var, np.einsum("ip,pq,iq->i", with_bias(xq), cov, with_bias(xq)), rtol=1e-9)
    check_draws_match_predict(post, jnp.asarray(xq))
    # Parameter draws θ = μ + Sε: for a linear network, f = [x, 1]θ is exactly the function
    # draw ``sample`` makes from the same key.
    draws = jax.jit(lambda p: p.sample_params(jax.random.PRNGKey(5), 4000))(post)
    f_draws = np.einsum("sdo,md->sm", draws["W0"], xq) + draws["b0"]
    np.testing.assert_allclose(f_draws, sample(post, jnp.asarray(xq), 4000), rtol=1e-9, atol=1e-12)
    with pytest.raises(TypeError, match="not sampling-based"):
        post.to_arviz()

    # A refit on other data of the same shapes reuses the compiled fit; the posterior is a
    # pytree that a jitted function takes as an argument without recompiling either.
    compiled = laplace._fit._cache_size()
    again, _ = laplace.fit_laplace(
        jax.random.PRNGKey(1),
        LINEAR,
        x_pad,
        -y_pad,
        mask,
        pretrain_steps=LINEAR_STEPS,
        optimize_prior_precision=False,
    )
    assert laplace._fit._cache_size() == compiled
    np.testing.assert_allclose(again.mean, -mean, rtol=1e-6)
    compiled = predict._cache_size()
    predict(post, jnp.asarray(xq)), predict(again, jnp.asarray(xq))
    assert predict._cache_size() == compiled


def test_optimised_prior_precision_maximises_the_evidence(linear_data):
    """δ maximises BLR's evidence; with ``mean="glm"`` the whole posterior is BLR's under δ,
    whether or not Adam converged (the Gauss–Newton step is exact for a linear model)."""
    x, y, x_pad, y_pad, mask = linear_data
    post, _ = laplace.fit_laplace(jax.random.PRNGKey(0), LINEAR, x_pad, y_pad, mask, pretrain_steps=300, mean="glm")
    Phi = with_bias(x)
    delta = blr_evidence_maximiser(Phi, y)
    np.testing.assert_allclose(post.prior_precision, np.full(4, delta), rtol=1e-9)
    precision = np.asarray(post.prior_precision)
    np.testing.assert_allclose(post.log_evidence, blr_log_evidence(Phi, y, precision), rtol=1e-10)
    mean, cov = blr_posterior(Phi, y, precision)
    np.testing.assert_allclose(post.covariance, cov, rtol=1e-9)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-9)
    xq = jnp.asarray(np.random.default_rng(1).uniform(-2, 2, size=(7, 3)))
    np.testing.assert_allclose(predict(post, xq)[0], with_bias(np.asarray(xq)) @ mean, rtol=1e-9)


def test_last_layer_laplace_is_linear_regression_on_the_map_features():
    """Last layer of a one-hidden-layer tanh network: given the MAP features φ(x), the output
    layer is BLR on [φ(x), 1], so δ, the covariance and the predictive variance are BLR's."""
    rng = np.random.default_rng(2)
    x, y, x_pad, y_pad, mask = padded_data(rng, 24, 8, 2, lambda x: np.sin(3 * x[:, 0]) * x[:, 1])
    bnn = bayesnn.BNN(bayesnn.MLP((8,), "tanh"), noise=NOISE)
    post, _ = laplace.fit_laplace(jax.random.PRNGKey(3), bnn, x_pad, y_pad, mask, subset="last_layer")
    assert post.laplace_sites == ("W1", "b1")
    params = {k: post.values[k] for k in bnn.net.shapes(2, 1)}

    def design(x):
        return with_bias(np.asarray(bnn.net.features(params, jnp.asarray(x))))

    Phi = design(x)
    delta = blr_evidence_maximiser(Phi, y)
    np.testing.assert_allclose(post.prior_precision, np.full(9, delta), rtol=1e-9)
    precision = np.asarray(post.prior_precision)
    np.testing.assert_allclose(post.log_evidence, blr_log_evidence(Phi, y, precision), rtol=1e-10)
    cov = blr_posterior(Phi, y, precision)[1]
    np.testing.assert_allclose(post.covariance, cov, rtol=1e-9, atol=1e-12 * np.abs(cov).max())
    xq = rng.uniform(-1.5, 1.5, size=(6, 2))
    f_mean, f_var = predict(post, jnp.asarray(xq))
    np.testing.assert_allclose(f_mean, bnn.latent(post.values, jnp.asarray(xq)), rtol=1e-12)
    np.testing.assert_allclose(f_var, np.einsum("ip,pq,iq->i", design(xq), cov, design(xq)), rtol=1e-9)
    # Draws are differentiable in x for a fixed key (the acquisition optimiser needs it).
    grad = jax.jit(jax.grad(lambda x, post: post.sample(jax.random.PRNGKey(0), x, 4).sum()))(jnp.asarray(xq), post)
    assert grad.shape == xq.shape and np.all(np.isfinite(grad))


def test_bernoulli_full_ggn_and_evidence():
    """Full GGN of a small classifier: the posterior precision minus the prior is the
    Hessian of the linearised log likelihood (Λ = p(1−p), padding rows excluded), and δ is
    a maximum of the evidence computed from those independently differentiated terms."""
    rng = np.random.default_rng(4)
    _, _, x_pad, y_pad, mask = padded_data(
        rng,
        40,
        5,
        2,
        lambda x: (rng.uniform(size=len(x)) < 1 / (1 + np.exp(-6 * (x[:, 0] - x[:, 1] ** 2 + 0.3)))).astype(int),
    )
    y_pad = y_pad.astype(float)
    bnn = bayesnn.BNN(bayesnn.MLP((4,), "tanh"), likelihood="bernoulli")
    post, _ = laplace.fit_laplace(jax.random.PRNGKey(5), bnn, x_pad, y_pad, mask, pretrain_steps=500)
    assert post.laplace_sites == tuple(bnn.net.shapes(2, 1))  # "auto": 17 parameters, full GGN
    log_lik, g, ggn = (np.asarray(v) for v in linearized_log_lik(post, x_pad, y_pad, mask))
    precision = np.linalg.inv(np.asarray(post.covariance))
    np.testing.assert_allclose(precision - np.diag(post.prior_precision), ggn, atol=1e-8 * np.abs(ggn).max())
    theta = np.asarray(post.mean)
    evidence = jax.jit(lambda delta: laplace.gaussian_posterior(ggn, g, theta, jnp.full(theta.size, delta), log_lik)[2])

    def log_evidence(delta):
        return float(evidence(delta))

    delta = float(post.prior_precision[0])
    assert 1e-3 < delta < 1e3  # an interior optimum, not a bound of the search range
    np.testing.assert_allclose(post.log_evidence, log_evidence(delta), rtol=1e-10)
    assert log_evidence(delta) > max(log_evidence(delta * 1.01), log_evidence(delta / 1.01))
    xq = jnp.asarray(rng.uniform(-3, 3, size=(9, 2)))
    f_mean, f_var = predict(post, xq)
    assert f_mean.shape == f_var.shape == (9,)
    assert np.all(np.isfinite(f_var)) and np.all(f_var > 0)


@pytest.mark.parametrize("mean", ["map", "glm"])
def test_fewer_points_than_parameters_gives_the_dense_posterior(mean):
    """n = 12 real rows and P = 65 parameters: G has rank ≤ 12 and the posterior is built in its
    range (``laplace_evidence``). Σ⁻¹ − δI is the independently differentiated GGN, the step
    to the mode is A⁻¹b, log Z matches the dense Cholesky formula, and δ maximises it."""
    rng = np.random.default_rng(8)
    _, _, x_pad, y_pad, mask = padded_data(rng, 12, 4, 2, lambda x: np.sin(2 * x[:, 0]) * x[:, 1])
    bnn = bayesnn.BNN(bayesnn.MLP((16,), "tanh"), noise=NOISE)
    post, _ = laplace.fit_laplace(jax.random.PRNGKey(9), bnn, x_pad, y_pad, mask, pretrain_steps=300, mean=mean)
    theta = np.asarray(ravel_pytree({k: post.values[k] for k in post.laplace_sites})[0])
    assert theta.size == 65
    log_lik, g, ggn = (np.asarray(v) for v in linearized_log_lik(post, x_pad, y_pad, mask))
    assert np.linalg.matrix_rank(ggn, tol=1e-8 * np.abs(ggn).max()) <= 12
    delta = float(post.prior_precision[0])
    A = ggn + delta * np.eye(theta.size)
    np.testing.assert_allclose(np.linalg.inv(np.asarray(post.covariance)), A, rtol=1e-7, atol=1e-7 * np.abs(A).max())
    step = np.linalg.solve(A, g - delta * theta) if mean == "glm" else np.zeros_like(theta)
    np.testing.assert_allclose(post.mean - theta, step, atol=1e-8 * max(1.0, np.abs(step).max()))
    evidence = jax.jit(lambda d: laplace.gaussian_posterior(ggn, g, theta, jnp.full(theta.size, d), log_lik)[2])
    np.testing.assert_allclose(post.log_evidence, evidence(delta), rtol=1e-10)
    assert 1e-5 < delta < 1e5 and evidence(delta) > max(evidence(delta * 1.01), evidence(delta / 1.01))


def test_categorical_gives_per_class_marginals():
    rng = np.random.default_rng(6)
    _, _, x_pad, y_pad, mask = padded_data(rng, 40, 4, 2, lambda x: np.argmax(x @ rng.normal(size=(2, 3)), axis=1))
    bnn = bayesnn.BNN(bayesnn.MLP(hidden=()), likelihood="categorical", num_classes=3)
    post, _ = laplace.fit_laplace(jax.random.PRNGKey(7), bnn, x_pad, y_pad.astype(jnp.int32), mask, pretrain_steps=300)
    ggn = np.asarray(linearized_log_lik(post, x_pad, y_pad, mask)[2])  # Λ = diag(p) − ppᵀ per row
    precision = np.linalg.inv(np.asarray(post.covariance))
    np.testing.assert_allclose(precision - np.diag(post.prior_precision), ggn, atol=1e-8 * np.abs(ggn).max())
    xq = jnp.asarray(rng.uniform(-1, 1, size=(5, 2)))
    f_mean, f_var = predict(post, xq)
    assert f_mean.shape == f_var.shape == (5, 3) and np.all(f_var > 0)
    assert jax.eval_shape(lambda p, x: p.sample(jax.random.PRNGKey(0), x, 7), post, xq).shape == (7, 5, 3)


def test_subset_auto_and_bad_options():
    small, big = bayesnn.BNN(bayesnn.MLP((16, 16))), bayesnn.BNN(bayesnn.MLP((128, 128, 128)))
    assert laplace.laplace_names(small, 4, "auto") == ("W0", "b0", "W1", "b1", "W2", "b2")
    assert laplace.laplace_names(big, 4, "auto") == ("W3", "b3")
    x, y, mask = jnp.zeros((3, 2)), jnp.zeros(3), jnp.ones(3, bool)
    with pytest.raises(ValueError, match="subset must be one of"):
        laplace.fit_laplace(jax.random.PRNGKey(0), small, x, y, mask, subset="diag")
    with pytest.raises(ValueError, match="mean must be one of"):
        laplace.fit_laplace(jax.random.PRNGKey(0), small, x, y, mask, mean="mode")
    with pytest.raises(TypeError, match="optimize_prior_precision"):
        laplace.fit_laplace(jax.random.PRNGKey(0), small, x, y, mask, optimize_prior_precision="yes")
