"""modbayes NUTS and NumPyro NUTS against inference-gym's posteriors (issue #20).

Each target's log density (inference-gym, JAX substrate, unconstrained by the target's
default bijector, with its Jacobian) is sampled by ``inference.mcmc`` and by NumPyro's
``MCMC(NUTS(potential_fn=...), chain_method="vectorized")`` in one process, with the same
chains, warmup, draws, starts (zeros) and seeds. References: the gym's ground truth, or the
exact quadrature of ``gold_references`` for EightSchools and the Brownian-motion target.

Columns per sampler and target (pooled over seeds): max |z| = max over dimensions of
(mean of the seeds' means − reference) / (pooled MCSE), max relative error of the sd,
divergences, max R-hat, min bulk ESS (mean over seeds), ESS/s (that over the median sampling
time of the calls after the first, compilation subtracted by ``compile_timer``) and the first
call's wall and compile time.

Tempered SMC (``inference.smc``, its defaults: adaptive tempering, the "auto" kernel, 2000
particles) runs where the exact log p(y) is known (the two quadrature targets): it tempers
from a reference N(0, 3² I) on the unconstrained space, with log likelihood
``log_density − log N(z; 0, 20²)``, so its log Ẑ estimates the target's normaliser, p(y).
Its z uses the spread of the seeds' estimates (independent replicates), not an MCSE:
z = (mean over seeds − exact) / (sd over seeds / √seeds).

    pip install -e ".[bench]"
    python benchmarks/gold_standard.py [--targets EightSchools,...] [--seeds 3] [--num-warmup 1000]
"""

import argparse
import json
import pathlib
import warnings

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from compile_timer import timed, warm_up_backend
from gold_references import REFERENCES
from inference_gym import using_jax as gym
from machine import machine_info
from numpyro.infer import MCMC, NUTS

import inference

# Synchronous dispatch, so that a call's compile time can be subtracted from its wall time.
jax.config.update("jax_cpu_enable_async_dispatch", False)

TARGETS = (
    "EightSchools",
    "BrownianMotionUnknownScalesMissingMiddleObservations",
    "IllConditionedGaussian",
    "StochasticVolatilitySP500Small",
    "SyntheticItemResponseTheory",
    "ConvectionLorenzBridge",
    "SyntheticLogGaussianCoxProcess",
    "Banana",
    "NealsFunnel",
)


def load(name: str):
    """``(log_density, report, dim, ref_mean, ref_sd)``: ``report`` maps an unconstrained draw to
    the gym's ``identity`` transformation, the vector its references are for (sorted site names)."""
    target = gym.targets.VectorModel(getattr(gym.targets, name)(), flatten_sample_transformations=True)
    bijector = target.default_event_space_bijector
    identity = target.sample_transformations["identity"]

    def log_density(z):
        return target.unnormalized_log_prob(bijector(z)) + bijector.forward_log_det_jacobian(z, event_ndims=1)

    if name in REFERENCES:
        ref_mean, ref_sd, ref_log_z = REFERENCES[name]()
    else:
        ref_mean, ref_sd = np.asarray(identity.ground_truth_mean), np.asarray(identity.ground_truth_standard_deviation)
        ref_log_z = None
    report = jax.jit(jax.vmap(jax.vmap(lambda z: identity(bijector(z)))))
    return jax.jit(log_density), report, int(target.event_shape[0]), ref_mean, ref_sd, ref_log_z


def run_modbayes(seed, log_density, dim, args):
    post = inference.mcmc(
        jax.random.PRNGKey(seed),
        log_density,
        num_warmup=args.num_warmup,
        num_samples=args.num_samples,
        num_chains=args.num_chains,
        init_position=jnp.zeros(dim, jnp.float32),
    )
    return np.asarray(post.positions), int(np.sum(np.asarray(post.stats["diverging"])))


def run_numpyro(seed, log_density, dim, args):
    mcmc = MCMC(
        NUTS(potential_fn=lambda z: -log_density(z)),
        num_warmup=args.num_warmup,
        num_samples=args.num_samples,
        num_chains=args.num_chains,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), init_params=jnp.zeros((args.num_chains, dim), jnp.float32))
    divergences = int(np.sum(np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])))
    return np.asarray(mcmc.get_samples(group_by_chain=True)), divergences


SAMPLERS = {"modbayes": run_modbayes, "numpyro": run_numpyro}


