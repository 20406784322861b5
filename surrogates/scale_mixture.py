"""Scale mixtures of NNGPs under any scale prior, by importance sampling (DESIGN.md §4, §7).

``f | s ~ GP(0, s K)``, ``y | s ~ N(0, s (K + σ²I))`` and a prior p(s). For the
inverse-gamma prior the posterior is the closed-form Student-t process
(``student_t.py``); for others, e.g. a half-Cauchy prior on the scale ``τ = √s``
(Gelman, "Prior distributions for variance parameters in hierarchical models",
2006), a Burr XII prior on τ (Lee et al., "Scale mixtures of neural network Gaussian
processes", ICLR 2022, whose heavy-tailed limits motivate this surrogate) or any positive
NumPyro distribution on s, we draw ``s_k ~ p(s)`` and weight them by the likelihood (the
prior is the proposal):

    log w_k = −½ yᵀ(K + σ²I)⁻¹y / s_k − (n/2) log s_k + const.

Because ``s`` scales the noise too, the posterior mean of f does not depend on s,
and the posterior is a mixture of GPs with covariance ``s_k C`` (``C`` the GP's):
``predict`` returns ``E_w[s] · diag C``; ``sample`` draws ``s_k`` by weight, then the
GP. The effective sample size ``1/Σ w_k²`` is kept on the posterior (``ess``) so a
caller can see when the prior is a poor proposal (a long-tailed data scale), and
``fit`` warns when it falls below ``MIN_ESS``.

Kernel variances and noise are the given ones, or (``learn``) the GP's marginal-
likelihood fit at ``s = 1``; the mixture is then over the scale alone.
"""

import dataclasses
import warnings

import jax
import jax.numpy as jnp
from numpyro import distributions as dist

from .gp_posterior import GPPosterior, joint_draws
from .kernel_gp import KernelGP
from .threads import single_threaded_blas
from .training_data import as_training_data

PRIORS = ("half_cauchy", "burr12", "inverse_gamma")
# Below this many effective particles the weighted moments are dominated by a few draws.
MIN_ESS = 100


class ScaleMixturePosterior(GPPosterior):
    """``GPPosterior`` (``scale`` = E_w[s]) plus the particles ``scales: [N]``, ``log_weights: [N]``, ``ess``."""

    scales: jax.Array
    log_weights: jax.Array
    ess: jax.Array

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]`` (scale by weight, then the GP)."""
        key_s, key_z = jax.random.split(key)
        s = self.scales[jax.random.categorical(key_s, self.log_weights, shape=(num_samples,))]
        # covariance() is scaled by E_w[s]; each draw has its own s instead.
        return joint_draws(key_z, *self.covariance(Xq), num_samples, scales=s / self.scale)


@dataclasses.dataclass(frozen=True)
class ScaleMixtureGP(KernelGP):
    """NNGP scale mixture by importance sampling; ``KernelGP``'s options plus:

    Args:
        prior: ``"half_cauchy"`` (on τ = √s, scale ``tau_scale``), ``"burr12"`` (Burr XII on
            τ / ``tau_scale`` with shapes ``burr_c``, ``burr_k``: density ∝ x^{c−1}(1 + x^c)^{−k−1},
            tail index ck), ``"inverse_gamma"`` (α, β on s; the closed form is ``StudentT``, kept
            here to validate the sampler), or a scalar NumPyro distribution on s with positive support.
        tau_scale: scale of τ for the half-Cauchy and Burr XII priors.
        alpha, beta: inverse-gamma shape and scale of s.
        burr_c, burr_k: Burr XII shapes.
        num_particles: prior draws.
    """

    prior: str | dist.Distribution = "half_cauchy"
    tau_scale: float = 1.0
    alpha: float = 3.0
    beta: float = 3.0
    burr_c: float = 2.0
    burr_k: float = 1.0
    num_particles: int = 4096

    learns_outputscale = False  # the mixture is over the output scale

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.prior, dist.Distribution):
            if self.prior.batch_shape or self.prior.event_shape:
                raise ValueError(f"prior must be a scalar distribution on the scale s, got {self.prior}")
            if self.prior.support is not dist.constraints.positive:
                raise ValueError(f"prior must have positive support (a distribution on the scale s), got {self.prior}")
        elif self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS} or a numpyro distribution on s, got {self.prior!r}")
        for name in ("tau_scale", "alpha", "beta", "burr_c", "burr_k"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if isinstance(self.num_particles, bool) or not isinstance(self.num_particles, int) or self.num_particles < 2:
            raise ValueError(f"num_particles must be an int >= 2, got {self.num_particles!r}")

    def prior_draws(self, key: jax.Array) -> jax.Array:
        """``num_particles`` draws of the scale s from its prior."""
        shape = (self.num_particles,)
        if isinstance(self.prior, dist.Distribution):
            return jnp.asarray(self.prior.sample(key, shape), jnp.float64)
        if self.prior == "half_cauchy":
            return (self.tau_scale * jnp.abs(jax.random.cauchy(key, shape, jnp.float64))) ** 2
        if self.prior == "burr12":
            # Inverse CDF: F(x) = 1 − (1 + x^c)^{−k}.
            u = jax.random.uniform(key, shape, jnp.float64)
            x = jnp.expm1(-jnp.log1p(-u) / self.burr_k) ** (1.0 / self.burr_c)
            return (self.tau_scale * x) ** 2
        return self.beta / jax.random.gamma(key, self.alpha, shape, jnp.float64)

    def fit(self, key: jax.Array, X: jax.Array, y: jax.Array, *, mask: jax.Array | None = None):
        """Condition on ``X: [n, d]``, ``y: [n]`` (``mask: [n] bool`` marks real rows); ``key`` draws the particles."""
        X, y, mask = as_training_data(X, y, mask)
        with single_threaded_blas():
            posterior = jax.block_until_ready(self.fit_traced(key, X, y, mask))
        if float(posterior.ess) < MIN_ESS:
            warnings.warn(
                f"scale-mixture importance sampling kept an effective sample size of {float(posterior.ess):.1f} "
                f"of {self.num_particles} prior draws: the scale prior is a poor proposal for these data; "
                "raise num_particles or use a prior closer to the data's scale",
                RuntimeWarning,
                stacklevel=2,
            )
        return posterior

    def fit_traced(self, key: jax.Array, X: jax.Array, y: jax.Array, mask: jax.Array) -> "ScaleMixturePosterior":
        """``fit`` without the argument checks or the ESS warning: pure JAX, traceable."""
        return _reweight(self, key, super().fit_traced(key, X, y, mask), jnp.asarray(y, jnp.float64))


@jax.jit(static_argnums=0)
def _reweight(model: ScaleMixtureGP, key, gp: GPPosterior, y) -> ScaleMixturePosterior:
    s = model.prior_draws(key)
    n = jnp.sum(gp.mask)
    quad = jnp.where(gp.mask, y, 0.0) @ gp.alpha  # yᵀ(K + σ²I)⁻¹y
    log_w = -0.5 * quad / s - 0.5 * n * jnp.log(s)
    log_w = log_w - jax.scipy.special.logsumexp(log_w)
    w = jnp.exp(log_w)
    scale, ess = jnp.sum(w * s), 1.0 / jnp.sum(w**2)
    return ScaleMixturePosterior(
        gp.kernel, gp.X, gp.mask, gp.L, gp.alpha, gp.mean, gp.noise, scale, None, s, log_w, ess
    )
