"""GP surrogates on the kernels of infinitely wide networks: ``ibnn`` (NNGP) and ``ntk``.

``ibnn`` is the infinite-width Bayesian neural network surrogate of Li, Rudner &
Wilson, "A study of Bayesian neural network surrogates for Bayesian optimization"
(ICLR 2024): an exact GP whose kernel is the NNGP of a ReLU network, with their
defaults depth 3, σ_w² = 10, σ_b² = 1.3. ``ntk`` is the same GP on the NTK.

The mean is zero (the caller standardises y). With ``learn=True`` the two variances,
an output scale and the noise are fitted by MAP under priors (``KernelGP.log_prior``;
L-BFGS in float64), each as the log of a positive number; with ``learn=False`` they are
kept. The kernel is read on the centred, normalised cube (``kernels.CubeKernel``).
The linear algebra (masked Gram, jittered Cholesky, the Gaussian NLL with its
closed-form gradient) and the optimiser are gp.py's.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpyro.distributions as dist

from .gp_posterior import GPPosterior, masked_gram
from .kernels import CubeKernel, NNGPKernel, NTKKernel
from .kernels.layer_maps import check_activation
from .linalg import gaussian_quad_logdet
from .optim import lbfgs_minimize
from .registry import register
from .threads import single_threaded_blas
from .training_data import as_training_data

# The kernel surrogates' posterior is the one exact-GP posterior; the old name stays.
KernelGPPosterior = GPPosterior


# LogNormal(loc, scale) on the noise variance in standardised units, median e⁻⁸ ≈ 3e-4. BoTorch's
# LogNormal(−4, 1) suits ``gp``, whose lengthscales can shorten to fit a rough function; these
# kernels have no lengthscale, and with the median at e⁻⁴ ackley10 (n = 100) was still explained
# as noise (0.9 of the variance; 95% coverage 0.25). BO objectives are mostly deterministic.
NOISE_PRIOR = (-8.0, 1.0)


@dataclasses.dataclass(frozen=True)
class KernelGP:
    """Exact GP on a wide-network kernel; the shared options of all kernel surrogates (DESIGN.md §4).

    The kernel is ``CubeKernel``: the network kernel on centred inputs, normalised so that
    ``outputscale`` is the prior variance of f at a typical point of the cube.

    Args:
        depth: number of hidden layers of the infinitely wide network.
        weight_var, bias_var: ``σ_w²`` and ``σ_b²``, fixed (``learn=False``) or the medians of
            their priors (``learn=True``).
        activation: ``"relu"`` (arc-cosine of order 1) or ``"erf"``.
        outputscale: prior variance of f at a typical point, fixed or its prior's median.
        noise: observation-noise variance; fixed, or (``learn``) the start of the MAP fit. The
            start is small on purpose: from 1e-2, L-BFGS stopped on hartmann6 (n = 100) in a local
            optimum with 37% of the variance as noise (coverage 0.79), from 1e-4 it reached a
            higher posterior with noise 1e-4 (coverage 0.91).
        learn: fit the variances, output scale and noise by MAP (True) or keep them.
        min_noise: lower bound on the learned noise variance.
        max_steps: L-BFGS iterations.

    Priors (``learn=True``; ``log_prior``): ``σ_w²``, ``σ_b²`` and ``outputscale`` LogNormal about
    the given values with log-sd 1 (a factor e either way is one sd); the noise ``NOISE_PRIOR``,
    which keeps "everything is noise" from winning. Maximum likelihood without them ended on
    ackley10 at σ_b² = 2e-13, noise 1.0 and a latent variance of 7e-7: coverage 0.
    """

    depth: int = 3
    weight_var: float = 10.0
    bias_var: float = 1.3
    activation: str = "relu"
    outputscale: float = 1.0
    noise: float = 1e-4
    learn: bool = True
    min_noise: float = 1e-6
    max_steps: int = 100

    kernel_class = NNGPKernel
    # ``ScaleMixtureGP`` integrates the output scale out under its own prior on it, so for it the
    # scale stays at the given value.
    learns_outputscale = True

    def __post_init__(self):
        check_activation(self.activation)
        for name in ("weight_var", "bias_var", "outputscale", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be a positive number (a variance), got {value!r}")
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
    def init_params(self, dim: int | None = None) -> dict:
        """Unconstrained starting point of the learned hyperparameters (the given values; they do
        not depend on the input dimension, which is accepted so that every surrogate's
        ``init_params(dim)`` reads the same, ``protocol.WarmStartSurrogate``)."""
        log = lambda v: jnp.log(jnp.asarray(v, jnp.float64))  # noqa: E731
        params = {"log_weight_var": log(self.weight_var), "log_bias_var": log(self.bias_var)}
        if self.learns_outputscale:
            params["log_outputscale"] = log(self.outputscale)
        return {**params, "log_noise_excess": log(max(self.noise - self.min_noise, 1e-12))}

    def log_prior(self, params: dict) -> jax.Array:
        """Log prior density of the hyperparameters (class docstring), on their natural scale."""
        lp = 0.0
        for name in ("weight_var", "bias_var", "outputscale"):
            if f"log_{name}" in params:
                value = jnp.exp(params[f"log_{name}"])
                lp += dist.LogNormal(jnp.log(getattr(self, name)), 1.0).log_prob(value)
        return lp + dist.LogNormal(*NOISE_PRIOR).log_prob(self.noise_var(params))

    def kernel(self, params: dict) -> CubeKernel:
        """The gpjax kernel at ``params`` (plain arrays, so it is differentiable)."""
        wv, bv = jnp.exp(params["log_weight_var"]), jnp.exp(params["log_bias_var"])
        base = self.kernel_class(depth=self.depth, weight_var=wv, bias_var=bv, activation=self.activation)
        outputscale = jnp.exp(params["log_outputscale"]) if self.learns_outputscale else self.outputscale
        return CubeKernel(base, jnp.asarray(outputscale, jnp.float64))

    def noise_var(self, params: dict) -> jax.Array:
        """Noise variance at ``params`` (the floor keeps the Gram matrix well conditioned)."""
        return self.min_noise + jnp.exp(params["log_noise_excess"])

    def log_marginal(self, params: dict, X, y, mask) -> jax.Array:
        """``log N(y; 0, K + σ²I)`` over the real rows."""
        K = masked_gram(self.kernel(params), X, mask, self.noise_var(params))
        n = jnp.sum(mask)
        return -gaussian_quad_logdet(K, jnp.where(mask, y, 0.0)) - 0.5 * n * jnp.log(2 * jnp.pi)

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        """Negative log posterior of the hyperparameters per real row (MAP's objective)."""
        return -(self.log_marginal(params, X, y, mask) + self.log_prior(params)) / jnp.sum(mask)

    def fit_params(self, X, y, mask) -> dict:
        """The fitted (``learn``) or given hyperparameters, unconstrained; traceable."""
        params = self.init_params()
        if self.learn:
            params = lbfgs_minimize(lambda p: self.loss(p, X, y, mask), params, max_steps=self.max_steps)
        return params

    def condition(self, params: dict, X, y, mask) -> GPPosterior:
        """The posterior at fixed hyperparameters ``params``."""
        return GPPosterior.condition(self.kernel(params), X, y, mask, self.noise_var(params))


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
