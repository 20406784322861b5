"""A user's log density behind ``jax.jit``, so that one trace serves every place that calls it.

``mcmc`` calls the density in several parts of its programs: the initial states and their
check, the step-size search's proxy step and the kernel step. A plain Python function is
traced afresh at each; behind ``jax.jit`` the later calls reuse the first trace (JAX caches
it by the function and the argument shapes). On inference-gym's stochastic-volatility
density (~7000 nested functions) a first ``mcmc`` call took 45 s with the plain function and
31 s with it jitted (issue #20).

Only plain functions (``def``, ``lambda``, bound methods, ``functools.partial``) are wrapped.
Other callables keep their type, which code downstream may test (``MinibatchLogDensity``
selects minibatch gradients), and their own hashing. A ``Program``'s log density is left as
it is too: a ``jit`` boundary may let XLA order floating point differently, and on the test
suite's regression program it changed the draws of every model run so far. (On the plain
densities tried, the draws were the same bit for bit.)

The wrapper compares and hashes as the function it wraps, so that a second ``mcmc`` call with
the same function finds the programs compiled for the first (they are cached on it as a
static argument).
"""

import functools
import types
from collections.abc import Callable
from typing import Any

import jax

PLAIN_FUNCTIONS = (types.FunctionType, types.MethodType, functools.partial)


class JittedDensity:
    """``position -> log density`` of ``fn``, jitted; equal to another exactly when their ``fn`` are."""

    __slots__ = ("fn", "_jitted", "__weakref__")  # JAX keeps weak references to static arguments

    def __init__(self, fn: Callable[[Any], jax.Array]):
        self.fn = fn
        self._jitted = jax.jit(fn)

    def __call__(self, position: Any) -> jax.Array:
        return self._jitted(position)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JittedDensity) and other.fn == self.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return f"JittedDensity({self.fn!r})"


def jitted_density(fn: Callable[[Any], jax.Array]) -> Callable[[Any], jax.Array]:
    """``fn`` behind ``jax.jit`` if it is a plain function (module docstring), else ``fn`` itself."""
    if isinstance(fn, PLAIN_FUNCTIONS):
        return JittedDensity(fn)
    return fn
