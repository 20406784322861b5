"""``Posterior``: what ``inference.mcmc`` returns, and its ArviZ view."""

import dataclasses
from typing import Any

import jax
import numpy as np

from ._arviz import from_groups, summary

# inference names -> ArviZ's sample_stats conventions
ARVIZ_STAT_NAMES = {
    "acceptance_prob": "acceptance_rate",
    "diverging": "diverging",
    "energy": "energy",
    "step_size": "step_size",
    "num_steps": "n_steps",
    "log_density": "lp",
    "accepted": "accepted",
}


@dataclasses.dataclass(frozen=True)
class Posterior:
    """MCMC draws.

    Attributes:
        samples: ``{name: [chains, draws, *site_shape]}`` on the constrained scale
            (latent and deterministic sites), or the raw position for a log-density function.
        stats: ``{name: [chains, draws]}`` per-draw diagnostics: ``acceptance_prob``,
            ``accepted``, ``step_size``, ``log_density`` and, for HMC/NUTS,
            ``diverging``, ``energy``, ``num_steps``.
        positions: the unconstrained positions ``[chains, draws, ...]``.
        program: the ``Program`` sampled, or ``None`` for a log-density function.
        kernel: the kernel after warmup (tuned step size and inverse mass, per chain).
        timings: seconds spent compiling and running.
    """

    samples: dict[str, Any]
    stats: dict[str, Any]
    positions: Any
    program: Any = None
    kernel: Any = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def num_chains(self) -> int:
        return int(jax.tree.leaves(self.positions)[0].shape[0])

    @property
    def num_draws(self) -> int:
        return int(jax.tree.leaves(self.positions)[0].shape[1])

    def log_likelihood(self) -> dict[str, np.ndarray]:
        """``{observed site: [chains, draws, *obs_shape]}`` pointwise log-likelihoods."""
        if self.program is None:
            return {}
        fn = jax.jit(jax.vmap(jax.vmap(self.program.pointwise_log_likelihood)))
        return {k: np.asarray(v) for k, v in fn(self.positions).items()}

    def to_arviz(self):
        """ArviZ's container (``InferenceData`` on ArviZ 0.x, ``xarray.DataTree`` on 1.x) with
        posterior, sample_stats and, for a ``Program``, log_likelihood and observed_data groups."""
        stats = {ARVIZ_STAT_NAMES.get(k, k): np.asarray(v) for k, v in self.stats.items()}
        groups = {
            "posterior": {k: np.asarray(v) for k, v in self.samples.items()},
            "sample_stats": stats,
        }
        if self.program is not None:
            log_lik = self.log_likelihood()
            if log_lik:
                groups["log_likelihood"] = log_lik
            observed = {k: np.asarray(v) for k, v in self.program.observed_data().items()}
            if observed:
                groups["observed_data"] = observed
        return from_groups(groups)

    def summary(self, **kwargs):
        """``arviz.summary`` of the posterior (mean, sd, 94% HDI, ESS, R-hat) on either ArviZ major."""
        return summary(self.to_arviz(), **kwargs)
