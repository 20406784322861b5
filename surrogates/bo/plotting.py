"""Regret and hypervolume curves of run directories: median and quartiles over seeds."""

import pathlib

import numpy as np

from . import problems
from .hypervolume import hypervolume
from .storage import RunDirectory


def load_run(path) -> dict:
    """``{"path", "config", "trials"}`` of a run directory (trials in trial order)."""
    run = RunDirectory(path)
    state = run.read_state()
    trials = sorted(run.read_trials(), key=lambda t: t["trial"])
    return {"path": pathlib.Path(path), "config": state["config"], "trials": trials}


def trace(run: dict) -> tuple[np.ndarray, str]:
    """Best-so-far quality after each evaluation ``[n]`` and its name.

    Simple regret ``min y − optimum`` when the problem's optimum is known; the
    hypervolume gap ``max_hv − HV`` for multi-objective problems; otherwise the best value.
    """
    problem = problems.get(run["config"]["problem"]) if run["config"].get("problem") else None
    values = [t["y"] if t["error"] is None else None for t in run["trials"]]
    out = np.full(len(values), np.nan)
    if problem is not None and problem.num_objectives > 1:
        front = []
        for i, y in enumerate(values):
            if y is not None:
                front.append(y)
            hv = hypervolume(np.asarray(front), problem.ref_point) if front else 0.0
            out[i] = problem.optimum - hv if problem.optimum is not None else hv
        return out, "hypervolume gap" if problem.optimum is not None else "hypervolume"
    best = np.inf
    for i, y in enumerate(values):
        best = min(best, y) if y is not None else best
        out[i] = best
    if problem is not None and problem.optimum is not None:
        return out - problem.optimum, "simple regret"
    return out, "best value"


def label(run: dict) -> str:
    c = run["config"]
    return f"{c.get('surrogate', '?')}/{c.get('acquisition', '?')}"


def plot_runs(paths, out, *, title: str | None = None) -> None:
    """Plot the median and interquartile band of each group of runs (grouped by surrogate/acquisition)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [load_run(p) for p in paths]
    groups: dict[str, list[np.ndarray]] = {}
    ylabel = "best value"
    for run in runs:
        curve, ylabel = trace(run)
        groups.setdefault(label(run), []).append(curve)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curves in sorted(groups.items()):
        n = min(len(c) for c in curves)
        C = np.stack([c[:n] for c in curves])
        x = np.arange(1, n + 1)
        q1, med, q3 = np.nanpercentile(C, [25, 50, 75], axis=0)
        ax.plot(x, med, label=f"{name} ({len(curves)} runs)")
        ax.fill_between(x, q1, q3, alpha=0.25)
    if ylabel in ("simple regret", "hypervolume gap"):
        ax.set_yscale("log")
    problem = (runs[0]["config"].get("problem") or runs[0]["config"].get("objective")) if runs else None
    ax.set(xlabel="evaluations", ylabel=ylabel, title=title or problem or "")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
