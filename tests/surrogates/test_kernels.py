"""NNGP and NTK kernels: closed-form recursion (DESIGN.md §7), finite wide networks, gpjax use."""

import gpjax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import erf

from surrogates import kernels

ACT = {"relu": jax.nn.relu, "erf": erf}


def reference(x1, x2, depth, wv, bv, act):
    """NNGP and NTK by the layer recursion, numpy float64, written from DESIGN.md §7 (+ erf's K̇)."""
    d = x1.shape[1]
    k12 = bv + wv * x1 @ x2.T / d
    k11 = bv + wv * (x1**2).sum(1) / d
    k22 = bv + wv * (x2**2).sum(1) / d
    theta = k12
    for _ in range(depth):
        if act == "relu":
            n = np.sqrt(np.outer(k11, k22))
            th = np.arccos(np.clip(k12 / n, -1, 1))
            new = bv + wv / (2 * np.pi) * n * (np.sin(th) + (np.pi - th) * np.cos(th))
            kdot = (np.pi - th) / (2 * np.pi)
            k11, k22 = bv + wv * k11 / 2, bv + wv * k22 / 2
        else:
            a = np.outer(1 + 2 * k11, 1 + 2 * k22)
            new = bv + wv * 2 / np.pi * np.arcsin(2 * k12 / np.sqrt(a))
            kdot = 4 / np.pi / np.sqrt(a - 4 * k12**2)
            k11 = bv + wv * 2 / np.pi * np.arcsin(2 * k11 / (1 + 2 * k11))
            k22 = bv + wv * 2 / np.pi * np.arcsin(2 * k22 / (1 + 2 * k22))
        theta = new + wv * kdot * theta
        k12 = new
    return k12, theta


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(0)
    return rng.uniform(size=(8, 3)), rng.uniform(size=(5, 3))


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_kernels_match_the_recursion(points, activation, depth):
    # Off-diagonal pairs: the only error is float64 rounding (the clamp at 1 − 1e-12 is inactive).
    x1, x2 = points
    want_k, want_theta = reference(x1, x2, depth, 10.0, 1.3, activation)
    got_k = kernels.nngp(x1, x2, depth=depth, weight_var=10.0, bias_var=1.3, activation=activation)
    got_theta = kernels.ntk(x1, x2, depth=depth, weight_var=10.0, bias_var=1.3, activation=activation)
    np.testing.assert_allclose(got_k, want_k, rtol=1e-10)
    np.testing.assert_allclose(got_theta, want_theta, rtol=1e-10)


def test_diagonal_is_exact_and_differentiable(points):
    # On the diagonal cos θ = 1; the clamp keeps arccos and its gradient finite at a relative cost
    # of θ/π ≈ 1.4e-8 per layer in the NTK (see layer_maps._EDGE), hence rtol 1e-7.
    x, _ = points
    for fn in (kernels.nngp, kernels.ntk):
        K = fn(x, x, depth=3, weight_var=2.0, bias_var=0.1, activation="relu")
        _, want = reference(x, x, 3, 2.0, 0.1, "relu")
        want_k, _ = reference(x, x, 3, 2.0, 0.1, "relu")
        np.testing.assert_allclose(np.diag(K), np.diag(want if fn is kernels.ntk else want_k), rtol=1e-7)
        grad = jax.grad(lambda w, fn=fn: fn(x, x, depth=3, weight_var=w, bias_var=0.1, activation="relu").sum())(2.0)
        assert np.isfinite(grad)


def test_unknown_activation_raises(points):
    with pytest.raises(ValueError, match="activation"):
        kernels.nngp(points[0], points[0], depth=1, weight_var=1.0, bias_var=1.0, activation="tanh")


def empirical_nngp(key, x, depth, wv, bv, activation, width, draws):
    """Mean output Gram of ``draws`` random finite networks of ``width`` units, averaged over ``width`` outputs.

    Given a layer's activations φ [n, width], the next pre-activations σ_w φ W/√width + σ_b b
    have i.i.d. columns N(0, σ_w² φφᵀ/width + σ_b²): sampling them that way is the same
    distribution as drawing W and b, at O(n·width) instead of O(width²) per layer.
    """

    def one(key):
        keys = jax.random.split(key, depth + 1)
        cov = wv * x @ x.T / x.shape[1] + bv
        for layer in range(depth + 1):
            chol = jnp.linalg.cholesky(cov + 1e-10 * jnp.eye(x.shape[0]))
            h = chol @ jax.random.normal(keys[layer], (x.shape[0], width))
            phi = ACT[activation](h)
            cov = wv * phi @ phi.T / width + bv
        return h @ h.T / width

    return jnp.mean(jax.lax.map(one, jax.random.split(key, draws)), axis=0)


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_nngp_is_the_kernel_of_wide_random_networks(points, activation):
    # Each hidden Gram has relative sd ≈ √(Var φ²/E²φ²)/√width ≈ 5% (ReLU) per draw; over 3 layers
    # and 256 draws that is ≈ 0.5%, the O(1/width) finite-width bias ≈ 0.05%: 3% is > 5 sd.
    x, _ = points
    x = jnp.asarray(x)
    E = empirical_nngp(jax.random.PRNGKey(0), x, 3, 10.0, 1.3, activation, width=2048, draws=256)
    K = kernels.nngp(x, x, depth=3, weight_var=10.0, bias_var=1.3, activation=activation)
    assert jnp.linalg.norm(E - K) / jnp.linalg.norm(K) < 0.03


