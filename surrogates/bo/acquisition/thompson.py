"""Thompson sampling on a random candidate set (Thompson 1933; Kandasamy et al. 2018 for batches).

Each of the q batch points is the minimiser of one joint posterior draw of f over
``num_candidates`` shifted-Sobol candidates. Draws are joint (one Cholesky of the
candidate covariance), not marginal: independent marginals would pick noise.
"""

import dataclasses
from typing import ClassVar

import jax
import jax.numpy as jnp

from ..optimize_acqf import shifted_sobol
from .base import Acquisition, Context


@dataclasses.dataclass(frozen=True)
class ThompsonSampling(Acquisition):
    """Batch Thompson sampling; ``propose`` returns the argmin of q joint draws."""

    num_candidates: int = 1024
    max_batch: ClassVar[int | None] = None

    def __call__(self, posterior, U, ctx):
        raise TypeError("Thompson sampling proposes points directly; it has no acquisition value")

    def propose(self, key: jax.Array, posterior, ctx: Context, q: int, dim: int, **options) -> jax.Array:
        k_cand, k_draw = jax.random.split(key)
        candidates = shifted_sobol(k_cand, self.num_candidates, dim)  # [N, dim]
        F = posterior.sample(k_draw, candidates, q)  # [q, N]
        return candidates[jnp.argmin(F, axis=1)]
