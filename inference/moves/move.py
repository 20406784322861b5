"""Metropolis–Hastings–Green moves: involutive MCMC with an automatic Jacobian.

A ``Move(propose, involution, aux_log_density)`` describes one MHG proposal
(Green 1995, "Reversible jump MCMC computation and Bayesian model
determination", Biometrika 82:711; in the involutive form of Tierney 1998,
Neklyudov et al. 2020 and Cusumano-Towner, Lew & Mansinghka 2020, "Automating
involutive MCMC using probabilistic and differentiable programming"):

* ``propose(key, x) -> (u, log_q_u)`` draws auxiliary variables ``u ~ q(· | x)``;
* ``involution(x, u) -> (x2, u2)`` is a bijection with ``involution(*involution(x, u)) == (x, u)``;
* ``aux_log_density(x2, u2) -> log q(u2 | x2)`` scores the reverse auxiliary draw.

The move is accepted with probability ``min(1, r)``,

    log r = log π(x2) + log q(u2 | x2) − log π(x) − log q(u | x) + log |det ∂(x2, u2)/∂(x, u)|,

(Green 1995). The Jacobian is taken by ``jax.jacfwd`` over the
floating-point leaves of ``(x, u)`` raveled into one vector, with integer (and
boolean) leaves — model indices, inclusion indicators, discrete choices — held
fixed, and ``slogdet`` gives its log-determinant. Dimension matching (Green's
condition ``dim(x) + dim(u) = dim(x2) + dim(u2)``) is the requirement that the
involution returns the same pytree of the same shapes, checked at trace time.

Trans-dimensional (reversible-jump) states are fixed-shape pytrees: an integer
model index plus padded arrays. Inactive slots must still be *scored* by the
target, by a proper reference density (a pseudo-prior, Carlin & Chib 1995), so
that the padded space carries a proper distribution whose marginal on the active
parameters is the model's; see ``inference.moves.Padded`` and the ready moves in
``inference.moves``, whose freed slots are refilled from that reference.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .._pytree import pytree_dataclass
from ..kernels.base import safe_log_density


@pytree_dataclass(static=("propose", "involution", "aux_log_density"))
class Move:
    """One Metropolis–Hastings–Green proposal (see the module docstring for the maths).

    Args:
        propose: ``propose(key, x) -> (u, log_q_u)``; ``u`` any pytree (may be empty,
            ``()``, for a deterministic involution), ``log_q_u`` a scalar.
        involution: ``involution(x, u) -> (x2, u2)`` with the same pytree structure,
            leaf shapes and leaf kinds (float / integer) as ``(x, u)``; must be its own inverse.
        aux_log_density: ``aux_log_density(x2, u2) -> log q(u2 | x2)``, a scalar.

    The fields are static (hashable callables), so a ``Move`` passes through
    ``jit``, ``vmap``, ``scan`` and the branches of ``lax.switch`` untouched.
    """

    propose: Callable
    involution: Callable
    aux_log_density: Callable

    def __post_init__(self):
        for name in ("propose", "involution", "aux_log_density"):
            if not callable(getattr(self, name)):
                raise TypeError(f"Move.{name} must be callable, got {type(getattr(self, name)).__name__}")


def _is_float(leaf) -> bool:
    return bool(jnp.issubdtype(jnp.result_type(leaf), jnp.floating))


def _float_size(tree) -> int:
    return sum(int(np.prod(jnp.shape(leaf))) for leaf in jax.tree.leaves(tree) if _is_float(leaf))


def _describe(tree) -> str:
    leaves, treedef = jax.tree.flatten(tree)
    shapes = ", ".join(f"{jnp.result_type(leaf).name}{list(jnp.shape(leaf))}" for leaf in leaves)
    return f"{treedef} with leaves [{shapes}]"


def check_dimensions(move: Move, x: Any, u: Any) -> None:
    """Raise unless ``move.involution(x, u)`` returns the pytree structure, leaf shapes
    and leaf kinds of ``(x, u)``. Abstract (``jax.eval_shape``): safe at trace time.

    Raises:
        ValueError: the number of floating-point values differs (dimension matching,
            Green 1995), or a leaf changes shape.
        TypeError: the pytree structure changes, or a leaf changes between
            floating point and integer.
    """
    try:
        out = jax.eval_shape(move.involution, x, u)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Move.involution(x, u) could not be evaluated on the proposed (x, u): {err}") from err
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise TypeError(f"Move.involution must return a pair (x2, u2), got {type(out).__name__}")
    out = tuple(out)
    n_in, n_out = _float_size((x, u)), _float_size(out)
    if n_in != n_out:
        raise ValueError(
            f"Move.involution breaks dimension matching: (x, u) has {n_in} floating-point values but "
            f"(x2, u2) has {n_out}; a reversible-jump involution must map a space onto itself "
            f"(dim x + dim u = dim x2 + dim u2, Green 1995). Got (x, u) = {_describe((x, u))} "
            f"and (x2, u2) = {_describe(out)}"
        )
    leaves_in, def_in = jax.tree.flatten((x, u))
    leaves_out, def_out = jax.tree.flatten(out)
    if def_in != def_out:
        raise TypeError(
            f"Move.involution changes the pytree structure: (x, u) is {def_in} but (x2, u2) is {def_out}; "
            "trans-dimensional states must be fixed-shape pytrees (a model index plus padded arrays)"
        )
    for i, (a, b) in enumerate(zip(leaves_in, leaves_out, strict=True)):
        if jnp.shape(a) != jnp.shape(b):
            raise ValueError(
                f"Move.involution changes the shape of leaf {i} from {jnp.shape(a)} to {jnp.shape(b)}: "
                f"(x, u) = {_describe((x, u))}, (x2, u2) = {_describe(out)}"
            )
        if _is_float(a) != _is_float(b):
            raise TypeError(
                f"Move.involution turns leaf {i} from {jnp.result_type(a)} into {jnp.result_type(b)}; "
                "floating-point leaves must stay floating point and integer leaves integer"
            )


def _cast_like(tree, like):
    """Give every leaf of ``tree`` the dtype of the matching leaf of ``like`` (so that
    ``scan`` carries and ``lax.switch`` branches keep their types)."""
    return jax.tree.map(lambda leaf, ref: jnp.asarray(leaf, dtype=jnp.result_type(ref)), tree, like)


def involution_with_log_det(involution: Callable, x: Any, u: Any) -> tuple[tuple[Any, Any], jax.Array]:
    """``((x2, u2), log|det J|)`` with ``J = ∂ floats(x2, u2) / ∂ floats(x, u)``: ``[m, m]``.

    The floating-point leaves of ``(x, u)`` are raveled into one vector ``[m]``;
    integer leaves are held fixed (they select the branch of a piecewise-smooth
    involution but carry no volume). ``jax.jacfwd`` costs ``m`` forward passes.
    """
    leaves, treedef = jax.tree.flatten((x, u))
    is_float = [_is_float(leaf) for leaf in leaves]
    flat, unravel = ravel_pytree([leaf for leaf, f in zip(leaves, is_float, strict=True) if f])

    def apply(v):
        floats = iter(unravel(v))
        merged = [next(floats) if f else leaf for leaf, f in zip(leaves, is_float, strict=True)]
        out = _cast_like(tuple(involution(*jax.tree.unflatten(treedef, merged))), (x, u))
        out_floats = [leaf for leaf, f in zip(jax.tree.leaves(out), is_float, strict=True) if f]
        return ravel_pytree(out_floats)[0], out

    if flat.size == 0:  # a purely discrete move carries no volume
        return apply(flat)[1], jnp.zeros((), dtype=jnp.result_type(float))
    jacobian, out = jax.jacfwd(apply, has_aux=True)(flat)
    _, log_abs_det = jnp.linalg.slogdet(jacobian)  # a singular map gives -inf: the move is rejected
    return out, log_abs_det


def mhg_log_ratio(move: Move, key: jax.Array, x: Any, log_density_x: jax.Array, logdensity_fn: Callable):
    """Propose with ``move`` from ``x`` and return ``(x2, log_density_x2, log_ratio, log_abs_det)``.

    ``log_ratio = log π(x2) + log q(u2|x2) − log π(x) − log q(u|x) + log|det J|`` (Green 1995).
    """
    u, log_q_u = move.propose(key, x)
    check_dimensions(move, x, u)
    (x2, u2), log_abs_det = involution_with_log_det(move.involution, x, u)
    log_density_x2 = safe_log_density(logdensity_fn(x2))
    log_q_u2 = move.aux_log_density(x2, u2)
    for name, value in [("propose(key, x)[1]", log_q_u), ("aux_log_density(x2, u2)", log_q_u2)]:
        if jnp.shape(value) != ():
            raise ValueError(f"Move.{name} must be a scalar log density, got shape {jnp.shape(value)}")
    log_ratio = log_density_x2 + log_q_u2 - log_density_x - log_q_u + log_abs_det
    return x2, log_density_x2, log_ratio, log_abs_det


def _round_trip_error(x, u, back) -> str | None:
    """Host-side comparison of ``(x, u)`` with ``involution(involution(x, u))``: a message or None."""
    leaves, treedef = jax.tree.flatten((x, u))
    back_leaves, back_def = jax.tree.flatten(back)
    if treedef != back_def:
        return f"involution(involution(x, u)) has structure {back_def}, expected {treedef}"
    for i, (a, b) in enumerate(zip(leaves, back_leaves, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        if np.issubdtype(a.dtype, np.floating):
            tol = float(np.finfo(a.dtype).eps) ** 0.5
            if not np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True):
                err = float(np.max(np.abs(a - b)))
                return f"leaf {i}: involution(involution(x, u)) differs from (x, u) by up to {err:.3g}"
        elif not np.array_equal(a, b):
            return f"integer leaf {i}: involution(involution(x, u)) gives {b.tolist()}, expected {a.tolist()}"
    return None


def _raise_if_not_involution(x, u, back) -> None:
    problem = _round_trip_error(x, u, back)
    if problem is not None:
        raise ValueError(f"Move.involution is not an involution: {problem}")


def check_involution(move: Move, x: Any, u: Any) -> None:
    """Raise ``ValueError`` (its message names the "involution") unless
    ``involution(involution(x, u)) == (x, u)`` to ``sqrt(eps)`` of the float dtype.

    Runs on the host when ``x, u`` are concrete; inside ``jit`` the comparison is a
    ``jax.debug.callback`` and the error surfaces when the computation runs.
    """
    x2, u2 = move.involution(x, u)
    back = tuple(move.involution(x2, u2))
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves((x, u, back))):
        jax.debug.callback(_raise_if_not_involution, x, u, back)
    else:
        _raise_if_not_involution(x, u, back)
