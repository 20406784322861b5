"""One infinitely wide layer as a map on covariances (the arc-cosine / erf expectations).

A layer ``h' = σ_w φ(h) / √width + σ_b b`` with ``h ~ N(0, K)`` has, as the width
grows, covariance ``K' = σ_b² + σ_w² E[φ(u) φ(v)]`` and NTK derivative kernel
``K̇ = E[φ'(u) φ'(v)]`` (Neal 1996; Lee et al., "Deep neural networks as Gaussian
processes", ICLR 2018; Jacot et al., NeurIPS 2018). The expectations are closed form:

- ReLU, arc-cosine of order 1 (Cho & Saul 2009):
  ``E[φφ] = √(k₁₁k₂₂)(sin θ + (π − θ) cos θ) / 2π``, ``K̇ = (π − θ)/2π``, ``θ = arccos(k₁₂/√(k₁₁k₂₂))``.
- erf (Williams 1997): ``E[φφ] = (2/π) arcsin(2k₁₂ / √((1+2k₁₁)(1+2k₂₂)))``,
  ``K̇ = (4/π) / √((1+2k₁₁)(1+2k₂₂) − 4k₁₂²)``.

The map only needs the cross block ``k12: [n1, n2]`` and the two diagonals
``k11: [n1]``, ``k22: [n2]``, so it applies equally to a kernel between two input
sets and to a learned Gram matrix (the deep kernel machine).
"""

import jax.numpy as jnp

ACTIVATIONS = ("relu", "erf")

# Cosines are clamped just inside [-1, 1]: rounding pushes the diagonal of a Gram
# matrix to 1 ± ulp, where arccos is NaN, and at exactly ±1 the derivative of
# arccos is infinite, so gradients through the diagonal would be NaN. At the clamp
# θ = √(2·_EDGE) ≈ 4.5e-8, so the NTK's K̇ = (π − θ)/2π is off by ~1.4e-8 relative on
# the diagonal and the NNGP by O(θ²): both far below the 1e-6 the checks ask for.
_EDGE = 1e-15


def check_activation(activation: str) -> None:
    """Raise ``ValueError`` unless ``activation`` is one of ``ACTIVATIONS``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def input_layer(x1, x2, weight_var, bias_var):
    """The first (affine) layer: ``K⁰ = σ_b² + σ_w² x·x′/d`` as ``(k12 [n1, n2], k11 [n1], k22 [n2])``.

    The cross block is one matrix product, so memory is O(n1·n2), never O(n1·n2·d).
    """
    d = x1.shape[-1]
    k12 = bias_var + weight_var * (x1 @ x2.T) / d
    k11 = bias_var + weight_var * jnp.sum(x1**2, axis=-1) / d
    k22 = bias_var + weight_var * jnp.sum(x2**2, axis=-1) / d
    return k12, k11, k22


def layer_map(k12, k11, k22, weight_var, bias_var, activation: str):
    """One wide layer: ``(k12, k11, k22) ↦ (k12', k11', k22', kdot12)``.

    Args:
        k12: ``[n1, n2]`` covariance between the two sets' pre-activations.
        k11: ``[n1]``, k22: ``[n2]``: their variances.
        weight_var, bias_var: ``σ_w²``, ``σ_b²`` of the next layer (scalars).
        activation: ``"relu"`` or ``"erf"``.

    Returns:
        The next layer's ``k12' [n1, n2]``, ``k11' [n1]``, ``k22' [n2]`` and the derivative
        kernel ``kdot12 = E[φ'(u)φ'(v)]: [n1, n2]`` that the NTK recursion needs.
    """
    if activation == "relu":
        norm = jnp.sqrt(k11[:, None] * k22[None, :])
        cos = jnp.clip(k12 / norm, -1.0 + _EDGE, 1.0 - _EDGE)
        theta = jnp.arccos(cos)
        k12_next = bias_var + weight_var / (2 * jnp.pi) * norm * (jnp.sin(theta) + (jnp.pi - theta) * cos)
        # On the diagonal θ = 0, so the expectation is k/2 exactly.
        k11_next = bias_var + weight_var * k11 / 2
        k22_next = bias_var + weight_var * k22 / 2
        kdot12 = (jnp.pi - theta) / (2 * jnp.pi)
    elif activation == "erf":
        a1, a2 = 1 + 2 * k11, 1 + 2 * k22
        denom = jnp.sqrt(a1[:, None] * a2[None, :])
        arg = jnp.clip(2 * k12 / denom, -1.0 + _EDGE, 1.0 - _EDGE)
        k12_next = bias_var + weight_var * 2 / jnp.pi * jnp.arcsin(arg)
        k11_next = bias_var + weight_var * 2 / jnp.pi * jnp.arcsin(2 * k11 / a1)
        k22_next = bias_var + weight_var * 2 / jnp.pi * jnp.arcsin(2 * k22 / a2)
        # √(a1 a2 − 4k12²) = denom √(1 − arg²): written through the clamped arg so it stays positive.
        kdot12 = 4 / jnp.pi / (denom * jnp.sqrt(1 - arg**2))
    else:
        check_activation(activation)
    return k12_next, k11_next, k22_next, kdot12
