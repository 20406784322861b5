"""The unit birth–death move of ``bayesnn.width``'s ``WidthBNN`` (split from ``width.py``; the model,
the slot layout and the maths are described in ``bayesnn.width``'s docstring).

``bayesnn.width`` re-exports ``unit_prior``, ``unit_birth_death_move`` and ``unit_birth_death``, so
``from bayesnn.width import unit_birth_death`` keeps working.
"""

import math
import numbers
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from inference import kernels
from inference.moves import Move
from inference.moves.slots import log_bernoulli, slot_log_prob, slot_normals

from .width import WIDTH, WidthBNN


def unit_prior(model: WidthBNN, fan_in: int) -> dict:
    """``{site: (loc, scale)}``: the prior of one unit's values on the unit view (see
    ``unit_birth_death_move``), for a padded layer with ``fan_in`` inputs.

    With a hierarchical weight scale under ``standard`` the incoming weights' prior depends on
    the sampled σ; this uses ``bnn.prior_scale`` instead, which keeps the move exact (the
    target scores a refilled unit by its own prior) but makes it less efficient.
    """
    net, (w_in, b_in, w_out) = model.bnn.net, model.unit_sites
    # MLP.prior_std's rule, in host floats (this runs while tracing)
    w_std = net.gain * model.bnn.prior_scale / math.sqrt(fan_in) if net.parameterization == "standard" else 1.0
    return {
        w_in: (0.0, w_std),
        b_in: (0.0, model.bnn.bias_scale),
        w_out: (0.0, 1.0),
    }


