"""SMC one step at a time: ``smc_init`` and ``smc_step``, for users who write their own loop.

``smc`` is a ``lax.while_loop`` over ``smc_step``; the same step is public, as BlackJAX's
``state = init(...)``, ``state, info = step(key, state)`` is::

    program = inference.Program(model, y=y)
    k_init, key = jax.random.split(key)
    state = inference.smc_init(k_init, program, num_particles=1000)
    while state.level < 1.0 and state.step < state.path.max_steps:
        key, k_step = jax.random.split(key)
        state, info = inference.smc_step(k_step, state, program)
        if info.ess == 0:  # every weight is zero: the model cannot reach the posterior
            break

One step (Del Moral, Doucet & Jasra 2006; monad-bayes ``mutate . resample . reweight``):
choose the next level of the path, ``reweight``, ``resample`` when the ESS falls below
``ess_threshold`` × N, ``mutate`` with the kernel tuned from the population, then tune it
again from the acceptance rate.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .kernels import resolve as resolve_kernel
from .kernels.tunable import Tunable
from .mutate import initial_step_size, mutate, tune_from_population
from .particles import Particles, ess, spawn
from .paths import make_path, reweight
from .program import Program
from .resampling import check_scheme, resample
from .validation import check_fraction, check_positive_int


class SMCState(NamedTuple):
    """A population on its way along a path.

    particles: ``Particles`` (positions ``[N, ...]``, log weights ``[N]``, running log evidence).
    level: ``[]`` the path's current level in [0, 1] (0: the prior, 1: the posterior).
    step: ``[]`` int, the number of steps taken.
    kernel: the mutation kernel as tuned from the population so far.
    cache: the path's per-particle cache at the current positions (tempering: ``[N]`` log-likelihoods).
    path: the path (``paths.adaptive_tempering(...)``, ...); a pytree.
    """

    particles: Particles
    level: jax.Array
    step: jax.Array
    kernel: Any
    cache: Any
    path: Any


class SMCInfo(NamedTuple):
    """What one step did, each ``[]``: the ESS after reweighting (before resampling), the new
    level, the mutation's mean acceptance (NaN with no moves), whether it resampled, and the
    step size the moves used (NaN for a kernel with none)."""

    ess: jax.Array
    level: jax.Array
    acceptance: jax.Array
    resampled: jax.Array
    step_size: jax.Array


def default_kernel(program: Program) -> str:
    """HMC moves where gradients exist: on EightSchools the random walk at its defaults
    (10 moves per step) was once seen to leave ``log_stddev`` 9% too narrow, while HMC was
    within MCSE (#20; over 8 seeds at 1000 particles: sd ratio 0.974 ± 0.013 RWMH, 0.982 ± 0.010 HMC)."""
    return "rwmh" if program.discrete_names else "hmc"


def smc_init(
    key: jax.Array,
    program: Program,
    num_particles: int = 1000,
    path: Any = "adaptive_tempering",
    kernel: Any = "auto",
    *,
    ess_threshold: float = 0.5,
    tune_kernel: bool = True,
) -> SMCState:
    """``num_particles`` prior draws of ``program`` at level 0 of ``path``, with ``kernel``
    (``"auto"``, a name or a kernel object, as for ``smc``) tuned from them when
    ``tune_kernel``: inverse mass from their variance, step size from the kernel's
    declared optimal-scaling rate."""
    if not isinstance(program, Program):
        raise TypeError(
            f"program must be an inference.Program (wrap a log-likelihood and prior with "
            f"inference.density_program), got {type(program).__name__}"
        )
    num_particles = check_positive_int(num_particles, "num_particles")
    check_fraction(ess_threshold, "ess_threshold")
    path = make_path(path, num_particles, ess_threshold)
    kernel = resolve_kernel(default_kernel(program) if isinstance(kernel, str) and kernel == "auto" else kernel)
    particles = spawn(program.sample_prior(key, num_particles))
    if tune_kernel and isinstance(kernel, Tunable):
        dim = int(kernel.flat_position(jax.tree.map(lambda leaf: leaf[0], particles.position)).size)
        # A strongly typed array, as the acceptance-tuned step sizes after it are: a weakly typed
        # Python float here would make the second ``smc_step`` call compile again.
        step_size = jnp.asarray(initial_step_size(kernel, dim), jnp.result_type(float))
        kernel = tune_from_population(kernel.tuned(step_size=step_size), particles)
    level = jnp.zeros((), jnp.result_type(float))
    return SMCState(particles, level, jnp.zeros((), int), kernel, path.cache(program, particles.position), path)


def smc_step(
    key: jax.Array,
    state: SMCState,
    program: Program,
    *,
    num_mcmc_steps: int = 10,
    resampling: str = "systematic",
    ess_threshold: float = 0.5,
    chain_method: str | None = None,
    tune_kernel: bool = True,
) -> tuple[SMCState, SMCInfo]:
    """One reweight-resample-mutate step of ``state`` (module docstring); compiled once per
    program, settings and state structure. The settings mean what they mean for ``smc``."""
    if not isinstance(state, SMCState):
        raise TypeError(f"state must be an inference.SMCState (from smc_init), got {type(state).__name__}")
    num_mcmc_steps = check_positive_int(num_mcmc_steps, "num_mcmc_steps", minimum=0)
    check_fraction(ess_threshold, "ess_threshold")
    check_scheme(resampling)
    settings = dict(num_mcmc_steps=num_mcmc_steps, resampling=resampling, ess_threshold=ess_threshold)
    return _step_jit(key, state, program, **settings, chain_method=chain_method, tune_kernel=tune_kernel)


def step(key, state: SMCState, program, *, num_mcmc_steps, resampling, ess_threshold, chain_method, tune_kernel):
    """``smc_step`` without the checks: traceable, for ``smc``'s loop."""
    k_resample, k_mutate = jax.random.split(key)
    particles, level, kernel, path = state.particles, state.level, state.kernel, state.path
    # The level keeps one dtype (a data-annealing level is computed weakly typed), so that the
    # state's types, and ``smc_step``'s compiled program, are the same at every step.
    new_level = jax.lax.convert_element_type(path.next_level(particles, state.cache, level, state.step), level.dtype)
    particles = reweight(particles, path, program, level, new_level, state.cache)
    current_ess = ess(particles)
    num_particles = particles.num_particles
    do_resample = current_ess < ess_threshold * num_particles
    particles = jax.lax.cond(do_resample, lambda p: resample(k_resample, p, resampling), lambda p: p, particles)

    def target(z):
        return path.log_target(program, z, new_level)

    if tune_kernel:
        kernel = tune_from_population(kernel, particles)
    if num_mcmc_steps:
        particles, acceptance = mutate(k_mutate, particles, kernel, num_mcmc_steps, target, chain_method)
    else:
        acceptance = jnp.asarray(jnp.nan)
    step_size = kernel.step_size if isinstance(kernel, Tunable) else jnp.nan
    info = SMCInfo(current_ess, new_level, acceptance, do_resample, jnp.asarray(step_size, float))
    if num_mcmc_steps and tune_kernel:
        kernel = tune_from_population(kernel, particles, acceptance)
    cache = path.cache(program, particles.position)
    return SMCState(particles, new_level, state.step + 1, kernel, cache, path), info


STATIC = ("program", "num_mcmc_steps", "resampling", "ess_threshold", "chain_method", "tune_kernel")
_step_jit = jax.jit(step, static_argnames=STATIC)
