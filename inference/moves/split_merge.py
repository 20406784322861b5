"""Split/merge moves for a univariate Gaussian mixture with an unknown number of
components (Richardson & Green 1997, "On Bayesian analysis of mixtures with an
unknown number of components", JRSS B 59:731, the "split/combine" move), as an involution on
a padded, fixed-shape state.

State (a dict position, on the unconstrained scale of a ``Program``):

* ``x[index] = k``: the number of active components, ``min_active ≤ k ≤ K_max``;
* ``x[weights]: [K_max]``: log *unnormalised* weights ``log g_j``; the mixture weights are
  ``w_j = g_j / Σ_{active} g``. With ``g_j ~ Gamma(δ, 1)`` independently, the active
  weights are ``Dirichlet(δ, …, δ)`` — RG97's prior — and every slot stands alone;
* ``x[means]: [K_max]``: component means ``μ_j``;
* ``x[variances]: [K_max]``: log component variances ``log σ_j²``.

Split (``k → k+1``) of a component with ``u1 ~ Beta(2, 2)``, ``u2 ~ ±Beta(2, 2)``
(symmetric on ``(−1, 1)``), ``u3 ~ U(0, 1)`` matches the zeroth, first and second moments
(RG97; ``w₁/w = u1``, so ``g₁ = g u1``):

    g₁ = g u1,  g₂ = g (1 − u1),
    μ₁ = μ − u2 σ √((1 − u1)/u1),  μ₂ = μ + u2 σ √(u1/(1 − u1)),
    σ₁² = u3 (1 − u2²) σ² / u1,  σ₂² = (1 − u3)(1 − u2²) σ² / (1 − u1).

Merge inverts it. Labels are exchangeable here (RG97 order the means instead), so
``u2`` carries a sign that says which child lies to the left, and any pair may merge.
Which slots: an ordered pair ``(i, j)`` of distinct slots is drawn uniformly. A merge
puts the merged component in slot ``i``, frees slot ``j`` and moves the last active
component into slot ``j``, keeping the active slots contiguous; the split with the same
``(i, j)`` is its inverse. A split from ``k`` and a merge from ``k + 1`` both choose among
``(k + 1) k`` pairs. The slot freed by a merge is refilled from ``reference``; the values
a split overwrites go into ``u2``.

The Jacobian (RG97's closed form, here also including the log/exp coordinate changes) is not
written out: ``kernels.mhg`` takes it with ``jax.jacfwd``.

How inactive slots are scored: the target must give inactive components a proper
reference density (see ``inference.moves.Padded``); pass the same one here as
``reference`` (normals on ``log g``, ``μ``, ``log σ²``) so that it cancels in the ratio.
"""

from collections.abc import Mapping

import jax
import jax.numpy as jnp
from jax.scipy.stats import beta as beta_dist
from jax.scipy.stats import uniform

from .move import Move
from .slots import check_sites, log_bernoulli, num_slots, sample_slot, slot_log_prob, slot_normals


def split_component(parent: jax.Array, v: jax.Array) -> tuple[jax.Array, jax.Array]:
    """RG97's split on ``parent = (log g, μ, log σ²): [3]`` with ``v = (u1, u2, u3): [3]``;
    returns the two children ``[3]`` each."""
    log_g, mu, log_var = parent
    u1, u2, u3 = v
    sigma = jnp.exp(0.5 * log_var)
    shrink = jnp.log1p(-(u2**2)) + log_var  # log((1 − u2²) σ²)
    mu1 = mu - u2 * sigma * jnp.sqrt((1 - u1) / u1)
    mu2 = mu + u2 * sigma * jnp.sqrt(u1 / (1 - u1))
    child1 = jnp.stack([log_g + jnp.log(u1), mu1, jnp.log(u3) + shrink - jnp.log(u1)])
    child2 = jnp.stack([log_g + jnp.log1p(-u1), mu2, jnp.log1p(-u3) + shrink - jnp.log1p(-u1)])
    return child1, child2


