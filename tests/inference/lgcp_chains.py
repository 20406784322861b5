"""Run by ``test_mcmc_freeze.py`` in a subprocess: default ``mcmc`` (4 vectorized chains,
default warmup) on inference-gym's SyntheticLogGaussianCoxProcess, whose float32 log
density does a Cholesky and triangular solves of a 100×100 covariance; ``repeats`` runs in
one process, a line printed after each.

    python lgcp_chains.py REPEATS [NUM_SAMPLES]
"""

import sys
import time
import warnings

import jax
import jax.numpy as jnp
from inference_gym import using_jax as gym

import inference


def log_density_and_dim():
    """The target's density on the unconstrained scale (its default bijector, with the Jacobian)."""
    target = gym.targets.VectorModel(gym.targets.SyntheticLogGaussianCoxProcess(), flatten_sample_transformations=True)
    bijector = target.default_event_space_bijector

    def log_density(z):
        return target.unnormalized_log_prob(bijector(z)) + bijector.forward_log_det_jacobian(z, event_ndims=1)

    return log_density, int(target.event_shape[0])


def main(repeats: int, num_samples: int = 1000) -> None:
    log_density, dim = log_density_and_dim()
    for seed in range(repeats):
        began = time.perf_counter()
        start = jnp.zeros(dim, jnp.float32)
        inference.mcmc(jax.random.PRNGKey(seed), log_density, num_samples=num_samples, init_position=start)
        print(f"run {seed} finished in {time.perf_counter() - began:.1f} s", flush=True)


if __name__ == "__main__":
    warnings.filterwarnings("ignore")  # tfp's float64 -> float32 notices
    main(*(int(a) for a in sys.argv[1:3]))
