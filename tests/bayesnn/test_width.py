"""``bayesnn.width``: a BNN whose width is inferred by reversible jump (Green 1995).

Checks: the model's density against a hand-written one; the birth/death acceptance ratio
against Green's formula written out by hand (boundaries and Jacobian included) and the
function of the surviving units kept; exactness (prior-only chains started at the prior stay
there: chi-square at α = 0.001); the posterior on data from a 2-unit network; argument errors.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import chisquare, norm

import bayesnn
import inference
from bayesnn.width import WidthBNN, padded_bnn, unit_birth_death, unit_birth_death_move
from inference import kernels, moves
from inference.mcmc import sample_chains

GAIN = 5.0 / 3.0  # tanh's gain: the NTK multiplier of a weight with fan-in 1 and σ = 1
X = np.linspace(-3.0, 3.0, 12)[:, None]


def small_model(max_width=5, q=0.3, noise=0.2):
    return padded_bnn(
        max_width, activation="tanh", parameterization="ntk", noise=noise, width_prior="geometric", width_prior_param=q
    )


def numpy_latent(values, x, width):
    """The one-hidden-layer NTK network with the first ``width`` units active, in NumPy."""
    h = np.tanh(x @ (GAIN * np.asarray(values["W0"])) + np.asarray(values["b0"]))  # [n, K]
    w_out = np.asarray(values["W1"])[:width, 0]
    return h[:, :width] @ w_out * GAIN / np.sqrt(width) + float(values["b1"][0])


def prior_draws(seed, widths, max_width=5):
    """Positions of ``small_model`` with the given ``widths: [n]``, the weights drawn from the
    prior (under NTK every stored value is N(0, 1)); leading axis ``[n]``."""
    rng = np.random.default_rng(seed)
    widths = np.asarray(widths, np.int32)
    shapes = {"W0": (1, max_width), "b0": (max_width,), "W1": (max_width, 1), "b1": (1,)}
    values = {s: jnp.asarray(rng.normal(size=(len(widths), *shape))) for s, shape in shapes.items()}
    return {"width": jnp.asarray(widths), **values}


def prior_draw(seed, width):
    return jax.tree.map(lambda v: v[0], prior_draws(seed, [width]))


@pytest.fixture(scope="module")
def sine():
    """``small_model`` on y = sin(x): the model, its Program, the jitted log density and y."""
    model, y = small_model(), np.sin(X[:, 0])
    program = inference.Program(model.model, jnp.asarray(X), jnp.asarray(y))
    return model, program, jax.jit(program.log_density), y


def test_width_prior_and_model_density(sine):
    model, program, log_density, y = sine
    k = np.arange(1, 6)
    np.testing.assert_allclose(model.width_probs, 0.7 ** (k - 1) / (0.7 ** (k - 1)).sum(), rtol=1e-12)
    poisson = padded_bnn(4, width_prior="poisson", width_prior_param=2.0).width_probs
    np.testing.assert_allclose(poisson / poisson[0], [1.0, 2.0, 2.0, 4.0 / 3.0], rtol=1e-12)  # λ^(k-1)/(k-1)!
    assert model.continuous_sites == ("W0", "b0", "W1", "b1") and model.unit_sites == ("W0", "b0", "W1")

    assert program.discrete_names == ("width",)
    z = prior_draw(0, 3)
    latent = jax.jit(model.latent)
    for width in (1, 3, 5):
        pos = {**z, "width": jnp.asarray(width, z["width"].dtype)}
        f = numpy_latent(pos, X, width)
        expected = (
            np.log(model.width_probs[width - 1])
            + sum(norm.logpdf(np.asarray(pos[s])).sum() for s in ("W0", "b0", "W1", "b1"))  # NTK: all N(0, 1)
            + norm.logpdf(y, f, 0.2).sum()
        )
        np.testing.assert_allclose(float(log_density(pos)), expected, rtol=1e-10)
        np.testing.assert_allclose(np.asarray(latent(pos, jnp.asarray(X))), f, rtol=1e-10)
    # inactive units are padding: their weights change the prior term only, never f
    moved = {**z, "W1": z["W1"].at[3:].set(7.0), "W0": z["W0"].at[:, 3:].set(-4.0)}
    np.testing.assert_array_equal(np.asarray(latent(moved, X)), np.asarray(latent(z, X)))


def green_log_ratio(model, y, x, x2, birth, values_old, values_new):
    """Green's (1995) ratio for a birth (or death) with the prior as proposal and reference,
    written out: p(k') lik' prior(θ') / (p(k) lik prior(θ)) · refill/proposal densities ·
    direction probabilities · |det J| with J = c^(survivors·out_dim), c = √(k'/k)."""
    K = model.max_width
    k, k2 = int(x["width"]), int(x2["width"])
    p_birth = lambda k: 1.0 if k == 1 else 0.0 if k == K else 0.5  # noqa: E731
    p_move = p_birth(k) if birth else 1.0 - p_birth(k)
    p_back = 1.0 - p_birth(k2) if birth else p_birth(k2)

    def log_joint(pos, width):
        lik = norm.logpdf(y, numpy_latent(pos, X, width), 0.2).sum()
        prior = sum(norm.logpdf(np.asarray(pos[s])).sum() for s in ("W0", "b0", "W1", "b1"))
        return np.log(model.width_probs[width - 1]) + lik + prior

    unit = lambda v: norm.logpdf(np.r_[np.ravel(v["W0"]), np.ravel(v["b0"]), np.ravel(v["W1"])]).sum()  # noqa: E731
    log_det = min(k, k2) * 0.5 * np.log(k2 / k)
    return (
        log_joint(x2, k2)
        - log_joint(x, k)
        + unit(values_old)  # the reverse move draws the old values from the prior / reference
        - unit(values_new)
        + np.log(p_back)
        - np.log(p_move)
        + log_det
    )


def test_acceptance_ratio_is_greens_and_jumps_keep_the_surviving_units_function(sine):
    """For births and deaths in the interior and at both boundaries (forced birth at width 1,
    forced death at K = 5): ``kernels.mhg``'s log ratio equals Green's formula written out by
    hand, the involution is one, and f changes by the newborn (dying) unit's term only."""
    model, program, log_density, y = sine
    move = unit_birth_death_move(model)
    propose, involution = jax.jit(move.propose), jax.jit(move.involution)
    ratio = jax.jit(lambda key, x: moves.mhg_log_ratio(move, key, x, program.log_density(x), program.log_density))
    for width, birth in [(1, True), (3, True), (4, True), (3, False), (5, False)]:
        x = prior_draw(width, width)
        for seed in range(50):  # the first key that proposes the wanted direction
            key = jax.random.PRNGKey(100 + seed)
            u, log_q = propose(key, x)
            if bool(u["birth"]) == birth:
                break
        else:
            raise AssertionError("no key proposed the wanted direction")
        x2, u2 = involution(x, u)
        back = involution(x2, u2)
        for a, b in zip(jax.tree.leaves((x, u)), jax.tree.leaves(back), strict=True):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=1e-12)
        x2_again, log_density_x2, log_ratio, log_det = ratio(key, x)
        k2 = width + 1 if birth else width - 1
        assert int(x2["width"]) == int(x2_again["width"]) == k2
        np.testing.assert_allclose(float(log_density_x2), float(log_density(x2)), rtol=1e-12)
        np.testing.assert_allclose(float(log_det), min(width, k2) * 0.5 * np.log(k2 / width), rtol=1e-10)
        expected = green_log_ratio(model, y, x, x2, birth, u2["values"], u["values"])
        np.testing.assert_allclose(float(log_ratio), expected, rtol=1e-9, atol=1e-9)

        j = int(u["unit"])
        f, f2 = numpy_latent(x, X, width), numpy_latent(x2, X, k2)
        big, k_big = (x2, k2) if birth else (x, width)
        term = np.tanh(X[:, 0] * GAIN * float(big["W0"][0, j]) + float(big["b0"][j]))
        term *= float(big["W1"][j, 0]) * GAIN / np.sqrt(k_big)
        np.testing.assert_allclose(f2 - f, term if birth else -term, atol=1e-10)


def run_from_the_prior(program, kernel, num_chains, num_steps, seed):
    """``num_chains`` independent chains, each started at an exact prior draw and run for
    ``num_steps``: if ``kernel`` leaves the prior invariant, the final states are i.i.d. prior
    draws (the test needs no mixing diagnostics)."""
    model = small_model()
    rng = np.random.default_rng(seed)
    z0 = prior_draws(rng, rng.choice(np.arange(1, model.max_width + 1), num_chains, p=model.width_probs))

    @jax.jit
    def run(keys, z0):
        positions, _, _ = sample_chains(
            keys, z0, kernel=kernel, logdensity_fn=program.log_density, num_warmup=0, num_samples=1, thinning=num_steps
        )
        return jax.tree.map(lambda v: v[:, 0], positions)

    return z0, run(jax.random.split(jax.random.PRNGKey(seed), num_chains), z0)


def test_without_likelihood_the_width_chain_leaves_the_prior_invariant():
    """HMC on the weights cycled with unit birth/death, on the model with every observation
    masked out: the target is the prior. 4000 chains started at prior draws run 20 steps; their
    widths are tested against p(k) by a chi-square test at α = 0.001 (fixed seed), and the
    always-active unit's stored output weight against N(0, 1) (4 standard errors)."""
    model = small_model()
    program = inference.Program(model.model, jnp.asarray(X), jnp.zeros(len(X)), jnp.zeros(len(X), bool))
    kernel = kernels.cycle(
        kernels.hmc(step_size=0.3, num_steps=3, sites=model.continuous_sites), unit_birth_death(model)
    )
    num_chains = 4000
    start, end = run_from_the_prior(program, kernel, num_chains, 20, seed=0)
    widths = np.asarray(end["width"])
    counts = np.bincount(widths, minlength=model.max_width + 1)[1:]
    test = chisquare(counts, model.width_probs * num_chains)
    assert test.pvalue > 1e-3, (counts, model.width_probs * num_chains, test)
    # the chains did move: a kernel that never jumps would pass the test trivially
    assert np.mean(widths != np.asarray(start["width"])) > 0.5
    w = np.asarray(end["W1"][:, 0, 0])  # unit 0 is always active and rescaled by every jump
    assert abs(w.mean()) < 4 / np.sqrt(num_chains)
    assert abs(w.var() - 1.0) < 4 * np.sqrt(2 / num_chains)


@pytest.mark.slow
def test_the_prior_test_catches_a_missing_jacobian():
    """The same test on a move whose Jacobian term is cancelled: births then lose a factor
    (k+1/k)^(k/2) and the width distribution leaves the prior; the chi-square test must reject."""
    model = small_model()
    program = inference.Program(model.model, jnp.asarray(X), jnp.zeros(len(X)), jnp.zeros(len(X), bool))
    good = unit_birth_death_move(model)

    def aux_without_jacobian(x2, u2):
        _, log_det_back = moves.involution_with_log_det(good.involution, x2, u2)  # = -log|det J|
        return good.aux_log_density(x2, u2) + log_det_back

    bad = kernels.mhg(inference.Move(good.propose, good.involution, aux_without_jacobian))
    kernel = kernels.cycle(kernels.hmc(step_size=0.3, num_steps=3, sites=model.continuous_sites), bad)
    _, end = run_from_the_prior(program, kernel, 2000, 20, seed=0)
    counts = np.bincount(np.asarray(end["width"]), minlength=model.max_width + 1)[1:]
    assert chisquare(counts, model.width_probs * 2000).pvalue < 1e-6, counts


def two_unit_data(n=24, noise=0.2, seed=0):
    """y = a bump made of two tanh units (one unit can only make a step) + N(0, noise²)."""
    true = {  # stored NTK values at width 2: incoming slope 2 = GAIN * 1.2, output ±1.5
        "W0": np.array([[1.2, 1.2]]),
        "b0": np.array([2.0, -2.0]),
        "W1": np.array([[1.5], [-1.5]]) * np.sqrt(2) / GAIN,
        "b1": np.array([-1.5]),
    }
    x = np.linspace(-3.0, 3.0, n)[:, None]
    y = numpy_latent(true, x, 2) + noise * np.random.default_rng(seed).normal(size=n)
    return x, y, true


def test_posterior_over_width_on_data_from_a_two_unit_network():
    """Geometric(q = 1/2) prior on {1..6}: p(1) = 0.51, p(≤3) = 0.89. One unit cannot fit a
    bump, so the posterior must drop width 1; since the NTK prior's covariance is the same at
    every width, widths ≥ 2 keep roughly their prior odds (measured over seeds 0-2: p(2..6 | y)
    = 0.46-0.52, 0.28-0.29, 0.12-0.14, 0.06-0.07, 0.02-0.04, close to p(k | k ≥ 2) = 0.52, 0.26,
    0.13, 0.06, 0.03). The chains start at width 6 (the true network in units 0, 1, zero output
    weights elsewhere), so deaths are exercised. Tolerances below are stated where they are used."""
    model = small_model(max_width=6, q=0.5)
    x, y, true = two_unit_data()
    program = inference.Program(model.model, jnp.asarray(x), jnp.asarray(y))
    init = {
        "width": 6,
        "W0": np.c_[true["W0"], 0.5 * np.ones((1, 4))],
        "b0": np.r_[true["b0"], np.zeros(4)],
        "W1": np.r_[true["W1"] * np.sqrt(3.0), np.zeros((4, 1))],  # m(2)/m(6) = √3 keeps f
        "b1": true["b1"],
    }
    np.testing.assert_allclose(numpy_latent(init, x, 6), numpy_latent(true, x, 2), atol=1e-12)
    kernel = kernels.cycle(
        kernels.hmc(step_size=0.025, num_steps=16, sites=model.continuous_sites, step_size_jitter=0.2),
        unit_birth_death(model, proposal={"W1": (0.0, 0.3)}),
    )
    post = inference.mcmc(
        jax.random.PRNGKey(0), program, kernel=kernel, num_warmup=500, num_samples=3000, init_position=init
    )
    widths = np.asarray(post.samples["width"])  # [4, 3000]
    per_chain = np.stack([(widths == 1).mean(1), (widths <= 3).mean(1)], axis=1)  # [4, 2]
    mcse = per_chain.std(0, ddof=1) / 2
    p1, p_small = per_chain.mean(0)
    prior = model.width_probs
    assert p1 < 0.01, f"P(width = 1 | y) = {p1:.3f} (prior {prior[0]:.2f}; measured 0 over seeds 0-2)"
    # P(k ≤ 3 | k ≥ 2) under the prior is 0.77; measured P(k ≤ 3 | y) = 0.75-0.80 over seeds 0-2
    # with MCSE 0.02-0.04 (4 chains): 0.6 is about 4 MCSE below, and fails if the chains drift to
    # large widths (as an inverted Jacobian, which favours births, would make them)
    assert p_small > 0.6, f"P(width <= 3 | y) = {p_small:.3f} ± {mcse[1]:.3f}"
    assert np.mean(widths[:, 1:] != widths[:, :-1]) > 0.01  # the width does mix
    # the fit: posterior mean of f (over 400 spread-out draws) within 3 noise sds of the true function
    draws = {name: np.asarray(v).reshape(-1, *v.shape[2:])[::30] for name, v in post.samples.items()}
    f = [numpy_latent({s: v[i] for s, v in draws.items()}, x, int(draws["width"][i])) for i in range(400)]
    assert np.max(np.abs(np.mean(f, axis=0) - numpy_latent(true, x, 2))) < 0.6


def test_bad_arguments_raise_clear_errors():
    bnn = bayesnn.BNN(bayesnn.MLP((4,), "tanh", "ntk"))
    with pytest.raises(TypeError, match="bnn must be a bayesnn.BNN"):
        WidthBNN("not a bnn")
    with pytest.raises(ValueError, match="bnn.net.hidden"):
        WidthBNN(bayesnn.BNN(bayesnn.MLP(())))
    with pytest.raises(ValueError, match="width_prior must be one of"):
        WidthBNN(bnn, "zipf")
    with pytest.raises(ValueError, match="width_prior must have one probability per width"):
        WidthBNN(bnn, (0.5, 0.5))
    with pytest.raises(ValueError, match="summing to 1"):
        WidthBNN(bnn, (0.5, 0.5, 0.5, -0.5))
    with pytest.raises(ValueError, match="contiguous"):
        WidthBNN(bnn, (0.5, 0.0, 0.5, 0.0))
    assert WidthBNN(bnn, [0.0, 0.5, 0.5, 0.0]).width_probs.tolist() == [0.0, 0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="width_prior_param"):
        WidthBNN(bnn, "geometric", 1.5)
    with pytest.raises(ValueError, match="width_prior_param"):
        WidthBNN(bnn, "poisson", -1.0)
    with pytest.raises(ValueError, match="width_prior_param"):
        WidthBNN(bnn, "uniform", 2.0)
    with pytest.raises(ValueError, match="max_width"):
        padded_bnn(0)
    model = WidthBNN(bnn)
    with pytest.raises(TypeError, match="model must be a bayesnn.width.WidthBNN"):
        unit_birth_death(bnn)
    with pytest.raises(ValueError, match="max_width"):
        unit_birth_death(padded_bnn(1))
    with pytest.raises(ValueError, match="birth_prob"):
        unit_birth_death(model, birth_prob=1.0)
    with pytest.raises(ValueError, match="proposal names sites"):
        unit_birth_death(model, proposal={"W7": (0.0, 1.0)})
    with pytest.raises(ValueError, match="positive scale"):
        unit_birth_death(model, proposal={"W1": (0.0, 0.0)})
    with pytest.raises(TypeError, match="proposal must be a mapping"):
        unit_birth_death(model, proposal=[0.0, 1.0])
    with pytest.raises(ValueError, match="lacks sites"):
        unit_birth_death_move(model).propose(jax.random.PRNGKey(0), {"width": 2})
