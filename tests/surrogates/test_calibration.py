"""Surrogates judged by their held-out predictions (DESIGN.md §4, "Surrogate quality").

1. The exact-GP family on data from its own prior: coverage of held-out f is nominal and the
   fitted output scale is near the truth.
2. Every registered surrogate on a smooth 3-D function at n = 40: NLL below the know-nothing
   predictor's and 95% coverage in [0.80, 0.995]. Surrogates not calibrated yet (issue #15) are
   strict xfails: when one is fixed the test says so.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import qmc

import surrogates
from surrogates.calibration import know_nothing_nll, predictive_metrics
from surrogates.kernels import nngp
from tests.surrogates.conftest import cube_gram

TRUTH = dict(depth=3, weight_var=10.0, bias_var=1.3)


def prior_draw(seed: int, n_train: int, n_test: int, outputscale: float, noise: float):
    """f from the ``ibnn`` prior (``CubeKernel`` on the NNGP) at train and test inputs in [0, 1]³; noisy y."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n_train + n_test, 3))
    K = cube_gram(nngp, X, X, outputscale=outputscale, **TRUTH)
    f = np.linalg.cholesky(K + 1e-9 * np.eye(len(X))) @ rng.standard_normal(len(X))
    y = f[:n_train] + np.sqrt(noise) * rng.standard_normal(n_train)
    return X[:n_train], y, X[n_train:], f[n_train:]


def test_ibnn_on_its_own_prior_is_calibrated_and_recovers_the_output_scale():
    # 6 draws x 100 held-out points. Within a draw the held-out errors are correlated, so the
    # pooled coverage's spread is wider than binomial: measured sd over draws ≈ 0.04, so the
    # pooled sd is ≈ 0.04/√6 = 0.016; 3 sd around 0.95 (clipped at 1). The output scale of one
    # draw of 40 points is known to within its chi-square spread, √(2/40) ≈ 22%: a factor 2.
    covers, scales = [], []
    model = surrogates.get("ibnn")
    for seed in range(6):
        X, y, Xt, ft = prior_draw(seed, 40, 100, outputscale=2.0, noise=1e-3)
        params = model.fit_params(jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool))
        mean, var = model.condition(params, jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)).predict(Xt)
        covers.append(predictive_metrics(mean, var, ft)["cover95"])
        scales.append(float(jnp.exp(params["log_outputscale"])))
    assert abs(np.mean(covers) - 0.95) < 3 * 0.016, covers
    assert 1.0 < np.exp(np.mean(np.log(scales))) < 4.0, scales


NOT_YET = {
    "ntk": "under-confident here: 95% coverage 0.996, above the band (issue #15)",
    # Recalibrated from 4 folds of 30 points, whose held-out errors reach 1.1 while the fit on all
    # 40 has RMSE 0.13: the floor it learns (0.1) is too wide for the final fit.
    "dkl": "under-confident after recalibration: 95% coverage 0.998, above the band (issue #15)",
}


def smooth(X):
    return np.sin(3 * X[:, 0]) + (X[:, 1] - 0.4) ** 2 * 3 - np.cos(4 * X[:, 2]) * X[:, 0]


@pytest.fixture(scope="module")
def smooth_data():
    X = qmc.Sobol(3, seed=0).random(64)[:40]  # the first 40 of a balanced 64-point Sobol' set
    Xt = np.random.default_rng(1).uniform(size=(500, 3))
    y, yt = smooth(X), smooth(Xt)
    return X, (y - y.mean()) / y.std(), Xt, (yt - y.mean()) / y.std()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=NOT_YET[n], strict=True)) if n in NOT_YET else n
        for n in surrogates.names()
    ],
)
def test_every_surrogate_beats_know_nothing_and_covers(smooth_data, name):
    X, y, Xt, yt = smooth_data
    mean, var = surrogates.get(name).fit(jax.random.PRNGKey(0), X, y).predict(jnp.asarray(Xt))
    metrics = predictive_metrics(mean, var, yt)
    assert metrics["nll"] < know_nothing_nll(yt), metrics
    assert 0.80 <= metrics["cover95"] <= 0.995, metrics