def merge_components(child1: jax.Array, child2: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Inverse of ``split_component``: ``(parent [3], v [3])`` from two children ``[3]``."""
    log_g = jnp.logaddexp(child1[0], child2[0])
    u1 = jnp.exp(child1[0] - log_g)
    mu1, mu2 = child1[1], child2[1]
    var1, var2 = jnp.exp(child1[2]), jnp.exp(child2[2])
    within = u1 * var1 + (1 - u1) * var2  # (1 − u2²) σ²
    var = within + u1 * (1 - u1) * (mu1 - mu2) ** 2
    parent = jnp.stack([log_g, u1 * mu1 + (1 - u1) * mu2, jnp.log(var)])
    v = jnp.stack([u1, (mu2 - mu1) * jnp.sqrt(u1 * (1 - u1) / var), u1 * var1 / within])
    return parent, v


def _swap_rows(params: jax.Array, a, b) -> jax.Array:
    rows = jnp.arange(params.shape[0])
    return params[rows.at[a].set(b).at[b].set(a)]


def split_merge(
    index: str = "k",
    weights: str = "weights",
    means: str = "means",
    variances: str = "variances",
    reference: Mapping | None = None,
    split_prob: float = 0.5,
    min_active: int = 1,
) -> Move:
    """Richardson–Green split/merge ``Move`` for a padded 1-D Gaussian mixture.

    Args:
        index: integer site holding ``k``, the number of active components.
        weights, means, variances: the padded sites ``[K_max]`` holding ``log g``, ``μ`` and
            ``log σ²`` (the unconstrained scale of positive ``g`` and ``σ²`` sites).
        reference: ``{site: (loc, scale)}``: the normal density the target gives inactive
            slots on that scale (default: standard normal for each site).
        split_prob: probability of a split when both directions are possible (splits at
            ``k = min_active`` and merges at ``k = K_max`` are forced).
        min_active: the smallest allowed ``k`` (at least 1).

    Auxiliary ``u = {"split": int32, "i": int32, "j": int32, "v": [3]}``: ``v`` is
    ``(u1, u2, u3)`` for a split and the refill ``(log g, μ, log σ²)`` of the freed slot for
    a merge.
    """
    if min_active < 1:
        raise ValueError(f"split_merge: min_active must be >= 1 (a split needs a component), got {min_active}")
    if not 0.0 < split_prob < 1.0:
        raise ValueError(f"split_merge: split_prob must be in (0, 1), got {split_prob}")
    sites = (weights, means, variances)
    reference = slot_normals(reference, sites, "reference")

    def layout(x):
        check_sites(x, (index, *sites), "split_merge")
        k_max = num_slots(x, sites, "split_merge")
        for s in sites:
            if jnp.ndim(x[s]) != 1:
                raise ValueError(f"split_merge: {s!r} must be a vector [K_max], got shape {jnp.shape(x[s])}")
        return jnp.asarray(x[index]), k_max

    def p_split(k, k_max):
        return jnp.where(k >= k_max, 0.0, jnp.where(k <= min_active, 1.0, split_prob))

    def refill_log_prob(x, v, k_max, k):
        values = dict(zip(sites, v, strict=True))
        return slot_log_prob(x, values, reference, jnp.clip(k - 1, 0, k_max - 1))

    def log_q(x, u):
        k, k_max = layout(x)
        split = u["split"] == 1
        v = u["v"]
        n = jnp.where(split, k + 1, k)  # slots taking part
        log_pair = -jnp.log(jnp.maximum(n * (n - 1), 1).astype(v.dtype))
        log_split = (
            beta_dist.logpdf(v[0], 2.0, 2.0)
            + jnp.log(0.5)
            + beta_dist.logpdf(jnp.abs(v[1]), 2.0, 2.0)
            + uniform.logpdf(v[2])
        )
        log_v = jnp.where(split, log_split, refill_log_prob(x, v, k_max, k))
        return log_bernoulli(split, p_split(k, k_max)) + log_pair + log_v

    def propose(key, x):
        k, k_max = layout(x)
        dtype = jnp.result_type(x[means])
        k_dir, k_i, k_j, k_u, k_sign, k_ref = jax.random.split(key, 6)
        split = jax.random.bernoulli(k_dir, p_split(k, k_max))
        n = jnp.where(split, k + 1, k)
        i = jax.random.randint(k_i, (), 0, n, dtype=jnp.int32)
        j = (i + 1 + jax.random.randint(k_j, (), 0, jnp.maximum(n - 1, 1), dtype=jnp.int32)) % n
        # Beta(2, 2) is the median of three uniforms (an order statistic): exact and cheap
        uniforms = jax.random.uniform(k_u, (7,), dtype)
        u1, u2 = jnp.sort(uniforms[:6].reshape(2, 3), axis=1)[:, 1]
        u3 = uniforms[6]
        u2 = jnp.where(jax.random.bernoulli(k_sign), u2, -u2)
        refill = sample_slot(k_ref, x, reference, jnp.clip(k - 1, 0, k_max - 1))
        v = jnp.where(split, jnp.stack([u1, u2, u3]), jnp.stack([refill[s] for s in sites]))
        u = {"split": split.astype(jnp.int32), "i": i, "j": j.astype(jnp.int32), "v": v}
        return u, log_q(x, u)

    def involution(x, u):
        k, k_max = layout(x)
        split = u["split"] == 1
        i, j, v = u["i"], u["j"], u["v"]
        params = jnp.stack([x[s] for s in sites], axis=-1)  # [K_max, 3]

        # split k -> k+1: the new last slot is k
        new = jnp.minimum(k, k_max - 1)
        parent = jnp.where(i == k, j, i)
        child1, child2 = split_component(params[parent], v)
        after_split = _swap_rows(params.at[parent].set(child1).at[new].set(child2), j, new)
        v_split = params[new]

        # merge k -> k-1: the last active slot k-1 is freed
        last = jnp.maximum(k - 1, 0)
        swapped = _swap_rows(params, j, last)
        keep = jnp.where(i == last, j, i)
        merged, v_merge = merge_components(swapped[keep], swapped[last])
        after_merge = swapped.at[keep].set(merged).at[last].set(v)

        params2 = jnp.where(split, after_split, after_merge)
        x2 = {**x, **{s: params2[:, c] for c, s in enumerate(sites)}}
        x2[index] = jnp.where(split, k + 1, k - 1).astype(k.dtype)
        u2 = {"split": 1 - u["split"], "i": i, "j": j, "v": jnp.where(split, v_split, v_merge)}
        return x2, u2

    return Move(propose, involution, log_q)
