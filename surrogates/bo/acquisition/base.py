"""What an acquisition sees and computes.

An acquisition is a small frozen dataclass. ``acq(posterior, U, ctx) -> scalar`` is
the value to *maximise* at a batch ``U: [q, D]`` of unit-cube points (the loop
minimises the objective, so improvements are ``best_f − f``). It computes values only;
``bo.proposal`` turns it into points (the gradient optimiser, or Thompson sampling's draws).
"""

import dataclasses
from typing import ClassVar, NamedTuple

import jax


class Context(NamedTuple):
    """Data an acquisition may use besides the posterior (a pytree; arrays padded).

    ``best_f``: the incumbent, min of the standardised observations; ``X: [n, D]``
    and ``mask: [n]`` the (padded) training inputs; ``key``: fixed base-sample key
    for Monte-Carlo acquisitions, so the value is a deterministic function of ``U``
    during one optimisation (sample-average approximation, Balandat et al. 2020).
    """

    best_f: jax.Array
    X: jax.Array
    mask: jax.Array
    key: jax.Array
    X_best: jax.Array | None = None  # [k, D] the best observed inputs (starts for the optimiser)


@dataclasses.dataclass(frozen=True)
class Acquisition:
    """Base class; subclasses define ``__call__(posterior, U: [q, D], ctx) -> scalar``."""

    max_batch: ClassVar[int | None] = 1  # analytic acquisitions value one point

    def __call__(self, posterior, U: jax.Array, ctx: Context) -> jax.Array:
        raise NotImplementedError

    def propose(self, key: jax.Array, posterior, ctx: Context, q: int, dim: int, **options) -> jax.Array:
        """Compatibility alias of ``bo.proposal.propose(key, self, ...)``: ``[q, dim]`` new points."""
        from ..proposal import propose  # the generators import the acquisitions: imported at call time

        return propose(key, self, posterior, ctx, q, dim, **options)
