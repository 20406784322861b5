"""The NNGP kernel of an infinitely wide fully connected network (DESIGN.md §7).

Lee et al., "Deep neural networks as Gaussian processes" (ICLR 2018); Matthews et
al., "Gaussian process behaviour in wide deep neural networks" (ICLR 2018).
"""

import functools

import jax

from .layer_maps import check_activation, input_layer, layer_map


def nngp(x1: jax.Array, x2: jax.Array, *, depth: int, weight_var, bias_var, activation: str = "relu") -> jax.Array:
    """NNGP kernel ``K^depth(x1, x2): [n1, n2]`` for ``x1: [n1, d]``, ``x2: [n2, d]``.

    ``K⁰ = σ_b² + σ_w² x·x′/d`` (the input layer) followed by ``depth`` hidden layers of
    ``activation`` (``"relu"`` or ``"erf"``), each applying ``layer_map``. ``weight_var``
    and ``bias_var`` may be traced (they are differentiable); ``depth`` and
    ``activation`` are static.
    """
    check_activation(activation)
    return _nngp(x1, x2, weight_var, bias_var, depth=depth, activation=activation)


@functools.partial(jax.jit, static_argnames=("depth", "activation"))
def _nngp(x1, x2, weight_var, bias_var, *, depth, activation):
    k12, k11, k22 = input_layer(x1, x2, weight_var, bias_var)
    for _ in range(depth):
        k12, k11, k22, _ = layer_map(k12, k11, k22, weight_var, bias_var, activation)
    return k12
