"""Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996), preconditioned by a
diagonal inverse mass M⁻¹.

Proposal ``q' ~ N(q + ½ε² M⁻¹ ∇log π(q), ε² M⁻¹)``; the acceptance ratio includes
the forward and reverse proposal densities. Warmup tunes ε towards an acceptance
rate of 0.574 (Roberts & Rosenthal 1998).
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass
from .base import GradientState, Info, inverse_mass_or_ones, metropolis_accept, select, site_view
from .tunable import Tunable


@pytree_dataclass(static=("sites", "target_accept"))
class MALA(Tunable):
    step_size: float = 0.1
    inverse_mass: jax.Array | None = None
    sites: tuple[str, ...] | None = None
    target_accept: float = 0.574

    step_size_scaling = (1.0, -1 / 3)  # Roberts & Rosenthal (1998): d^(-1/3)

    def step(self, key, state: GradientState, logdensity_fn):
        view = site_view(state.position, logdensity_fn, self.sites, "mala")
        k_prop, k_acc = jax.random.split(key)
        eps = self.step_size
        minv = inverse_mass_or_ones(self.inverse_mass, view.q)

        def mean(q, grad):
            return q + 0.5 * eps**2 * minv * grad

        def log_q(to, frm, grad):  # log N(to; mean(frm), ε² M⁻¹) up to a constant that cancels
            return -0.5 * jnp.sum((to - mean(frm, grad)) ** 2 / (eps**2 * minv))

        noise = jax.random.normal(k_prop, view.q.shape, view.q.dtype)
        q_new = mean(view.q, state.grad) + eps * jnp.sqrt(minv) * noise
        log_density_new, grad_new = jax.value_and_grad(view.log_density)(q_new)
        log_ratio = (
            log_density_new - state.log_density + log_q(view.q, q_new, grad_new) - log_q(q_new, view.q, state.grad)
        )
        acceptance_prob, accepted = metropolis_accept(k_acc, log_ratio)
        new = GradientState(view.to_position(q_new), log_density_new, grad_new)
        return select(accepted, new, state), Info(acceptance_prob, accepted)


def mala(
    step_size: float = 0.1,
    inverse_mass: jax.Array | None = None,
    sites: Sequence[str] | None = None,
    target_accept: float = 0.574,
) -> MALA:
    """MALA kernel; ``inverse_mass: [dim_sites]`` is a diagonal preconditioner."""
    return MALA(step_size, inverse_mass, None if sites is None else tuple(sites), target_accept)
