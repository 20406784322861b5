"""Reversible jump inside SMC: the add/drop MHG kernel as the mutation kernel of tempered
SMC on the p = 8 variable-selection problem, whose evidence is known exactly by
enumerating all 256 models (DESIGN.md §7)."""

import jax
import jax.numpy as jnp
import numpy as np

import inference
from inference import kernels

from .test_moves import add_drop_move, exact_model_posterior, model_frequencies, regression_data, regression_model


def test_smc_with_reversible_jump_mutation_estimates_the_evidence_over_all_models():
    x, y = regression_data()
    _, exact, log_z = exact_model_posterior(x, y)
    program = inference.Program(regression_model, jnp.asarray(x), jnp.asarray(y))
    kernel = kernels.cycle(kernels.mhg(add_drop_move(x, y)), kernels.hmc(step_size=0.05, num_steps=8, sites=["beta"]))
    log_evidence, gammas = [], []
    for seed in range(3):
        result = inference.smc(jax.random.PRNGKey(seed), program, num_particles=5000, kernel=kernel, num_mcmc_steps=10)
        log_evidence.append(result.log_evidence)
        gammas.append(np.asarray(result.samples["gamma"]))
    error = float(np.mean(log_evidence) - log_z)
    # Measured over 8 seeds: one run's log Z has sd 0.037 and no visible bias (mean error
    # +0.002), so the mean of 3 runs has sd ~0.021 and 0.1 (the bound) is ~4.7 sd.
    assert abs(error) < 0.1, f"log Z {np.mean(log_evidence):.3f} vs exact {log_z:.3f}"
    # The particles' model frequencies (15000 resampled draws; measured TV 0.004-0.018 per run).
    tv = 0.5 * np.abs(model_frequencies(np.concatenate(gammas)) - exact).sum()
    assert tv < 0.04, f"total variation {tv:.4f}"
