"""``run_sgmcmc``: burn-in, then thinned draws, of a stochastic-gradient kernel.

One ``lax.scan`` over the draws kept; the first draw also runs the ``num_burnin`` steps,
in which the kernel adapts (``step(..., adapt=True)``: the preconditioner of
``kernels.sghmc(adaptive=True)``, nothing for the others), so the step is traced and
compiled once. ``run_sgmcmc`` only checks its arguments (from their types and shapes,
never their values) and is otherwise a pure function: call it inside your own
``jax.jit`` with the data as traced leaves of a ``MinibatchLogDensity`` to compile once
and rerun on new data of the same shapes, and ``jax.vmap`` it for several chains.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .kernels.sghmc import SGHMC
from .kernels.sgld import SGLD
from .minibatch import MinibatchLogDensity
from .validation import check_positive_int

_ALWAYS_ONE = ("acceptance_prob", "accepted")  # info fields that carry nothing without an MH step


class SGMCMCResult(NamedTuple):
    """What ``run_sgmcmc`` returns: the kept ``positions`` (leaves ``[num_kept, ...]``), per-step
    ``stats`` (``{name: [num_burnin + num_kept * thinning]}``, burn-in first) and the final kernel ``state``."""

    positions: Any  # pytree, leaves [num_kept, *leaf_shape], num_kept = num_steps // thinning
    stats: dict  # {name: [num_burnin + num_kept * thinning]}, every step, burn-in first
    state: Any  # the kernel state after the last step (holds the adapted preconditioner)


def run_sgmcmc(
    key: jax.Array,
    kernel: SGLD | SGHMC,
    logdensity_fn: MinibatchLogDensity | Callable,
    init_position: Any,
    num_steps: int,
    *,
    num_burnin: int = 0,
    thinning: int = 1,
) -> SGMCMCResult:
    """Run ``kernel`` from ``init_position``: ``num_burnin`` adapting steps, then ``num_steps``
    steps of which every ``thinning``-th position is kept.

    Args:
        key: a PRNG key.
        kernel: ``kernels.sgld(...)`` or ``kernels.sghmc(...)``.
        logdensity_fn: a ``MinibatchLogDensity`` (a fresh minibatch every step) or a
            log density ``position -> scalar`` (full-batch gradients).
        init_position: the starting position, a pytree of floating-point arrays.
        num_steps: steps after burn-in; ``num_steps // thinning`` draws are kept (at least one).
        num_burnin: steps before them, discarded.
        thinning: keep the position after every ``thinning``-th step.

    Returns:
        ``SGMCMCResult(positions, stats, state)``: ``positions`` has the structure of
        ``init_position`` with a leading ``[num_kept]`` axis; ``stats["log_density"]`` is the
        log density (minibatch estimate) after every step, with the kernel's diagnostics
        (``noise_clipped`` for SGHMC) beside it.
    """
    if not isinstance(kernel, SGLD | SGHMC):
        raise TypeError(
            f"kernel must be an inference.kernels.sgld(...) or sghmc(...) kernel, got {type(kernel).__name__}"
        )
    if not callable(logdensity_fn):
        raise TypeError(
            "logdensity_fn must be a MinibatchLogDensity or a function position -> scalar, "
            f"got {type(logdensity_fn).__name__}"
        )
    num_steps = check_positive_int(num_steps, "num_steps")
    num_burnin = check_positive_int(num_burnin, "num_burnin", minimum=0)
    thinning = check_positive_int(thinning, "thinning")
    if num_steps < thinning:
        raise ValueError(f"num_steps ({num_steps}) must be >= thinning ({thinning}) to keep at least one draw")
    _check_position(logdensity_fn, init_position)
    return _sample(key, kernel, logdensity_fn, init_position, num_steps // thinning, num_burnin, thinning)


def _check_position(logdensity_fn, init_position) -> None:
    leaves = jax.tree.leaves(init_position)
    if not leaves:
        raise ValueError("init_position must be a pytree of arrays (a position), got an empty structure")
    for leaf in leaves:
        if not jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
            raise TypeError(f"init_position must hold floating-point arrays, got a {jnp.result_type(leaf)} leaf")
    try:
        value = jax.eval_shape(logdensity_fn, init_position)
    except Exception as err:  # noqa: BLE001 — reported to the user as a bad argument
        raise ValueError(f"logdensity_fn could not be evaluated at init_position: {err}") from err
    if getattr(value, "shape", None) != ():
        raise ValueError(f"logdensity_fn must return a scalar, got shape {getattr(value, 'shape', None)}")


def _sample(key, kernel, logdensity_fn, position, num_kept, num_burnin, thinning) -> SGMCMCResult:
    """The traced program: step ``t`` runs with key ``fold_in(key, t)`` and adapts while ``t < num_burnin``."""
    total = num_burnin + num_kept * thinning
    state = kernel.init(jax.tree.map(jnp.asarray, position), logdensity_fn)
    # The per-step stats are written into buffers in the loop carry; their structure comes
    # from an abstract evaluation of one step, which compiles nothing.
    example = jax.eval_shape(lambda k, s: kernel.step(k, s, logdensity_fn)[1], key, state)
    fields = [name for name in example._fields if name not in _ALWAYS_ONE]
    stats = {name: jnp.zeros((total, *getattr(example, name).shape), getattr(example, name).dtype) for name in fields}
    stats["log_density"] = jnp.zeros((total,), state.log_density.dtype)

    def one_step(t, carry):
        state, stats = carry
        state, info = kernel.step(jax.random.fold_in(key, t), state, logdensity_fn, adapt=t < num_burnin)
        values = {name: getattr(info, name) for name in fields} | {"log_density": state.log_density}
        stats = {name: stats[name].at[t].set(values[name]) for name in stats}
        return state, stats

    def draw(carry, i):
        first = jnp.where(i == 0, 0, num_burnin + i * thinning)
        carry = jax.lax.fori_loop(first, num_burnin + (i + 1) * thinning, one_step, carry)
        return carry, carry[0].position

    (state, stats), positions = jax.lax.scan(draw, (state, stats), jnp.arange(num_kept))
    return SGMCMCResult(positions, stats, state)
