"""SMC² (Chopin, Jacob & Papaspiliopoulos 2013): SMC over parameters θ, each carrying
its own particle filter over states.

At time t every θ-particle advances its filter one step; the θ-weights are
multiplied by the filter's likelihood increment p̂(y_t | y_{1:t-1}, θ). When
their ESS falls below ``ess_threshold`` × M the θ-particles are resampled
(filters included) and rejuvenated by PMMH moves that rerun a fresh filter on
y_{1:t}. The mean of the incremental weights estimates p(y_t | y_{1:t-1})
without bias, so ``log_evidence`` estimates log p(y_{1:T}).
"""

import dataclasses
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._pytree import pytree_dataclass, replace
from .kernels.base import State
from .mutate import initial_step_size, mutate, tune_from_population
from .particle_filter import filter_init, filter_step
from .particles import Particles, ess, normalize, spawn
from .pmmh import PseudoMarginalRWMH, check_parameter_inference, params_of
from .resampling import resample
from .state_space import StateSpaceModel
from .validation import check_positive_int


@dataclasses.dataclass(frozen=True)
class SMC2Result:
    """``smc2`` output: ``log_evidence`` (float), ``samples[param]: [M, ...]``
    (constrained, equally weighted), ``particles`` (the weighted θ-population,
    unconstrained), ``history`` (per time step ``ess``, ``resampled``, ``acceptance``: the
    PMMH moves' mean acceptance probability, NaN where not resampled, and
    ``log_evidence_increment``)."""

    log_evidence: float
    samples: dict[str, Any]
    particles: Particles
    history: dict[str, np.ndarray]


def _filter_until(key, ssm, observations, params, num_state_particles, t, resampling):
    """A fresh filter run on y_{1:t} only (steps after t leave the state unchanged)."""
    k_init, k_steps = jax.random.split(key)
    state = filter_init(k_init, ssm, params, num_state_particles)
    num_steps = observations.shape[0]

    def body(state, xs):
        key, y, s = xs
        new, _ = filter_step(key, state, ssm, params, y, s, resampling)
        return jax.tree.map(lambda a, b: jnp.where(s <= t, a, b), new, state), None

    xs = (jax.random.split(k_steps, num_steps), observations, jnp.arange(1, num_steps + 1))
    return jax.lax.scan(body, state, xs)[0]


@pytree_dataclass(static=("estimator", "sites", "target_accept", "ssm", "program", "num_state_particles", "resampling"))
class FilterRWMH(PseudoMarginalRWMH):
    """PMMH move of one θ-particle ``(z: [d], filter)`` at time ``t``: a proposed ``z`` gets a
    fresh filter on y_{1:t}, whose likelihood estimate (plus the log prior) decides, and which
    the particle keeps if accepted (Chopin, Jacob & Papaspiliopoulos 2013, §3.1)."""

    observations: jax.Array | None = None
    t: jax.Array | int = 0
    ssm: StateSpaceModel | None = None
    program: Any = None
    num_state_particles: int = 0
    resampling: str = "systematic"

    def init(self, position, logdensity_fn):
        z, filters = position
        return State(position, self.program.log_density(z) + filters.log_likelihood)

    def flat_position(self, position):
        return position[0]

    def estimate(self, key, z):
        params = params_of(self.program, z)
        filters = _filter_until(
            key, self.ssm, self.observations, params, self.num_state_particles, self.t, self.resampling
        )
        return (z, filters), self.program.log_density(z) + filters.log_likelihood


