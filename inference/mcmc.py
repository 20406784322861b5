"""``mcmc``: run any kernel on several chains, with warmup adaptation.

Warmup and sampling are one compiled program per call: a ``lax.scan`` over the
draws kept, whose first draw also runs the warmup steps (dual averaging, windowed
diagonal mass; see ``adaptation``), so that the kernel step is compiled once;
vectorised over a leading chain axis that is sharded over devices when there are
several (``sharding``).
"""

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import kernels as kernel_lib
from .adaptation import (
    dual_averaging_init,
    dual_averaging_update,
    find_reasonable_step_size,
    welford_init,
    welford_update,
    welford_variance,
    window_schedule,
)
from .jitted_density import jitted_density
from .kernels.tunable import Tunable
from .posterior import Posterior
from .program import Program
from .progress import progress_handle, report_progress
from .sharding import CHAIN_METHODS, map_leading_axis
from .starts import check_finite_start, initial_positions
from .validation import check_positive_int

# Kept for existing imports: the names and their resolution live in ``kernels.names``.
KERNEL_NAMES = kernel_lib.KERNEL_NAMES
resolve_kernel = kernel_lib.resolve


@partial(jax.jit, static_argnums=0)
def _constrained_draws(program, positions):
    """``program.constrain`` over ``positions: [chains, draws, ...]``; compiled once per program."""
    return jax.vmap(jax.vmap(program.constrain))(positions)


def _stats_from(info, state, kernel) -> dict:
    stats = {k: v for k, v in info._asdict().items() if k != "component_acceptance"}
    stats["log_density"] = state.log_density
    if isinstance(kernel, Tunable):
        stats["step_size"] = jnp.asarray(kernel.step_size)
    return stats


def _stand_in(log_density: jax.Array) -> Callable:
    """A log density with the output type of ``log_density`` and nothing to trace.

    A step's info depends on the kernel and on the shapes of the state, not on what the
    user's density computes (``Kernel.step``), so it can be read off a step on this rather
    than on one more trace of the user's density. Issue #20: inference-gym's SV density as a
    plain function, first ``mcmc`` call 48.4 -> 45.3 s; a ``Program``'s model is traced 5
    times instead of 6."""

    def fn(position):
        # Zero, but a function of every floating leaf, so gradients have the right structure.
        leaves = [leaf for leaf in jax.tree.leaves(position) if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)]
        total = sum((0.0 * jnp.sum(leaf)).astype(log_density.dtype) for leaf in leaves)
        return jnp.zeros(log_density.shape, log_density.dtype) + total

    return fn


def _warmup_schedule(num_warmup: int, adapt_mass: bool) -> np.ndarray:
    """``[3, num_warmup]`` booleans per warmup step: in a slow window (collect the position
    for the mass matrix), last step of a window (update the mass matrix after it), and
    restart (search for a reasonable step size before it: the first step and the step
    after each window)."""
    schedule = np.zeros((3, num_warmup), bool)
    if adapt_mass:
        schedule[0], schedule[1] = window_schedule(num_warmup)
    if num_warmup:
        schedule[2, 0] = True
        schedule[2, 1:] = schedule[1, :-1]
    return schedule


