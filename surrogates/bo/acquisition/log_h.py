"""``log h(z)`` with ``h(z) = φ(z) + zΦ(z)``, stable for every z: the core of LogEI.

Expected improvement is ``EI = σ h(z)``, ``z = (best_f − μ)/σ``. For z below about −38
``h(z)`` underflows to zero in float64 and its gradient with it, so a plain
``log(EI)`` is −inf with a zero gradient exactly where the optimiser starts most of
its searches (far from the incumbent). Ament, Daulton, Eriksson, Balandat & Bakshy,
"Unexpected improvements to expected improvement for Bayesian optimization"
(NeurIPS 2023), eq. (9), evaluate ``log h`` on three branches:

* z > −1: directly; nothing cancels or underflows here.
* −1/√ε < z ≤ −1: ``h(z) = φ(z) (1 − |z| √(π/2) erfcx(|z|/√2))``; the scaled
  complementary error function ``erfcx`` stays O(1/|z|) instead of underflowing,
  and the difference ``1 − exp(·)`` is taken by ``log1mexp`` without cancellation.
* z ≤ −100: the asymptotic series ``h(z) = φ(z) z⁻² (1 − 3z⁻² + 15z⁻⁴ − 105z⁻⁶ + …)``
  (from the Mills-ratio expansion). The paper keeps the middle branch down to
  −1/√ε and there uses the first term only; but ``1 − |z|√(π/2)erfcx`` ≈ z⁻² loses
  digits like ε·z² (relative error 1e-6 at z = −1e5), so we switch earlier, where
  the middle branch is still good to ~1e-12 and the four-term series to ~1e-13.

The double-``where`` pattern keeps every branch's argument in its safe range so
that gradients of the unused branches are finite (no NaN leaks into ``jax.grad``).
"""

import math

import jax.numpy as jnp
from jax.scipy.special import erfcx
from jax.scipy.stats import norm

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2)
_ASYMPTOTIC_BELOW = -100.0


def log1mexp(x):
    """``log(1 − exp(x))`` for ``x < 0`` (Mächler 2012: switch at −log 2)."""
    x_small = jnp.where(x > -math.log(2.0), x, -1.0)
    x_large = jnp.where(x > -math.log(2.0), -1.0, x)
    return jnp.where(x > -math.log(2.0), jnp.log(-jnp.expm1(x_small)), jnp.log1p(-jnp.exp(x_large)))


def log_h(z):
    """``log(φ(z) + zΦ(z))`` elementwise, finite and increasing for all finite z."""
    z_upper = jnp.where(z > -1.0, z, -1.0)
    upper = jnp.log(norm.pdf(z_upper) + z_upper * norm.cdf(z_upper))

    z_mid = jnp.where(z > -1.0, -1.0, jnp.where(z > _ASYMPTOTIC_BELOW, z, _ASYMPTOTIC_BELOW))
    mid = (
        -0.5 * z_mid**2
        - _LOG_SQRT_2PI
        + log1mexp(jnp.log(erfcx(-z_mid / math.sqrt(2.0)) * jnp.abs(z_mid)) + _LOG_SQRT_PI_OVER_2)
    )

    z_low = jnp.where(z > _ASYMPTOTIC_BELOW, _ASYMPTOTIC_BELOW, z)
    w = 1.0 / z_low**2
    series = jnp.log1p(w * (-3.0 + w * (15.0 - 105.0 * w)))
    low = -0.5 * z_low**2 - _LOG_SQRT_2PI - 2.0 * jnp.log(jnp.abs(z_low)) + series

    return jnp.where(z > -1.0, upper, jnp.where(z > _ASYMPTOTIC_BELOW, mid, low))
