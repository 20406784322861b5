"""Particle marginal Metropolis–Hastings (Andrieu, Doucet & Holenstein 2010).

A random-walk Metropolis chain over the (unconstrained) parameters of a
state-space model whose likelihood is replaced by a particle filter's unbiased
estimate. The current estimate is kept, never recomputed (the pseudo-marginal
construction), so the chain targets the exact posterior p(θ | y_{1:T}).
It runs through ``inference.mcmc`` as an ordinary kernel, so it gets the same
warmup (step size towards a 0.25 acceptance rate, diagonal scale), chains and
ArviZ output.
"""

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

from ._pytree import pytree_dataclass
from .kernels.base import Info, State, inverse_mass_or_ones, metropolis_accept, select
from .kernels.rwmh import RWMH
from .mcmc import mcmc
from .particle_filter import run_filter
from .posterior import Posterior
from .program import Program
from .resampling import check_scheme
from .state_space import StateSpaceModel
from .validation import check_fraction, check_positive_int


@pytree_dataclass(static=("estimator", "sites", "target_accept"))
class PseudoMarginalRWMH(RWMH):
    """RWMH whose log density is a noisy estimate ``estimator(key, z)``; the state keeps
    the estimate at the current point (``logdensity_fn`` is ignored).

    The proposal moves ``flat_position(position)``, the parameters ``z: [d]``; ``estimate``
    returns the proposed position and its estimate. A subclass whose position carries more
    than ``z`` overrides both: SMC²'s θ-particles are ``(z, particle filter)``, and the
    filter run for the estimate is kept with an accepted ``z``."""

    estimator: Callable | None = None

    def init(self, position, logdensity_fn):
        return State(position, self.estimator(jax.random.PRNGKey(0), position))

    def estimate(self, key, z):
        """``(position at z, log-density estimate)``."""
        return z, self.estimator(key, z)

    def step(self, key, state: State, logdensity_fn):
        k_prop, k_est, k_acc = jax.random.split(key, 3)
        q = self.flat_position(state.position)
        scale = self.step_size * jnp.sqrt(inverse_mass_or_ones(self.inverse_mass, q))
        position, estimate = self.estimate(k_est, q + scale * jax.random.normal(k_prop, q.shape, q.dtype))
        estimate = jnp.where(jnp.isnan(estimate), -jnp.inf, estimate)
        acceptance_prob, accepted = metropolis_accept(k_acc, estimate - state.log_density)
        return select(accepted, State(position, estimate), state), Info(acceptance_prob, accepted)


def parameter_program(prior) -> Program:
    """The ``Program`` of a parameter prior: a NumPyro model with no arguments, or a Program.

    Programs of the same prior function are shared, so repeated runs reuse compiled code."""
    if isinstance(prior, Program):
        return prior
    if not callable(prior):
        raise TypeError(f"prior must be a NumPyro model (callable) or an inference.Program, got {type(prior).__name__}")
    return _prior_program(prior)


@functools.lru_cache(maxsize=64)
def _prior_program(prior) -> Program:
    program = Program(prior)
    if program.has_discrete:
        raise ValueError(f"prior must have continuous parameters only, got discrete sites {program.discrete_names}")
    return program


def check_parameter_inference(ssm, observations, prior, ess_threshold, resampling, init_params=None):
    """Shared argument checks of ``pmmh`` and ``smc2``, before any tracing.

    Returns ``(parameter program, observations as an array)``."""
    check_fraction(ess_threshold, "ess_threshold")
    check_scheme(resampling)
    if not isinstance(ssm, StateSpaceModel):
        raise TypeError(f"ssm must be an inference.StateSpaceModel, got {type(ssm).__name__}")
    program = parameter_program(prior)
    observations = jnp.asarray(observations)
    z0 = jnp.zeros(program.dim) if init_params is None else program.unconstrain(init_params)
    ssm.validate(observations, params_of(program, z0))
    return program, observations


def params_of(program: Program, z):
    """Constrained ``{parameter: value}`` for an unconstrained ``z: [dim]``."""
    values = program.constrain(z)
    return {n: values[n] for n in program.latent_names}


def pmmh(
    key: jax.Array,
    ssm: StateSpaceModel,
    observations,
    prior,
    *,
    num_particles: int = 200,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    resampling: str = "systematic",
    ess_threshold: float = 1.0,
    init_params: dict | None = None,
    chain_method: str | None = None,
    progress: bool = False,
) -> Posterior:
    """PMMH over the parameters of ``ssm`` with prior ``prior`` (a NumPyro model).

    Args:
        observations: ``[T, ...]``, time leading.
        prior: NumPyro model with no arguments whose sample sites are the parameters
            passed to the state-space functions as a dict.
        num_particles: particles per likelihood estimate.
        init_params: starting parameters (constrained); default the prior median-ish
            point ``constrain(0)``.

    Returns:
        ``Posterior`` with ``samples[param]: [num_chains, num_samples, ...]``; the
        ``log_density`` stat is the log prior plus the log-likelihood estimate.
    """
    num_particles = check_positive_int(num_particles, "num_particles")
    program, observations = check_parameter_inference(ssm, observations, prior, ess_threshold, resampling, init_params)
    z0 = jnp.zeros(program.dim) if init_params is None else program.unconstrain(init_params)

    def estimator(key, z):
        state, _ = run_filter(key, ssm, observations, params_of(program, z), num_particles, resampling, ess_threshold)
        return program.log_density(z) + state.log_likelihood

    kernel = PseudoMarginalRWMH(step_size=0.5, target_accept=0.25, estimator=estimator)
    posterior = mcmc(
        key,
        lambda z: estimator(jax.random.PRNGKey(0), z),
        kernel=kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        init_position=z0,
        chain_method=chain_method,
        progress=progress,
    )
    constrained = jax.jit(jax.vmap(jax.vmap(lambda z: params_of(program, z))))(posterior.positions)
    return Posterior(constrained, posterior.stats, posterior.positions, None, posterior.kernel, posterior.timings)
