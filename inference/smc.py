"""Resample-move sequential Monte Carlo along a path (Chopin 2002; Del Moral, Doucet &
Jasra 2006), in monad-bayes terms ``smc = finish . compose (mutate . resample . reweight)``.

Each step (``smc_step``): choose the next level of the path, ``reweight``, ``resample``
when the ESS falls below ``ess_threshold`` × N, ``mutate`` with a kernel tuned from the
population. The loop is one ``lax.while_loop`` over that step; its history lives in
fixed-size buffers so the whole run compiles once.
"""

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .density_program import density_program
from .program import Program
from .resampling import check_scheme
from .smc_result import SMCResult, check_population, equal_weight_samples
from .smc_step import STATIC, SMCInfo, SMCState, default_kernel, smc_init, step
from .validation import check_positive_int

__all__ = ["default_kernel", "smc"]


@partial(jax.jit, static_argnames=STATIC)
def _run_smc(key, state: SMCState, *, program, num_mcmc_steps, resampling, ess_threshold, chain_method, tune_kernel):
    """``smc_step`` until the path reaches level 1, its ``max_steps``, or every weight is zero;
    compiled once per (program, path and kernel structure, settings). Returns the final state
    and the history, ``SMCInfo`` of ``[max_steps]`` buffers (NaN/False past the last step)."""
    max_steps = int(state.path.max_steps)
    nan = jnp.full(max_steps, jnp.nan)
    history = SMCInfo(ess=nan, level=nan, acceptance=nan, resampled=jnp.zeros(max_steps, bool), step_size=nan)
    settings = dict(num_mcmc_steps=num_mcmc_steps, resampling=resampling, ess_threshold=ess_threshold)
    settings |= dict(chain_method=chain_method, tune_kernel=tune_kernel)

    def cond(carry):
        state, _, alive, _ = carry
        return (state.level < 1.0) & (state.step < max_steps) & alive

    def body(carry):
        state, key, _, history = carry
        key, k_step = jax.random.split(key)
        i = state.step
        state, info = step(k_step, state, program, **settings)
        history = jax.tree.map(lambda buffer, value: buffer.at[i].set(value), history, info)
        return state, key, info.ess > 0, history

    state, _, _, history = jax.lax.while_loop(cond, body, (state, key, jnp.asarray(True), history))
    return state, history


def _as_program(program, prior) -> Program:
    if isinstance(program, Program):
        if prior is not None:
            raise ValueError("prior is only for a log-likelihood function; a Program carries its own prior")
        return program
    if not callable(program):
        raise TypeError(
            f"program must be an inference.Program or a log-likelihood function, got {type(program).__name__}"
        )
    if prior is None:
        raise ValueError("a log-likelihood function needs prior= (a numpyro Distribution or a dict of them)")
    return density_program(program, prior)


def smc(
    key: jax.Array,
    program: Program | Callable,
    num_particles: int = 1000,
    path: Any = "adaptive_tempering",
    kernel: Any = "auto",
    num_mcmc_steps: int = 10,
    resampling: str = "systematic",
    ess_threshold: float = 0.5,
    *,
    prior: Any = None,
    tune_kernel: bool = True,
    chain_method: str | None = None,
) -> SMCResult:
    """Resample-move SMC from the prior to the posterior of ``program``.

    Args:
        key: a PRNG key.
        program: an ``inference.Program``, or a ``log_likelihood_fn(position) -> scalar``
            together with ``prior`` (BlackJAX's ``loglikelihood_fn``/``logprior_fn`` split).
        num_particles: N, laid out along the leading axis (sharded over devices when
            there are several).
        path: ``"adaptive_tempering"`` or a path object (``paths.adaptive_tempering``,
            ``paths.fixed_tempering``, ``paths.data_annealing``).
        kernel: the mutation kernel: ``"auto"`` (default: ``"hmc"`` when every latent site
            is continuous, so gradients exist, else ``"rwmh"``), a name (``"rwmh"``,
            ``"mala"``, ``"hmc"``, ``"nuts"``) or a kernel object (``kernels.mhg(...)``,
            ``kernels.cycle(...)`` ...). Tunable kernels get their inverse mass from the
            particles and their step size from the acceptance rate.
        num_mcmc_steps: kernel steps per particle per SMC step.
        resampling: ``"systematic"``, ``"stratified"``, ``"multinomial"`` or ``"residual"``.
        ess_threshold: resample when ESS < ``ess_threshold`` × N; in (0, 1] (1 = always).
        prior: with a log-likelihood function only: a ``numpyro.distributions.Distribution``
            (the position is then one array, named ``"x"`` in the samples) or a dict
            ``{name: Distribution}`` (the position is that dict); see ``density_program``.
        tune_kernel: tune a tunable kernel from the population (inverse mass = particle
            variance, step size from the acceptance rate); ``False`` keeps it as given.

    Returns:
        ``SMCResult`` with ``log_evidence``, equally weighted ``samples[name]: [N, ...]``,
        ``particles``, ``history`` and ``to_arviz()``.
    """
    num_mcmc_steps = check_positive_int(num_mcmc_steps, "num_mcmc_steps", minimum=0)
    check_scheme(resampling)
    program = _as_program(program, prior)
    k_init, k_run, k_samples = jax.random.split(key, 3)
    state = smc_init(k_init, program, num_particles, path, kernel, ess_threshold=ess_threshold, tune_kernel=tune_kernel)
    settings = dict(program=program, num_mcmc_steps=num_mcmc_steps, resampling=resampling)
    settings |= dict(ess_threshold=ess_threshold, chain_method=chain_method, tune_kernel=tune_kernel)
    cache_size = _run_smc._cache_size()
    t0 = time.perf_counter()
    state, history = jax.block_until_ready(_run_smc(k_run, state, **settings))
    seconds = time.perf_counter() - t0
    steps = int(state.step)
    history = {name: np.asarray(v)[:steps] for name, v in history._asdict().items()}
    particles = state.particles
    check_population(particles, history, int(state.path.max_steps), float(state.level) >= 1.0)
    samples = equal_weight_samples(k_samples, program, particles)
    timings = {"seconds": seconds, "compiled": _run_smc._cache_size() > cache_size}
    return SMCResult(particles, float(particles.total_log_evidence), samples, history, program, timings)
