"""Batch Monte-Carlo acquisitions: qLogEI and qLogNEI (Ament et al., NeurIPS 2023, §4).

The q points of a batch are valued jointly from ``num_samples`` reparameterised
joint posterior draws with a fixed base-sample key (sample-average approximation,
Balandat et al., "BoTorch", NeurIPS 2020), so the value is a smooth deterministic
function of the batch and can be maximised by gradient.

The improvement ``max_j (best − f_j)^+`` has zero gradient wherever no draw
improves; in log space the ReLU is smoothed by ``τ·softplus(u/τ)`` (its log is
≈ u/τ far below zero, a constant non-vanishing slope) and the max over the batch
by a log-sum-exp at temperature ``tau_max``; the mean over draws is a log-mean-exp.
"""

import dataclasses
import math
from typing import ClassVar

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from .base import Acquisition


def log_softplus(x):
    """``log(softplus(x))`` without underflow: ≈ x for x ≪ 0."""
    x_safe = jnp.where(x > -30.0, x, 0.0)
    return jnp.where(x > -30.0, jnp.log(jax.nn.softplus(x_safe)), x)


def log_smoothed_improvement(improvement, tau_relu: float, tau_max: float):
    """``[S, q]`` improvements -> scalar log of the smoothed batch expected improvement."""
    log_relu = log_softplus(improvement / tau_relu) + math.log(tau_relu)
    log_batch_max = tau_max * logsumexp(log_relu / tau_max, axis=-1)
    return logsumexp(log_batch_max) - math.log(improvement.shape[0])


@dataclasses.dataclass(frozen=True)
class QLogExpectedImprovement(Acquisition):
    """qLogEI at ``U: [q, D]`` over the incumbent ``ctx.best_f``."""

    num_samples: int = 128
    tau_relu: float = 1e-6
    tau_max: float = 1e-2
    max_batch: ClassVar[int | None] = None

    def __call__(self, posterior, U, ctx):
        F = posterior.sample(ctx.key, U, self.num_samples)  # [S, q]
        return log_smoothed_improvement(ctx.best_f - F, self.tau_relu, self.tau_max)


@dataclasses.dataclass(frozen=True)
class QLogNoisyExpectedImprovement(Acquisition):
    """qLogNEI at ``U: [q, D]``: the incumbent is the best *latent* value of the observed
    points in each joint draw, so noisy observations are not trusted as the incumbent
    (Letham et al. 2019). Draws cover ``[n + q]`` points jointly, so each evaluation
    costs an ``(n + q)``-Cholesky: prefer ``qlogei`` for noiseless problems."""

    num_samples: int = 128
    tau_relu: float = 1e-6
    tau_max: float = 1e-2
    max_batch: ClassVar[int | None] = None

    def __call__(self, posterior, U, ctx):
        n = ctx.X.shape[0]
        F = posterior.sample(ctx.key, jnp.concatenate([ctx.X, U]), self.num_samples)  # [S, n + q]
        best = jnp.min(jnp.where(ctx.mask, F[:, :n], jnp.inf), axis=1, keepdims=True)
        return log_smoothed_improvement(best - F[:, n:], self.tau_relu, self.tau_max)
