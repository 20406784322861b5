"""Inducing-point DKM (Yang et al., ICML 2023, sparse DKM; Titsias 2009 bound on the last layer).

Checks: every training point as a fixed inducing point is the exact DKM (objective and fit);
ν → ∞ is Titsias's sparse GP on the NNGP kernel, closed form, and close to the full NNGP GP;
the fit raises its own objective; padding rows and surplus inducing slots are ignored.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates
from surrogates.dkm import AUTO_MAX_EXACT, AUTO_NUM_INDUCING, DKM
from surrogates.dkm_sparse import SparseDKMPosterior, farthest_point_subset
from surrogates.kernels import nngp
from tests.surrogates.conftest import NNGP_OPTS, cube_gram

OPTS = NNGP_OPTS
# The same configuration as test_dkm.FINITE, so the two files share its compiled fit.
EXACT = DKM(nu=1.0, max_steps=30, **OPTS)
ALL_POINTS = DKM(nu=1.0, max_steps=30, num_inducing=16, learn_inducing=False, **OPTS)
SPARSE = DKM(nu=1.0, max_steps=30, num_inducing=8, **OPTS)


def random_grams(key, n: int, depth: int, scale: float = 0.1) -> list[dict]:
    """Grams away from the NNGP start, ``A = I + O(scale)``, so every term of the objective is exercised."""
    keys = jax.random.split(key, 2 * depth)
    normal = lambda i, shape: scale * jax.random.normal(keys[i], shape)  # noqa: E731
    return [{"strict": normal(2 * i, (n, n)), "log_diag": normal(2 * i + 1, (n,))} for i in range(depth)]


def test_all_points_as_inducing_points_is_the_exact_objective(data):
    # With Z = X, K_ti = K_ii, so G_ti = G_ii and the Titsias trace term is 0: the two objectives are
    # the same function. The sparse path forms K_ii⁻¹ (C, D of dkm_grams) where the exact one solves,
    # and its arccos differs from XLA's by an ulp or two, so they agree to rounding times cond(K_ii)
    # ≈ 1e-16 · 1e7 (the layers' K here): measured 1e-9 relative, asked 1e-8.
    X, y, _ = data
    X, y, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    params = {"hyper": EXACT.init_params(), "grams": random_grams(jax.random.PRNGKey(0), len(y), OPTS["depth"])}
    exact = jax.jit(EXACT.objective)(params, X, y, mask)
    init = ALL_POINTS.init_all(X, mask)
    # The farthest-point pick keeps X's order; inducing inputs live on the centred cube.
    np.testing.assert_array_equal(init["inducing"], X - 0.5)
    got = jax.jit(ALL_POINTS.objective)({**params, "inducing": X - 0.5}, X, y, mask)
    np.testing.assert_allclose(got, exact, rtol=1e-8)

    # Padding: 4 padded rows and num_inducing = 20 > 16 real rows, so 4 inducing slots are surplus.
    # Random entries between real and surplus slots must change nothing; the surplus block itself
    # sits at its KL optimum A = I, where the fit keeps it (its only gradient is the KL's).
    Xp, yp = jnp.concatenate([X, jnp.full((4, 2), 0.3)]), jnp.concatenate([y, jnp.full(4, 50.0)])
    maskp = jnp.arange(20) < 16
    padded = DKM(nu=1.0, num_inducing=20, **OPTS)
    Zp = padded.init_all(Xp, maskp)["inducing"]
    np.testing.assert_array_equal(Zp[:16], X - 0.5)
    grams_p = random_grams(jax.random.PRNGKey(1), 20, OPTS["depth"])
    for raw, raw_p in zip(params["grams"], grams_p, strict=True):
        raw_p["strict"] = raw_p["strict"].at[:16, :16].set(raw["strict"])
        raw_p["log_diag"] = raw_p["log_diag"].at[:16].set(raw["log_diag"])
        raw_p["strict"] = raw_p["strict"].at[16:, 16:].set(0.0)
        raw_p["log_diag"] = raw_p["log_diag"].at[16:].set(0.0)
    got = jax.jit(padded.objective)({"hyper": params["hyper"], "grams": grams_p, "inducing": Zp}, Xp, yp, maskp)
    np.testing.assert_allclose(got, exact, rtol=1e-8)


@pytest.fixture(scope="module")
def exact_posterior(data):
    X, y, _ = data
    return EXACT.fit(jax.random.PRNGKey(0), X, y)


@pytest.mark.slow  # 26 s + a 13 s exact fit; CI keeps the objective-level identity below
def test_all_points_as_inducing_points_is_the_exact_fit(data, exact_posterior):
    # Same objective, same start, same L-BFGS: the fits differ by rounding only, amplified over 30
    # steps; 1e-6 as in test_dkm's padding test. The joint covariance checks the m × m path too.
    X, y, Xq = data
    post = ALL_POINTS.fit(jax.random.PRNGKey(0), X, y)
    assert isinstance(post.inner, SparseDKMPosterior)
    mean, var = post.predict(Xq)
    want_mean, want_var = exact_posterior.predict(Xq)
    np.testing.assert_allclose(mean, want_mean, atol=1e-6)
    np.testing.assert_allclose(var, want_var, rtol=1e-5)
    np.testing.assert_allclose(post.covariance(Xq)[1], exact_posterior.covariance(Xq)[1], atol=1e-6)


def nngp_gram(a, b):
    """The kernel ``ibnn`` and the DKM at ν → ∞ use: the NNGP on the centred, normalised cube."""
    return cube_gram(nngp, a, b, **{k: OPTS[k] for k in ("depth", "weight_var", "bias_var")})


def titsias(X, y, Z, Xq, noise):
    """Titsias (2009) sparse GP on the NNGP kernel, by hand: bound (eq. 9), predictive mean and var (eq. 6)."""
    Kuu, Kuf, Kff, Kus = nngp_gram(Z, Z), nngp_gram(Z, X), nngp_gram(X, X), nngp_gram(Z, Xq)
    Qff = Kuf.T @ np.linalg.solve(Kuu, Kuf)
    cov = Qff + noise * np.eye(len(y))
    bound = -0.5 * (y @ np.linalg.solve(cov, y) + np.linalg.slogdet(cov)[1] + len(y) * np.log(2 * np.pi))
    bound -= 0.5 * np.trace(Kff - Qff) / noise
    Sigma = np.linalg.inv(Kuu + Kuf @ Kuf.T / noise)
    mean = Kus.T @ Sigma @ Kuf @ y / noise
    var = np.diag(nngp_gram(Xq, Xq)) - np.sum(Kus * np.linalg.solve(Kuu, Kus), 0) + np.sum(Kus * (Sigma @ Kus), 0)
    return bound, mean, var


def exact_gp(X, y, Xq, noise):
    """The full NNGP GP (Rasmussen & Williams eq. 2.25–2.26, 2.30): log marginal likelihood, mean, var."""
    cov = nngp_gram(X, X) + noise * np.eye(len(y))
    Ks = nngp_gram(X, Xq)
    log_lik = -0.5 * (y @ np.linalg.solve(cov, y) + np.linalg.slogdet(cov)[1] + len(y) * np.log(2 * np.pi))
    var = np.diag(nngp_gram(Xq, Xq)) - np.sum(Ks * np.linalg.solve(cov, Ks), 0)
    return log_lik, Ks.T @ np.linalg.solve(cov, y), var


def test_infinite_nu_is_the_sparse_nngp_gp(data):
    # ν = 1e8 pins every inducing Gram to K(G_{ℓ−1}) up to O(1/ν), and then the conditional of the
    # training and test points is the NNGP prior itself: the model is Titsias's sparse GP on the NNGP
    # kernel with 8 of the 16 points as inducing inputs, to the 1e-6 of test_dkm's ν → ∞ check.
    X, y, Xq = data
    model = DKM(nu=1e8, num_inducing=8, learn_inducing=False, **OPTS)
    post = model.fit(jax.random.PRNGKey(0), X, y)
    bound, want_mean, want_var = titsias(X, y, np.asarray(post.inner.Z) + 0.5, Xq, OPTS["noise"])
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(mean, want_mean, atol=1e-6)
    np.testing.assert_allclose(var, want_var, rtol=1e-5)

    # The bound is below the NNGP log marginal likelihood, by KL(q ‖ posterior) ≥ 0; with half the
    # points as inducing inputs the gap is a few nats and the posterior mean moves by a fraction of
    # its standard deviation (measured: gap 3.2 nats, ≤ 0.52 sd; asked: < 5 nats, < 0.75 sd).
    log_lik, gm, gv = exact_gp(X, y, Xq, OPTS["noise"])
    assert log_lik - 5.0 < bound < log_lik
    assert np.all(np.abs(mean - gm) < 0.75 * np.sqrt(gv + var))


@pytest.fixture(scope="module")
def learned(data):
    """``SPARSE``'s fitted parameters (8 learned inducing inputs, ν = 1) on the 16 data points."""
    X, y, _ = data
    return jax.jit(SPARSE.fit_params)(jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool))


