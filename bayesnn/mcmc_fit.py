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

from functools import partial

import jax
import jax.numpy as jnp

from inference import Program, kernels
from inference.mcmc import sample_chains

from .bnn import BNN
from .map import map_starts
from .mass import fisher_inverse_mass
from .posterior import SampledBNNPosterior

# nuts and hmc options and their defaults; ``bayesnn.fit`` rejects anything else by name.
_COMMON = dict(
    num_warmup=500,
    num_samples=500,
    thinning=1,
    target_accept=0.8,
    pretrain_steps=1000,
    learning_rate=0.01,
    adapt_mass=True,
    initial_mass="fisher",
    chain_method=None,
)
DEFAULTS = {
    "nuts": dict(_COMMON, num_chains=2, max_tree_depth=8),
    "hmc": dict(_COMMON, num_chains=1, step_size=0.02, path_length=0.01, num_steps=None, step_size_jitter=0.0),
}


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


def num_steps(options: dict) -> int:
    """Kernel steps per chain (warmup and kept draws): the progress bar's length."""
    return options["num_warmup"] + options["num_samples"] * options["thinning"]


def program(key, bnn: BNN, x, y, mask, method: str, options: dict, report=None) -> SampledBNNPosterior:
    """``method`` (``nuts``/``hmc``) with resolved ``options`` (``bayesnn.fit``): traceable; ``report(t)``
    is called at each kernel step when given (the progress bar). ``values {site: [chains * draws, ...]}``."""
    values, stats = _fit(key, x, y, mask, bnn=bnn, method=method, config=tuple(sorted(options.items())), report=report)
    return SampledBNNPosterior(bnn, values, stats, method, options["num_chains"])
