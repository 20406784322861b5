"""Deep kernel machine surrogate, exact version (registered as ``"dkm"``; DESIGN.md §7).

Yang, Robeyns, Milsom, Anson, Schoots & Aitchison, "A theory of representation
learning gives a deep generalisation of kernel methods" (ICML 2023). The infinitely
wide network's hidden layers are represented by learned Gram matrices
``G_1 … G_L`` of the training inputs; ``G_0 = K⁰`` is the input layer and
``K(G)`` is the NNGP layer map (``kernels.layer_map``) applied to a Gram matrix.
The DKM objective is

    log N(y; 0, G_L + σ²I) − Σ_ℓ ν_ℓ KL(N(0, G_ℓ) ‖ N(0, K(G_{ℓ−1}))).

As ν → ∞ every ``G_ℓ = K(G_{ℓ−1})`` and the model is the NNGP (``ibnn``); finite ν
lets the representation adapt to the data.

Parameterisation: ``G_ℓ = V Vᵀ`` with ``V = chol(K(G_{ℓ−1})) A_ℓ`` and ``A_ℓ``
lower-triangular with a positive (exp) diagonal, so ``V`` is lower-triangular and
starts at ``chol(K(G_{ℓ−1}))`` (``A = I``). Measuring ``V`` relative to the prior's
factor makes the KL ``½[tr(AAᵀ) − log|AAᵀ| − n]`` independent of the earlier
layers, so the objective's curvature is ≈ ν I in every layer: L-BFGS then converges
for ν = 1 and ν = 10⁸ alike, where a raw ``V`` would be ill conditioned by ``K``.

Prediction (Yang et al. §4, the Gaussian conditional of the features): layer by
layer, with ``K = K(G_{ℓ−1})`` on train (i) and test (t) points and ``W = K_ti chol(K_ii)⁻ᵀ``,
``G_ti = W A (chol(K_ii) A)ᵀ`` (= K_ti K_ii⁻¹ G_ii) and
``G_tt = K_tt − W Wᵀ + (W A)(W A)ᵀ``; then the GP conditional on ``G_L``.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

from .kernel_gp import KernelGP
from .kernels import input_layer, layer_map
from .linalg import gaussian_quad_logdet, jittered_cholesky
from .optim import lbfgs_minimize
from .registry import register


def _masked(K: jax.Array, mask: jax.Array) -> jax.Array:
    """``K: [n, n]`` on real rows; padded rows and columns become those of the identity."""
    m = mask.astype(K.dtype)
    return K * m[:, None] * m[None, :] + jnp.diag(1.0 - m)


def _lower(raw: dict, mask: jax.Array) -> jax.Array:
    """``A: [n, n]`` lower-triangular with diagonal ``exp(log_diag)``; no real–padded entries.

    Zeroing the real–padded entries keeps ``G`` block diagonal, so padding rows neither
    feed the real block nor contribute to the KL (their block stays at its optimum, I).
    """
    same = mask[:, None] == mask[None, :]
    return jnp.where(same, jnp.tril(raw["strict"], -1), 0.0) + jnp.diag(jnp.exp(raw["log_diag"]))


class DKMPosterior(eqx.Module):
    """Fitted DKM. ``X: [n, d]``, ``mask: [n]``, per layer ``chol_K: [L, n, n]`` (of ``K(G_{ℓ−1})``),
    ``A: [L, n, n]``, ``diag_G: [L + 1, n]`` (the train Gram diagonals ``G_0 … G_L``), then the
    output GP's ``L_out: [n, n] = chol(G_L + σ²I)`` and ``alpha: [n]``.
    """

    X: jax.Array
    mask: jax.Array
    chol_K: jax.Array
    A: jax.Array
    diag_G: jax.Array
    L_out: jax.Array
    alpha: jax.Array
    weight_var: jax.Array
    bias_var: jax.Array
    noise: jax.Array
    activation: str = eqx.field(static=True)

    def _test_grams(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """``G_L`` between test and train ``[m, n]`` and among test points ``[m, m]``."""
        wv, bv, m = self.weight_var, self.bias_var, self.mask.astype(Xq.dtype)
        g_ti, d_t, _ = input_layer(Xq, self.X, wv, bv)
        g_tt, _, _ = input_layer(Xq, Xq, wv, bv)
        for layer in range(self.A.shape[0]):
            d_i = self.diag_G[layer]
            K_ti = layer_map(g_ti, d_t, d_i, wv, bv, self.activation)[0] * m[None, :]
            K_tt = layer_map(g_tt, d_t, d_t, wv, bv, self.activation)[0]
            W = jax.scipy.linalg.solve_triangular(self.chol_K[layer], K_ti.T, lower=True).T
            WA = W @ self.A[layer]
            g_ti = WA @ (self.chol_K[layer] @ self.A[layer]).T
            g_tt = K_tt - W @ W.T + WA @ WA.T
            d_t = jnp.diag(g_tt)
        return g_ti, 0.5 * (g_tt + g_tt.T)

    def covariance(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and joint posterior covariance ``[m, m]`` of f at ``Xq: [m, d]``."""
        g_ti, g_tt = self._test_grams(Xq)
        v = jax.scipy.linalg.solve_triangular(self.L_out, g_ti.T, lower=True)
        cov = g_tt - v.T @ v
        return g_ti @ self.alpha, 0.5 * (cov + cov.T)

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]``."""
        mean, cov = self.covariance(Xq)
        return mean, jnp.maximum(jnp.diag(cov), 1e-12)

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``, reparameterised by ``key``."""
        mean, cov = self.covariance(Xq)
        z = jax.random.normal(key, (Xq.shape[0], num_samples), dtype=Xq.dtype)
        return (mean[:, None] + jittered_cholesky(cov) @ z).T


