"""Deep kernel machine (Yang et al., ICML 2023): the ν → ∞ NNGP limit and the objective (DESIGN.md §7)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates.dkm import DKM
from surrogates.kernel_gp import IBNN
from tests.surrogates.conftest import NNGP_OPTS

OPTS = NNGP_OPTS


@pytest.mark.parametrize("activation", ["relu", pytest.param("erf", marks=pytest.mark.slow)])
def test_infinite_nu_is_the_nngp(data, activation):
    # At ν = 1e8 the optimal Grams differ from the NNGP's by O(1/ν) (the likelihood's pull over
    # the KL's curvature ν), so posteriors agree to far better than the 1e-6 asked here.
    X, y, Xq = data
    opts = {**OPTS, "activation": activation}
    gm, gv = IBNN(**opts).fit(jax.random.PRNGKey(0), X, y).predict(Xq)
    post = surrogates.get("dkm", nu=1e8, **opts).fit(jax.random.PRNGKey(0), X, y)
    dm, dv = post.predict(Xq)
    np.testing.assert_allclose(dm, gm, atol=1e-6)
    np.testing.assert_allclose(dv, gv, rtol=1e-5)


def test_finite_nu_improves_on_its_nngp_initialisation(data):
    # At initialisation every KL is 0 and the objective is the NNGP log marginal likelihood;
    # with ν = 1 the Grams can follow the data, so the optimum must be strictly higher.
    X, y, _ = data
    X, y, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    model = DKM(nu=1.0, max_steps=50, **OPTS)
    init = {"hyper": model.init_params(), "grams": model.init_grams(len(y))}
    nngp_log_lik = IBNN(**OPTS).log_marginal(model.init_params(), X, y, mask)
    np.testing.assert_allclose(model.objective(init, X, y, mask), nngp_log_lik, rtol=1e-10)
    fitted = jax.jit(model.fit_params)(X, y, mask)
    assert model.objective(fitted, X, y, mask) > model.objective(init, X, y, mask) + 0.1


FINITE = DKM(nu=1.0, max_steps=30, **OPTS)


@pytest.fixture(scope="module")
def posterior(data):
    X, y, _ = data
    return FINITE.fit(jax.random.PRNGKey(0), X, y)


def test_padding_rows_are_ignored(data, posterior):
    X, y, Xq = data
    model = FINITE
    want = posterior.predict(Xq)
    Xp, yp = np.concatenate([X, np.full((4, 2), 0.3)]), np.concatenate([y, np.full(4, 50.0)])
    got = model.fit(jax.random.PRNGKey(0), Xp, yp, mask=np.arange(len(yp)) < len(y)).predict(Xq)
    # The padded problem runs the same L-BFGS on the same real-block objective (padded gradients
    # are exactly 0), but the matrices are larger, so rounding differs: agreement to 1e-6.
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)


def test_samples_have_the_predicted_moments(data, posterior):
    # 4000 draws: 5 standard errors on the mean and on the variance (√(2/4000) = 2.2%).
    _, _, Xq = data
    post = posterior
    mean, var = post.predict(Xq)
    assert np.all(var > 0)
    F = post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000)
    assert F.shape == (4000, len(Xq))
    assert np.all(np.abs(F.mean(0) - mean) < 5 * np.sqrt(var / 4000))
    np.testing.assert_allclose(F.var(0), var, rtol=5 * np.sqrt(2 / 4000))


def test_nu_is_validated():
    with pytest.raises(ValueError, match="nu"):
        DKM(nu=(1.0, 2.0, 3.0), depth=2)
    assert DKM(nu=(1.0, 10.0), depth=2)._nus() == (1.0, 10.0)
