"""``minimize_compiled``: a whole BO run as one XLA program, for objectives written in JAX.

The Python loop (``minimize``/``Optimizer``) spends its time between steps: standardising,
padding, fitting, proposing and evaluating are separate calls with host round trips. When
the objective is a JAX function, all of it fits in one ``lax.scan`` over evaluations,
``vmap``-ped over seeds and sharded over devices on accelerators (``lax.map`` on CPU, per
host device when there are several, see ``_compiled_run``): one compilation per (problem,
surrogate, budget), no host work per iteration, and every seed of a study in one call.

Each iteration is the shared step (``step.step``) that ``Optimizer.ask`` also runs, so with
the same seed the two loops propose the same points up to floating-point round-off:

* the initial design is the same scrambled Sobol prefix (``Optimizer._initial_design``);
* the key of the k-th ask is ``step.ask_key(seed, k)``;
* the training set is padded to the full budget (masked rows), where the Python loop pads
  to power-of-two buckets: the same posterior, up to round-off;
* a warm-starting surrogate (``gp``) carries its fitted hyperparameters from step to step in
  the scan, as the Python loop carries them in ``Optimizer.warm_params``.

Surrogates need a pure-JAX fit (``fit_traced``): ``gp``, the kernel GPs (``ibnn``, ``ntk``,
``student_t``, ``dkm``), ``dkl`` and the BNN surrogates; others raise a clear error.
Continuous boxes, single objectives.
"""

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from inference.sharding import map_leading_axis
from inference.validation import check_positive_int
from surrogates.threads import single_threaded_blas

from .optimizer import sobol_design
from .space import Space
from .step import StepState, ask_key, step, traceable_fit, warm_start_params
from .strategy import Strategy, resolve


@dataclasses.dataclass(frozen=True)
class CompiledResult:
    """``X: [seeds, budget, d]`` and ``y: [seeds, budget]`` in evaluation order, with the best
    point ``x_best: [seeds, d]`` and value ``y_best: [seeds]`` of each seed's run."""

    X: np.ndarray
    y: np.ndarray
    x_best: np.ndarray
    y_best: np.ndarray
    seeds: tuple[int, ...]


def minimize_compiled(
    fun: Callable,
    bounds,
    *,
    strategy: Strategy | None = None,
    budget: int = 100,
    batch_size: int = 1,
    seeds=(0,),
    **settings,
) -> CompiledResult:
    """Minimise the JAX function ``fun(x: [d]) -> scalar`` over the box ``bounds: [d, 2]``, one run per seed.

    Same arguments and defaults as ``minimize``: a ``Strategy``, or its settings as keywords
    (``surrogate``, ``acquisition``, ``n_init``, ``surrogate_options``, ``acquisition_options``,
    ``optimizer_options``). ``budget − n_init`` must be a multiple of ``batch_size`` (every step
    proposes a full batch, jointly for q > 1 as in ``minimize``). The whole run of every seed
    is one compiled program, cached per strategy. Returns a ``CompiledResult``.
    """
    if not callable(fun):
        raise TypeError(f"fun must be a JAX-traceable callable of one point x: [d], got {type(fun).__name__} {fun!r}")
    space = Space.from_bounds(bounds)
    if not space.is_continuous:
        raise ValueError("minimize_compiled supports continuous boxes only; use minimize for mixed spaces")
    strategy = resolve(strategy, **settings)
    budget = check_positive_int(budget, "budget")
    n_init = strategy.initial_design_size(space.dim, budget)
    if n_init > budget:
        raise ValueError(f"n_init must be at most budget={budget}, got {n_init}")
    batch_size = check_positive_int(batch_size, "batch_size")
    if (budget - n_init) % batch_size:
        raise ValueError(
            f"budget - n_init = {budget - n_init} must be a multiple of batch_size={batch_size} in the compiled loop"
        )
    seeds = tuple(int(s) for s in np.atleast_1d(seeds))
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    traceable_fit(strategy.model)  # checked here, before any tracing
    strategy.acquisition_for(batch_size)
    lo, hi = (jnp.asarray(b, jnp.float64) for b in np.asarray(space.bounds, float).T)
    U0 = np.stack([sobol_design(space.dim, s, 0, n_init) for s in seeds])  # the Python loop's initial design
    run = _compiled_run(fun, strategy, space.dim, n_init, budget, batch_size)
    with single_threaded_blas():  # see surrogates/threads.py: tiny LAPACK calls, one BLAS thread
        X, y = run(jnp.asarray(seeds), jnp.asarray(U0), lo, hi)
        X, y = np.asarray(X), np.asarray(y)
    masked = np.where(np.isfinite(y), y, np.inf)
    best = np.argmin(masked, axis=1)
    rows = np.arange(len(seeds))
    return CompiledResult(X, y, X[rows, best], masked[rows, best], seeds)


@functools.lru_cache(maxsize=32)
def _compiled_run(fun, strategy: Strategy, dim: int, n_init: int, budget: int, q: int):
    """The jitted program ``(seeds [S], U0 [S, n_init, d], lo [d], hi [d]) -> (X [S, budget, d], y [S, budget])``.

    Cached per (objective, strategy, budget, batch size), so a second call with other seeds
    reuses the compiled program: one compilation per configuration and number of seeds,
    never per seed or iteration.
    """
    init = warm_start_params(strategy.model, dim)

    def one_seed(seed, U0, lo, hi):
        objective = jax.vmap(lambda u: fun(lo + u * (hi - lo)))
        state = StepState(
            jnp.zeros((budget, dim)).at[:n_init].set(U0),
            jnp.zeros(budget).at[:n_init].set(objective(U0)),
            jnp.arange(budget) < n_init,
        )

        def one_step(carry, t):
            state, params = carry
            U_new, params = step(strategy, q, dim, state, ask_key(seed, t), params)
            rows = t + jnp.arange(q)
            return (state.tell(rows, U_new, objective(U_new)), params), None

        (state, _), _ = jax.lax.scan(one_step, (state, init), jnp.arange(n_init, budget, q))
        return lo + state.U * (hi - lo), state.y

    # Seeds along a leading axis: vmapped, and sharded over the devices when there are several
    # (inference.sharding). On a CPU they run one after the other inside the same program:
    # vmapping them batches the surrogates' triangular solves over seeds, which jaxlib 0.10 runs
    # on XLA's intra-op pool in a way that deadlocks a 2-core machine (surrogates/linalg.py), and
    # lock-step L-BFGS loops of different lengths made a vmapped GP fit 40x slower than a loop.
    # With several host devices (XLA_FLAGS=--xla_force_host_platform_device_count=N) each device
    # runs its block of seeds that way, the devices side by side: on 2 cores, 6 seeds of
    # hartmann6 (10 + 90) took 12.9 s on 2 host devices against about 25 s on one.
    def all_seeds(seeds, U0, lo, hi):
        method = "sequential" if jax.default_backend() == "cpu" else None
        return map_leading_axis(lambda seed, U: one_seed(seed, U, lo, hi), len(U0), method)(seeds, U0)

    return jax.jit(all_seeds)
