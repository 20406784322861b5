"""Per-iteration cost of the BNN surrogates in the BO loop, and bnn_hmc's fit against NumPyro's HMC.

For each surrogate (bnn_hmc, bnn_sghmc, ensemble, laplace) and n = 50, 100, 200
hartmann6 evaluations (Sobol points), one BO iteration is ``Optimizer.ask(1)``: fit the
surrogate to the standardised data, then maximise LogEI on device. The first ask at a
size bucket compiles; the next ask, after one more point in the same bucket, is the
steady state a BO run pays per iteration. Fit and acquisition seconds are reported
separately, with each surrogate's registered defaults (since #15 a 2×32 tanh network and a
4-fold recalibration: five fits per iteration; HMC 500 + 500, path length 0.01, 1000 MAP
steps). The json keeps a ``baseline`` (the steady seconds before #15) across re-runs, and
the report gives each row's ratio to it.

Peer, in the same process: NumPyro's ``MCMC(HMC(trajectory_length=0.01))`` on the same
``BNN.model`` and data, with the same warmup, draws and MAP start, ``jit_model_args=True``
(so that NumPyro, too, reuses its compilation across refits), timed on its second run.

    python benchmarks/bnn_surrogate_cost.py     # writes benchmarks/results/bnn_surrogate_cost.json
"""

import json
import os
import pathlib
import platform
import time
from functools import partial

import jax
import numpy as np

import surrogates  # noqa: F401  (float64 mode, as in the BO loop)
from surrogates.bo import Optimizer, problems

SIZES = (50, 100, 200)
NAMES = ("bnn_hmc", "bnn_sghmc", "ensemble", "laplace")
if os.environ.get("MODBAYES_QUICK") == "1":
    SIZES, NAMES = (50,), ("bnn_hmc",)


def design(n: int, problem):
    from scipy.stats import qmc

    U = qmc.Sobol(problem.dim, scramble=True, seed=0).random_base2(int(np.ceil(np.log2(n + 1))))[: n + 1]
    X = problem.bounds[:, 0] + U * (problem.bounds[:, 1] - problem.bounds[:, 0])
    return X, np.array([problem.fun(x) for x in X])


def one_iteration(opt) -> dict:
    # Process CPU seconds too: the fits run on one core, so on a shared machine they are the
    # steadier measure (wall time includes waiting for the other processes).
    start, cpu = time.perf_counter(), time.process_time()
    opt.ask(1)
    return {"total": time.perf_counter() - start, "cpu": time.process_time() - cpu, **opt.last_timings}


def modbayes_cost(name: str, n: int, problem) -> dict:
    X, y = design(n, problem)
    opt = Optimizer(problem.bounds, surrogate=name, n_init=1, seed=0)
    opt.tell(X[:n], y[:n])
    opt.num_asked = n  # the n points stand for an initial design already asked: the next ask is model-based
    first = one_iteration(opt)
    opt.tell(X[n:], y[n:])  # one more point: same padded size bucket, new data
    steady = one_iteration(opt)
    return {"first_iteration": first, "steady_iteration": steady}


def numpyro_hmc_seconds(n: int, problem) -> dict:
    """NumPyro HMC on ``BNN.model`` with bnn_hmc's settings; the second run (compiled) is timed."""
    import jax.numpy as jnp
    import numpyro

    from bayesnn.map import maximize_log_density
    from inference import Program

    bnn = surrogates.get("bnn_hmc")._bnn
    X, y = design(n, problem)
    U = (X - problem.bounds[:, 0]) / (problem.bounds[:, 1] - problem.bounds[:, 0])
    y = (y - y.mean()) / y.std()
    timings = []
    for rep in range(2):
        start = time.perf_counter()
        program = Program(bnn.model, jnp.asarray(U[:n]), jnp.asarray(y[:n]))
        z0 = program.sample_prior(jax.random.PRNGKey(rep), 1)[0]
        pretrain = partial(maximize_log_density, program.log_density, num_steps=1000, learning_rate=0.01)
        z_map, _ = jax.jit(pretrain)(z0)
        kernel = numpyro.infer.HMC(bnn.model, trajectory_length=0.01, step_size=0.02, adapt_mass_matrix=True)
        mcmc = numpyro.infer.MCMC(kernel, num_warmup=500, num_samples=500, progress_bar=False, jit_model_args=True)
        mcmc.run(
            jax.random.PRNGKey(rep),
            jnp.asarray(U[:n]),
            jnp.asarray(y[:n]),
            init_params=program.to_sites(z_map),
        )
        jax.block_until_ready(mcmc.get_samples())
        timings.append(time.perf_counter() - start)
    return {"first_fit": timings[0], "steady_fit": timings[1]}


def main():
    problem = problems.get("hartmann6")
    results = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "jax": jax.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_start": os.getloadavg(),
        "rows": [],
    }
    out = pathlib.Path(__file__).parent / "results" / "bnn_surrogate_cost.json"
    if out.exists() and "baseline" in (previous := json.loads(out.read_text())):
        # The steady seconds a change is judged against (#15: at most 1.5x), kept across re-runs.
        results["baseline"] = previous["baseline"]
    for n in SIZES:
        row = {"n": n}
        for name in NAMES:
            row[name] = modbayes_cost(name, n, problem)
            print(n, name, json.dumps(row[name]), flush=True)
        row["numpyro_hmc"] = numpyro_hmc_seconds(n, problem)
        print(n, "numpyro_hmc", row["numpyro_hmc"], flush=True)
        fit = row["bnn_hmc"]["steady_iteration"]["fit"]
        row["bnn_hmc_fit_vs_numpyro"] = fit / row["numpyro_hmc"]["steady_fit"]
        results["rows"].append(row)
        results["load_average_now"] = os.getloadavg()
        out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