def _build_chain(kernel, logdensity_fn, num_warmup, num_samples, thinning, adapt_step_size, adapt_mass, report):
    """The per-chain program: ``run(key, state) -> (positions, stats, kernel)`` from ``kernel.init``'s state.

    Warmup and sampling are one loop over kernel steps ``t = 0, 1, ...``: an outer
    ``scan`` over the draws kept, each running its kernel steps in an inner loop (the
    first draw also runs the ``num_warmup`` warmup steps). The kernel step and the
    step-size search are therefore traced and compiled once each; adaptation is a
    ``lax.cond`` on the unbatched step counter, so under ``vmap`` only warmup steps pay
    for it. Warmup draws are never stored.
    """
    tunable = isinstance(kernel, Tunable) and (adapt_step_size or adapt_mass) and num_warmup > 0
    schedule = _warmup_schedule(num_warmup, adapt_mass)

    def search_step_size(args):
        kernel, state, da, key = args
        step_size = find_reasonable_step_size(key, kernel, state, logdensity_fn)
        return kernel.tuned(step_size=step_size), dual_averaging_init(step_size)

    def adapt(args):
        """Dual averaging and the mass-matrix windows after warmup step ``t``."""
        kernel, state, da, wf, info, t = args
        slow, end, _ = schedule_at(t)
        if adapt_step_size:
            da = dual_averaging_update(da, info.acceptance_prob, kernel.target_accept)
            # The step size kept for sampling is the averaged iterate (Hoffman & Gelman 2014).
            last = t == num_warmup - 1
            kernel = kernel.tuned(step_size=jnp.exp(jnp.where(last, da.log_step_avg, da.log_step)))
        if adapt_mass:
            q = kernel.flat_position(state.position)
            wf = jax.tree.map(lambda new, old: jnp.where(slow, new, old), welford_update(wf, q), wf)
            kernel = kernel.tuned(inverse_mass=jnp.where(end, welford_variance(wf), kernel.inverse_mass))
            wf = jax.tree.map(lambda fresh, old: jnp.where(end, fresh, old), welford_init(q.size, q.dtype), wf)
        return kernel, da, wf

    def schedule_at(t):
        column = jnp.asarray(schedule)[:, jnp.clip(t, 0, max(num_warmup - 1, 0))]
        return column & (t < num_warmup)

    def kernel_step(t, carry):
        kernel, state, da, wf, info, key = carry
        k_step, k_search = jax.random.split(jax.random.fold_in(key, t))
        report(t)
        if tunable and adapt_step_size:
            restart = schedule_at(t)[2]
            kernel, da = jax.lax.cond(
                restart, search_step_size, lambda args: (args[0], args[2]), (kernel, state, da, k_search)
            )
        state, info = kernel.step(k_step, state, logdensity_fn)
        if tunable:
            kernel, da, wf = jax.lax.cond(
                t < num_warmup, adapt, lambda args: (args[0], args[2], args[3]), (kernel, state, da, wf, info, t)
            )
        return kernel, state, da, wf, info, key

    def run(key, state):
        k_steps, k_example = jax.random.split(key)
        start = kernel
        if tunable and adapt_mass:
            # Warmup starts from the kernel's own inverse mass when it has one (a curvature
            # estimate, e.g. bayesnn's Fisher diagonal), else from the identity.
            q = kernel.flat_position(state.position)
            given = kernel.inverse_mass
            start = kernel.tuned(inverse_mass=jnp.ones_like(q) if given is None else jnp.broadcast_to(given, q.shape))
        # The step info lives in the loop carry (to report the last step of each draw); its
        # structure comes from an abstract evaluation, which compiles nothing, on a stand-in density.
        example = jax.eval_shape(lambda k, s: start.step(k, s, _stand_in(s.log_density))[1], k_example, state)
        info = jax.tree.map(lambda leaf: jnp.zeros(leaf.shape, leaf.dtype), example)
        q0 = kernel.flat_position(state.position) if tunable else jnp.zeros(0)
        da = dual_averaging_init(jnp.asarray(start.step_size if isinstance(start, Tunable) else 1.0, dtype=float))
        wf = welford_init(q0.size, q0.dtype)

        def draw(carry, i):
            first = jnp.where(i == 0, 0, num_warmup + i * thinning)
            carry = jax.lax.fori_loop(first, num_warmup + (i + 1) * thinning, kernel_step, carry)
            kernel, state, _, _, info, _ = carry
            return carry, (state.position, _stats_from(info, state, kernel))

        carry = (start, state, da, wf, info, k_steps)
        carry, (positions, stats) = jax.lax.scan(draw, carry, jnp.arange(num_samples))
        return positions, stats, carry[0]

    return run


