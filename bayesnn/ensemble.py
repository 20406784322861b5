"""Deep ensembles (Lakshminarayanan et al., NeurIPS 2017) of MAP-trained BNNs.

Each member starts from its own prior draw and is trained by Adam on the log joint
density (likelihood plus the prior as weight decay) of its own random subset of the
data (``train_fraction`` of the real rows, the bootstrap-style subsets of Li, Rudner &
Wilson's configs). With ``anchored=True`` each member is instead randomise-then-optimise
(Pearce et al., AISTATS 2020; Osband et al.'s randomised priors): its weight decay pulls
towards its own prior draw θ̃ instead of 0, ``log p(θ − θ̃) + log p(ỹ | θ)``, and it fits
targets with fresh observation noise ``ỹ = y + σε``. For a linear-Gaussian model the members
are then exact posterior draws; for a network the spread no longer collapses where members
agree by construction. It needs a fixed noise (``BNN(noise=σ)``) and a zero-mean Gaussian
prior. Members are vmapped: one compiled program trains all of them, and it is reused
across refits on data of the same size. The predictive is the
equally weighted mixture of the members (``SampledBNNPosterior``).
"""

import time
from functools import partial

import jax
import jax.numpy as jnp

from inference import Program

from .bnn import BNN
from .map import maximize_log_density
from .posterior import SampledBNNPosterior

# Options and defaults (``bayesnn.fit`` rejects anything else by name).
DEFAULTS = {"ensemble": dict(num_members=10, train_steps=1000, learning_rate=0.01, train_fraction=0.8, anchored=False)}


def check_anchored(bnn: BNN, anchored: bool) -> None:
    """``anchored=True`` needs what its derivation assumes: a Gaussian likelihood with a fixed noise
    and the plain zero-mean Gaussian weight prior. A ``ValueError`` naming the option otherwise."""
    if anchored and (bnn.likelihood != "gaussian" or bnn.learns_noise or bnn.hierarchical):
        raise ValueError(
            "anchored=True needs likelihood='gaussian', a fixed noise (BNN(noise=sd)) and hierarchical=False; "
            f"got likelihood={bnn.likelihood!r}, noise={bnn.noise!r}, hierarchical={bnn.hierarchical!r}"
        )


_STATIC = ("bnn", "num_members", "train_steps", "learning_rate", "train_fraction", "anchored")


@partial(jax.jit, static_argnames=_STATIC)
def _fit(key, x, y, mask, *, bnn: BNN, num_members, train_steps, learning_rate, train_fraction, anchored=False):
    def member(key):
        k_init, k_subset, k_noise = jax.random.split(key, 3)
        subset = mask & (jax.random.uniform(k_subset, mask.shape) < train_fraction)
        # A subset with no real row (tiny n) falls back to all of them.
        subset = jnp.where(jnp.any(subset), subset, mask)
        target = y
        if anchored:
            # Randomise-then-optimise: noisy targets and a prior anchored at the member's own draw.
            target = y + bnn.noise_sd(None) * jax.random.normal(k_noise, y.shape, y.dtype)
        program = Program(bnn.model, x, target, subset)
        z0 = program.sample_prior(k_init, 1)[0]
        if anchored:
            log_density = lambda z: program.log_prior(z - z0) + program.log_likelihood(z)  # noqa: E731
        else:
            log_density = program.log_density
        z, log_density = maximize_log_density(log_density, z0, num_steps=train_steps, learning_rate=learning_rate)
        values = program.constrain(z)
        return {k: values[k] for k in program.latent_names}, log_density

    return jax.vmap(member)(jax.random.split(key, num_members))


def fit_ensemble(key, bnn: BNN, x, y, mask, *, num_members, train_steps, learning_rate, train_fraction, anchored):
    """Train the members; returns ``(values {site: [members, ...]}, stats, timings)``."""
    options = dict(num_members=num_members, train_steps=train_steps, learning_rate=learning_rate)
    options |= dict(train_fraction=train_fraction, anchored=anchored)
    start = time.perf_counter()
    posterior = jax.block_until_ready(program(key, bnn, x, y, mask, "ensemble", options))
    return posterior.values, posterior.stats, {"fit": time.perf_counter() - start}


def program(key, bnn: BNN, x, y, mask, method: str, options: dict, report=None) -> SampledBNNPosterior:
    """The members for resolved ``options`` (``bayesnn.fit``): traceable (the ``anchored`` check is
    on the static model and options); ``values {site: [members, ...]}``; ``report`` is unused."""
    check_anchored(bnn, options["anchored"])
    values, log_density = _fit(key, x, y, mask, bnn=bnn, **options)
    return SampledBNNPosterior(bnn, values, {"log_density": log_density[None]}, method, 1)
