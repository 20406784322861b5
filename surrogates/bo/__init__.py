"""modbayes ``surrogates.bo``: the Bayesian-optimisation loop (DESIGN.md §5).

    from surrogates import bo
    problem = bo.problems.get("hartmann6")
    result = bo.minimize(problem.fun, problem.bounds, surrogate="gp", budget=50)

``minimize`` runs the loop; ``Optimizer`` is the same loop by ask/tell;
``minimize_compiled`` runs it as one XLA program over several seeds for JAX objectives. All three
take a ``Strategy`` (surrogate, acquisition, optimiser settings, initial design). Surrogates
are reached only through the protocol (``surrogates.get``); acquisitions live in
``bo.acquisition``, test problems in ``bo.problems``; the CLI is ``modbayes``.
"""

from . import acquisition, problems
from .compiled import CompiledResult, minimize_compiled
from .loop import minimize
from .optimizer import Optimizer
from .result import Result
from .space import Categorical, Integer, Real, Space
from .strategy import Strategy

__all__ = [
    "Categorical",
    "CompiledResult",
    "Integer",
    "Optimizer",
    "Real",
    "Result",
    "Space",
    "Strategy",
    "acquisition",
    "minimize",
    "minimize_compiled",
    "problems",
]
