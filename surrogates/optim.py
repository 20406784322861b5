"""Deterministic L-BFGS for fitting surrogate hyperparameters (MAP / marginal likelihood).

A thin loop around ``optax.lbfgs`` (zoom line search) that runs entirely inside
``jax.lax.while_loop``, so a whole fit is one compiled call with no host round
trips. Stops after ``max_steps`` or when the gradient's infinity norm is below ``tol``.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax
import optax.tree_utils as otu


def lbfgs_minimize(loss: Callable, params, *, max_steps: int = 100, tol: float = 1e-5):
    """Minimise ``loss(params) -> scalar`` over a pytree ``params``; return the final params.

    Non-finite steps (a failed line search far from the data) leave the parameters
    where they were, so the result is never worse than the starting point.
    """
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(loss)

    def step(carry):
        params, state, _ = carry
        value, grad = value_and_grad(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=loss)
        new = optax.apply_updates(params, updates)
        ok = jnp.all(jnp.array([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(new)]))
        new = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, params)
        return new, state, ok

    def keep_going(carry):
        _, state, ok = carry
        count = otu.tree_get(state, "count")
        grad = otu.tree_get(state, "grad")
        grad_norm = otu.tree_norm(grad, ord=jnp.inf)
        return ok & ((count == 0) | ((count < max_steps) & (grad_norm >= tol)))

    params, _, _ = jax.lax.while_loop(keep_going, step, (params, opt.init(params), jnp.array(True)))
    return params
