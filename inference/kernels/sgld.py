"""Stochastic gradient Langevin dynamics (Welling & Teh 2011, eq. 4).

    θ ← θ + ½ ε ∇ log π̂(θ) + η,    η ~ N(0, ε I),

where ∇ log π̂ is an unbiased estimate of the gradient of the log density on a minibatch
(``inference.minibatch``; the full gradient for an ordinary ``logdensity_fn``). There is
no Metropolis–Hastings correction: every step is taken, and for a fixed ε the chain
targets π only up to an O(ε) discretisation bias (for a Gaussian with precision P the
stationary covariance is ``(P − ε P² / 4)⁻¹``), plus the extra spread of the minibatch
gradient noise, whose variance (ε/2)² V_g is O(ε) relative to the injected ε.

``step_size`` is Welling & Teh's ε — the variance of the injected noise, i.e. MALA's ε².
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .._pytree import pytree_dataclass
from ..minibatch import stochastic_log_density
from .base import GradientState, Info, site_view


@pytree_dataclass(static=("sites",))
class SGLD:
    step_size: float = 1e-3
    sites: tuple[str, ...] | None = None

    def init(self, position, logdensity_fn) -> GradientState:
        """The state at ``position``; a ``MinibatchLogDensity`` is evaluated once on all the data
        (``init`` has no key to draw a minibatch with)."""
        view = site_view(position, logdensity_fn, self.sites, "sgld")
        log_density, grad = jax.value_and_grad(view.log_density)(view.q)
        return GradientState(position, log_density, grad)

    def from_position(self, position, log_density, logdensity_fn) -> GradientState:
        return self.init(position, logdensity_fn)

    def step(self, key, state: GradientState, logdensity_fn, adapt=False):
        """One SGLD step from ``state`` (whose ``grad`` [dim_sites] is the stochastic gradient
        at its position). ``state.log_density`` of the new state is the minibatch estimate.
        ``adapt`` is accepted for ``run_sgmcmc`` and ignored: SGLD has nothing to adapt."""
        k_batch, k_noise = jax.random.split(key)
        view = site_view(state.position, stochastic_log_density(k_batch, logdensity_fn), self.sites, "sgld")
        noise = jax.random.normal(k_noise, view.q.shape, view.q.dtype)
        q_new = view.q + 0.5 * self.step_size * state.grad + jnp.sqrt(self.step_size) * noise
        log_density, grad = jax.value_and_grad(view.log_density)(q_new)
        new = GradientState(view.to_position(q_new), log_density, grad)
        return new, Info(jnp.ones((), view.q.dtype), jnp.ones((), bool))


def sgld(step_size: float = 1e-3, sites: Sequence[str] | None = None) -> SGLD:
    """SGLD kernel; ``step_size`` is the variance ε of the injected noise (the drift is ε/2 ∇ log π̂)."""
    _check_positive(step_size, "step_size")
    return SGLD(step_size, None if sites is None else tuple(sites))


def _check_positive(value, name: str) -> None:
    """``ValueError`` for a concrete number ``<= 0`` (a traced value, under ``jit``, passes unchecked)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if isinstance(value, int | float | np.number) and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