def test_sparse_fit_improves_its_objective(data, learned):
    # At the start every KL is 0 and the objective is Titsias's bound on the NNGP at the farthest-point
    # inducing inputs (checked against the closed form); learning the Grams and the inducing inputs
    # must raise it well beyond L-BFGS's tolerance.
    X, y, _ = data
    X_, y_, mask = jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool)
    init = SPARSE.init_all(X_, mask)
    start = SPARSE.objective(init, X_, y_, mask)
    want = titsias(X, y, np.asarray(init["inducing"]) + 0.5, X[:1], OPTS["noise"])[0]
    np.testing.assert_allclose(start, want, rtol=1e-9)
    assert SPARSE.objective(learned, X_, y_, mask) > start + 1.0
    assert not np.allclose(learned["inducing"], init["inducing"])


def test_padding_rows_are_ignored(data, learned):
    # Padded rows are masked out of the farthest-point pick and of the bound (their gradients are
    # exactly 0), so the padded fit runs the same L-BFGS on the same objective; rounding differs with
    # the matrix sizes, so agreement to 1e-6, as in test_dkm.
    X, y, Xq = data
    Xp, yp = np.concatenate([X, np.full((4, 2), 0.3)]), np.concatenate([y, np.full(4, 50.0)])
    maskp = np.arange(len(yp)) < len(y)
    post = SPARSE.fit(jax.random.PRNGKey(0), Xp, yp, mask=maskp)
    want = SPARSE.condition(learned, jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool))
    np.testing.assert_allclose(post.inner.Z, want.inner.Z, atol=1e-6)
    np.testing.assert_allclose(post.predict(Xq)[0], want.predict(Xq)[0], atol=1e-6)
    np.testing.assert_allclose(post.predict(Xq)[1], want.predict(Xq)[1], rtol=1e-5)


