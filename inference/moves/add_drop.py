"""Add/drop moves for variable selection (Green 1995; Dellaportas, Forster &
Ntzoufras 2002, "On Bayesian model and variable selection using MCMC"), as an involution.

State: inclusion indicators ``x[indicators] = γ: [p]`` (integer or boolean, 1 = included)
and padded coefficient sites ``x[site]: [p, *slot_shape]``, one slot per variable.

Choose ``j`` uniformly; if ``γ_j = 0`` add it (slot ``j`` takes ``v ~ proposal_j``), if
``γ_j = 1`` drop it (slot ``j`` takes ``v ~ reference_j``); in both cases the slot's old
values go into ``u2`` and ``γ_j`` flips. ``|det J| = 1``, and for an add

    r = π(γ + e_j, β_j = v) ref_j(β_j^old) / (π(γ, β_j^old) proposal_j(v)).

How inactive slots are scored: the target gives an excluded coefficient a proper
reference density (a pseudo-prior, Carlin & Chib 1995) — for instance its slab prior, so
the model is simply ``β ~ N(0, s² I)`` and ``y ~ N(X (γ ⊙ β), σ² I)``. Pass the same density
as ``reference`` and it cancels; a ``proposal`` near each coefficient's posterior (e.g.
the full model's) makes adds likely to be accepted.
"""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp

from .move import Move
from .slots import check_sites, num_slots, sample_slot, slot_log_prob, slot_normals, swap_slot


def add_drop(
    indicators: str,
    sites: Sequence[str],
    proposal: Mapping | None = None,
    reference: Mapping | None = None,
) -> Move:
    """A reversible-jump ``Move`` that includes or excludes one variable.

    Args:
        indicators: the integer/boolean site ``γ: [p]``.
        sites: the padded sites ``[p, *slot_shape]`` whose slot ``j`` belongs to variable ``j``.
        proposal: ``{site: (loc, scale)}`` normal for an added slot (loc/scale broadcast to
            ``[p, *slot_shape]``); default ``reference``.
        reference: ``{site: (loc, scale)}``: the density the target gives excluded slots
            (default: standard normal); a dropped slot is refilled from it.

    Auxiliary ``u = {"j": int32, "values": {site: [slot_shape]}}``.
    """
    sites = tuple(sites)
    if not sites:
        raise ValueError("add_drop needs at least one padded site")
    reference = slot_normals(reference, sites, "reference")
    proposal = reference if proposal is None else slot_normals(proposal, sites, "proposal")

    def layout(x):
        check_sites(x, (indicators, *sites), "add_drop")
        gamma = jnp.asarray(x[indicators])
        p = num_slots(x, sites, "add_drop")
        if gamma.shape != (p,):
            raise ValueError(f"add_drop: {indicators!r} must have shape ({p},) (one per slot), got {gamma.shape}")
        return gamma, p

    def log_q(x, u):
        gamma, p = layout(x)
        j = u["j"]
        adding = gamma[j] == 0
        density = jnp.where(
            adding,
            slot_log_prob(x, u["values"], proposal, j),
            slot_log_prob(x, u["values"], reference, j),
        )
        return density - jnp.log(p)

    def propose(key, x):
        gamma, p = layout(x)
        k_j, k_add, k_ref = jax.random.split(key, 3)
        j = jax.random.randint(k_j, (), 0, p, dtype=jnp.int32)
        adding = gamma[j] == 0
        added, refill = sample_slot(k_add, x, proposal, j), sample_slot(k_ref, x, reference, j)
        u = {"j": j, "values": jax.tree.map(lambda a, b: jnp.where(adding, a, b), added, refill)}
        return u, log_q(x, u)

    def involution(x, u):
        gamma, _ = layout(x)
        j = u["j"]
        x2, old = swap_slot(x, u["values"], j)
        x2[indicators] = gamma.at[j].set(jnp.where(gamma[j] == 0, 1, 0).astype(gamma.dtype))
        return x2, {"j": j, "values": old}

    return Move(propose, involution, log_q)
