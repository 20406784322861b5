"""Stochastic gradient Hamiltonian Monte Carlo (Chen, Fox & Guestrin 2014), plain or with the
scale adaptation of Springenberg, Klein, Falkner & Hutter (2016, §3.2).

Both use the "SGD with momentum" form of SGHMC (Chen et al. 2014, eq. 15): with ``v`` the
displacement per step and ∇ log π̂ an unbiased (minibatch) gradient estimate,

    v ← v + η ∇ log π̂(θ) − α v + N(0, 2 (α − β̂) η),    θ ← θ + v.

* Plain (``adaptive=False``): unit mass, step size ε and friction C give η = ε², α = εC
  (Chen et al.'s eq. 15 substitution with M = I), and the gradient-noise estimate B̂ = 0,
  so the injected noise has variance 2Cε³. No Metropolis–Hastings correction: for a fixed ε
  the chain has an O(ε) discretisation bias, and the minibatch noise inflates the variance
  by a relative ε V_g / (2C) (V_g the variance of the gradient estimate), which B̂ = 0
  leaves uncorrected.
* Adaptive (``adaptive=True``, Springenberg et al. 2016, eqs. 8–10): a diagonal
  preconditioner ``M⁻¹ = V̂^{-1/2}`` from the running mean V̂ of the squared stochastic
  gradient, estimated during burn-in only (``step(..., adapt=True)``; fixed afterwards, so
  the sampling phase is SGHMC with a constant mass); the friction is chosen so that the
  momentum decay is the constant α = ``mdecay``; B̂ = ½ ε V̂. Per coordinate,

      v ← v + ε² M⁻¹ ∇ log π̂ − α v + N(0, 2 α ε² M⁻¹ − ε⁴),

  the noise variance clipped at zero (``SGHMCInfo.noise_clipped`` reports how often: a
  clipped coordinate means ε² > 2α M⁻¹, a step too large for the gradient noise, and the
  chain runs hot there). The averaging window τ adapts as in Schaul, Zhang & LeCun (2013):
  it grows while the gradient is noisy (ḡ² ≪ V̂). The scheme is built for minibatch noise:
  with exact gradients, successive gradients are nearly equal, τ stays near 1 and V̂ follows
  the last few squared gradients, so the frozen preconditioner is a snapshot (still a valid
  constant mass, and the ε⁴ subtracted for gradient noise that is not there cools the chain
  by about ε² / (2α M⁻¹)).

  Here ∇ log π̂ and V̂ are those of the full-data estimate (scaled by N / b, see
  ``inference.minibatch``). Springenberg et al.'s code estimates V̂ from the per-datum
  gradient instead and scales the step to ε² / N; its preconditioner is then N times ours,
  so (ε² / N) M⁻¹_per-datum = ε² M⁻¹ and the two updates are identical.

``step_size`` is ε in both variants; ``momentum`` in the state is ``v`` ``[dim_sites]``.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._pytree import pytree_dataclass
from ..minibatch import stochastic_log_density
from .base import site_view
from .sgld import _check_positive

# Guards the preconditioner 1 / (√V̂ + δ) against a coordinate whose gradient was exactly zero.
PRECONDITIONER_EPS = 1e-8


class ScaleAdaptation(NamedTuple):
    """Running gradient moments per coordinate (Springenberg et al. 2016, eqs. 8–9)."""

    tau: jax.Array  # [dim_sites] averaging window
    mean_grad: jax.Array  # [dim_sites] ḡ
    mean_sq_grad: jax.Array  # [dim_sites] V̂


class SGHMCState(NamedTuple):
    position: Any
    log_density: jax.Array  # the (minibatch) estimate at ``position``
    grad: jax.Array  # [dim_sites] stochastic gradient at ``position``
    momentum: jax.Array  # [dim_sites] v, the last displacement
    scale: ScaleAdaptation | None  # None for plain SGHMC


class SGHMCInfo(NamedTuple):
    acceptance_prob: jax.Array  # always 1: no Metropolis–Hastings correction
    accepted: jax.Array  # always True
    noise_clipped: jax.Array  # fraction of coordinates whose noise variance was clipped at 0


def update_scale(scale: ScaleAdaptation, grad: jax.Array) -> ScaleAdaptation:
    """One burn-in update of the gradient moments with the stochastic gradient ``grad: [dim_sites]``:
    ``τ ← τ − τ ḡ²/V̂ + 1``, and ḡ, V̂ move towards ``grad``, ``grad²`` by ``1/(τ + 1)``.

    The rate uses the window before its update (as Springenberg et al.'s code does): with
    ``1/τ`` after it, τ = 1 would be a fixed point (the averages equal the last gradient, so
    ḡ² = V̂ and τ stays 1) and V̂ would be a snapshot of one squared gradient. With it, a new
    gradient has weight at most ½, ḡ² < V̂ whenever the gradients vary, and τ grows."""
    rate = 1.0 / (scale.tau + 1.0)
    tau = scale.tau - scale.tau * scale.mean_grad**2 / (scale.mean_sq_grad + PRECONDITIONER_EPS) + 1.0
    mean_grad = scale.mean_grad + rate * (grad - scale.mean_grad)
    mean_sq_grad = scale.mean_sq_grad + rate * (grad**2 - scale.mean_sq_grad)
    return ScaleAdaptation(tau, mean_grad, mean_sq_grad)


@pytree_dataclass(static=("adaptive", "sites"))
class SGHMC:
    step_size: float = 0.01
    friction: float = 1.0
    mdecay: float = 0.05
    adaptive: bool = False
    sites: tuple[str, ...] | None = None

    def init(self, position, logdensity_fn) -> SGHMCState:
        """Zero momentum at ``position``; a ``MinibatchLogDensity`` is evaluated once on all the data.
        The adaptive variant starts from τ = ḡ = V̂ = 1 (unit mass without burn-in); the burn-in
        updates forget these starting values at the rate 1/(τ + 1)."""
        view = site_view(position, logdensity_fn, self.sites, "sghmc")
        log_density, grad = jax.value_and_grad(view.log_density)(view.q)
        ones = jnp.ones_like(view.q)
        scale = ScaleAdaptation(ones, ones, ones) if self.adaptive else None
        return SGHMCState(position, log_density, grad, jnp.zeros_like(view.q), scale)

    def from_position(self, position, log_density, logdensity_fn) -> SGHMCState:
        return self.init(position, logdensity_fn)

    def preconditioner(self, state: SGHMCState) -> jax.Array:
        """The diagonal preconditioner M⁻¹ ``[dim_sites]`` the next step uses (ones when plain)."""
        if not self.adaptive:
            return jnp.ones_like(state.grad)
        return 1.0 / (jnp.sqrt(state.scale.mean_sq_grad) + PRECONDITIONER_EPS)

    def step(self, key, state: SGHMCState, logdensity_fn, adapt=False):
        """One SGHMC step. ``adapt`` (a bool, may be traced) updates the adaptive variant's
        gradient moments with ``state.grad`` before the step: ``run_sgmcmc`` sets it during burn-in."""
        k_batch, k_noise = jax.random.split(key)
        view = site_view(state.position, stochastic_log_density(k_batch, logdensity_fn), self.sites, "sghmc")
        eps = self.step_size
        scale = state.scale
        if self.adaptive:
            adapted = update_scale(scale, state.grad)
            scale = jax.tree.map(lambda new, old: jnp.where(adapt, new, old), adapted, scale)
            learning_rate = eps**2 * self.preconditioner(state._replace(scale=scale))
            decay = self.mdecay
            noise_var = 2.0 * decay * learning_rate - eps**4
        else:
            learning_rate = eps**2
            decay = eps * self.friction
            noise_var = 2.0 * decay * learning_rate
        noise_var = jnp.broadcast_to(noise_var, view.q.shape)
        noise = jnp.sqrt(jnp.maximum(noise_var, 0.0)) * jax.random.normal(k_noise, view.q.shape, view.q.dtype)
        momentum = state.momentum + learning_rate * state.grad - decay * state.momentum + noise
        q_new = view.q + momentum
        log_density, grad = jax.value_and_grad(view.log_density)(q_new)
        new = SGHMCState(view.to_position(q_new), log_density, grad, momentum, scale)
        info = SGHMCInfo(jnp.ones((), view.q.dtype), jnp.ones((), bool), jnp.mean(noise_var < 0))
        return new, info


def sghmc(
    step_size: float = 0.01,
    friction: float | None = None,
    *,
    adaptive: bool = False,
    mdecay: float | None = None,
    sites: Sequence[str] | None = None,
) -> SGHMC:
    """SGHMC kernel (see the module docstring for the update).

    Args:
        step_size: ε.
        friction: C of plain SGHMC (default 1); the momentum decays by ``εC`` per step, which
            must be at most 1.
        adaptive: Springenberg et al.'s scale-adapted variant (preconditioner from burn-in).
        mdecay: the adaptive variant's momentum decay α per step, in (0, 1] (default 0.05).
        sites: restrict the kernel to these sites of a dict position.
    """
    if not isinstance(adaptive, bool):
        raise TypeError(f"adaptive must be True or False, got {adaptive!r}")
    _check_positive(step_size, "step_size")
    if adaptive:
        if friction is not None:
            raise ValueError("friction is set through mdecay when adaptive=True (ε M⁻¹ C = mdecay); pass mdecay")
        mdecay = 0.05 if mdecay is None else mdecay
        _check_positive(mdecay, "mdecay")
        if isinstance(mdecay, int | float | np.number) and mdecay > 1:
            raise ValueError(f"mdecay must be in (0, 1], got {mdecay}")
        friction = 1.0
    else:
        if mdecay is not None:
            raise ValueError("mdecay applies to adaptive=True; plain SGHMC takes friction")
        friction = 1.0 if friction is None else friction
        _check_positive(friction, "friction")
        concrete = all(isinstance(v, int | float | np.number) for v in (step_size, friction))
        if concrete and step_size * friction > 1:
            raise ValueError(
                f"step_size * friction is the momentum decay per step and must be <= 1, "
                f"got {step_size} * {friction} = {step_size * friction}"
            )
        mdecay = 0.05
    return SGHMC(step_size, friction, mdecay, adaptive, None if sites is None else tuple(sites))