def test_samples_have_the_predicted_moments(data, learned):
    # 4000 draws: 5 standard errors on the mean and on the variance (√(2/4000) = 2.2%).
    X, y, Xq = data
    post = SPARSE.condition(learned, jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y), bool))
    mean, var = post.predict(Xq)
    np.testing.assert_allclose(np.diag(post.covariance(Xq)[1]), var, rtol=1e-10)
    F = post.sample(jax.random.PRNGKey(1), jnp.asarray(Xq), 4000)
    assert F.shape == (4000, len(Xq))
    assert np.all(np.abs(F.mean(0) - mean) < 5 * np.sqrt(var / 4000))
    np.testing.assert_allclose(F.var(0), var, rtol=5 * np.sqrt(2 / 4000))


def test_farthest_point_subset_picks_distinct_real_rows():
    X = jnp.asarray(np.random.default_rng(0).uniform(size=(12, 3)))
    X = X.at[5].set(X[4])  # a duplicate is still a distinct row
    mask = jnp.arange(12) < 10
    Z, zmask = farthest_point_subset(X, mask, 10)
    np.testing.assert_array_equal(Z, X[:10])  # all real rows, in order, none of the padding
    assert zmask.all()
    Z, zmask = farthest_point_subset(X, mask, 4)
    rows = [int(np.flatnonzero((np.asarray(X) == np.asarray(z)).all(1))[0]) for z in Z]
    assert len(set(rows)) == 4 and max(rows) < 10 and zmask.all()
    assert farthest_point_subset(X, mask, 12)[1].sum() == 10  # two surplus slots


def test_options_are_validated_and_switch_automatically():
    for bad, error in [(0, ValueError), ("sparse", ValueError), (2.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="num_inducing"):
            surrogates.get("dkm", num_inducing=bad)
    with pytest.raises(TypeError, match="learn_inducing"):
        DKM(learn_inducing="yes")
    assert DKM().inducing_count(AUTO_MAX_EXACT) is None
    assert DKM().inducing_count(AUTO_MAX_EXACT + 1) == AUTO_NUM_INDUCING
    assert DKM(num_inducing=None).inducing_count(10**6) is None
    assert DKM(num_inducing=64).inducing_count(32) == 32
