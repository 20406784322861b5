"""Does warm-starting the GP's hyperparameter fit cost regret? ``gp`` (warm start, the default)
against ``gp`` with ``warm_start=False`` (every fit from the prior median, as BoTorch).

Both through ``minimize_compiled`` on hartmann6 and ackley10, LogEI, 10 + 90 evaluations,
seeds 0–9, one process. Reports final simple regret (median and quartiles) and total wall
time with compilation. Writes ``results/gp_warm_start.json``.

    python benchmarks/gp_warm_start.py
"""

import json
import pathlib
import time

import numpy as np
from machine import machine_info

from surrogates.bo import minimize_compiled, problems

RESULTS = pathlib.Path(__file__).parent / "results"
PROBLEMS, SEEDS, N_INIT, BUDGET = ("hartmann6", "ackley10"), tuple(range(10)), 10, 100
VARIANTS = {"gp (warm start)": {}, "gp (cold start)": {"warm_start": False}}


def main():
    start = machine_info()
    results = {"config": {"n_init": N_INIT, "budget": BUDGET, "seeds": list(SEEDS), "acquisition": "logei"}}
    results["problems"] = {}
    for name in PROBLEMS:
        problem = problems.get(name)
        results["problems"][name] = {}
        for variant, options in VARIANTS.items():
            t = time.perf_counter()
            run = minimize_compiled(
                problem.fun, problem.bounds, surrogate_options=options, n_init=N_INIT, budget=BUDGET, seeds=SEEDS
            )
            seconds = time.perf_counter() - t
            regret = run.y_best - problem.optimum
            q1, median, q3 = np.quantile(regret, [0.25, 0.5, 0.75])
            results["problems"][name][variant] = {
                "final_regrets": regret.tolist(),
                "final_regret_median": float(median),
                "final_regret_q1": float(q1),
                "final_regret_q3": float(q3),
                "total_wall_seconds": seconds,
            }
            print(f"{name} {variant}: {seconds:.1f} s, regret {median:.4g} [{q1:.4g}, {q3:.4g}]", flush=True)
    results["machine"] = machine_info(start)
    (RESULTS / "gp_warm_start.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
