"""BO regret with the BNN surrogates against gp and ibnn (Li, Rudner & Wilson, ICLR 2024, §5.1).

Surrogates bnn_hmc, bnn_sghmc, ensemble and laplace (their default, paper-like settings)
against gp and ibnn, on branin, hartmann6 and ackley10, with the paper's design: 10
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

SURROGATES = ("gp", "ibnn", "bnn_hmc", "bnn_sghmc", "ensemble", "laplace")


def run(problem, surrogate: str, seed: int, batches: int) -> dict:
    start = time.perf_counter()
    res = minimize(
        problem.fun,
        problem.bounds,
        surrogate=surrogate,
        n_init=10,
        budget=10 + 10 * batches,
        batch_size=10,
        seed=seed,
        progress=False,
    )
    y = np.asarray(res.y, float)
    curve = np.minimum.accumulate(y) - problem.optimum
    model_seconds = [h["seconds"] for h in res.history if h["evaluations"] > 10]  # one entry per batch
    return {
        "final_regret": float(curve[-1]),
        "curve": curve.tolist(),
        "median_seconds_per_batch": float(np.median(model_seconds)) if model_seconds else 0.0,
        "wall_seconds": time.perf_counter() - start,
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
            finals = [r["final_regret"] for r in runs]
            q1, med, q3 = np.percentile(finals, [25, 50, 75])
            table[surrogate] = {
                "final_regret_median": float(med),
                "final_regret_q1": float(q1),
                "final_regret_q3": float(q3),
                "median_seconds_per_batch": float(np.median([r["median_seconds_per_batch"] for r in runs])),
                "runs": runs,
            }
            print(f"{name:10s} {surrogate:10s} regret {med:.4g} [{q1:.4g}, {q3:.4g}]", flush=True)
            results["machine"] = machine_info(start)
            pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
    plot(results, pathlib.Path(args.out).with_suffix(".png"))


def plot(results: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["problems"])
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for surrogate, row in results["problems"][name].items():
            curves = np.array([r["curve"] for r in row["runs"]])
            q1, med, q3 = np.percentile(curves, [25, 50, 75], axis=0)
            steps = np.arange(1, curves.shape[1] + 1)
            ax.plot(steps, med, label=surrogate)
            ax.fill_between(steps, q1, q3, alpha=0.2)
        ax.set(title=name, xlabel="evaluations", ylabel="simple regret", yscale="log")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
