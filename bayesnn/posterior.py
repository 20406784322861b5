"""``BNNPosterior``: what ``bayesnn.fit`` returns, for every method.

A posterior is a pytree (an ``equinox.Module``), so the BO loop can hand it to one
jitted acquisition optimiser. ``predict`` and ``sample`` are about the latent function
f (the network output, logits for classification), not about noisy observations.

* ``SampledBNNPosterior``: a set of networks ``values[site]: [S, ...]`` — posterior draws
  (nuts, hmc, sghmc, sgld) or ensemble members — used as an equally weighted mixture.
* ``LinearizedBNNPosterior`` (laplace.py): a Gaussian over the parameters pushed through
  the network's linearisation (the GLM predictive).
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from inference._arviz import from_groups
from inference.posterior import ARVIZ_STAT_NAMES

from .bnn import BNN


class SampledBNNPosterior(eqx.Module):
    """Networks ``values: {site: [S, *shape]}`` (constrained scale) of one ``bnn``.

    ``method`` names how they were drawn; ``stats: {name: [chains, draws]}`` are the
    sampler's diagnostics (empty for an ensemble); ``num_chains`` splits ``S`` into
    chains for ArviZ; ``timings`` are seconds (host floats, not traced).
    """

    bnn: BNN = eqx.field(static=True)
    values: dict
    stats: dict
    method: str = eqx.field(static=True)
    num_chains: int = eqx.field(static=True, default=1)
    # Not static: a static field is part of the jit cache key, and seconds differ on every fit.
    timings: dict = eqx.field(default_factory=dict)

    def with_timings(self, timings: dict) -> "SampledBNNPosterior":
        """This posterior carrying ``timings`` (seconds, host floats)."""
        return dataclasses.replace(self, timings=dict(timings))

    @property
    def num_draws(self) -> int:
        return int(jax.tree.leaves(self.values)[0].shape[0])

    def latent_draws(self, x: jax.Array) -> jax.Array:
        """f at ``x: [m, d]`` under every network: ``[S, m]`` (``[S, m, classes]``)."""
        return jax.vmap(lambda v: self.bnn.latent(v, x))(self.values)

    def predict(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of f at ``x: [m, d]`` over the networks: ``([m], [m])``."""
        f = self.latent_draws(x)
        # A floor keeps log-variance acquisitions finite where every network agrees.
        return jnp.mean(f, axis=0), jnp.maximum(jnp.var(f, axis=0), 1e-12)

    def sample(self, key: jax.Array, x: jax.Array, num_samples: int) -> jax.Array:
        """``num_samples`` function draws at ``x: [m, d]``: ``[num_samples, m]``.

        Networks are picked uniformly (without replacement while there are enough), so
        for a fixed key every draw is one network and differentiable in ``x``.
        """
        S = self.num_draws
        idx = jax.random.choice(key, S, (num_samples,), replace=num_samples > S)
        picked = jax.tree.map(lambda v: v[idx], self.values)
        return jax.vmap(lambda v: self.bnn.latent(v, x))(picked)

    def noise_sd(self) -> jax.Array | None:
        """Draws of the observation-noise sd ``[S]`` (learned noise), the fixed value, or None."""
        if self.bnn.learns_noise:
            return self.values["noise"]
        return self.bnn.noise_sd(None)

    def to_arviz(self):
        """ArviZ's container (``InferenceData`` on 0.x, ``DataTree`` on 1.x): the posterior
        (``[chains, draws, ...]``) and the sampler's statistics."""
        chains = self.num_chains
        reshape = lambda v: np.asarray(v).reshape(chains, -1, *np.shape(v)[1:])  # noqa: E731
        groups = {"posterior": {k: reshape(v) for k, v in self.values.items()}}
        if self.stats:
            groups["sample_stats"] = {ARVIZ_STAT_NAMES.get(k, k): np.asarray(v) for k, v in self.stats.items()}
        return from_groups(groups, {"method": self.method, **{f"{k}_seconds": v for k, v in self.timings.items()}})
