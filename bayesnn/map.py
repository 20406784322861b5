"""MAP training of a BNN with optax: the start for HMC, and the members of an ensemble.

Maximises the joint log density ``log p(θ, y)`` of the model on its unconstrained
position ``z: [dim]`` (``inference.Program``), i.e. least squares plus the prior's
weight decay (plus the noise's log-prior when the noise is learned). Pure and
traceable: ``bayesnn`` calls it inside its own ``jax.jit`` with the data as arguments.
"""

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import optax


def maximize_log_density(
    log_density: Callable[[jax.Array], jax.Array],
    z0: jax.Array,
    *,
    num_steps: int,
    learning_rate: float,
) -> tuple[jax.Array, jax.Array]:
    """``num_steps`` Adam steps on ``-log_density`` from ``z0: [dim]``.

    Returns the best position seen and its log density (a non-finite step, e.g. noise
    collapsing to zero, never replaces a finite one).
    """
    adam = optax.adam(optax.cosine_decay_schedule(learning_rate, max(num_steps, 1), alpha=0.1))
    loss_and_grad = jax.value_and_grad(lambda z: -log_density(z))

    def step(carry, _):
        z, state, best_z, best_value = carry
        loss, grad = loss_and_grad(z)
        better = jnp.isfinite(loss) & (-loss > best_value)
        best_z = jnp.where(better, z, best_z)
        best_value = jnp.where(better, -loss, best_value)
        updates, state = adam.update(jnp.where(jnp.isfinite(grad), grad, 0.0), state, z)
        return (optax.apply_updates(z, updates), state, best_z, best_value), None

    start = (z0, adam.init(z0), z0, jnp.asarray(-jnp.inf, z0.dtype))
    (z, _, best_z, best_value), _ = jax.lax.scan(step, start, length=num_steps)
    final = log_density(z)
    better = jnp.isfinite(final) & (final > best_value)
    return jnp.where(better, z, best_z), jnp.where(better, final, best_value)


def map_starts(
    key: jax.Array, program, num_chains: int, pretrain_steps: int, learning_rate: float, *, draw=None
) -> jax.Array:
    """Chain starts ``[num_chains, dim]``: prior draws, each then trained by ``pretrain_steps``
    Adam steps on the program's log density (none: the prior draws themselves).

    ``draw(key, num_chains) -> [num_chains, dim]`` replaces ``program.sample_prior`` for the
    initial draws (``laplace`` draws all weights with one random-number call, which compiles faster).
    """
    z0 = (program.sample_prior if draw is None else draw)(key, num_chains)
    if not pretrain_steps:
        return z0
    pretrain = partial(maximize_log_density, program.log_density, num_steps=pretrain_steps, learning_rate=learning_rate)
    return jax.vmap(lambda z: pretrain(z)[0])(z0)
