"""Acquisitions by name: ``get(name, **options)`` and ``names()``.

Analytic (one point): ``ei``, ``logei`` (default), ``pi`` (as log PI), ``ucb``.
Batch: ``qlogei``, ``qlognei`` (Monte Carlo) and ``thompson``. ``for_batch`` swaps an
analytic acquisition for its batch counterpart when the loop asks for q > 1.
"""

from .analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from .base import Acquisition, Context
from .log_h import log_h
from .monte_carlo import QLogExpectedImprovement, QLogNoisyExpectedImprovement
from .thompson import ThompsonSampling

_ACQUISITIONS = {
    "ei": ExpectedImprovement,
    "logei": LogExpectedImprovement,
    "pi": ProbabilityOfImprovement,
    "ucb": UpperConfidenceBound,
    "qlogei": QLogExpectedImprovement,
    "qlognei": QLogNoisyExpectedImprovement,
    "thompson": ThompsonSampling,
}


def names() -> list[str]:
    """The known acquisition names."""
    return sorted(_ACQUISITIONS)


def get(name: str, **options) -> Acquisition:
    """The acquisition ``name`` configured with ``options``; ``ValueError`` for an unknown name."""
    if not isinstance(name, str) or name not in _ACQUISITIONS:
        raise ValueError(f"acquisition must be one of {names()}, got {name!r}")
    return _ACQUISITIONS[name](**options)


def for_batch(name: str, q: int) -> str:
    """The acquisition to use for batches of ``q`` points: ``logei``/``ei`` become ``qlogei``."""
    if q > 1 and _ACQUISITIONS[name].max_batch is not None:
        if name in ("logei", "ei"):
            return "qlogei"
        raise ValueError(
            f"acquisition {name!r} proposes one point at a time; use batch_size=1 or one of "
            f"{[n for n, a in _ACQUISITIONS.items() if a.max_batch is None]}"
        )
    return name


__all__ = [
    "Acquisition",
    "Context",
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "ProbabilityOfImprovement",
    "QLogExpectedImprovement",
    "QLogNoisyExpectedImprovement",
    "ThompsonSampling",
    "UpperConfidenceBound",
    "for_batch",
    "get",
    "log_h",
    "names",
]
