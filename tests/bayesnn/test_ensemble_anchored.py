"""Randomise-then-optimise ensembles (``anchored=True``) against Bayesian linear regression.

For a linear model with known noise, the member ``argmax log p(θ − θ̃) + log p(y + σε | θ)``
with ``θ̃`` a prior draw is an exact posterior draw (Pearce et al., AISTATS 2020): its mean
and covariance are the closed form of DESIGN.md §7 (precision ΦᵀΦ/σ² + diag(1/s²)).
"""

import jax
import numpy as np
import pytest

import bayesnn
from bayesnn.ensemble import fit_ensemble
from bayesnn.fit import check_data


def test_anchored_members_are_posterior_draws_of_a_linear_model():
    bnn = bayesnn.BNN(bayesnn.MLP((), "erf"), noise=0.5)  # hidden=(): y = x W0 + b0
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(12, 2))
    y = x @ np.array([1.0, -0.5]) + 0.3 + 0.5 * rng.standard_normal(12)
    x, y, mask = check_data(x, y, None, bnn)
    values, _, _ = fit_ensemble(
        jax.random.PRNGKey(0),
        bnn,
        x,
        y,
        mask,
        num_members=2000,
        train_steps=1500,
        learning_rate=0.05,
        train_fraction=1.0,
        anchored=True,
    )
    draws = np.column_stack([np.asarray(values["W0"])[:, :, 0], np.asarray(values["b0"])[:, 0]])

    s_w = float(bnn.net.prior_std(0, 2, bnn.prior_scale))
    prior_var = np.array([s_w**2, s_w**2, bnn.bias_scale**2])
    phi = np.column_stack([np.asarray(x), np.ones(12)])
    cov = np.linalg.inv(phi.T @ phi / 0.25 + np.diag(1 / prior_var))
    mean = cov @ phi.T @ np.asarray(y) / 0.25
    sd = np.sqrt(np.diag(cov))
    # 2000 independent members: the mean's standard error is sd/√2000, the sd's relative one
    # √(1/(2·2000)) = 1.6%; tolerances are 5 standard errors.
    np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 5 * sd / np.sqrt(2000))
    np.testing.assert_allclose(draws.std(0), sd, rtol=5 * np.sqrt(1 / 4000))
    np.testing.assert_allclose(np.corrcoef(draws.T), cov / np.outer(sd, sd), atol=5 / np.sqrt(2000))


def test_anchoring_needs_a_fixed_gaussian_noise():
    with pytest.raises(ValueError, match="anchored=True"):
        bayesnn.fit(
            jax.random.PRNGKey(0),
            bayesnn.BNN(bayesnn.MLP((4,))),
            np.zeros((5, 1)),
            np.zeros(5),
            method="ensemble",
            anchored=True,
        )
