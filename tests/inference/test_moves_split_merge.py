"""Richardson–Green split/merge: the automatic Jacobian against RG97's closed form, and Geweke's
"getting it right" joint-distribution test (Geweke 2004, JASA 99:799) of the whole
reversible-jump kernel on a padded 1-D Gaussian mixture."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp
from jax.scipy.stats import norm
from scipy.stats import chi2

import inference
from inference import kernels, moves

K_MAX = 4
LOG_VAR_LOC, LOG_VAR_SCALE = -1.0, 0.5
NUM_OBS = 5
SITES = ("weights", "means", "variances")


def mixture_moments(state, k):
    """``[Σ g, Σ g μ, Σ g (μ² + σ²)]`` over the first ``k`` components of a padded state."""
    g = np.exp(np.asarray(state["weights"][:k]))
    mu, var = np.asarray(state["means"][:k]), np.exp(np.asarray(state["variances"][:k]))
    return np.array([g.sum(), (g * mu).sum(), (g * (mu**2 + var)).sum()])


def test_jacobian_matches_richardson_green_closed_form():
    """RG97's Jacobian for a split of (g, μ, σ²) with (u1, u2, u3):
    |J| = g |μ1 − μ2| σ1² σ2² / (|u2| (1 − u2²) u3 (1 − u3) σ²), times the log/exp coordinate
    changes g σ² / (g1 g2 σ1² σ2²) of the unconstrained position."""
    x = {
        "k": jnp.asarray(2, jnp.int32),
        "weights": jnp.array([0.3, -0.2, 0.1, 0.5]),
        "means": jnp.array([1.0, 3.0, 0.0, 0.0]),
        "variances": jnp.array([0.2, -0.4, 0.0, 0.0]),
    }
    move = moves.split_merge()
    split = jax.jit(lambda x, u: moves.involution_with_log_det(move.involution, x, u))
    for i, j, v in [(1, 2, (0.3, -0.6, 0.7)), (2, 0, (0.8, 0.2, 0.1)), (0, 1, (0.5, 0.5, 0.5))]:
        u = {"split": jnp.int32(1), "i": jnp.int32(i), "j": jnp.int32(j), "v": jnp.array(v)}
        (x2, _), log_det = split(x, u)
        parent = j if i == 2 else i  # the split slot: i, or j when i is the new last slot
        g, mu, var = np.exp(x["weights"][parent]), x["means"][parent], np.exp(x["variances"][parent])
        u1, u2_, u3 = v
        g1, g2 = g * u1, g * (1 - u1)
        mu1, mu2 = mu - u2_ * np.sqrt(var * (1 - u1) / u1), mu + u2_ * np.sqrt(var * u1 / (1 - u1))
        var1, var2 = u3 * (1 - u2_**2) * var / u1, (1 - u3) * (1 - u2_**2) * var / (1 - u1)
        rg97 = g * abs(mu1 - mu2) * var1 * var2 / (abs(u2_) * (1 - u2_**2) * u3 * (1 - u3) * var)
        expected = np.log(rg97 * g * var / (g1 * g2 * var1 * var2))
        np.testing.assert_allclose(float(log_det), expected, rtol=1e-4)
        assert int(x2["k"]) == 3

        # the split matches moments: Σ g, Σ g μ and Σ g (μ² + σ²) over the active components
        np.testing.assert_allclose(mixture_moments(x2, 3), mixture_moments(x, 2), rtol=1e-5)
    # the merge of the children gives back the state
    moves.check_involution(move, x, u)


# -- Geweke's test ----------------------------------------------------------------------------


def slot_log_prior(x, active):
    """Active slots: g ~ Gamma(1, 1) (= Exp(1)), μ ~ N(0, 1), log σ² ~ N(-1, 0.5²), on the
    unconstrained scale (log g with its Jacobian); inactive slots: the reference N(0, 1)^3."""
    z_g, mu, z_var = x["weights"], x["means"], x["variances"]
    prior = (-jnp.exp(z_g) + z_g) + norm.logpdf(mu) + norm.logpdf(z_var, LOG_VAR_LOC, LOG_VAR_SCALE)
    reference = norm.logpdf(z_g) + norm.logpdf(mu) + norm.logpdf(z_var)
    return jnp.where(active, prior, reference).sum()


def log_likelihood(x, y, active):
    log_w = jnp.where(active, x["weights"], -jnp.inf)
    log_w = log_w - logsumexp(log_w)
    comp = norm.logpdf(y[:, None], x["means"], jnp.exp(0.5 * x["variances"]))  # [n, K_MAX]
    return logsumexp(log_w + jnp.where(active, comp, 0.0), axis=1).sum()


def log_joint(x, y):
    """log p(k, θ, y) on the padded space, k ~ Uniform{1..K_MAX}."""
    active = jnp.arange(K_MAX) < x["k"]
    return -jnp.log(K_MAX) + slot_log_prior(x, active) + log_likelihood(x, y, active)


def sample_prior(key):
    k_k, k_g, k_mu, k_var, k_ref = jax.random.split(key, 5)
    k = jax.random.randint(k_k, (), 1, K_MAX + 1, dtype=jnp.int32)
    active = jnp.arange(K_MAX) < k
    prior = {
        "weights": jnp.log(jax.random.exponential(k_g, (K_MAX,))),
        "means": jax.random.normal(k_mu, (K_MAX,)),
        "variances": LOG_VAR_LOC + LOG_VAR_SCALE * jax.random.normal(k_var, (K_MAX,)),
    }
    ref = dict(zip(SITES, jax.random.normal(k_ref, (3, K_MAX)), strict=True))
    return {"k": k, **{s: jnp.where(active, prior[s], ref[s]) for s in SITES}}


def sample_data(key, x):
    k_c, k_y = jax.random.split(key)
    active = jnp.arange(K_MAX) < x["k"]
    c = jax.random.categorical(k_c, jnp.where(active, x["weights"], -jnp.inf), shape=(NUM_OBS,))
    return x["means"][c] + jnp.exp(0.5 * x["variances"][c]) * jax.random.normal(k_y, (NUM_OBS,))


def successive_conditional(kernel, key, num_chains=2000, num_iterations=60, steps_per_iteration=4):
    """Geweke's successive-conditional simulator, ``num_chains`` independent replicates: start
    from an exact joint draw, then alternate ``steps_per_iteration`` kernel steps on θ | y and a
    fresh y | θ. If the kernel leaves p(θ | y) invariant, the final θ are exact prior draws."""

    def chain(key):
        k0, k1, k_run = jax.random.split(key, 3)
        x = sample_prior(k0)
        y = sample_data(k1, x)

        def iteration(carry, key):
            x, y = carry
            k_mcmc, k_y = jax.random.split(key)
            target = partial(log_joint, y=y)
            state = kernel.init(x, target)

            def step(state, key):
                return kernel.step(key, state, target)

            state, info = jax.lax.scan(step, state, jax.random.split(k_mcmc, steps_per_iteration))
            return (state.position, sample_data(k_y, state.position)), info.component_acceptance.mean(0)

        (x, _), acceptance = jax.lax.scan(iteration, (x, y), jax.random.split(k_run, num_iterations))
        return x, acceptance.mean(0)

    return jax.jit(jax.vmap(chain))(jax.random.split(key, num_chains))


def geweke_statistics(x):
    """χ² statistic of the k histogram against Uniform{1..K_MAX} (3 dof), and z-scores of the
    prior means of slot 0 (always active): E log g = −γ_Euler, E μ = 0, E log σ² = −1."""
    k = np.asarray(x["k"])
    counts = np.bincount(k, minlength=K_MAX + 1)[1:]
    expected = len(k) / K_MAX
    chi_sq = float(((counts - expected) ** 2 / expected).sum())
    z = {}
    for site, mean, sd in [
        ("weights", -np.euler_gamma, np.pi / np.sqrt(6)),  # log of an Exp(1) draw
        ("means", 0.0, 1.0),
        ("variances", LOG_VAR_LOC, LOG_VAR_SCALE),
    ]:
        values = np.asarray(x[site])[:, 0]
        z[site] = float((values.mean() - mean) / (sd / np.sqrt(len(values))))
    return chi_sq, z, counts / len(k)


def geweke_kernel(move):
    return kernels.cycle(kernels.mhg(move), kernels.rwmh(step_size=0.5, sites=SITES))


def test_split_merge_gets_it_right():
    x, acceptance = successive_conditional(geweke_kernel(moves.split_merge()), jax.random.PRNGKey(0))
    chi_sq, z, freq = geweke_statistics(x)
    # The final states of 2000 independent chains are i.i.d. prior draws if the kernel is right:
    # the k histogram is then multinomial and the χ²(3) statistic exceeds 16.3 with prob 0.001;
    # each mean's z-score is standard normal (4.5 sd: a joint false-alarm rate under 1e-4).
    assert chi_sq < chi2.ppf(0.999, K_MAX - 1), f"k frequencies {freq}, χ² = {chi_sq:.1f}"
    assert all(abs(v) < 4.5 for v in z.values()), z
    split_merge_acceptance = float(np.asarray(acceptance)[:, 0].mean())
    assert split_merge_acceptance > 0.05  # the move really jumps: k mixes over the iterations


@pytest.mark.slow
def test_geweke_detects_a_wrong_proposal_density():
    """Power check: a split/merge whose reverse density for splits is off by a factor of 2
    (what a missing ½ of the symmetric u2 would do) must fail the same test."""
    right = moves.split_merge()

    def wrong_aux(x2, u2):
        return right.aux_log_density(x2, u2) + jnp.where(u2["split"] == 1, jnp.log(2.0), 0.0)

    wrong = inference.Move(right.propose, right.involution, wrong_aux)
    x, _ = successive_conditional(geweke_kernel(wrong), jax.random.PRNGKey(0))
    chi_sq, _, freq = geweke_statistics(x)
    assert chi_sq > chi2.ppf(0.999, K_MAX - 1), f"k frequencies {freq}, χ² = {chi_sq:.1f}"
