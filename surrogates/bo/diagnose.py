"""``modbayes diagnose RUN_DIR``: can the run's surrogate be trusted on the run's own data?

As Ax's cross-validation plots: every evaluated point is predicted by a model that did not
see it (``surrogates.cross_validate``: closed-form leave-one-out for the exact-GP family,
K folds otherwise), for the run's surrogate with its options or for any others named. The
table gives RMSE, NLL against the know-nothing predictor, interval coverage and rank
correlation; the plot shows predicted against observed values with 95% intervals, one
panel per surrogate (points off the diagonal by more than their bar are the misses).
"""

import pathlib

import jax
import numpy as np

import surrogates

from .optimizer import Optimizer
from .storage import RunDirectory

COLUMNS = ("rmse", "nll", "nll_know_nothing", "cover50", "cover95", "spearman")


def run_data(run_dir) -> tuple[np.ndarray, np.ndarray, Optimizer]:
    """The successful evaluations of ``run_dir`` encoded in the unit cube: ``U: [n, d]``, ``y: [n]``,
    and the run's optimizer (its space and surrogate)."""
    run = RunDirectory(run_dir)
    if not run.exists():
        raise ValueError(f"run_dir must be a modbayes run folder with state.json, got {str(run_dir)!r}")
    opt = Optimizer.from_state_dict(run.read_state()["optimizer"])
    trials = [t for t in run.read_trials() if t.get("error") is None and t.get("y") is not None]
    y = np.asarray([t["y"] for t in trials], float)
    if y.ndim != 1:
        raise ValueError("diagnose supports single-objective runs; this run has several objectives")
    if len(y) < 3:
        raise ValueError(f"diagnose needs at least 3 successful evaluations, the run has {len(y)}")
    return opt.space.to_unit(np.asarray([t["x"] for t in trials], float)), y, opt


def diagnose(run_dir, surrogate_names=None, folds="loo", key=None) -> dict:
    """``{name: surrogates.CrossValidation}`` for the run's surrogate (``surrogate_names=None``) or the
    named registered surrogates (their default options), on the run's data."""
    U, y, opt = run_data(run_dir)
    if surrogate_names is None:
        models = {opt.surrogate_name: opt.surrogate}
    else:
        models = {name: surrogates.get(name) for name in surrogate_names}
    key = jax.random.PRNGKey(0) if key is None else key
    return {name: surrogates.cross_validate(model, U, y, folds=folds, key=key) for name, model in models.items()}


def table(results: dict) -> str:
    """A markdown table of ``diagnose``'s metrics, one row per surrogate."""
    lines = ["| surrogate | method | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
    for name, cv in results.items():
        values = " | ".join(f"{cv.metrics[c]:.3f}" for c in COLUMNS)
        lines.append(f"| {name} | {cv.method} | {values} |")
    return "\n".join(lines) + "\n"


def plot(results: dict, path) -> pathlib.Path:
    """Predicted (mean ± 1.96 sd) against observed standardised values, one panel per surrogate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 4.2), squeeze=False)
    for ax, (name, cv) in zip(axes[0], results.items(), strict=True):
        half = 1.96 * np.sqrt(cv.var)
        miss = np.abs(cv.y - cv.mean) > half
        for points, color in ((~miss, "C0"), (miss, "C3")):
            ax.errorbar(cv.y[points], cv.mean[points], yerr=half[points], fmt="o", ms=3, color=color, alpha=0.7)
        lo, hi = min(cv.y.min(), cv.mean.min()), max(cv.y.max(), cv.mean.max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        m = cv.metrics
        title = f"{name}: NLL {m['nll']:.2f} (know-nothing {m['nll_know_nothing']:.2f}), cover95 {m['cover95']:.2f}"
        ax.set_title(title, fontsize=8)
        ax.set(xlabel="observed (standardised)", ylabel=f"predicted, {cv.method}")
    fig.tight_layout()
    path = pathlib.Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
