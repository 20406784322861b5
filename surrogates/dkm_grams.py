"""Gram matrices of a deep kernel machine: the learned chain on one point set, and the conditional of others.

Shared by the exact DKM (the point set is the training inputs) and the inducing-point
DKM (the point set is the learned inducing inputs ``Z``); DESIGN.md §7 and Yang et al.,
"A theory of representation learning gives a deep generalisation of kernel methods"
(ICML 2023), §4 (prediction) and the sparse-DKM appendix.

Notation, per layer ℓ = 1 … L, on the point set ``i`` (n points, ``mask`` marks the real ones):
``K_ii = K(G_{ℓ−1})`` is the NNGP layer map of the previous Gram, ``chol_K = chol(K_ii)``
and ``G_ℓ = (chol_K A)(chol_K A)ᵀ`` with ``A`` lower-triangular with a positive diagonal.
Another set ``t`` (test points, or training points of a sparse DKM) follows the Gaussian
conditional of the features given those on ``i``: with the whitened cross-covariance
``W = K_ti L⁻ᵀ`` (``L = chol_K``, rows ``‖w_t‖² ≤ K_tt``),

    G_ti = K_ti K_ii⁻¹ G_ii = W (A Aᵀ Lᵀ),   G_tt = K_tt − W Wᵀ + W A Aᵀ Wᵀ = K_tt + W (A Aᵀ − I) Wᵀ.

Forming ``P = L⁻ᵀ``, ``E = A Aᵀ − I`` and ``F = A Aᵀ Lᵀ`` once on the n × n side, a layer costs the
m × n layer map and three m × n × n products (``W``, then ``W F`` and ``W E`` for the diagonal via
``row_quadratic``): few passes over the m × n matrices, which dominate a sparse fit (m = 10⁴
training points against n = 128 inducing points). The whitening keeps the rounding of
``G_tt`` at ε·K_tt: written as ``K_ti D K_it`` with ``D = K⁻¹(G − K)K⁻¹`` it would be ε·cond(K)·K_tt,
which at cond(K) ≈ 10⁸ made the last Gram indefinite. ``E`` vanishes at the NNGP (A = I),
so the conditional is then exactly the prior.

The other half of a sparse step is the layer map of the m × n cross block. For ReLU it is
``relu_cross``, the arc-cosine map of ``kernels.layer_map`` with its gradient written out
(three elementwise passes instead of autodiff's dozen; 5× faster at m × n = 10⁴ × 128).
"""

import math

import jax
import jax.numpy as jnp

from .kernels import input_layer, layer_map
from .kernels.layer_maps import _EDGE
from .linalg import jittered_cholesky

# Maclaurin coefficients of arcsin(s)/s in t = s²: (2k)! / (4^k (k!)² (2k + 1)). On s ≤ ½ (t ≤ ¼) the
# 26th term is below 2e-18 of the first, so 26 terms give arcsin to rounding.
_ASIN_SERIES = tuple(math.comb(2 * k, k) / (4**k * (2 * k + 1)) for k in range(26))


def arccos(x: jax.Array) -> jax.Array:
    """``arccos(x)`` for ``x ∈ [−1, 1]``, to a few ulp, as polynomial arithmetic.

    XLA's float64 ``acos`` on CPU (via ``atan2``) costs ≈ 25 ns an element, twenty times a
    26-term Horner series, and it dominated the sparse DKM's layer maps. With ``a = |x|``:
    ``arccos a = π/2 − arcsin a`` for ``a ≤ ½`` and ``2 arcsin √((1 − a)/2)`` above (``1 − a`` is
    exact there), so the series only ever sees ``s ≤ ½``; ``arccos x = π − arccos a`` for ``x < 0``.
    """
    a = jnp.abs(x)
    small = a <= 0.5
    s = jnp.where(small, a, jnp.sqrt(0.5 * (1.0 - a)))
    t = s * s
    series = _ASIN_SERIES[-1]
    for coefficient in reversed(_ASIN_SERIES[:-1]):
        series = series * t + coefficient
    arcsin_s = s * series
    acos_a = jnp.where(small, 0.5 * jnp.pi - arcsin_s, 2.0 * arcsin_s)
    return jnp.where(x < 0, jnp.pi - acos_a, acos_a)


@jax.custom_vjp
def relu_cross(k12: jax.Array, k11: jax.Array, k22: jax.Array, weight_var, bias_var) -> jax.Array:
    """``kernels.layer_map``'s ReLU cross block ``σ_b² + σ_w²/(2π) √(k₁₁k₂₂) J(cos θ)``: ``[n1, n2]``.

    ``k12: [n1, n2]``, ``k11: [n1]``, ``k22: [n2]``; ``J(c) = √(1 − c²) + (π − arccos c) c`` (Cho & Saul
    2009). Closed-form gradient: ``J'(c) = π − arccos c``, and since ``J − c J' = √(1 − c²)``,
    ``∂/∂k₁₁ = σ_w²/(4π) √(k₁₁k₂₂) sin θ / k₁₁``. ``J`` is C¹ on [−1, 1], so unlike autodiff through
    the clamp (which zeroes it) the gradient stays ``J'`` where rounding puts ``cos θ`` at ±1, as
    it does for a training point that is also an inducing point.
    """
    return _relu_cross_fwd(k12, k11, k22, weight_var, bias_var)[0]


