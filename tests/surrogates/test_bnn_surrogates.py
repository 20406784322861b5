"""The BNN surrogates behind the protocol: small networks, fast settings, known answers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import surrogates

FAST = {
    "bnn_hmc": dict(num_warmup=100, num_samples=100, pretrain_steps=300),
    "bnn_sghmc": dict(num_steps=600, num_burnin=300),
    "ensemble": dict(num_members=4, train_steps=300),
    "laplace": dict(pretrain_steps=300),
}


@pytest.fixture(scope="module")
def smooth():
    """40 training points of a smooth 2-D function and 50 held-out points, standardised alike."""
    rng = np.random.default_rng(0)
    f = lambda X: np.sin(3 * X[:, 0]) + np.cos(2 * X[:, 1])  # noqa: E731
    X, Xq = rng.uniform(size=(40, 2)), rng.uniform(0.1, 0.9, size=(50, 2))
    mu, sd = f(X).mean(), f(X).std()
    return jnp.asarray(X), jnp.asarray((f(X) - mu) / sd), jnp.asarray(Xq), jnp.asarray((f(Xq) - mu) / sd)


def make(name, **options):
    return surrogates.get(name, hidden=(16, 16), method_options=FAST[name], **options)


@pytest.mark.parametrize("name", sorted(FAST))
def test_bnn_surrogate_learns_a_smooth_function(name, smooth):
    """Fit on 40 points of a smooth function: held-out RMSE well below the data's spread
    (1 in standardised units), positive variances, joint draws of the right shape."""
    X, y, Xq, yq = smooth
    post = make(name).fit(jax.random.PRNGKey(0), X, y)
    mean, var = post.predict(Xq)
    assert mean.shape == var.shape == (Xq.shape[0],)
    assert bool(jnp.all(var > 0)) and bool(jnp.all(jnp.isfinite(var)))
    rmse = float(jnp.sqrt(jnp.mean((mean - yq) ** 2)))
    assert rmse < 0.35, rmse
    draws = post.sample(jax.random.PRNGKey(1), Xq, 5)
    assert draws.shape == (5, Xq.shape[0])


def test_unknown_options_fail_when_the_surrogate_is_built():
    with pytest.raises(TypeError, match="unknown option"):
        surrogates.get("bnn_hmc", method_options={"leapfrogs": 3})
    with pytest.raises(TypeError, match="always uses method"):
        surrogates.get("ensemble", method="hmc")
    with pytest.raises(ValueError, match="activation"):
        surrogates.get("laplace", activation="nope")


def test_bo_iterations_with_a_bnn_surrogate_compile_nothing_within_a_size_bucket():
    """The BNN fit and the acquisition optimiser are each one program of the padded data:
    after the first model-based ask, asks 12..16 (one bucket) trigger no XLA compilation."""
    from surrogates.bo import Optimizer

    bounds = np.array([[0.0, 1.0], [0.0, 1.0]])
    fun = lambda x: float(np.sum((x - 0.3) ** 2))  # noqa: E731
    opt = Optimizer(
        bounds,
        surrogate="bnn_hmc",
        seed=0,
        n_init=10,
        surrogate_options=dict(hidden=(8,), method_options=FAST["bnn_hmc"]),
    )
    X = opt.ask(10)
    opt.tell(X, [fun(x) for x in X])
    x = opt.ask(1)  # compiles the fit and the proposal for the 16-row bucket
    opt.tell(x, [fun(x[0])])
    compiles = []
    listener = lambda event, duration, **kw: compiles.append(event)  # noqa: E731
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        for _ in range(4):
            x = opt.ask(1)
            opt.tell(x, [fun(x[0])])
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert compiles.count("/jax/core/compile/backend_compile_duration") == 0, compiles


def test_noise_is_a_variance_and_old_saved_runs_are_refused():
    # Every surrogate's noise is a variance; the network's likelihood takes its square root.
    assert surrogates.get("ensemble", noise=0.04)._bnn.noise == pytest.approx(0.2)
    assert surrogates.get("bnn_sghmc")._bnn.noise == pytest.approx(0.1)  # default variance 0.01
    assert surrogates.get("laplace")._bnn.noise == pytest.approx(0.01)  # its default variance 1e-4
    with pytest.raises(ValueError, match="positive variance"):
        surrogates.get("bnn_hmc", noise=-0.1)

    from surrogates.bo import Optimizer

    state = Optimizer([[0.0, 1.0]], surrogate="ensemble", surrogate_options={"noise": 0.04}).state_dict()
    assert Optimizer.from_state_dict(state).surrogate._bnn.noise == pytest.approx(0.2)
    # A state saved before the change (no options_version) meant noise as an sd: refused, with the fix.
    # (Format 1, from before bo.Strategy: the strategy's keys at the top of the state.)
    strategy = state.pop("strategy")
    state = {**state, **strategy, "format": "modbayes.optimizer/1", "n_init": state["n_init"]}
    old = {**state, "surrogate": {"name": "ensemble", "options": {"noise": 0.2}}}
    with pytest.raises(ValueError, match=r"standard deviation.*noise=0\.04"):
        Optimizer.from_state_dict(old)
    gp_old = {**state, "surrogate": {"name": "gp", "options": {"noise": 0.2}}}
    assert Optimizer.from_state_dict(gp_old).surrogate.noise == 0.2  # gp's noise always was a variance
