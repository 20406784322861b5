"""``cross_validate``: closed-form leave-one-out against n refits, and K-fold's bookkeeping."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates.calibration import know_nothing_nll, predictive_metrics


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(14, 3))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2 - np.cos(3 * X[:, 2])
    return X, y


@pytest.mark.parametrize(
    "surrogate",
    [
        surrogates.get("gp", lengthscale=(0.4, 0.6, 0.5), noise=1e-3, learn=False),
        surrogates.get("ibnn", noise=1e-3, learn=False),
    ],
    ids=["gp", "ibnn"],
)
def test_closed_form_loo_equals_refitting_with_the_hyperparameters_held(points, surrogate):
    # Rasmussen & Williams eq. 5.12 is an identity of the Gaussian conditional; the two sides are
    # float64 solves of the same 14 x 14 system (condition ~1e4), so they agree to ~1e-12.
    X, y = points
    cv = surrogates.cross_validate(surrogate, X, y, folds="loo")
    assert cv.method == "closed-form leave-one-out"
    ys = (y - y.mean()) / y.std()
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        mean, var = surrogate.fit(None, X[keep], ys[keep]).predict(jnp.asarray(X[i : i + 1]))
        np.testing.assert_allclose(cv.mean[i], mean[0], atol=1e-8)
        np.testing.assert_allclose(cv.var[i], var[0], rtol=1e-8, atol=1e-10)
    want = predictive_metrics(cv.mean, cv.var, ys) | {"nll_know_nothing": know_nothing_nll(ys)}
    assert set(cv.metrics) == set(want)
    for name, value in want.items():
        np.testing.assert_equal(cv.metrics[name], value)  # NaN (top-10% rank with 1 point) equals NaN


def test_k_fold_holds_every_point_out_once(points):
    X, y = points
    surrogate = surrogates.get("gp", lengthscale=0.5, noise=1e-3, learn=False)
    cv = surrogates.cross_validate(surrogate, X, y, folds=4, key=jax.random.PRNGKey(1))
    assert cv.method == "4-fold" and sorted(np.bincount(cv.fold)) == [3, 3, 4, 4]
    ys = (y - y.mean()) / y.std()
    held = cv.fold == 2
    mean, var = surrogate.fit(None, X[~held], ys[~held]).predict(jnp.asarray(X[held]))
    np.testing.assert_allclose(cv.mean[held], mean, atol=1e-10)
    np.testing.assert_allclose(cv.var[held], var, rtol=1e-10)


def test_bad_arguments_are_named(points):
    X, y = points
    gp = surrogates.get("gp")
    with pytest.raises(ValueError, match="folds"):
        surrogates.cross_validate(gp, X, y, folds=1)
    with pytest.raises(ValueError, match="folds"):
        surrogates.cross_validate(gp, X, y, folds="kfold")
    with pytest.raises(ValueError, match=r"X must be \[n, d\]"):
        surrogates.cross_validate(gp, X, y[:-1])


def test_metrics_of_a_perfect_and_a_useless_predictor():
    # A mean equal to y covers every point with rmse 0 and rank correlation 1; the know-nothing
    # N(0, 1) on standard normal draws has the know-nothing NLL and covers ~95%.
    rng = np.random.default_rng(0)
    y = rng.standard_normal(20000)
    perfect = predictive_metrics(y, np.full_like(y, 1e-4), y)
    assert perfect["rmse"] == 0.0 and perfect["cover95"] == 1.0 and perfect["spearman"] == pytest.approx(1.0)
    useless = predictive_metrics(np.zeros_like(y), np.ones_like(y), y)
    assert useless["nll"] == pytest.approx(know_nothing_nll(y))
    # Binomial sd of a coverage over 20000 draws: √(.95·.05/20000) = 0.0015; 4 sd.
    assert abs(useless["cover95"] - 0.95) < 0.006 and abs(useless["cover50"] - 0.5) < 0.015
