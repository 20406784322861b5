"""Multi-objective test functions (minimise every objective), as in BoTorch's ``multi_objective``.

``fun(x: [d]) -> [m]``. Quality is the hypervolume dominated with respect to a
reference point; each problem's ``optimum`` is the hypervolume of its true Pareto
front (BoTorch's ``max_hv``).
"""

import math

import numpy as np

from .synthetic import branin


def branin_currin(x):
    """Branin–Currin on ``[0, 1]^2`` (Belakaria et al. 2019); reference point (18, 6)."""
    x0, x1 = np.asarray(x, float)
    b = branin(np.array([15 * x0 - 5, 15 * x1]))
    with np.errstate(divide="ignore"):
        factor = 1 - np.exp(-1 / (2 * x1)) if x1 > 0 else 1.0
    c = factor * (2300 * x0**3 + 1900 * x0**2 + 2092 * x0 + 60) / (100 * x0**3 + 500 * x0**2 + 4 * x0 + 20)
    return np.array([b, c])


def _dtlz_g_sphere(xm):
    return np.sum((xm - 0.5) ** 2)


def _dtlz_angles_to_objectives(theta, g, m):
    """``f_j = (1+g) Π_{i < m-1-j} cos θ_i · sin θ_{m-1-j}`` (Deb et al. 2005, DTLZ2)."""
    f = np.empty(m)
    for j in range(m):
        f[j] = (1 + g) * np.prod(np.cos(theta[: m - 1 - j]))
        if j > 0:
            f[j] *= np.sin(theta[m - 1 - j])
    return f


def dtlz1(x, m: int = 2):
    """DTLZ1 on ``[0, 1]^d`` (Deb, Thiele, Laumanns & Zitzler 2005): linear front ``Σ f = ½``."""
    x = np.asarray(x, float)
    xm = x[m - 1 :]
    g = 100 * (xm.shape[0] + np.sum((xm - 0.5) ** 2 - np.cos(20 * np.pi * (xm - 0.5))))
    f = np.empty(m)
    for j in range(m):
        f[j] = 0.5 * (1 + g) * np.prod(x[: m - 1 - j])
        if j > 0:
            f[j] *= 1 - x[m - 1 - j]
    return f


def dtlz2(x, m: int = 2):
    """DTLZ2 on ``[0, 1]^d``: spherical front ``Σ f² = 1``."""
    x = np.asarray(x, float)
    return _dtlz_angles_to_objectives(x[: m - 1] * np.pi / 2, _dtlz_g_sphere(x[m - 1 :]), m)


def dtlz5(x, m: int = 2):
    """DTLZ5 on ``[0, 1]^d``: a degenerate (curve) front; equals DTLZ2 for m = 2."""
    x = np.asarray(x, float)
    g = _dtlz_g_sphere(x[m - 1 :])
    theta = np.empty(m - 1)
    theta[0] = x[0] * np.pi / 2
    theta[1:] = np.pi / (4 * (1 + g)) * (1 + 2 * g * x[1 : m - 1])
    return _dtlz_angles_to_objectives(theta, g, m)


def dtlz_max_hv(name: str, m: int, ref: float) -> float | None:
    """Hypervolume of the true front inside ``[0, ref]^m``, where known in closed form."""
    if name == "dtlz1":  # the region under the simplex Σ f = ½ has volume (½)^m / m!
        return ref**m - 0.5**m / math.factorial(m)
    if name == "dtlz2" or (name == "dtlz5" and m == 2):  # under the unit sphere's positive orthant
        return ref**m - math.pi ** (m / 2) / (2**m * math.gamma(m / 2 + 1))
    return None
