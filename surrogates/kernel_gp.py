"""GP surrogates on the kernels of infinitely wide networks: ``ibnn`` (NNGP) and ``ntk``.

``ibnn`` is the infinite-width Bayesian neural network surrogate of Li, Rudner &
Wilson, "A study of Bayesian neural network surrogates for Bayesian optimization"
(ICLR 2024): an exact GP whose kernel is the NNGP of a ReLU network, with their
defaults depth 3, σ_w² = 10, σ_b² = 1.3. ``ntk`` is the same GP on the NTK.

The mean is zero (the caller standardises y). With ``learn=True`` the two variances
and the noise are fitted by maximising the marginal likelihood (L-BFGS, optax, in
float64), each as the log of a positive number; with ``learn=False`` they are kept.
The linear algebra (masked Gram, jittered Cholesky, the Gaussian NLL with its
closed-form gradient) and the optimiser are gp.py's.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

from .gp import masked_gram
from .kernels import NNGPKernel, NTKKernel
from .kernels.layer_maps import check_activation
from .linalg import gaussian_quad_logdet, jittered_cholesky
from .optim import lbfgs_minimize
from .registry import register
from .threads import single_threaded_blas
from .training_data import as_training_data


class KernelGPPosterior(eqx.Module):
    """Posterior of a zero-mean GP with a wide-network kernel, padded to the bucket size ``n``.

    Fields: ``kernel`` (an ``NNGPKernel``/``NTKKernel`` with the fitted variances),
    ``X: [n, d]``, ``mask: [n]``, ``L: [n, n]`` the Cholesky factor of the masked
    ``K + noise I``, ``alpha: [n] = (K + noise I)⁻¹ y``, ``noise`` and ``scale``, a
    factor on the posterior covariance (1 for a GP; the Student-t process sets it).
    """

    kernel: NNGPKernel
    X: jax.Array
    mask: jax.Array
    L: jax.Array
    alpha: jax.Array
    noise: jax.Array
    scale: jax.Array

    def _conditional(self, Xq: jax.Array):
        """Gaussian conditional of f at ``Xq: [m, d]``: mean ``[m]`` and ``v = L⁻¹ k(X, Xq): [n, m]``."""
        Kxq = self.kernel.cross_covariance(self.X, Xq) * self.mask.astype(Xq.dtype)[:, None]
        v = jax.scipy.linalg.solve_triangular(self.L, Kxq, lower=True)
        return Kxq.T @ self.alpha, v

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]`` (Rasmussen & Williams eq. 2.25-2.26)."""
        mean, v = self._conditional(Xq)
        # The prior variance is the kernel's diagonal; one-row calls keep memory O(m).
        prior_var = jax.vmap(lambda x: self.kernel(x, x))(Xq)
        return mean, jnp.maximum(self.scale * (prior_var - jnp.sum(v**2, axis=0)), 1e-12)

    def covariance(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and joint posterior covariance ``[m, m]`` of f at ``Xq: [m, d]``."""
        mean, v = self._conditional(Xq)
        cov = self.scale * (self.kernel.cross_covariance(Xq, Xq) - v.T @ v)
        return mean, 0.5 * (cov + cov.T)

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``, reparameterised by ``key``."""
        mean, cov = self.covariance(Xq)
        z = jax.random.normal(key, (Xq.shape[0], num_samples), dtype=Xq.dtype)
        return (mean[:, None] + jittered_cholesky(cov) @ z).T


@dataclasses.dataclass(frozen=True)
class KernelGP:
    """Exact GP on a wide-network kernel; the shared options of all kernel surrogates (DESIGN.md §4).

    Args:
        depth: number of hidden layers of the infinitely wide network.
        weight_var, bias_var: ``σ_w²`` and ``σ_b²``, fixed (``learn=False``) or initial.
        activation: ``"relu"`` (arc-cosine of order 1) or ``"erf"``.
        noise: observation-noise variance, fixed or initial.
        learn: fit the variances and noise by marginal likelihood (True) or keep them.
        min_noise: lower bound on the learned noise variance.
        max_steps: L-BFGS iterations.
    """

    depth: int = 3
    weight_var: float = 10.0
    bias_var: float = 1.3
    activation: str = "relu"
    noise: float = 1e-2
    learn: bool = True
    min_noise: float = 1e-6
    max_steps: int = 100

    kernel_class = NNGPKernel

    def __post_init__(self):
        check_activation(self.activation)
        for name in ("weight_var", "bias_var", "noise"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if not (isinstance(self.depth, int) and self.depth >= 0):
            raise ValueError(f"depth must be a non-negative integer, got {self.depth!r}")

    def fit(self, key: jax.Array, X: jax.Array, y: jax.Array, *, mask: jax.Array | None = None):
        """Condition on ``X: [n, d]``, ``y: [n]``; ``mask: [n] bool`` marks real (non-padding) rows.

        The fit is deterministic, so ``key`` is unused (it is part of the protocol).
        """
        X, y, mask = as_training_data(X, y, mask)
        with single_threaded_blas():
            return jax.block_until_ready(self.fit_traced(key, X, y, mask))

    def fit_traced(self, key: jax.Array, X: jax.Array, y: jax.Array, mask: jax.Array):
        """``fit`` without the argument checks: pure JAX, traceable under ``jit``/``scan``/``vmap``."""
        return _fit(self, X, y, mask)

    # -- hyperparameters: logs of positive numbers, so the optimiser is unconstrained --
    def init_params(self) -> dict:
        """Unconstrained starting point of the learned hyperparameters."""
        return {
            "log_weight_var": jnp.log(jnp.asarray(self.weight_var, jnp.float64)),
            "log_bias_var": jnp.log(jnp.asarray(self.bias_var, jnp.float64)),
            "log_noise_excess": jnp.log(jnp.asarray(max(self.noise - self.min_noise, 1e-12), jnp.float64)),
        }

    def kernel(self, params: dict) -> NNGPKernel:
        """The gpjax kernel at ``params`` (plain arrays, so it is differentiable)."""
        wv, bv = jnp.exp(params["log_weight_var"]), jnp.exp(params["log_bias_var"])
        return self.kernel_class(depth=self.depth, weight_var=wv, bias_var=bv, activation=self.activation)

    def noise_var(self, params: dict) -> jax.Array:
        """Noise variance at ``params`` (the floor keeps the Gram matrix well conditioned)."""
        return self.min_noise + jnp.exp(params["log_noise_excess"])

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        """Negative log marginal likelihood per real row: ``−log N(y; 0, K + σ²I) / n``."""
        K = masked_gram(self.kernel(params), X, mask, self.noise_var(params))
        n = jnp.sum(mask)
        return (gaussian_quad_logdet(K, jnp.where(mask, y, 0.0)) + 0.5 * n * jnp.log(2 * jnp.pi)) / n

    def fit_params(self, X, y, mask) -> dict:
        """The fitted (``learn``) or given hyperparameters, unconstrained; traceable."""
        params = self.init_params()
        if self.learn:
            params = lbfgs_minimize(lambda p: self.loss(p, X, y, mask), params, max_steps=self.max_steps)
        return params

    def condition(self, params: dict, X, y, mask) -> KernelGPPosterior:
        """The posterior at fixed hyperparameters ``params``."""
        kernel, noise = self.kernel(params), self.noise_var(params)
        L = jittered_cholesky(masked_gram(kernel, X, mask, noise))
        alpha = jax.scipy.linalg.cho_solve((L, True), jnp.where(mask, y, 0.0))
        return KernelGPPosterior(kernel, X, mask, L, alpha, noise, jnp.ones((), X.dtype))


@jax.jit(static_argnums=0)
def _fit(model: KernelGP, X: jax.Array, y: jax.Array, mask: jax.Array):
    return model.condition(model.fit_params(X, y, mask), X, y, mask)


@register("ibnn")
@dataclasses.dataclass(frozen=True)
class IBNN(KernelGP):
    """Infinite-width BNN surrogate: a GP on the NNGP kernel (registered as ``"ibnn"``); see ``KernelGP``."""

    kernel_class = NNGPKernel


@register("ntk")
@dataclasses.dataclass(frozen=True)
class NTKGP(KernelGP):
    """GP on the neural tangent kernel (registered as ``"ntk"``); options as ``KernelGP``."""

    kernel_class = NTKKernel
