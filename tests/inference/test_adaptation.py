"""Warmup adaptation: dual averaging, Welford variances, Stan's windows, the adapted mass.

* Dual averaging is run on random-walk Metropolis for N(0, 1), whose mean acceptance at
  proposal scale s is exactly ``(2/π) arctan(2/s)`` (Gelman, Roberts & Gilks 1996); the
  final averaged step size must give the target acceptance. Over 32 independent runs the
  mean acceptance must be within 4 standard errors (their spread / √32) of the target.
* Welford's variance is compared with numpy to 1e-12, with Stan's regularisation
  ``n/(n+5) var + 1e-3 · 5/(n+5)``.
* The windows for 1000 warmup steps are Stan's: a 75-step initial buffer, slow windows of
  25, 50, 100, 200 and 500 steps ending at step 950, a 50-step terminal buffer.
* The inverse mass adapted by ``mcmc`` on a Gaussian with scales (0.1, 1, 10) matches the
  variances: it is a sample variance over the last 500-step window, whose relative
  standard error is about √(2/500) = 0.063 for independent draws; we allow 4 of them.
"""

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np

import inference
from inference import adaptation, kernels

Z_MAX = 4.0


def standard_normal(x):
    return -0.5 * jnp.sum(x**2)


def rwmh_acceptance(scale):
    """Mean acceptance of random-walk Metropolis with N(0, s²) proposals on N(0, 1)."""
    return 2 / np.pi * np.arctan(2 / scale)