@register("dkm")
@dataclasses.dataclass(frozen=True)
class DKM(KernelGP):
    """Exact deep kernel machine; ``KernelGP``'s options (``depth`` = number of learned Grams) plus:

    Args:
        nu: the KL weight ν_ℓ, one float for every layer or a tuple of ``depth`` floats;
            ν → ∞ gives the NNGP.
        max_steps: L-BFGS iterations (Grams, and the variances and noise if ``learn``).
    """

    nu: float | tuple[float, ...] = 1.0
    max_steps: int = 200

    def __post_init__(self):
        super().__post_init__()
        nus = self.nu if isinstance(self.nu, tuple) else (self.nu,) * self.depth
        if len(nus) != self.depth or not all(v > 0 for v in nus):
            raise ValueError(f"nu must be positive, a float or a tuple of depth={self.depth} floats; got {self.nu!r}")
        if self.depth < 1:
            raise ValueError(f"depth must be at least 1 for a DKM, got {self.depth}")

    def _nus(self) -> tuple[float, ...]:
        return self.nu if isinstance(self.nu, tuple) else (self.nu,) * self.depth

    def init_grams(self, n: int) -> list[dict]:
        """``A_ℓ = I`` for every layer: ``G_ℓ`` starts at ``K(G_{ℓ−1})``, the NNGP."""
        return [{"strict": jnp.zeros((n, n)), "log_diag": jnp.zeros(n)} for _ in range(self.depth)]

    def _train_grams(self, hyper: dict, grams: list[dict], X, mask):
        """Propagate the train Grams; returns per layer ``chol_K``, ``A``, the diagonals, ``G_L`` and the KL terms."""
        wv, bv = jnp.exp(hyper["log_weight_var"]), jnp.exp(hyper["log_bias_var"])
        G = _masked(input_layer(X, X, wv, bv)[0], mask)
        chols, As, diags, kls = [], [], [jnp.diag(G)], []
        for raw in grams:
            d = jnp.diag(G)
            K = _masked(layer_map(G, d, d, wv, bv, self.activation)[0], mask)
            L = jittered_cholesky(K)
            A = _lower(raw, mask)
            LA = L @ A
            # Masking fixes the padded block at I, so the likelihood's log-det never pulls on it.
            G = _masked(LA @ LA.T, mask)
            # KL(N(0, L A Aᵀ Lᵀ) ‖ N(0, L Lᵀ)) = ½[tr(A Aᵀ) − log|A Aᵀ| − n]; padded blocks add 0 at A = I.
            kls.append(0.5 * (jnp.sum(A**2) - 2 * jnp.sum(raw["log_diag"]) - A.shape[0]))
            chols.append(L)
            As.append(A)
            diags.append(jnp.diag(G))
        return chols, As, diags, G, kls

    def objective(self, params: dict, X, y, mask) -> jax.Array:
        """The DKM objective ``log N(y; 0, G_L + σ²I) − Σ ν_ℓ KL_ℓ`` (the quantity maximised)."""
        *_, G, kls = self._train_grams(params["hyper"], params["grams"], X, mask)
        noise = self.noise_var(params["hyper"])
        m = mask.astype(X.dtype)
        n = jnp.sum(mask)
        resid = jnp.where(mask, y, 0.0)
        log_lik = -gaussian_quad_logdet(G + jnp.diag(m * noise), resid) - 0.5 * n * jnp.log(2 * jnp.pi)
        return log_lik - sum(nu * kl for nu, kl in zip(self._nus(), kls, strict=True))

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        return -self.objective(params, X, y, mask) / jnp.sum(mask)

    def fit_params(self, X, y, mask) -> dict:
        """The optimised ``{"hyper": ..., "grams": [...]}``; only the Grams move unless ``learn``. Traceable."""
        hyper, grams = self.init_params(), self.init_grams(X.shape[0])
        if self.learn:
            params = {"hyper": hyper, "grams": grams}
            return lbfgs_minimize(lambda p: self.loss(p, X, y, mask), params, max_steps=self.max_steps)
        loss = lambda g: self.loss({"hyper": hyper, "grams": g}, X, y, mask)  # noqa: E731
        return {"hyper": hyper, "grams": lbfgs_minimize(loss, grams, max_steps=self.max_steps)}

    def condition(self, params: dict, X, y, mask) -> DKMPosterior:
        hyper = params["hyper"]
        chols, As, diags, G, _ = self._train_grams(hyper, params["grams"], X, mask)
        noise = self.noise_var(hyper)
        m = mask.astype(X.dtype)
        L_out = jittered_cholesky(G + jnp.diag(m * noise))
        alpha = jax.scipy.linalg.cho_solve((L_out, True), jnp.where(mask, y, 0.0))
        wv, bv = jnp.exp(hyper["log_weight_var"]), jnp.exp(hyper["log_bias_var"])
        return DKMPosterior(
            X, mask, jnp.stack(chols), jnp.stack(As), jnp.stack(diags), L_out, alpha, wv, bv, noise, self.activation
        )
