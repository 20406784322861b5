"""Search-space encoding: reals, integers and categoricals through the unit cube."""

import numpy as np
import pytest

from surrogates.bo.space import Categorical, Integer, Real, Space


def test_mixed_round_trip_and_valid_decoding():
    space = Space((Real(-2.0, 3.0), Integer(1, 4), Categorical(3)))
    assert space.cube_dim == 5
    X = np.array([[-2.0, 1, 0], [0.5, 4, 2], [3.0, 2, 1]])
    np.testing.assert_allclose(space.from_unit(space.to_unit(X)), X)
    U = np.random.default_rng(0).uniform(size=(1000, 5))
    D = space.from_unit(U)
    assert set(np.unique(D[:, 1])) == {1, 2, 3, 4} and set(np.unique(D[:, 2])) == {0, 1, 2}
    # Integer cells have equal width: each value takes about a quarter of uniform draws (±4 SE).
    freq = np.bincount(D[:, 1].astype(int))[1:] / 1000
    assert np.all(np.abs(freq - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 1000))
    assert Space.from_json(space.to_json()) == space


@pytest.mark.parametrize(
    "bounds,match",
    [([[1.0, 0.0]], "bound"), ([[0.0, np.inf]], "bound"), (np.zeros((2, 3)), r"\[d, 2\]"), ([], "bounds")],
)
def test_bad_bounds_name_the_bounds(bounds, match):
    with pytest.raises(ValueError, match=match):
        Space.from_bounds(bounds)