def empirical_ntk(key, x, depth, wv, bv, activation, width):
    """``J Jᵀ`` of a scalar network in NTK parameterisation (every weight and bias N(0, 1))."""
    sizes = [x.shape[1]] + [width] * depth + [1]
    keys = jax.random.split(key, 2 * len(sizes))
    params = [
        (jax.random.normal(keys[2 * i], (a, b)), jax.random.normal(keys[2 * i + 1], (b,)))
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
    ]

    def f(params, x):
        h = x
        for i, (W, b) in enumerate(params):
            h = jnp.sqrt(wv / W.shape[0]) * (ACT[activation](h) if i else h) @ W + jnp.sqrt(bv) * b
        return h[:, 0]

    J = jax.tree.leaves(jax.jacrev(f)(params, x))
    J = jnp.concatenate([j.reshape(x.shape[0], -1) for j in J], axis=1)
    return J @ J.T


def test_ntk_is_symmetric_positive_definite(points):
    x, _ = points
    for activation in ("relu", "erf"):
        K = np.asarray(kernels.ntk(x, x, depth=3, weight_var=2.0, bias_var=0.1, activation=activation))
        np.testing.assert_allclose(K, K.T, rtol=1e-12)
        assert np.linalg.eigvalsh(K).min() > 0


def _empirical_ntk_error(points, depth, width, activation):
    """Relative Frobenius error of the analytic NTK against the mean empirical NTK of 8 networks."""
    x = jnp.asarray(points[0])
    runs = [empirical_ntk(jax.random.PRNGKey(i), x, depth, 2.0, 0.1, activation, width) for i in range(8)]
    E = jnp.mean(jnp.stack(runs), 0)
    K = kernels.ntk(x, x, depth=depth, weight_var=2.0, bias_var=0.1, activation=activation)
    return jnp.linalg.norm(E - K) / jnp.linalg.norm(K)


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_ntk_is_the_tangent_kernel_of_a_wide_network(points, activation):
    # One hidden layer of 16384 units, 8 networks: the empirical NTK's relative sd is ≈ 1/√(16384·8)
    # times O(1) constants (0.2-0.7% observed for seeds 0-2); 3% tolerance.
    assert _empirical_ntk_error(points, 1, 16384, activation) < 0.03


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_ntk_of_a_deeper_wide_network(points, activation):
    # Two hidden layers of 2048 units, 8 networks: 1.4% (ReLU) / 2.2% (erf) observed; 5% tolerance.
    assert _empirical_ntk_error(points, 2, 2048, activation) < 0.05


@pytest.mark.parametrize("cls, fn", [(kernels.NNGPKernel, kernels.nngp), (kernels.NTKKernel, kernels.ntk)])
def test_gpjax_kernel_classes(points, cls, fn):
    x1, x2 = (jnp.asarray(p) for p in points)
    kernel = cls(depth=2, weight_var=2.0, bias_var=0.1, activation="erf")
    want = fn(x1, x2, depth=2, weight_var=2.0, bias_var=0.1, activation="erf")
    np.testing.assert_allclose(kernel.cross_covariance(x1, x2), want, rtol=1e-12)
    np.testing.assert_allclose(kernel(x1[0], x2[1]), want[0, 1], rtol=1e-12)
    # Inside a gpjax conjugate model the marginal likelihood is the Gaussian one; gpjax adds
    # jitter 1e-6 to the prior Gram, hence rtol 1e-5.
    y = jnp.sin(3 * x1[:, 0])
    prior = gpjax.gps.Prior(kernel=kernel, mean_function=gpjax.mean_functions.Zero())
    model = gpjax.gps.construct_model(prior, gpjax.likelihoods.Gaussian(obs_stddev=0.1))
    got = gpjax.objectives.conjugate_mll(model, gpjax.Dataset(X=x1, y=y[:, None]))
    cov = fn(x1, x1, depth=2, weight_var=2.0, bias_var=0.1, activation="erf") + 0.01 * jnp.eye(8)
    want_mll = jax.scipy.stats.multivariate_normal.logpdf(y, jnp.zeros(8), cov)
    np.testing.assert_allclose(got, want_mll, rtol=1e-5)
