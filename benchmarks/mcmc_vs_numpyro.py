"""NUTS in modbayes (``inference.mcmc``) against NumPyro's own ``MCMC(NUTS(model))``.

Both samplers run in one process, on the same NumPyro models, with the same numbers of
warmup steps, draws and chains and the same seeds:

1. Bayesian logistic regression, n = 1000 simulated points, d = 20 features;
2. the non-centred eight-schools model (Rubin 1981; Gelman et al., BDA3 §5.5).

Each sampler is called ``--repeats`` times (seeds ``seed, seed + 1, ...``), the samplers
interleaved within each repeat so that they share whatever else the machine is doing.
Neither library caches its compiled sampler between calls (both build fresh closures),
so every call traces and compiles again. Per sampler we report

* ``first_call_s``: wall time of the first call (tracing + XLA compilation + sampling),
  and ``call_s``, the wall time of every call;
* ``compile_s``: tracing, lowering and XLA compilation inside a call (median over calls),
  read from JAX's own monitoring events (``/jax/core/compile/*_duration``), measured the
  same way for both libraries;
* ``run_s``: sampling time, ``wall - compile`` of a call (median over calls; dispatch is
  made synchronous so that compilation never overlaps a running sampler);
* ``min_ess_bulk``: the smallest bulk ESS (ArviZ, rank-normalised) over every scalar
  component of every latent site, averaged over the repeats (it varies by ±10% with the
  seed), and ``ess_per_s = min_ess_bulk / run_s``.

The headline number is ``ratio = ess_per_s(modbayes) / ess_per_s(numpyro)`` for NumPyro's
``chain_method="vectorized"`` (the same layout as modbayes' default on one device);
NumPyro's ``"sequential"`` (its default on one device) is reported beside it.

Usage::

    python benchmarks/mcmc_vs_numpyro.py                      # 1000/1000/4, 3 repeats, writes results JSON
    python benchmarks/mcmc_vs_numpyro.py --num-warmup 200 --num-samples 200 --repeats 1 --no-sequential
"""

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
# Synchronous dispatch: otherwise a compiled sampler keeps running while Python goes on
# to trace and compile the next function (NumPyro's postprocessing, say), the compile
# events overlap the sampling, and "run = wall - compile" comes out wrong.
jax.config.update("jax_cpu_enable_async_dispatch", False)

import arviz as az  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from compile_timer import timed  # noqa: E402

import inference  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "mcmc_vs_numpyro.json"

# -- models ----------------------------------------------------------------------------------


def logistic_regression(X, y=None):
    """alpha ~ N(0, 1), beta ~ N(0, I_d), y_i ~ Bernoulli(logit⁻¹(alpha + x_i·beta))."""
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=alpha + X @ beta), obs=y)


def eight_schools(sigma, y=None):
    """Non-centred eight schools: theta_j = mu + tau * theta_tilde_j."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("school", sigma.shape[0]):
        theta_tilde = numpyro.sample("theta_tilde", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * theta_tilde)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def logistic_data(n=1000, d=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    beta = rng.normal(size=d)
    logits = 0.5 + X @ beta
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    return (jnp.asarray(X),), {"y": jnp.asarray(y)}


def eight_schools_data():
    y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    return (sigma,), {"y": y}


PROBLEMS = {
    "logistic_regression_n1000_d20": (logistic_regression, logistic_data, ("alpha", "beta")),
    "eight_schools_noncentered": (eight_schools, eight_schools_data, ("mu", "tau", "theta_tilde")),
}


def min_ess(samples: dict, names) -> float:
    """Smallest bulk ESS over every scalar component of the named sites
    (``samples[name]: [chains, draws, *shape]``)."""
    data = az.convert_to_dataset({n: np.asarray(samples[n]) for n in names})
    ess = az.ess(data, method="bulk")
    return float(min(np.min(ess[n].values) for n in names))


def modbayes_call(model, args, kwargs, config):
    program = inference.Program(model, *args, **kwargs)

    def call(seed):
        post = inference.mcmc(
            jax.random.PRNGKey(seed),
            program,
            kernel="nuts",
            num_warmup=config["num_warmup"],
            num_samples=config["num_samples"],
            num_chains=config["num_chains"],
        )
        return post.samples, int(np.sum(np.asarray(post.stats["diverging"])))

    return call


def numpyro_call(model, args, kwargs, config, chain_method):
    def call(seed):
        mcmc = MCMC(
            NUTS(model),
            num_warmup=config["num_warmup"],
            num_samples=config["num_samples"],
            num_chains=config["num_chains"],
            chain_method=chain_method,
            progress_bar=False,
        )
        mcmc.run(jax.random.PRNGKey(seed), *args, extra_fields=("diverging",), **kwargs)
        return mcmc.get_samples(group_by_chain=True), int(np.sum(mcmc.get_extra_fields()["diverging"]))

    return call


def summarise(label: str, calls: list[dict]) -> dict:
    """One sampler's repeated calls: ``calls[i]`` has wall, compile, ess, divergences."""
    wall = np.array([c["wall_s"] for c in calls])
    compile_s = np.array([c["compile_s"] for c in calls])
    run_s = np.maximum(wall - compile_s, 1e-9)
    ess = np.array([c["min_ess_bulk"] for c in calls])
    return {
        "sampler": label,
        "first_call_s": float(wall[0]),
        "call_s": wall.tolist(),
        "compile_s": float(np.median(compile_s)),
        "run_s": float(np.median(run_s)),
        "run_s_each": run_s.tolist(),
        "min_ess_bulk": float(ess.mean()),
        "min_ess_bulk_each": ess.tolist(),
        "ess_per_s": float(ess.mean() / np.median(run_s)),
        "num_divergent": [c["num_divergent"] for c in calls],
    }


