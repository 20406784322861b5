"""Pareto sets and dominated hypervolume (minimisation).

The hypervolume of a set Y with respect to a reference point r is the volume of
the region dominated by Y and bounded by r. We compute it exactly by slicing along
the last objective (the HSO algorithm; While, Hingston, Barone & Huband, IEEE TEC
2006): exact and fast for the few objectives and hundreds of points of a BO run.
"""

import numpy as np


def pareto_mask(Y: np.ndarray) -> np.ndarray:
    """``[n]`` bool: rows of ``Y: [n, m]`` not dominated by any other row (duplicates kept once)."""
    Y = np.asarray(Y, float)
    keep = np.ones(len(Y), bool)
    for i in range(len(Y)):
        dominated = np.all(Y <= Y[i], axis=1) & np.any(Y < Y[i], axis=1)
        duplicate_before = np.all(Y[:i] == Y[i], axis=1)
        keep[i] = not (dominated.any() or duplicate_before.any())
    return keep


def hypervolume(Y: np.ndarray, ref_point: np.ndarray) -> float:
    """Volume dominated by ``Y: [n, m]`` inside the box below ``ref_point: [m]``."""
    Y, ref = np.asarray(Y, float).reshape(-1, len(ref_point)), np.asarray(ref_point, float)
    Y = Y[np.all(Y < ref, axis=1)]
    if len(Y) == 0:
        return 0.0
    if Y.shape[1] == 1:
        return float(ref[0] - Y[:, 0].min())
    Y = Y[pareto_mask(Y)]
    Y = Y[np.argsort(Y[:, -1])]
    volume = 0.0
    for i in range(len(Y)):
        upper = Y[i + 1, -1] if i + 1 < len(Y) else ref[-1]
        if upper > Y[i, -1]:
            volume += (upper - Y[i, -1]) * hypervolume(Y[: i + 1, :-1], ref[:-1])
    return float(volume)
