"""The surrogate protocol: what the BO loop (and any other caller) may rely on.

A surrogate is a small immutable configuration object; ``fit`` turns data into a
posterior over the latent function f. Posteriors are pytrees whose ``predict`` and
``sample`` are pure JAX functions, so the loop can pass a posterior into one jitted
acquisition optimiser and trace through it.

Padding: ``fit`` accepts ``mask: [n] bool``; rows with ``mask == False`` are padding
and must not influence the posterior. The loop pads its data to power-of-two sizes
so that compiled code is reused across iterations (O(log n) compilations per run).
"""

from typing import Protocol, runtime_checkable

import jax


@runtime_checkable
class Posterior(Protocol):
    """A posterior over the latent function f (a pytree)."""

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Marginal mean and variance of f at ``Xq: [m, d]``: ``([m], [m])``."""
        ...

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``.

        For a fixed ``key`` the draws are a differentiable function of ``Xq``
        (reparameterised), so Monte-Carlo acquisitions can be optimised by gradient.
        """
        ...


@runtime_checkable
class Surrogate(Protocol):
    """A surrogate model configuration."""

    def fit(self, key: jax.Array, X: jax.Array, y: jax.Array, *, mask: jax.Array | None = None) -> Posterior:
        """Condition on ``X: [n, d]`` (unit cube) and ``y: [n]`` (standardised).

        ``mask: [n] bool`` marks real rows; False rows are padding and are ignored.
        """
        ...
