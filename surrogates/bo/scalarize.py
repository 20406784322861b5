"""ParEGO: reduce several objectives to one with a random augmented Chebyshev weighting.

Knowles, "ParEGO: a hybrid algorithm with on-line landscape approximation for
expensive multiobjective optimization problems", IEEE TEC 2006. Each proposal
draws weights uniformly from the simplex, normalises every objective to [0, 1]
over the observations, and models ``max_j w_j y_j + ρ Σ_j w_j y_j``; over many
iterations the minimisers of the random scalarisations spread along the front.
"""

import numpy as np


def sample_simplex(rng: np.random.Generator, m: int) -> np.ndarray:
    """A uniform draw from the ``m``-simplex (normalised exponentials)."""
    w = rng.exponential(size=m)
    return w / w.sum()


def augmented_chebyshev(Y: np.ndarray, weights: np.ndarray, rho: float = 0.05) -> np.ndarray:
    """``Y: [n, m]`` -> ``[n]`` scalarised values (to minimise)."""
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    Z = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    return np.max(weights * Z, axis=1) + rho * Z @ weights
