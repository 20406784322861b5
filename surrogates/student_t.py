"""Student-t process surrogate: a scale mixture of NNGPs (registered as ``"student_t"``).

With f | s ~ GP(0, s K) and the scale ``s ~ InverseGamma(α, β)``, the marginal of y is
the Student-t process of Shah, Wilson & Ghahramani, "Student-t processes as
alternatives to Gaussian processes" (AISTATS 2014), in closed form (DESIGN.md §7):
``ν = 2α``, ``Σ = (β/α)(K + σ²I)``,

    log p(y) = lnΓ((ν+n)/2) − lnΓ(ν/2) − (n/2) ln(νπ) − ½ ln|Σ| − ((ν+n)/2) ln(1 + yᵀΣ⁻¹y/ν),

and the predictive is Student-t with ``ν + n`` degrees of freedom, the GP's mean and
the GP's covariance (of ``(β/α)K``) times ``(ν + yᵀΣ⁻¹y)/(ν + n)``. Large residuals
inflate that factor, so an outlier widens the posterior instead of dragging its
mean: the robustness that motivates the model. As α → ∞ with β/α fixed it is the GP.

The Student-t posterior holds the Student-t scale matrix; its ``predict`` returns the
Student-t variance ``scale · ν'/(ν' − 2)`` and ``sample`` draws multivariate-t functions.
"""

import dataclasses

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln
from numpyro import distributions as dist

from .gp import masked_gram
from .kernel_gp import KernelGP, KernelGPPosterior
from .linalg import gaussian_quad_logdet, jittered_cholesky
from .registry import register
from .scale_mixture import PRIORS, ScaleMixtureGP


class StudentTPosterior(KernelGPPosterior):
    """``KernelGPPosterior`` whose ``scale`` is the Student-t scale factor, with ``dof: ν + n``."""

    dof: jax.Array

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and Student-t variance (scale · ν'/(ν'−2)) of latent f at ``Xq: [m, d]``."""
        mean, scale_diag = super().predict(Xq)
        return mean, scale_diag * self.dof / (self.dof - 2)

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint multivariate-t draws of f at ``Xq: [m, d]``: ``[num_samples, m]``.

        ``f = mean + √(ν'/w) L z`` with ``w ~ χ²(ν')``, ``z ~ N(0, I)``; for a fixed key the
        draw is a differentiable function of ``Xq``.
        """
        key_z, key_w = jax.random.split(key)
        mean, cov = self.covariance(Xq)
        z = jax.random.normal(key_z, (Xq.shape[0], num_samples), dtype=Xq.dtype)
        w = 2.0 * jax.random.gamma(key_w, self.dof / 2, (num_samples,), dtype=Xq.dtype)
        return (mean[:, None] + (jittered_cholesky(cov) @ z) * jnp.sqrt(self.dof / w)[None, :]).T


# The learned shape α: at least ½ (ν ≥ 1), at most 1e4 (a GP to within round-off).
ALPHA_BOUNDS = (0.5, 1e4)


@dataclasses.dataclass(frozen=True)
class StudentT(KernelGP):
    """Student-t process on the NNGP kernel; ``KernelGP``'s options plus the scale prior.

    Args:
        alpha, beta: shape and scale of the inverse-gamma prior on the kernel's scale;
            ``ν = 2α``. With ``learn=True`` α (the tail weight) is fitted with the kernel,
            within ``ALPHA_BOUNDS``, and the prior's scale ratio ``β/α`` stays as given: the
            kernel's own variances already set the amplitude, and learning β as well left a
            flat direction (``β/α → 0`` while the variances grow without bound) along which
            the fit ran off to α ~ 1e7 and a posterior scale of 1e-10.
    """

    alpha: float = 3.0
    beta: float = 3.0

    def __post_init__(self):
        super().__post_init__()
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError(f"alpha and beta must be positive, got {self.alpha!r}, {self.beta!r}")

    def init_params(self) -> dict:
        return {**super().init_params(), "log_alpha": jnp.log(jnp.asarray(self.alpha, jnp.float64))}

    def shape_and_ratio(self, params: dict) -> tuple[jax.Array, jax.Array]:
        """``(α, c = β/α)``: α from ``params``, a learned one kept in ``ALPHA_BOUNDS`` (beyond 1e4
        the process is a GP to within round-off, and lnΓ differences of huge arguments cancel);
        c as given."""
        alpha = jnp.exp(params["log_alpha"])
        if self.learn:
            alpha = jnp.clip(alpha, *ALPHA_BOUNDS)
        return alpha, jnp.asarray(self.beta / self.alpha, alpha.dtype)

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        """Negative Student-t process log marginal likelihood per real row (DESIGN.md §7)."""
        alpha, c = self.shape_and_ratio(params)  # Σ = c (K + σ²I)
        nu, n = 2 * alpha, jnp.sum(mask)
        K = masked_gram(self.kernel(params), X, mask, self.noise_var(params))
        # gaussian_quad_logdet gives ½ yᵀK⁻¹y + ½ log|K|; split them with r = 0 for the log det.
        half_logdet = gaussian_quad_logdet(K, jnp.zeros_like(y))
        half_quad = gaussian_quad_logdet(K, jnp.where(mask, y, 0.0)) - half_logdet
        log_p = (
            gammaln((nu + n) / 2)
            - gammaln(nu / 2)
            - 0.5 * n * jnp.log(nu * jnp.pi)
            - (half_logdet + 0.5 * n * jnp.log(c))
            - 0.5 * (nu + n) * jnp.log1p(2 * half_quad / c / nu)
        )
        return -log_p / n

    def condition(self, params: dict, X, y, mask) -> StudentTPosterior:
        gp = super().condition(params, X, y, mask)
        alpha, c = self.shape_and_ratio(params)
        nu, n = 2 * alpha, jnp.sum(mask)
        quad = jnp.where(mask, y, 0.0) @ gp.alpha / c  # yᵀΣ⁻¹y
        scale = c * (nu + quad) / (nu + n)
        return StudentTPosterior(gp.kernel, X, mask, gp.L, gp.alpha, gp.noise, scale, nu + n)


@register("student_t")
def student_t(scale_prior="inverse_gamma", **options) -> StudentT | ScaleMixtureGP:
    """``surrogates.get("student_t", scale_prior=..., **options)``: an NNGP scale mixture.

    ``scale_prior="inverse_gamma"`` (default) is the closed-form Student-t process
    (``StudentT``; options ``alpha``, ``beta``); ``"half_cauchy"``, ``"burr12"`` or a scalar
    positive NumPyro distribution on the scale s use importance sampling with the prior as
    proposal (``ScaleMixtureGP``, which reports its effective sample size as ``posterior.ess``).
    """
    if isinstance(scale_prior, str) and scale_prior == "inverse_gamma":
        return StudentT(**options)
    if isinstance(scale_prior, dist.Distribution):
        if scale_prior.batch_shape or scale_prior.event_shape or scale_prior.support is not dist.constraints.positive:
            raise ValueError(f"scale_prior must be a scalar distribution with positive support, got {scale_prior}")
    elif not isinstance(scale_prior, str) or scale_prior not in PRIORS:
        raise ValueError(f"scale_prior must be one of {PRIORS} or a numpyro distribution on s, got {scale_prior!r}")
    return ScaleMixtureGP(prior=scale_prior, **options)
