"""The one exact-GP posterior, whatever its kernel (``gp``, ``ibnn``, ``ntk``, ``student_t``, ``dkl``).

As GPJax's ``ConjugatePosterior`` and BoTorch's ``SingleTaskGP(covar_module=...)``: the
conditioning algebra is written once, and a surrogate differs only in the kernel it
passes (a gpjax kernel, a pytree, so the posterior traces through ``jit``/``vmap``). The
Student-t process and the scale mixture reuse it with a factor ``scale`` on the covariance.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from .linalg import jittered_cholesky


def masked_gram(kernel, X: jax.Array, mask: jax.Array, noise: jax.Array) -> jax.Array:
    """``K + noise I`` on real rows of ``X: [n, d]``; padded rows become unit, uncorrelated.

    The padded block is the identity and its residuals are zero, so it adds nothing
    to the data fit and only a constant to the log likelihood.
    """
    m = mask.astype(X.dtype)
    K = kernel.cross_covariance(X, X) * m[:, None] * m[None, :]
    return K + jnp.diag(m * noise + (1.0 - m))


def joint_draws(key: jax.Array, mean: jax.Array, cov: jax.Array, num_samples: int, scales=None) -> jax.Array:
    """``[num_samples, m]`` draws ``mean + √scales · chol(cov) z`` with ``z ~ N(0, I)``.

    ``mean: [m]``, ``cov: [m, m]``; ``scales: [num_samples]`` (or ``None`` for 1) multiplies
    each draw's covariance, which turns Gaussian draws into scale mixtures (Student-t draws
    when ``scales = ν/χ²_ν``). Reparameterised: for a fixed key the draws are a
    differentiable function of ``mean`` and ``cov``.
    """
    z = jax.random.normal(key, (mean.shape[0], num_samples), dtype=mean.dtype)
    deviation = jittered_cholesky(cov) @ z
    if scales is not None:
        deviation = deviation * jnp.sqrt(scales)[None, :]
    return (mean[:, None] + deviation).T


class GPPosterior(eqx.Module):
    """Posterior of an exact GP with any kernel; arrays padded to the training bucket size ``n``.

    Fields: ``kernel`` (a gpjax kernel with the fitted hyperparameters), ``X: [n, d]``,
    ``mask: [n]``, ``L: [n, n]`` the Cholesky factor of the masked ``K + noise I``,
    ``alpha: [n] = (K + noise I)⁻¹ (y − mean)``, the constant ``mean``, the ``noise``
    variance, ``scale`` (a factor on the posterior covariance: 1 for a GP; the Student-t
    process sets it) and ``params``, the fitted hyperparameters unconstrained (the warm
    start of the next fit; ``None`` where the surrogate does not warm-start).
    """

    kernel: object
    X: jax.Array
    mask: jax.Array
    L: jax.Array
    alpha: jax.Array
    mean: jax.Array
    noise: jax.Array
    scale: jax.Array
    params: dict | None

    @property
    def lengthscale(self) -> jax.Array:
        """The kernel's lengthscale (stationary kernels only)."""
        return self.kernel.lengthscale

    def _conditional(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and ``v = L⁻¹ k(X, Xq): [n, m]`` of f at ``Xq: [m, d]`` (padded rows zeroed)."""
        Kxq = self.kernel.cross_covariance(self.X, Xq) * self.mask.astype(Xq.dtype)[:, None]
        v = jax.scipy.linalg.solve_triangular(self.L, Kxq, lower=True)
        return self.mean + Kxq.T @ self.alpha, v

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
        return joint_draws(key, *self.covariance(Xq), num_samples)

    @classmethod
    def condition(cls, kernel, X, y, mask, noise, mean=None, params: dict | None = None) -> "GPPosterior":
        """The posterior of ``kernel`` given ``X: [n, d]``, ``y: [n]`` (real rows where ``mask: [n]``),
        the ``noise`` variance and a constant ``mean`` (``None`` for 0); ``scale`` 1."""
        mean = jnp.zeros((), X.dtype) if mean is None else mean
        L = jittered_cholesky(masked_gram(kernel, X, mask, noise))
        alpha = jax.scipy.linalg.cho_solve((L, True), jnp.where(mask, y - mean, 0.0))
        return cls(kernel, X, mask, L, alpha, mean, noise, jnp.ones((), X.dtype), params)

    def loo(self, y: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Closed-form leave-one-out mean and variance of latent f at each training row, given ``y: [n]``.

        Rasmussen & Williams eq. 5.12: the predictive of ``yᵢ`` from the other rows has mean
        ``yᵢ − αᵢ / [K⁻¹]ᵢᵢ`` and variance ``1 / [K⁻¹]ᵢᵢ`` (``K`` the noisy Gram, hyperparameters
        held at their fitted values); less the noise, that is latent f's. Times ``scale`` (exact
        for a GP; for the Student-t process, the full data's scale factor). ``y`` is the
        training targets the posterior was fitted on. Padded rows give NaN. Shapes ``[n]``, ``[n]``.
        """
        eye = jnp.eye(self.L.shape[0], dtype=self.L.dtype)
        K_inv_diag = jnp.diag(jax.scipy.linalg.cho_solve((self.L, True), eye))
        mean = y - self.alpha / K_inv_diag
        var = self.scale * jnp.maximum(1.0 / K_inv_diag - self.noise, 1e-12)
        return jnp.where(self.mask, mean, jnp.nan), jnp.where(self.mask, var, jnp.nan)