def _relu_cross_fwd(k12, k11, k22, weight_var, bias_var):
    norm = jnp.sqrt(k11[:, None] * k22[None, :])
    cos = jnp.clip(k12 / norm, -1.0 + _EDGE, 1.0 - _EDGE)
    slope = jnp.pi - arccos(cos)  # J'(cos θ) = π − θ
    norm_sin = norm * jnp.sqrt(1 - cos * cos)
    J = (norm_sin + norm * slope * cos) / (2 * jnp.pi)
    return bias_var + weight_var * J, (slope, norm_sin, J, k11, k22, weight_var)


def _relu_cross_bwd(res, g):
    slope, norm_sin, J, k11, k22, weight_var = res
    a = g * weight_var / (2 * jnp.pi)
    b = a * norm_sin
    return a * slope, jnp.sum(b, axis=1) / (2 * k11), jnp.sum(b, axis=0) / (2 * k22), jnp.sum(g * J), jnp.sum(g)


relu_cross.defvjp(_relu_cross_fwd, _relu_cross_bwd)


def cross_map(k12, k11, k22, weight_var, bias_var, activation: str):
    """``kernels.layer_map`` less the NTK term: ``(k12' [n1, n2], k11' [n1], k22' [n2])``; ReLU by ``relu_cross``."""
    if activation != "relu":
        return layer_map(k12, k11, k22, weight_var, bias_var, activation)[:3]
    # On the diagonal θ = 0, so the expectation is k/2 exactly (as in layer_map).
    diag11, diag22 = bias_var + weight_var * k11 / 2, bias_var + weight_var * k22 / 2
    return relu_cross(k12, k11, k22, weight_var, bias_var), diag11, diag22


def masked(K: jax.Array, mask: jax.Array) -> jax.Array:
    """``K: [n, n]`` on real rows; padded rows and columns become those of the identity."""
    m = mask.astype(K.dtype)
    return K * m[:, None] * m[None, :] + jnp.diag(1.0 - m)


def lower_factor(raw: dict, mask: jax.Array) -> jax.Array:
    """``A: [n, n]`` lower-triangular with diagonal ``exp(log_diag)``; no real–padded entries.

    ``raw = {"strict": [n, n], "log_diag": [n]}``. Zeroing the real–padded entries keeps
    ``G`` block diagonal, so padding rows neither feed the real block nor contribute to
    the KL (their block stays at its optimum, I).
    """
    same = mask[:, None] == mask[None, :]
    return jnp.where(same, jnp.tril(raw["strict"], -1), 0.0) + jnp.diag(jnp.exp(raw["log_diag"]))


def gram_chain(X: jax.Array, mask: jax.Array, grams: list[dict], weight_var, bias_var, activation: str):
    """The learned Grams on ``X: [n, d]``: ``G_0 = K⁰(X)``, then ``G_ℓ = (chol_K A_ℓ)(chol_K A_ℓ)ᵀ``.

    Returns ``(chols, As, diags, G_L, kls)``: per layer ``chol_K: [n, n]`` and ``A: [n, n]``, the
    diagonals ``[n]`` of ``G_0 … G_L``, the last Gram ``G_L: [n, n]`` (padded block I) and the
    KL terms ``KL(N(0, G_ℓ) ‖ N(0, K(G_{ℓ−1})))`` (DESIGN.md §7).
    """
    G = masked(input_layer(X, X, weight_var, bias_var)[0], mask)
    chols, As, diags, kls = [], [], [jnp.diag(G)], []
    for raw in grams:
        d = jnp.diag(G)
        K = masked(layer_map(G, d, d, weight_var, bias_var, activation)[0], mask)
        L = jittered_cholesky(K)
        A = lower_factor(raw, mask)
        LA = L @ A
        # Masking fixes the padded block at I, so the likelihood's log-det never pulls on it.
        G = masked(LA @ LA.T, mask)
        # KL(N(0, L A Aᵀ Lᵀ) ‖ N(0, L Lᵀ)) = ½[tr(A Aᵀ) − log|A Aᵀ| − n]: measured relative to the
        # prior's factor it is independent of the earlier layers; padded blocks add 0 at A = I.
        kls.append(0.5 * (jnp.sum(A**2) - 2 * jnp.sum(raw["log_diag"]) - A.shape[0]))
        chols.append(L)
        As.append(A)
        diags.append(jnp.diag(G))
    return chols, As, diags, G, kls


