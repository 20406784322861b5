"""MCMC kernels: detailed balance, stationarity, and sampling a correlated Gaussian.

One-step tests (no warmup, fixed step sizes): draw ``N`` points ``x ~ π`` exactly, take one
kernel step ``x -> x'`` for each (``vmap``), and check

* stationarity: ``mean h(x')`` equals ``E_π h`` for ``h = x, x², sin x``;
* reversibility (detailed balance): ``E[f(x) g(x')] = E[g(x) f(x')]``, i.e. the mean of
  ``d = f(x) g(x') − g(x) f(x')`` is zero, for several pairs ``(f, g)``.

The pairs are iid over the ``N`` draws, so each statistic has standard error
``sd / sqrt(N)``; the tests require ``|z| < 4`` (a correct kernel fails one check with
probability 6e-5; the seeds are fixed). ``test_one_step_checks_detect_a_biased_kernel``
shows that the same checks reject an unadjusted Langevin step.

``mcmc`` on a correlated 2-D Gaussian: posterior means within 4 Monte-Carlo standard errors
(ArviZ ``mcse``, from the effective sample size) and variances within 4 MCSE of the
variance (the MCSE of the mean of ``(x − μ)²``).
"""

import functools

import arviz as az
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import inference
from inference import kernels
from inference.kernels.base import GradientState, Info

Z_MAX = 4.0
NUM_DRAWS = 100_000

# -- a skewed 1-D target with exact draws and closed-form moments ------------------------------

WEIGHTS = np.array([0.3, 0.7])
MEANS = np.array([-1.0, 1.5])
SCALES = np.array([0.6, 1.0])


def mixture_log_density(x):
    """log π for ``x: [1]``: 0.3 N(-1, 0.6²) + 0.7 N(1.5, 1)."""
    comps = jnp.log(WEIGHTS) - 0.5 * ((x[0] - MEANS) / SCALES) ** 2 - jnp.log(SCALES) - 0.5 * jnp.log(2 * jnp.pi)
    return jax.scipy.special.logsumexp(comps)


def exact_draws(key, n):
    k_comp, k_noise = jax.random.split(key)
    comp = jax.random.choice(k_comp, 2, (n,), p=jnp.asarray(WEIGHTS))
    x = jnp.asarray(MEANS)[comp] + jnp.asarray(SCALES)[comp] * jax.random.normal(k_noise, (n,))
    return x[:, None]


EXACT_MOMENTS = {
    "x": float(WEIGHTS @ MEANS),
    "x^2": float(WEIGHTS @ (MEANS**2 + SCALES**2)),
    "sin x": float(WEIGHTS @ (np.sin(MEANS) * np.exp(-(SCALES**2) / 2))),  # E sin X, X ~ N(m, s²)
}
FUNCTIONS = {"x": lambda x: x, "x^2": lambda x: x**2, "sin x": np.sin, "cos x": np.cos}
PAIRS = [("x", "x^2"), ("x", "sin x"), ("x^2", "cos x"), ("sin x", "cos x")]


def one_step(kernel, seed=0, n=NUM_DRAWS):
    """``(x, x', info)``: exact draws and one kernel step from each (compiles the step)."""
    k_draw, k_step = jax.random.split(jax.random.PRNGKey(seed))

    @jax.jit
    def run(x, keys):
        def step(x, key):
            state = kernel.init(x, mixture_log_density)
            new, info = kernel.step(key, state, mixture_log_density)
            return new.position, info

        return jax.vmap(step)(x, keys)

    x = exact_draws(k_draw, n)
    x_new, info = run(x, jax.random.split(k_step, n))
    return np.asarray(x[:, 0]), np.asarray(x_new[:, 0]), info


def stationarity_z(x_new) -> dict:
    out = {}
    for name, exact in EXACT_MOMENTS.items():
        h = FUNCTIONS[name](x_new)
        out[name] = (h.mean() - exact) / (h.std() / np.sqrt(h.size))
    return out


def reversibility_z(x, x_new) -> dict:
    out = {}
    for f_name, g_name in PAIRS:
        f, g = FUNCTIONS[f_name], FUNCTIONS[g_name]
        d = f(x) * g(x_new) - g(x) * f(x_new)
        out[(f_name, g_name)] = d.mean() / (d.std() / np.sqrt(d.size))
    return out


