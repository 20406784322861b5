"""Frozen dataclasses that are also JAX pytrees (kernels, moves, results)."""

import dataclasses

import jax


def pytree_dataclass(cls=None, *, static: tuple[str, ...] = ()):
    """Make ``cls`` a frozen dataclass registered as a pytree.

    Fields named in ``static`` are hashable configuration (compiled into the
    program); every other field is a leaf, so tuned values such as a step size
    can change inside ``jit``/``scan`` without recompiling.
    """

    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        data = [n for n in names if n not in static]
        meta = [n for n in names if n in static]
        return jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=meta)

    return wrap if cls is None else wrap(cls)


def replace(obj, **changes):
    """``dataclasses.replace`` for the frozen pytree dataclasses above."""
    return dataclasses.replace(obj, **changes)
