"""Compiled BO against the Python loop against BoTorch: hartmann6, gp + LogEI, 10 + 90, seeds 0–4.

``minimize_compiled`` runs all five seeds as one XLA program (a ``lax.scan`` over the 90
model-based evaluations, ``vmap``-ped over seeds, the built-in objective, which is JAX-traceable); the
Python loop (``minimize``) runs them one after the other with the NumPy objective. Both
in this process, total wall time including compilation. BoTorch's total comes from
``results/bo_vs_botorch.json`` (the same problem, budget, seeds and machine, SingleTaskGP +
qLogNEI, ``optimize_acqf(num_restarts=10, raw_samples=512)``), unless ``--botorch`` runs it
here (about 15 minutes on 2 cores). Writes ``results/compiled_bo.json``. Goal (#9): compiled
≤ 0.05× BoTorch's total.

    python benchmarks/compiled_bo.py [--botorch]
"""

import argparse
import json
import pathlib
import time

import numpy as np
from machine import machine_info

from surrogates.bo import minimize, minimize_compiled, problems

RESULTS = pathlib.Path(__file__).parent / "results"
SEEDS, N_INIT, ITERATIONS = (0, 1, 2, 3, 4), 10, 90


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--botorch", action="store_true", help="run BoTorch here instead of reading bo_vs_botorch.json")
    args = parser.parse_args()
    problem = problems.get("hartmann6")
    start = machine_info()
    budget = N_INIT + ITERATIONS

    t = time.perf_counter()
    compiled = minimize_compiled(problem.fun, problem.bounds, n_init=N_INIT, budget=budget, seeds=SEEDS)
    compiled_seconds = time.perf_counter() - t
    compiled_regret = compiled.y_best - problem.optimum
    print(f"compiled: {compiled_seconds:.1f} s, regrets {np.round(compiled_regret, 4)}", flush=True)

    t, python_regret = time.perf_counter(), []
    for seed in SEEDS:
        res = minimize(problem.fun, problem.bounds, n_init=N_INIT, budget=budget, seed=seed, progress=False)
        python_regret.append(res.y_best - problem.optimum)
    python_seconds = time.perf_counter() - t
    print(f"python loop: {python_seconds:.1f} s, regrets {np.round(python_regret, 4)}", flush=True)

    if args.botorch:
        from bo_vs_botorch import run_botorch

        t = time.perf_counter()
        botorch_regret = [run_botorch(problem, seed, N_INIT, ITERATIONS)[0] for seed in SEEDS]
        botorch = {"total_wall_seconds": time.perf_counter() - t, "final_regrets": botorch_regret, "source": "here"}
    else:
        measured = json.loads((RESULTS / "bo_vs_botorch.json").read_text())["problems"]["hartmann6"]["botorch"]
        botorch = {**measured, "source": "results/bo_vs_botorch.json (same problem, budget, seeds, machine)"}
    print(f"botorch: {botorch['total_wall_seconds']:.1f} s ({botorch['source']})", flush=True)

    results = {
        "config": {
            "problem": "hartmann6",
            "surrogate": "gp",
            "acquisition": "logei",
            "n_init": N_INIT,
            "iterations": ITERATIONS,
            "seeds": list(SEEDS),
        },
        "compiled": {
            "total_wall_seconds": compiled_seconds,
            "final_regrets": compiled_regret.tolist(),
            "final_regret_median": float(np.median(compiled_regret)),
        },
        "python_loop": {
            "total_wall_seconds": python_seconds,
            "final_regrets": [float(r) for r in python_regret],
            "final_regret_median": float(np.median(python_regret)),
        },
        "botorch": botorch,
        "compiled_over_botorch": compiled_seconds / botorch["total_wall_seconds"],
        "compiled_over_python_loop": compiled_seconds / python_seconds,
        "machine": machine_info(start),
    }
    (RESULTS / "compiled_bo.json").write_text(json.dumps(results, indent=1))
    print(
        f"compiled / BoTorch {results['compiled_over_botorch']:.4f}; compiled / Python loop "
        f"{results['compiled_over_python_loop']:.3f}"
    )


if __name__ == "__main__":
    main()
