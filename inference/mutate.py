"""``mutate``: move every particle with an MCMC kernel (monad-bayes ``mhStep`` on a
population), and tune that kernel from the population itself.

Tuning (Chopin & Papaspiliopoulos 2020, §17.2; BlackJAX's inner-kernel tuning):
the diagonal inverse mass is the weighted variance of the particles, so the
proposal follows the current target's scale; the step size follows the last
mutation's acceptance rate multiplicatively towards the kernel's target.
"""

import jax
import jax.numpy as jnp

from .kernels.tunable import Tunable
from .particles import Particles
from .sharding import map_leading_axis


def mutate(key, particles: Particles, kernel, num_steps: int, logdensity_fn, chain_method=None):
    """Apply ``num_steps`` steps of ``kernel`` (invariant for ``logdensity_fn``) to every particle.

    Returns ``(particles, acceptance_rate)``: the weights are unchanged (an invariant
    kernel keeps a properly weighted population properly weighted); the
    acceptance rate is averaged over particles and steps.
    """

    def one(key, position):
        state = kernel.init(position, logdensity_fn)

        def body(state, key):
            state, info = kernel.step(key, state, logdensity_fn)
            return state, info.acceptance_prob

        state, acceptance = jax.lax.scan(body, state, jax.random.split(key, num_steps))
        return state.position, jnp.mean(acceptance)

    keys = jax.random.split(key, particles.num_particles)
    position, acceptance = map_leading_axis(one, particles.num_particles, chain_method)(keys, particles.position)
    return Particles(position, particles.log_weights, particles.log_evidence), jnp.mean(acceptance)


def initial_step_size(kernel, dim: int) -> float:
    """Scale-free starting step size in the particles' own units: the kernel's declared
    ``step_size_scaling`` (optimal-scaling rates: RWMH 2.38/√d, MALA d^(-1/3), HMC/NUTS d^(-1/4))."""
    coefficient, exponent = kernel.step_size_scaling
    return coefficient * dim**exponent


def tune_from_population(kernel, particles: Particles, acceptance_rate=None):
    """Set a tunable kernel's inverse mass to the weighted particle variance and nudge its
    step size by ``exp(acceptance_rate − target)``; other kernels come back unchanged."""
    if not isinstance(kernel, Tunable):
        return kernel
    flat = jax.vmap(kernel.flat_position)(particles.position)  # [N, d]
    w = particles.weights
    mean = w @ flat
    var = w @ (flat - mean) ** 2
    var = jnp.where(jnp.isfinite(var) & (var > 1e-12), var, 1e-12)
    kernel = kernel.tuned(inverse_mass=var)
    if acceptance_rate is not None:
        kernel = kernel.tuned(step_size=kernel.step_size * jnp.exp(acceptance_rate - kernel.target_accept))
    return kernel
