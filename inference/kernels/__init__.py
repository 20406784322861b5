"""MCMC kernels: ``init(position, logdensity_fn)`` and ``step(key, state, logdensity_fn)``."""

from .base import GradientState, Info, State
from .combinators import Cycle, Mixture, cycle, mixture
from .hmc import HMC, HMCInfo, hmc
from .mala import MALA, mala
from .mhg import MHG, MHGInfo, mhg
from .nuts import NUTS, nuts
from .rwmh import RWMH, rwmh

__all__ = [
    "HMC",
    "MALA",
    "MHG",
    "MHGInfo",
    "NUTS",
    "RWMH",
    "Cycle",
    "GradientState",
    "HMCInfo",
    "Info",
    "Mixture",
    "State",
    "cycle",
    "hmc",
    "mala",
    "mhg",
    "mixture",
    "nuts",
    "rwmh",
]
