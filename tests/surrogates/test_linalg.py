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


def test_batches_run_one_matrix_per_lapack_call_with_the_same_values_and_gradients():
    # A batched LAPACK Cholesky can deadlock XLA's CPU thread pool (surrogates/linalg.py), so a
    # vmap must lower to unbatched potrf calls (num_batch_dims = 0); values and gradients are
    # those of jnp.linalg.cholesky to rounding (Murray 2016's cotangent).
    rng = np.random.default_rng(2)
    M = rng.normal(size=(6, 5, 5))
    K = jnp.asarray(M @ np.swapaxes(M, 1, 2) + 0.1 * np.eye(5))
    W = jnp.asarray(rng.normal(size=(5, 5)))
    text = jax.jit(jax.vmap(jittered_cholesky)).lower(K).as_text()
    calls = [line for line in text.splitlines() if "lapack_dpotrf" in line]
    assert calls and all('num_batch_dims = "0"' in line for line in calls)
    np.testing.assert_allclose(jax.vmap(jittered_cholesky)(K), jnp.linalg.cholesky(K), rtol=1e-13, atol=1e-14)
    loss = lambda K, chol: jnp.sum(jnp.sin(jax.vmap(chol)(K) * W))  # noqa: E731
    got, want = jax.grad(loss)(K, jittered_cholesky), jax.grad(loss)(K, jnp.linalg.cholesky)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
