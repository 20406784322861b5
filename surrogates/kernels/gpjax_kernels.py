"""The NNGP and NTK as gpjax kernels, so they work inside gpjax models (``gpjax.gps.Prior`` ...).

As in gpjax, ``__call__`` handles one pair of points; ``cross_covariance`` is
overridden to use the batched recursion (one matrix product per call instead of
``n1·n2`` scalar recursions). The variances are gpjax ``PositiveReal`` parameters
when given as Python numbers, so ``gpjax.fit`` trains them; any array (including a
traced one, as our own surrogates pass) is used as is.
"""

from typing import ClassVar

import equinox as eqx
import jax
from gpjax.kernels.base import AbstractKernel
from gpjax.parameters import PositiveReal, val

from .layer_maps import check_activation
from .nngp import nngp
from .ntk import ntk


def _as_parameter(value):
    return PositiveReal(float(value)) if isinstance(value, (int, float)) else value


class NNGPKernel(AbstractKernel):
    """gpjax kernel ``k(x, y) = nngp(x, y; depth, weight_var, bias_var, activation)``."""

    weight_var: object
    bias_var: object
    depth: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    name: ClassVar[str] = "NNGP"
    _fn: ClassVar = staticmethod(nngp)

    def __init__(self, depth: int = 3, weight_var=10.0, bias_var=1.3, activation: str = "relu", active_dims=None):
        check_activation(activation)
        self.depth, self.activation = depth, activation
        self.weight_var, self.bias_var = _as_parameter(weight_var), _as_parameter(bias_var)
        super().__init__(active_dims=active_dims)

    def _kernel(self, x1: jax.Array, x2: jax.Array) -> jax.Array:
        return self._fn(
            self.slice_input(x1),
            self.slice_input(x2),
            depth=self.depth,
            weight_var=val(self.weight_var),
            bias_var=val(self.bias_var),
            activation=self.activation,
        )

    def __call__(self, x: jax.Array, y: jax.Array) -> jax.Array:
        """``k(x, y)`` for single points ``x, y: [d]``: a scalar."""
        return self._kernel(x[None, :], y[None, :])[0, 0]

    def cross_covariance(self, x: jax.Array, y: jax.Array) -> jax.Array:
        """``k(x, y): [n, m]`` for ``x: [n, d]``, ``y: [m, d]``, batched."""
        return self._kernel(x, y)


class NTKKernel(NNGPKernel):
    """gpjax kernel ``k(x, y) = ntk(x, y; depth, weight_var, bias_var, activation)``."""

    name: ClassVar[str] = "NTK"
    _fn: ClassVar = staticmethod(ntk)


class CubeKernel(AbstractKernel):
    """A wide-network kernel read on the unit cube: ``k(x, y) = variance · base(x − ½, y − ½) / base(u, u)``.

    Why: the NNGP's prior variance grows with ``|x|²`` (``K⁰ = σ_b² + σ_w² x·x/d``), so on the raw
    cube the corner ``(1, …, 1)`` has up to ``1 + σ_w²/σ_b²`` times the origin's prior variance
    (8.7× at the paper's σ_w² = 10, σ_b² = 1.3) and an acquisition chases that corner. Centring
    the inputs (the same network with its first-layer bias moved to the cube's centre) leaves
    every corner at the same variance, at most ``(σ_b² + σ_w²/4)/(σ_b² + σ_w²/12)`` ≈ 1.8× a
    typical point's. Dividing by ``base(u, u)``, the diagonal at a typical point ``u`` of the
    cube (``|u − ½|²/d = 1/12``, the mean over the cube), makes ``variance`` the prior
    variance there, on the scale of standardised y, where a prior can be put on it: the raw
    NNGP's variance (~600 at depth 3) is no statement about the data.

    ``base``: an ``NNGPKernel`` or ``NTKKernel``; ``variance``: the output scale.
    """

    base: NNGPKernel
    variance: object

    def __init__(self, base: NNGPKernel, variance=1.0):
        self.base, self.variance = base, variance
        super().__init__()

    def factor(self, d: int, dtype=jax.numpy.float64) -> jax.Array:
        """``variance / base(u, u)`` for ``d`` inputs: what multiplies the centred base kernel."""
        u = jax.numpy.full((1, d), (1.0 / 12.0) ** 0.5, dtype)  # a typical point, already centred
        return val(self.variance) / self.base.cross_covariance(u, u)[0, 0]

    def cross_covariance(self, x: jax.Array, y: jax.Array) -> jax.Array:
        """``k(x, y): [n, m]`` for ``x: [n, d]``, ``y: [m, d]`` in the unit cube."""
        return self.factor(x.shape[-1], x.dtype) * self.base.cross_covariance(x - 0.5, y - 0.5)

    def __call__(self, x: jax.Array, y: jax.Array) -> jax.Array:
        """``k(x, y)`` for single points ``x, y: [d]``: a scalar."""
        return self.cross_covariance(x[None, :], y[None, :])[0, 0]
