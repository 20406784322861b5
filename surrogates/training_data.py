"""Checking and converting the ``(X, y, mask)`` every surrogate's ``fit`` receives."""

import jax
import jax.numpy as jnp


def as_training_data(X, y, mask=None) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``X: [n, d]`` and ``y: [n]`` as float64, and ``mask: [n] bool`` (all True when ``None``).

    Raises ``ValueError`` naming the shapes when they do not fit together, before any tracing.
    """
    X = jnp.asarray(X, jnp.float64)
    y = jnp.asarray(y, jnp.float64)
    if X.ndim != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"X must be [n, d] and y [n]; got X {X.shape} and y {y.shape}")
    mask = jnp.ones(X.shape[0], bool) if mask is None else jnp.asarray(mask, bool)
    return X, y, mask