def test_rwmh_acceptance_formula_matches_simulation():
    """The closed form used below, checked against 200000 simulated proposals (binomial-free:
    the mean of min(1, ratio) has SE sd/√n)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=200_000)
    proposal = x + 2.4 * rng.normal(size=x.size)
    accept = np.minimum(1.0, np.exp(-0.5 * (proposal**2 - x**2)))
    assert abs(accept.mean() - rwmh_acceptance(2.4)) < Z_MAX * accept.std() / np.sqrt(x.size)


def test_dual_averaging_reaches_the_target_acceptance():
    target, num_steps, num_runs = 0.44, 2000, 32

    def run(key):
        k_init, k_steps = jax.random.split(key)
        kernel = kernels.rwmh(step_size=0.1)
        state = kernel.init(jax.random.normal(k_init, (1,)), standard_normal)

        def body(carry, key):
            state, da = carry
            state, info = kernel.tuned(step_size=jnp.exp(da.log_step)).step(key, state, standard_normal)
            return (state, adaptation.dual_averaging_update(da, info.acceptance_prob, target)), None

        (_, da), _ = jax.lax.scan(
            body, (state, adaptation.dual_averaging_init(0.1)), jax.random.split(k_steps, num_steps)
        )
        return jnp.exp(da.log_step_avg)

    scales = np.asarray(jax.jit(jax.vmap(run))(jax.random.split(jax.random.PRNGKey(0), num_runs)))
    acceptance = rwmh_acceptance(scales)
    se = acceptance.std() / np.sqrt(num_runs)
    assert abs(acceptance.mean() - target) < Z_MAX * se + 1e-3, (acceptance.mean(), se)
    # Single runs scatter with sd ≈ 0.02 (the spread over these runs); none may be 5 sd off.
    assert np.all(np.abs(acceptance - target) < 0.1), acceptance
    # 0.44 is the optimal 1-D acceptance; its scale is the classic 2.4 σ.
    assert abs(np.median(scales) - 2 / np.tan(np.pi * target / 2)) < 0.25


def test_dual_averaging_moves_the_step_size_the_right_way():
    """One update from ε₀ = 1: log ε₁ = μ − (h̄₁ / γ) with μ = log 10, h̄₁ = (δ − α)/(1 + t₀)
    (Hoffman & Gelman 2014, eq. 6), so a rejection gives a smaller step than an acceptance."""
    da = adaptation.dual_averaging_init(1.0)
    rejected = float(adaptation.dual_averaging_update(da, 0.0, 0.8).log_step)
    accepted = float(adaptation.dual_averaging_update(da, 1.0, 0.8).log_step)
    assert abs(rejected - (np.log(10) - 0.8 / 11 / 0.05)) < 1e-12
    assert abs(accepted - (np.log(10) + 0.2 / 11 / 0.05)) < 1e-12
    assert float(adaptation.dual_averaging_update(da, jnp.nan, 0.8).log_step) == rejected  # NaN counts as a rejection


def test_welford_matches_numpy_with_stan_regularisation():
    x = np.random.default_rng(1).normal(size=(50, 3)) * np.array([0.1, 1.0, 10.0])
    state = adaptation.welford_init(3)
    for row in x:
        state = adaptation.welford_update(state, jnp.asarray(row))
    n = len(x)
    np.testing.assert_allclose(state.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(state.m2 / (n - 1), x.var(0, ddof=1), rtol=1e-12)
    expected = n / (n + 5) * x.var(0, ddof=1) + 1e-3 * 5 / (n + 5)
    np.testing.assert_allclose(adaptation.welford_variance(state), expected, rtol=1e-12)


def windows(in_slow, end):
    """``[(start, stop), ...]`` of the slow windows (each ends where ``end`` is set),
    checking that together they are exactly the steps marked ``in_slow``."""
    stops = [int(i) + 1 for i in np.flatnonzero(end)]
    starts = [int(np.flatnonzero(in_slow)[0]), *stops[:-1]] if stops else []
    covered = np.zeros_like(in_slow)
    for start, stop in zip(starts, stops, strict=True):
        covered[start:stop] = True
    np.testing.assert_array_equal(covered, in_slow)
    return list(zip(starts, stops, strict=True))


def test_window_schedule_matches_stan_for_1000_steps():
    in_slow, end = adaptation.window_schedule(1000)
    assert in_slow.shape == end.shape == (1000,)
    assert windows(in_slow, end) == [(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]


def test_window_schedule_short_warmups():
    # Fewer than 150 steps: Stan uses 15% / 75% / 10% (one window); fewer than 20: none.
    in_slow, end = adaptation.window_schedule(100)
    assert windows(in_slow, end) == [(15, 90)]
    assert list(np.flatnonzero(end)) == [89]
    in_slow, end = adaptation.window_schedule(19)
    assert not in_slow.any() and not end.any()
    # A window that could not be followed by one twice its length absorbs the rest.
    assert windows(*adaptation.window_schedule(300)) == [(75, 100), (100, 150), (150, 250)]


def test_find_reasonable_step_size_brackets_the_target():
    """The returned ε has proxy acceptance (HMC, one leapfrog step, on N(0, I_3)) above the
    target and 2ε has it below. The search averages 4000 probes here and the check uses 4000
    fresh ones; each mean has SE ≤ 0.5/√4000 = 0.008, so the difference has SE ≤ 0.011."""
    kernel = kernels.hmc(step_size=0.01, inverse_mass=jnp.ones(3), target_accept=0.8)
    state = kernel.init(jnp.array([0.5, -1.0, 0.3]), standard_normal)
    search = jax.jit(lambda k: adaptation.find_reasonable_step_size(k, kernel, state, standard_normal, num_probes=4000))
    step = float(search(jax.random.PRNGKey(2)))
    assert step > 0.01

    @jax.jit
    def acceptance(step_size):
        proxy = kernel.tuning_proxy().tuned(step_size=step_size)
        keys = jax.random.split(jax.random.PRNGKey(3), 4000)
        _, info = jax.vmap(lambda k: proxy.step(k, state, standard_normal))(keys)
        return info.acceptance_prob.mean()

    tolerance = Z_MAX * 0.011
    assert float(acceptance(step)) > 0.8 - tolerance
    assert float(acceptance(2 * step)) < 0.8 + tolerance


def test_adapted_inverse_mass_approximates_posterior_variances():
    scales = jnp.array([0.1, 1.0, 10.0])

    def log_density(x):
        return -0.5 * jnp.sum((x / scales) ** 2)

    post = inference.mcmc(
        jax.random.PRNGKey(4), log_density, num_warmup=1000, num_samples=200, num_chains=4, init_position=jnp.ones(3)
    )
    inverse_mass = np.asarray(post.kernel.inverse_mass)
    assert inverse_mass.shape == (4, 3)
    ratio = inverse_mass / np.asarray(scales) ** 2
    assert np.all(np.abs(np.log(ratio)) < Z_MAX * np.sqrt(2 / 500)), ratio
    # With the right mass the adapted NUTS step is close to the unit-scale optimum, the same for all chains.
    step_size = np.asarray(post.kernel.step_size)
    assert np.all((step_size > 0.3) & (step_size < 1.5)), step_size
    accept = np.asarray(post.stats["acceptance_prob"]).mean()
    assert 0.7 < accept < 0.95, accept


def test_given_inverse_mass_is_kept_without_mass_adaptation():
    """``adapt_mass=False`` keeps the kernel's own inverse mass (only the step size adapts);
    with the right preconditioner RWMH samples all three scales: each sd within 4 standard
    errors, the relative SE of an sd being 1/√(2 ESS)."""
    scales = jnp.array([0.1, 1.0, 10.0])

    def log_density(x):
        return -0.5 * jnp.sum((x / scales) ** 2)

    post = inference.mcmc(
        jax.random.PRNGKey(5),
        log_density,
        kernel=kernels.rwmh(inverse_mass=scales**2),
        num_warmup=300,
        num_samples=500,
        num_chains=2,
        adapt_mass=False,
        init_position=jnp.zeros(3),
    )
    np.testing.assert_array_equal(post.kernel.inverse_mass, np.broadcast_to(scales**2, (2, 3)))
    x = np.asarray(post.samples["x"])
    for i in range(3):
        ess = float(az.ess(x[..., i]))
        assert abs(np.log(x[..., i].std() / float(scales[i]))) < Z_MAX / np.sqrt(2 * ess), (i, x[..., i].std(), ess)
