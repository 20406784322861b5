"""Benchmark problems by name: ``get("hartmann6")``, ``get("levy10")``, ``names()``.

Names follow BoTorch's test functions; everything is minimised. A trailing number
sets the dimension of a scalable function (``ackley10``, ``styblinski_tang8``,
``dtlz2_8``). ``Problem.bounds`` is ``[d, 2]`` (one (low, high) row per dimension),
or a ``Space`` for problems with integer / categorical dimensions.
"""

import dataclasses
import math
import re
from collections.abc import Callable
from functools import partial

import numpy as np

from ..space import Categorical, Space
from . import high_dim, multi_objective, pest_control, synthetic


@dataclasses.dataclass(frozen=True)
class Problem:
    """A test problem.

    ``fun(x: [dim]) -> float`` (``[num_objectives]`` for multi-objective problems);
    ``optimum``: the minimum value, or for multi-objective problems the maximum
    hypervolume with respect to ``ref_point`` (``None`` where unknown);
    ``kind``: ``"continuous"``, ``"mixed"`` or ``"multi_objective"``.
    """

    name: str
    fun: Callable
    bounds: np.ndarray | Space
    optimum: float | None
    dim: int
    num_objectives: int = 1
    kind: str = "continuous"
    ref_point: np.ndarray | None = None


def _box(low, high, d):
    return np.tile(np.array([[low, high]], float), (d, 1))


def _scalable(name, fun, low, high, default_dim, optimum):
    def make(d=default_dim):
        return Problem(name if d is None else f"{name}{d}", fun, _box(low, high, d), optimum(d), d)

    return make


def _dtlz(name, d=6, m=2):
    fun = partial(getattr(multi_objective, name), m=m)
    ref = {"dtlz1": 400.0}.get(name, 1.1)
    max_hv = multi_objective.dtlz_max_hv(name, m, ref)
    return Problem(f"{name}_{d}", fun, _box(0, 1, d), max_hv, d, m, "multi_objective", np.full(m, ref))


_FIXED = {
    "branin": lambda: Problem("branin", synthetic.branin, np.array([[-5.0, 10.0], [0.0, 15.0]]), 0.397887, 2),
    "hartmann3": lambda: Problem("hartmann3", synthetic.hartmann, _box(0, 1, 3), -3.86278, 3),
    "hartmann6": lambda: Problem("hartmann6", synthetic.hartmann, _box(0, 1, 6), -3.32237, 6),
    "branin_currin": lambda: Problem(
        "branin_currin",
        multi_objective.branin_currin,
        _box(0, 1, 2),
        59.36011874867746,
        2,
        2,
        "multi_objective",
        np.array([18.0, 6.0]),
    ),
    "pest_control": lambda: Problem(
        "pest_control", pest_control.pest_control, Space((Categorical(5),) * 25), None, 25, 1, "mixed"
    ),
}

_SCALABLE = {
    "ackley": _scalable("ackley", synthetic.ackley, -32.768, 32.768, 2, lambda d: 0.0),
    "levy": _scalable("levy", synthetic.levy, -10.0, 10.0, 2, lambda d: 0.0),
    "rosenbrock": _scalable("rosenbrock", synthetic.rosenbrock, -5.0, 10.0, 2, lambda d: 0.0),
    "styblinski_tang": _scalable(
        "styblinski_tang", synthetic.styblinski_tang, -5.0, 5.0, 2, lambda d: -39.166165703771412 * d
    ),
    "michalewicz": _scalable(
        "michalewicz", synthetic.michalewicz, 0.0, math.pi, 2, lambda d: synthetic.MICHALEWICZ_OPTIMA.get(d)
    ),
    "bnn_draw": lambda d=20: Problem(f"bnn_draw{d}", high_dim.BNNDraw(d), _box(0, 1, d), None, d),
    "poly_draw": lambda d=20: Problem(f"poly_draw{d}", high_dim.PolyDraw(d), _box(0, 1, d), None, d),
    "dtlz1": partial(_dtlz, "dtlz1"),
    "dtlz2": partial(_dtlz, "dtlz2"),
    "dtlz5": partial(_dtlz, "dtlz5"),
}


def names() -> list[str]:
    """Problem names; the scalable ones also accept a trailing dimension."""
    return sorted(set(_FIXED) | set(_SCALABLE))


def get(name: str) -> Problem:
    """The problem ``name`` (``ValueError`` listing the known names otherwise)."""
    if name in _FIXED:
        return _FIXED[name]()
    if name in _SCALABLE:
        return _SCALABLE[name]()
    match = re.fullmatch(r"(.*?)_?(\d+)", name) if isinstance(name, str) else None
    if match and match.group(1) in _SCALABLE and int(match.group(2)) >= 1:
        problem = _SCALABLE[match.group(1)](int(match.group(2)))
        if problem.num_objectives > 1 and problem.dim < problem.num_objectives:
            raise ValueError(f"problem {name!r}: dimension must be at least the number of objectives")
        return problem
    raise ValueError(f"problem must be one of {names()} (scalable ones with a trailing dimension), got {name!r}")


__all__ = ["Problem", "get", "names"]
