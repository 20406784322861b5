"""State-space models written as three NumPyro functions (DESIGN.md §2).

    x_0 ~ init(params)
    x_t ~ transition(params, x_{t-1}, t)        t = 1..T
    y_t ~ emission(params, x_t, t, y=y_t)

Each function has exactly one ``numpyro.sample`` site (the emission's is observed
through ``obs=y``). ``params`` is any pytree (a dict of parameter values).
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
from numpyro import handlers


def _single_site(fn: Callable, trace, role: str) -> dict:
    sites = [s for s in trace.values() if s["type"] == "sample"]
    if len(sites) != 1:
        names = [s["name"] for s in sites]
        raise ValueError(
            f"the state-space {role} function {getattr(fn, '__name__', fn)!r} must have exactly one "
            f"numpyro.sample site, found {len(sites)} {names}"
        )
    return sites[0]


@dataclasses.dataclass(frozen=True)
class StateSpaceModel:
    """``init(params) -> x0``, ``transition(params, x_prev, t) -> x_t``,
    ``emission(params, x_t, t, y=None)``; NumPyro functions with one sample site each."""

    init: Callable
    transition: Callable
    emission: Callable

    def __post_init__(self):
        for role in ("init", "transition", "emission"):
            if not callable(getattr(self, role)):
                raise TypeError(f"StateSpaceModel.{role} must be a callable, got {getattr(self, role)!r}")

    # -- one particle -------------------------------------------------------------------------
    def sample_init(self, key, params):
        trace = handlers.trace(handlers.seed(self.init, key)).get_trace(params)
        return _single_site(self.init, trace, "init")["value"]

    def sample_transition(self, key, params, x_prev, t):
        trace = handlers.trace(handlers.seed(self.transition, key)).get_trace(params, x_prev, t)
        return _single_site(self.transition, trace, "transition")["value"]

    def log_emission(self, params, x, t, y):
        """log g(y_t | x_t) (the emission site's log-probability, summed)."""
        trace = handlers.trace(handlers.seed(self.emission, 0)).get_trace(params, x, t, y=y)
        site = _single_site(self.emission, trace, "emission")
        return jnp.sum(site["fn"].log_prob(site["value"]))

    # -- checks, before any tracing of the filter ---------------------------------------------
    def validate(self, observations, params) -> None:
        """Raise ``ValueError`` if a function has not exactly one sample site, or if
        ``observations`` does not have time on its leading axis."""
        observations = jnp.asarray(observations)
        if observations.ndim == 0:
            raise ValueError("observations must have time on the leading axis, shape [T, ...]; got a scalar")
        key = jax.random.PRNGKey(0)
        x0 = self.sample_init(key, params)
        x1 = self.sample_transition(key, params, x0, 1)
        trace = handlers.trace(handlers.seed(self.emission, key)).get_trace(params, x1, 1, y=None)
        site = _single_site(self.emission, trace, "emission")
        expected = tuple(jnp.shape(site["value"]))
        if tuple(observations.shape[1:]) != expected:
            raise ValueError(
                f"observations must have time on the leading axis: expected shape [T, *{expected}] "
                f"from the emission, got {tuple(observations.shape)}"
            )
