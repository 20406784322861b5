"""Kernels built from kernels: a deterministic ``cycle`` and a random ``mixture``.

Each component leaves the target invariant, so their composition and any
mixture do too (Tierney 1994). Components may keep different states (a
gradient, say); the combinators hand over ``(position, log_density)`` and let
each component rebuild what it needs.
"""

from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._pytree import pytree_dataclass
from .base import State


class CycleInfo(NamedTuple):
    acceptance_prob: jax.Array  # mean over the components
    accepted: jax.Array  # whether any component moved
    component_acceptance: jax.Array  # [num_kernels]


class MixtureInfo(NamedTuple):
    acceptance_prob: jax.Array
    accepted: jax.Array
    component: jax.Array  # index of the kernel that ran


def _hand_over(kernel, state, logdensity_fn):
    return kernel.from_position(state.position, state.log_density, logdensity_fn)


class _Combinator:
    """What ``Cycle`` and ``Mixture`` share: the state is the first kernel's, stripped to
    position and log density; each inner kernel rebuilds its own on the hand-over."""

    uses_gradient = False

    def init(self, position, logdensity_fn) -> State:
        state = self.kernels[0].init(position, logdensity_fn)
        return State(state.position, state.log_density)

    def from_position(self, position, log_density, logdensity_fn) -> State:
        return State(position, log_density)


@pytree_dataclass
class Cycle(_Combinator):
    kernels: tuple

    def step(self, key, state: State, logdensity_fn):
        probs, moved = [], jnp.asarray(False)
        for kernel, k in zip(self.kernels, jax.random.split(key, len(self.kernels)), strict=True):
            inner, info = kernel.step(k, _hand_over(kernel, state, logdensity_fn), logdensity_fn)
            state = State(inner.position, inner.log_density)
            probs.append(info.acceptance_prob)
            moved = moved | info.accepted
        probs = jnp.stack(probs)
        return state, CycleInfo(probs.mean(), moved, probs)


@pytree_dataclass
class Mixture(_Combinator):
    kernels: tuple
    probs: jax.Array

    def step(self, key, state: State, logdensity_fn):
        k_choose, k_step = jax.random.split(key)
        index = jax.random.choice(k_choose, len(self.kernels), p=self.probs)

        def branch(kernel):
            def run(state):
                inner, info = kernel.step(k_step, _hand_over(kernel, state, logdensity_fn), logdensity_fn)
                return State(inner.position, inner.log_density), (info.acceptance_prob, info.accepted)

            return run

        state, (prob, accepted) = jax.lax.switch(index, [branch(k) for k in self.kernels], state)
        return state, MixtureInfo(prob, accepted, index)


def cycle(*kernels) -> Cycle:
    """Apply ``kernels`` in turn, once each per step (a systematic-scan composition)."""
    if not kernels:
        raise ValueError("cycle needs at least one kernel")
    return Cycle(tuple(kernels))


def mixture(kernels: Sequence, probs: Sequence[float] | None = None) -> Mixture:
    """At each step run one of ``kernels``, chosen with probabilities ``probs`` (uniform by default)."""
    kernels = tuple(kernels)
    if not kernels:
        raise ValueError("mixture needs at least one kernel")
    if probs is None:
        probs = [1.0 / len(kernels)] * len(kernels)
    if len(probs) != len(kernels):
        raise ValueError(f"probs must have one entry per kernel ({len(kernels)}), got {len(probs)}")
    probs = jnp.asarray(probs, dtype=float)
    if bool(jnp.any(probs < 0)) or abs(float(probs.sum()) - 1.0) > 1e-6:
        raise ValueError(f"probs must be non-negative and sum to 1, got {probs.tolist()}")
    return Mixture(kernels, probs)
