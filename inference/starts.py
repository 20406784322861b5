"""Where ``mcmc``'s chains start: a ``Program``'s uniform init with retries, one given
position for every chain, or one per chain (``init_per_chain``), each checked before tracing."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro


def check_finite_start(program, log_densities, positions):
    """Raise ``ValueError`` naming the site (or chain) whose initial log density
    (``log_densities: [chains]``) is not finite."""
    values = np.asarray(log_densities)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size == 0:
        return
    chain = int(bad[0])
    position = jax.tree.map(lambda leaf: leaf[chain], positions)
    where = ""
    if program is not None:
        by_site = jax.jit(program.log_density_by_site)(position)
        culprits = [name for name, v in by_site.items() if not np.isfinite(float(v))]
        culprits = list(dict.fromkeys(n[1:-8] if n.endswith("_log_det") else n for n in culprits))
        where = f" at site(s) {culprits}" if culprits else ""
    raise ValueError(
        f"initial log density is {values[chain]} for chain {chain}{where}; "
        "check init_position, the model's supports and the data"
    )


def _chain_slices(init_position, num_chains: int) -> list:
    """``init_position`` with a leading ``[num_chains]`` axis as one position per chain."""
    shapes = [np.shape(leaf) for leaf in jax.tree.leaves(init_position)]
    if not shapes or any(len(s) == 0 or s[0] != num_chains for s in shapes):
        raise ValueError(
            f"init_position with init_per_chain=True needs a leading axis of length num_chains={num_chains} "
            f"on every leaf, got leaf shapes {shapes}"
        )
    return [jax.tree.map(lambda leaf, c=c: jnp.asarray(leaf)[c], init_position) for c in range(num_chains)]


def _along_chains(starts: list, num_chains: int, per_chain: bool):
    """``[num_chains, ...]`` positions: the per-chain starts stacked, or the one start broadcast."""
    if per_chain:
        return jax.tree.map(lambda *leaves: jnp.stack([jnp.asarray(leaf) for leaf in leaves]), *starts)
    return jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (num_chains, *jnp.shape(leaf))), starts[0])


def initial_positions(key, program, logdensity_fn, init_position, num_chains, per_chain, log_densities):
    """``[num_chains, ...]`` starting positions; ``log_densities(positions) -> [chains]`` checks a
    ``Program``'s random starts (``mcmc`` passes its kernel's initial states, so that the check and
    the states are one compiled program)."""
    if program is None:
        leaves = jax.tree.leaves(init_position)
        if not leaves:
            raise ValueError("init_position must be a pytree of arrays (a position), got an empty structure")
        starts = _chain_slices(init_position, num_chains) if per_chain else [init_position]
        try:
            value = jax.eval_shape(logdensity_fn, starts[0])
        except Exception as err:  # noqa: BLE001 — reported to the user as a bad argument
            raise ValueError(f"logdensity_fn could not be evaluated at init_position: {err}") from err
        if value.shape != ():
            raise ValueError(f"logdensity_fn must return a scalar, got shape {value.shape}")
        return _along_chains(starts, num_chains, per_chain)
    if init_position is not None:
        starts = _chain_slices(init_position, num_chains) if per_chain else [init_position]
        return _along_chains([_unconstrained_start(program, start) for start in starts], num_chains, per_chain)
    # NumPyro's init_to_uniform, with a few retries for chains that start outside the support.
    positions = program.initial_positions(key, num_chains)
    for attempt in range(10):
        finite = np.isfinite(np.asarray(log_densities(positions)))
        if finite.all():
            break
        fresh = program.initial_positions(jax.random.fold_in(key, attempt + 1), num_chains)
        positions = jax.tree.map(
            lambda old, new, finite=finite: jnp.where(finite.reshape((-1,) + (1,) * (old.ndim - 1)), old, new),
            positions,
            fresh,
        )
    return positions


def _unconstrained_start(program, init_position: dict):
    """A ``Program``'s unconstrained position from ``{site: constrained value}``, checked site by site."""
    program.check_sites(init_position)
    # NumPyro validates distribution arguments when the model runs eagerly, so a value
    # outside a site's support would fail somewhere downstream with a message about
    # another distribution; map it to NaN instead and name the site here.
    with numpyro.validation_enabled(False):
        position = program.unconstrain({k: jnp.asarray(v) for k, v in init_position.items()})
    sites = program.to_sites(position)
    outside = [n for n in program.continuous_names if not bool(jnp.all(jnp.isfinite(sites[n])))]
    if outside:
        raise ValueError(
            f"init_position has values outside the support of site(s) {outside}: "
            + ", ".join(f"{n}={init_position[n]}" for n in outside)
        )
    return position
