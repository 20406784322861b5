"""Inducing-point DKM at n = 10,000: fit seconds (compile and run apart) and what it learned.

``surrogates.get("dkm", num_inducing=128)`` (defaults otherwise: depth 3 ReLU, ν = 1,
variances and noise learned, 200 L-BFGS steps) on n = 10,000 points of an 8-D function.
The fit is one jitted program: its compile is timed ahead of time (``lower().compile()``),
then ``fit`` runs it. CPU seconds are reported beside wall seconds, because on a shared
machine the wall clock also counts other processes (the load average is recorded).

To show the fit learned something, held-out RMSE (against the noiseless function) and mean
log predictive density (of the noisy targets) on 2,000 test points, for the sparse DKM and
for the peer an exact GP can afford at this n: the NNGP GP (``ibnn``, hyperparameters
learned) on a random subset of 2,000 training points (one fit, compile included). The
objective (Titsias bound − Σ ν KL, per point) is reported at the NNGP start and at the fit;
recomputing the fitted parameters for it costs one more, untimed, run.

    python benchmarks/dkm_sparse_scale.py     # writes benchmarks/results/dkm_sparse_scale.json
"""

import json
import os
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
from machine import machine_info

import surrogates
from surrogates.kernel_gp import _fit  # the jitted fit program every kernel surrogate runs

N, D, NUM_INDUCING, N_TEST, N_SUBSET, NOISE_SD = 10_000, 8, 128, 2_000, 2_000, 0.1
if os.environ.get("MODBAYES_QUICK") == "1":
    N, N_TEST, N_SUBSET = 3_000, 500, 500


def target(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth 8-D test function: two ridge waves and an interaction, O(1) in the unit cube."""
    w1, w2 = rng.normal(size=X.shape[1]), rng.normal(size=X.shape[1])
    return np.sin(2 * X @ w1) + 0.5 * np.cos(3 * X @ w2) + 4 * (X[:, 0] - 0.5) * (X[:, 1] - 0.5)


def data(seed: int):
    """Train ``(X [N, D], y [N])`` and test ``(Xt, ft, yt)``; y standardised by the train moments."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(N + N_TEST, D))
    f = target(X, np.random.default_rng(1234))  # the same function for every seed
    y = f + NOISE_SD * rng.normal(size=len(f))
    mu, sd = y[:N].mean(), y[:N].std()
    f, y = (f - mu) / sd, (y - mu) / sd
    return X[:N], y[:N], X[N:], f[N:], y[N:]


def held_out(post, Xt, ft, yt) -> dict:
    """RMSE of the mean against the noiseless f; mean log density of the noisy y (latent var + noise)."""
    mean, var = post.predict(jnp.asarray(Xt))
    mean, var = np.asarray(mean), np.asarray(var) + float(post.noise)
    lpd = -0.5 * (np.log(2 * np.pi * var) + (yt - mean) ** 2 / var)
    return {"rmse": float(np.sqrt(np.mean((mean - ft) ** 2))), "mean_log_predictive_density": float(lpd.mean())}


def timed_fit(model, X, y) -> tuple[object, dict]:
    wall, cpu = time.perf_counter(), time.process_time()
    post = model.fit(jax.random.PRNGKey(0), X, y)
    return post, {"wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}


def main():
    out = pathlib.Path(__file__).parent / "results" / "dkm_sparse_scale.json"
    model = surrogates.get("dkm", num_inducing=NUM_INDUCING)
    start = machine_info()

    X, y, Xt, ft, yt = data(0)
    Xj, yj, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(N, bool)
    wall, cpu = time.perf_counter(), time.process_time()
    _fit.lower(model, Xj, yj, mask).compile()
    compile_time = {"wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
    print("sparse DKM compile", compile_time, flush=True)
    post, fit_time = timed_fit(model, X, y)
    print("sparse DKM fit", fit_time, flush=True)

    # Objective per training point at the NNGP start and at the fit (Titsias bound − Σ ν KL).
    init = jax.jit(model.init_all)(Xj, mask)
    objective = jax.jit(model.objective)
    fitted = jax.jit(model.fit_params)(Xj, yj, mask)
    dkm = {
        "compile": compile_time,
        "fit": fit_time,
        "objective_per_point_init": float(objective(init, Xj, yj, mask)) / N,
        "objective_per_point_fit": float(objective(fitted, Xj, yj, mask)) / N,
        "learned": {"weight_var": float(post.weight_var), "bias_var": float(post.bias_var), "noise": float(post.noise)},
        **held_out(post, Xt, ft, yt),
    }
    print("sparse DKM", dkm, flush=True)

    subset = np.random.default_rng(0).choice(N, N_SUBSET, replace=False)
    ibnn_post, ibnn_fit = timed_fit(surrogates.get("ibnn"), X[subset], y[subset])
    nngp = {"n": N_SUBSET, "fit_with_compile": ibnn_fit, **held_out(ibnn_post, Xt, ft, yt)}
    print("NNGP GP on subset", nngp, flush=True)

    results = {
        "machine": machine_info(start),
        "config": {
            "n": N,
            "d": D,
            "num_inducing": NUM_INDUCING,
            "n_test": N_TEST,
            "noise_sd": NOISE_SD,
            "dkm": {
                "depth": model.depth,
                "activation": model.activation,
                "nu": model.nu,
                "max_steps": model.max_steps,
                "learn": model.learn,
                "learn_inducing": model.learn_inducing,
            },
            "nngp_subset": N_SUBSET,
        },
        "sparse_dkm": dkm,
        "nngp_gp_subset": nngp,
        "goal_fit_seconds": 60.0,
    }
    out.write_text(json.dumps(results, indent=1))
    print("wrote", out)


if __name__ == "__main__":
    main()
