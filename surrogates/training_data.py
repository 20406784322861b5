"""Checking and converting the ``(X, y, mask)`` every surrogate's ``fit`` receives."""

import jax
import jax.numpy as jnp
import numpy as np


def as_training_data(X, y, mask=None) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``X: [n, d]`` and ``y: [n]`` as float64, and ``mask: [n] bool`` (all True when ``None``).

    Raises ``ValueError`` before any tracing when the shapes do not fit together, or when a
    real row (``mask`` True) of ``X`` or ``y`` is NaN or infinite: a GP would otherwise return
    a posterior of NaNs. Padding rows may hold anything. Under a caller's ``jit`` the values
    are unknown and only the shapes are checked (``fit_traced`` is the traceable entry).
    """
    X = jnp.asarray(X, jnp.float64)
    y = jnp.asarray(y, jnp.float64)
    if X.ndim != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"X must be [n, d] and y [n]; got X {X.shape} and y {y.shape}")
    mask = jnp.ones(X.shape[0], bool) if mask is None else jnp.asarray(mask, bool)
    if mask.shape != y.shape:
        raise ValueError(f"mask must be [n] like y; got mask {mask.shape} and y {y.shape}")
    if not any(isinstance(a, jax.core.Tracer) for a in (X, y, mask)):
        real = np.asarray(mask)
        for name, values in (("y", np.asarray(y)[real]), ("X", np.asarray(X)[real])):
            if not np.all(np.isfinite(values)):
                rows = np.flatnonzero(~np.isfinite(values).reshape(len(values), -1).all(1))
                raise ValueError(f"{name} must be finite; rows {rows[:5].tolist()} hold NaN or inf")
    return X, y, mask
