"""The exact references of ``benchmarks/gold_references.py`` against plain Monte Carlo over the priors.

Both targets are Gaussian given two scalars, so p(y) = E_prior[N(y; 0 or μ, Σ(scalars))]: the
mean of the closed-form marginal likelihood over prior draws of the two scalars. The
quadrature's log p(y) must agree within 4 Monte Carlo standard errors (delta method on the
log of a mean), and its posterior means with the self-normalised Monte Carlo ones.
"""

import importlib.util
import pathlib

import numpy as np
from scipy.special import logsumexp

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("gold_references", ROOT / "benchmarks" / "gold_references.py")
refs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(refs)
N = 400_000


def check_log_evidence(log_lik, exact):
    """``log_lik: [N]`` per prior draw; |log mean exp − exact| < 4 SE, SE = sd(w) / (mean(w) √N)."""
    w = np.exp(log_lik - log_lik.max())
    estimate = logsumexp(log_lik) - np.log(len(log_lik))
    se = w.std() / (w.mean() * np.sqrt(len(w)))
    assert abs(estimate - exact) < 4 * se + 1e-4, (estimate, exact, se)
    return w / w.sum()


def test_eight_schools_evidence_and_mean():
    rng = np.random.default_rng(0)
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    mu, log_tau = rng.normal(0, 10, N)[:, None], rng.normal(5, 1, N)[:, None]
    var = sigma**2 + np.exp(2 * log_tau)
    log_lik = np.sum(-0.5 * np.log(2 * np.pi * var) - 0.5 * (y - mu) ** 2 / var, axis=1)
    mean, sd, log_z = refs.eight_schools()
    w = check_log_evidence(log_lik, log_z)
    mc_mu = w @ mu[:, 0]
    assert abs(mc_mu - mean[0]) < 4 * sd[0] / np.sqrt(1.0 / np.sum(w**2))  # Kish's effective size


def test_brownian_motion_evidence():
    rng = np.random.default_rng(1)
    obs = ~np.isnan(refs.OBSERVED_LOCS)
    t = len(refs.OBSERVED_LOCS)
    C = np.minimum.outer(np.arange(t), np.arange(t)) + 1.0
    lam, Q = np.linalg.eigh(C[np.ix_(obs, obs)])
    y_rot = Q.T @ refs.OBSERVED_LOCS[obs]
    log_a, log_b = rng.normal(0, 2, N)[:, None], rng.normal(0, 2, N)[:, None]
    var = np.exp(2 * log_a) * lam + np.exp(2 * log_b)
    log_lik = np.sum(-0.5 * np.log(2 * np.pi * var) - 0.5 * y_rot**2 / var, axis=1)
    check_log_evidence(log_lik, refs.brownian_motion()[2])
