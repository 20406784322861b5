"""Surrogate options saved by an older modbayes whose meaning has since changed.

A run folder keeps its surrogate's options as JSON; resuming it must not silently read them
another way. ``OPTIONS_VERSION`` counts the changes; ``check_saved_options`` raises where an
old value would now mean something else.

Versions: 1, before issue #15; 2, a BNN surrogate's ``noise`` is a variance (it was a
standard deviation), as for every other surrogate.

Only a change of what a saved value means is versioned. A run keeps the options its user
gave; an option left out takes the current default when the run resumes (e.g. ``bnn_hmc``'s
noise variance 1e-2 → 1e-3 and ``laplace``'s → 1e-4 in #15), as a new run would.
"""

from .bnn import BNN_SURROGATES

OPTIONS_VERSION = 2


def check_saved_options(name: str, options: dict, version: int) -> None:
    """``ValueError`` if ``options`` of surrogate ``name``, saved at ``version``, mean something else now."""
    if version < 2 and name in BNN_SURROGATES and "noise" in options:
        noise = options["noise"]
        same = f" (the same model: noise={noise**2!r})" if isinstance(noise, int | float) else ""
        raise ValueError(
            f"surrogate options were saved when a BNN surrogate's noise was a standard deviation; noise={noise!r} "
            f"would now be read as a variance. Set it to the variance{same} and the saved options_version to 2"
        )
