"""Warmup adaptation: dual-averaging step size and windowed diagonal mass matrix.

* Step size: Nesterov dual averaging as in Hoffman & Gelman (2014, §3.2), with
  their constants γ = 0.05, t₀ = 10, κ = 0.75 and μ = log(10 ε₀).
* Mass matrix: Stan's windowed scheme (Stan Reference Manual, "HMC algorithm
  parameters"): a fast initial buffer, slow windows that double in length, a
  terminal buffer; at the end of each slow window the diagonal inverse mass is set
  to the regularised sample variance and the step size search restarts.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .kernels.base import GradientState


class DualAveragingState(NamedTuple):
    log_step: jax.Array
    log_step_avg: jax.Array
    h_bar: jax.Array
    mu: jax.Array
    count: jax.Array


def dual_averaging_init(step_size) -> DualAveragingState:
    log_step = jnp.log(step_size)
    zero = jnp.zeros_like(log_step)
    return DualAveragingState(log_step, zero, zero, jnp.log(10.0) + log_step, zero)


def dual_averaging_update(
    state: DualAveragingState, acceptance_prob, target, gamma=0.05, t0=10.0, kappa=0.75
) -> DualAveragingState:
    """One update towards mean acceptance ``target`` (Hoffman & Gelman 2014, eq. 6)."""
    acceptance_prob = jnp.where(jnp.isnan(acceptance_prob), 0.0, acceptance_prob)
    count = state.count + 1
    weight = 1.0 / (count + t0)
    h_bar = (1 - weight) * state.h_bar + weight * (target - acceptance_prob)
    log_step = state.mu - jnp.sqrt(count) / gamma * h_bar
    eta = count ** (-kappa)
    log_step_avg = eta * log_step + (1 - eta) * state.log_step_avg
    return DualAveragingState(log_step, log_step_avg, h_bar, state.mu, count)


class WelfordState(NamedTuple):
    mean: jax.Array
    m2: jax.Array
    count: jax.Array


def welford_init(dim: int, dtype=float) -> WelfordState:
    return WelfordState(jnp.zeros(dim, dtype), jnp.zeros(dim, dtype), jnp.zeros((), dtype))


def welford_update(state: WelfordState, x: jax.Array) -> WelfordState:
    count = state.count + 1
    delta = x - state.mean
    mean = state.mean + delta / count
    return WelfordState(mean, state.m2 + delta * (x - mean), count)


def welford_variance(state: WelfordState) -> jax.Array:
    """Sample variance shrunk towards 1e-3 as Stan does: ``n/(n+5) var + 1e-3 · 5/(n+5)``."""
    n = state.count
    var = state.m2 / jnp.maximum(n - 1, 1)
    return (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0))


def window_schedule(num_warmup: int, init_buffer=75, term_buffer=50, base_window=25):
    """Stan's warmup windows as two boolean arrays of length ``num_warmup``:
    ``in_slow_window`` (collect samples for the mass matrix) and ``window_end``
    (update the mass matrix after this step)."""
    in_slow = np.zeros(num_warmup, bool)
    end = np.zeros(num_warmup, bool)
    if num_warmup < 20:
        return in_slow, end
    if init_buffer + base_window + term_buffer > num_warmup:
        init_buffer = int(0.15 * num_warmup)
        term_buffer = int(0.1 * num_warmup)
        base_window = num_warmup - init_buffer - term_buffer
    start, size, stop = init_buffer, base_window, num_warmup - term_buffer
    while start < stop:
        last = start + size
        if last + 2 * size > stop:  # the next window would not fit: stretch this one
            last = stop
        in_slow[start:last] = True
        end[last - 1] = True
        start, size = last, 2 * size
    return in_slow, end


def find_reasonable_step_size(key, kernel, state, logdensity_fn, num_probes: int = 8, max_doublings: int = 40):
    """Double or halve the step size until the mean acceptance of a cheap proxy
    kernel (one leapfrog step for HMC/NUTS) crosses the kernel's target.

    Averaging over ``num_probes`` proposals keeps the search from chasing noise.
    The first pass of the loop only measures the starting step size and picks the
    direction, so the proxy step is traced (and compiled) once.

    The probes run one after another (a ``fori_loop``), not as a ``vmap``: a batch
    axis here would batch the user's linear algebra a second time inside the chains'
    own ``vmap``, and jaxlib's CPU LAPACK kernels deadlock on such batches
    (``surrogates/linalg.py``): ``mcmc`` on a log density with a Cholesky froze in 5 of
    7 runs (issue #20). One probe's step is also a smaller program to compile.
    """
    proxy = kernel.tuning_proxy()
    target = kernel.target_accept
    keys = jax.random.split(key, num_probes)
    # The kernel's own state serves the proxy when it already carries the gradient (HMC/NUTS):
    # ``from_position`` would evaluate it again, one more inlined copy of the user's log density
    # and its gradient for XLA to compile (issue #20: first-call compile time). This is safe here,
    # not in ``from_position`` generally: a proxy has its kernel's sites, so the gradient is of
    # the same site view; a combinator's hand-over between kernels on other sites is not.
    if isinstance(state, GradientState):
        proxy_state = state
    else:
        proxy_state = proxy.from_position(state.position, state.log_density, logdensity_fn)

    def mean_acceptance(step_size):
        tuned = proxy.tuned(step_size=step_size)

        def probe(i, total):
            _, info = tuned.step(keys[i], proxy_state, logdensity_fn)
            # A diverging probe (NaN) counts as a rejection, so the search turns back.
            return total + jnp.nan_to_num(info.acceptance_prob, nan=0.0)

        zero = jnp.zeros((), dtype=jnp.result_type(float))
        return jax.lax.fori_loop(0, num_probes, probe, zero) / num_probes

    step0 = jnp.asarray(kernel.step_size, dtype=float)

    def cond(carry):
        _, _, i, done = carry
        return (~done) & (i <= max_doublings)

    def body(carry):
        step, direction, i, _ = carry  # direction 0: not chosen yet (first pass)
        candidate = step * 2.0**direction
        accept = mean_acceptance(candidate)
        first = direction == 0
        crossed = ~first & jnp.where(direction > 0, accept < target, accept > target)
        direction = jnp.where(first, jnp.where(accept > target, 1.0, -1.0), direction)
        # Going up, keep the last size that was still accepted often enough.
        step = jnp.where(crossed & (direction > 0), step, candidate)
        return step, direction, i + 1, crossed

    step, _, _, _ = jax.lax.while_loop(cond, body, (step0, jnp.zeros_like(step0), 0, jnp.asarray(False)))
    return step
