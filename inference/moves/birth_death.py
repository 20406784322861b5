"""Birth/death of the last active slot of a padded vector (Green 1995; the birth/death
move of Richardson & Green 1997), as an involution on a fixed-shape state.

State: ``x[index] = k`` (integer scalar: the number of active slots, ``min_active ≤ k ≤ K_max``)
and padded sites ``x[site]: [K_max, *slot_shape]`` whose slots ``0..k-1`` are active.

* birth (``k → k+1``): slot ``k`` takes ``v ~ proposal``; the values it held go into ``u2``;
* death (``k → k-1``): slot ``k-1`` takes ``v ~ reference``; its active values go into ``u2``.

The involution only relabels values, so ``|det J| = 1`` and for a birth

    r = π(k+1, θ, v) ref(θ_k^old) / (π(k, θ, θ_k^old) proposal(v)) · P(death | k+1) / P(birth | k).

How inactive slots are scored: the target must give every inactive slot a proper
*reference* density (a pseudo-prior, Carlin & Chib 1995) so that the padded space
carries a proper distribution whose marginal over the active slots is the model's.
Pass that same density as ``reference``: then ``ref(θ_k^old)`` cancels against
the target's own term and the ratio is Green's birth/death ratio. With a
different ``reference`` the move is still exact, only less efficient.
"""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp

from .move import Move
from .slots import check_sites, log_bernoulli, num_slots, sample_slot, slot_log_prob, slot_normals, swap_slot


def birth_death(
    index: str,
    sites: Sequence[str],
    proposal: Mapping | None = None,
    reference: Mapping | None = None,
    birth_prob: float = 0.5,
    min_active: int = 0,
) -> Move:
    """A reversible-jump ``Move`` that adds or removes the last active slot.

    Args:
        index: the integer site holding ``k``, the number of active slots.
        sites: the padded sites ``[K_max, *slot_shape]`` (common ``K_max``) that gain or lose a slot.
        proposal: ``{site: (loc, scale)}``: normal (on the unconstrained scale) for a newborn
            slot's values; loc/scale broadcast to ``[K_max, *slot_shape]`` (one per slot if
            wanted). Default: ``reference``.
        reference: ``{site: (loc, scale)}``: the density the target gives inactive slots
            (default: standard normal); a dying slot is refilled from it.
        birth_prob: probability of proposing a birth when both directions are possible
            (births at ``k = min_active`` and deaths at ``k = K_max`` are forced).
        min_active: the smallest allowed ``k``.

    Auxiliary ``u = {"birth": int32 (1 birth, 0 death), "values": {site: [slot_shape]}}``.
    """
    sites = tuple(sites)
    if not sites:
        raise ValueError("birth_death needs at least one padded site")
    if not 0.0 < birth_prob < 1.0:
        raise ValueError(f"birth_death: birth_prob must be in (0, 1), got {birth_prob}")
    reference = slot_normals(reference, sites, "reference")
    proposal = reference if proposal is None else slot_normals(proposal, sites, "proposal")

    def layout(x):
        check_sites(x, (index, *sites), "birth_death")
        return jnp.asarray(x[index]), num_slots(x, sites, "birth_death")

    def p_birth(k, k_max):
        return jnp.where(k >= k_max, 0.0, jnp.where(k <= min_active, 1.0, birth_prob))

    def slot_of(k, birth, k_max):
        return jnp.clip(jnp.where(birth, k, k - 1), 0, k_max - 1)

    def log_q(x, u):
        k, k_max = layout(x)
        birth = u["birth"] == 1
        slot = slot_of(k, birth, k_max)
        density = jnp.where(
            birth,
            slot_log_prob(x, u["values"], proposal, slot),
            slot_log_prob(x, u["values"], reference, slot),
        )
        return log_bernoulli(birth, p_birth(k, k_max)) + density

    def propose(key, x):
        k, k_max = layout(x)
        k_dir, k_born, k_ref = jax.random.split(key, 3)
        birth = jax.random.bernoulli(k_dir, p_birth(k, k_max))
        slot = slot_of(k, birth, k_max)
        born, refill = sample_slot(k_born, x, proposal, slot), sample_slot(k_ref, x, reference, slot)
        values = jax.tree.map(lambda a, b: jnp.where(birth, a, b), born, refill)
        u = {"birth": birth.astype(jnp.int32), "values": values}
        return u, log_q(x, u)

    def involution(x, u):
        k, k_max = layout(x)
        birth = u["birth"] == 1
        x2, old = swap_slot(x, u["values"], slot_of(k, birth, k_max))
        x2[index] = jnp.where(birth, k + 1, k - 1).astype(k.dtype)
        return x2, {"birth": 1 - u["birth"], "values": old}

    return Move(propose, involution, log_q)
