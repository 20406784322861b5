"""A BNN whose width is inferred: a padded last hidden layer, a discrete ``width`` site, and a
reversible-jump move that gives birth to or kills one hidden unit (Green 1995, "Reversible
jump Markov chain Monte Carlo computation and Bayesian model determination", Biometrika 82:711).

Model (``WidthBNN.model``). The network is ``bnn.net`` whose last hidden layer is padded to
``K = max_width`` units; a latent integer ``width = k ∈ {1, …, K}`` says that units ``0..k-1``
are active. With ``φ_j(x)`` the last hidden layer (``MLP.features``: every earlier layer
scaled by ``bnn.net``'s parameterization),

    k ~ p(k)                                              (``width_prior``)
    θ ~ the BNN prior, for *every* unit, active or not
    f(x) = b_out + m(k) Σ_{j<k} w_j φ_j(x),   m(k) = g σ / √k   (standard, ntk)
                                              m(k) = g σ / k    (mup)
    y ~ bnn's likelihood given f

The output weights ``w_j`` (site ``W{L}``) are stored in NTK form, ``w_j ~ N(0, 1)`` whatever
the parameterization, and scaled by the *active* fan-in ``k`` in the forward pass; for
``standard`` this is the same prior over functions as standard weights ``N(0, g²σ²/k)``.

How the prior over functions depends on width: for standard/ntk its covariance does not —
``Cov[f(x), f(x')] = σ_b² + g²σ² E[φ_j(x) φ_j(x')]`` at every k, the NNGP kernel of the padded
layer (Neal 1996) — so the width changes only the shape of the prior: f is a sum of k i.i.d.
random features (excess kurtosis ∝ 1/k), a few basis functions for small k and nearly the
Gaussian process for large k. (Under mup the variance also falls as 1/k.)

Inactive units are padding, scored by the prior itself (a pseudo-prior equal to the prior,
Carlin & Chib 1995; ``inference.moves.Padded``'s convention for i.i.d. slots, so no ``Padded``
is needed): the padded target is ``p(k) p(θ) p(y | k, θ)``, whose marginal on ``(k, active
units)`` is the model's posterior and whose normalising constant is its evidence.

Move (``unit_birth_death``). Birth ``k → k+1``: the next padded unit takes fresh values
``v ~ proposal`` (default: the prior) and moves to a uniformly chosen position ``j ≤ k``;
death ``k → k-1``: unit ``j < k``, chosen uniformly, is removed and its slot refilled from the
prior. Both rescale the surviving output weights by ``m(k)/m(k')`` so that the function of the
units kept is unchanged (a new unit adds to the fit instead of shrinking it by ``√(k/(k+1))``).
The involution permutes units and scales ``k·out_dim`` values, so for a birth

    r = p(k+1) p(y | k+1, θ') p(θ') / (p(k) p(y | k, θ) p(θ)) · prior(v_old) / proposal(v)
        · P(death | k+1) / P(birth | k) · (m(k) / m(k+1))^{k·out_dim}

(Green 1995; the uniform choice of ``j`` has probability ``1/(k+1)`` both ways and cancels;
with the default proposal ``prior(v_old) / proposal(v)`` is one too). Births at ``k = 1`` and
deaths at ``k = K`` are forced; ``kernels.mhg`` takes the Jacobian by ``jax.jacfwd``, so the
last factor needs no hand derivation (tests/bayesnn/test_width.py checks it against this formula).

What the data say about the width. Because the prior covariance does not depend on k, the
likelihood rules out widths that are too small to fit (data from a 2-unit network: p(1 | y) = 0)
but does not by itself pull the width down: above the smallest adequate width the posterior
follows the prior's odds when a few units fit well (the 2-unit data), or moves up when more
units fit more easily (a damped sine, ``examples/bnn_width.py``). A prior decreasing in k is
what expresses a preference for small networks.

Efficiency. Newborn units drawn from the prior usually add an O(1) function and are rejected
once the fit is tight; a narrower proposal for the output weights, e.g.
``proposal={"W1": (0.0, 0.3)}``, makes births (and deaths of small units) likelier. The
continuous kernel must be cycled with this move (``kernels.cycle``): it moves the weights and
inactive units at fixed width. Cost: ``kernels.mhg`` differentiates the involution with respect
to every float of the position (``P`` forward passes and a ``P × P`` log-determinant for ``P``
parameters), cheap for the small networks whose width is worth inferring, not for thousands of
weights.
"""

import dataclasses
import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from scipy.stats import poisson

from .bnn import BNN
from .mlp import MLP

WIDTH_PRIORS = ("geometric", "poisson", "uniform")
DEFAULT_WIDTH_PRIOR_PARAM = {"geometric": 0.3, "poisson": 2.0, "uniform": None}
WIDTH = "width"


