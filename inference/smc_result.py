"""``SMCResult``: what ``smc`` and ``importance`` return, and its ArviZ view."""

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._arviz import from_groups
from .particles import Particles
from .resampling import resample


@dataclasses.dataclass(frozen=True)
class SMCResult:
    """What ``smc`` and ``importance`` return.

    Attributes:
        particles: the final weighted ``Particles`` (unconstrained positions ``[N, ...]``).
        log_evidence: the estimate of log p(y) (a float).
        samples: ``{name: [N, *site_shape]}`` constrained, equally weighted (resampled
            if the final weights are not already equal).
        history: per step ``ess``, ``level`` (temperature), ``acceptance``, ``resampled``
            and ``step_size``, as numpy arrays of length ``num_steps``.
        timings: seconds spent compiling and running.
    """

    particles: Particles
    log_evidence: float
    samples: dict[str, Any]
    history: dict[str, np.ndarray]
    program: Any = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def num_steps(self) -> int:
        return int(self.history["level"].shape[0]) if self.history else 0

    def to_arviz(self):
        """ArviZ's container (``InferenceData`` on 0.x, ``DataTree`` on 1.x) with the equally
        weighted particles as one chain, their log weights in sample_stats, and the log
        evidence and number of SMC steps in ``attrs``."""
        posterior = {k: np.asarray(v)[None] for k, v in self.samples.items()}
        attrs = {"log_evidence": float(self.log_evidence), "num_smc_steps": self.num_steps}
        stats = {"log_weight": np.asarray(self.particles.log_weights)[None]}
        return from_groups({"posterior": posterior, "sample_stats": stats}, attrs)


def equal_weight_samples(key, program, particles):
    if float(jnp.ptp(particles.log_weights)) > 0:
        particles = resample(key, particles, "systematic")
    if program is None:
        return particles.position if isinstance(particles.position, dict) else {"x": particles.position}
    return jax.jit(jax.vmap(program.constrain))(particles.position)


def check_population(particles: Particles, history: dict, path_max_steps: int, reached: bool):
    """Turn a failed run into a clear error instead of NaN results."""
    dead = np.flatnonzero(~np.isfinite(history["ess"]) | (history["ess"] <= 0))
    if dead.size:
        raise ValueError(
            f"every particle has zero weight at step {int(dead[0]) + 1}: the next target has no mass where "
            "the particles are (check the model, the data and the kernel)"
        )
    if not reached:
        raise ValueError(
            f"SMC did not reach the posterior (level 1) within max_steps={path_max_steps}; "
            "use more particles, more mutation steps or a larger max_steps"
        )