def conditional_maps(chol_K: jax.Array, A: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``P = L⁻ᵀ``, ``E = A Aᵀ − I`` and ``F = A Aᵀ Lᵀ``, each ``[L, n, n]``, from ``chol_K = L``, ``A: [L, n, n]``.

    ``W = K_ti P``, ``G_ti = W F`` and ``G_tt = K_tt + W E Wᵀ`` (``condition_layer``). Padded blocks
    (``L = A = I`` there) give ``P = F = I`` and ``E = 0``.
    """
    eye = jnp.eye(A.shape[-1], dtype=A.dtype)

    def one(L, A):
        L_inv = jax.scipy.linalg.solve_triangular(L, eye, lower=True)
        AAt = A @ A.T
        AAt = 0.5 * (AAt + AAt.T)  # exactly symmetric, as row_quadratic assumes
        return L_inv.T, AAt - eye, AAt @ L.T

    # A loop, not vmap: the batched LAPACK triangular solve ran 10× slower than three single ones.
    P, E, F = zip(*(one(chol_K[i], A[i]) for i in range(A.shape[0])), strict=True)
    return jnp.stack(P), jnp.stack(E), jnp.stack(F)


@jax.custom_vjp
def row_quadratic(K: jax.Array, D: jax.Array) -> jax.Array:
    """``diag(K D Kᵀ): [m]`` for ``K: [m, n]`` and a symmetric ``D: [n, n]``.

    The gradient ``∂/∂K = 2 ḡ ⊙ (K D)`` reuses the forward product, where autodiff would form
    ``(ḡ ⊙ K) Dᵀ``: one m × n × n product fewer per layer.
    """
    return jnp.sum((K @ D) * K, axis=1)


def _row_quadratic_fwd(K, D):
    KD = K @ D
    return jnp.sum(KD * K, axis=1), (K, KD)


def _row_quadratic_bwd(res, g):
    K, KD = res
    return 2 * g[:, None] * KD, (g[:, None] * K).T @ K


row_quadratic.defvjp(_row_quadratic_fwd, _row_quadratic_bwd)


@jax.custom_vjp
def gram(K: jax.Array) -> jax.Array:
    """``Kᵀ K: [n, n]`` for ``K: [m, n]``; gradient ``K (ḡ + ḡᵀ)``, one product where autodiff takes two."""
    return K.T @ K


def _gram_fwd(K):
    return K.T @ K, K


def _gram_bwd(K, g):
    return (K @ (g + g.T),)


gram.defvjp(_gram_fwd, _gram_bwd)


def condition_layer(K_ti: jax.Array, K_tt: jax.Array, P: jax.Array, E: jax.Array, F: jax.Array, *, full: bool):
    """``G_ti = W F: [m, n]`` and ``G_tt = K_tt + W E Wᵀ`` (``[m, m]`` if ``full``, else ``[m]``), ``W = K_ti P``."""
    W = K_ti @ P
    return W @ F, K_tt + (W @ E @ W.T if full else row_quadratic(W, E))


def last_layer_prior(
    Xq: jax.Array,
    X: jax.Array,
    mask: jax.Array,
    maps: tuple[jax.Array, jax.Array, jax.Array],
    diag_G: jax.Array,
    weight_var,
    bias_var,
    activation: str,
    *,
    full: bool,
) -> tuple[jax.Array, jax.Array]:
    """The last layer's prior ``K(G_{L−1})`` between ``Xq: [m, d]`` and ``X: [n, d]``, ``[m, n]``, and
    among ``Xq`` (``[m, m]`` if ``full``, else its diagonal ``[m]``: a variance per point is all a
    layer map needs, so a sparse fit never forms an m × m matrix).

    Conditions on the Grams of ``X`` (``mask: [n]``; ``maps = (P, E, F)``, each ``[L, n, n]``, from
    ``conditional_maps``, of which layers 1 … L−1 are used, and ``diag_G: [L + 1, n]`` from ``gram_chain``).
    """
    m = mask.astype(Xq.dtype)

    def prior(g_ti, g_tt, diag_i):
        d_t = jnp.diag(g_tt) if full else g_tt
        # G_tt ≥ 0 exactly; the floor only keeps rounding from putting a zero under the map's √.
        d_t = jnp.maximum(d_t, 1e-12 * jnp.mean(diag_i))
        K_ti, K_tt, _ = cross_map(g_ti, d_t, diag_i, weight_var, bias_var, activation)
        if full:
            K_tt = cross_map(g_tt, d_t, d_t, weight_var, bias_var, activation)[0]
        return K_ti * m[None, :], K_tt

    g_ti, g_tt, _ = input_layer(Xq, X, weight_var, bias_var)
    if full:
        g_tt = input_layer(Xq, Xq, weight_var, bias_var)[0]
    K_ti, K_tt = prior(g_ti, g_tt, diag_G[0])
    for layer in range(1, diag_G.shape[0] - 1):
        conditioned = condition_layer(K_ti, K_tt, *(a[layer - 1] for a in maps), full=full)
        K_ti, K_tt = prior(*conditioned, diag_G[layer])
    return K_ti, K_tt
