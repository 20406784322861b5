"""Linearised Laplace for BNNs: a Gaussian around the MAP network and the GLM predictive.

MacKay (1992, "A practical Bayesian framework for backpropagation networks"); Immer,
Korzepa & Bauer (AISTATS 2021, "Improving predictions of Bayesian neural nets via local
linearization"); Daxberger et al. (NeurIPS 2021, "Laplace Redux").

1. MAP θ*: Adam on the model's log joint density over its unconstrained position
   (``map.map_starts``, one start); learned noise and a hierarchical ``prior_scale`` stay at
   their MAP values from here on.
2. Linearise the network in the Laplace parameters θ (``subset``: every weight and bias,
   or only the output layer ``W{L}, b{L}`` on the MAP features ``MLP.features``):
   f_lin(x; θ) = f(x; θ*) + J(x)(θ − θ*), ``J(x): [m, out, P]``.
3. The generalised Gauss–Newton matrix G = Σ_i J_iᵀ Λ_i J_i, Λ_i = −∂² log p(y_i | f)/∂f² at
   the MAP output (1/σ² Gaussian, p(1−p) Bernoulli, diag(p) − ppᵀ categorical; zero on
   padding rows), is the Hessian of the linearised model's log likelihood (Immer et al. 2021).
4. Posterior N(μ, Σ), Σ = (G + D)⁻¹, with D the model's own prior precisions (per
   parameter) or a scalar δ·I maximising the evidence (below); μ = θ* (``mean="map"``, as
   in Laplace Redux) or μ = θ* + Σb (``mean="glm"``, below).
5. GLM predictive: f(x) ~ N(f(x; θ*) + J(x)(μ − θ*), J(x) Σ J(x)ᵀ).

Evidence. With g = Σ_i J_iᵀ ∂ log p(y_i | f_i)/∂f_i, the linearised log likelihood is the
quadratic ℓ* + gᵀΔ − ½ ΔᵀGΔ in Δ = θ − θ*, and against the prior N(0, D⁻¹) it integrates
in closed form:

    log Z(D) = ℓ* − ½ θ*ᵀDθ* + ½ bᵀA⁻¹b + ½ log|D| − ½ log|A|,   A = G + D,  b = g − Dθ*.

If θ* is a mode under D, b = 0 and this is the usual Laplace evidence (MacKay 1992), the
one Daxberger et al. tune post hoc. The ½ bᵀA⁻¹b term accounts for θ* being the MAP under
the *model's* prior, not under δ: the Gaussian it integrates is centred at the linearised
model's mode θ* + A⁻¹b, the "glm" mean (one Gauss–Newton step towards Immer et al.'s
refined GLM posterior; exact for a Gaussian likelihood). For a Gaussian likelihood log Z
is the linearised model's exact marginal likelihood (on a linear network, Bayesian linear
regression's), and its maximiser in δ is the fixed point of MacKay's re-estimation with
the mode re-solved each time; the formula without that term would instead favour δ that
explains θ*, the mode of a different prior. δ comes from a log grid on G's
range (``bayesnn.laplace_evidence``: a thin SVD of the whitened Jacobian, each evaluation
O(n)), refined by golden-section search and Newton steps on the derivative.

Where the data carry no signal the evidence prefers δ → ∞ (Occam's razor) and the
variances collapse: δ stays inside ``laplace_evidence.LOG_PRIOR_PRECISION_RANGE``. Use float64 (the
``surrogates`` package turns it on): G + δI can be ill-conditioned for float32.
"""

import dataclasses
import time
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from inference import Program

from .bnn import BNN, NOISE_PRIOR_LOC
from .laplace_evidence import (
    gaussian_posterior,
    ggn_range,
    isotropic_posterior,
    optimal_prior_precision,
)
from .map import map_starts

SUBSETS = ("auto", "all", "last_layer")
MEANS = ("map", "glm")
# "auto" takes the full GGN up to this many parameters: its [P, P] covariance factor (and, with the
# model's prior, the Cholesky factor) stay cheap (seconds on a CPU); bigger networks get the last layer.
AUTO_FULL_MAX_PARAMS = 3000
_VARIANCE_FLOOR = 1e-12  # keeps log-variance acquisitions finite where the data pin f down


