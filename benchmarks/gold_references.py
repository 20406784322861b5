"""Exact posterior means and sds, by 2-D quadrature, for two inference-gym targets (#20).

Both models are conditionally Gaussian given two scalars, so the other latents integrate
out in closed form and a fine grid over the two scalars gives the posterior to many
digits, with no Monte Carlo error:

* **EightSchools** (centred; Rubin 1981, BDA3 §5.5): given the mean μ and log τ, the
  school effects are independent Gaussians, ``y_j ~ N(μ, σ_j² + τ²)``.
* **BrownianMotionUnknownScalesMissingMiddleObservations**: given the innovation scale a
  and the observation scale b, ``locs ~ N(0, a² C)`` with ``C_ij = min(i, j) + 1``, and the
  20 observed locations are ``N(0, a² C_oo + b² I)``. The gym's own ground truth for b is
  wrong (0.1011 ± 0.0444; exact 0.1127 ± 0.0375).

Vectors follow inference-gym's flattened order (``VectorModel``: sorted site names).
"""

import numpy as np
from scipy.special import logsumexp

GRID = 801


def _moments(log_weights, means, second_moments, log_cell, num_normals):
    """Posterior mean and sd from per-grid-point conditional moments (``[G, k]`` each), and
    log p(y): the grid's integral of ``log_weights`` (cell area ``exp(log_cell)``), which
    leave out the ``−½ log 2π`` of their ``num_normals`` Gaussian factors."""
    w = np.exp(log_weights - logsumexp(log_weights))
    mean = w @ means
    log_evidence = logsumexp(log_weights) + log_cell - 0.5 * num_normals * np.log(2 * np.pi)
    return mean, np.sqrt(np.maximum(w @ second_moments - mean**2, 0.0)), float(log_evidence)


def _log_normal_pdf(x, mean, sd):
    return -0.5 * ((x - mean) / sd) ** 2 - np.log(sd)


def eight_schools():
    """``(mean [10], sd [10], log p(y))`` of (avg_effect, log_stddev, school_effects[8])."""
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    mu_grid, log_tau_grid = np.linspace(-45, 55, GRID), np.linspace(-6, 7, GRID)
    log_cell = np.log((mu_grid[1] - mu_grid[0]) * (log_tau_grid[1] - log_tau_grid[0]))
    mu, log_tau = np.meshgrid(mu_grid, log_tau_grid, indexing="ij")
    mu, log_tau = mu.ravel()[:, None], log_tau.ravel()[:, None]
    tau2 = np.exp(2 * log_tau)
    marginal_var = sigma**2 + tau2  # [G, 8]
    log_w = (
        _log_normal_pdf(mu[:, 0], 0.0, 10.0)
        + _log_normal_pdf(log_tau[:, 0], 5.0, 1.0)
        - 0.5 * np.sum((y - mu) ** 2 / marginal_var + np.log(marginal_var), axis=1)
    )
    post_var = 1.0 / (1.0 / tau2 + 1.0 / sigma**2)
    post_mean = post_var * (mu / tau2 + y / sigma**2)
    means = np.concatenate([mu, log_tau, post_mean], axis=1)
    second = np.concatenate([mu**2, log_tau**2, post_mean**2 + post_var], axis=1)
    return _moments(log_w, means, second, log_cell, 2 + len(y))


OBSERVED_LOCS = np.array(
    [0.21592641, 0.118771404, -0.07945447, 0.037677474, -0.27885845, -0.1484156, -0.3250906, -0.22957903]
    + [-0.44110894, -0.09830782]
    + [np.nan] * 10
    + [-0.8786016, -0.83736074, -0.7384849, -0.8939254, -0.7774566, -0.70238715, -0.87771565, -0.51853573]
    + [-0.6948214, -0.6202789]
)


def brownian_motion():
    """``(mean [32], sd [32], log p(y))`` of (innovation_noise_scale, locs[30], observation_noise_scale)."""
    t = len(OBSERVED_LOCS)
    obs = ~np.isnan(OBSERVED_LOCS)
    y = OBSERVED_LOCS[obs]
    C = np.minimum.outer(np.arange(t), np.arange(t)) + 1.0
    lam, Q = np.linalg.eigh(C[np.ix_(obs, obs)])
    y_rot = Q.T @ y
    cross = C[:, obs] @ Q  # [30, 20]: Cov(locs, observed), rotated
    grid = np.linspace(-6, 2, GRID)
    log_a, log_b = np.meshgrid(grid, grid, indexing="ij")
    log_a, log_b = log_a.ravel(), log_b.ravel()
    a2, b2 = np.exp(2 * log_a)[:, None], np.exp(2 * log_b)[:, None]
    var = a2 * lam + b2  # [G, 20]: eigenvalues of a² C_oo + b² I
    # LogNormal(0, 2) priors; on the log scale, the density is N(0, 2²) (the Jacobian cancels).
    log_w = _log_normal_pdf(log_a, 0.0, 2.0) + _log_normal_pdf(log_b, 0.0, 2.0)
    log_w = log_w - 0.5 * np.sum(y_rot**2 / var + np.log(var), axis=1)
    a, b = np.exp(log_a)[:, None], np.exp(log_b)[:, None]
    loc_mean = a2 * ((y_rot / var) @ cross.T)  # [G, 30]
    loc_var = a2 * np.diag(C) - a2**2 * ((1.0 / var) @ (cross**2).T)
    means = np.concatenate([a, loc_mean, b], axis=1)
    second = np.concatenate([a**2, loc_mean**2 + loc_var, b**2], axis=1)
    return _moments(log_w, means, second, 2 * np.log(grid[1] - grid[0]), 2 + len(y))


REFERENCES = {"EightSchools": eight_schools, "BrownianMotionUnknownScalesMissingMiddleObservations": brownian_motion}
