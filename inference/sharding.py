"""Run a per-member function over a leading axis (chains, particles, seeds).

The leading axis is vectorised with ``vmap``; with several devices
(``jax.devices()``, including ``XLA_FLAGS=--xla_force_host_platform_device_count``
on CPU) it is split over them with ``shard_map``, each device running its own
block of members with no communication. The same code therefore uses one CPU,
one GPU or several devices unchanged.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

CHAIN_METHODS = ("vectorized", "parallel", "sequential")


def default_chain_method(num_members: int) -> str:
    """``parallel`` when the members split evenly over more than one device, else ``vectorized``."""
    num_devices = jax.device_count()
    if num_devices > 1 and num_members % num_devices == 0:
        return "parallel"
    return "vectorized"


def map_leading_axis(fn: Callable, num_members: int, method: str | None = None) -> Callable:
    """Lift ``fn(*args)`` to arguments with a leading member axis of size ``num_members``.

    method: ``vectorized`` (one ``vmap``), ``parallel`` (``vmap`` inside ``shard_map``
    over all devices) or ``sequential`` (``lax.map``: one member after another, which
    avoids lock-step while-loops such as NUTS trees of different depths; with several
    devices, each device maps over its own block, the devices side by side).
    """
    method = method or default_chain_method(num_members)
    if method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}, got {method!r}")
    num_devices = jax.device_count()
    if method == "sequential":
        one_after_another = lambda *args: jax.lax.map(lambda a: fn(*a), args)
        if num_devices == 1:
            return one_after_another
        # Each device runs its block of members one after another, the devices side by side.
        return _split_over_devices(one_after_another, num_members)
    batched = jax.vmap(fn)
    if method == "vectorized" or num_devices == 1:
        return batched
    if num_members % num_devices:
        raise ValueError(
            f"chain_method='parallel' needs the number of chains/particles ({num_members}) "
            f"to be a multiple of the device count ({num_devices})"
        )
    return _split_over_devices(batched, num_members)


def _split_over_devices(fn: Callable, num_members: int) -> Callable:
    """``fn`` on equal blocks of the leading axis, one block per device, with no communication.

    A member count that is not a multiple of the device count is padded with copies of the
    last member, whose results are dropped: each device still runs ``ceil(members / devices)``.
    """
    mesh = Mesh(np.array(jax.devices()), ("members",))
    spec = PartitionSpec("members")
    sharded = jax.shard_map(fn, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False)
    extra = -num_members % jax.device_count()
    if not extra:
        return sharded

    def padded(*args):
        args = jax.tree.map(lambda a: jnp.concatenate([a, jnp.repeat(a[-1:], extra, axis=0)]), args)
        return jax.tree.map(lambda a: a[:num_members], sharded(*args))

    return padded
