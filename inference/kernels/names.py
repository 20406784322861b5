"""Kernels by name: ``kernels.get("nuts", max_tree_depth=8)``, and ``resolve`` for arguments
that may be a name or a kernel object (``mcmc``, ``smc``)."""

from functools import partial

from .base import Kernel
from .hmc import hmc
from .mala import mala
from .nuts import nuts
from .rwmh import rwmh

KERNEL_NAMES = {
    "nuts": nuts,
    # A fixed number of leapfrog steps resonates with some posteriors once the step size is
    # adapted; jittering it keeps "hmc" ergodic (see kernels/hmc.py).
    "hmc": partial(hmc, step_size_jitter=0.15),
    "mala": mala,
    "rwmh": rwmh,
}


def get(name: str, **options) -> Kernel:
    """The kernel called ``name`` (``"nuts"``, ``"hmc"``, ``"mala"``, ``"rwmh"``) with ``options``."""
    if name not in KERNEL_NAMES:
        raise ValueError(f"kernel must be one of {sorted(KERNEL_NAMES)} or a kernel object, got {name!r}")
    return KERNEL_NAMES[name](**options)


def resolve(kernel) -> Kernel:
    """A kernel object from a name (``get(name)``) or a ``Kernel`` (returned as it is)."""
    if isinstance(kernel, str):
        return get(kernel)
    if not isinstance(kernel, Kernel):
        raise TypeError(
            f"kernel must be a name or an object with init() and step() (inference.kernels), "
            f"got {type(kernel).__name__}"
        )
    return kernel
