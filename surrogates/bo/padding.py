"""Pad training data to power-of-two size buckets.

XLA compiles one program per input shape. Growing the data by one point per
iteration would recompile the surrogate fit and the acquisition optimiser every
iteration; padding to the next power of two (masked rows, which the surrogate
protocol ignores) means a run of n evaluations compiles O(log n) times.
"""

import numpy as np

MIN_BUCKET = 16


def bucket_size(n: int, minimum: int = MIN_BUCKET) -> int:
    """The smallest power of two ``>= max(n, minimum)``."""
    return max(minimum, 1 << max(n - 1, 0).bit_length())


def pad(U: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``U: [n, D]``, ``y: [n]`` -> ``(U [N, D], y [N], mask [N])`` with ``N = bucket_size(n)``."""
    n, size = U.shape[0], bucket_size(U.shape[0])
    U_pad = np.zeros((size, U.shape[1]))
    y_pad = np.zeros(size)
    U_pad[:n], y_pad[:n] = U, y
    return U_pad, y_pad, np.arange(size) < n
