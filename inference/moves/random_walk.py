"""Random-walk Metropolis written as an involution (Tierney 1998; Neklyudov et al. 2020).

``u ~ N(0, scale² I)`` and ``(x, u) ↦ (x + u, −u)``: an involution with
``|det J| = |det [[I, I], [0, −I]]| = 1`` and ``q(−u) = q(u)``, so the MHG ratio
reduces to Metropolis' ``π(x + u) / π(x)``. It is here as the simplest worked
example of a ``Move`` and as a within-model step for dict positions with integer
leaves; ``kernels.rwmh`` (which ``mcmc`` can tune) is the faster choice in practice.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

from .move import Move
from .slots import check_sites


def _float_leaves(tree) -> list:
    return [leaf for leaf in jax.tree.leaves(tree) if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)]


def _shift(tree, steps: list):
    """Add ``steps`` to the floating-point leaves of ``tree``, in ``jax.tree.leaves`` order."""
    steps = iter(steps)
    return jax.tree.map(
        lambda leaf: leaf + next(steps) if jnp.issubdtype(jnp.result_type(leaf), jnp.floating) else leaf, tree
    )


def random_walk(scale: float = 1.0, sites: Sequence[str] | None = None) -> Move:
    """A Gaussian random-walk ``Move`` on the floating-point leaves of the position.

    Args:
        scale: standard deviation of each step (a positive float).
        sites: move only these sites of a dict position (default: every floating-point
            leaf; integer leaves never move).

    Auxiliary ``u``: a list of arrays, one per moved leaf, ``u[i] ~ N(0, scale²)`` of that
    leaf's shape.
    """
    if not scale > 0:
        raise ValueError(f"random_walk: scale must be > 0, got {scale}")
    sites = None if sites is None else tuple(sites)

    def moved(x):
        if sites is None:
            return x
        check_sites(x, sites, "random_walk")
        return {s: x[s] for s in sites}

    def log_q(u) -> jax.Array:
        return sum((norm.logpdf(step, 0.0, scale).sum() for step in u), jnp.zeros(()))

    def propose(key, x):
        leaves = _float_leaves(moved(x))
        keys = jax.random.split(key, max(len(leaves), 1))
        u = [scale * jax.random.normal(k, leaf.shape, leaf.dtype) for k, leaf in zip(keys, leaves, strict=False)]
        return u, log_q(u)

    def involution(x, u):
        sub = _shift(moved(x), u)
        x2 = sub if sites is None else {**x, **sub}
        return x2, [-step for step in u]

    def aux_log_density(x2, u2):
        return log_q(u2)

    return Move(propose, involution, aux_log_density)
