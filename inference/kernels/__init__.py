"""MCMC kernels: ``init(position, logdensity_fn)`` and ``step(key, state, logdensity_fn)``."""

from .base import GradientState, Info, Kernel, State
from .combinators import Cycle, Mixture, cycle, mixture
from .hmc import HMC, HMCInfo, hmc
from .mala import MALA, mala
from .mhg import MHG, MHGInfo, mhg
from .names import KERNEL_NAMES, get, resolve
from .nuts import NUTS, nuts
from .rwmh import RWMH, rwmh
from .sghmc import SGHMC, SGHMCInfo, SGHMCState, sghmc
from .sgld import SGLD, sgld

__all__ = [
    "HMC",
    "MALA",
    "MHG",
    "MHGInfo",
    "NUTS",
    "RWMH",
    "SGHMC",
    "SGLD",
    "Cycle",
    "GradientState",
    "HMCInfo",
    "Info",
    "KERNEL_NAMES",
    "Kernel",
    "Mixture",
    "SGHMCInfo",
    "SGHMCState",
    "State",
    "cycle",
    "get",
    "hmc",
    "mala",
    "mhg",
    "mixture",
    "nuts",
    "resolve",
    "rwmh",
    "sghmc",
    "sgld",
]
