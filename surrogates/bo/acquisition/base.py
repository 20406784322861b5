"""What an acquisition sees, and the default way it proposes points.

An acquisition is a small frozen dataclass. ``acq(posterior, U, ctx) -> scalar`` is
the value to *maximise* at a batch ``U: [q, D]`` of unit-cube points (the loop
minimises the objective, so improvements are ``best_f − f``). ``propose`` turns it
into ``q`` new points; the default maximises the value with the on-device
optimiser, and strategies that are not maximised by gradient (Thompson sampling)
override it.
"""

import dataclasses
from typing import ClassVar, NamedTuple

import jax

from ..optimize_acqf import optimize_acqf


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
        """``q`` new points ``[q, dim]`` in the unit cube that maximise this acquisition."""
        options = {"around": ctx.X_best, **options}
        U, _ = optimize_acqf(lambda U: self(posterior, U, ctx), key, q, dim, **options)
        return U
