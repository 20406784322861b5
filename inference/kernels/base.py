"""The kernel interface shared by every MCMC kernel (DESIGN.md §2, "Kernels").

A kernel is a small frozen pytree with

* ``init(position, logdensity_fn) -> state``
* ``step(key, state, logdensity_fn) -> (state, info)``

where ``state.position`` is any pytree, ``state.log_density`` a scalar, and
``info`` has at least ``acceptance_prob`` and ``accepted``. Tuned values
(step size, inverse mass) are pytree leaves so that warmup can change them
inside one compiled loop; configuration is static.

Continuous kernels can be restricted to some sites of a dict position
(``sites=["theta"]``): they move only those sites and hold the others (for
example a discrete model index) fixed, so "MHG on k, HMC on θ" is a ``cycle``.
"""

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

LogDensityFn = Callable[[Any], jax.Array]


class State(NamedTuple):
    """A position and its log density: the state of gradient-free kernels."""

    position: Any
    log_density: jax.Array


class GradientState(NamedTuple):
    """State of gradient-based kernels; ``grad`` is ∇ log density w.r.t. the kernel's
    own flat sub-vector (``[dim_sites]``)."""

    position: Any
    log_density: jax.Array
    grad: jax.Array


class Info(NamedTuple):
    acceptance_prob: jax.Array
    accepted: jax.Array


@runtime_checkable
class Kernel(Protocol):
    """What every MCMC kernel provides (BlackJAX's ``init``/``step`` pair, NumPyro's
    ``MCMCKernel``): a state from a position, and one transition leaving the target invariant.
    Kernels whose step size and diagonal mass warmup may tune also derive from ``Tunable``."""

    def init(self, position: Any, logdensity_fn: LogDensityFn) -> Any:
        """The state (``State`` or ``GradientState``) at ``position``."""

    def step(self, key: jax.Array, state: Any, logdensity_fn: LogDensityFn) -> tuple[Any, Any]:
        """``(new state, info)``; ``info`` has at least ``acceptance_prob`` and ``accepted``.

        The structure, shapes and dtypes of ``info`` may depend on the kernel, the state and
        the dtype and shape of the log density's value, not on what the density computes:
        ``mcmc`` reads them off a step on a stand-in density."""


def metropolis_accept(key: jax.Array, log_ratio: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Accept with probability ``min(1, exp(log_ratio))``; a NaN ratio is a rejection."""
    log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
    acceptance_prob = jnp.exp(jnp.minimum(log_ratio, 0.0))
    accepted = jnp.log(jax.random.uniform(key)) < log_ratio
    return acceptance_prob, accepted


def select(accepted: jax.Array, new, old):
    """``new`` where accepted else ``old``, leaf by leaf (jit/vmap safe)."""
    return jax.tree.map(lambda a, b: jnp.where(accepted, a, b), new, old)


@jax.custom_jvp
def safe_log_density(value: jax.Array) -> jax.Array:
    """Map NaN to -inf so that a proposal outside the support is simply rejected."""
    return jnp.where(jnp.isnan(value), -jnp.inf, value)


@safe_log_density.defjvp
def _safe_log_density_jvp(primals, tangents):
    # The tangent passes straight through. Differentiating the ``where`` instead puts a
    # select into the gradient's elementwise fusion on every leapfrog step, which made
    # XLA:CPU split that fusion over threads and NUTS ~1.5x slower than NumPyro
    # (benchmarks/mcmc_vs_numpyro.py). At a NaN the gradient is meaningless either way:
    # the log density is -inf and the proposal is rejected.
    (value,), (tangent,) = primals, tangents
    return safe_log_density(value), tangent


class SiteView(NamedTuple):
    """The flat sub-vector a continuous kernel moves, and how to put it back."""

    q: jax.Array  # [dim_sites]
    to_position: Callable[[jax.Array], Any]
    log_density: Callable[[jax.Array], jax.Array]


def site_view(position, logdensity_fn: LogDensityFn, sites: Sequence[str] | None, kernel: str) -> SiteView:
    """Flatten the part of ``position`` that a continuous kernel moves.

    With ``sites=None`` that is the whole position, which must then be all floating
    point; otherwise ``position`` must be a dict and only ``sites`` move.
    """
    if sites is None:
        sub, merge = position, lambda s: s
    else:
        if not isinstance(position, dict):
            raise TypeError(f"{kernel}(sites=...) needs a dict position, got {type(position).__name__}")
        missing = [s for s in sites if s not in position]
        if missing:
            raise ValueError(f"{kernel}(sites=...): sites {missing} are not in the position {sorted(position)}")
        sub = {s: position[s] for s in sites}
        fixed = {k: v for k, v in position.items() if k not in sites}

        def merge(s):
            return {**fixed, **s}

    for leaf in jax.tree.leaves(sub):
        if not jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
            raise TypeError(
                f"{kernel} moves continuous values, but the position has a {jnp.result_type(leaf)} leaf; "
                f"restrict the kernel with {kernel}(sites=[...]) to the floating-point sites"
            )
    q, unravel = ravel_pytree(sub)

    def to_position(q):
        return merge(unravel(q))

    return SiteView(q, to_position, lambda q: safe_log_density(logdensity_fn(to_position(q))))


def inverse_mass_or_ones(inverse_mass, q: jax.Array) -> jax.Array:
    """The diagonal inverse mass ``[dim_sites]``; ``None`` means the identity."""
    return jnp.ones_like(q) if inverse_mass is None else jnp.broadcast_to(inverse_mass, q.shape)
