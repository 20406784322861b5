"""The Metropolis–Hastings–Green kernel: acceptance ratio with the Jacobian, composition
(jit / vmap / scan, cycle, mixture's lax.switch, mcmc), and the errors users can cause."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.stats import norm

import inference
from inference import kernels, moves

# DESIGN.md §7: pi(k, theta_k) = w_k N(theta_k; 0, I_k) on a padded state {"k", "theta": [2]};
# the inactive slot of model 1 is scored by the reference N(0, 1).
W = jnp.log(jnp.array([0.3, 0.7]))


def log_target(x):
    return W[x["k"] - 1] + norm.logpdf(x["theta"]).sum()


def jump_propose(key, x):
    u = jax.random.normal(key, (1,))
    return u, norm.logpdf(u).sum()


def jump_involution(x, u):
    """(a, b, u) -> (a + u, a - u, b) for k = 1 -> 2 and its inverse for k = 2 -> 1: |det J| = 2."""
    a, b = x["theta"][0], x["theta"][1]
    is_up = x["k"] == 1
    c0 = jnp.where(is_up, a + u[0], (a + b) / 2)
    c1 = jnp.where(is_up, a - u[0], u[0])
    u2 = jnp.where(is_up, b, (a - b) / 2)
    return {"k": 3 - x["k"], "theta": jnp.stack([c0, c1])}, u2[None]


def jump_aux(x2, u2):
    return norm.logpdf(u2).sum()


JUMP = inference.Move(jump_propose, jump_involution, jump_aux)
WALK = moves.random_walk(0.8, sites=["theta"])
X0 = {"k": jnp.asarray(1, jnp.int32), "theta": jnp.array([0.3, -1.2])}


def test_jacobian_of_the_dimension_jump_is_two():
    u = jnp.array([0.4])
    (x2, u2), log_det = moves.involution_with_log_det(JUMP.involution, X0, u)
    assert int(x2["k"]) == 2
    np.testing.assert_allclose(float(log_det), np.log(2.0), rtol=1e-6)
    (_, _), log_det_back = moves.involution_with_log_det(JUMP.involution, x2, u2)
    np.testing.assert_allclose(float(log_det_back), -np.log(2.0), rtol=1e-6)


def test_model_frequencies_in_a_mixture_kernel_under_vmap():
    """kernels.mixture runs the MHG kernels through lax.switch, vmapped over 8 chains and
    scanned; P(k=1) must be 0.3 (a missing Jacobian gives about 0.46)."""
    kernel = kernels.mixture([kernels.mhg(JUMP), kernels.mhg(WALK)], [0.5, 0.5])

    def chain(key):
        state = kernel.init(X0, log_target)

        def body(state, key):
            state, info = kernel.step(key, state, log_target)
            return state, (state.position["k"], info.accepted)

        return jax.lax.scan(body, state, jax.random.split(key, 6000))[1]

    ks, accepted = jax.jit(jax.vmap(chain))(jax.random.split(jax.random.PRNGKey(0), 8))
    ks = np.asarray(ks)
    is_one = (ks == 1).astype(float)
    # Monte Carlo SE from the spread of the 8 independent chains' means
    chain_means = is_one.mean(axis=1)
    mcse = chain_means.std(ddof=1) / np.sqrt(len(chain_means))
    assert mcse < 0.01
    assert abs(is_one.mean() - 0.3) < max(4 * mcse, 0.01)
    assert 0.05 < float(np.mean(accepted)) < 0.95
    assert ks.dtype == np.int32


def test_mcmc_runs_a_cycle_of_mhg_kernels_on_a_logdensity_with_int_leaves():
    kernel = kernels.cycle(kernels.mhg(JUMP), kernels.mhg(WALK))
    post = inference.mcmc(
        jax.random.PRNGKey(1),
        log_target,
        kernel=kernel,
        init_position=X0,
        num_warmup=100,
        num_samples=4000,
        num_chains=4,
    )
    ks = np.asarray(post.samples["k"])
    assert ks.shape == (4, 4000)
    chain_means = (ks == 1).mean(axis=1)
    mcse = chain_means.std(ddof=1) / 2.0  # 4 independent chains
    assert mcse < 0.015
    assert abs((ks == 1).mean() - 0.3) < max(4 * mcse, 0.015)
    theta = np.asarray(post.samples["theta"]).reshape(-1, 2)
    # every slot is N(0, 1) under both models: mean 0, sd 1 (SE of a mean of 16k draws ~0.01-0.02)
    np.testing.assert_allclose(theta.mean(0), 0.0, atol=0.08)
    np.testing.assert_allclose(theta.std(0), 1.0, atol=0.08)


def test_moves_between_equal_density_states_are_always_accepted():
    """Gen-style deterministic checks (Cusumano-Towner et al. 2020): with pi(x2) q(u2) |J| =
    pi(x) q(u) the acceptance probability is exactly one."""
    # Reflection x -> -x on a symmetric target; no auxiliary variables.
    reflect = inference.Move(
        propose=lambda key, x: ((), jnp.zeros(())),
        involution=lambda x, u: (-x, u),
        aux_log_density=lambda x2, u2: jnp.zeros(()),
    )
    kernel = kernels.mhg(reflect)
    for i, x in enumerate([0.3, -1.7, 2.5]):
        state = kernel.init(jnp.array([x, 2 * x]), lambda z: norm.logpdf(z).sum())
        new, info = kernel.step(jax.random.PRNGKey(i), state, lambda z: norm.logpdf(z).sum())
        assert float(info.acceptance_prob) == 1.0 and bool(info.accepted)
        np.testing.assert_allclose(np.asarray(new.position), -np.asarray(state.position))

    # x -> 1/x on the log-logistic density pi(x) = (1 + x)^-2 on x > 0: pi(1/x) / x^2 = pi(x),
    # so only the Jacobian |d(1/x)/dx| = 1/x^2 makes the ratio one (without it: min(1, x^2)).
    def log_logistic(x):
        return jnp.where(x[0] > 0, -2 * jnp.log1p(jnp.abs(x[0])), -jnp.inf)

    invert = inference.Move(
        propose=lambda key, x: ((), jnp.zeros(())),
        involution=lambda x, u: (1.0 / x, u),
        aux_log_density=lambda x2, u2: jnp.zeros(()),
    )
    kernel = kernels.mhg(invert)
    for i, x in enumerate([0.1, 0.5, 3.0]):
        state = kernel.init(jnp.array([x]), log_logistic)
        new, info = kernel.step(jax.random.PRNGKey(i), state, log_logistic)
        np.testing.assert_allclose(float(info.acceptance_prob), 1.0, rtol=1e-5)
        np.testing.assert_allclose(float(info.log_abs_det_jacobian), -2 * np.log(x), rtol=1e-5)
        assert bool(info.accepted)


def test_check_true_catches_a_map_that_is_not_an_involution():
    bad = inference.Move(jump_propose, lambda x, u: ({"k": 3 - x["k"], "theta": x["theta"] + 1.0}, u), jump_aux)
    kernel = kernels.mhg(bad, check=True)
    state = kernel.init(X0, log_target)
    with pytest.raises(ValueError, match="involution"):
        kernel.step(jax.random.PRNGKey(0), state, log_target)
    # the correct jump passes the check, eagerly and under jit
    good = kernels.mhg(JUMP, check=True)
    good.step(jax.random.PRNGKey(0), good.init(X0, log_target), log_target)
    jax.block_until_ready(jax.jit(lambda k, s: good.step(k, s, log_target))(jax.random.PRNGKey(1), state))


def test_an_involution_that_changes_the_pytree_structure_is_rejected():
    # the same floats, regrouped: theta becomes two scalar sites
    def regroup(x, u):
        return {"k": x["k"], "a": x["theta"][0], "b": x["theta"][1]}, u

    kernel = kernels.mhg(inference.Move(jump_propose, regroup, jump_aux))
    state = kernel.init(X0, log_target)
    with pytest.raises(TypeError, match="pytree structure"):
        kernel.step(jax.random.PRNGKey(0), state, log_target)
    with pytest.raises(TypeError, match="pytree structure"):  # the same message at trace time
        jax.jit(lambda k, s: kernel.step(k, s, log_target))(jax.random.PRNGKey(0), state)


def test_dimension_mismatch_is_rejected_with_a_clear_message():
    # (x, u) has 2 + 1 floats but (x2, u2) has 2 + 2: Green's dimension matching fails
    mismatch = inference.Move(jump_propose, lambda x, u: (x, jnp.concatenate([u, u])), jump_aux)
    kernel = kernels.mhg(mismatch)
    state = kernel.init(X0, log_target)
    with pytest.raises(ValueError, match="dimension matching"):
        jax.jit(lambda k, s: kernel.step(k, s, log_target))(jax.random.PRNGKey(0), state)
    # an integer leaf that becomes a float is a kind change, not a silent cast
    to_float = inference.Move(jump_propose, lambda x, u: ({"k": u[0], "theta": x["theta"]}, x["k"][None]), jump_aux)
    with pytest.raises((TypeError, ValueError)):
        kernels.mhg(to_float).step(jax.random.PRNGKey(0), state, log_target)


def test_construction_errors():
    with pytest.raises(TypeError, match="callable"):
        inference.Move(jump_propose, "not a function", jump_aux)
    with pytest.raises(TypeError, match="Move"):
        kernels.mhg(jump_involution)
