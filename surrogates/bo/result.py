"""The result of a BO run."""

import dataclasses

import numpy as np

from .hypervolume import pareto_mask


@dataclasses.dataclass
class Result:
    """What ``minimize`` returns.

    ``X: [n, d]``, ``y: [n]`` (``[n, m]`` for several objectives): the successful
    evaluations in trial order. ``x_best: [d]``, ``y_best``: the best of them; for
    several objectives, the Pareto set ``x_best: [p, d]`` and front ``y_best: [p, m]``.
    ``failures``: one dict per failed trial (``trial``, ``x``, ``error``).
    ``history``: one dict per iteration (evaluations so far, best value, seconds
    spent fitting, optimising the acquisition and evaluating). ``timings``: totals.
    """

    x_best: np.ndarray
    y_best: float | np.ndarray
    X: np.ndarray
    y: np.ndarray
    history: list[dict]
    failures: list[dict]
    timings: dict[str, float]

    @classmethod
    def from_trials(cls, trials: list[dict], dim: int, history: list[dict], timings: dict) -> "Result":
        ok = [t for t in trials if t["error"] is None]
        X = np.asarray([t["x"] for t in ok], float).reshape(len(ok), dim)
        y = np.asarray([t["y"] for t in ok], float)
        failures = [{"trial": t["trial"], "x": t["x"], "error": t["error"]} for t in trials if t["error"] is not None]
        if len(ok) == 0:
            x_best, y_best = np.full(dim, np.nan), np.nan
        elif y.ndim == 1:
            i = int(np.argmin(y))
            x_best, y_best = X[i], float(y[i])
        else:
            front = pareto_mask(y)
            x_best, y_best = X[front], y[front]
        return cls(x_best, y_best, X, y, history, failures, timings)
