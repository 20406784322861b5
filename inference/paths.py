"""Paths: sequences of targets from the prior to the posterior (monad-bayes ``Sequential``).

A path indexes its targets by a *level* in [0, 1]:

    log π_level(z) = log_prior(z) + partial_log_likelihood(z, level)      (``path.log_target``),

with level 0 the prior (from which ``Program.sample_prior`` draws exactly) and
level 1 the posterior. ``reweight`` moves a population from one level to the next
by the incremental weight ``partial(z, new) − partial(z, old)``.

* ``AdaptiveTempering`` — ``partial = β · log p(y|z)``, the next β found by
  bisection so that the conditional ESS (Zhou, Johansen & Aston 2016) of the
  incremental weights — or the plain ESS of the new weights — hits a target
  fraction of N. The conditional ESS is the default: it is 1 at β' = β whatever
  the current weights, so every step makes real progress, and resampling is left
  to ``ess_threshold``. (Targeting the plain ESS with the same value as the
  resampling threshold stalls: the weights land just above the threshold, are not
  resampled, and the next step can barely move.)
* ``FixedTempering`` — a given increasing schedule of β ending at 1.
* ``DataAnnealing`` — ``partial`` sums the pointwise log-likelihood of the first
  ``level`` fraction of every observed site's leading axis, in ``num_batches``
  steps (Chopin 2002).
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from ._pytree import pytree_dataclass
from .particles import Particles, normalize


def _ess_fraction(log_weights, increments, criterion):
    """ESS/N (or conditional ESS/N) after multiplying the weights by exp(increments)."""
    n = log_weights.shape[0]
    if criterion == "cess":
        w = jax.nn.log_softmax(log_weights)
        return jnp.exp(2 * logsumexp(w + increments) - logsumexp(w + 2 * increments))
    new = log_weights + increments
    return jnp.exp(2 * logsumexp(new) - logsumexp(2 * new)) / n


class _Tempering:
    """Targets ``log_prior + β · log_likelihood``; the per-particle log-likelihood is the cache."""

    def cache(self, program, position):
        return jax.vmap(program.log_likelihood)(position)

    def partial_log_likelihood(self, program, z, level):
        return level * program.log_likelihood(z)

    def log_target(self, program, z, level):
        log_prior, log_lik = program.log_prior_and_likelihood(z)
        return log_prior + level * log_lik

    def increment(self, program, position, cache, level, new_level):
        return jnp.where(new_level > level, (new_level - level) * cache, 0.0)


@pytree_dataclass(static=("criterion", "max_steps", "bisection_steps"))
class AdaptiveTempering(_Tempering):
    """Adaptive tempering: each step picks β' so that ESS (``criterion="ess"``) or
    conditional ESS (``"cess"``) of the new weights equals ``target`` × N."""

    target: float = 0.5
    criterion: str = "cess"
    max_steps: int = 500
    bisection_steps: int = 50

    def next_level(self, particles: Particles, cache, level, step):
        log_lik = jnp.where(jnp.isnan(cache), -jnp.inf, cache)

        def fraction(beta):
            increments = jnp.where(beta > level, (beta - level) * log_lik, 0.0)
            increments = jnp.where(jnp.isneginf(log_lik) & (beta == level), 0.0, increments)
            return _ess_fraction(particles.log_weights, increments, self.criterion)

        def body(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            ok = fraction(mid) >= self.target
            return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)

        lo, _ = jax.lax.fori_loop(0, self.bisection_steps, body, (level, jnp.ones_like(level)))
        # Jump to 1 when the whole way keeps the ESS high enough. If even the smallest step
        # collapses it (a likelihood that is -inf almost everywhere), still move by a small but
        # representable amount (not nextafter: CPUs flush denormals to zero) so that reweighting
        # exposes the collapse instead of looping in place.
        nxt = jnp.where(fraction(1.0) >= self.target, 1.0, jnp.maximum(lo, level + 1e-6 * (1.0 - level)))
        return jnp.minimum(nxt, 1.0)


@pytree_dataclass(static=("max_steps",))
class FixedTempering(_Tempering):
    """Tempering along a given schedule ``β_1 < … < β_K = 1`` (``schedule: [K]``)."""

    schedule: jax.Array
    max_steps: int = 0

    def next_level(self, particles, cache, level, step):
        return self.schedule[jnp.minimum(step, self.schedule.shape[0] - 1)]


def _annealed_log_likelihood(program, z, fraction):
    total = jnp.zeros(())
    for values in program.pointwise_log_likelihood(z).values():
        values = jnp.atleast_1d(values)
        n = values.shape[0]
        keep = jnp.arange(n) < jnp.round(fraction * n)
        mask = keep.reshape((n,) + (1,) * (values.ndim - 1))
        total = total + jnp.sum(jnp.where(mask, values, 0.0))
    return total


@pytree_dataclass(static=("num_batches",))
class DataAnnealing:
    """Add the observations in ``num_batches`` batches along each observed site's
    leading axis; step k targets the posterior given the first k/num_batches of the data."""

    num_batches: int

    @property
    def max_steps(self):
        return self.num_batches

    def cache(self, program, position):
        return jnp.zeros(jax.tree.leaves(position)[0].shape[0])

    def partial_log_likelihood(self, program, z, level):
        return _annealed_log_likelihood(program, z, level)

    def log_target(self, program, z, level):
        return program.log_prior(z) + _annealed_log_likelihood(program, z, level)

    def next_level(self, particles, cache, level, step):
        return jnp.minimum((step + 1.0) / self.num_batches, 1.0)

    def increment(self, program, position, cache, level, new_level):
        def one(z):
            return _annealed_log_likelihood(program, z, new_level) - _annealed_log_likelihood(program, z, level)

        return jax.vmap(one)(position)


def make_path(path, num_particles: int, ess_threshold: float = 0.5):
    """A path object from a name (``"adaptive_tempering"``, ``"tempering"``) or an object.

    ``AdaptiveTempering(criterion="ess")`` needs ``target < ess_threshold``: the ESS of the
    weights is never raised again without resampling, so once a step leaves it at
    ``target`` × N without resampling, no later step can keep it there and every one after
    it creeps forward by the minimum increment until ``max_steps``.
    """
    if path in ("adaptive_tempering", "tempering"):
        return AdaptiveTempering()
    if isinstance(path, AdaptiveTempering) and path.criterion == "ess" and not path.target < ess_threshold:
        raise ValueError(
            f"adaptive_tempering(target_ess={path.target}, criterion='ess') needs target_ess < ess_threshold "
            f"(got ess_threshold={ess_threshold}): without resampling the ESS cannot return to the target and "
            "SMC would stall; use criterion='cess' (the default) or a larger ess_threshold"
        )
    if isinstance(path, AdaptiveTempering | FixedTempering | DataAnnealing):
        return path
    raise ValueError(
        "path must be 'adaptive_tempering' or an AdaptiveTempering / FixedTempering / DataAnnealing "
        f"object, got {path!r}"
    )


def fixed_tempering(schedule) -> FixedTempering:
    """A ``FixedTempering`` path; ``schedule`` is increasing, in (0, 1], ending at 1."""
    schedule = jnp.asarray(schedule, dtype=float)
    if schedule.ndim != 1 or schedule.size == 0:
        raise ValueError("schedule must be a non-empty 1-D array of temperatures")
    if not (bool(jnp.all(jnp.diff(schedule) > 0)) and float(schedule[0]) > 0 and math.isclose(schedule[-1], 1.0)):
        raise ValueError(f"schedule must increase strictly from above 0 to exactly 1, got {schedule.tolist()}")
    return FixedTempering(schedule, int(schedule.size))


def data_annealing(num_batches: int) -> DataAnnealing:
    """A ``DataAnnealing`` path over ``num_batches`` batches of observations."""
    if not isinstance(num_batches, int) or num_batches < 1:
        raise ValueError(f"num_batches must be a positive integer, got {num_batches!r}")
    return DataAnnealing(num_batches)


def adaptive_tempering(target_ess: float = 0.5, criterion: str = "cess", max_steps: int = 500) -> AdaptiveTempering:
    """An ``AdaptiveTempering`` path aiming at ``target_ess`` × N (``criterion`` ``"ess"`` or ``"cess"``)."""
    if not 0.0 < target_ess < 1.0:
        raise ValueError(f"target_ess must be in (0, 1), got {target_ess}")
    if criterion not in ("ess", "cess"):
        raise ValueError(f"criterion must be 'ess' or 'cess', got {criterion!r}")
    return AdaptiveTempering(target_ess, criterion, max_steps)


def reweight(particles: Particles, path, program, level, new_level, cache=None) -> Particles:
    """Move ``particles`` from ``level`` to ``new_level`` of ``path``: multiply the weights
    by the incremental target ratio, then renormalise (evidence kept in ``log_evidence``)."""
    if cache is None:
        cache = path.cache(program, particles.position)
    increments = path.increment(program, particles.position, cache, level, new_level)
    increments = jnp.where(jnp.isnan(increments), -jnp.inf, increments)
    return normalize(Particles(particles.position, particles.log_weights + increments, particles.log_evidence))
