"""The bootstrap particle filter (Gordon, Salmond & Smith 1993) as a ``lax.scan``.

Each time step is ``resample`` (when ESS < ``ess_threshold`` × N), propagate through
the transition, ``reweight`` by the emission density. With the population
semantics of ``particles`` the evidence estimate ``p̂(y_{1:t})`` is the total
weight, unbiased for every t (Del Moral 2004), which PMMH and SMC² rely on.
"""

import dataclasses
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .particles import Particles, ess, normalize, spawn
from .resampling import check_scheme, resample_indices
from .state_space import StateSpaceModel
from .validation import check_fraction, check_positive_int


class FilterState(NamedTuple):
    """A filter after some steps: the particles x_t (``[N, ...]``) with their weights,
    and the accumulated evidence in ``particles.log_evidence``."""

    particles: Particles

    @property
    def log_likelihood(self):
        """log p̂(y_{1:t})."""
        return self.particles.total_log_evidence


def filter_init(key, ssm: StateSpaceModel, params, num_particles: int) -> FilterState:
    """x_0^i ~ init(params), equally weighted."""
    x0 = jax.vmap(lambda k: ssm.sample_init(k, params))(jax.random.split(key, num_particles))
    return FilterState(spawn(x0))


def filter_step(
    key, state: FilterState, ssm: StateSpaceModel, params, y, t, resampling="systematic", ess_threshold=1.0
):
    """One step t: resample if needed, propagate x_{t-1} -> x_t, weight by g(y_t | x_t).

    Returns ``(state, (ancestors [N], ess_before_resampling))``."""
    particles = state.particles
    n = particles.num_particles
    k_resample, k_move = jax.random.split(key)
    current_ess = ess(particles)
    idx = jnp.where(
        current_ess < ess_threshold * n,
        resample_indices(k_resample, particles.log_weights, resampling),
        jnp.arange(n),
    )
    resampled = current_ess < ess_threshold * n
    log_weights = jnp.where(resampled, jnp.zeros(n), particles.log_weights)
    # Resampling replaces the weights by their mean; that mean is already in log_evidence after normalize.
    x_prev = jax.tree.map(lambda leaf: leaf[idx], particles.position)
    keys = jax.random.split(k_move, n)
    x = jax.vmap(lambda k, xp: ssm.sample_transition(k, params, xp, t))(keys, x_prev)
    log_g = jax.vmap(lambda xi: ssm.log_emission(params, xi, t, y))(x)
    log_g = jnp.where(jnp.isnan(log_g), -jnp.inf, log_g)
    particles = normalize(Particles(x, log_weights + log_g, particles.log_evidence))
    return FilterState(particles), (idx, current_ess)


@dataclasses.dataclass(frozen=True)
class PFResult:
    """``particle_filter`` output.

    Attributes:
        log_likelihood: log p̂(y_{1:T} | params), an unbiased estimate on the natural scale.
        particles: the filtered particles at T.
        positions: filtered particles x_t at every step, ``[T, N, ...]``.
        log_weights: their log weights ``[T, N]``.
        ess: ESS before each step's resampling decision ``[T]``.
        ancestors: ancestor indices ``[T, N]`` (``return_ancestry=True``) or ``None``.
    """

    log_likelihood: Any
    particles: Particles
    positions: Any
    log_weights: Any
    ess: Any
    ancestors: Any = None

    def filtered_mean(self):
        """E[x_t | y_{1:t}] for every t, ``[T, ...]``."""
        w = jax.nn.softmax(self.log_weights, axis=1)
        return jax.tree.map(lambda x: jnp.einsum("tn,tn...->t...", w, x), self.positions)


def run_filter(key, ssm, observations, params, num_particles, resampling="systematic", ess_threshold=1.0):
    """Traceable core: ``(final FilterState, (positions, log_weights, ancestors, ess))``."""
    k_init, k_steps = jax.random.split(key)
    state = filter_init(k_init, ssm, params, num_particles)
    num_steps = observations.shape[0]

    def body(state, xs):
        key, y, t = xs
        state, (idx, current_ess) = filter_step(key, state, ssm, params, y, t, resampling, ess_threshold)
        return state, (state.particles.position, state.particles.log_weights, idx, current_ess)

    xs = (jax.random.split(k_steps, num_steps), observations, jnp.arange(1, num_steps + 1))
    return jax.lax.scan(body, state, xs)


@partial(jax.jit, static_argnames=("ssm", "num_particles", "resampling", "ess_threshold"))
def _particle_filter(key, observations, params, *, ssm, num_particles, resampling, ess_threshold):
    return run_filter(key, ssm, observations, params, num_particles, resampling, ess_threshold)


def particle_filter(
    key: jax.Array,
    ssm: StateSpaceModel,
    observations,
    num_particles: int = 1000,
    params: Any = None,
    *,
    resampling: str = "systematic",
    ess_threshold: float = 1.0,
    return_ancestry: bool = False,
) -> PFResult:
    """Bootstrap particle filter for ``ssm`` on ``observations: [T, ...]`` (time leading).

    ``ess_threshold=1.0`` resamples at every step (the classic bootstrap filter);
    smaller values resample adaptively. Raises ``ValueError`` if every particle
    gets zero weight at some step.
    """
    num_particles = check_positive_int(num_particles, "num_particles")
    check_fraction(ess_threshold, "ess_threshold")
    check_scheme(resampling)
    if not isinstance(ssm, StateSpaceModel):
        raise TypeError(f"ssm must be an inference.StateSpaceModel, got {type(ssm).__name__}")
    observations = jnp.asarray(observations)
    ssm.validate(observations, params)
    state, (positions, log_weights, ancestors, ess_t) = _particle_filter(
        key,
        observations,
        params,
        ssm=ssm,
        num_particles=num_particles,
        resampling=resampling,
        ess_threshold=ess_threshold,
    )
    dead = np.flatnonzero(~np.isfinite(np.asarray(jax.scipy.special.logsumexp(log_weights, axis=1))))
    if dead.size:
        raise ValueError(
            f"every particle has zero weight at step t={int(dead[0]) + 1}: the emission gives "
            "probability zero to y_t wherever the particles are"
        )
    return PFResult(
        state.log_likelihood,
        state.particles,
        positions,
        log_weights,
        ess_t,
        ancestors if return_ancestry else None,
    )
