"""The DKM's Gram helpers: the series arccos, and the hand-written gradients against autodiff."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
from jax.test_util import check_grads

import surrogates  # noqa: F401  (float64)
from surrogates.dkm_grams import arccos, cross_map, gram, row_quadratic
from surrogates.kernels import layer_map


def test_arccos_is_accurate_to_a_few_ulp():
    # Reference: mpmath at 50 digits. XLA's own acos is within 1 ulp; the series is within 2 ulp
    # (measured on these points), which the relu map cannot tell from rounding of its other terms.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-1, 1, 400), 1 - 10.0 ** -rng.uniform(1, 16, 100), [-1.0, -0.5, 0.0, 0.5, 1.0]])
    x = np.concatenate([x, -x])
    with mpmath.workdps(50):
        want = np.array([float(mpmath.acos(mpmath.mpf(float(v)))) for v in x])
    ulps = np.abs(np.asarray(jax.jit(arccos)(jnp.asarray(x))) - want) / np.spacing(want)
    assert ulps.max() <= 3


def test_relu_cross_map_matches_layer_map_and_its_gradient():
    # Values: the same formula as kernels.layer_map, so rounding only. Gradients: the closed form
    # against central differences (check_grads, its default float64 tolerance), away from the clamp.
    rng = np.random.default_rng(1)
    B = rng.normal(size=(7, 3))
    G = jnp.asarray(B @ B.T + 0.5 * np.eye(7))
    k12, k11, k22 = G[:4, 4:], jnp.diag(G)[:4], jnp.diag(G)[4:]
    got = cross_map(k12, k11, k22, 2.0, 0.1, "relu")
    want = layer_map(k12, k11, k22, 2.0, 0.1, "relu")[:3]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-14)
    check_grads(lambda *a: cross_map(*a, "relu")[0], (k12, k11, k22, 2.0, 0.1), order=1, modes=["rev"])


def test_hand_written_gradients_match_autodiff():
    rng = np.random.default_rng(2)
    K = jnp.asarray(rng.normal(size=(9, 4)))
    D = rng.normal(size=(4, 4))
    D = jnp.asarray(D + D.T)
    check_grads(row_quadratic, (K, D), order=1, modes=["rev"])
    check_grads(gram, (K,), order=1, modes=["rev"])
    np.testing.assert_allclose(row_quadratic(K, D), jnp.diag(K @ D @ K.T), rtol=1e-13)
