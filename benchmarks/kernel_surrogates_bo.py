"""BO with each kernel surrogate (gp, ibnn, ntk, student_t, dkm, dkl), Li, Rudner & Wilson (ICLR 2024) style.

Problems and designs are the paper's: branin (10 Sobol points, then 9 batches of 10),
hartmann6 and ackley10 (10 + 19 batches), and the high-dimensional draws ``bnn_draw100`` (a
fixed random 2×256 tanh MLP on [0, 1]^100) and ``poly_draw200`` (a fixed random sparse cubic
on [0, 1]^200; 100 + 25 batches), with qLogEI on every surrogate's defaults and a
random-search row (``random``) on the same budget; seeds 0–2. ``--batches`` overrides every
problem's number of batches for a quick run. The draws' optimum is unknown, so for them we
report the best value found (lower is better) instead of the regret. Writes
``benchmarks/results/kernel_surrogates_bo.json`` and a plot next to it: median and
quartiles per problem and surrogate, and seconds per batch.

    python benchmarks/kernel_surrogates_bo.py [--problems hartmann6,bnn_draw100,poly_draw200] [--seeds 0-2]
"""

import argparse
import json
import pathlib

from bnn_bo_regret import RANDOM, plot, run, summarise
from machine import machine_info

from surrogates.bo import problems

SURROGATES = (RANDOM, "gp", "ibnn", "ntk", "student_t", "dkm", "dkl")
# problem: (initial points, batches of 10)
DESIGNS = {
    "branin": (10, 9),
    "hartmann6": (10, 19),
    "ackley10": (10, 19),
    "bnn_draw100": (100, 25),
    "poly_draw200": (100, 25),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default=",".join(DESIGNS))
    parser.add_argument("--surrogates", default=",".join(SURROGATES))
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--batches", type=int, default=None, help="override every problem's number of batches")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "kernel_surrogates_bo.json"))
    args = parser.parse_args()
    lo, hi = (int(s) for s in args.seeds.split("-"))
    seeds = list(range(lo, hi + 1))
    start = machine_info()
    designs = {name: (DESIGNS[name][0], args.batches or DESIGNS[name][1]) for name in args.problems.split(",")}
    results = {
        "config": vars(args) | {"seeds": seeds, "designs (n_init, batches)": designs, "batch_size": 10},
        "machine": start,
        "problems": {},
    }
    ylabels = {}
    for name, (n_init, batches) in designs.items():
        problem = problems.get(name)
        ylabels[name] = "simple regret" if problem.optimum is not None else "best value found"
        table = results["problems"][name] = {}
        for surrogate in args.surrogates.split(","):
            runs = [run(problem, surrogate, seed, batches, n_init=n_init) for seed in seeds]
            table[surrogate] = row = summarise(runs)
            print(
                f"{name:12s} {surrogate:10s} {ylabels[name]} {row['final_regret_median']:.4g} "
                f"[{row['final_regret_q1']:.4g}, {row['final_regret_q3']:.4g}], "
                f"{row['median_seconds_per_batch']:.2f} s/batch",
                flush=True,
            )
            results["machine"] = machine_info(start)
            pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
    plot(results, pathlib.Path(args.out).with_suffix(".png"), ylabels)


if __name__ == "__main__":
    main()
