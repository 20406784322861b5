"""modbayes ``inference``: programs and composable inference building blocks.

Layer 1 of modbayes (DESIGN.md §2): a NumPyro model becomes a ``Program``;
kernels, populations, resampling and paths compose into ``mcmc``, ``smc``,
``particle_filter``, ``pmmh`` and ``smc2``; stochastic-gradient kernels on a
``MinibatchLogDensity`` run under ``run_sgmcmc``.
"""

from . import kernels, moves, paths
from .density_program import density_program
from .importance import importance
from .mcmc import mcmc
from .minibatch import MinibatchLogDensity, minibatch_log_density
from .moves import Move
from .mutate import mutate, tune_from_population
from .particle_filter import PFResult, particle_filter
from .particles import Particles, ess, normalize, spawn
from .paths import reweight
from .pmmh import pmmh
from .posterior import Posterior
from .program import Program
from .resampling import resample
from .sgmcmc import SGMCMCResult, run_sgmcmc
from .smc import smc
from .smc2 import SMC2Result, smc2
from .smc_result import SMCResult
from .smc_step import SMCInfo, SMCState, smc_init, smc_step
from .state_space import StateSpaceModel

__all__ = [
    "MinibatchLogDensity",
    "Move",
    "PFResult",
    "Particles",
    "Posterior",
    "Program",
    "SMC2Result",
    "SGMCMCResult",
    "SMCInfo",
    "SMCResult",
    "SMCState",
    "StateSpaceModel",
    "density_program",
    "ess",
    "importance",
    "kernels",
    "mcmc",
    "minibatch_log_density",
    "moves",
    "mutate",
    "normalize",
    "particle_filter",
    "paths",
    "pmmh",
    "resample",
    "reweight",
    "run_sgmcmc",
    "smc",
    "smc2",
    "smc_init",
    "smc_step",
    "spawn",
    "tune_from_population",
]
