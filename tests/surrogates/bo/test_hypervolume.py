"""Exact hypervolume against hand-computed values and a Monte-Carlo estimate."""

import numpy as np

from surrogates.bo.hypervolume import hypervolume, pareto_mask


def test_two_dimensional_staircase():
    Y = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0]])  # the last point is dominated
    assert pareto_mask(Y).tolist() == [True, True, True, False]
    # Area under the staircase within [0, 4]²: 3·1 + 2·1 + 1·1 = 6.
    assert hypervolume(Y, np.array([4.0, 4.0])) == 6.0


def test_three_dimensional_against_monte_carlo():
    rng = np.random.default_rng(0)
    Y = rng.uniform(size=(15, 3))
    ref = np.ones(3)
    S = rng.uniform(size=(200000, 3))
    dominated = np.any(np.all(Y[None, :, :] <= S[:, None, :], axis=2), axis=1)
    p = dominated.mean()
    se = np.sqrt(p * (1 - p) / len(S))
    assert abs(hypervolume(Y, ref) - p) < 4 * se
