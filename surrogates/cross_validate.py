"""``cross_validate(surrogate, X, y, folds=...)``: does a surrogate's uncertainty mean what it says on these data?

As Ax's cross-validation plots: predict each training point from a model that did not see
it, and score the predictions (``calibration.predictive_metrics``) against the know-nothing
predictor. For the exact-GP family (``gp``, ``ibnn``, ``ntk``, ``student_t``) leave-one-out
is closed form at the fitted hyperparameters (``GPPosterior.loo``; Rasmussen & Williams
eq. 5.12), one fit for all n; every other surrogate is refitted on K folds.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .calibration import know_nothing_nll, predictive_metrics
from .gp_posterior import GPPosterior


@dataclasses.dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions of each training point: ``mean: [n]``, ``var: [n]`` (latent f), the
    targets ``y: [n]``, the fold of each point ``fold: [n]`` (``-1`` for closed-form LOO),
    ``metrics`` (``predictive_metrics`` plus ``nll_know_nothing``) and ``method``."""

    mean: np.ndarray
    var: np.ndarray
    y: np.ndarray
    fold: np.ndarray
    metrics: dict
    method: str


def cross_validate(surrogate, X, y, folds="loo", *, key=None) -> CrossValidation:
    """Held-out predictions of every row of ``X: [n, d]``, ``y: [n]`` and their scores.

    Args:
        surrogate: a surrogate (``surrogates.get(name)``).
        X, y: training inputs (unit cube) and targets; ``y`` is standardised here, as the BO loop does.
        folds: ``"loo"`` (leave-one-out: closed form for the exact-GP family, else n refits) or
            an int K ≥ 2 (K-fold, points assigned to folds by a permutation from ``key``).
        key: PRNG key for the fold assignment and the fits (default ``PRNGKey(0)``).
    """
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    if X.ndim != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"X must be [n, d] and y [n]; got X {X.shape} and y {y.shape}")
    n = len(y)
    if n < 3:
        raise ValueError(f"cross_validate needs at least 3 points, got {n}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite")
    if folds != "loo" and (isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= n):
        raise ValueError(f"folds must be 'loo' or an int in [2, n={n}], got {folds!r}")
    key = jax.random.PRNGKey(0) if key is None else key
    y = (y - y.mean()) / (y.std() if y.std() > 0 else 1.0)

    if folds == "loo":
        posterior = surrogate.fit(key, X, y)
        if isinstance(posterior, GPPosterior):
            mean, var = (np.asarray(a) for a in posterior.loo(jnp.asarray(y)))
            return _result(mean, var, y, np.full(n, -1), "closed-form leave-one-out")
        folds = n
    fold = np.asarray(jax.random.permutation(key, n)) % folds
    mean, var = np.empty(n), np.empty(n)
    for k, key_k in enumerate(jax.random.split(key, folds)):
        held = fold == k
        posterior = surrogate.fit(key_k, X[~held], y[~held])
        m, v = posterior.predict(jnp.asarray(X[held]))
        mean[held], var[held] = np.asarray(m), np.asarray(v)
    return _result(mean, var, y, fold, f"{folds}-fold")


def _result(mean, var, y, fold, method: str) -> CrossValidation:
    metrics = predictive_metrics(mean, var, y) | {"nll_know_nothing": know_nothing_nll(y)}
    return CrossValidation(mean, var, y, fold, metrics, method)
