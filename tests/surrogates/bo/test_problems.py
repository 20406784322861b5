"""Problem optima and bounds against published values (BoTorch ``test_functions``, Surjanovic & Bingham)."""

import math

import numpy as np
import pytest

from surrogates.bo import problems
from surrogates.bo.hypervolume import hypervolume

# (name, published minimiser, published minimum, published bounds of one coordinate)
KNOWN = [
    ("branin", [-math.pi, 12.275], 0.397887, None),
    ("branin", [math.pi, 2.275], 0.397887, None),
    ("branin", [9.42478, 2.475], 0.397887, None),
    ("hartmann3", [0.114614, 0.555649, 0.852547], -3.86278, (0, 1)),
    ("hartmann6", [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], -3.32237, (0, 1)),
    ("ackley10", [0.0] * 10, 0.0, (-32.768, 32.768)),
    ("levy10", [1.0] * 10, 0.0, (-10, 10)),
    ("rosenbrock4", [1.0] * 4, 0.0, (-5, 10)),
    ("styblinski_tang8", [-2.903534] * 8, -39.166166 * 8, (-5, 5)),
    ("michalewicz", [2.20290552, 1.57079633], -1.80130341, (0, math.pi)),
]


@pytest.mark.parametrize("name,x_star,f_star,box", KNOWN)
def test_published_optima(name, x_star, f_star, box):
    p = problems.get(name)
    assert p.dim == len(x_star) and p.num_objectives == 1
    assert abs(p.fun(np.array(x_star)) - f_star) < 1e-4 * max(1, abs(f_star))
    assert abs(p.optimum - f_star) < 1e-4 * max(1, abs(f_star))
    if box is not None:
        np.testing.assert_allclose(p.bounds, np.tile(box, (p.dim, 1)))
    # No random point beats the published optimum.
    rng = np.random.default_rng(0)
    X = p.bounds[:, 0] + rng.uniform(size=(500, p.dim)) * (p.bounds[:, 1] - p.bounds[:, 0])
    assert min(p.fun(x) for x in X) >= p.optimum - 1e-6


def test_branin_bounds_and_michalewicz_higher_dims():
    np.testing.assert_allclose(problems.get("branin").bounds, [[-5, 10], [0, 15]])
    assert problems.get("michalewicz5").optimum == pytest.approx(-4.687658)
    assert problems.get("michalewicz10").optimum == pytest.approx(-9.66015)


def test_names_with_a_trailing_dimension():
    assert problems.get("levy10").dim == 10
    assert problems.get("ackley").dim == 2
    assert problems.get("dtlz2_8").dim == 8
    with pytest.raises(ValueError, match="branin"):
        problems.get("no_such_problem")


def test_dtlz_fronts_and_max_hypervolume():
    """Points with the distance variables at ½ (g = 0) lie on the true front; a dense
    sample of it has nearly the published maximum hypervolume (from below)."""
    t = np.linspace(0, 1, 2001)
    for name in ["dtlz1", "dtlz2", "dtlz5"]:
        p = problems.get(name)
        X = np.column_stack([t, np.full((len(t), p.dim - 1), 0.5)])
        F = np.array([p.fun(x) for x in X])
        if name == "dtlz1":
            np.testing.assert_allclose(F.sum(1), 0.5, atol=1e-12)
        else:
            np.testing.assert_allclose((F**2).sum(1), 1.0, atol=1e-12)
        hv = hypervolume(F, p.ref_point)
        assert p.optimum - 1e-3 * p.optimum < hv <= p.optimum + 1e-9
    assert problems.get("dtlz2").optimum == pytest.approx(1.21 - math.pi / 4)


def test_branin_currin_hypervolume_of_a_dense_grid_approaches_botorch_max_hv():
    p = problems.get("branin_currin")
    np.testing.assert_allclose(p.ref_point, [18.0, 6.0])
    g = np.linspace(0, 1, 300)  # the grid HV approaches max_hv from below like 1/n (58.7 at 400)
    F = np.array([p.fun(np.array([a, b])) for a in g for b in g])
    hv = hypervolume(F, p.ref_point)
    assert 0.98 * p.optimum < hv <= p.optimum


def test_high_dimensional_draws_and_pest_control_are_deterministic():
    for name in ["bnn_draw30", "poly_draw30"]:
        p = problems.get(name)
        x = np.random.default_rng(0).uniform(size=p.dim)
        assert p.dim == 30 and p.fun(x) == problems.get(name).fun(x)
    p = problems.get("pest_control")
    assert p.kind == "mixed" and p.bounds.cube_dim == 125
    x = np.zeros(25)
    assert p.fun(x) == p.fun(x) and p.fun(x) > p.fun(np.full(25, 4))  # spraying beats doing nothing