def machine_info() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "jax_backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "jax": jax.__version__,
        "numpyro": numpyro.__version__,
        "arviz": az.__version__,
        "x64": bool(jax.config.jax_enable_x64),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def print_table(results: list[dict]) -> None:
    header = f"{'problem':30} {'sampler':30} {'compile_s':>9} {'run_s':>7} {'1st_call':>8} {'min_ess':>8} {'ess/s':>7}"
    print(header)
    print("-" * len(header))
    for problem in results:
        for row in problem["runs"]:
            print(
                f"{problem['problem']:30} {row['sampler']:30} {row['compile_s']:9.2f} {row['run_s']:7.2f} "
                f"{row['first_call_s']:8.2f} {row['min_ess_bulk']:8.0f} {row['ess_per_s']:7.0f}"
            )
        for name, value in problem["ratios"].items():
            print(f"{'':30} {name:40} {value:6.2f}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--num-chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-sequential", action="store_true", help="skip NumPyro's sequential chains")
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    opts = parser.parse_args(argv)
    config = {"num_warmup": opts.num_warmup, "num_samples": opts.num_samples, "num_chains": opts.num_chains}

    results = []
    for name in opts.problems:
        model, make_data, names = PROBLEMS[name]
        args, kwargs = make_data()
        samplers = {"modbayes (default: vectorized)": modbayes_call(model, args, kwargs, config)}
        samplers["numpyro (vectorized)"] = numpyro_call(model, args, kwargs, config, "vectorized")
        if not opts.no_sequential:
            samplers["numpyro (sequential)"] = numpyro_call(model, args, kwargs, config, "sequential")
        calls = {label: [] for label in samplers}
        for repeat in range(opts.repeats):
            for label, call in samplers.items():
                (samples, num_divergent), wall, compile_s = timed(lambda: call(opts.seed + repeat))  # noqa: B023
                ess = min_ess(samples, names)
                calls[label].append(
                    {"wall_s": wall, "compile_s": compile_s, "min_ess_bulk": ess, "num_divergent": num_divergent}
                )
                print(
                    f"{name} {label} seed {opts.seed + repeat}: wall {wall:.2f}s compile {compile_s:.2f}s "
                    f"min ESS {ess:.0f}",
                    flush=True,
                )
        runs = [summarise(label, c) for label, c in calls.items()]
        ours = runs[0]["ess_per_s"]
        ratios = {f"ess/s ratio vs {r['sampler']}": ours / r["ess_per_s"] for r in runs[1:]}
        results.append({"problem": name, "runs": runs, "ratios": ratios})

    config.update(seed=opts.seed, repeats=opts.repeats)
    report = {"machine": machine_info(), "config": config, "results": results}
    print_table(results)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {opts.out}")
    return report


if __name__ == "__main__":
    main()
