"""``minimize_compiled``: a whole BO run as one XLA program, for objectives written in JAX.

The Python loop (``minimize``/``Optimizer``) spends its time between steps: standardising,
padding, fitting, proposing and evaluating are separate calls with host round trips. When
the objective is a JAX function, all of it fits in one ``lax.scan`` over evaluations,
``vmap``-ped over seeds on accelerators (``lax.map`` on CPU, see ``_compiled_run``): one
compilation per (problem, surrogate, budget), no host work per iteration, and every seed
of a study in one call.

Each step mirrors ``Optimizer._model_based`` for one point (q = 1), so with the same seed
the two loops propose the same points up to floating-point round-off:

* the initial design is the same scrambled Sobol prefix (``Optimizer._initial_design``);
* targets are standardised over the observations so far (``optimizer.standardize``), and
  a failed (non-finite) evaluation enters as the worst value seen, as in the Python loop;
* the key of the k-th ask is ``fold_in(PRNGKey(seed), k)``, split into fit, acquisition and
  Monte Carlo keys; the three best points seed local starts of the acquisition optimiser;
* the training set is padded to the full budget (masked rows), where the Python loop pads
  to power-of-two buckets: the same posterior, up to round-off.

Surrogates need a pure-JAX fit (``traceable_fit``): ``gp`` and the kernel GPs (``ibnn``,
``ntk``, ``student_t``, ``dkm``) today; the others raise a clear error. Continuous boxes only.
This is the first step of issue #9: the Python loop does not yet share this step function.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import qmc

import surrogates
from surrogates import gp as gp_module
from surrogates import kernel_gp

from . import acquisition as acquisitions
from .optimizer import NUM_BEST_STARTS, _positive_int, initial_design_size
from .space import Space


def traceable_fit(surrogate) -> Callable:
    """``fit(key, X [n, D], y [n], mask [n]) -> posterior``, traceable inside ``jit``/``scan``/``vmap``."""
    if isinstance(surrogate, gp_module.GP):
        return lambda key, X, y, mask: gp_module._fit(surrogate, X, y, mask)
    if isinstance(surrogate, kernel_gp.KernelGP) and type(surrogate).fit is kernel_gp.KernelGP.fit:
        return lambda key, X, y, mask: kernel_gp._fit(surrogate, X, y, mask)
    raise ValueError(
        f"surrogate {type(surrogate).__name__} has no pure-JAX fit for the compiled loop yet; "
        "use surrogates.bo.minimize (gp, ibnn, ntk, student_t and dkm work here)"
    )


@dataclasses.dataclass(frozen=True)
class CompiledResult:
    """``X: [seeds, budget, d]`` and ``y: [seeds, budget]`` in evaluation order, with the best
    point ``x_best: [seeds, d]`` and value ``y_best: [seeds]`` of each seed's run."""

    X: np.ndarray
    y: np.ndarray
    x_best: np.ndarray
    y_best: np.ndarray
    seeds: tuple[int, ...]


def _standardized(y: jax.Array, valid: jax.Array) -> jax.Array:
    """``optimizer.standardize`` over the ``valid`` rows of ``y: [N]``; other rows become the worst value."""
    count = jnp.maximum(jnp.sum(valid), 1)
    mean = jnp.sum(jnp.where(valid, y, 0.0)) / count
    std = jnp.sqrt(jnp.sum(jnp.where(valid, (y - mean) ** 2, 0.0)) / count)
    std = jnp.where(std > 1e-12 * jnp.maximum(1.0, jnp.abs(mean)), std, 1.0)
    z = (y - mean) / std
    return jnp.where(valid, z, jnp.max(jnp.where(valid, z, -jnp.inf)))


