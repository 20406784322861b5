"""modbayes ``inference``: programs and composable inference building blocks.

Layer 1 of modbayes (DESIGN.md §2): a NumPyro model becomes a ``Program``;
kernels, populations, resampling and paths compose into ``mcmc``, ``smc``,
``particle_filter``, ``pmmh`` and ``smc2``.
"""

from . import kernels, moves, paths
from .importance import importance
from .mcmc import mcmc
from .moves import Move
from .mutate import mutate, tune_from_population
from .particle_filter import PFResult, particle_filter
from .particles import Particles, ess, normalize, spawn
from .paths import reweight
from .pmmh import pmmh
from .posterior import Posterior
from .program import Program
from .resampling import resample
from .smc import smc
from .smc2 import SMC2Result, smc2
from .smc_result import SMCResult
from .state_space import StateSpaceModel

__all__ = [
    "Move",
    "PFResult",
    "Particles",
    "Posterior",
    "Program",
    "SMC2Result",
    "SMCResult",
    "StateSpaceModel",
    "ess",
    "importance",
    "kernels",
    "mcmc",
    "moves",
    "mutate",
    "normalize",
    "particle_filter",
    "paths",
    "pmmh",
    "resample",
    "reweight",
    "smc",
    "smc2",
    "spawn",
    "tune_from_population",
]
