"""modbayes ``inference``: programs and composable inference building blocks.

Layer 1 of modbayes (DESIGN.md §2): a NumPyro model becomes a ``Program``;
kernels, populations, resampling and paths compose into ``mcmc``, ``smc``,
``particle_filter``, ``pmmh`` and ``smc2``; stochastic-gradient kernels on a
``MinibatchLogDensity`` run under ``run_sgmcmc``.
"""

# Before anything can create JAX's CPU backend: see xla_cpu.py (a runtime deadlock on few cores).
from .xla_cpu import avoid_intra_op_deadlock

avoid_intra_op_deadlock()

from . import kernels, moves, paths  # noqa: E402
from .importance import importance  # noqa: E402
from .mcmc import mcmc  # noqa: E402
from .minibatch import MinibatchLogDensity, minibatch_log_density  # noqa: E402
from .moves import Move  # noqa: E402
from .mutate import mutate, tune_from_population  # noqa: E402
from .particle_filter import PFResult, particle_filter  # noqa: E402
from .particles import Particles, ess, normalize, spawn  # noqa: E402
from .paths import reweight  # noqa: E402
from .pmmh import pmmh  # noqa: E402
from .posterior import Posterior  # noqa: E402
from .program import Program  # noqa: E402
from .resampling import resample  # noqa: E402
from .sgmcmc import SGMCMCResult, run_sgmcmc  # noqa: E402
from .smc import smc  # noqa: E402
from .smc2 import SMC2Result, smc2  # noqa: E402
from .smc_result import SMCResult  # noqa: E402
from .state_space import StateSpaceModel  # noqa: E402

__all__ = [
    "MinibatchLogDensity",
    "Move",
    "PFResult",
    "Particles",
    "Posterior",
    "Program",
    "SMC2Result",
    "SGMCMCResult",
    "SMCResult",
    "StateSpaceModel",
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
    "spawn",
    "tune_from_population",
]
