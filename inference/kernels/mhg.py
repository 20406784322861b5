"""The Metropolis–Hastings–Green kernel of a ``Move`` (Green 1995; involutive MCMC,
Neklyudov et al. 2020; Cusumano-Towner et al. 2020).

One step: draw ``u ~ q(· | x)``, map ``(x2, u2) = involution(x, u)``, accept with
probability ``min(1, π(x2) q(u2|x2) |det J| / (π(x) q(u|x)))`` (see
``inference.moves.move``). The position is any pytree, integer leaves included
(model indices, indicators), so reversible-jump moves on padded states and
continuous kernels restricted to some sites (``kernels.hmc(sites=[...])``) compose
with ``kernels.cycle`` / ``kernels.mixture`` into one sampler.
"""

from typing import NamedTuple

import jax

from .._pytree import pytree_dataclass
from ..moves.move import Move, check_involution, mhg_log_ratio
from .base import State, metropolis_accept, safe_log_density, select


class MHGInfo(NamedTuple):
    acceptance_prob: jax.Array
    accepted: jax.Array
    log_abs_det_jacobian: jax.Array  # log|det ∂(x2, u2)/∂(x, u)| of the proposal


@pytree_dataclass(static=("move", "check"))
class MHG:
    move: Move
    check: bool = False

    uses_gradient = False

    def init(self, position, logdensity_fn) -> State:
        return State(position, safe_log_density(logdensity_fn(position)))

    def from_position(self, position, log_density, logdensity_fn) -> State:
        return State(position, log_density)

    def step(self, key, state: State, logdensity_fn) -> tuple[State, MHGInfo]:
        k_prop, k_acc = jax.random.split(key)
        if self.check:
            u, _ = self.move.propose(k_prop, state.position)
            check_involution(self.move, state.position, u)
        x2, log_density_x2, log_ratio, log_abs_det = mhg_log_ratio(
            self.move, k_prop, state.position, state.log_density, logdensity_fn
        )
        acceptance_prob, accepted = metropolis_accept(k_acc, log_ratio)
        new = State(x2, log_density_x2)
        return select(accepted, new, state), MHGInfo(acceptance_prob, accepted, log_abs_det)


def mhg(move: Move, check: bool = False) -> MHG:
    """Metropolis–Hastings–Green kernel for ``move`` (an ``inference.Move``).

    Args:
        move: ``Move(propose, involution, aux_log_density)``.
        check: also verify ``involution(involution(x, u)) == (x, u)`` on every step and
            raise ``ValueError`` naming the involution when it fails. Meant for
            development: it evaluates the involution twice more and compares on the
            host (inside ``jit`` through ``jax.debug.callback``). Leave it off for speed.
    """
    if not isinstance(move, Move):
        raise TypeError(
            f"mhg(move) needs an inference.Move(propose, involution, aux_log_density), got {type(move).__name__}"
        )
    return MHG(move, bool(check))
