"""Resampling schemes (Douc, Cappé & Moulines 2005; Chopin & Papaspiliopoulos 2020, ch. 9).

Every scheme draws ancestor indices with E[#copies of i] = N·Wᵢ; afterwards every
particle carries the mean weight, so the total weight — the evidence estimate —
is unchanged. This is what lets PMMH and SMC² build on particle estimates
without bias (monad-bayes: ``resample`` preserves the population's total mass).
"""

import jax
import jax.numpy as jnp

from .particles import Particles, log_mean_exp

SCHEMES = ("multinomial", "systematic", "stratified", "residual")


def _inverse_cdf(weights: jax.Array, uniforms: jax.Array) -> jax.Array:
    cdf = jnp.cumsum(weights)
    return jnp.clip(jnp.searchsorted(cdf, uniforms * cdf[-1], side="right"), 0, weights.shape[0] - 1)


def multinomial_indices(key, weights, num):
    return _inverse_cdf(weights, jax.random.uniform(key, (num,)))


def systematic_indices(key, weights, num):
    return _inverse_cdf(weights, (jax.random.uniform(key) + jnp.arange(num)) / num)


def stratified_indices(key, weights, num):
    return _inverse_cdf(weights, (jax.random.uniform(key, (num,)) + jnp.arange(num)) / num)


def residual_indices(key, weights, num):
    """floor(N·Wᵢ) deterministic copies, the remaining slots multinomial on the residuals."""
    scaled = num * weights / jnp.sum(weights)
    counts = jnp.floor(scaled).astype(jnp.int32)
    num_fixed = jnp.sum(counts)
    fixed = jnp.repeat(jnp.arange(weights.shape[0]), counts, total_repeat_length=num)
    residual = jnp.maximum(scaled - counts, 0.0)
    # If the weights are all integers times 1/N there is no residual mass; any index will do.
    residual = jnp.where(jnp.sum(residual) > 0, residual, jnp.ones_like(residual))
    drawn = multinomial_indices(key, residual, num)
    return jnp.where(jnp.arange(num) < num_fixed, fixed, drawn)


_INDEX_FUNCTIONS = {
    "multinomial": multinomial_indices,
    "systematic": systematic_indices,
    "stratified": stratified_indices,
    "residual": residual_indices,
}


def check_scheme(scheme: str) -> str:
    if scheme not in _INDEX_FUNCTIONS:
        raise ValueError(f"resampling scheme must be one of {SCHEMES}, got {scheme!r}")
    return scheme


def resample_indices(key: jax.Array, log_weights: jax.Array, scheme: str = "systematic") -> jax.Array:
    """Ancestor indices ``[N]`` for weights ``exp(log_weights)``."""
    weights = jnp.exp(log_weights - jnp.max(log_weights))
    return _INDEX_FUNCTIONS[check_scheme(scheme)](key, weights, log_weights.shape[0])


def resample(key: jax.Array, particles: Particles, scheme: str = "systematic") -> Particles:
    """Resample ``particles``; every new particle gets the mean weight (total unchanged)."""
    idx = resample_indices(key, particles.log_weights, scheme)
    position = jax.tree.map(lambda leaf: leaf[idx], particles.position)
    mean = jnp.full_like(particles.log_weights, log_mean_exp(particles.log_weights))
    return Particles(position, mean, particles.log_evidence)
