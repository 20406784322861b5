"""Deep kernel learning (Wilson et al. 2016): a GP on learned features, trained by marginal likelihood."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates.dkl import DKL

# The plain DKL fit (its recalibration is tested in test_recalibration.py).
MODEL = DKL(hidden=(16, 16), pretrain_steps=100, steps=100, recalibration_folds=None)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    f = lambda X: np.sin(3 * X[:, 0]) + np.cos(2 * X[:, 1])  # noqa: E731
    X, Xq = rng.uniform(size=(30, 2)), rng.uniform(0.1, 0.9, size=(20, 2))
    return X, (f(X) - f(X).mean()) / f(X).std(), Xq, (f(Xq) - f(X).mean()) / f(X).std()


@pytest.fixture(scope="module")
def posterior(data):
    X, y, _, _ = data
    return MODEL.fit(jax.random.PRNGKey(0), X, y)


def test_registered_and_learns_a_smooth_function(data, posterior):
    # A GP on the raw inputs reaches RMSE ≈ 0.01 here; 0.1 leaves room for the learned features.
    assert isinstance(surrogates.get("dkl"), DKL)
    _, _, Xq, yq = data
    mean, var = posterior.predict(Xq)
    assert np.sqrt(np.mean((mean - yq) ** 2)) < 0.1 and np.all(var > 0)


def test_joint_training_raises_the_marginal_likelihood(data, posterior):
    # The joint Adam phase starts at the pretrained MLP with unit lengthscales and noise 1e-2.
    X, y, _, _ = data
    X, y, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    fitted = {
        "net": posterior.net,
        "log_lengthscale": jnp.log(posterior.gp.lengthscale),
        "log_noise": jnp.log(posterior.gp.noise - MODEL.min_noise),
    }
    start = {**fitted, "log_lengthscale": jnp.zeros(2), "log_noise": jnp.log(1e-2)}
    loss = jax.jit(MODEL.loss)
    assert loss(fitted, X, y, mask) < loss(start, X, y, mask)
    np.testing.assert_allclose(posterior.gp.X, posterior.mlp.apply(posterior.net, X), rtol=1e-12)


@pytest.mark.slow  # a second compilation (new shape) of the whole fit: ~15 s
def test_padding_rows_are_ignored(data, posterior):
    # Padded rows have zero weight in both losses, so Adam follows the same path up to rounding.
    X, y, Xq, _ = data
    Xp, yp = np.concatenate([X, np.full((2, 2), 0.5)]), np.concatenate([y, np.full(2, 40.0)])
    got = MODEL.fit(jax.random.PRNGKey(0), Xp, yp, mask=np.arange(len(yp)) < len(y)).predict(Xq)
    want = posterior.predict(Xq)
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-9)


def test_samples_have_the_predicted_moments(data, posterior):
    _, _, Xq, _ = data
    mean, var = posterior.predict(Xq)
    F = posterior.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000)
    assert F.shape == (4000, len(Xq))
    assert np.all(np.abs(F.mean(0) - mean) < 5 * np.sqrt(var / 4000))