def laplace_names(bnn: BNN, in_dim: int, subset: str) -> tuple[str, ...]:
    """The sites the Gaussian is over: every ``W{l}, b{l}`` or only the output layer's.

    ``subset="auto"`` is ``"all"`` for networks of at most ``AUTO_FULL_MAX_PARAMS`` parameters.
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
    if subset == "auto":
        subset = "all" if bnn.net.num_params(in_dim, bnn.out_dim) <= AUTO_FULL_MAX_PARAMS else "last_layer"
    if subset == "all":
        return tuple(bnn.net.shapes(in_dim, bnn.out_dim))
    last = bnn.net.num_layers - 1
    return (f"W{last}", f"b{last}")


def _split(values: dict, names: tuple[str, ...]):
    """θ* ``[P]`` of the Laplace sites and the function back to ``{site: array}``."""
    return ravel_pytree({k: values[k] for k in names})


def linearize(bnn: BNN, values: dict, names: tuple[str, ...], x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The network output ``f(x; θ*): [m, out]`` and its Jacobian ``J: [m, out, P]`` in the
    Laplace parameters ``names`` (flattened as ``ravel_pytree`` orders them)."""
    net, scale = bnn.net, bnn.weight_scale(values)
    params = {k: values[k] for k in net.shapes(x.shape[-1], bnn.out_dim)}
    theta, unravel = _split(values, names)
    last = net.num_layers - 1
    if set(names) == {f"W{last}", f"b{last}"} and last > 0:
        # The features do not depend on θ: compute them once, outside the differentiated function.
        features = net.features(params, x, scale)

        def f(theta):
            p = unravel(theta)
            W = p[f"W{last}"]
            return features @ (net.multiplier(last, W.shape[0], scale) * W) + p[f"b{last}"]

    else:

        def f(theta):
            return net.apply({**params, **unravel(theta)}, x, scale)

    # Reverse mode costs one pass per output, forward mode one per parameter.
    jacobian = jax.jacrev if x.shape[0] * bnn.out_dim < theta.size else jax.jacfwd
    return f(theta), jacobian(f)(theta)


def likelihood_terms(bnn: BNN, f: jax.Array, y: jax.Array, mask: jax.Array, noise: jax.Array | None):
    """At the network output ``f: [n, out]``: the masked log likelihood (scalar), its gradient
    ``r = ∂/∂f: [n, out]`` and the negative Hessian ``Λ: [n, out, out]`` (zero on padding rows).

    These are the canonical-link GLM forms (Immer et al. 2021): the Hessian of the
    log likelihood in f does not involve y, so G = Σ JᵀΛJ is positive semi-definite.
    """
    weight = mask.astype(f.dtype)
    log_lik = jnp.sum(jnp.where(mask, bnn.observation(f, noise).log_prob(y), 0.0))
    if bnn.likelihood == "gaussian":
        r = ((y - f[:, 0]) / noise**2)[:, None]
        hessian = jnp.broadcast_to(1.0 / noise**2, f.shape[:1])[:, None, None]
    elif bnn.likelihood == "bernoulli":
        p = jax.nn.sigmoid(f[:, 0])
        r = (y - p)[:, None]
        hessian = (p * (1.0 - p))[:, None, None]
    else:
        p = jax.nn.softmax(f, axis=-1)
        r = jax.nn.one_hot(y, f.shape[-1], dtype=f.dtype) - p
        hessian = jax.vmap(jnp.diag)(p) - p[:, :, None] * p[:, None, :]
    return log_lik, r * weight[:, None], hessian * weight[:, None, None]