def score(draws_by_seed, ref_mean, ref_sd) -> dict:
    """Pooled z, sd error, R-hat and ESS from ``[chains, draws, dim]`` constrained draws per seed."""
    means, mcses, sds, rhats, esss = [], [], [], [], []
    for draws in draws_by_seed:
        idata = az.from_dict(posterior={"x": draws})
        means.append(draws.mean((0, 1)))
        sds.append(draws.reshape(-1, draws.shape[-1]).std(0))
        mcses.append(np.asarray(az.mcse(idata)["x"]))
        rhats.append(np.asarray(az.rhat(idata)["x"]))
        esss.append(np.asarray(az.ess(idata, method="bulk")["x"]))
    k = len(means)
    z = (np.mean(means, 0) - ref_mean) / (np.sqrt(np.sum(np.square(mcses), 0)) / k)
    return {
        "max_abs_z": float(np.max(np.abs(z))),
        "max_rel_sd_error": float(np.max(np.abs(np.mean(sds, 0) / ref_sd - 1))),
        "max_rhat": float(np.max(rhats)),
        "min_ess_bulk": float(np.mean([e.min() for e in esss])),
        # Per seed too: the minimum over coordinates is an extreme value, so its spread over
        # seeds says whether two samplers' means differ by more than chance.
        "min_ess_bulk_per_seed": [float(e.min()) for e in esss],
    }


SMC_REFERENCE_SCALE, SMC_PARTICLES = 3.0, 2000


def run_smc(seed, log_density, dim) -> tuple[np.ndarray, float]:
    """``([particles, dim] equally weighted draws, log Ẑ)`` of tempered SMC (module docstring)."""
    reference = dist.Normal(jnp.zeros(dim), SMC_REFERENCE_SCALE).to_event(1)
    result = inference.smc(
        jax.random.PRNGKey(seed),
        lambda z: log_density(z) - reference.log_prob(z),
        prior=reference,
        num_particles=SMC_PARTICLES,
    )
    return np.asarray(result.samples["x"]), float(result.log_evidence)


def measure_smc(log_density, report, dim, ref_mean, ref_log_z, seeds) -> dict:
    means, log_zs, seconds = [], [], []
    for seed in range(seeds):
        (draws, log_z), wall, compile_s = timed(lambda: run_smc(seed, log_density, dim))  # noqa: B023
        means.append(np.asarray(report(jnp.asarray(draws)[None]))[0].mean(0))
        log_zs.append(log_z)
        seconds.append(wall - compile_s)
    k = len(means)
    z = (np.mean(means, 0) - ref_mean) / (np.std(means, 0, ddof=1) / np.sqrt(k))
    return {
        "max_abs_z": float(np.max(np.abs(z))),
        "log_evidence_mean": float(np.mean(log_zs)),
        "log_evidence_sd": float(np.std(log_zs, ddof=1)),
        "log_evidence_exact": ref_log_z,
        "run_s": float(np.median(seconds[1:] or seconds)),
    }


def measure(name: str, args) -> dict:
    log_density, report, dim, ref_mean, ref_sd, ref_log_z = load(name)
    row = {"target": name, "dim": dim, "seeds": args.seeds}
    for sampler, run in SAMPLERS.items():
        # Each sampler's first call traces the density afresh, as a user's would: without this the
        # second sampler reuses the jitted density's trace (and its pieces' compiles) from the first.
        jax.clear_caches()
        draws, divergences, calls = [], 0, []
        for seed in range(args.seeds):
            (raw, div), wall, compile_s = timed(lambda: run(seed, log_density, dim, args))  # noqa: B023
            calls.append((wall, compile_s))
            draws.append(np.asarray(report(jnp.asarray(raw))))
            divergences += div
        # Seeds after the first: sampling time without compilation (NumPyro compiles on every call).
        run_s = np.median([max(wall - compile_s, 1e-9) for wall, compile_s in calls[1:] or calls])
        row[sampler] = score(draws, ref_mean, ref_sd) | {
            "divergences": divergences,
            "first_call_s": calls[0][0],
            "first_call_compile_s": calls[0][1],
            "run_s": float(run_s),
        }
        row[sampler]["ess_per_s"] = row[sampler]["min_ess_bulk"] / run_s
        print(json.dumps({"target": name, "sampler": sampler} | row[sampler]), flush=True)
    row["ess_per_s_ratio"] = row["modbayes"]["ess_per_s"] / row["numpyro"]["ess_per_s"]
    if ref_log_z is not None:
        row["smc"] = measure_smc(log_density, report, dim, ref_mean, ref_log_z, max(args.seeds, 5))
        print(json.dumps({"target": name, "sampler": "smc"} | row["smc"]), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--num-chains", type=int, default=4)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "gold_standard.json"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*float64.*")  # tfp's requests on float32 JAX
    out = pathlib.Path(args.out)
    results = {"config": vars(args), "machine": machine_info(), "rows": []}
    warm_up_backend()
    for name in args.targets.split(","):
        results["rows"].append(measure(name, args))
        out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
