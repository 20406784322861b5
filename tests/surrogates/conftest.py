"""Shared data for the kernel-surrogate tests."""

import numpy as np
import pytest

# Fixed NNGP settings whose posterior the limits (Student-t α→∞, DKM ν→∞) must reproduce.
NNGP_OPTS = dict(depth=2, weight_var=2.0, bias_var=0.1, noise=1e-2, learn=False)


@pytest.fixture(scope="module")
def data():
    """16 training points of a smooth 2-D function (y standardised) and 6 query points."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(16, 2))
    y = np.sin(3 * X[:, 0]) + np.cos(2 * X[:, 1])
    return X, (y - y.mean()) / y.std(), rng.uniform(size=(6, 2))


def cube_gram(fn, A, B, *, depth, weight_var, bias_var, activation="relu", outputscale=1.0):
    """``kernels.CubeKernel`` by hand: ``outputscale · fn(A − ½, B − ½) / fn(u, u)``, ``u`` a typical
    centred point (every coordinate √(1/12)); ``fn`` is ``kernels.nngp`` or ``kernels.ntk``."""
    kw = dict(depth=depth, weight_var=weight_var, bias_var=bias_var, activation=activation)
    u = np.full((1, np.shape(A)[1]), np.sqrt(1 / 12))
    return outputscale * np.asarray(fn(np.asarray(A) - 0.5, np.asarray(B) - 0.5, **kw)) / float(fn(u, u, **kw)[0, 0])
