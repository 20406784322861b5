"""Jittered Cholesky and the closed-form-gradient Gaussian log likelihood."""

import jax
import jax.numpy as jnp
import numpy as np

import surrogates  # noqa: F401  (float64)
from surrogates.linalg import JITTERS, gaussian_quad_logdet, jittered_cholesky


def test_well_conditioned_matrices_get_no_jitter():
    A = np.random.default_rng(0).normal(size=(6, 6))
    K = A @ A.T + np.eye(6)
    np.testing.assert_array_equal(jittered_cholesky(jnp.asarray(K)), np.linalg.cholesky(K))


def test_singular_matrix_gets_the_smallest_sufficient_jitter():
    x = np.linspace(0, 1, 5)
    K = np.outer(x, x) + 1.0  # rank 2
    L = np.asarray(jittered_cholesky(jnp.asarray(K)))
    assert np.all(np.isfinite(L))
    jitter = np.diag(L @ L.T - K)
    assert np.allclose(L @ L.T - K, np.diag(jitter), atol=1e-12)
    assert jitter[0] <= JITTERS[-1] * np.mean(np.diag(K))


def test_gradient_equals_autodiff_of_the_direct_formula():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(7, 7))
    K, r = jnp.asarray(A @ A.T + np.eye(7)), jnp.asarray(rng.normal(size=7))
    direct = lambda K, r: 0.5 * r @ jnp.linalg.solve(K, r) + 0.5 * jnp.linalg.slogdet(K)[1]
    np.testing.assert_allclose(gaussian_quad_logdet(K, r), direct(K, r), rtol=1e-12)
    for got, want in zip(jax.grad(gaussian_quad_logdet, (0, 1))(K, r), jax.grad(direct, (0, 1))(K, r), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
