"""A NumPyro model bound to its arguments, seen as a density on unconstrained space.

``Program`` is the representation every inference block works on (DESIGN.md §2).
It traces the model once with NumPyro's effect handlers to learn its sites, then
exposes pure, jit- and vmap-safe functions of a *position*:

* the **flat view** ``z: [dim]`` — every continuous latent site, mapped to the
  real line with ``biject_to(support).inv`` and raveled (``jax.flatten_util``);
* the **site view** ``{name: array}`` — continuous sites unconstrained, discrete
  sites (model indices, inclusion indicators) as integers. Models with discrete
  latent sites only have this view.

Densities include the log-Jacobian of the unconstraining transform, added by
NumPyro's own ``_unconstrain_reparam`` (the mechanism behind
``numpyro.infer.util.potential_energy``), and are split into a prior part (latent
sites + Jacobians) and a likelihood part (observed sites and ``numpyro.factor``
terms), so that tempering ``log_prior + beta * log_likelihood`` targets the
right distribution.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from numpyro import handlers
from numpyro.distributions import biject_to
from numpyro.infer.util import _unconstrain_reparam

Position = Any  # a flat array [dim] or a dict {site: array}


def _site_log_prob(site: dict) -> jax.Array:
    """Elementwise log-probability of one sample site, with its scale (``handlers.scale``)
    applied; ``handlers.mask`` is already inside ``site['fn']``."""
    fn, value = site["fn"], site["value"]
    log_prob = fn.log_prob(value, site["intermediates"]) if site["intermediates"] else fn.log_prob(value)
    if site["scale"] is not None:
        log_prob = site["scale"] * log_prob
    return log_prob


def _is_jacobian_site(name: str, latent: set[str]) -> bool:
    return name.startswith("_") and name.endswith("_log_det") and name[1:-8] in latent


class Program:
    """A NumPyro model bound to ``*args, **kwargs``.

    Args:
        model: a NumPyro model (a Python callable with ``numpyro.sample`` sites).
        *args, **kwargs: the arguments it is called with; observed data among them.

    Attributes:
        dim: size of the flat unconstrained vector of continuous latent sites.
        latent_names: all latent sample sites (continuous and discrete), sorted.
        continuous_names, discrete_names: the two kinds of latent sites.
        observed_names: observed sample sites (including ``numpyro.factor`` sites).
        deterministic_names: ``numpyro.deterministic`` sites.

    The model must draw the same set of latent sites on every run (fixed
    structure); trans-dimensional models pad their arrays and use a discrete
    index site (see ``inference.moves``).
    """

    def __init__(self, model: Callable, *args, **kwargs):
        if not callable(model):
            raise TypeError(f"model must be a callable NumPyro model, got {type(model).__name__}")
        self.model, self.args, self.kwargs = model, args, kwargs
        trace = handlers.trace(handlers.seed(model, 0)).get_trace(*args, **kwargs)
        samples = {n: s for n, s in trace.items() if s["type"] == "sample"}
        latent = {n: s for n, s in samples.items() if not s["is_observed"]}
        if not latent:
            raise ValueError(
                f"model {getattr(model, '__name__', model)!r} has no latent sample sites: "
                "there is nothing to infer (every numpyro.sample site has obs=...)"
            )
        self.discrete_names = tuple(sorted(n for n, s in latent.items() if s["fn"].support.is_discrete))
        self.continuous_names = tuple(sorted(n for n in latent if n not in self.discrete_names))
        self.latent_names = tuple(sorted(latent))
        self.observed_names = tuple(n for n, s in samples.items() if s["is_observed"])
        self.deterministic_names = tuple(n for n, s in trace.items() if s["type"] == "deterministic")
        self._latent_shapes = {n: jnp.shape(s["value"]) for n, s in latent.items()}
        self._discrete_dtypes = {n: jnp.asarray(latent[n]["value"]).dtype for n in self.discrete_names}
        example = self._unconstrain_trace(trace)
        continuous_example = {n: example[n] for n in self.continuous_names}
        flat, self._unravel = ravel_pytree(continuous_example)
        self.dim = int(flat.size)
        self._observed = {n: samples[n]["value"] for n in self.observed_names if not n.startswith("_")}

    def __repr__(self) -> str:
        name = getattr(self.model, "__name__", "model")
        return f"Program({name}, dim={self.dim}, latent={list(self.latent_names)})"

    # -- positions ---------------------------------------------------------------------------
    @property
    def has_discrete(self) -> bool:
        return bool(self.discrete_names)

    def to_sites(self, z: Position) -> dict:
        """The site view of a position (flat ``z: [dim]`` or already a dict)."""
        if isinstance(z, dict):
            return z
        if self.has_discrete:
            raise TypeError(
                f"this program has discrete latent sites {list(self.discrete_names)}: "
                "positions must be dicts {site: value}, not flat vectors"
            )
        return self._unravel(z)

    def to_flat(self, sites: dict) -> jax.Array:
        """The flat view ``[dim]`` of the continuous sites of a site-view position."""
        return ravel_pytree({n: sites[n] for n in self.continuous_names})[0]

    def _position_from_sites(self, sites: dict) -> Position:
        return sites if self.has_discrete else self.to_flat(sites)

    def _unconstrain_trace(self, trace) -> dict:
        out = {}
        for name in self.latent_names:
            site = trace[name]
            if name in self.discrete_names:
                out[name] = jnp.asarray(site["value"])
            else:
                out[name] = biject_to(site["fn"].support).inv(site["value"])
        return out

    # -- tracing -----------------------------------------------------------------------------
    def _trace(self, z: Position):
        sites = self.to_sites(z)
        continuous = {n: sites[n] for n in self.continuous_names}
        discrete = {n: sites[n] for n in self.discrete_names}
        model = handlers.substitute(self.model, data=discrete)
        model = handlers.substitute(model, substitute_fn=partial(_unconstrain_reparam, continuous))
        return handlers.trace(model).get_trace(*self.args, **self.kwargs)

    def log_prior_and_likelihood(self, z: Position) -> tuple[jax.Array, jax.Array]:
        """``(log_prior(z), log_likelihood(z))`` from one trace of the model (for tempering)."""
        trace = self._trace(z)
        latent = set(self.latent_names)
        log_prior, log_lik = jnp.zeros(()), jnp.zeros(())
        for name, site in trace.items():
            if site["type"] != "sample":
                continue
            lp = jnp.sum(_site_log_prob(site))
            if name in latent or _is_jacobian_site(name, latent):
                log_prior = log_prior + lp
            else:
                log_lik = log_lik + lp
        return log_prior, log_lik

    # -- densities ---------------------------------------------------------------------------
    def log_prior(self, z: Position) -> jax.Array:
        """log p(θ) + log|det ∂θ/∂z| at an unconstrained position (scalar)."""
        return self.log_prior_and_likelihood(z)[0]

    def log_likelihood(self, z: Position) -> jax.Array:
        """log p(y | θ): observed sites and ``numpyro.factor`` terms (scalar)."""
        return self.log_prior_and_likelihood(z)[1]

    def log_density(self, z: Position) -> jax.Array:
        """log p(θ, y) + log-Jacobian = ``log_prior(z) + log_likelihood(z)`` (scalar)."""
        log_prior, log_lik = self.log_prior_and_likelihood(z)
        return log_prior + log_lik

    def log_density_by_site(self, z: Position) -> dict[str, jax.Array]:
        """Summed log-density of each sample site (Jacobian sites included), for diagnostics."""
        return {n: jnp.sum(_site_log_prob(s)) for n, s in self._trace(z).items() if s["type"] == "sample"}

    def pointwise_log_likelihood(self, z: Position) -> dict[str, jax.Array]:
        """``{observed site: log p(y_i | θ)}`` elementwise over each site's batch shape
        (for data annealing, LOO and WAIC)."""
        latent = set(self.latent_names)
        out = {}
        for name, site in self._trace(z).items():
            if site["type"] == "sample" and site["is_observed"] and not _is_jacobian_site(name, latent):
                out[name] = _site_log_prob(site)
        return out

    # -- constrained <-> unconstrained --------------------------------------------------------
    def constrain(self, z: Position) -> dict[str, jax.Array]:
        """``{name: value}`` on the model's own (constrained) scale, latent and
        ``numpyro.deterministic`` sites."""
        trace = self._trace(z)
        names = self.latent_names + self.deterministic_names
        return {n: trace[n]["value"] for n in names}

    def unconstrain(self, values: dict) -> Position:
        """Inverse of ``constrain`` for the latent sites: constrained ``{name: value}`` -> position."""
        missing = set(self.latent_names) - set(values)
        if missing:
            raise ValueError(f"unconstrain: values lacks latent sites {sorted(missing)}")
        model = handlers.seed(handlers.substitute(self.model, data=dict(values)), 0)
        trace = handlers.trace(model).get_trace(*self.args, **self.kwargs)
        return self._position_from_sites(self._unconstrain_trace(trace))

    # -- drawing positions -------------------------------------------------------------------
    def sample_prior(self, key: jax.Array, n: int) -> Position:
        """``n`` unconstrained draws from the prior: ``z[n, dim]`` (or a dict with a leading ``n``)."""

        def one(key):
            trace = handlers.trace(handlers.seed(self.model, key)).get_trace(*self.args, **self.kwargs)
            return self._position_from_sites(self._unconstrain_trace(trace))

        return jax.vmap(one)(jax.random.split(key, n))

    def initial_positions(self, key: jax.Array, n: int, radius: float = 2.0) -> Position:
        """``n`` starting points: continuous sites uniform in ``(-radius, radius)`` on the
        unconstrained scale (NumPyro's ``init_to_uniform``), discrete sites from the prior."""
        k_uniform, k_prior = jax.random.split(key)
        z = jax.random.uniform(k_uniform, (n, self.dim), minval=-radius, maxval=radius)
        if not self.has_discrete:
            return z
        prior = self.sample_prior(k_prior, n)
        continuous = jax.vmap(self._unravel)(z)
        return {**prior, **continuous}

    def observed_data(self) -> dict[str, jax.Array]:
        """The values of the observed sites, as bound to this program."""
        return dict(self._observed)

    def check_sites(self, values: dict, argument: str = "init_position") -> None:
        """Raise ``ValueError`` unless ``values`` has exactly the latent sites with their shapes."""
        if not isinstance(values, dict):
            raise TypeError(
                f"{argument} must be a dict {{site: value}} with sites {list(self.latent_names)}, "
                f"got {type(values).__name__}"
            )
        if set(values) != set(self.latent_names):
            raise ValueError(
                f"{argument} must have exactly the latent sites {list(self.latent_names)}, got {sorted(values)}"
            )
        for name, value in values.items():
            if jnp.shape(value) != self._latent_shapes[name]:
                raise ValueError(
                    f"{argument}[{name!r}] has shape {jnp.shape(value)}, expected {self._latent_shapes[name]}"
                )