@dataclasses.dataclass(frozen=True)
class WidthBNN:
    """A ``BNN`` whose last hidden layer is padded to ``max_width`` units, of which a latent
    ``width`` are active (hashable: usable as a static jit argument).

    Args:
        bnn: the network, likelihood and priors; ``bnn.net.hidden[-1]`` is ``max_width``.
        width_prior: ``"geometric"`` (``p(k) ∝ q (1−q)^{k−1}``), ``"poisson"`` (``k − 1 ~
            Poisson(λ)``), ``"uniform"``, each truncated to ``{1, …, max_width}``; or a sequence
            of ``max_width`` probabilities ``p(1), …, p(max_width)``.
        width_prior_param: ``q ∈ (0, 1)`` (geometric, default 0.3) or ``λ > 0`` (poisson,
            default 2); not used otherwise.

    ``model(x, y=None, mask=None)`` has the ``BNN``'s sites (``W0, b0, …, W{L}, b{L}``, ``noise``
    if learned, ``prior_scale`` if hierarchical; ``continuous_sites``) and the integer site
    ``width``; ``W{L-1}: [fan_in, K]``, ``b{L-1}: [K]`` and ``W{L}: [K, out_dim]`` hold one slot
    per unit (``unit_sites``).
    """

    bnn: BNN
    width_prior: str | tuple[float, ...] = "geometric"
    width_prior_param: float | None = None

    def __post_init__(self):
        if not isinstance(self.bnn, BNN):
            raise TypeError(f"bnn must be a bayesnn.BNN, got {type(self.bnn).__name__}")
        if not self.bnn.net.hidden:
            raise ValueError("bnn.net.hidden must have at least one hidden layer: the last one is the padded layer")
        if isinstance(self.width_prior, str):
            if self.width_prior not in WIDTH_PRIORS:
                raise ValueError(
                    f"width_prior must be one of {WIDTH_PRIORS} or a sequence of probabilities, "
                    f"got {self.width_prior!r}"
                )
            param = self.width_prior_param
            if param is None:
                param = DEFAULT_WIDTH_PRIOR_PARAM[self.width_prior]
            elif self.width_prior == "uniform":
                raise ValueError("width_prior_param is not used by width_prior='uniform'; leave it None")
            elif not isinstance(param, numbers.Real) or isinstance(param, bool):
                raise TypeError(f"width_prior_param must be a number, got {type(param).__name__}")
            if self.width_prior == "geometric" and not 0.0 < param < 1.0:
                raise ValueError(f"width_prior_param (geometric q) must be in (0, 1), got {param}")
            if self.width_prior == "poisson" and not param > 0.0:
                raise ValueError(f"width_prior_param (poisson rate) must be > 0, got {param}")
            object.__setattr__(self, "width_prior_param", None if param is None else float(param))
        else:
            if not isinstance(self.width_prior, Sequence):
                raise TypeError(
                    f"width_prior must be a name in {WIDTH_PRIORS} or a sequence of probabilities, "
                    f"got {type(self.width_prior).__name__}"
                )
            probs = np.asarray(self.width_prior, dtype=float)
            if probs.shape != (self.max_width,):
                raise ValueError(
                    f"width_prior must have one probability per width 1..{self.max_width} (max_width), "
                    f"got shape {probs.shape}"
                )
            if np.any(probs < 0) or not np.all(np.isfinite(probs)) or abs(probs.sum() - 1.0) > 1e-6:
                raise ValueError(f"width_prior must be non-negative probabilities summing to 1, got {probs.tolist()}")
            support = np.flatnonzero(probs > 0)
            if support[-1] - support[0] + 1 != support.size:
                # births and deaths change the width by one: a zero inside the support splits the chain
                raise ValueError(f"width_prior must be positive on a contiguous range of widths, got {probs.tolist()}")
            if self.width_prior_param is not None:
                raise ValueError("width_prior_param is not used with explicit width_prior probabilities; leave it None")
            object.__setattr__(self, "width_prior", tuple(float(p) for p in probs))

    # -- layout ----------------------------------------------------------------------------------

    @property
    def max_width(self) -> int:
        """``K``: units in the padded (last hidden) layer."""
        return self.bnn.net.hidden[-1]

    @property
    def output_layer(self) -> int:
        """``L``: index of the output weights ``W{L}``; the padded layer's are ``W{L-1}, b{L-1}``."""
        return self.bnn.net.num_layers - 1

    @property
    def unit_sites(self) -> tuple[str, str, str]:
        """The sites holding one slot per unit: ``W{L-1}: [fan_in, K]`` (a column per unit),
        ``b{L-1}: [K]`` and ``W{L}: [K, out_dim]``."""
        L = self.output_layer
        return f"W{L - 1}", f"b{L - 1}", f"W{L}"

    @property
    def continuous_sites(self) -> tuple[str, ...]:
        """Every latent site but ``width``: what ``kernels.hmc(sites=...)`` moves."""
        names = tuple(self.bnn.net.shapes(1, self.bnn.out_dim))  # the names do not depend on the input size
        if self.bnn.learns_noise:
            names += ("noise",)
        if self.bnn.hierarchical:
            names += ("prior_scale",)
        return names

    @property
    def width_probs(self) -> np.ndarray:
        """The prior ``[p(1), …, p(max_width)]``: ``[max_width]``."""
        k = np.arange(1, self.max_width + 1)
        if not isinstance(self.width_prior, str):
            probs = np.asarray(self.width_prior)
        elif self.width_prior == "geometric":
            probs = (1.0 - self.width_prior_param) ** (k - 1)
        elif self.width_prior == "poisson":
            probs = poisson.pmf(k - 1, self.width_prior_param)
        else:
            probs = np.ones(self.max_width)
        return probs / probs.sum()

    # -- the NumPyro model -----------------------------------------------------------------------

    def output_multiplier(self, width, weight_scale) -> jax.Array:
        """``m(k)``: the forward-pass multiplier of the stored output weights at active width ``k``."""
        gain = self.bnn.net.gain * weight_scale
        width = jnp.asarray(width, dtype=jnp.result_type(float))
        if self.bnn.net.parameterization == "mup":
            return gain / width
        return gain / jnp.sqrt(width)

    def apply(self, params: dict, x: jax.Array, width, weight_scale) -> jax.Array:
        """The network output ``[n, out_dim]`` at ``x: [n, in_dim]`` with units ``0..width-1`` active."""
        L = self.output_layer
        features = self.bnn.net.features(params, x, weight_scale)  # [n, K]
        active = jnp.arange(self.max_width) < width
        w_out = jnp.where(active[:, None], params[f"W{L}"], 0.0)  # inactive units contribute nothing
        return features @ (self.output_multiplier(width, weight_scale) * w_out) + params[f"b{L}"]

    def model(self, x: jax.Array, y: jax.Array | None = None, mask: jax.Array | None = None) -> None:
        """The NumPyro model: ``x: [n, d]``, ``y: [n]`` (or None to predict), ``mask: [n]`` bool
        (False rows do not enter the likelihood; an all-False mask leaves the prior)."""
        bnn, net = self.bnn, self.bnn.net
        probs = jnp.asarray(np.r_[0.0, self.width_probs])  # index k = width; width 0 is impossible
        width = numpyro.sample(WIDTH, dist.Categorical(probs=probs))
        scale = bnn.prior_scale
        if bnn.hierarchical:
            scale = numpyro.sample("prior_scale", dist.HalfNormal(bnn.prior_scale))
        params = {}
        for name, shape in net.shapes(x.shape[-1], bnn.out_dim).items():
            layer = int(name[1:])
            if name == f"W{self.output_layer}":
                std = 1.0  # NTK-stored output weights: their prior does not depend on the width
            elif name[0] == "W":
                std = net.prior_std(layer, shape[0], scale)
            else:
                std = bnn.bias_scale
            params[name] = numpyro.sample(name, dist.Normal(0.0, std).expand(shape).to_event(len(shape)))
        noise = None
        if bnn.likelihood == "gaussian":
            noise = bnn.noise_sd(numpyro.sample("noise", bnn.noise_prior()) if bnn.learns_noise else None)
        f = self.apply(params, x, width, scale)
        with numpyro.plate("data", x.shape[0]):
            numpyro.sample("y", bnn.observation(f, noise).mask(True if mask is None else mask), obs=y)

    # -- what bayesnn.SampledBNNPosterior asks of a model ----------------------------------------

    @property
    def learns_noise(self) -> bool:
        return self.bnn.learns_noise

    def noise_sd(self, learned: jax.Array | None) -> jax.Array | None:
        return self.bnn.noise_sd(learned)

    def latent(self, values: dict, x: jax.Array) -> jax.Array:
        """The latent function at ``x: [m, d]`` for constrained site values (``width`` included):
        ``[m]`` (``[m, classes]``)."""
        params = {k: values[k] for k in self.bnn.net.shapes(x.shape[-1], self.bnn.out_dim)}
        f = self.apply(params, x, values[WIDTH], self.bnn.weight_scale(values))
        return f if self.bnn.likelihood == "categorical" else f[..., 0]


