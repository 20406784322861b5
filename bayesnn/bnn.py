"""``BNN``: a Bayesian neural network written as an ordinary NumPyro model.

``BNN.model(x, y=None, mask=None)`` has one ``numpyro.sample`` site per weight matrix
and bias vector (``W0, b0, ..., W{L}, b{L}``), an optional ``noise`` site (Gaussian
likelihood with learned noise) and an optional ``prior_scale`` site (hierarchical
prior), and the observed site ``y`` inside a ``data`` plate. ``inference.Program``,
``numpyro.infer.MCMC`` and ``numpyro.infer.Predictive`` all accept it.

Priors: ``W{l}`` as the network's parameterization says (``MLP.prior_std``), biases
``N(0, bias_scale²)``; learned Gaussian noise sd ``~ LogNormal(log 0.1, 1)`` (for
standardised targets: a tenth of the data's spread, give or take a factor e);
hierarchical weight scale ``σ ~ HalfNormal(prior_scale)``.
"""

import dataclasses
import numbers

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from .mlp import MLP

LIKELIHOODS = ("gaussian", "bernoulli", "categorical")
NOISE_PRIOR_LOC, NOISE_PRIOR_SCALE = jnp.log(0.1), 1.0


@dataclasses.dataclass(frozen=True)
class BNN:
    """A Bayesian MLP (hashable: usable as a static jit argument).

    Args:
        net: the ``MLP``.
        prior_scale: weight prior scale σ (see ``MLP``); with ``hierarchical=True`` the
            scale of the half-normal prior on σ instead.
        likelihood: ``gaussian`` (y real, ``[n]``), ``bernoulli`` (y in {0, 1}, ``[n]``,
            logits from one output) or ``categorical`` (integer labels ``[n]``; set
            ``num_classes``).
        noise: ``"learned"`` or a fixed observation-noise standard deviation (Gaussian only).
        num_classes: outputs of a categorical network.
        bias_scale: prior sd of the biases.
        hierarchical: put a ``HalfNormal(prior_scale)`` prior on σ (site ``prior_scale``).
    """

    net: MLP = MLP()
    prior_scale: float = 1.0
    likelihood: str = "gaussian"
    noise: float | str = "learned"
    num_classes: int = 2
    bias_scale: float = 1.0
    hierarchical: bool = False

    def __post_init__(self):
        if not isinstance(self.net, MLP):
            raise TypeError(f"net must be a bayesnn.MLP, got {type(self.net).__name__}")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        for name in ("prior_scale", "bias_scale"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if self.noise != "learned" and not (
            isinstance(self.noise, numbers.Real) and not isinstance(self.noise, bool) and self.noise > 0
        ):
            raise ValueError(f"noise must be 'learned' or a positive standard deviation, got {self.noise!r}")
        if self.likelihood == "categorical" and not (isinstance(self.num_classes, int) and self.num_classes >= 2):
            raise ValueError(f"num_classes must be an integer >= 2, got {self.num_classes!r}")

    @property
    def out_dim(self) -> int:
        return self.num_classes if self.likelihood == "categorical" else 1

    @property
    def learns_noise(self) -> bool:
        return self.likelihood == "gaussian" and self.noise == "learned"

    # -- the NumPyro model ------------------------------------------------------------------------

    def model(self, x: jax.Array, y: jax.Array | None = None, mask: jax.Array | None = None) -> None:
        """The NumPyro model: ``x: [n, d]``, ``y: [n]`` (or None to predict), ``mask: [n]`` bool
        (False rows are padding: they do not enter the likelihood)."""
        scale = self.prior_scale
        if self.hierarchical:
            scale = numpyro.sample("prior_scale", dist.HalfNormal(self.prior_scale))
        params = {}
        for name, shape in self.net.shapes(x.shape[-1], self.out_dim).items():
            layer = int(name[1:])
            std = self.net.prior_std(layer, shape[0], scale) if name[0] == "W" else self.bias_scale
            params[name] = numpyro.sample(name, dist.Normal(0.0, std).expand(shape).to_event(len(shape)))
        noise = None
        if self.likelihood == "gaussian":
            noise = self.noise_sd(numpyro.sample("noise", self.noise_prior()) if self.learns_noise else None)
        f = self.net.apply(params, x, scale)
        with numpyro.plate("data", x.shape[0]):
            numpyro.sample("y", self.observation(f, noise).mask(True if mask is None else mask), obs=y)

    def noise_prior(self) -> dist.Distribution:
        return dist.LogNormal(NOISE_PRIOR_LOC, NOISE_PRIOR_SCALE)

    def noise_sd(self, learned: jax.Array | None) -> jax.Array | None:
        """The observation-noise sd: the learned value, or the fixed one."""
        if self.likelihood != "gaussian":
            return None
        return learned if self.learns_noise else jnp.asarray(float(self.noise))

    def observation(self, f: jax.Array, noise: jax.Array | None) -> dist.Distribution:
        """The distribution of y given the network output ``f: [n, out_dim]`` (batch shape ``[n]``)."""
        if self.likelihood == "gaussian":
            return dist.Normal(f[..., 0], noise)
        if self.likelihood == "bernoulli":
            return dist.BernoulliLogits(f[..., 0])
        return dist.CategoricalLogits(f)

    # -- pure functions of the constrained parameters ------------------------------------------

    def weight_scale(self, values: dict) -> jax.Array:
        """σ used in the forward pass: the sampled ``prior_scale`` site or the fixed value."""
        return values["prior_scale"] if self.hierarchical else jnp.asarray(self.prior_scale)

    def latent(self, values: dict, x: jax.Array) -> jax.Array:
        """The latent function at ``x: [m, d]`` for constrained site values: ``[m]`` (``[m, classes]``)."""
        params = {k: values[k] for k in self.net.shapes(x.shape[-1], self.out_dim)}
        f = self.net.apply(params, x, self.weight_scale(values))
        return f if self.likelihood == "categorical" else f[..., 0]
