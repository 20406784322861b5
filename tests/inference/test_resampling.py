"""Resampling schemes: the evidence (total weight) is unchanged and offspring counts are
unbiased, E[#copies of i] = N·Wᵢ."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp

import inference
from inference.resampling import SCHEMES, resample_indices


@pytest.mark.parametrize("scheme", SCHEMES)
def test_total_weight_is_preserved(scheme):
    key = jax.random.PRNGKey(0)
    logw = jax.random.normal(key, (257,)) * 3.0
    particles = inference.Particles(jnp.arange(257.0)[:, None], logw, jnp.asarray(-1.5))
    out = inference.resample(jax.random.PRNGKey(1), particles, scheme)
    assert float(logsumexp(out.log_weights)) == pytest.approx(float(logsumexp(logw)), abs=1e-10)
    assert float(out.total_log_evidence) == pytest.approx(float(particles.total_log_evidence), abs=1e-10)
    assert float(jnp.ptp(out.log_weights)) == 0.0


@pytest.mark.parametrize("scheme", SCHEMES)
def test_offspring_counts_are_unbiased(scheme):
    """Average copies over R repetitions; each count has variance <= N·Wᵢ(1−Wᵢ) (multinomial is
    the worst case), so the mean over R has sd <= sqrt(N·W·(1−W)/R): test at 5 sd."""
    n, reps = 20, 4000
    w = np.random.default_rng(0).dirichlet(np.ones(n))
    logw = jnp.log(jnp.asarray(w))
    keys = jax.random.split(jax.random.PRNGKey(3), reps)
    idx = np.asarray(jax.vmap(lambda k: resample_indices(k, logw, scheme))(keys))
    counts = np.stack([(idx == i).sum(1) for i in range(n)], 1).mean(0)
    sd = np.sqrt(n * w * (1 - w) / reps)
    assert np.all(np.abs(counts - n * w) < 5 * sd + 1e-9)


def test_low_variance_schemes_keep_floor_copies():
    """Systematic and residual resampling give each particle floor(N·Wᵢ) or more copies."""
    n = 50
    w = np.random.default_rng(1).dirichlet(np.ones(n) * 0.5)
    for scheme in ["systematic", "residual"]:
        idx = np.asarray(resample_indices(jax.random.PRNGKey(0), jnp.log(jnp.asarray(w)), scheme))
        counts = np.bincount(idx, minlength=n)
        assert np.all(counts >= np.floor(n * w))


def test_unknown_scheme_is_rejected():
    p = inference.Particles(jnp.zeros((3, 1)), jnp.zeros(3), jnp.zeros(()))
    with pytest.raises(ValueError, match="resampling scheme"):
        inference.resample(jax.random.PRNGKey(0), p, "bogus")


def test_ess_normalize_and_spawn():
    logw = jnp.log(jnp.array([1.0, 1.0, 2.0]))
    assert float(inference.ess(logw)) == pytest.approx(16 / 6)
    p = inference.normalize(inference.Particles(jnp.zeros((3, 2)), logw, jnp.zeros(())))
    assert float(logsumexp(p.log_weights) - jnp.log(3)) == pytest.approx(0.0, abs=1e-12)
    assert float(p.log_evidence) == pytest.approx(np.log(4 / 3))
    s = inference.spawn(p, copies=2)
    assert s.num_particles == 6
    assert float(s.total_log_evidence) == pytest.approx(float(p.total_log_evidence))
