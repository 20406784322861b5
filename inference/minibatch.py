"""A log density estimated on minibatches: the target of the stochastic-gradient kernels.

For a posterior over ``N`` conditionally independent data,
``log π(θ) = log p(θ) + Σ_{i=1}^N log p(y_i | θ)``, a minibatch ``B`` of ``b`` indices
drawn uniformly (with replacement, so each is uniform on ``0..N-1``) gives the unbiased
estimate that SGLD and SGHMC step on (Welling & Teh 2011; Chen et al. 2014)

    log π̂(θ; B) = log p(θ) + (N / b) Σ_{i∈B} log p(y_i | θ),

and, since ``B`` does not depend on θ, ∇ log π̂ is an unbiased estimate of ∇ log π.

``MinibatchLogDensity`` holds the prior, the likelihood of a batch and the data; the data
are pytree leaves (so the object can be built inside a ``jax.jit`` from traced data, or
passed to one), the two functions and ``batch_size`` are static. Called on a position it
is the full log density, so it is an ordinary ``logdensity_fn`` for every other kernel;
the stochastic-gradient kernels (``kernels.sgld``, ``kernels.sghmc``) recognise it and
draw a fresh minibatch at every step (``stochastic_log_density``).
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._pytree import pytree_dataclass
from .validation import check_positive_int


@pytree_dataclass(static=("log_prior", "log_likelihood", "batch_size"))
class MinibatchLogDensity:
    """``log p(θ) + (N / b) Σ_{i∈B} log p(y_i | θ)``; build it with ``minibatch_log_density``.

    Fields:
        data: a pytree whose leaves all have the leading axis ``[num_data, ...]``.
        log_prior: ``position -> scalar``.
        log_likelihood: ``(position, batch) -> scalar`` (the sum over the batch) or ``[b]``
            (one term per datum), where ``batch`` is ``data`` indexed by the minibatch.
        batch_size: ``b``, the minibatch size.
    """

    data: Any
    log_prior: Callable
    log_likelihood: Callable
    batch_size: int

    @property
    def num_data(self) -> int:
        return jax.tree.leaves(self.data)[0].shape[0]

    def __call__(self, position) -> jax.Array:
        """The full-data log density ``log p(θ) + Σ_i log p(y_i | θ)`` (no subsampling)."""
        return self.log_prior(position) + jnp.sum(self.log_likelihood(position, self.data))

    def estimate(self, position, indices: jax.Array) -> jax.Array:
        """The unbiased estimate on the minibatch ``indices: [b]`` (integers in ``[0, num_data)``)."""
        batch = jax.tree.map(lambda leaf: leaf[indices], self.data)
        scale = self.num_data / indices.shape[0]
        return self.log_prior(position) + scale * jnp.sum(self.log_likelihood(position, batch))

    def sample_indices(self, key: jax.Array) -> jax.Array:
        """``[batch_size]`` indices drawn uniformly with replacement; all of them, once each, when b = N.

        With replacement costs O(b); a draw without replacement sorts all N indices, which on
        a CPU costs more than the gradient of a small model. Both are unbiased; with
        replacement the estimate's variance is larger by the factor (N − 1)/(N − b)."""
        if self.batch_size == self.num_data:
            return jnp.arange(self.num_data)
        return jax.random.randint(key, (self.batch_size,), 0, self.num_data)


def minibatch_log_density(
    log_prior: Callable, log_likelihood: Callable, data: Any, batch_size: int
) -> MinibatchLogDensity:
    """A minibatch log density; arguments as in ``MinibatchLogDensity``.

    ``data`` may hold traced arrays (inside ``jax.jit``): only their shapes are checked.
    With padded data, let ``log_likelihood`` multiply each term by a mask that is part of
    ``data``: padding rows are drawn like any other and add zero, so the estimate stays
    unbiased for the masked sum.
    """
    if not callable(log_prior):
        raise TypeError(f"log_prior must be a function position -> scalar, got {type(log_prior).__name__}")
    if not callable(log_likelihood):
        raise TypeError(
            f"log_likelihood must be a function (position, batch) -> scalar, got {type(log_likelihood).__name__}"
        )
    leaves = jax.tree.leaves(data)
    if not leaves:
        raise ValueError("data must be a pytree of arrays with a leading [num_data] axis, got an empty structure")
    sizes = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
    if None in sizes or len(sizes) != 1:
        shapes = [jnp.shape(leaf) for leaf in leaves]
        raise ValueError(f"every leaf of data must have the same leading axis [num_data, ...], got shapes {shapes}")
    (num_data,) = sizes
    if num_data < 1:
        raise ValueError("data must hold at least one datum (num_data >= 1)")
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > num_data:
        raise ValueError(f"batch_size must be <= num_data = {num_data}, got {batch_size}")
    return MinibatchLogDensity(jax.tree.map(jnp.asarray, data), log_prior, log_likelihood, batch_size)


def stochastic_log_density(key: jax.Array, logdensity_fn: Callable) -> Callable:
    """``position -> scalar`` for one kernel step: a ``MinibatchLogDensity`` estimated on a
    minibatch drawn with ``key``; any other log density unchanged (full-batch gradients)."""
    if isinstance(logdensity_fn, MinibatchLogDensity):
        indices = logdensity_fn.sample_indices(key)
        return lambda position: logdensity_fn.estimate(position, indices)
    return logdensity_fn
