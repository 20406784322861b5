"""The neural tangent kernel of an infinitely wide network in NTK parameterisation (DESIGN.md §7).

Jacot, Gabriel & Hongler, "Neural tangent kernel" (NeurIPS 2018); Lee et al., "Wide
neural networks of any depth evolve as linear models under gradient descent"
(NeurIPS 2019), eq. for ``Θ^{ℓ+1} = K^{ℓ+1} + σ_w² K̇^{ℓ+1} Θ^ℓ`` with ``Θ⁰ = K⁰``.
"""

import functools

import jax

from .layer_maps import check_activation, input_layer, layer_map


def ntk(x1: jax.Array, x2: jax.Array, *, depth: int, weight_var, bias_var, activation: str = "relu") -> jax.Array:
    """NTK ``Θ^depth(x1, x2): [n1, n2]`` for ``x1: [n1, d]``, ``x2: [n2, d]``.

    The network is the one of ``nngp``: an input layer and ``depth`` hidden layers,
    every weight and bias a trainable N(0, 1) parameter scaled by ``σ_w/√fan_in``, ``σ_b``.
    """
    check_activation(activation)
    return _ntk(x1, x2, weight_var, bias_var, depth=depth, activation=activation)


@functools.partial(jax.jit, static_argnames=("depth", "activation"))
def _ntk(x1, x2, weight_var, bias_var, *, depth, activation):
    k12, k11, k22 = input_layer(x1, x2, weight_var, bias_var)
    theta = k12
    for _ in range(depth):
        k12, k11, k22, kdot12 = layer_map(k12, k11, k22, weight_var, bias_var, activation)
        theta = k12 + weight_var * kdot12 * theta
    return theta