@partial(
    jax.jit,
    static_argnames=(
        "ssm",
        "program",
        "num_particles",
        "num_state_particles",
        "ess_threshold",
        "num_mcmc_steps",
        "resampling",
    ),
)
def _run_smc2(
    key, observations, *, ssm, program, num_particles, num_state_particles, ess_threshold, num_mcmc_steps, resampling
):
    k_prior, k_filters, k_steps = jax.random.split(key, 3)
    z = program.sample_prior(k_prior, num_particles)  # [M, d]

    def params(z):
        return params_of(program, z)

    filters = jax.vmap(lambda k, zi: filter_init(k, ssm, params(zi), num_state_particles))(
        jax.random.split(k_filters, num_particles), z
    )
    theta = spawn((z, filters))

    step_size = initial_step_size(FilterRWMH, program.dim)
    moves = FilterRWMH(step_size, observations=observations, ssm=ssm, program=program)
    moves = replace(moves, num_state_particles=num_state_particles, resampling=resampling)

    def rejuvenate(key, theta, t):
        """Resample, then PMMH moves with the proposal scale from the population (2.38/√d × sd)."""
        k_resample, k_moves = jax.random.split(key)
        theta = resample(k_resample, theta, resampling)
        kernel = tune_from_population(replace(moves, t=t), theta)
        return mutate(k_moves, theta, kernel, num_mcmc_steps, None)

    def body(theta, xs):
        key, y, t = xs
        k_filters, k_rejuvenate = jax.random.split(key)
        z, filters = theta.position
        keys = jax.random.split(k_filters, num_particles)
        advanced, _ = jax.vmap(lambda k, f, zi: filter_step(k, f, ssm, params(zi), y, t, resampling))(keys, filters, z)
        increment = advanced.log_likelihood - filters.log_likelihood
        increment = jnp.where(jnp.isnan(increment), -jnp.inf, increment)
        before = theta.total_log_evidence
        theta = normalize(Particles((z, advanced), theta.log_weights + increment, theta.log_evidence))
        current_ess = ess(theta)
        do_resample = current_ess < ess_threshold * num_particles
        theta, acceptance = jax.lax.cond(
            do_resample,
            lambda th: rejuvenate(k_rejuvenate, th, t),
            lambda th: (th, jnp.full((), jnp.nan, theta.log_weights.dtype)),
            theta,
        )
        record = {
            "ess": current_ess,
            "resampled": do_resample,
            "acceptance": acceptance,
            "log_evidence_increment": theta.total_log_evidence - before,
        }
        return theta, record

    num_steps = observations.shape[0]
    xs = (jax.random.split(k_steps, num_steps), observations, jnp.arange(1, num_steps + 1))
    return jax.lax.scan(body, theta, xs)


def smc2(
    key: jax.Array,
    ssm: StateSpaceModel,
    observations,
    prior,
    *,
    num_particles: int = 500,
    num_state_particles: int = 100,
    ess_threshold: float = 0.5,
    num_mcmc_steps: int = 3,
    resampling: str = "systematic",
) -> SMC2Result:
    """SMC² for the parameters of ``ssm`` given ``observations: [T, ...]``.

    Args:
        prior: NumPyro model (no arguments) over the parameters passed to ``ssm``.
        num_particles: M, the number of θ-particles.
        num_state_particles: N_x, particles in each θ-particle's filter.
        ess_threshold: resample-and-move θ when ESS < ``ess_threshold`` × M.
        num_mcmc_steps: PMMH moves per rejuvenation (proposal scale from the population).
    """
    num_particles = check_positive_int(num_particles, "num_particles")
    num_state_particles = check_positive_int(num_state_particles, "num_state_particles")
    num_mcmc_steps = check_positive_int(num_mcmc_steps, "num_mcmc_steps")
    program, observations = check_parameter_inference(ssm, observations, prior, ess_threshold, resampling)
    theta, record = _run_smc2(
        key,
        observations,
        ssm=ssm,
        program=program,
        num_particles=num_particles,
        num_state_particles=num_state_particles,
        ess_threshold=ess_threshold,
        num_mcmc_steps=num_mcmc_steps,
        resampling=resampling,
    )
    history = {k: np.asarray(v) for k, v in record.items()}
    dead = np.flatnonzero(~(history["ess"] > 0))
    if dead.size:
        raise ValueError(f"every particle has zero weight at step t={int(dead[0]) + 1}")
    z, _ = theta.position
    weighted = Particles(z, theta.log_weights, theta.log_evidence)
    equal = resample(jax.random.fold_in(key, 1), weighted, "systematic")
    samples = jax.jit(jax.vmap(lambda zi: params_of(program, zi)))(equal.position)
    return SMC2Result(float(theta.total_log_evidence), samples, weighted, history)
