"""``nuts`` and ``hmc`` for BNNs, on ``inference``'s kernels and warmup.

The whole fit — MAP pretraining, warmup (dual-averaging step size, windowed diagonal
mass) and sampling — is one ``jax.jit`` whose arguments are the data, so refitting
on new data of the same (padded) size reuses the compiled program: this is what makes
a BNN refit at every BO iteration affordable.

``hmc`` defaults follow Li, Rudner & Wilson (ICLR 2024, the bnn-bo synthetic
configs): one chain, 500 warmup + 500 draws, a fixed path length of 0.01 with the
step size adapted by dual averaging, started from 1000 Adam steps of MAP training,
with warmup's mass matrix started at the Fisher curvature there (``bayesnn.mass``).
"""

import time
from functools import partial

import jax
import jax.numpy as jnp

from inference import Program, kernels
from inference.mcmc import sample_chains
from inference.progress import progress_callback

from .bnn import BNN
from .map import map_starts
from .mass import fisher_inverse_mass


def _kernel(method: str, options: dict):
    if method == "nuts":
        return kernels.nuts(max_tree_depth=options["max_tree_depth"], target_accept=options["target_accept"])
    return kernels.hmc(
        step_size=options["step_size"],
        num_steps=options["num_steps"] or 1,
        path_length=options["path_length"],
        target_accept=options["target_accept"],
        step_size_jitter=options["step_size_jitter"],
    )


@partial(jax.jit, static_argnames=("bnn", "method", "config", "report"))
def _fit(key, x, y, mask, *, bnn: BNN, method: str, config: tuple, report=None):
    options = dict(config)
    program = Program(bnn.model, x, y, mask)
    num_chains = options["num_chains"]
    k_init, k_chains = jax.random.split(key)
    z0 = map_starts(k_init, program, num_chains, options["pretrain_steps"], options["learning_rate"])
    kernel = _kernel(method, options)
    if options["adapt_mass"] and options["initial_mass"] == "fisher":
        kernel = kernel.tuned(inverse_mass=fisher_inverse_mass(jax.random.fold_in(k_init, 1), bnn, x, y, mask, z0))
    positions, stats, tuned = sample_chains(
        jax.random.split(k_chains, num_chains),
        z0,
        kernel=kernel,
        logdensity_fn=program.log_density,
        num_warmup=options["num_warmup"],
        num_samples=options["num_samples"],
        thinning=options["thinning"],
        adapt_mass=options["adapt_mass"],
        chain_method=options["chain_method"],
        report=report or (lambda t: None),
    )
    flat = jax.tree.map(lambda v: v.reshape(-1, *v.shape[2:]), positions)
    values = jax.vmap(program.constrain)(flat)
    stats = {**stats, "step_size": tuned.step_size[:, None] * jnp.ones_like(stats["log_density"])}
    return {k: values[k] for k in program.latent_names}, stats


def fit_mcmc(key, bnn: BNN, x, y, mask, *, method: str, progress: bool = False, **options):
    """Run ``method`` (``nuts``/``hmc``) with resolved ``options``; see ``bayesnn.fit``.

    Returns ``(values {site: [chains * draws, ...]}, stats {name: [chains, draws]}, timings)``.
    """
    config = tuple(sorted(options.items()))
    total = options["num_warmup"] + options["num_samples"] * options["thinning"]
    start = time.perf_counter()
    with progress_callback(total, enabled=progress, desc=f"bayesnn {method}") as report:
        values, stats = _fit(
            key, x, y, mask, bnn=bnn, method=method, config=config, report=report if progress else None
        )
        values, stats = jax.block_until_ready((values, stats))
    return values, stats, {"fit": time.perf_counter() - start}