def prior_std(bnn: BNN, weight_scale, names: tuple[str, ...], in_dim: int) -> dict:
    """``{site: array}``: the BNN prior's sd of every parameter of ``names`` (``MLP.prior_std``
    for weights, ``bias_scale`` for biases) at the weight scale σ ``weight_scale``."""
    shapes = bnn.net.shapes(in_dim, bnn.out_dim)
    std = {}
    for name in names:
        shape, layer = shapes[name], int(name[1:])
        value = bnn.net.prior_std(layer, shape[0], weight_scale) if name[0] == "W" else bnn.bias_scale
        std[name] = jnp.broadcast_to(jnp.asarray(value, float), shape)
    return std


def model_prior_precision(bnn: BNN, values: dict, names: tuple[str, ...], in_dim: int) -> jax.Array:
    """``[P]``: 1/prior variance of each Laplace parameter under the BNN's own prior, with a
    hierarchical σ at its value in ``values``."""
    std = prior_std(bnn, bnn.weight_scale(values), names, in_dim)
    return _split(jax.tree.map(lambda s: 1.0 / s**2, std), names)[0]


def prior_draw(key: jax.Array, bnn: BNN, program: Program, in_dim: int) -> jax.Array:
    """The MAP's starting position ``[dim]`` (the ``draw`` of ``map.map_starts``): the weights and
    biases a draw from their prior, learned noise at its prior median (0.1) and a hierarchical σ at
    ``prior_scale``.

    One ``jax.random.normal`` for all weights, scaled per parameter: the same law as
    ``Program.sample_prior``'s weight draws, but one random-number program instead of one
    per site, which compiles several times faster (the fit recompiles per data size).
    """
    names = tuple(bnn.net.shapes(in_dim, bnn.out_dim))
    hyper = {"prior_scale": jnp.asarray(float(bnn.prior_scale))} if bnn.hierarchical else {}
    std, unravel = _split(prior_std(bnn, bnn.weight_scale(hyper), names, in_dim), names)
    values = unravel(std * jax.random.normal(key, std.shape, std.dtype)) | hyper
    if bnn.learns_noise:
        values["noise"] = jnp.exp(jnp.asarray(NOISE_PRIOR_LOC, std.dtype))
    return program.unconstrain(values)