def sample_chains(
    keys: jax.Array,
    positions: Any,
    *,
    kernel: Any,
    logdensity_fn: Callable,
    num_warmup: int,
    num_samples: int,
    thinning: int = 1,
    adapt_step_size: bool = True,
    adapt_mass: bool = True,
    chain_method: str | None = None,
    report: Callable = lambda t: None,
):
    """The traceable core of ``mcmc``: warmup and sampling of every chain, no checks.

    A pure function of ``keys: [chains, 2]`` and starting ``positions`` (leading axis
    ``[chains]``), so callers can put it inside their own ``jax.jit`` with the data as
    traced arguments (``bayesnn`` does, to reuse one compilation across refits).
    ``kernel`` must be a kernel object (``resolve_kernel``).

    Returns ``(positions [chains, num_samples, ...], stats {name: [chains, num_samples]},
    tuned kernel per chain)``.
    """
    states = _init_states(positions, kernel, logdensity_fn=logdensity_fn, chain_method=chain_method)
    settings = dict(num_warmup=num_warmup, num_samples=num_samples, thinning=thinning)
    settings |= dict(adapt_step_size=adapt_step_size, adapt_mass=adapt_mass, chain_method=chain_method)
    return _sample_from_states(keys, states, kernel, logdensity_fn, report=report, **settings)


def _sample_from_states(keys, states, kernel, logdensity_fn, *, chain_method, report, **settings):
    """``sample_chains`` from the chains' ``kernel.init`` states (leading axis ``[chains]``)."""
    num_chains = int(jax.tree.leaves(states)[0].shape[0])
    run = _build_chain(kernel, logdensity_fn, report=report, **settings)
    return map_leading_axis(run, num_chains, chain_method)(keys, states)


def _init_states(positions, kernel, *, logdensity_fn, chain_method):
    """``kernel.init`` at every chain's start (leading axis ``[chains]``)."""
    num_chains = int(jax.tree.leaves(positions)[0].shape[0])
    return map_leading_axis(lambda q: kernel.init(q, logdensity_fn), num_chains, chain_method)(positions)


# ``mcmc`` compiles the initial states apart from the sampling loop: their log densities check the
# starts before the loop is traced, and the loop then holds no copy of the initial gradient (one
# fewer inlined copy of the user's density for XLA to compile).
_initial_states = jax.jit(_init_states, static_argnames=("logdensity_fn", "chain_method"))


@partial(
    jax.jit,
    static_argnames=(
        "logdensity_fn",
        "num_warmup",
        "num_samples",
        "thinning",
        "adapt_step_size",
        "adapt_mass",
        "chain_method",
        "progress_total",
    ),
)
def _run_chains(keys, states, kernel, handle, *, progress_total, **settings):
    """``sample_chains`` from initial states, compiled once per (log density, settings, kernel
    structure): the kernel's arrays and the progress-bar ``handle`` are arguments, not constants."""
    report = (lambda t: report_progress(handle, t, progress_total)) if progress_total else (lambda t: None)
    return _sample_from_states(keys, states, kernel, report=report, **settings)


