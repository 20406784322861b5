"""One model-based BO step, shared by the Python loop and the compiled loop.

    state = StepState(U, y, mask)                      # padded data of one run
    proposal, params = step(strategy, q, dim, state, key, init)

``step`` is pure JAX: standardise the targets over the real observations, fit the
surrogate, pick the best observations as local starts and maximise the acquisition, all
as the run's ``Strategy`` says.
``minimize_compiled`` calls it inside ``lax.scan`` with the surrogate's ``fit_traced``;
``Optimizer.ask`` runs the same three pieces (``prepare``, the surrogate's ``fit`` and
``propose``) as separate jitted calls, so that it can time fit and acquisition apart and
use surrogates whose fit is not traceable. Both loops therefore propose the same points
for the same seed, up to the round-off of their different padding.

The key of ask number ``k`` of a run with seed ``s`` is ``fold_in(PRNGKey(s), k)``
(``ask_key``), split by ``step_keys`` into the fit, acquisition and Monte Carlo keys.

Warm start: a surrogate with a true ``warm_start`` option (``gp``) fits its hyperparameters
starting from the previous step's (``init``, ``posterior.params``); the first step of a run
starts from ``warm_start_params``. Both loops carry the params from step to step, and the
Python loop saves them with its state, so a resumed run continues as an uninterrupted one.
"""

import functools
from collections.abc import Callable, Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..protocol import TraceableSurrogate, WarmStartSurrogate
from . import acquisition as acquisitions
from . import proposal
from .strategy import Strategy

# The best observations seed this many local starts of the acquisition optimiser.
NUM_BEST_STARTS = 3


class StepState(NamedTuple):
    """The padded data of a run (a pytree): ``U: [N, D]`` inputs in the unit cube,
    ``y: [N]`` objective values (non-finite for a failed evaluation), ``mask: [N]`` the
    rows that hold an evaluation, failed or not; other rows are padding."""

    U: jax.Array
    y: jax.Array
    mask: jax.Array

    def tell(self, rows: jax.Array, U: jax.Array, values: jax.Array) -> "StepState":
        """The state with evaluations ``values: [q]`` at ``U: [q, D]`` written into ``rows: [q]``."""
        return StepState(self.U.at[rows].set(U), self.y.at[rows].set(values), self.mask.at[rows].set(True))


class Prepared(NamedTuple):
    """What ``prepare`` derives from a state: standardised targets ``z: [N]`` (failures at
    the worst value, padding 0), the incumbent ``best_f`` and ``best: [NUM_BEST_STARTS]``
    row indices of the best observations (repeated when there are fewer)."""

    z: jax.Array
    best_f: jax.Array
    best: jax.Array


def ask_key(seed, counter) -> jax.Array:
    """The PRNG key of ask number ``counter`` of the run with ``seed``."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), counter)


def step_keys(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(fit, acquisition, Monte Carlo)`` keys of one step."""
    k_fit, k_acq, k_mc = jax.random.split(key, 3)
    return k_fit, k_acq, k_mc


def prepare(state: StepState) -> Prepared:
    """Standardise ``y`` to mean 0 and sd 1 over the successful evaluations.

    A failed evaluation enters as the worst value seen, so the acquisition moves away from
    it instead of proposing it again; a constant y (std 0 or below float64 resolution of
    the mean) is only centred.
    """
    valid = state.mask & jnp.isfinite(state.y)
    count = jnp.maximum(jnp.sum(valid), 1)
    mean = jnp.sum(jnp.where(valid, state.y, 0.0)) / count
    std = jnp.sqrt(jnp.sum(jnp.where(valid, (state.y - mean) ** 2, 0.0)) / count)
    std = jnp.where(std > 1e-12 * jnp.maximum(1.0, jnp.abs(mean)), std, 1.0)
    z = jnp.where(valid, (state.y - mean) / std, 0.0)
    worst = jnp.max(jnp.where(valid, z, -jnp.inf))
    z = jnp.where(valid, z, jnp.where(state.mask, worst, 0.0))
    ranked = jnp.where(valid, z, jnp.inf)
    order = jnp.argsort(ranked, stable=True)
    best = order[jnp.arange(NUM_BEST_STARTS) % jnp.clip(jnp.sum(valid), 1, NUM_BEST_STARTS)]
    return Prepared(z, jnp.min(ranked), best)


def propose(acquisition, q: int, dim: int, options: Mapping, keys, posterior, state: StepState, prepared: Prepared):
    """``[q, dim]`` new points in the unit cube for ``acquisition`` under ``posterior``, with the
    optimiser settings ``options`` (``bo.proposal``): a strategy's ``acquisition_for(q)`` and
    ``optimizer_options``, the parts of it that the proposal depends on."""
    _, k_acq, k_mc = keys
    ctx = acquisitions.Context(prepared.best_f, state.U, state.mask, k_mc, state.U[prepared.best])
    return proposal.propose(k_acq, acquisition, posterior, ctx, q, dim, **options)


def step(strategy: Strategy, q: int, dim: int, state: StepState, key: jax.Array, init=None):
    """One model-based step: ``[q, dim]`` proposed points in the unit cube, and the fitted
    hyperparameters to warm-start the next step from (``None`` when ``init`` is ``None``).

    The strategy's surrogate must have a traceable fit (``fit_traced``, ``traceable_fit``).
    """
    fit = traceable_fit(strategy.model)
    keys = step_keys(key)
    prepared = prepare(state)
    if init is None:
        posterior, params = fit(keys[0], state.U, prepared.z, state.mask), None
    else:
        posterior = fit(keys[0], state.U, prepared.z, state.mask, init)
        params = posterior.params
    acquisition, options = strategy.acquisition_for(q), strategy.optimizer_options
    return propose(acquisition, q, dim, options, keys, posterior, state, prepared), params


def warm_start_params(surrogate, dim: int):
    """The hyperparameters the first fit of a run starts from, for a surrogate that warm-starts
    (a true ``warm_start`` option and ``init_params(dim)``, as ``gp``); ``None`` otherwise."""
    if isinstance(surrogate, WarmStartSurrogate) and surrogate.warm_start is True:
        return surrogate.init_params(dim)
    return None


prepare_jit = jax.jit(prepare)


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def propose_jit(acquisition, q: int, dim: int, options: Mapping, keys, posterior, state, prepared):
    """``propose`` compiled once per (acquisition, q, dim, optimiser settings, bucket size):
    a strategy that differs only in its surrogate's settings or ``n_init`` reuses it."""
    return propose(acquisition, q, dim, options, keys, posterior, state, prepared)


def traceable_fit(surrogate) -> Callable:
    """The surrogate's ``fit_traced(key, X, y, mask)``, or a ``ValueError`` naming it."""
    if not isinstance(surrogate, TraceableSurrogate):
        raise ValueError(
            f"surrogate {type(surrogate).__name__} has no pure-JAX fit (fit_traced), so it cannot run "
            "inside the compiled loop; use surrogates.bo.minimize"
        )
    return surrogate.fit_traced
