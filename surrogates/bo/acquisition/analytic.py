"""Closed-form single-point acquisitions on the posterior marginals (minimisation).

With ``μ, σ²`` the posterior mean and variance of f at x and ``z = (best_f − μ)/σ``:
EI = σ h(z), h(z) = φ(z) + zΦ(z) (Jones, Schonlau & Welch 1998); LogEI its stable
logarithm (Ament et al. 2023); PI = Φ(z), returned as log Φ(z) for the same
reason; UCB for minimisation, −μ + √β σ (Srinivas et al. 2010).
"""

import dataclasses

import jax.numpy as jnp
from jax.scipy.special import log_ndtr

from .base import Acquisition, Context
from .log_h import log_h


def _z(posterior, U, ctx: Context):
    mean, var = posterior.predict(U)
    sigma = jnp.sqrt(var)
    return (ctx.best_f - mean) / sigma, sigma


@dataclasses.dataclass(frozen=True)
class ExpectedImprovement(Acquisition):
    """EI at ``U: [1, D]``. Underflows to 0 (with zero gradient) far from the incumbent: prefer LogEI."""

    def __call__(self, posterior, U, ctx):
        z, sigma = _z(posterior, U, ctx)
        return jnp.sum(sigma * jnp.exp(log_h(z)))


@dataclasses.dataclass(frozen=True)
class LogExpectedImprovement(Acquisition):
    """log EI at ``U: [1, D]``: ``log σ + log h(z)``, finite with useful gradients everywhere."""

    def __call__(self, posterior, U, ctx):
        z, sigma = _z(posterior, U, ctx)
        return jnp.sum(jnp.log(sigma) + log_h(z))


@dataclasses.dataclass(frozen=True)
class ProbabilityOfImprovement(Acquisition):
    """log PI at ``U: [1, D]``: ``log Φ(z)`` (``log_ndtr`` is accurate in the far tail)."""

    def __call__(self, posterior, U, ctx):
        z, _ = _z(posterior, U, ctx)
        return jnp.sum(log_ndtr(z))


@dataclasses.dataclass(frozen=True)
class UpperConfidenceBound(Acquisition):
    """Optimistic bound ``−μ + √β σ`` at ``U: [1, D]`` (a lower confidence bound on f)."""

    beta: float = 2.0

    def __call__(self, posterior, U, ctx):
        mean, var = posterior.predict(U)
        return jnp.sum(-mean + jnp.sqrt(self.beta * var))