def mcmc(
    key: jax.Array,
    program: Program | Callable,
    kernel: Any = "nuts",
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    *,
    thinning: int = 1,
    init_position: Any = None,
    init_per_chain: bool = False,
    adapt_step_size: bool = True,
    adapt_mass: bool = True,
    chain_method: str | None = None,
    progress: bool = False,
) -> Posterior:
    """Markov chain Monte Carlo on a ``Program`` or a log-density function.

    Args:
        key: a PRNG key.
        program: an ``inference.Program``, or a ``logdensity_fn(position) -> scalar``
            together with ``init_position``.
        kernel: ``"nuts"`` (default), ``"hmc"``, ``"mala"``, ``"rwmh"`` or a kernel object
            (``inference.kernels``: including ``cycle``, ``mixture`` and ``mhg``).
        num_warmup: adaptation steps (discarded). Step size by dual averaging towards
            the kernel's ``target_accept``; diagonal inverse mass in Stan's windows,
            starting from the kernel's ``inverse_mass`` if it has one (else the identity).
            Kernels without a step size (``mhg``, combinators) just run.
        num_samples: draws kept per chain (after ``thinning``).
        num_chains: independent chains along the leading axis.
        thinning: keep every ``thinning``-th step.
        init_position: a ``Program``'s starting values ``{site: constrained value}``
            (default: NumPyro's uniform(-2, 2) on the unconstrained scale), or the
            starting position pytree of a log-density function (required then).
        init_per_chain: ``init_position`` has a leading ``[num_chains]`` axis on every leaf,
            one start per chain (NumPyro's batched ``init_params``); otherwise every chain
            starts from the one ``init_position``.
        chain_method: ``"vectorized"``, ``"parallel"`` (chains sharded over devices;
            the default when there are several) or ``"sequential"`` (one chain after
            another; with several devices, each device runs its block of chains so).
        progress: show a tqdm progress bar.

    Returns:
        ``Posterior`` with ``samples[name]: [num_chains, num_samples, *shape]``,
        ``stats`` and ``to_arviz()``.
    """
    num_chains = check_positive_int(num_chains, "num_chains")
    num_samples = check_positive_int(num_samples, "num_samples")
    num_warmup = check_positive_int(num_warmup, "num_warmup", minimum=0)
    thinning = check_positive_int(thinning, "thinning")
    if chain_method is not None and chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}, got {chain_method!r}")
    kernel = resolve_kernel(kernel)
    if isinstance(program, Program):
        logdensity_fn = program.log_density
    elif callable(program):
        if init_position is None:
            raise ValueError("init_position is required when program is a log-density function")
        logdensity_fn, program = jitted_density(program), None
    else:
        raise TypeError(f"program must be an inference.Program or a log-density function, got {type(program).__name__}")

    k_init, k_run = jax.random.split(key)
    if not isinstance(init_per_chain, bool):
        raise TypeError(f"init_per_chain must be a bool, got {type(init_per_chain).__name__}")
    if init_per_chain and init_position is None:
        raise ValueError("init_per_chain=True needs init_position with a leading [num_chains] axis")
    initial_states = partial(_initial_states, kernel=kernel, logdensity_fn=logdensity_fn, chain_method=chain_method)
    log_densities = lambda q: initial_states(q).log_density  # noqa: E731
    positions0 = initial_positions(
        k_init, program, logdensity_fn, init_position, num_chains, init_per_chain, log_densities
    )
    states0 = initial_states(positions0)
    check_finite_start(program, states0.log_density, positions0)

    total = num_warmup + num_samples * thinning
    settings = dict(
        logdensity_fn=logdensity_fn,
        num_warmup=num_warmup,
        num_samples=num_samples,
        thinning=thinning,
        adapt_step_size=adapt_step_size,
        adapt_mass=adapt_mass,
        chain_method=chain_method,
        progress_total=total if progress else 0,
    )
    with progress_handle(total, enabled=progress, desc=f"mcmc {type(kernel).__name__}") as handle:
        keys = jax.random.split(k_run, num_chains)
        t0 = time.perf_counter()
        # Reused when the program, settings and the kernel's structure repeat (a second call
        # with other data, keys or step size compiles nothing).
        compiled = _run_chains.lower(keys, states0, kernel, handle, **settings).compile()
        t1 = time.perf_counter()
        positions, stats, tuned = jax.block_until_ready(compiled(keys, states0, kernel, handle))
        t2 = time.perf_counter()

    if program is not None:
        samples = _constrained_draws(program, positions)
    elif isinstance(positions, dict):
        samples = dict(positions)
    else:
        samples = {"x": positions}
    timings = {"compile": t1 - t0, "run": t2 - t1}
    return Posterior(samples, stats, positions, program, tuned, timings)
