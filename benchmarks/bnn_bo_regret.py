"""BO regret with the BNN surrogates against gp and ibnn (Li, Rudner & Wilson, ICLR 2024, §5.1).

Surrogates bnn_hmc, bnn_sghmc, ensemble and laplace (their defaults) against gp, ibnn and
random search (``random``), on branin, hartmann6 and ackley10, with the paper's design: 10
Sobol initial points and batches of 10 chosen by qLogEI, here for ``--batches``
batches (the paper runs 19). Seeds 0-2, all in one process. Reports the median and
quartiles of the final simple regret and the median seconds per batch; writes
``benchmarks/results/bnn_bo_regret.json`` and a regret-curve plot next to it.

    python benchmarks/bnn_bo_regret.py [--batches 9] [--seeds 0-2] [--problems branin,hartmann6,ackley10]
"""

import argparse
import json
import pathlib
import time

import numpy as np
from machine import machine_info

from surrogates.bo import minimize, problems

RANDOM = "random"  # random search: the baseline row
SURROGATES = (RANDOM, "gp", "ibnn", "bnn_hmc", "bnn_sghmc", "ensemble", "laplace")


def run(problem, surrogate: str, seed: int, batches: int, n_init: int = 10, batch_size: int = 10) -> dict:
    """One BO run: ``n_init`` Sobol points, then ``batches`` batches of ``batch_size`` (qLogEI).

    The curve is the simple regret after each evaluation, or the best value found when the
    problem's optimum is unknown (the high-dimensional draws); lower is better either way.
    """
    start = time.perf_counter()
    if surrogate == RANDOM:
        return random_search(problem, seed, n_init + batch_size * batches, start)
    res = minimize(
        problem.fun,
        problem.bounds,
        surrogate=surrogate,
        n_init=n_init,
        budget=n_init + batch_size * batches,
        batch_size=batch_size,
        seed=seed,
        progress=False,
    )
    y = np.asarray(res.y, float)
    curve = np.minimum.accumulate(y) - (0.0 if problem.optimum is None else problem.optimum)
    model_seconds = [h["seconds"] for h in res.history if h["evaluations"] > n_init]  # one entry per batch
    return {
        "final_regret": float(curve[-1]),
        "curve": curve.tolist(),
        "median_seconds_per_batch": float(np.median(model_seconds)) if model_seconds else 0.0,
        "wall_seconds": time.perf_counter() - start,
    }


def random_search(problem, seed: int, budget: int, start: float) -> dict:
    """The row every BO benchmark needs: ``budget`` uniform points, scored like a BO run."""
    bounds = np.asarray(problem.bounds, float)
    U = np.random.default_rng(seed).uniform(size=(budget, len(bounds)))
    y = np.array([float(problem.fun(x)) for x in bounds[:, 0] + U * (bounds[:, 1] - bounds[:, 0])])
    curve = np.minimum.accumulate(y) - (0.0 if problem.optimum is None else problem.optimum)
    wall = time.perf_counter() - start
    return {"final_regret": float(curve[-1]), "curve": curve.tolist(), "median_seconds_per_batch": 0.0} | {
        "wall_seconds": wall
    }


def summarise(runs: list[dict]) -> dict:
    """Median and quartiles of the final regrets and the median seconds per batch over seeds."""
    q1, med, q3 = np.percentile([r["final_regret"] for r in runs], [25, 50, 75])
    return {
        "final_regret_median": float(med),
        "final_regret_q1": float(q1),
        "final_regret_q3": float(q3),
        "median_seconds_per_batch": float(np.median([r["median_seconds_per_batch"] for r in runs])),
        "runs": runs,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="branin,hartmann6,ackley10")
    parser.add_argument("--surrogates", default=",".join(SURROGATES))
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--batches", type=int, default=9)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "bnn_bo_regret.json"))
    args = parser.parse_args()
    lo, hi = (int(s) for s in args.seeds.split("-"))
    seeds = list(range(lo, hi + 1))
    start = machine_info()
    results = {
        "config": vars(args) | {"seeds": seeds, "n_init": 10, "batch_size": 10},
        "machine": start,
        "problems": {},
    }
    for name in args.problems.split(","):
        problem = problems.get(name)
        table = results["problems"][name] = {}
        for surrogate in args.surrogates.split(","):
            runs = [run(problem, surrogate, seed, args.batches) for seed in seeds]
            table[surrogate] = row = summarise(runs)
            med, q1, q3 = row["final_regret_median"], row["final_regret_q1"], row["final_regret_q3"]
            print(f"{name:10s} {surrogate:10s} regret {med:.4g} [{q1:.4g}, {q3:.4g}]", flush=True)
            results["machine"] = machine_info(start)
            pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
    plot(results, pathlib.Path(args.out).with_suffix(".png"))


def plot(results: dict, path: pathlib.Path, ylabels: dict | None = None) -> None:
    """Median and quartile band of the curves against evaluations, one panel per problem.

    ``ylabels``: per problem (default "simple regret"); a panel is log-scaled when all its values are positive.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["problems"])
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        positive = True
        for surrogate, row in results["problems"][name].items():
            curves = np.array([r["curve"] for r in row["runs"]])
            positive &= bool(np.all(curves > 0))
            q1, med, q3 = np.percentile(curves, [25, 50, 75], axis=0)
            steps = np.arange(1, curves.shape[1] + 1)
            ax.plot(steps, med, label=surrogate)
            ax.fill_between(steps, q1, q3, alpha=0.2)
        ylabel = (ylabels or {}).get(name, "simple regret")
        ax.set(title=name, xlabel="evaluations", ylabel=ylabel, yscale="log" if positive else "linear")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
