"""Random-walk Metropolis (Metropolis et al. 1953) with a diagonal Gaussian proposal.

Proposal: ``q' = q + step_size * sqrt(inverse_mass) * ξ``, ξ ~ N(0, I); symmetric,
so the acceptance ratio is ``π(q')/π(q)``. Warmup tunes ``step_size`` towards an
acceptance rate of 0.234 (Roberts, Gelman & Gilks 1997) and ``inverse_mass``
to the posterior variances.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass
from .base import Info, State, inverse_mass_or_ones, metropolis_accept, select, site_view
from .tunable import Tunable


@pytree_dataclass(static=("sites", "target_accept"))
class RWMH(Tunable):
    step_size: float = 1.0
    inverse_mass: jax.Array | None = None
    sites: tuple[str, ...] | None = None
    target_accept: float = 0.234

    uses_gradient = False
    step_size_scaling = (2.38, -0.5)  # Roberts, Gelman & Gilks (1997): 2.38/√d

    def step(self, key, state: State, logdensity_fn):
        view = site_view(state.position, logdensity_fn, self.sites, "rwmh")
        k_prop, k_acc = jax.random.split(key)
        scale = self.step_size * jnp.sqrt(inverse_mass_or_ones(self.inverse_mass, view.q))
        q_new = view.q + scale * jax.random.normal(k_prop, view.q.shape, view.q.dtype)
        log_density_new = view.log_density(q_new)
        acceptance_prob, accepted = metropolis_accept(k_acc, log_density_new - state.log_density)
        new = State(view.to_position(q_new), log_density_new)
        return select(accepted, new, state), Info(acceptance_prob, accepted)


def rwmh(
    step_size: float = 1.0,
    inverse_mass: jax.Array | None = None,
    sites: Sequence[str] | None = None,
    target_accept: float = 0.234,
) -> RWMH:
    """Random-walk Metropolis kernel. ``inverse_mass: [dim_sites]`` is the diagonal
    proposal covariance (before scaling by ``step_size**2``); ``sites`` restricts it to
    some sites of a dict position."""
    return RWMH(step_size, inverse_mass, None if sites is None else tuple(sites), target_accept)
