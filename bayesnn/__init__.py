"""modbayes ``bayesnn``: Bayesian neural networks as NumPyro models (DESIGN.md §3).

``MLP`` is the network, ``BNN`` the model (``BNN.model`` is an ordinary NumPyro
model), and ``fit(key, bnn, x, y, method=...)`` runs one of ``nuts``, ``hmc``,
``sghmc``, ``sgld``, ``ensemble`` or ``laplace`` on ``inference``'s building blocks.
"""

from .bnn import BNN
from .fit import DEFAULTS, METHODS, fit, fit_traced
from .fit import resolve_options as fit_options
from .laplace import LinearizedBNNPosterior
from .mlp import MLP
from .posterior import SampledBNNPosterior
from .width import WidthBNN, padded_bnn, unit_birth_death, unit_birth_death_move

__all__ = [
    "BNN",
    "DEFAULTS",
    "LinearizedBNNPosterior",
    "METHODS",
    "MLP",
    "SampledBNNPosterior",
    "WidthBNN",
    "fit",
    "fit_options",
    "fit_traced",
    "padded_bnn",
    "unit_birth_death",
    "unit_birth_death_move",
]
