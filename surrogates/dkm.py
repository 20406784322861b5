"""Deep kernel machine surrogate, exact and inducing-point (registered as ``"dkm"``; DESIGN.md §7).

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
layer, ``G_ti = K_ti K_ii⁻¹ G_ii`` and ``G_tt = K_tt − K_ti K_ii⁻¹ K_it + K_ti K_ii⁻¹ G_ii K_ii⁻¹ K_it``
(``dkm_grams.conditional_features``); then the GP conditional on ``G_L``.

The exact DKM costs O(n³) per step and O(n²) parameters per layer. With ``num_inducing``
the Grams are learned on M inducing inputs only and the training points, too, follow the
conditional above: O(n M²) per step (``dkm_sparse``; Yang et al.'s sparse DKM).
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

from .dkm_grams import condition_layer, conditional_maps, gram_chain, last_layer_prior
from .dkm_sparse import SparseDKMPosterior, farthest_point_subset, inducing_mask, titsias_bound
from .gp_posterior import joint_draws
from .kernel_gp import KernelGP
from .linalg import gaussian_quad_logdet, jittered_cholesky
from .optim import lbfgs_minimize
from .registry import register

# ``num_inducing="auto"``: exact up to this many (padded) training rows. Beyond it the exact
# DKM's O(n³) steps and n² parameters per layer no longer fit a BO iteration on a CPU.
AUTO_MAX_EXACT = 2000
# ``num_inducing="auto"`` above ``AUTO_MAX_EXACT`` rows: the benchmark's 128 inducing points
# fit n = 10,000 in well under a minute on 2 CPU cores (benchmarks/dkm_sparse_scale.py).
AUTO_NUM_INDUCING = 128


class DKMPosterior(eqx.Module):
    """Fitted DKM. ``X: [n, d]``, ``mask: [n]``, per layer ``P``, ``E``, ``F: [L, n, n]``
    (``dkm_grams.conditional_maps``), ``diag_G: [L + 1, n]`` (the train Gram diagonals
    ``G_0 … G_L``), then the output GP's ``L_out: [n, n] = chol(G_L + σ²I)`` and ``alpha: [n]``.
    """

    X: jax.Array
    mask: jax.Array
    P: jax.Array
    E: jax.Array
    F: jax.Array
    diag_G: jax.Array
    L_out: jax.Array
    alpha: jax.Array
    weight_var: jax.Array
    bias_var: jax.Array
    noise: jax.Array
    activation: str = eqx.field(static=True)

    def _test_grams(self, Xq: jax.Array, full: bool) -> tuple[jax.Array, jax.Array]:
        """``G_L`` between test and train ``[m, n]`` and among test points (``[m, m]``, or ``[m]`` if not ``full``)."""
        maps, variances = (self.P, self.E, self.F), (self.weight_var, self.bias_var)
        K_ti, K_tt = last_layer_prior(Xq, self.X, self.mask, maps, self.diag_G, *variances, self.activation, full=full)
        return condition_layer(K_ti, K_tt, self.P[-1], self.E[-1], self.F[-1], full=full)

    def covariance(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and joint posterior covariance ``[m, m]`` of f at ``Xq: [m, d]``."""
        g_ti, g_tt = self._test_grams(Xq, full=True)
        v = jax.scipy.linalg.solve_triangular(self.L_out, g_ti.T, lower=True)
        cov = g_tt - v.T @ v
        return g_ti @ self.alpha, 0.5 * (cov + cov.T)

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]``."""
        g_ti, g_tt = self._test_grams(Xq, full=False)
        v = jax.scipy.linalg.solve_triangular(self.L_out, g_ti.T, lower=True)
        return g_ti @ self.alpha, jnp.maximum(g_tt - jnp.sum(v**2, axis=0), 1e-12)

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``, reparameterised by ``key``."""
        return joint_draws(key, *self.covariance(Xq), num_samples)


