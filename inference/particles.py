"""A weighted population of positions (monad-bayes' ``Population``).

``Particles(position, log_weights, log_evidence)`` holds ``N`` positions along the
leading axis of every leaf, their unnormalised log weights ``[N]`` and a scalar
``log_evidence`` that has been factored out of the weights. The evidence
estimate is always

    log Ẑ = log_evidence + log mean_i exp(log_weights_i),

so moving the mean weight into ``log_evidence`` (``normalize``) or resampling
(which gives every particle the mean weight) leaves it unchanged.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp


class Particles(NamedTuple):
    """A weighted population: ``position`` (pytree, leaves ``[N, ...]``), ``log_weights: [N]``
    (unnormalised) and ``log_evidence`` (scalar, the running log normalising-constant estimate).

    The particle axis leads every leaf, so a population can be sharded over devices.
    """

    position: Any  # pytree, leaves [N, ...]
    log_weights: jax.Array  # [N]
    log_evidence: jax.Array  # scalar

    @property
    def num_particles(self) -> int:
        return self.log_weights.shape[0]

    @property
    def weights(self) -> jax.Array:
        """Self-normalised weights ``[N]`` summing to one."""
        return jax.nn.softmax(self.log_weights)

    @property
    def total_log_evidence(self) -> jax.Array:
        """``log_evidence + log mean(exp(log_weights))``: the evidence estimate."""
        return self.log_evidence + log_mean_exp(self.log_weights)


def log_mean_exp(log_weights: jax.Array) -> jax.Array:
    return logsumexp(log_weights) - jnp.log(log_weights.shape[0])


def ess(particles_or_log_weights) -> jax.Array:
    """Effective sample size ``(Σw)² / Σw²`` in ``[1, N]`` (Kong, Liu & Wong 1994)."""
    log_weights = getattr(particles_or_log_weights, "log_weights", particles_or_log_weights)
    return jnp.exp(2 * logsumexp(log_weights) - logsumexp(2 * log_weights))


def normalize(particles: Particles) -> Particles:
    """Move the mean weight into ``log_evidence`` so the weights average to one."""
    shift = log_mean_exp(particles.log_weights)
    shift = jnp.where(jnp.isfinite(shift), shift, 0.0)
    return Particles(particles.position, particles.log_weights - shift, particles.log_evidence + shift)


def spawn(position_or_particles, copies: int = 1) -> Particles:
    """Start a population, or replicate one (monad-bayes ``spawn``).

    With a position pytree (leaves ``[N, ...]``): equally weighted particles,
    ``log_weights = 0``, ``log_evidence = 0``. With ``Particles``: every particle
    repeated ``copies`` times along the leading axis; the evidence is unchanged.
    """
    if isinstance(position_or_particles, Particles):
        p = position_or_particles
        position = jax.tree.map(lambda leaf: jnp.repeat(leaf, copies, axis=0), p.position)
        return Particles(position, jnp.repeat(p.log_weights, copies), p.log_evidence)
    position = position_or_particles
    n = jax.tree.leaves(position)[0].shape[0] * copies
    position = jax.tree.map(lambda leaf: jnp.repeat(leaf, copies, axis=0), position)
    return Particles(position, jnp.zeros(n), jnp.zeros(()))
