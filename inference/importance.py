"""Importance sampling with the prior as proposal: weights are likelihoods, and the
mean weight estimates the evidence without bias."""

import time

import jax
import numpy as np

from .particles import ess, normalize, spawn
from .program import Program
from .smc_result import SMCResult, check_population, equal_weight_samples
from .validation import check_positive_int


def importance(key: jax.Array, program: Program, num_particles: int) -> SMCResult:
    """Draw ``num_particles`` from the prior, weight by ``exp(log_likelihood)``.

    Returns an ``SMCResult`` (one step, ``history['level'] == [1]``)."""
    num_particles = check_positive_int(num_particles, "num_particles")
    if not isinstance(program, Program):
        raise TypeError(f"program must be an inference.Program, got {type(program).__name__}")
    k_prior, k_samples = jax.random.split(key)
    t0 = time.perf_counter()

    @jax.jit
    def run(key):
        particles = spawn(program.sample_prior(key, num_particles))
        log_lik = jax.vmap(program.log_likelihood)(particles.position)
        return normalize(particles._replace(log_weights=log_lik))

    particles = jax.block_until_ready(run(k_prior))
    history = {"ess": np.asarray([float(ess(particles))]), "level": np.ones(1)}
    check_population(particles, history, 1, True)
    samples = equal_weight_samples(k_samples, program, particles)
    timings = {"run": time.perf_counter() - t0}
    return SMCResult(particles, float(particles.total_log_evidence), samples, history, program, timings)
