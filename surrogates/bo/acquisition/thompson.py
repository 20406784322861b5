"""Thompson sampling (Thompson 1933; Kandasamy et al. 2018 for batches): a configuration, not a value.

It has no acquisition value to maximise; ``bo.proposal.thompson`` draws its points (the argmins
of q joint posterior draws over ``num_candidates`` shifted-Sobol candidates).
"""

import dataclasses
from typing import ClassVar

from .base import Acquisition


@dataclasses.dataclass(frozen=True)
class ThompsonSampling(Acquisition):
    """Batch Thompson sampling over ``num_candidates`` candidates (``bo.proposal.thompson``)."""

    num_candidates: int = 1024
    max_batch: ClassVar[int | None] = None

    def __call__(self, posterior, U, ctx):
        raise TypeError("Thompson sampling proposes points directly; it has no acquisition value")
