"""The GPU figures the project promises, in one process: ``benchmarks/gpu.sh`` runs this.

1. Compiled BO latency (``minimize_compiled``, hartmann6, one seed): ``n`` Sobol points then
   ``ITERATIONS`` model-based iterations of batch size 1, for ``gp``, ``ibnn`` and ``bnn_hmc`` at
   n = 128, 512 and 1024. Seconds per iteration = (wall − compilation) / iterations, with the
   compilation read from JAX's monitoring events (``compile_timer``); the n initial
   evaluations of the JAX objective are negligible beside a fit.
2. NUTS bulk-ESS/s against NumPyro (``mcmc_vs_numpyro``: logistic regression and eight schools).
3. Tempered SMC against BlackJAX (``smc_vs_blackjax``).
4. The NNGP Gram (depth 3, ReLU, d = 100, float64) at n = 20,000: first call and steady seconds.

Exits with status 2 and a message when JAX sees no GPU, unless ``--cpu-dry-run``, which runs
every part at its smallest size on the CPU (to check the script, not to measure) and writes
to a temporary file unless ``--out`` is given. Writes ``benchmarks/results/gpu.json``
(``--out``), with the device name; ``report.py`` renders it.

    python benchmarks/gpu.py [--cpu-dry-run] [--out PATH]
"""

import argparse
import json
import os
import pathlib
import sys
import tempfile

SURROGATES = ("gp", "ibnn", "bnn_hmc")
SIZES, ITERATIONS, GRAM_N = (128, 512, 1024), 5, 20_000
DRY_SIZES, DRY_ITERATIONS, DRY_GRAM_N = (16,), 1, 500


def compiled_bo_latency(sizes, iterations) -> list[dict]:
    from compile_timer import timed

    from surrogates.bo import minimize_compiled, problems

    problem, rows = problems.get("hartmann6"), []
    for name in SURROGATES:
        for n in sizes:

            def run(name=name, n=n):
                return minimize_compiled(
                    problem.fun, problem.bounds, surrogate=name, n_init=n, budget=n + iterations, seeds=[0]
                )

            _, wall, compile_s = timed(run)
            row = {"surrogate": name, "n": n, "iterations": iterations, "wall_s": wall, "compile_s": compile_s}
            row["seconds_per_iteration"] = max(wall - compile_s, 0.0) / iterations
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def nuts_against_numpyro(dry: bool) -> list[dict]:
    import mcmc_vs_numpyro

    with tempfile.TemporaryDirectory() as tmp:
        argv = ["--no-sequential", "--out", str(pathlib.Path(tmp) / "nuts.json")]
        if dry:
            argv += ["--num-warmup", "20", "--num-samples", "20", "--repeats", "1"]
        mcmc_vs_numpyro.main(argv)
        report = json.loads((pathlib.Path(tmp) / "nuts.json").read_text())
    return [{"problem": r["problem"], **r["ratios"]} for r in report["results"]]


def smc_against_blackjax() -> dict:
    import smc_vs_blackjax

    report = smc_vs_blackjax.measure()
    return {"wall_time_ratio_modbayes_over_blackjax": report["wall_time_ratio_modbayes_over_blackjax"]} | {
        f"{k}_run_s": v["run_seconds_median"] for k, v in report["results"].items()
    }


def nngp_gram(n: int) -> dict:
    """``kernel_throughput``'s Gram (same kernel settings and timing) at ``n`` points in d = 100."""
    import numpy as np
    from kernel_throughput import D, jax_gram_fn, seconds

    gram, as_array = jax_gram_fn()
    timing, _ = seconds(gram, as_array(np.random.default_rng(0).uniform(size=(n, D))))
    return {"n": n, "d": D, "first_call_s": timing["first_call_seconds"], "steady_s": timing["steady_seconds"]}


def render(d: dict) -> str:
    """The report's section (``report.py``): compiled BO latency, NUTS and SMC against their peers, the NNGP Gram."""
    from report import fmt, table

    bo = table(
        ["surrogate", "n", "s per iteration", "compile s"],
        [[r["surrogate"], r["n"], r["seconds_per_iteration"], r["compile_s"]] for r in d["compiled_bo"]],
    )
    nuts = "; ".join(
        f"{r['problem']}: " + ", ".join(f"{k} {fmt(v)}" for k, v in r.items() if k != "problem")
        for r in d["nuts_vs_numpyro"]
    )
    smc, gram = d["smc_vs_blackjax"], d["nngp_gram"]
    dry = " **CPU dry run: smallest sizes, not a measurement.**" if d.get("dry_run") else ""
    return (
        f"Device: {d['device']}.{dry}\n\nCompiled BO (hartmann6, one seed):\n\n{bo}\n\n"
        f"NUTS bulk-ESS/s against NumPyro: {nuts}.\n\n"
        f"Tempered SMC wall time / BlackJAX's: {fmt(smc['wall_time_ratio_modbayes_over_blackjax'])}.\n\n"
        f"NNGP Gram, n = {gram['n']}, d = {gram['d']}: first call {fmt(gram['first_call_s'])} s, "
        f"steady {fmt(gram['steady_s'])} s."
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpu-dry-run", action="store_true", help="every part at its smallest size, on the CPU")
    parser.add_argument("--out", help="default results/gpu.json (a dry run: a temporary file)")
    args = parser.parse_args(argv)
    dry = args.cpu_dry_run
    default = pathlib.Path(tempfile.gettempdir() if dry else pathlib.Path(__file__).parent / "results")
    args.out = args.out or str(default / ("gpu_dry_run.json" if dry else "gpu.json"))
    if dry:
        os.environ["MODBAYES_QUICK"] = "1"  # smc_vs_blackjax's small sizes; read at its import
        os.environ["JAX_PLATFORMS"] = "cpu"
    import jax

    import surrogates  # noqa: F401  (float64, as the BO loop runs)

    device = jax.devices()[0]
    if device.platform != "gpu" and not dry:
        message = f"error: JAX sees no GPU (first device: {device}); install .[cuda] or pass --cpu-dry-run"
        print(message, file=sys.stderr)
        return 2
    from machine import machine_info

    start = machine_info()
    results = {"device": str(getattr(device, "device_kind", device)), "dry_run": dry, "machine": start}
    results["compiled_bo"] = compiled_bo_latency(DRY_SIZES if dry else SIZES, DRY_ITERATIONS if dry else ITERATIONS)
    results["nuts_vs_numpyro"] = nuts_against_numpyro(dry)
    results["smc_vs_blackjax"] = smc_against_blackjax()
    results["nngp_gram"] = nngp_gram(DRY_GRAM_N if dry else GRAM_N)
    results["machine"] = machine_info(start)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