class CubeDKMPosterior(eqx.Module):
    """A DKM posterior read as ``kernels.CubeKernel`` reads the NNGP: inputs centred, outputs scaled.

    ``inner`` was fitted on ``X − ½`` and ``y / √out_scale``, with ``out_scale`` (a scalar) the
    output scale over the NNGP's diagonal at a typical point; f is ``√out_scale`` times its f.
    """

    inner: DKMPosterior | SparseDKMPosterior
    out_scale: jax.Array

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]``."""
        mean, var = self.inner.predict(Xq - 0.5)
        return jnp.sqrt(self.out_scale) * mean, self.out_scale * var

    def covariance(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean ``[m]`` and joint posterior covariance ``[m, m]`` of f at ``Xq: [m, d]``."""
        mean, cov = self.inner.covariance(Xq - 0.5)
        return jnp.sqrt(self.out_scale) * mean, self.out_scale * cov

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``, reparameterised by ``key``."""
        return joint_draws(key, *self.covariance(Xq), num_samples)


@register("dkm")
@dataclasses.dataclass(frozen=True)
class DKM(KernelGP):
    """Deep kernel machine; ``KernelGP``'s options (``depth`` = number of learned Grams) plus:

    Args:
        nu: the KL weight ν_ℓ, one float for every layer or a tuple of ``depth`` floats;
            ν → ∞ gives the NNGP. The Grams are point estimates, so the representation's own
            uncertainty is missing from the predictive: at n = 100, 95% coverage on hartmann6 was
            0.01 at ν = 1, 0.09 at 10, 0.81 at 100, 0.89 at 300 and 0.92 at 1000 (ackley10: 0.01,
            0.05, 0.62, 0.79, 0.85). At 1000 ackley10's held-out NLL (check_calibration) was 1.633, just
            above the know-nothing bar of 1.614; at the default 3000 it is 1.582 (coverage 0.885).
        max_steps: L-BFGS iterations (Grams, and the variances and noise if ``learn``).
        num_inducing: ``None`` for the exact DKM; an int M for the inducing-point DKM with
            ``min(M, n)`` inducing inputs; ``"auto"`` (default) for exact up to
            ``AUTO_MAX_EXACT`` training rows (padding included) and ``AUTO_NUM_INDUCING``
            inducing points above.
        learn_inducing: learn the inducing inputs (True) or keep their initial pick, a
            farthest-point subset of the training inputs (``dkm_sparse.farthest_point_subset``).
    """

    nu: float | tuple[float, ...] = 3000.0
    max_steps: int = 200
    num_inducing: int | str | None = "auto"
    learn_inducing: bool = True

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.nu, list):  # a JSON list; the model is a jit static argument
            object.__setattr__(self, "nu", tuple(self.nu))
        nus = self.nu if isinstance(self.nu, tuple) else (self.nu,) * self.depth
        if len(nus) != self.depth or not all(v > 0 for v in nus):
            raise ValueError(f"nu must be positive, a float or a tuple of depth={self.depth} floats; got {self.nu!r}")
        if self.depth < 1:
            raise ValueError(f"depth must be at least 1 for a DKM, got {self.depth}")
        M = self.num_inducing
        if isinstance(M, str):
            if M != "auto":
                raise ValueError(f"num_inducing must be None, 'auto' or a positive int; got {M!r}")
        elif M is not None:
            if isinstance(M, bool) or not isinstance(M, int):
                raise TypeError(f"num_inducing must be None, 'auto' or a positive int; got {type(M).__name__} {M!r}")
            if M < 1:
                raise ValueError(f"num_inducing must be None, 'auto' or a positive int; got {M!r}")
        if not isinstance(self.learn_inducing, bool):
            raise TypeError(f"learn_inducing must be a bool, got {self.learn_inducing!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {self.max_steps!r}")

    def _nus(self) -> tuple[float, ...]:
        return self.nu if isinstance(self.nu, tuple) else (self.nu,) * self.depth

    def inducing_count(self, n: int) -> int | None:
        """Number of inducing points for ``n`` (padded) training rows, or ``None`` for the exact DKM."""
        if self.num_inducing == "auto":
            return AUTO_NUM_INDUCING if n > AUTO_MAX_EXACT else None
        return None if self.num_inducing is None else min(self.num_inducing, n)

    def init_grams(self, n: int) -> list[dict]:
        """``A_ℓ = I`` for every layer: ``G_ℓ`` starts at ``K(G_{ℓ−1})``, the NNGP."""
        return [{"strict": jnp.zeros((n, n)), "log_diag": jnp.zeros(n)} for _ in range(self.depth)]

    def init_all(self, X, mask) -> dict:
        """Starting point ``{"hyper", "grams"}``, plus ``"inducing": Z [M, d]`` for a sparse DKM. Traceable."""
        M = self.inducing_count(X.shape[0])
        if M is None:
            return {"hyper": self.init_params(), "grams": self.init_grams(X.shape[0])}
        Z, _ = farthest_point_subset(X - 0.5, mask, M)  # inducing inputs live on the centred cube
        return {"hyper": self.init_params(), "grams": self.init_grams(M), "inducing": Z}

    def _variances(self, hyper: dict) -> tuple[jax.Array, jax.Array]:
        return jnp.exp(hyper["log_weight_var"]), jnp.exp(hyper["log_bias_var"])

    def _on_cube(self, hyper: dict, X, y):
        """``(X − ½, y / √c, noise / c, c)`` with ``c`` ``CubeKernel``'s factor (so ν → ∞ is ``ibnn``'s
        GP exactly): the DKM is fitted on these (``CubeDKMPosterior``)."""
        c = self.kernel(hyper).factor(X.shape[1], X.dtype)
        return X - 0.5, y / jnp.sqrt(c), self.noise_var(hyper) / c, c

    def _kl_penalty(self, kls: list) -> jax.Array:
        return sum(nu * kl for nu, kl in zip(self._nus(), kls, strict=True))

    def _sparse_parts(self, params: dict, X, y, mask, noise):
        """A sparse DKM at ``params``: the inducing-side arrays of ``SparseDKMPosterior``, the KL terms
        and ``titsias_bound``'s ``(bound, L_B, c)``."""
        wv, bv = self._variances(params["hyper"])
        Z = params["inducing"]
        zmask = inducing_mask(mask, Z.shape[0])
        chols, As, diags, _, kls = gram_chain(Z, zmask, params["grams"], wv, bv, self.activation)
        maps = conditional_maps(jnp.stack(chols), jnp.stack(As))
        diag_G = jnp.stack(diags)
        K_ti, K_tt = last_layer_prior(X, Z, zmask, maps, diag_G, wv, bv, self.activation, full=False)
        bound = titsias_bound(K_ti, K_tt, jnp.where(mask, y, 0.0), noise, mask, maps[0][-1], As[-1])
        return (Z, zmask, *maps, diag_G, As[-1]), kls, bound

    def objective(self, params: dict, X, y, mask) -> jax.Array:
        """The DKM objective, the quantity maximised: ``log N(y; 0, G_L + σ²I) − Σ ν_ℓ KL_ℓ`` (exact)
        or, when ``params`` has ``"inducing"``, Titsias's bound in place of the log-likelihood (``dkm_sparse``).
        """
        hyper, n = params["hyper"], jnp.sum(mask)
        X, y, noise, c = self._on_cube(hyper, X, y)
        # log N(y; 0, c G + σ²I) = log N(y/√c; 0, G + σ²/c I) − (n/2) log c, plus the hyperprior.
        log_scale = -0.5 * n * jnp.log(c) + (self.log_prior(hyper) if self.learn else 0.0)
        if "inducing" in params:
            _, kls, (bound, _, _) = self._sparse_parts(params, X, y, mask, noise)
            return bound - self._kl_penalty(kls) + log_scale
        wv, bv = self._variances(hyper)
        *_, G, kls = gram_chain(X, mask, params["grams"], wv, bv, self.activation)
        m = mask.astype(X.dtype)
        resid = jnp.where(mask, y, 0.0)
        log_lik = -gaussian_quad_logdet(G + jnp.diag(m * noise), resid) - 0.5 * n * jnp.log(2 * jnp.pi)
        return log_lik - self._kl_penalty(kls) + log_scale

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        return -self.objective(params, X, y, mask) / jnp.sum(mask)

    def fit_params(self, X, y, mask) -> dict:
        """The optimised parameters (``init_all``'s keys); only the Grams move unless ``learn`` /
        ``learn_inducing`` free the variances and noise / the inducing inputs. Traceable."""
        params = self.init_all(X, mask)
        free = ["grams"] + ["hyper"] * self.learn + ["inducing"] * ("inducing" in params and self.learn_inducing)
        fixed = {k: v for k, v in params.items() if k not in free}
        loss = lambda p: self.loss({**fixed, **p}, X, y, mask)  # noqa: E731
        return {**fixed, **lbfgs_minimize(loss, {k: params[k] for k in free}, max_steps=self.max_steps)}

    def condition(self, params: dict, X, y, mask) -> CubeDKMPosterior:
        hyper = params["hyper"]
        wv, bv = self._variances(hyper)
        X, y, noise, out_scale = self._on_cube(hyper, X, y)
        if "inducing" in params:
            grams, _, (_, L_B, c) = self._sparse_parts(params, X, y, mask, noise)
            return CubeDKMPosterior(SparseDKMPosterior(*grams, L_B, c, wv, bv, noise, self.activation), out_scale)
        chols, As, diags, G, _ = gram_chain(X, mask, params["grams"], wv, bv, self.activation)
        m = mask.astype(X.dtype)
        L_out = jittered_cholesky(G + jnp.diag(m * noise))
        alpha = jax.scipy.linalg.cho_solve((L_out, True), jnp.where(mask, y, 0.0))
        maps = conditional_maps(jnp.stack(chols), jnp.stack(As))
        inner = DKMPosterior(X, mask, *maps, jnp.stack(diags), L_out, alpha, wv, bv, noise, self.activation)
        return CubeDKMPosterior(inner, out_scale)
