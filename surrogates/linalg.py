"""Cholesky factorisation with escalating jitter.

Gram matrices of duplicated or nearly duplicated inputs are singular in exact
arithmetic; adding a small multiple of the identity restores positive
definiteness at the cost of a tiny bias. We try the plain factor first and only
escalate (1e-9 ... 1e-1 of the mean diagonal, as GPyTorch's ``psd_safe_cholesky``)
when it fails, so well-conditioned problems are untouched.

Every factorisation here goes through ``cholesky``, which runs a batch of matrices (a
``vmap``, as over an acquisition optimiser's restarts) as a loop of single LAPACK
calls. jaxlib 0.10 on CPU splits a batched Cholesky over XLA's intra-op thread pool
and blocks a pool thread until the pieces finish; with two such calls in flight on a
2-thread pool (a 2-core machine) no thread is left to run the pieces and the process
hangs for good. BO runs with ``qlognei`` and with batches of 10 hung this way, with
both ``tf_XLAEigen`` workers in ``jax::ParallelBatchMap`` → ``BlockingCounter::Wait``.
``--xla_cpu_multi_thread_eigen=false`` did not help: the LAPACK kernels take that
pool regardless.
"""

import jax
import jax.numpy as jnp

JITTERS = (1e-9, 1e-7, 1e-5, 1e-3, 1e-1)


@jax.custom_batching.sequential_vmap
def _lapack_cholesky(K: jax.Array) -> jax.Array:
    """``jnp.linalg.cholesky`` of one ``[n, n]`` matrix; batches become a loop (module docstring)."""
    return jnp.linalg.cholesky(K)


@jax.custom_batching.sequential_vmap
def _cholesky_cotangent(L: jax.Array, L_bar: jax.Array) -> jax.Array:
    """``K̄`` for ``L = chol(K)``: ``sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)``, Φ = lower triangle with half its diagonal.

    Murray, "Differentiation of the Cholesky decomposition" (2016), eq. 10; symmetrised, as
    ``jnp.linalg.cholesky`` reads only the symmetric part of K. Two triangular solves.
    """
    P = jnp.tril(L.T @ L_bar)
    P = P - 0.5 * jnp.diag(jnp.diag(P))
    X = jax.scipy.linalg.solve_triangular(L, P, lower=True, trans=1)  # L⁻ᵀ P
    S_t = jax.scipy.linalg.solve_triangular(L, X.T, lower=True, trans=1)  # (L⁻ᵀ P L⁻¹)ᵀ
    return 0.5 * (S_t + S_t.T)


@jax.custom_vjp
def cholesky(K: jax.Array) -> jax.Array:
    """Lower Cholesky factor of the symmetric ``K: [n, n]`` (NaN if not positive definite), safe
    to ``vmap`` on a few CPU cores (module docstring). Reverse-mode differentiable."""
    return _lapack_cholesky(K)


def _cholesky_fwd(K):
    L = _lapack_cholesky(K)
    return L, L


def _cholesky_bwd(L, L_bar):
    return (_cholesky_cotangent(L, L_bar),)


cholesky.defvjp(_cholesky_fwd, _cholesky_bwd)


def _smallest_working_jitter(K: jax.Array) -> jax.Array:
    """The first relative jitter in ``JITTERS`` whose Cholesky factor is finite."""
    scale = jnp.mean(jnp.diag(K))
    jitters = jnp.asarray(JITTERS, K.dtype) * scale
    eye = jnp.eye(K.shape[-1], dtype=K.dtype)

    def failed(i):
        return (i < len(JITTERS) - 1) & ~jnp.all(jnp.isfinite(_lapack_cholesky(K + jitters[i] * eye)))

    i = jax.lax.while_loop(failed, lambda i: i + 1, 0)
    return jitters[i]


def jittered_cholesky(K: jax.Array) -> jax.Array:
    """Lower Cholesky factor of the symmetric ``K: [n, n]``, adding jitter only if needed.

    Differentiable: the jitter is chosen on ``stop_gradient(K)`` (a while loop has
    no reverse-mode derivative) and the final factor is taken of ``K + jitter I``.
    """
    L = cholesky(K)

    def fallback():
        jitter = _smallest_working_jitter(jax.lax.stop_gradient(K))
        return cholesky(K + jitter * jnp.eye(K.shape[-1], dtype=K.dtype))

    return jax.lax.cond(jnp.all(jnp.isfinite(L)), lambda: L, fallback)


@jax.custom_vjp
def gaussian_quad_logdet(K: jax.Array, r: jax.Array) -> jax.Array:
    """``½ rᵀ K⁻¹ r + ½ log|K|`` for ``K: [n, n]`` and ``r: [n]``; the Gaussian NLL less ``(n/2) log 2π``.

    The reverse-mode rule is the closed form ``∂/∂K = ½(K⁻¹ − ααᵀ)``, ``∂/∂r = α``
    with ``α = K⁻¹ r`` (Rasmussen & Williams 2006, eq. 5.9): one Cholesky and one
    inverse, instead of differentiating through the factorisation, which XLA on
    CPU does with many small triangular solves and is an order of magnitude slower.
    """
    return _quad_logdet_fwd(K, r)[0]


def _quad_logdet_fwd(K, r):
    L = jittered_cholesky(jax.lax.stop_gradient(K))
    alpha = jax.scipy.linalg.cho_solve((L, True), r)
    value = 0.5 * r @ alpha + jnp.sum(jnp.log(jnp.diag(L)))
    return value, (L, alpha)


def _quad_logdet_bwd(res, g):
    L, alpha = res
    K_inv = jax.scipy.linalg.cho_solve((L, True), jnp.eye(L.shape[0], dtype=L.dtype))
    return g * 0.5 * (K_inv - jnp.outer(alpha, alpha)), g * alpha


gaussian_quad_logdet.defvjp(_quad_logdet_fwd, _quad_logdet_bwd)
