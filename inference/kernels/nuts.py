"""The No-U-Turn Sampler (Hoffman & Gelman 2014) with multinomial trajectory sampling
(Betancourt 2017), on a diagonal mass matrix.

The trajectory doubling is NumPyro's iterative ``build_tree`` (numpyro.infer.hmc_util),
reused rather than re-derived; this module adapts it to the kernel interface, to
pytree positions and to site restrictions.
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from numpyro.infer.hmc_util import IntegratorState, build_tree, euclidean_kinetic_energy, velocity_verlet

from .._pytree import pytree_dataclass
from .base import GradientState, inverse_mass_or_ones, site_view
from .hmc import HMC, HMCInfo
from .tunable import Tunable


@pytree_dataclass(static=("max_tree_depth", "sites", "target_accept"))
class NUTS(Tunable):
    step_size: float = 0.1
    inverse_mass: jax.Array | None = None
    max_tree_depth: int = 10
    sites: tuple[str, ...] | None = None
    target_accept: float = 0.8

    def tuning_proxy(self):
        return HMC(self.step_size, self.inverse_mass, 1, None, 1, self.sites, self.target_accept)

    def step(self, key, state: GradientState, logdensity_fn):
        view = site_view(state.position, logdensity_fn, self.sites, "nuts")
        k_mom, k_tree = jax.random.split(key)
        minv = inverse_mass_or_ones(self.inverse_mass, view.q)
        p = jax.random.normal(k_mom, view.q.shape, view.q.dtype) / jnp.sqrt(minv)

        def potential(q):
            return -view.log_density(q)

        _, update = velocity_verlet(potential, euclidean_kinetic_energy)
        start = IntegratorState(view.q, p, -state.log_density, -state.grad)
        tree = build_tree(
            update,
            euclidean_kinetic_energy,
            start,
            minv,
            self.step_size,
            k_tree,
            max_tree_depth=self.max_tree_depth,
        )
        accepted = jnp.any(tree.z_proposal != view.q)
        new = GradientState(view.to_position(tree.z_proposal), -tree.z_proposal_pe, -tree.z_proposal_grad)
        info = HMCInfo(
            tree.sum_accept_probs / jnp.maximum(tree.num_proposals, 1),
            accepted,
            tree.diverging,
            tree.z_proposal_energy,
            tree.num_proposals,
        )
        return new, info


def nuts(
    step_size: float = 0.1,
    inverse_mass: jax.Array | None = None,
    max_tree_depth: int = 10,
    sites: Sequence[str] | None = None,
    target_accept: float = 0.8,
) -> NUTS:
    """NUTS kernel; ``inverse_mass: [dim_sites]`` is the diagonal inverse mass."""
    if max_tree_depth < 1:
        raise ValueError(f"max_tree_depth must be >= 1, got {max_tree_depth}")
    return NUTS(step_size, inverse_mass, max_tree_depth, None if sites is None else tuple(sites), target_accept)
