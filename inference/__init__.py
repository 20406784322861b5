"""modbayes ``inference``: programs and composable inference building blocks.

Layer 1 of modbayes (DESIGN.md §2): a NumPyro model becomes a ``Program``;
kernels, populations, resampling and paths compose into ``mcmc``, ``smc``,
``particle_filter``, ``pmmh`` and ``smc2``.
"""

from . import kernels
from .mcmc import mcmc
from .posterior import Posterior
from .program import Program

__all__ = ["Posterior", "Program", "kernels", "mcmc"]
