"""Hamiltonian Monte Carlo with a leapfrog integrator and a diagonal mass matrix
(Duane et al. 1987; Neal 2011, "MCMC using Hamiltonian dynamics", §5.2).

Momentum ``p ~ N(0, M)``, kinetic energy ``½ pᵀ M⁻¹ p``; ``num_steps`` leapfrog
steps of size ε, or — with ``path_length`` — ``ceil(path_length / ε)`` steps, the
fixed-trajectory-length variant used for BNNs (Li, Rudner & Wilson 2024).

``step_size_jitter = j`` draws each transition's step size uniformly from
``ε (1 ± j)`` (Neal 2011, §5.4.2.2; PyMC jitters by ±15%): a fixed trajectory that happens
to be close to a multiple of a Gaussian direction's period barely moves along it, and
random step sizes break that resonance. ``mcmc(kernel="hmc")`` uses ``j = 0.15``.
"""

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass
from .base import GradientState, inverse_mass_or_ones, metropolis_accept, select, site_view
from .tunable import Tunable

DIVERGENCE_THRESHOLD = 1000.0  # energy error treated as a divergence, as in Stan and NumPyro


class HMCInfo(NamedTuple):
    acceptance_prob: jax.Array
    accepted: jax.Array
    diverging: jax.Array
    energy: jax.Array
    num_steps: jax.Array


def leapfrog(log_density_and_grad, q, p, grad, step_size, inverse_mass, num_steps):
    """``num_steps`` velocity-Verlet steps; returns ``(q, p, log_density, grad)`` at the end."""

    def body(_, carry):
        q, p, _, grad = carry
        p = p + 0.5 * step_size * grad
        q = q + step_size * inverse_mass * p
        log_density, grad = log_density_and_grad(q)
        p = p + 0.5 * step_size * grad
        return q, p, log_density, grad

    return jax.lax.fori_loop(0, num_steps, body, (q, p, jnp.zeros((), q.dtype), grad))


@pytree_dataclass(static=("num_steps", "path_length", "max_num_steps", "sites", "target_accept", "step_size_jitter"))
class HMC(Tunable):
    step_size: float = 0.1
    inverse_mass: jax.Array | None = None
    num_steps: int = 10
    path_length: float | None = None
    max_num_steps: int = 1024
    sites: tuple[str, ...] | None = None
    target_accept: float = 0.8
    step_size_jitter: float = 0.0

    def tuning_proxy(self):
        return HMC(self.step_size, self.inverse_mass, 1, None, 1, self.sites, self.target_accept)

    def _num_steps(self, step_size):
        if self.path_length is None:
            return self.num_steps
        steps = jnp.ceil(self.path_length / step_size).astype(jnp.int32)
        return jnp.clip(steps, 1, self.max_num_steps)

    def step(self, key, state: GradientState, logdensity_fn):
        view = site_view(state.position, logdensity_fn, self.sites, "hmc")
        step_size = self.step_size
        if self.step_size_jitter:
            key, k_jitter = jax.random.split(key)
            step_size = step_size * (1.0 + self.step_size_jitter * jax.random.uniform(k_jitter, minval=-1, maxval=1))
        k_mom, k_acc = jax.random.split(key)
        minv = inverse_mass_or_ones(self.inverse_mass, view.q)
        # Momenta are drawn in float32 and widened: threefry spends 64 random bits per float64
        # normal, which on CPU costs more than a BNN's gradient; float32 normals are three
        # times cheaper, and their coarser grid (and a tail cut at ~5.4 sd instead of ~8.3)
        # is far below anything a trajectory resolves.
        p = jax.random.normal(k_mom, view.q.shape, jnp.float32).astype(view.q.dtype) / jnp.sqrt(minv)
        num_steps = self._num_steps(step_size)
        q_new, p_new, log_density_new, grad_new = leapfrog(
            jax.value_and_grad(view.log_density), view.q, p, state.grad, step_size, minv, num_steps
        )
        energy_old = -state.log_density + 0.5 * jnp.sum(minv * p**2)
        energy_new = -log_density_new + 0.5 * jnp.sum(minv * p_new**2)
        energy_new = jnp.where(jnp.isnan(energy_new), jnp.inf, energy_new)
        acceptance_prob, accepted = metropolis_accept(k_acc, energy_old - energy_new)
        new = GradientState(view.to_position(q_new), log_density_new, grad_new)
        state = select(accepted, new, state)
        info = HMCInfo(
            acceptance_prob,
            accepted,
            energy_new - energy_old > DIVERGENCE_THRESHOLD,
            jnp.where(accepted, energy_new, energy_old),
            jnp.asarray(num_steps),
        )
        return state, info


def hmc(
    step_size: float = 0.1,
    inverse_mass: jax.Array | None = None,
    num_steps: int = 10,
    path_length: float | None = None,
    max_num_steps: int = 1024,
    sites: Sequence[str] | None = None,
    target_accept: float = 0.8,
    step_size_jitter: float = 0.0,
) -> HMC:
    """HMC kernel. Give ``num_steps`` leapfrog steps, or a ``path_length`` (then
    ``ceil(path_length / step_size)`` steps, at most ``max_num_steps``).
    ``step_size_jitter`` in ``[0, 1)`` randomises the step size by that fraction."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if path_length is not None and path_length <= 0:
        raise ValueError(f"path_length must be > 0, got {path_length}")
    if not 0.0 <= step_size_jitter < 1.0:
        raise ValueError(f"step_size_jitter must be in [0, 1), got {step_size_jitter}")
    sites = None if sites is None else tuple(sites)
    return HMC(
        step_size, inverse_mass, num_steps, path_length, max_num_steps, sites, target_accept, float(step_size_jitter)
    )
