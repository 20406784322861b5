"""``Padded``: a NumPyro distribution for a padded site whose inactive slots follow a
reference density — how trans-dimensional models are written for ``Program``.

A reversible-jump state is a fixed-shape pytree: an integer model index ``k`` and
padded arrays ``[K_max, ...]``. For the padded space to carry a *proper* target, every
inactive slot is scored by a proper reference density ``ref`` (a pseudo-prior: Carlin &
Chib 1995, "Bayesian model choice via Markov chain Monte Carlo methods", JRSS B 57:473):

    π(k, θ_{1:K_max}) = p(k) p(θ_{1:k} | k) p(y | k, θ_{1:k}) · ∏_{j > k} ref(θ_j),

whose marginal over ``(k, θ_{1:k})`` is the model's posterior and whose normalising
constant is the model's evidence ``Σ_k p(k) p(y | k)`` (each ``ref`` integrates to one),
so SMC estimates of ``log Z`` on the padded space are estimates of the true one. The
likelihood must ignore inactive slots (mask them, e.g. ``-inf`` mixture logits, ``γ ⊙ β``,
or ``numpyro.handlers.mask(mask=active)`` around per-slot observations).

When the prior of a slot is itself i.i.d. (``β_j ~ N(0, s²)``), the simplest reference
is that same prior: sample the whole padded array from it and no ``Padded`` is needed.
Otherwise write

    k = numpyro.sample("k", dist.Categorical(probs))           # number of active slots
    active = jnp.arange(K_max) < k
    g = numpyro.sample("weights", Padded(dist.Gamma(1.0).expand([K_max]), dist.LogNormal(0.0, 1.0), active).to_event(1))

The moves in ``inference.moves`` refill freed slots from a normal on the unconstrained
scale; a ``LogNormal(m, s)`` reference on a positive site is ``N(m, s²)`` on its log, which
is what a ``Program`` position holds — pass ``reference={"weights": (m, s)}`` to the move.
"""

import jax
import jax.numpy as jnp
from numpyro.distributions import Distribution
from numpyro.distributions.util import promote_shapes


class Padded(Distribution):
    """Elementwise ``prior`` where ``active`` and ``reference`` elsewhere.

    Args:
        prior: distribution of active slots, batch shape broadcastable to ``active.shape``.
        reference: proper density of inactive slots, same support and event shape.
        active: boolean ``[K_max]`` (or any batch shape): which slots are active.

    ``log_prob(value)`` has the broadcast batch shape; use ``.to_event(1)`` to make the
    padded array one site.
    """

    arg_constraints = {}
    pytree_data_fields = ("prior", "reference", "active")

    def __init__(self, prior: Distribution, reference: Distribution, active: jax.Array, *, validate_args=None):
        if prior.event_shape != reference.event_shape:
            raise ValueError(
                f"Padded: prior and reference need the same event shape, got {prior.event_shape} "
                f"and {reference.event_shape}"
            )
        if type(prior.support) is not type(reference.support):
            raise ValueError(
                f"Padded: prior and reference need the same support, got {prior.support} and {reference.support}"
            )
        batch_shape = jax.lax.broadcast_shapes(jnp.shape(active), prior.batch_shape, reference.batch_shape)
        (self.active,) = promote_shapes(jnp.asarray(active, bool), shape=batch_shape)
        self.prior, self.reference = prior.expand(batch_shape), reference.expand(batch_shape)
        super().__init__(batch_shape, prior.event_shape, validate_args=validate_args)

    @property
    def support(self):
        return self.prior.support

    def _mask(self, shape):
        return jnp.broadcast_to(self.active.reshape(self.active.shape + (1,) * len(self.event_shape)), shape)

    def sample(self, key, sample_shape=()):
        k_prior, k_ref = jax.random.split(key)
        a, b = self.prior.sample(k_prior, sample_shape), self.reference.sample(k_ref, sample_shape)
        return jnp.where(self._mask(a.shape), a, b)

    def log_prob(self, value):
        lp_prior, lp_ref = self.prior.log_prob(value), self.reference.log_prob(value)
        return jnp.where(jnp.broadcast_to(self.active, lp_prior.shape), lp_prior, lp_ref)
