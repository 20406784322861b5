"""Metropolis–Hastings–Green moves (DESIGN.md §2): ``Move`` and a small library of
ready moves for involutive and reversible-jump MCMC. Run one with ``kernels.mhg(move)``.

* ``random_walk``: Gaussian random walk as an involution ``(x, u) ↦ (x + u, −u)``;
* ``birth_death``: add / remove the last active slot of padded vectors;
* ``add_drop``: include / exclude one variable (variable selection);
* ``split_merge``: Richardson & Green (1997) split/merge for 1-D Gaussian mixtures;
* ``Padded``: the NumPyro distribution that scores inactive slots by a reference density.
"""

from .add_drop import add_drop
from .birth_death import birth_death
from .move import Move, check_dimensions, check_involution, involution_with_log_det, mhg_log_ratio
from .padded import Padded
from .random_walk import random_walk
from .split_merge import merge_components, split_component, split_merge

__all__ = [
    "Move",
    "Padded",
    "add_drop",
    "birth_death",
    "check_dimensions",
    "check_involution",
    "involution_with_log_det",
    "merge_components",
    "mhg_log_ratio",
    "random_walk",
    "split_component",
    "split_merge",
]
