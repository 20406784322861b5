"""Adaptive tempered SMC: modbayes ``inference.smc`` against BlackJAX ``adaptive_tempered_smc``.

Same target (Bayesian logistic regression, d=10, n=500, N(0, 1) prior), same number of
particles (1000), same mutation kernel (HMC, step size 0.05, 10 leapfrog steps, identity
mass, no tuning), same number of mutation steps (10), systematic resampling at every step,
target ESS 0.5, five seeds, one process. Reports wall time after compilation, compile time
and the mean and sd of log Ẑ over seeds.

    python benchmarks/smc_vs_blackjax.py          # writes benchmarks/results/smc_vs_blackjax.json
"""

import json
import os
import platform
import sys
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import blackjax  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402

import inference  # noqa: E402

N, D, PARTICLES, STEPS, STEP_SIZE, LEAPFROG, SEEDS = 500, 10, 1000, 10, 0.05, 10, range(5)
QUICK = os.environ.get("MODBAYES_QUICK") == "1"
if QUICK:
    PARTICLES, SEEDS = 200, range(2)

rng = np.random.default_rng(0)
X = rng.normal(size=(N, D))
w_true = rng.normal(size=D)
y = (rng.uniform(size=N) < 1 / (1 + np.exp(-X @ w_true))).astype(float)
Xj, yj = jnp.asarray(X), jnp.asarray(y)


def model(X, y):
    w = numpyro.sample("w", dist.Normal(0.0, 1.0).expand([D]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=X @ w), obs=y)


def log_prior(w):
    return jnp.sum(jax.scipy.stats.norm.logpdf(w))


def log_likelihood(w):
    logits = Xj @ w
    return jnp.sum(yj * logits - jnp.logaddexp(0.0, logits))


def run_modbayes(seed):
    program = PROGRAM
    kernel = inference.kernels.hmc(step_size=STEP_SIZE, num_steps=LEAPFROG)
    res = inference.smc(
        jax.random.PRNGKey(seed),
        program,
        num_particles=PARTICLES,
        kernel=kernel,
        num_mcmc_steps=STEPS,
        ess_threshold=1.0,
        tune_kernel=False,
    )
    return res.log_evidence


PROGRAM = inference.Program(model, Xj, yj)

bj = blackjax.adaptive_tempered_smc(
    log_prior,
    log_likelihood,
    blackjax.hmc.build_kernel(),
    blackjax.hmc.init,
    # Leading axis of size 1: parameters shared by every particle (BlackJAX's convention).
    {
        "step_size": jnp.array([STEP_SIZE]),
        "inverse_mass_matrix": jnp.ones((1, D)),
        "num_integration_steps": jnp.array([LEAPFROG]),
    },
    partial(blackjax.smc.resampling.systematic),
    0.5,
    num_mcmc_steps=STEPS,
)
bj_step = jax.jit(bj.step)


def run_blackjax(seed):
    key = jax.random.PRNGKey(seed)
    k_init, key = jax.random.split(key)
    state = bj.init(jax.random.normal(k_init, (PARTICLES, D)))
    log_z = 0.0
    while float(state.tempering_param) < 1.0:
        key, sub = jax.random.split(key)
        state, info = bj_step(sub, state)
        log_z += float(info.log_likelihood_increment)
    return log_z


def timed(fn, seeds):
    first = time.perf_counter()
    fn(seeds[0])  # compile (and one run)
    compile_and_run = time.perf_counter() - first
    estimates, seconds = [], []
    for seed in seeds:
        t0 = time.perf_counter()
        estimates.append(fn(seed))
        seconds.append(time.perf_counter() - t0)
    run = float(np.median(seconds))
    return {
        "compile_seconds": compile_and_run - run,
        "run_seconds_median": run,
        "log_evidence_mean": float(np.mean(estimates)),
        "log_evidence_sd": float(np.std(estimates, ddof=1)),
        "log_evidence": [float(e) for e in estimates],
    }


def measure() -> dict:
    """Both samplers on every seed: the report ``main`` prints and writes (``gpu.py`` reuses it)."""
    seeds = list(SEEDS)
    results = {"modbayes": timed(run_modbayes, seeds), "blackjax": timed(run_blackjax, seeds)}
    ratio = results["modbayes"]["run_seconds_median"] / results["blackjax"]["run_seconds_median"]
    report = {
        "benchmark": "smc_vs_blackjax",
        "problem": f"logistic regression d={D} n={N}",
        "settings": {
            "num_particles": PARTICLES,
            "kernel": f"hmc(step_size={STEP_SIZE}, num_steps={LEAPFROG}), identity mass, untuned",
            "num_mcmc_steps": STEPS,
            "target_ess": 0.5,
            "resampling": "systematic, every step",
            "seeds": seeds,
            "quick": QUICK,
        },
        "results": results,
        "wall_time_ratio_modbayes_over_blackjax": ratio,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "device": str(jax.devices()[0]),
            "python": sys.version.split()[0],
            "jax": jax.__version__,
            "blackjax": blackjax.__version__,
            "numpyro": numpyro.__version__,
            "date": time.strftime("%Y-%m-%d"),
        },
    }
    return report


def main():
    report = measure()
    results, ratio = report["results"], report["wall_time_ratio_modbayes_over_blackjax"]
    print(f"{'':10s} {'compile s':>10s} {'run s':>8s} {'log Z mean':>11s} {'sd':>6s}")
    for name, r in results.items():
        print(
            f"{name:10s} {r['compile_seconds']:10.2f} {r['run_seconds_median']:8.2f} "
            f"{r['log_evidence_mean']:11.3f} {r['log_evidence_sd']:6.3f}"
        )
    print(f"wall-time ratio modbayes / blackjax: {ratio:.2f} (goal <= 1.0)")
    out = os.path.join(os.path.dirname(__file__), "results", "smc_vs_blackjax.json")
    if not QUICK:
        with open(out, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
