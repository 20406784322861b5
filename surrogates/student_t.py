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

from .gp_posterior import GPPosterior, joint_draws, masked_gram
from .kernel_gp import KernelGP
from .linalg import gaussian_quad_logdet
from .optim import lbfgs_minimize
from .registry import register
from .scale_mixture import PRIORS, ScaleMixtureGP


class StudentTPosterior(GPPosterior):
    """``GPPosterior`` whose ``scale`` is the Student-t scale factor, with ``dof: ν + n``."""

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
        w = 2.0 * jax.random.gamma(key_w, self.dof / 2, (num_samples,), dtype=Xq.dtype)
        return joint_draws(key_z, *self.covariance(Xq), num_samples, scales=self.dof / w)


# The learned shape α: at least ½ (ν ≥ 1), at most 1e4 (a GP to within round-off).
ALPHA_BOUNDS = (0.5, 1e4)


@dataclasses.dataclass(frozen=True)
class StudentT(KernelGP):
    """Student-t process on the NNGP kernel; ``KernelGP``'s options plus the scale prior.

    Args:
        alpha, beta: shape and scale of the inverse-gamma prior on the kernel's scale;
            ``ν = 2α``. With ``learn=True`` the kernel (its output scale included) and the noise
            are ``KernelGP``'s MAP fit, then α (the tail weight) is fitted under a Gamma prior
            on ν, within ``ALPHA_BOUNDS`` (``fit_params``). The ratio ``β/α`` stays as given:
            the kernel's output scale already sets the amplitude, and learning β as well left a
            flat direction (``β/α → 0`` while the variances grow without bound) along which
            the fit ran off to α ~ 1e7 and a posterior scale of 1e-10.
    """

    alpha: float = 3.0
    beta: float = 3.0

    def __post_init__(self):
        super().__post_init__()
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError(f"alpha and beta must be positive, got {self.alpha!r}, {self.beta!r}")

    def init_params(self, dim: int | None = None) -> dict:
        return {**super().init_params(), "log_alpha": jnp.log(jnp.asarray(self.alpha, jnp.float64))}

    def fit_params(self, X, y, mask) -> dict:
        """The kernel and noise by the GP's MAP (``KernelGP``), then α alone by the Student-t marginal.

        Fitting everything by the Student-t marginal ran ν to its bound of 1 and shrank the scale:
        95% coverage 0.80 on ackley10 (n = 100), against 0.88 for this two-stage fit. Traceable.
        """
        init = self.init_params()
        alpha0 = {"log_alpha": init.pop("log_alpha")}
        if not self.learn:
            return {**init, **alpha0}
        # α held at its start: the ν prior is then a constant of the kernel stage.
        kernel_loss = lambda p: KernelGP.loss(self, {**p, **alpha0}, X, y, mask)  # noqa: E731
        params = lbfgs_minimize(kernel_loss, init, max_steps=self.max_steps)
        t_loss = lambda a: self.loss({**params, **a}, X, y, mask)  # noqa: E731
        return {**params, **lbfgs_minimize(t_loss, alpha0, max_steps=self.max_steps)}

    def log_prior(self, params: dict) -> jax.Array:
        """``KernelGP``'s priors plus ν = 2α ~ Gamma(2, 0.1) (Juárez & Steel 2010; mean 20): without it the
        fit ran to the bound ν = 1 on every BO-like data set, and the predictive went narrow."""
        alpha, _ = self.shape_and_ratio(params)
        return super().log_prior(params) + dist.Gamma(2.0, 0.1).log_prob(2 * alpha)

    def shape_and_ratio(self, params: dict) -> tuple[jax.Array, jax.Array]:
        """``(α, c = β/α)``: α from ``params``, a learned one kept in ``ALPHA_BOUNDS`` (beyond 1e4
        the process is a GP to within round-off, and lnΓ differences of huge arguments cancel);
        c as given. The lower bound is soft (``lo + softplus(α − lo)``): a clip there has no
        gradient, so a fit that crossed it could not come back however the prior pulled."""
        alpha = jnp.exp(params["log_alpha"])
        if self.learn:
            lo, hi = ALPHA_BOUNDS
            alpha = jnp.minimum(lo + jax.nn.softplus(alpha - lo), hi)
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
        return -(log_p + self.log_prior(params)) / n

    def condition(self, params: dict, X, y, mask) -> StudentTPosterior:
        gp = super().condition(params, X, y, mask)
        alpha, c = self.shape_and_ratio(params)
        nu, n = 2 * alpha, jnp.sum(mask)
        quad = jnp.where(mask, y, 0.0) @ gp.alpha / c  # yᵀΣ⁻¹y
        scale = c * (nu + quad) / (nu + n)
        return StudentTPosterior(gp.kernel, X, mask, gp.L, gp.alpha, gp.mean, gp.noise, scale, None, nu + n)


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
