"""Compiled BO against the Python loop against BoTorch: hartmann6, gp + LogEI, 10 + 90, seeds 0–4.

``minimize_compiled`` runs all five seeds as one XLA program (a ``lax.scan`` over the 90
model-based evaluations, mapped over seeds, the built-in objective, which is JAX-traceable); the
Python loop (``minimize``) runs them one after the other with the NumPy objective. Both
in this process, total wall time including compilation.

The process exposes one XLA host device per core (``--host-devices``, default the core
count; set before JAX starts), so the compiled run splits its seeds over the cores as it
would over GPUs (5 seeds padded to 6: 3 per device on 2 cores). The same compiled run on a
single device is timed as well, in a child process (``compiled_one_device``). BoTorch's total comes from
``results/bo_vs_botorch.json`` (the same problem, budget, seeds and machine, SingleTaskGP +
qLogNEI, ``optimize_acqf(num_restarts=10, raw_samples=512)``), unless ``--botorch`` runs it
here (about 15 minutes on 2 cores). Writes ``results/compiled_bo.json``. Goal (#9): compiled
≤ 0.05× BoTorch's total.

    python benchmarks/compiled_bo.py [--botorch]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time


def _host_devices() -> int:
    """``--host-devices`` from the command line (read before JAX is imported)."""
    if "--host-devices" in sys.argv:
        return int(sys.argv[sys.argv.index("--host-devices") + 1])
    return os.cpu_count() or 1


os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={_host_devices()}"
).strip()

import jax  # noqa: E402
import numpy as np  # noqa: E402
from machine import machine_info  # noqa: E402

from surrogates.bo import minimize, minimize_compiled, problems  # noqa: E402

RESULTS = pathlib.Path(__file__).parent / "results"
SEEDS, N_INIT, ITERATIONS = (0, 1, 2, 3, 4), 10, 90


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--botorch", action="store_true", help="run BoTorch here instead of reading bo_vs_botorch.json")
    parser.add_argument("--host-devices", type=int, default=os.cpu_count(), help="XLA host devices (default: cores)")
    parser.add_argument("--only-compiled", action="store_true", help="time the compiled run only, print JSON")
    args = parser.parse_args()
    problem = problems.get("hartmann6")
    start = machine_info()
    budget = N_INIT + ITERATIONS

    t = time.perf_counter()
    compiled = minimize_compiled(problem.fun, problem.bounds, n_init=N_INIT, budget=budget, seeds=SEEDS)
    compiled_seconds = time.perf_counter() - t
    compiled_regret = compiled.y_best - problem.optimum
    regrets = np.round(compiled_regret, 4)
    print(f"compiled on {jax.device_count()} device(s): {compiled_seconds:.1f} s, regrets {regrets}", flush=True)
    if args.only_compiled:
        measured = {"total_wall_seconds": compiled_seconds, "final_regrets": compiled_regret.tolist()}
        print("RESULT" + json.dumps(measured))
        return
    child = subprocess.run(
        [sys.executable, __file__, "--only-compiled", "--host-devices", "1"], capture_output=True, text=True, check=True
    )
    one_device = json.loads(child.stdout.split("RESULT")[-1])
    print(f"compiled on 1 device (child process): {one_device['total_wall_seconds']:.1f} s", flush=True)

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
        botorch = {
            "total_wall_seconds": time.perf_counter() - t,
            "final_regrets": botorch_regret,
            "final_regret_median": float(np.median(botorch_regret)),
            "source": "here",
        }
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
            "host_devices": jax.device_count(),
        },
        "compiled": {
            "total_wall_seconds": compiled_seconds,
            "final_regrets": compiled_regret.tolist(),
            "final_regret_median": float(np.median(compiled_regret)),
        },
        "compiled_one_device": {**one_device, "final_regret_median": float(np.median(one_device["final_regrets"]))},
        "python_loop": {
            "total_wall_seconds": python_seconds,
            "final_regrets": [float(r) for r in python_regret],
            "final_regret_median": float(np.median(python_regret)),
        },
        "botorch": botorch,
        "compiled_over_botorch": compiled_seconds / botorch["total_wall_seconds"],
        "compiled_over_python_loop": compiled_seconds / python_seconds,
        "compiled_one_device_over_botorch": one_device["total_wall_seconds"] / botorch["total_wall_seconds"],
        "machine": machine_info(start),
    }
    (RESULTS / "compiled_bo.json").write_text(json.dumps(results, indent=1))
    print(
        f"compiled / BoTorch {results['compiled_over_botorch']:.4f}; compiled / Python loop "
        f"{results['compiled_over_python_loop']:.3f}"
    )


if __name__ == "__main__":
    main()
