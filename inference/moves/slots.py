"""What the reversible-jump moves share: padded sites, slots, and Gaussian densities
for filling a slot.

A *padded site* is an array ``[K_max, *slot_shape]`` whose leading axis holds
slots; a model index says which slots are active. Moves that change the model
swap one slot's values with auxiliary variables: the values the slot had go into
``u2``, so the involution is a bijection of the whole padded space (no value is
forgotten) and its Jacobian is a permutation (``|det| = 1``).

A slot distribution is given per site as ``(loc, scale)`` of a normal on the
site's *unconstrained* scale (the scale of a ``Program`` position), each
broadcastable to the site's padded shape ``[K_max, *slot_shape]`` so that every
slot may have its own proposal.
"""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
from jax.scipy.stats import norm

SlotNormal = tuple  # (loc, scale), each broadcastable to [K_max, *slot_shape]


def slot_normals(spec: Mapping | None, sites: Sequence[str], argument: str) -> dict[str, SlotNormal]:
    """``{site: (loc, scale)}`` for every site; a missing spec is the standard normal."""
    spec = {} if spec is None else dict(spec)
    unknown = sorted(set(spec) - set(sites))
    if unknown:
        raise ValueError(f"{argument} names sites {unknown} that the move does not change ({list(sites)})")
    out = {}
    for site in sites:
        loc, scale = spec.get(site, (0.0, 1.0))
        if not jnp.all(jnp.asarray(scale) > 0):
            raise ValueError(f"{argument}[{site!r}] needs a positive scale, got {scale}")
        out[site] = (loc, scale)
    return out


def check_sites(position, sites: Sequence[str], move: str) -> None:
    """Trace-time check that ``position`` is a dict holding every site."""
    if not isinstance(position, dict):
        raise TypeError(f"{move} needs a dict position {{site: array}}, got {type(position).__name__}")
    missing = [s for s in sites if s not in position]
    if missing:
        raise ValueError(f"{move}: sites {missing} are not in the position {sorted(position)}")


def num_slots(position, sites: Sequence[str], move: str) -> int:
    """``K_max``: the common leading dimension of the padded sites."""
    sizes = {s: jnp.shape(position[s])[0] if jnp.ndim(position[s]) else None for s in sites}
    if None in sizes.values() or len(set(sizes.values())) != 1:
        raise ValueError(f"{move}: padded sites need one common leading (slot) axis, got shapes {sizes}")
    return next(iter(sizes.values()))


def _at_slot(param, site_value, slot):
    return jnp.broadcast_to(jnp.asarray(param, site_value.dtype), site_value.shape)[slot]


def sample_slot(key, position, normals: dict[str, SlotNormal], slot) -> dict:
    """Draw ``{site: value [slot_shape]}`` from the slot's normals."""
    keys = jax.random.split(key, len(normals))
    out = {}
    for k, (site, (loc, scale)) in zip(keys, normals.items(), strict=True):
        value = position[site]
        noise = jax.random.normal(k, value.shape[1:], value.dtype)
        out[site] = _at_slot(loc, value, slot) + _at_slot(scale, value, slot) * noise
    return out


def slot_log_prob(position, values: dict, normals: dict[str, SlotNormal], slot) -> jax.Array:
    """``Σ_site log N(values[site]; loc[slot], scale[slot]²)`` (scalar)."""
    total = jnp.zeros(())
    for site, (loc, scale) in normals.items():
        value = position[site]
        total = total + norm.logpdf(values[site], _at_slot(loc, value, slot), _at_slot(scale, value, slot)).sum()
    return total


def swap_slot(position, values: dict, slot) -> tuple[dict, dict]:
    """Put ``values`` into ``slot`` of each padded site; return the new position and the
    values the slot held before."""
    new, old = dict(position), {}
    for site, value in values.items():
        old[site] = position[site][slot]
        new[site] = position[site].at[slot].set(value)
    return new, old


def log_bernoulli(flag, prob) -> jax.Array:
    """``log P(flag)`` for ``flag ~ Bernoulli(prob)``; ``-inf`` for an impossible flag."""
    prob = jnp.where(flag, prob, 1.0 - prob)
    return jnp.where(prob > 0, jnp.log(jnp.where(prob > 0, prob, 1.0)), -jnp.inf)