def unit_birth_death_move(model: WidthBNN, *, birth_prob: float = 0.5, proposal: Mapping | None = None) -> Move:
    """The ``Move`` that adds or removes one hidden unit of ``model`` (see the module docstring).

    Args:
        model: a ``WidthBNN`` with ``max_width >= 2``.
        birth_prob: probability of proposing a birth when both directions are possible.
        proposal: ``{site: (loc, scale)}``, normals for a newborn unit's values on the *unit
            view* of the padded sites: ``W{L-1}`` per unit is its incoming weights ``[fan_in]``
            (loc/scale broadcast to ``[K, fan_in]``), ``b{L-1}`` its bias (``[K]``), ``W{L}`` its
            stored output weights ``[out_dim]`` (``[K, out_dim]``). Sites left out use the prior
            (the default for all three, ``unit_prior``).

    The position is a dict with ``width`` (integer scalar) and the model's sites (a
    ``Program(model.model, ...)`` position). Auxiliary ``u = {"birth": int32 (1 birth, 0 death),
    "unit": int32 (the position j), "values": {site: one unit's values}}``.
    """
    if not isinstance(model, WidthBNN):
        raise TypeError(f"model must be a bayesnn.width.WidthBNN, got {type(model).__name__}")
    if model.max_width < 2:
        raise ValueError(f"max_width (bnn.net.hidden[-1]) must be >= 2 for births and deaths, got {model.max_width}")
    if isinstance(birth_prob, bool) or not isinstance(birth_prob, numbers.Real) or not 0.0 < birth_prob < 1.0:
        raise ValueError(f"birth_prob must be in (0, 1), got {birth_prob!r}")
    if proposal is not None and not isinstance(proposal, Mapping):
        raise TypeError(f"proposal must be a mapping {{site: (loc, scale)}}, got {type(proposal).__name__}")
    sites = model.unit_sites
    w_in, _, w_out = sites
    proposal = dict(proposal or {})
    slot_normals(proposal, sites, "proposal")  # unknown sites and non-positive scales raise here
    K = model.max_width

    def layout(x):
        """The unit view (every padded site with the unit on the leading axis, ``W{L-1}``
        transposed) and the prior / proposal normals for this fan-in."""
        missing = [s for s in (WIDTH, *sites) if not isinstance(x, dict) or s not in x]
        if missing:
            raise ValueError(f"unit_birth_death: the position lacks sites {missing}; it must be a WidthBNN position")
        view = {s: x[s].T if s == w_in else x[s] for s in sites}
        prior = unit_prior(model, view[w_in].shape[1])
        return jnp.asarray(x[WIDTH]), view, prior, {**prior, **proposal}

    def at_slot(param, shape, dtype, slot):
        """A proposal loc or scale (broadcast to the padded shape ``[K, ...]``) at one slot."""
        return jnp.broadcast_to(jnp.asarray(param, dtype), shape)[slot]

    def slot_mask(v, slot):
        return (jnp.arange(K) == slot).reshape((K,) + (1,) * (v.ndim - 1))

    # Units move by a permutation given as an integer index (one-hot matmul on each site):
    # cheaper to compile than per-site scatters or selects, since the Jacobian is taken by
    # forward mode over every float of the position.
    def swapped(a, b):
        """The index that swaps units ``a`` and ``b``: ``[K]``."""
        i = jnp.arange(K)
        return jnp.where(i == a, b, jnp.where(i == b, a, i))

    def permute(view, index):
        onehot = index[:, None] == jnp.arange(K)[None, :]
        return {s: onehot.astype(v.dtype) @ v for s, v in view.items()}

    def put_unit(view, values, slot):
        """Put ``values`` into ``slot``; return the new view and the values the slot held."""
        new = {s: jnp.where(slot_mask(v, slot), values[s], v) for s, v in view.items()}
        return new, {s: v[slot] for s, v in view.items()}

    def p_birth(k):
        return jnp.where(k >= K, 0.0, jnp.where(k <= 1, 1.0, birth_prob))

    def last_slot(k, birth):
        """Birth fills slot k (the first inactive one); death empties slot k-1."""
        return jnp.clip(jnp.where(birth, k, k - 1), 0, K - 1)

    def log_q(x, u):
        k, view, prior, born = layout(x)
        birth = u["birth"] == 1
        slot = last_slot(k, birth)
        density = jnp.where(
            birth, slot_log_prob(view, u["values"], born, slot), slot_log_prob(view, u["values"], prior, slot)
        )
        # the unit's position j is uniform over the larger model's units, in both directions
        k_big = jnp.where(birth, k + 1, k).astype(density.dtype)
        return log_bernoulli(birth, p_birth(k)) - jnp.log(k_big) + density

    def propose(key, x):
        k, view, prior, born = layout(x)
        # Two random draws in all (threefry is unrolled into the program, so every extra draw
        # costs compile time): one uniform pair for the direction and the position, one normal
        # vector shared by the newborn's and the refill's values.
        k_choice, k_values = jax.random.split(key)
        choice = jax.random.uniform(k_choice, (2,), jnp.float32)
        birth = choice[0] < p_birth(k)
        k_big = jnp.where(birth, k + 1, k)
        unit = jnp.minimum(jnp.floor(choice[1] * k_big), k_big - 1).astype(jnp.int32)
        slot = last_slot(k, birth)
        sizes = [math.prod(view[s].shape[1:]) for s in sites]
        # float32 normals, widened: threefry spends 64 bits per float64 normal (see kernels/hmc.py)
        noise = jax.random.normal(k_values, (sum(sizes),), jnp.float32).astype(view[w_out].dtype)
        noise = jnp.split(noise, np.cumsum(sizes)[:-1])
        values = {}
        for site, eps in zip(sites, noise, strict=True):
            shape, dtype = view[site].shape, view[site].dtype
            loc, scale = (
                jnp.where(birth, at_slot(b, shape, dtype, slot), at_slot(r, shape, dtype, slot))
                for b, r in zip(born[site], prior[site], strict=True)
            )
            values[site] = loc + scale * eps.reshape(shape[1:])
        u = {"birth": birth.astype(jnp.int32), "unit": unit, "values": values}
        return u, log_q(x, u)

    def involution(x, u):
        k, view, _, _ = layout(x)
        birth, unit = u["birth"] == 1, u["unit"]
        # death: bring the dying unit to the last active slot; birth: the last slot is the newborn's
        view = permute(view, jnp.where(birth, jnp.arange(K), swapped(unit, k - 1)))
        view, old = put_unit(view, u["values"], last_slot(k, birth))
        k2 = jnp.where(birth, k + 1, k - 1)
        # the surviving units keep their function, m(k2) w' = m(k) w (σ cancels): the
        # Jacobian (m(k)/m(k2))^(survivors·out_dim) is taken by kernels.mhg
        factor = model.output_multiplier(k, 1.0) / model.output_multiplier(k2, 1.0)
        survives = (jnp.arange(K) < jnp.minimum(k, k2))[:, None]
        view[w_out] = jnp.where(survives, factor * view[w_out], view[w_out])
        # birth: move the newborn from the last slot to position j
        view = permute(view, jnp.where(birth, swapped(unit, k), jnp.arange(K)))
        x2 = {**x, **{s: v.T if s == w_in else v for s, v in view.items()}, WIDTH: k2.astype(k.dtype)}
        return x2, {"birth": 1 - u["birth"], "unit": unit, "values": old}

    return Move(propose, involution, log_q)


def unit_birth_death(
    model: WidthBNN, *, birth_prob: float = 0.5, proposal: Mapping | None = None, check: bool = False
) -> kernels.MHG:
    """``kernels.mhg(unit_birth_death_move(model, ...))``: the Metropolis–Hastings–Green kernel
    that changes the width by one. Cycle it with HMC on the weights:

        kernels.cycle(kernels.hmc(..., sites=model.continuous_sites), unit_birth_death(model))

    ``check=True`` also verifies the involution on every step (for development).
    """
    return kernels.mhg(unit_birth_death_move(model, birth_prob=birth_prob, proposal=proposal), check=check)
