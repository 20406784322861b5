"""Acquisition values against closed forms and Monte-Carlo limits."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

import surrogates
from surrogates.bo import acquisition
from surrogates.bo.acquisition import Context, log_h


def ei_reference(mean, sigma, best):
    """EI for minimisation, float64 numpy: σ (zΦ(z) + φ(z)), z = (best − μ)/σ (Jones et al. 1998)."""
    z = (best - mean) / sigma
    return sigma * (z * norm.cdf(z) + norm.pdf(z))


def test_log_h_equals_log_of_ei_where_ei_is_representable():
    z = np.linspace(-30, 8, 4001)
    h = ei_reference(-z, 1.0, 0.0)  # σ = 1, best − μ = z
    ok = h > 1e-10  # below that the reference itself cancels catastrophically
    np.testing.assert_allclose(np.asarray(log_h(jnp.asarray(z[ok]))), np.log(h[ok]), rtol=1e-12, atol=1e-12)


def test_log_h_is_finite_and_increasing_far_below():
    z = -np.logspace(0, 12, 500)[::-1]
    value = np.asarray(log_h(jnp.asarray(z)))
    grad = np.asarray(jax.vmap(jax.grad(log_h))(jnp.asarray(z)))
    assert np.all(np.isfinite(value)) and np.all(np.diff(value) > 0)
    assert np.all(np.isfinite(grad)) and np.all(grad > 0)
    # Asymptotically log h(z) = −z²/2 − log √(2π) − 2 log|z| + O(z⁻²).
    far = z < -1e3
    asym = -0.5 * z[far] ** 2 - 0.5 * np.log(2 * np.pi) - 2 * np.log(-z[far])
    # The O(z⁻²) remainder is −3/z² + O(z⁻⁴); allow it plus float64 rounding of the huge values.
    assert np.all(np.abs(value[far] - asym) <= 3.5 / z[far] ** 2 + 4e-16 * np.abs(asym))


def test_log_h_matches_high_precision_reference():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    z = np.concatenate([np.linspace(-200, 5, 300), -np.logspace(2.5, 6, 30)])
    want = np.array([float(mpmath.log(mpmath.npdf(v) + v * mpmath.ncdf(v))) for v in z])
    np.testing.assert_allclose(np.asarray(log_h(jnp.asarray(z))), want, rtol=1e-13)


class FixedPosterior:
    """A posterior with given marginals at any point (for testing acquisitions alone)."""

    def __init__(self, mean, var):
        self.m, self.v = jnp.asarray(mean), jnp.asarray(var)

    def predict(self, U):
        return jnp.full(U.shape[0], self.m), jnp.full(U.shape[0], self.v)

    def sample(self, key, U, n):
        return self.m + jnp.sqrt(self.v) * jax.random.normal(key, (n, U.shape[0]))


def ctx(best):
    return Context(jnp.asarray(best), jnp.zeros((1, 1)), jnp.ones(1, bool), jax.random.PRNGKey(0))


@pytest.mark.parametrize("mean,var,best", [(0.3, 0.04, 0.0), (-1.0, 1.0, 0.5), (2.0, 0.25, 0.0)])
def test_analytic_acquisitions_match_closed_forms(mean, var, best):
    post, U, c = FixedPosterior(mean, var), jnp.zeros((1, 1)), ctx(best)
    sigma = np.sqrt(var)
    ei = ei_reference(mean, sigma, best)
    np.testing.assert_allclose(acquisition.get("ei")(post, U, c), ei, rtol=1e-10)
    np.testing.assert_allclose(acquisition.get("logei")(post, U, c), np.log(ei), rtol=1e-10)
    np.testing.assert_allclose(acquisition.get("pi")(post, U, c), norm.logcdf((best - mean) / sigma), rtol=1e-10)
    np.testing.assert_allclose(acquisition.get("ucb", beta=4.0)(post, U, c), -mean + 2 * sigma, rtol=1e-12)


def test_qlogei_with_one_point_converges_to_ei():
    """exp(qLogEI) is a Monte-Carlo mean of improvements: within 4 standard errors of EI
    (the smoothing temperatures add a bias of order τ = 1e-6, far below the MC error)."""
    post, U, c = (
        FixedPosterior(
            0.2,
            0.09,
        ),
        jnp.zeros((1, 1)),
        ctx(0.0),
    )
    S = 20000
    qlogei = acquisition.get("qlogei", num_samples=S)(post, U, c)
    draws = np.asarray(post.sample(c.key, U, S))[:, 0]
    se = np.std(np.maximum(0.0 - draws, 0)) / np.sqrt(S)
    assert abs(np.exp(float(qlogei)) - ei_reference(0.2, 0.3, 0.0)) < 4 * se


def test_unknown_acquisition_lists_names():
    with pytest.raises(ValueError, match="logei"):
        acquisition.get("nope")


def test_thompson_sampling_picks_the_minimiser_of_a_confident_posterior():
    """A GP fitted to many exact observations of (x − 0.3)² is nearly certain; every draw's
    minimiser is then within the candidate spacing of 0.3."""
    X = np.linspace(0, 1, 40)[:, None]
    y = (X[:, 0] - 0.3) ** 2
    post = surrogates.get("gp").fit(None, X, (y - y.mean()) / y.std())
    U = acquisition.get("thompson", num_candidates=256).propose(jax.random.PRNGKey(0), post, ctx(-1.0), 3, 1)
    assert U.shape == (3, 1)
    np.testing.assert_allclose(np.asarray(U)[:, 0], 0.3, atol=0.02)
