"""Scale mixtures of NNGPs under any scale prior, by importance sampling (DESIGN.md §4, §7).

``f | s ~ GP(0, s K)``, ``y | s ~ N(0, s (K + σ²I))`` and a prior p(s). For the
inverse-gamma prior the posterior is the closed-form Student-t process
(``student_t.py``); for others, e.g. a half-Cauchy prior on the scale ``τ = √s``
(Gelman, "Prior distributions for variance parameters in hierarchical models",
2006), we draw ``s_k ~ p(s)`` and weight them by the likelihood (the prior is the
proposal):

    log w_k = −½ yᵀ(K + σ²I)⁻¹y / s_k − (n/2) log s_k + const.

Because ``s`` scales the noise too, the posterior mean of f does not depend on s,
and the posterior is a mixture of GPs with covariance ``s_k C`` (``C`` the GP's):
``predict`` returns ``E_w[s] · diag C``; ``sample`` draws ``s_k`` by weight, then the
GP. The effective sample size ``1/Σ w_k²`` is kept on the posterior (``ess``) so a
caller can see when the prior is a poor proposal (a long-tailed data scale).

Kernel variances and noise are the given ones, or (``learn``) the GP's marginal-
likelihood fit at ``s = 1``; the mixture is then over the scale alone.
"""

import dataclasses

import jax
import jax.numpy as jnp

from .kernel_gp import KernelGP, KernelGPPosterior
from .linalg import jittered_cholesky
from .threads import single_threaded_blas

PRIORS = ("half_cauchy", "inverse_gamma")


class ScaleMixturePosterior(KernelGPPosterior):
    """``KernelGPPosterior`` (``scale`` = E_w[s]) plus the particles ``scales: [N]``, ``log_weights: [N]``, ``ess``."""

    scales: jax.Array
    log_weights: jax.Array
    ess: jax.Array

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]`` (scale by weight, then the GP)."""
        key_s, key_z = jax.random.split(key)
        mean, cov = self.covariance(Xq)  # scaled by E_w[s]; undo it, each draw has its own s
        s = self.scales[jax.random.categorical(key_s, self.log_weights, shape=(num_samples,))]
        z = jax.random.normal(key_z, (Xq.shape[0], num_samples), dtype=Xq.dtype)
        return (mean[:, None] + (jittered_cholesky(cov / self.scale) @ z) * jnp.sqrt(s)[None, :]).T


@dataclasses.dataclass(frozen=True)
class ScaleMixtureGP(KernelGP):
    """NNGP scale mixture by importance sampling; ``KernelGP``'s options plus:

    Args:
        prior: ``"half_cauchy"`` (on τ = √s, scale ``tau_scale``) or ``"inverse_gamma"`` (α, β on s;
            the closed form is ``StudentT``, kept here to validate the sampler).
        tau_scale: half-Cauchy scale of τ.
        alpha, beta: inverse-gamma shape and scale of s.
        num_particles: prior draws.
    """

    prior: str = "half_cauchy"
    tau_scale: float = 1.0
    alpha: float = 3.0
    beta: float = 3.0
    num_particles: int = 4096

    def __post_init__(self):
        super().__post_init__()
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {self.prior!r}")

    def prior_draws(self, key: jax.Array) -> jax.Array:
        """``num_particles`` draws of the scale s from its prior."""
        if self.prior == "half_cauchy":
            return (self.tau_scale * jnp.abs(jax.random.cauchy(key, (self.num_particles,), jnp.float64))) ** 2
        return self.beta / jax.random.gamma(key, self.alpha, (self.num_particles,), jnp.float64)

    def fit(self, key: jax.Array, X: jax.Array, y: jax.Array, *, mask: jax.Array | None = None):
        """Condition on ``X: [n, d]``, ``y: [n]`` (``mask: [n] bool`` marks real rows); ``key`` draws the particles."""
        gp = super().fit(key, X, y, mask=mask)
        with single_threaded_blas():
            return jax.block_until_ready(_reweight(self, key, gp, jnp.asarray(y, jnp.float64)))


@jax.jit(static_argnums=0)
def _reweight(model: ScaleMixtureGP, key, gp: KernelGPPosterior, y) -> ScaleMixturePosterior:
    s = model.prior_draws(key)
    n = jnp.sum(gp.mask)
    quad = jnp.where(gp.mask, y, 0.0) @ gp.alpha  # yᵀ(K + σ²I)⁻¹y
    log_w = -0.5 * quad / s - 0.5 * n * jnp.log(s)
    log_w = log_w - jax.scipy.special.logsumexp(log_w)
    w = jnp.exp(log_w)
    return ScaleMixturePosterior(
        gp.kernel, gp.X, gp.mask, gp.L, gp.alpha, gp.noise, jnp.sum(w * s), s, log_w, 1.0 / jnp.sum(w**2)
    )
