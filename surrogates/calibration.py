"""How good a surrogate's predictions are on held-out data (DESIGN.md §4, "Surrogate quality").

A surrogate is only as useful to BO as its uncertainty. ``predictive_metrics`` scores
Gaussian predictions ``N(mean, var)`` of held-out targets: RMSE, the mean Gaussian NLL,
the coverage of central intervals, and Spearman's rank correlation of the mean with the
truth, overall and on the best (lowest) 10% of targets, where BO spends its evaluations.
The bar is the know-nothing predictor ``N(0, 1)`` on standardised targets
(``know_nothing_nll``): a surrogate above its NLL is worse than no model.
"""

import numpy as np
from scipy.stats import norm, spearmanr

# Central intervals whose coverage is reported: the probability each should cover.
LEVELS = (0.5, 0.9, 0.95)
# Nominal levels of a reliability diagram.
RELIABILITY_LEVELS = tuple(round(0.05 * k, 2) for k in range(1, 20))


def know_nothing_nll(y) -> float:
    """Mean NLL of standardised targets ``y: [m]`` under ``N(0, 1)``."""
    y = np.asarray(y, float)
    return float(np.mean(0.5 * np.log(2 * np.pi) + 0.5 * y**2))


def predictive_metrics(mean, var, y) -> dict:
    """Scores of the Gaussian predictions ``mean: [m]``, ``var: [m]`` of targets ``y: [m]``.

    Returns a dict: ``rmse``, ``nll`` (mean Gaussian negative log density), ``cover50``,
    ``cover90``, ``cover95`` (fraction of ``y`` inside the central interval), ``spearman``
    (rank correlation of ``mean`` with ``y``) and ``spearman_top10`` (the same on the 10%
    of points with the lowest ``y``; NaN with fewer than 3 such points).
    """
    mean, var, y = (np.asarray(a, float).ravel() for a in (mean, var, y))
    if not (mean.shape == var.shape == y.shape):
        raise ValueError(f"mean, var and y must have the same shape [m]; got {mean.shape}, {var.shape}, {y.shape}")
    var = np.maximum(var, 1e-300)
    z = np.abs(y - mean) / np.sqrt(var)
    out = {
        "rmse": float(np.sqrt(np.mean((mean - y) ** 2))),
        "nll": float(np.mean(0.5 * np.log(2 * np.pi * var) + 0.5 * z**2)),
    }
    for level in LEVELS:
        out[f"cover{round(100 * level)}"] = float(np.mean(z <= norm.ppf(0.5 + level / 2)))
    out["spearman"] = _spearman(mean, y)
    best = np.argsort(y)[: max(len(y) // 10, 0)]
    out["spearman_top10"] = _spearman(mean[best], y[best]) if len(best) >= 3 else float("nan")
    return out


def reliability(mean, var, y, levels=RELIABILITY_LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """Observed coverage of central intervals at each nominal ``levels: [k]`` (a reliability diagram)."""
    mean, var, y = (np.asarray(a, float).ravel() for a in (mean, var, y))
    z = np.abs(y - mean) / np.sqrt(np.maximum(var, 1e-300))
    levels = np.asarray(levels, float)
    return levels, np.array([np.mean(z <= norm.ppf(0.5 + p / 2)) for p in levels])


def _spearman(a, b) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)
