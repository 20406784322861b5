"""Pest control: a categorical problem with 25 stages × 5 choices (Oh et al., "Combinatorial
Bayesian optimization using the graph Cartesian product" (COMBO), NeurIPS 2019).

At each stage one either does nothing (0) or applies one of four pesticides
(1–4) that differ in price, effectiveness, volume discount and how fast the pest
develops tolerance. The cost is the money spent plus the expected number of
stages where the infested fraction exceeds 0.1, over 100 simulated trajectories.
Our simulator follows COMBO's; the random numbers come from one generator seeded
per call, so ``fun`` is deterministic. The minimum is unknown (COMBO reports ≈12).
"""

import numpy as np

_PRICE = {1: 1.0, 2: 0.8, 3: 0.7, 4: 0.5}
_MAX_DISCOUNT = {1: 0.2, 2: 0.3, 3: 0.3, 4: 0.0}
_TOLERANCE_RATE = {1: 1.0 / 7.0, 2: 2.5 / 7.0, 3: 2.0 / 7.0, 4: 0.5 / 7.0}
_CONTROL_BETA = {1: 2.0 / 7.0, 2: 3.0 / 7.0, 3: 3.0 / 7.0, 4: 5.0 / 7.0}


def pest_control(x, seed: int = 0, num_simulations: int = 100, threshold: float = 0.1) -> float:
    """Cost of the schedule ``x: [stages]`` with entries in ``{0, …, 4}``."""
    x = np.asarray(np.rint(x), int)
    stages = x.shape[0]
    rng = np.random.default_rng(seed)
    control_beta = dict(_CONTROL_BETA)
    pests = rng.beta(1.0, 30.0, size=num_simulations)
    cost = 0.0
    for choice in x:
        spread = rng.beta(1.0, 17.0 / 3.0, size=num_simulations)
        cost += np.mean(pests > threshold)
        if choice > 0:
            control = rng.beta(1.0, control_beta[choice], size=num_simulations)
            pests = (1.0 - control) * pests
            control_beta[choice] += _TOLERANCE_RATE[choice] / stages  # tolerance develops
            cost += _PRICE[choice] * (1.0 - _MAX_DISCOUNT[choice] / stages * np.sum(x == choice))
        else:
            pests = spread * (1.0 - pests) + pests
    return float(cost)
