"""Deep ensembles (Lakshminarayanan et al., NeurIPS 2017) of MAP-trained BNNs.

Each member starts from its own prior draw and is trained by Adam on the log joint
density (likelihood plus the prior as weight decay) of its own random subset of the
data (``train_fraction`` of the real rows, the bootstrap-style subsets of Li, Rudner &
Wilson's configs). Members are vmapped: one compiled program trains all of them,
and it is reused across refits on data of the same size. The predictive is the
equally weighted mixture of the members (``SampledBNNPosterior``).
"""

import time
from functools import partial

import jax
import jax.numpy as jnp

from inference import Program

from .bnn import BNN
from .map import maximize_log_density


@partial(jax.jit, static_argnames=("bnn", "num_members", "train_steps", "learning_rate", "train_fraction"))
def _fit(key, x, y, mask, *, bnn: BNN, num_members, train_steps, learning_rate, train_fraction):
    def member(key):
        k_init, k_subset = jax.random.split(key)
        subset = mask & (jax.random.uniform(k_subset, mask.shape) < train_fraction)
        # A subset with no real row (tiny n) falls back to all of them.
        subset = jnp.where(jnp.any(subset), subset, mask)
        program = Program(bnn.model, x, y, subset)
        z0 = program.sample_prior(k_init, 1)[0]
        z, log_density = maximize_log_density(
            program.log_density, z0, num_steps=train_steps, learning_rate=learning_rate
        )
        values = program.constrain(z)
        return {k: values[k] for k in program.latent_names}, log_density

    return jax.vmap(member)(jax.random.split(key, num_members))


def fit_ensemble(key, bnn: BNN, x, y, mask, *, num_members, train_steps, learning_rate, train_fraction):
    """Train the members; returns ``(values {site: [members, ...]}, stats, timings)``."""
    start = time.perf_counter()
    values, log_density = jax.block_until_ready(
        _fit(
            key,
            x,
            y,
            mask,
            bnn=bnn,
            num_members=num_members,
            train_steps=train_steps,
            learning_rate=learning_rate,
            train_fraction=train_fraction,
        )
    )
    return values, {"log_density": log_density[None]}, {"fit": time.perf_counter() - start}