def minimize_compiled(
    fun: Callable,
    bounds,
    *,
    surrogate: str = "gp",
    acquisition: str = "logei",
    n_init: int | None = None,
    budget: int = 100,
    seeds=(0,),
    surrogate_options: dict | None = None,
    acquisition_options: dict | None = None,
    optimizer_options: dict | None = None,
) -> CompiledResult:
    """Minimise the JAX function ``fun(x: [d]) -> scalar`` over the box ``bounds: [d, 2]``, one run per seed.

    Same arguments and defaults as ``minimize`` (one point per iteration); the whole run of
    every seed is one compiled program. Returns a ``CompiledResult``.
    """
    space = Space.from_bounds(bounds)
    if not space.is_continuous:
        raise ValueError("minimize_compiled supports continuous boxes only; use minimize for mixed spaces")
    budget = _positive_int(budget, "budget")
    n_init = initial_design_size(space.dim, budget) if n_init is None else _positive_int(n_init, "n_init")
    if n_init > budget:
        raise ValueError(f"n_init must be at most budget={budget}, got {n_init}")
    seeds = tuple(int(s) for s in np.atleast_1d(seeds))
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    model = surrogates.get(surrogate, **(surrogate_options or {}))
    fit = traceable_fit(model)
    acq = acquisitions.get(acquisition, **(acquisition_options or {}))
    lo, hi = (jnp.asarray(b, jnp.float64) for b in np.asarray(space.bounds, float).T)
    # The Python loop's initial design, per seed (host Sobol, as Optimizer._initial_design).
    m = max(0, int(np.ceil(np.log2(n_init))))
    U0 = np.stack([qmc.Sobol(space.dim, scramble=True, seed=s).random_base2(m)[:n_init] for s in seeds])
    options = tuple(sorted((optimizer_options or {}).items()))
    run = _compiled_run(fun, fit, acq, space.dim, n_init, budget, options)
    X, y = run(jnp.asarray(seeds), jnp.asarray(U0), lo, hi)
    X, y = np.asarray(X), np.asarray(y)
    masked = np.where(np.isfinite(y), y, np.inf)
    best = np.argmin(masked, axis=1)
    rows = np.arange(len(seeds))
    return CompiledResult(X, y, X[rows, best], masked[rows, best], seeds)


def _compiled_run(fun, fit, acq, dim: int, n_init: int, budget: int, options: tuple):
    """The jitted program ``(seeds [S], U0 [S, n_init, d], lo [d], hi [d]) -> (X [S, budget, d], y [S, budget])``."""

    def one_seed(seed, U0, lo, hi):
        objective = jax.vmap(lambda u: fun(lo + u * (hi - lo)))
        U = jnp.zeros((budget, dim)).at[:n_init].set(U0)
        y = jnp.zeros(budget).at[:n_init].set(objective(U0))

        def step(carry, t):
            U, y = carry
            mask = jnp.arange(budget) < t
            valid = mask & jnp.isfinite(y)
            z = _standardized(y, valid)
            z_pad = jnp.where(mask, z, 0.0)
            key = jax.random.fold_in(jax.random.PRNGKey(seed), t)
            k_fit, k_acq, k_mc = jax.random.split(key, 3)
            posterior = fit(k_fit, U, z_pad, mask)
            order = jnp.argsort(jnp.where(valid, z, jnp.inf), stable=True)
            # np.resize's repetition when fewer than NUM_BEST_STARTS points are real.
            best = order[jnp.arange(NUM_BEST_STARTS) % jnp.minimum(jnp.sum(valid), NUM_BEST_STARTS)]
            best_f = jnp.min(jnp.where(valid, z, jnp.inf))
            ctx = acquisitions.Context(best_f, U, mask, k_mc, U[best])
            u_new = acq.propose(k_acq, posterior, ctx, 1, dim, **dict(options))[0]
            return (U.at[t].set(u_new), y.at[t].set(objective(u_new[None])[0])), None

        (U, y), _ = jax.lax.scan(step, (U, y), jnp.arange(n_init, budget))
        return lo + U * (hi - lo), y

    if jax.default_backend() != "cpu":
        return jax.jit(jax.vmap(one_seed, in_axes=(0, 0, None, None)))

    # On CPU the seeds run one after the other inside the same program: vmapping them batches
    # the surrogates' triangular solves over seeds, and jaxlib 0.10 runs a batched LAPACK call
    # on XLA's intra-op pool in a way that deadlocks a 2-core machine (see surrogates/linalg.py;
    # a vmapped run hung in jax::ParallelBatchMap under lapack_dtrsm_ffi). Still one compilation.
    def all_seeds(seeds, U0, lo, hi):
        return jax.lax.map(lambda args: one_seed(*args, lo, hi), (seeds, U0))

    return jax.jit(all_seeds)