def padded_bnn(
    max_width: int,
    hidden: Sequence[int] = (),
    *,
    width_prior: str | Sequence[float] = "geometric",
    width_prior_param: float | None = None,
    **bnn_options,
) -> WidthBNN:
    """Shorthand: ``WidthBNN(BNN(MLP((*hidden, max_width), ...), ...), width_prior, width_prior_param)``.

    ``bnn_options`` go to ``MLP`` (``activation``, ``parameterization``) and ``BNN`` (the rest).
    """
    if isinstance(max_width, bool) or not isinstance(max_width, int | np.integer) or max_width < 1:
        raise ValueError(f"max_width must be a positive integer, got {max_width!r}")
    net_options = {k: bnn_options.pop(k) for k in ("activation", "parameterization") if k in bnn_options}
    net = MLP(hidden=(*tuple(hidden), int(max_width)), **net_options)
    prior = width_prior if isinstance(width_prior, str) else tuple(width_prior)
    return WidthBNN(BNN(net, **bnn_options), prior, width_prior_param)


# The move lives in ``width_moves`` (file length); its names stay importable from here.
from .width_moves import unit_birth_death, unit_birth_death_move, unit_prior  # noqa: E402

__all__ = ["WIDTH", "WidthBNN", "padded_bnn", "unit_birth_death", "unit_birth_death_move", "unit_prior"]