# Step sizes give acceptance rates of 0.7–0.8: rejections are common enough for a wrong
# acceptance ratio to show.
REVERSIBLE = {
    "rwmh": kernels.rwmh(step_size=1.5),
    "mala": kernels.mala(step_size=1.6),
    "hmc": kernels.hmc(step_size=1.1, num_steps=5),
    "hmc_path_length": kernels.hmc(step_size=0.8, path_length=2.4, step_size_jitter=0.2),
    "nuts": kernels.nuts(step_size=1.4),
    "mixture": kernels.mixture([kernels.rwmh(step_size=1.5), kernels.hmc(step_size=1.1, num_steps=3)], [0.4, 0.6]),
}


@functools.cache
def reversible_step(name):
    """One step of ``REVERSIBLE[name]`` from exact draws, shared by the tests below."""
    return one_step(REVERSIBLE[name])


@pytest.mark.parametrize("name", list(REVERSIBLE))
def test_detailed_balance_and_stationarity(name):
    x, x_new, info = reversible_step(name)
    accept = float(np.mean(info.accepted))
    assert 0.2 < accept < 1.0, f"{name}: the step must move often enough to be tested (accept={accept})"
    assert np.all((0 <= info.acceptance_prob) & (info.acceptance_prob <= 1))
    for what, z in {**stationarity_z(x_new), **reversibility_z(x, x_new)}.items():
        assert abs(z) < Z_MAX, f"{name}: {what} z={z:.2f}"


def test_cycle_leaves_the_target_invariant():
    """A systematic-scan cycle is not reversible in general, but keeps π invariant."""
    _, x_new, info = one_step(kernels.cycle(kernels.rwmh(step_size=1.5), kernels.mala(step_size=1.6)), seed=1)
    assert info.component_acceptance.shape == (NUM_DRAWS, 2)
    for what, z in stationarity_z(x_new).items():
        assert abs(z) < Z_MAX, f"cycle: {what} z={z:.2f}"


def test_hmc_num_steps_and_path_length():
    """``num_steps`` leapfrog steps, or ``ceil(path_length / ε)`` with ε ~ U(0.8 · [0.8, 1.2]):
    3 steps when ε ≥ 0.8 and 4 when ε < 0.8, each with probability 1/2 (binomial SE)."""
    assert np.all(np.asarray(reversible_step("hmc")[2].num_steps) == 5)
    steps = np.asarray(reversible_step("hmc_path_length")[2].num_steps)
    assert set(np.unique(steps)) == {3, 4}
    assert abs(np.mean(steps == 4) - 0.5) < Z_MAX * np.sqrt(0.25 / steps.size)


class UnadjustedLangevin(kernels.MALA):
    """MALA without the accept/reject step: biased for any fixed step size."""

    def step(self, key, state, logdensity_fn):
        eps = self.step_size
        x = state.position + 0.5 * eps**2 * state.grad + eps * jax.random.normal(key, state.position.shape)
        log_density, grad = jax.value_and_grad(logdensity_fn)(x)
        return GradientState(x, log_density, grad), Info(jnp.ones(()), jnp.ones((), bool))


def test_one_step_checks_detect_a_biased_kernel():
    x, x_new, _ = one_step(UnadjustedLangevin(step_size=0.7), seed=2)
    z = {**stationarity_z(x_new), **reversibility_z(x, x_new)}
    assert max(abs(v) for v in z.values()) > 2 * Z_MAX, z


# -- site restrictions -----------------------------------------------------------------------


def conditional_mean(y, k):
    return (y + k) * jnp.array([1.0, -1.0])


def sites_log_density(position):
    """x | y, k ~ N((y + k)(1, −1), 0.5² I); y ~ N(0, 1); k is an integer label."""
    x, y, k = position["x"], position["y"], position["k"]
    return -0.5 * jnp.sum(((x - conditional_mean(y, k)) / 0.5) ** 2) - 0.5 * y**2


