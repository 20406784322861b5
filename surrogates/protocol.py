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


@runtime_checkable
class TraceableSurrogate(Surrogate, Protocol):
    """A surrogate whose fit is pure JAX, so the compiled loop (``minimize_compiled``) can trace it."""

    def fit_traced(self, key: jax.Array, X: jax.Array, y: jax.Array, mask: jax.Array) -> Posterior:
        """``fit`` without the argument checks: traceable under ``jit``/``scan``/``vmap``."""
        ...


@runtime_checkable
class WarmStartSurrogate(Protocol):
    """A surrogate whose BO fits may start from the previous fit's hyperparameters (``gp``):
    ``warm_start`` turns it on, ``init_params(dim)`` is the first fit's start, and
    ``fit(..., init=params)`` returns a posterior carrying its fitted ``params``."""

    warm_start: bool

    def init_params(self, dim: int) -> dict:
        """The starting hyperparameters for ``dim`` input dimensions."""
        ...
