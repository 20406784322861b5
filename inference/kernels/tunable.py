"""What the continuous kernels (rwmh, mala, hmc, nuts) share: a step size and a
diagonal inverse mass that warmup (``inference.mcmc``) or the particle
population (``inference.mutate``) can tune."""

from typing import ClassVar

import jax
import jax.numpy as jnp

from .._pytree import replace
from .base import GradientState, State, site_view


def _no_density(position):
    return jnp.zeros(())


class Tunable:
    """Mixin; subclasses are pytree dataclasses with fields ``step_size``,
    ``inverse_mass`` (``[dim_sites]`` or ``None``), ``sites`` and ``target_accept``."""

    uses_gradient = True
    # A scale-free starting step size, ``coefficient · dim**exponent`` (optimal-scaling rates:
    # HMC/NUTS d^(-1/4), Beskos et al. 2013); MALA and RWMH declare their own.
    step_size_scaling: ClassVar[tuple[float, float]] = (0.5, -0.25)

    def flat_position(self, position) -> jax.Array:
        """The flat vector ``[dim_sites]`` this kernel moves (for mass-matrix estimates)."""
        return site_view(position, _no_density, self.sites, type(self).__name__).q

    def tuned(self, step_size=None, inverse_mass=None):
        """A copy with a new step size and/or diagonal inverse mass."""
        changes = {}
        if step_size is not None:
            changes["step_size"] = step_size
        if inverse_mass is not None:
            changes["inverse_mass"] = inverse_mass
        return replace(self, **changes)

    def tuning_proxy(self):
        """A cheap kernel whose acceptance responds to ``step_size`` like this one's
        (used to find a reasonable initial step size)."""
        return self

    def init(self, position, logdensity_fn):
        view = site_view(position, logdensity_fn, self.sites, type(self).__name__)
        if not self.uses_gradient:
            return State(position, view.log_density(view.q))
        log_density, grad = jax.value_and_grad(view.log_density)(view.q)
        return GradientState(position, log_density, grad)

    def from_position(self, position, log_density, logdensity_fn):
        """A state for ``position`` whose log density is already known (combinators)."""
        if not self.uses_gradient:
            return State(position, log_density)
        return self.init(position, logdensity_fn)