@pytest.mark.parametrize(
    "kernel", [kernels.hmc(step_size=0.3, num_steps=4, sites=["x"]), kernels.rwmh(0.6, sites=["x"])]
)
def test_sites_restriction_moves_only_those_sites(kernel):
    """Other sites are bit-for-bit unchanged after 10 steps; x keeps its exact conditional."""
    n = 10_000
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    y = jax.random.normal(keys[0], (n,))
    k = jax.random.randint(keys[1], (n,), 0, 3)
    x = jax.vmap(conditional_mean)(y, k) + 0.5 * jax.random.normal(keys[2], (n, 2))

    @jax.jit
    def run(position, key):
        def chain(position, key):
            state = kernel.init(position, sites_log_density)
            keys = jax.random.split(key, 10)
            state, infos = jax.lax.scan(lambda s, k: kernel.step(k, s, sites_log_density), state, keys)
            return state.position, infos.accepted.mean()

        return jax.vmap(chain)(position, jax.random.split(key, n))

    new, accepted = run({"x": x, "y": y, "k": k}, keys[3])
    np.testing.assert_array_equal(new["y"], y)
    np.testing.assert_array_equal(new["k"], k)
    assert new["k"].dtype == k.dtype
    assert float(accepted.mean()) > 0.3
    assert float(jnp.mean(jnp.all(new["x"] != x, axis=1))) > 0.9
    # Whitened residuals are N(0, 1) under the exact conditional: mean SE 1/√n, variance SE √(2/n).
    r = np.asarray((new["x"] - jax.vmap(conditional_mean)(y, k)) / 0.5).ravel()
    assert abs(r.mean()) < Z_MAX / np.sqrt(r.size)
    assert abs(r.var() - 1) < Z_MAX * np.sqrt(2 / r.size)


def test_unrestricted_kernel_rejects_an_integer_site():
    with pytest.raises(TypeError, match="sites="):
        kernels.hmc().init({"x": jnp.zeros(2), "y": 0.0, "k": jnp.array(1)}, sites_log_density)


# -- mcmc on a correlated Gaussian with a dict position --------------------------------------

RHO, SCALE = 0.9, np.array([1.0, 3.0])
COV = np.array([[1.0, RHO], [RHO, 1.0]]) * np.outer(SCALE, SCALE)
PRECISION = np.linalg.inv(COV)
MEAN = np.array([1.0, -2.0])


def gaussian_log_density(position):
    """Correlated 2-D Gaussian on the dict position ``{"a": [1], "b": scalar}``."""
    v = jnp.concatenate([position["a"], position["b"][None]]) - MEAN
    return -0.5 * v @ PRECISION @ v


@pytest.mark.parametrize(
    "kernel", ["nuts", *(pytest.param(k, marks=pytest.mark.slow) for k in ("rwmh", "mala", "hmc"))]
)
def test_mcmc_correlated_gaussian_with_dict_position(kernel):
    """(All four kernels also sample the regression posterior of ``test_mcmc.py`` by default.)"""
    post = inference.mcmc(
        jax.random.PRNGKey(4),
        gaussian_log_density,
        kernel=kernel,
        num_warmup=500,
        num_samples=2000,
        num_chains=4,
        init_position={"a": jnp.zeros(1), "b": jnp.zeros(())},
    )
    assert post.samples["a"].shape == (4, 2000, 1) and post.samples["b"].shape == (4, 2000)
    draws = np.concatenate([np.asarray(post.samples["a"]), np.asarray(post.samples["b"])[..., None]], axis=-1)
    ess = []
    for i in range(2):
        x = draws[..., i]
        ess.append(float(az.ess(x)))
        mcse = float(az.mcse(x, method="mean"))
        assert abs(x.mean() - MEAN[i]) < Z_MAX * mcse, (kernel, i, x.mean(), mcse)
        sq = (x - MEAN[i]) ** 2
        mcse_var = float(az.mcse(sq, method="mean"))
        assert abs(sq.mean() - COV[i, i]) < Z_MAX * mcse_var, (kernel, i, sq.mean(), mcse_var)
        assert ess[i] > 100, (kernel, i)  # enough draws for the MCSE to be trusted
    # The sample correlation has standard error (1 − ρ²) / sqrt(n) for n independent draws.
    centred = (draws - MEAN).reshape(-1, 2)
    correlation = centred[:, 0] @ centred[:, 1] / np.sqrt((centred**2).sum(0).prod())
    assert abs(correlation - RHO) < Z_MAX * (1 - RHO**2) / np.sqrt(min(ess)), correlation
