"""A ``Program`` from a plain log-likelihood and a prior given as NumPyro distributions.

BlackJAX's SMC takes ``logprior_fn`` and ``loglikelihood_fn``; tempering needs the two
apart, and drawing the first population needs a sampler for the prior. A dict of
NumPyro distributions gives all three (sampler, log density, support), so a user with
a raw density gets the same ``Program`` as a NumPyro model would give: constrained
sites are unconstrained with their Jacobian, and the likelihood is a factor site
that tempering scales.
"""

from collections.abc import Callable, Mapping

import numpyro
from numpyro.distributions import Distribution

from .program import Program

LIKELIHOOD_SITE = "log_likelihood"
SINGLE_SITE = "x"


def _check_prior(prior) -> dict[str, Distribution]:
    if isinstance(prior, Distribution):
        return {SINGLE_SITE: prior}
    if not isinstance(prior, Mapping) or not prior:
        raise TypeError(
            "prior must be a numpyro Distribution or a non-empty dict {site name: Distribution}, "
            f"got {type(prior).__name__}"
        )
    for name, d in prior.items():
        if not isinstance(name, str) or not isinstance(d, Distribution):
            raise TypeError(f"prior[{name!r}] must be a numpyro Distribution keyed by a str, got {type(d).__name__}")
        if name == LIKELIHOOD_SITE:
            raise ValueError(f"prior may not have a site named {LIKELIHOOD_SITE!r}: the likelihood factor uses it")
    return dict(prior)


def density_program(log_likelihood_fn: Callable, prior) -> Program:
    """``Program`` for ``p(x) ∝ prior(x) · exp(log_likelihood_fn(x))``.

    Args:
        log_likelihood_fn: ``position -> scalar``, where ``position`` is a dict
            ``{name: array}`` shaped like the prior's draws, or the array itself when
            ``prior`` is a single distribution.
        prior: a ``numpyro.distributions.Distribution`` (one site, named ``"x"`` in the
            samples) or a dict ``{name: Distribution}``; use ``.expand([d])`` or
            ``.to_event`` for vector sites.
    """
    if not callable(log_likelihood_fn):
        raise TypeError(f"log_likelihood_fn must be callable, got {type(log_likelihood_fn).__name__}")
    sites = _check_prior(prior)
    single = isinstance(prior, Distribution)

    def model():
        position = {name: numpyro.sample(name, d) for name, d in sites.items()}
        numpyro.factor(LIKELIHOOD_SITE, log_likelihood_fn(position[SINGLE_SITE] if single else position))

    model.__name__ = getattr(log_likelihood_fn, "__name__", "log_likelihood")
    return Program(model)