class LinearizedBNNPosterior(eqx.Module):
    """N(μ, Σ) over the parameters ``laplace_sites`` pushed through the network linearised at θ*.

    Attributes:
        bnn: the model.
        laplace_sites: the sites the Gaussian is over (every layer, or the output layer).
        values: the MAP network ``{site: array}``, the linearisation point θ* (constrained;
            noise and ``prior_scale`` included where the model has them).
        mean_shift: ``[P]`` μ − θ* (zeros for ``mean="map"``).
        cov_factor: ``[P, P]`` a factor S with Σ = SSᵀ = (G + D)⁻¹: Σ's symmetric square root for
            the scalar δ, the inverse-transposed Cholesky factor of G + D for the model's prior.
        prior_precision: ``[P]`` the diagonal D used (δ repeated when optimised).
        log_evidence: log Z(D) of the linearised model (module docstring).
        timings: seconds, as 0-d numpy arrays. A dynamic field on purpose: a static field
            that changes with every fit would recompile the jitted acquisition optimiser
            that the posterior is passed into.

    Parameters are flattened in ``ravel_pytree`` order of ``laplace_sites`` (sorted names).
    ``predict``/``sample`` are about the latent f: ``[m]`` for Gaussian and Bernoulli
    likelihoods (logits for Bernoulli); for a categorical likelihood every class's logit,
    ``[m, classes]`` (per-class marginals; joint draws keep the correlation across classes).
    """

    bnn: BNN = eqx.field(static=True)
    laplace_sites: tuple[str, ...] = eqx.field(static=True)
    values: dict
    mean_shift: jax.Array
    cov_factor: jax.Array
    prior_precision: jax.Array
    log_evidence: jax.Array
    timings: dict = eqx.field(default_factory=dict)
    method: str = eqx.field(static=True, default="laplace")

    def with_timings(self, timings: dict) -> "LinearizedBNNPosterior":
        """This posterior carrying ``timings`` (seconds, stored as 0-d numpy arrays)."""
        return dataclasses.replace(self, timings={k: np.asarray(v) for k, v in timings.items()})

    @property
    def mean(self) -> jax.Array:
        """μ ``[P]``."""
        return _split(self.values, self.laplace_sites)[0] + self.mean_shift

    @property
    def covariance(self) -> jax.Array:
        """Σ ``[P, P]``."""
        return self.cov_factor @ self.cov_factor.T

    def _squeeze(self, f: jax.Array) -> jax.Array:
        return f if self.bnn.likelihood == "categorical" else f[..., 0]

    def _mean_and_projected_factor(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The predictive mean f(x; θ*) + J(x)(μ − θ*) ``[m, out]`` and J(x) S ``[m, out, P]``."""
        f, J = linearize(self.bnn, self.values, self.laplace_sites, x)
        return f + J @ self.mean_shift, J @ self.cov_factor

    def predict(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """GLM predictive mean f(x; θ*) + J(x)(μ − θ*) and variance diag J Σ Jᵀ at ``x: [m, d]``:
        ``([m], [m])``, or ``([m, classes], [m, classes])`` for a categorical likelihood."""
        f, JS = self._mean_and_projected_factor(x)
        var = jnp.maximum(jnp.sum(JS**2, axis=-1), _VARIANCE_FLOOR)
        return self._squeeze(f), self._squeeze(var)

    def sample(self, key: jax.Array, x: jax.Array, num_samples: int) -> jax.Array:
        """Joint draws of the linearised f at ``x: [m, d]``: ``[num_samples, m]``
        (``[num_samples, m, classes]``); f = mean(x) + J(x) S ε with ε ~ N(0, I) from
        ``key``, so for a fixed key the draws are differentiable in ``x``."""
        f, JS = self._mean_and_projected_factor(x)
        eps = jax.random.normal(key, (num_samples, JS.shape[-1]), JS.dtype)
        return self._squeeze(f[None] + jnp.einsum("mop,sp->smo", JS, eps))

    def sample_params(self, key: jax.Array, num_samples: int) -> dict:
        """Networks θ ~ N(μ, Σ) as constrained values ``{site: [num_samples, ...]}`` (the other
        sites at their MAP). Run through the *nonlinear* network (``SampledBNNPosterior``)
        they give the "sampled Laplace" predictive, which Immer et al. show underfits."""
        mean, unravel = _split(self.values, self.laplace_sites)
        eps = jax.random.normal(key, (num_samples, mean.size), mean.dtype)
        drawn = jax.vmap(unravel)(mean + self.mean_shift + eps @ self.cov_factor.T)
        return {k: jnp.broadcast_to(v, (num_samples, *v.shape)) for k, v in self.values.items()} | drawn

    def noise_sd(self) -> jax.Array | None:
        """The observation-noise sd: the MAP value (learned noise), the fixed one, or None."""
        return self.bnn.noise_sd(self.values.get("noise"))

    def to_arviz(self):
        raise TypeError(
            "laplace is not sampling-based: a LinearizedBNNPosterior is a Gaussian, not a set of draws, "
            "so it has no ArviZ trace. Use predict/sample, .mean and .covariance, or sample_params(key, n) "
            "for parameter draws."
        )


@partial(
    jax.jit, static_argnames=("bnn", "names", "pretrain_steps", "learning_rate", "optimize_prior_precision", "mean")
)
def _fit(key, x, y, mask, *, bnn: BNN, names, pretrain_steps, learning_rate, optimize_prior_precision, mean):
    program = Program(bnn.model, x, y, mask)
    draw = lambda k, num_chains: prior_draw(k, bnn, program, x.shape[-1])[None]  # noqa: E731  (one start)
    z = map_starts(key, program, 1, pretrain_steps, learning_rate, draw=draw)[0]
    values = program.constrain(z)
    values = {k: values[k] for k in program.latent_names}
    f, J = linearize(bnn, values, names, x)
    log_lik, r, hessian = likelihood_terms(bnn, f, y, mask, bnn.noise_sd(values.get("noise")))
    g = jnp.einsum("nap,na->p", J, r)
    theta = _split(values, names)[0]
    if optimize_prior_precision:
        # In G's range (``laplace_evidence``): O(n²P), not the O(P³) of G's eigendecomposition.
        eigenvalues, V = ggn_range(J, hessian)
        delta = optimal_prior_precision(eigenvalues, V, g, theta)
        precision = jnp.full_like(theta, delta)
        cov_factor, shift, log_evidence = isotropic_posterior(eigenvalues, V, g, theta, delta, log_lik)
    else:
        precision = model_prior_precision(bnn, values, names, x.shape[-1])
        ggn = jnp.einsum("nap,nab,nbq->pq", J, hessian, J)
        cov_factor, shift, log_evidence = gaussian_posterior(ggn, g, theta, precision, log_lik)
    shift = shift if mean == "glm" else jnp.zeros_like(shift)
    return values, shift, cov_factor, precision, log_evidence


# Options and defaults (``bayesnn.fit`` rejects anything else by name).
DEFAULTS = {
    "laplace": dict(subset="auto", pretrain_steps=1000, learning_rate=0.01, optimize_prior_precision=True, mean="map")
}


def program(key, bnn: BNN, x, y, mask, method: str, options: dict, report=None) -> "LinearizedBNNPosterior":
    """Linearised Laplace for resolved ``options`` (``bayesnn.fit``): traceable (the option checks
    are on static values); ``report`` is unused."""
    check_laplace_options(options)
    names = laplace_names(bnn, x.shape[-1], options["subset"])
    rest = {k: v for k, v in options.items() if k != "subset"}
    return LinearizedBNNPosterior(bnn, names, *_fit(key, x, y, mask, bnn=bnn, names=names, **rest), {})


def check_laplace_options(options: dict) -> None:
    """Raise for a bad ``subset``, ``mean`` or ``optimize_prior_precision`` in ``options``."""
    if options["subset"] not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {options['subset']!r}")
    if options["mean"] not in MEANS:
        raise ValueError(f"mean must be one of {MEANS}, got {options['mean']!r}")
    if not isinstance(options["optimize_prior_precision"], bool):
        raise TypeError(f"optimize_prior_precision must be True or False, got {options['optimize_prior_precision']!r}")


def fit_laplace(
    key: jax.Array,
    bnn: BNN,
    x: jax.Array,
    y: jax.Array,
    mask: jax.Array,
    *,
    subset: str = "auto",
    pretrain_steps: int = 1000,
    learning_rate: float = 0.01,
    optimize_prior_precision: bool = True,
    mean: str = "map",
) -> tuple[LinearizedBNNPosterior, dict]:
    """Linearised Laplace around the MAP network (module docstring), on data checked by ``bayesnn.fit``.

    Args:
        key: PRNG key of the MAP start (a prior draw of the weights).
        bnn: the model; x ``[n, d]``, y ``[n]``, mask ``[n]`` bool (False rows are padding).
        subset: ``"all"`` (full GGN), ``"last_layer"``, or ``"auto"``: all when the network
            has at most ``AUTO_FULL_MAX_PARAMS`` parameters, else the last layer.
        pretrain_steps, learning_rate: Adam steps and initial learning rate of the MAP fit.
        optimize_prior_precision: replace the model's prior precisions by the scalar δ that
            maximises the linearised model's evidence; False keeps the model's own.
        mean: ``"map"``: the Gaussian is centred at θ* (Laplace Redux); ``"glm"``: at the
            linearised model's mode under the prior used, θ* + Σb (the posterior mean of
            the linearised model for a Gaussian likelihood; one Newton step otherwise).

    Returns:
        ``(LinearizedBNNPosterior, {"fit": seconds})``; the fit is one jitted program of
        the data, reused on refits of the same shapes.
    """
    options = dict(subset=subset, pretrain_steps=pretrain_steps, learning_rate=learning_rate)
    options |= dict(optimize_prior_precision=optimize_prior_precision, mean=mean)
    start = time.perf_counter()
    posterior = jax.block_until_ready(program(key, bnn, x, y, mask, "laplace", options))
    timings = {"fit": time.perf_counter() - start}
    return posterior.with_timings(timings), timings
