"""Inducing-point deep kernel machine: the pieces that are linear in the number of training points.

Yang et al., "A theory of representation learning gives a deep generalisation of kernel
methods" (ICML 2023), sparse-DKM appendix; the same scheme as Milsom et al., "Convolutional
deep kernel machines" (2023). Only the Grams of ``M`` learned inducing inputs ``Z`` are free
parameters, ``G_ℓ^{ii} = (chol K(G_{ℓ−1}^{ii}) A_ℓ)(…)ᵀ`` as in the exact DKM; the training and
test points follow the Gaussian conditional on the inducing features (``dkm_grams``), so
``G_ti = K_ti K_ii⁻¹ G_ii`` costs O(n M²) per layer. The objective is

    F = log N(y; 0, Q + σ²I) − tr(G_tt − Q) / 2σ² − Σ_ℓ ν_ℓ KL(N(0, G_ℓ^{ii}) ‖ N(0, K(G_{ℓ−1}^{ii}))),

``Q = G_ti G_ii⁻¹ G_it = Φ Φᵀ``: the collapsed bound of Titsias, "Variational learning of
inducing variables in sparse Gaussian processes" (AISTATS 2009, eq. 9) on the last layer,
with the KL of the inducing Grams as in the exact DKM. With every training point an
inducing point, ``Q = G_tt`` and ``F`` is the exact DKM objective.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from .dkm_grams import gram, last_layer_prior
from .linalg import jittered_cholesky


def farthest_point_subset(X: jax.Array, mask: jax.Array, num: int) -> tuple[jax.Array, jax.Array]:
    """``num`` rows of ``X: [n, d]`` spread over the data: inducing inputs ``Z: [num, d]`` and their mask.

    Greedy farthest-point traversal over the real rows (Gonzalez 1985, a 2-approximation of
    the k-centre cover), deterministic, O(n d) per pick. The chosen rows keep their order in
    ``X``, so ``num = n`` gives ``Z = X``. When fewer than ``num`` rows are real, the surplus
    slots are masked out (``zmask: [num]`` False) and act like padding rows.
    """
    n = X.shape[0]
    sq = jnp.sum(X**2, axis=1)

    def pick(i, carry):
        chosen, dist = carry
        j = jnp.argmax(dist)
        chosen = chosen.at[j].set(True)
        d_j = jnp.maximum(sq - 2 * X @ X[j] + sq[j], 0.0)
        # Padding rows stay at −∞ and chosen rows at −1, so every real row (duplicates included,
        # at distance 0) is chosen once before any row is chosen twice: min(num, #real) distinct rows.
        dist = jnp.where(chosen, -1.0, jnp.minimum(dist, d_j))
        return chosen, jnp.where(mask, dist, -jnp.inf)

    first_dist = jnp.where(mask, jnp.inf, -jnp.inf)  # the first pick is the first real row
    chosen, _ = jax.lax.fori_loop(0, num, pick, (jnp.zeros(n, bool), first_dist))
    index = jnp.argsort(~chosen, stable=True)[:num]
    return X[index], inducing_mask(mask, num)


def inducing_mask(mask: jax.Array, num: int) -> jax.Array:
    """``[num]``: the first ``min(num, #real rows)`` inducing slots are used (``farthest_point_subset``'s order)."""
    return jnp.arange(num) < jnp.sum(mask)


def whitened_features(K_ti: jax.Array, K_tt: jax.Array, P: jax.Array, A: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``Φ = W A: [m, M]`` and the Nyström residual ``K_tt − W Wᵀ`` of the last layer, ``W = K_ti P``.

    ``K_ti: [m, M]`` and ``K_tt`` (``[m, m]`` or its diagonal ``[m]``, and so the residual) are the
    last layer's prior (``last_layer_prior``); ``P = L⁻ᵀ`` (``conditional_maps``) and ``A: [M, M]``
    its inducing factor. ``G_ti = Φ (L A)ᵀ`` and ``G_ii = (L A)(L A)ᵀ``, so ``Q = G_ti G_ii⁻¹ G_it =
    Φ Φᵀ`` and ``G_tt − Q = K_tt − W Wᵀ``.
    """
    W = K_ti @ P
    if K_tt.ndim == 2:
        return W @ A, K_tt - W @ W.T
    # K_tt − ‖w‖² ≥ 0 in exact arithmetic; the clamp only removes rounding below zero.
    return W @ A, jnp.maximum(K_tt - jnp.sum(W**2, axis=1), 0.0)


def titsias_bound(K_ti, K_tt, r, noise, mask, P, A) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``log N(r; 0, Φ Φᵀ + σ²I) − tr(G_tt − Φ Φᵀ) / 2σ²`` over real rows (Titsias 2009, eq. 9).

    ``K_ti: [n, M]``, ``K_tt: [n]``, ``P``, ``A: [M, M]`` as in ``whitened_features``; ``r: [n]`` the
    targets, ``mask: [n]``. The bound needs the training points only through ``WᵀW``, ``Wᵀr`` and
    ``tr(K_tt − W Wᵀ)``, with ``ΦᵀΦ = Aᵀ(WᵀW)A``: two O(n M²) products and three for the gradient.
    ``WᵀW`` is formed from ``W``, not as ``L⁻¹(K_itK_ti)L⁻ᵀ``, which squares cond(L) in its rounding.
    Woodbury with ``B = I + ΦᵀΦ/σ²`` (Rasmussen & Williams 2006, A.9–A.10): ``log|ΦΦᵀ + σ²I| =
    n log σ² + log|B|``; ``B ⪰ I``, so its Cholesky needs no jitter. Returns the bound, ``chol(B)``
    and ``c = B⁻¹Φᵀr/σ²`` (the mean of the whitened inducing outputs, for prediction).
    """
    m = mask.astype(K_ti.dtype)
    W, r = (K_ti * m[:, None]) @ P, r * m
    n = jnp.sum(m)
    PtP = A.T @ gram(W) @ A
    Ptr = A.T @ (r @ W)  # r @ W: no transposed copy of W
    L_B = jnp.linalg.cholesky(jnp.eye(A.shape[0], dtype=A.dtype) + 0.5 * (PtP + PtP.T) / noise)
    b = jax.scipy.linalg.solve_triangular(L_B, Ptr, lower=True) / noise
    quad = (r @ r) / noise - b @ b
    logdet = n * jnp.log(noise) + 2 * jnp.sum(jnp.log(jnp.diag(L_B)))
    trace = jnp.sum(K_tt * m) - jnp.sum(W**2)
    bound = -0.5 * (quad + logdet + n * jnp.log(2 * jnp.pi)) - 0.5 * trace / noise
    c = jax.scipy.linalg.solve_triangular(L_B.T, b, lower=False)
    return bound, L_B, c


class SparseDKMPosterior(eqx.Module):
    """Fitted inducing-point DKM. ``Z: [M, d]``, ``zmask: [M]``, per layer ``P``, ``E``, ``F: [L, M, M]``
    (``dkm_grams.conditional_maps``) and ``diag_G: [L + 1, M]`` (inducing Gram diagonals), the last
    layer's factor ``A: [M, M]``, then ``L_B: [M, M] = chol(B)`` and ``c: [M]`` (``titsias_bound``):
    the whitened inducing outputs are ``v ~ N(c, B⁻¹)``.

    At test points ``f = Φ v + e`` with ``e ~ N(0, K_tt − W Wᵀ)`` independent of ``v``, so the
    mean is ``Φ c`` and the covariance ``(K_tt − W Wᵀ) + Φ B⁻¹ Φᵀ`` (Titsias 2009, eq. 6).
    """

    Z: jax.Array
    zmask: jax.Array
    P: jax.Array
    E: jax.Array
    F: jax.Array
    diag_G: jax.Array
    A: jax.Array
    L_B: jax.Array
    c: jax.Array
    weight_var: jax.Array
    bias_var: jax.Array
    noise: jax.Array
    activation: str = eqx.field(static=True)

    def _features(self, Xq: jax.Array, full: bool):
        maps, variances = (self.P, self.E, self.F), (self.weight_var, self.bias_var)
        K_ti, K_tt = last_layer_prior(Xq, self.Z, self.zmask, maps, self.diag_G, *variances, self.activation, full=full)
        phi, resid = whitened_features(K_ti, K_tt, self.P[-1], self.A)
        return phi, resid, jax.scipy.linalg.solve_triangular(self.L_B, phi.T, lower=True)

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]``; O(m M²), no m × m matrix."""
        phi, resid, v = self._features(Xq, full=False)
        return phi @ self.c, jnp.maximum(resid + jnp.sum(v**2, axis=0), 1e-12)

    def covariance(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and joint posterior covariance ``[m, m]`` of f at ``Xq: [m, d]``."""
        phi, resid, v = self._features(Xq, full=True)
        cov = resid + v.T @ v
        return phi @ self.c, 0.5 * (cov + cov.T)

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``, reparameterised by ``key``."""
        mean, cov = self.covariance(Xq)
        z = jax.random.normal(key, (Xq.shape[0], num_samples), dtype=Xq.dtype)
        return (mean[:, None] + jittered_cholesky(cov) @ z).T
