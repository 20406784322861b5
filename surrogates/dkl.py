"""Deep kernel learning surrogate (registered as ``"dkl"``).

Wilson, Hu, Salakhutdinov & Xing, "Deep kernel learning" (AISTATS 2016): an MLP
``g: [d] → [feature_dim]`` feeds a Matérn-5/2 ARD GP, ``k(x, x′) = k_M52(g(x), g(x′))``.
As in the paper, the MLP is first pretrained by least squares (with a linear head),
then the MLP weights, lengthscales and noise are trained jointly by maximising the
GP marginal likelihood (Adam, optax, float64). The GP on the features is gp.py's
(``matern52``, ``masked_gram``, ``GPPosterior``), so its predictions are gp.py's.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from bayesnn import MLP

from .gp import matern52
from .gp_posterior import GPPosterior, masked_gram
from .linalg import gaussian_quad_logdet
from .recalibration import check_folds, recalibrated
from .registry import register
from .threads import single_threaded_blas
from .training_data import as_training_data


def lecun_init(key: jax.Array, net: MLP, in_dim: int, out_dim: int) -> dict[str, jax.Array]:
    """``net``'s parameters ``{"W0": [in_dim, h1], "b0": [h1], ...}``: LeCun-normal weights
    (std 1/√fan-in, the usual DKL initialisation, not ``MLP.init``'s prior draw) and zero biases."""
    shapes = net.shapes(in_dim, out_dim)
    keys = jax.random.split(key, net.num_layers)
    params = {}
    for layer, k in enumerate(keys):
        (fan_in, fan_out) = shapes[f"W{layer}"]
        params[f"W{layer}"] = jax.random.normal(k, (fan_in, fan_out), jnp.float64) / jnp.sqrt(fan_in)
        params[f"b{layer}"] = jnp.zeros(fan_out, jnp.float64)
    return params


# The pretraining head on the features: a linear layer.
_LINEAR = MLP((), "tanh")


class DKLPosterior(eqx.Module):
    """``net``: the feature MLP's parameters (``bayesnn.MLP`` layout), ``mlp`` its configuration;
    ``gp``: gp.py's posterior on the training features."""

    net: dict
    gp: GPPosterior
    mlp: MLP = eqx.field(static=True)

    def predict(self, Xq: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Mean and variance of latent f at ``Xq: [m, d]``: ``([m], [m])``."""
        return self.gp.predict(self.mlp.apply(self.net, Xq))

    def sample(self, key: jax.Array, Xq: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of f at ``Xq: [m, d]``: ``[num_samples, m]``."""
        return self.gp.sample(key, self.mlp.apply(self.net, Xq), num_samples)


@register("dkl")
@dataclasses.dataclass(frozen=True)
class DKL:
    """Deep kernel learning.

    Args:
        hidden: MLP hidden widths.
        feature_dim: dimension of the learned features the GP sees.
        noise: initial observation-noise variance (learned, floor ``min_noise``).
        pretrain_steps, steps: Adam steps for the least-squares pretraining and the joint fit.
        learning_rate: Adam's step size for both.
        recalibration_folds: K-fold recalibration of the predictive (``surrogates.recalibration``),
            or ``None``. On 100 Sobol points the plain DKL predictive was ~900× too narrow on
            hartmann6 (held-out NLL 452, 95% coverage 0.15): the features are fitted to the same
            points, so held-out inputs map next to training ones (Ober, Rasmussen & van der Wilk,
            "The promises and pitfalls of deep kernel learning", UAI 2021).
    """

    hidden: tuple[int, ...] = (32, 32)
    feature_dim: int = 2
    noise: float = 1e-2
    min_noise: float = 1e-6
    pretrain_steps: int = 300
    steps: int = 300
    learning_rate: float = 1e-2
    recalibration_folds: int | None = 4

    def __post_init__(self):
        # A JSON list (CLI, study files, saved runs) becomes a tuple: the model is a jit static argument.
        hidden = tuple(self.hidden) if isinstance(self.hidden, list | tuple) else None
        if not hidden or not all(isinstance(h, int) and h >= 1 for h in hidden):
            raise ValueError(f"hidden must be a non-empty list of positive integers, got {self.hidden!r}")
        object.__setattr__(self, "hidden", hidden)
        for name in ("feature_dim", "pretrain_steps", "steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "feature_dim" else 0):
                raise ValueError(f"{name} must be a non-negative integer (feature_dim >= 1), got {value!r}")
        check_folds(self.recalibration_folds)
        # The feature network g, built once: a tanh MLP [d] → hidden → [feature_dim], linear output.
        object.__setattr__(self, "_mlp", MLP(hidden, "tanh"))

    @property
    def mlp(self) -> MLP:
        """The feature network's configuration (``bayesnn.MLP``)."""
        return self._mlp

    def fit(self, key: jax.Array, X: jax.Array, y: jax.Array, *, mask: jax.Array | None = None):
        """Condition on ``X: [n, d]``, ``y: [n]``; ``mask: [n] bool`` marks real rows; ``key`` initialises the MLP.

        Returns a ``DKLPosterior``, wrapped in a ``RecalibratedPosterior`` when ``recalibration_folds`` is set.
        """
        X, y, mask = as_training_data(X, y, mask)
        with single_threaded_blas():
            return jax.block_until_ready(self._fit_with(key, X, y, mask, traced=False))

    def fit_traced(self, key: jax.Array, X: jax.Array, y: jax.Array, mask: jax.Array):
        """``fit`` without the argument checks: pure JAX, traceable under ``jit``/``scan``/``vmap``."""
        return self._fit_with(key, X, y, mask, traced=True)

    def _fit_with(self, key, X, y, mask, *, traced: bool):
        def fit(key, X, y, mask):
            return _fit(self, key, X, y, mask)

        if self.recalibration_folds is None:
            return fit(key, X, y, mask)
        return recalibrated(fit, key, X, y, mask, self.recalibration_folds, traced=traced)

    def loss(self, params: dict, X, y, mask) -> jax.Array:
        """Negative GP log marginal likelihood on the features, per real row."""
        F = self.mlp.apply(params["net"], X)
        noise = self.min_noise + jnp.exp(params["log_noise"])
        K = masked_gram(matern52(jnp.exp(params["log_lengthscale"])), F, mask, noise)
        n = jnp.sum(mask)
        return (gaussian_quad_logdet(K, jnp.where(mask, y, 0.0)) + 0.5 * n * jnp.log(2 * jnp.pi)) / n


def _adam(loss, params, steps: int, learning_rate: float):
    opt = optax.adam(learning_rate)

    def step(carry, _):
        params, state = carry
        grads = jax.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), None

    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return params


@jax.jit(static_argnums=0)
def _fit(model: DKL, key, X, y, mask) -> DKLPosterior:
    key_net, key_head = jax.random.split(key)
    net = lecun_init(key_net, model.mlp, X.shape[1], model.feature_dim)
    head = lecun_init(key_head, _LINEAR, model.feature_dim, 1)
    m = mask.astype(X.dtype)

    def mse(p):
        # Pretraining puts a tanh and a linear head on the features (the paper's regression net).
        pred = _LINEAR.apply(p["head"], jnp.tanh(model.mlp.apply(p["net"], X)))[:, 0]
        return jnp.sum(m * (pred - y) ** 2) / jnp.sum(m)

    net = _adam(mse, {"net": net, "head": head}, model.pretrain_steps, model.learning_rate)["net"]
    params = {
        "net": net,
        # Features of a tanh MLP are O(1); a unit lengthscale starts the GP at that scale.
        "log_lengthscale": jnp.zeros(model.feature_dim),
        "log_noise": jnp.log(jnp.asarray(model.noise, jnp.float64)),
    }
    params = _adam(lambda p: model.loss(p, X, y, mask), params, model.steps, model.learning_rate)
    F = model.mlp.apply(params["net"], X)
    kernel, noise = matern52(jnp.exp(params["log_lengthscale"])), model.min_noise + jnp.exp(params["log_noise"])
    return DKLPosterior(params["net"], GPPosterior.condition(kernel, F, y, mask, noise), model.mlp)
