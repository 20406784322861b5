"""The cross-validated recalibration (``surrogates.recalibration``) against closed forms."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import qmc

import surrogates
from surrogates import recalibration as R


class ConstantPosterior(eqx.Module):
    """Predicts ``N(mean, var)`` everywhere; joint draws are ``mean + sd·z`` per point (independent)."""

    mean: jax.Array
    var: jax.Array

    def predict(self, Xq):
        return jnp.full(Xq.shape[0], self.mean), jnp.full(Xq.shape[0], self.var)

    def sample(self, key, Xq, num_samples):
        return self.mean + jnp.sqrt(self.var) * jax.random.normal(key, (num_samples, Xq.shape[0]))


def training_mean(key, X, y, mask):
    """A "fit" with a closed-form held-out prediction: the mean of the training rows."""
    m = jnp.sum(jnp.where(mask, y, 0.0)) / jnp.sum(mask)
    return ConstantPosterior(m, jnp.asarray(0.5))


def test_fold_masks_partition_the_real_rows_only():
    mask = jnp.asarray(np.r_[np.ones(13, bool), np.zeros(3, bool)])
    held = np.asarray(R.fold_masks(jax.random.PRNGKey(0), mask, 4))
    assert held.shape == (4, 16)
    assert (held.sum(0) == np.r_[np.ones(13), np.zeros(3)]).all()  # each real row in exactly one fold
    assert sorted(held.sum(1)) == [3, 3, 3, 4]  # balanced


def test_folds_of_a_sobol_design_spread_over_the_cube():
    # Every 4th point of a Sobol sequence lies in one quadrant of the square; a fold must not.
    X = qmc.Sobol(2, scramble=True, seed=0).random(64)
    held = np.asarray(R.fold_masks(jax.random.PRNGKey(0), jnp.ones(64, bool), 4))
    for h in held:
        quadrants = {(int(a), int(b)) for a, b in (X[h] >= 0.5)}
        assert len(quadrants) == 4


@pytest.mark.parametrize("traced", [False, True])
def test_held_out_moments_are_the_complements_means(traced):
    rng = np.random.default_rng(0)
    y = jnp.asarray(rng.normal(size=12))
    mask = jnp.asarray(np.r_[np.ones(10, bool), np.zeros(2, bool)])
    X = jnp.zeros((12, 1))
    key = jax.random.PRNGKey(3)
    m, v = R.held_out_moments(training_mean, key, X, y, mask, 5, traced=traced)
    held = np.asarray(R.fold_masks(jax.random.fold_in(key, 5), mask, 5))
    expected = np.zeros(12)
    for h in held:
        train = np.asarray(mask) & ~h
        expected[h] = np.asarray(y)[train].mean()
    np.testing.assert_allclose(np.asarray(m), expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(v), 0.5 * np.asarray(mask), atol=1e-12)


@pytest.mark.parametrize(("shrink", "scale", "floor"), [(1.0, 1.0, 0.0), (0.6, 10.0, 0.05), (0.3, 0.1, 0.02)])
def test_recovers_a_known_miscalibration(shrink, scale, floor):
    # y ~ N(a·m, s²·v + c) on 4000 points: the MLE is within a grid step of the truth (the
    # grid: a by 0.1, log10 s² by 0.25, log10 c by 0.25). The sampling sd of each estimate at
    # n = 4000 is several times smaller than a grid step.
    rng = np.random.default_rng(1)
    n = 4000
    m, v = rng.normal(size=n), np.exp(rng.uniform(-3, 1, size=n))
    y = shrink * m + np.sqrt(scale * v + floor) * rng.normal(size=n)
    a, s2, c = (
        float(t) for t in R.fit_recalibration(jnp.asarray(m), jnp.asarray(v), jnp.asarray(y), jnp.ones(n, bool))
    )
    assert abs(a - shrink) <= 0.1 + 1e-9
    assert abs(np.log10(s2) - np.log10(scale)) <= 0.25 + 1e-9
    assert c <= 10**-3.75 if floor == 0 else abs(np.log10(c) - np.log10(floor)) <= 0.25 + 1e-9


def test_padding_rows_do_not_move_the_estimate():
    rng = np.random.default_rng(2)
    m, v, y = rng.normal(size=50), np.full(50, 0.2), rng.normal(size=50)
    mask = np.r_[np.ones(40, bool), np.zeros(10, bool)]
    y_pad = np.where(mask, y, 1e6)  # garbage in the padded rows
    padded = R.fit_recalibration(*(jnp.asarray(a) for a in (m, v, y_pad, mask)))
    plain = R.fit_recalibration(*(jnp.asarray(a[:40]) for a in (m, v, y)), jnp.ones(40, bool))
    assert [float(t) for t in padded] == [float(t) for t in plain]


def test_recalibrated_draws_have_the_recalibrated_moments():
    post = R.RecalibratedPosterior(ConstantPosterior(jnp.asarray(2.0), jnp.asarray(0.3)), 0.5, 4.0, 0.2)
    Xq = jnp.zeros((3, 1))
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(np.asarray(mean), 1.0)
    np.testing.assert_allclose(np.asarray(var), 4.0 * 0.3 + 0.2)
    draws = np.asarray(post.sample(jax.random.PRNGKey(0), Xq, 20000))
    # MC standard errors: sd/√S for the mean (0.0085), var·√(2/S) for the variance (0.014).
    assert np.all(np.abs(draws.mean(0) - 1.0) < 4 * np.sqrt(1.4 / 20000))
    assert np.all(np.abs(draws.var(0) - 1.4) < 4 * 1.4 * np.sqrt(2 / 20000))


def test_bad_folds_are_refused_by_name():
    with pytest.raises(ValueError, match="recalibration_folds"):
        surrogates.get("dkl", recalibration_folds=1)
    with pytest.raises(ValueError, match="recalibration_folds"):
        surrogates.get("ensemble", recalibration_folds=2.5)


def test_traced_fit_equals_the_eager_fit():
    # The compiled BO loop calls fit_traced (folds by lax.map); users call fit (folds in Python).
    X = jnp.asarray(np.random.default_rng(0).uniform(size=(16, 2)))
    y = jnp.sin(4 * X[:, 0]) - X[:, 1]
    y = (y - y.mean()) / y.std()
    model = surrogates.get("dkl", pretrain_steps=50, steps=50)
    eager = model.fit(jax.random.PRNGKey(0), X, y)
    traced = jax.jit(model.fit_traced)(jax.random.PRNGKey(0), X, y, jnp.ones(16, bool))
    for a, b in zip(eager.predict(X), traced.predict(X), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-9)
