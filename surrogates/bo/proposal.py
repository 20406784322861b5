"""Proposal generators: how a batch of new points comes from an acquisition.

An acquisition only computes a value, ``acq(posterior, U: [q, D], ctx) -> scalar``, to
maximise (``acquisition.base``). A generator turns it into ``q`` new points ``[q, D]`` in the
unit cube, and ``propose`` picks the generator, in one place:

* ``maximize``: the on-device multi-start gradient optimiser (``optimize_acqf``), with starts
  also around the best observed inputs (``ctx.X_best``), for every acquisition with a value;
* ``thompson``: for ``ThompsonSampling``, which has no value to maximise: each point is the
  minimiser of one joint posterior draw of f over ``num_candidates`` shifted-Sobol candidates
  (Thompson 1933; Kandasamy et al. 2018 for batches). Draws are joint (one Cholesky of the
  candidate covariance), not marginal: independent marginals would pick noise.

This is BoTorch's split of ``AcquisitionFunction`` (values) from ``optimize_acqf`` and its
samplers (points).
"""

import jax
import jax.numpy as jnp

from .acquisition.base import Acquisition, Context
from .acquisition.thompson import ThompsonSampling
from .optimize_acqf import optimize_acqf, shifted_sobol


def maximize(key: jax.Array, acquisition: Acquisition, posterior, ctx: Context, q: int, dim: int, **options):
    """``[q, dim]`` points maximising ``acquisition`` jointly; ``options`` go to ``optimize_acqf``."""
    options = {"around": ctx.X_best, **options}
    U, _ = optimize_acqf(lambda U: acquisition(posterior, U, ctx), key, q, dim, **options)
    return U


def thompson(key: jax.Array, acquisition: ThompsonSampling, posterior, ctx: Context, q: int, dim: int, **options):
    """``[q, dim]``: the argmins of ``q`` joint posterior draws on the candidate set (module docstring)."""
    k_cand, k_draw = jax.random.split(key)
    candidates = shifted_sobol(k_cand, acquisition.num_candidates, dim)  # [N, dim]
    F = posterior.sample(k_draw, candidates, q)  # [q, N]
    return candidates[jnp.argmin(F, axis=1)]


def propose(key: jax.Array, acquisition: Acquisition, posterior, ctx: Context, q: int, dim: int, **options):
    """``q`` new points ``[q, dim]`` for ``acquisition`` by its generator (module docstring)."""
    generator = thompson if isinstance(acquisition, ThompsonSampling) else maximize
    return generator(key, acquisition, posterior, ctx, q, dim, **options)
