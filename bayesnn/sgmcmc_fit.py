"""``sghmc`` and ``sgld`` for BNNs: ``inference``'s stochastic-gradient kernels on minibatches.

The target is the model's own density on its unconstrained position (``inference.Program``):
the log prior (with the log-Jacobian of the noise's transform) plus ``N/b`` times the
log-likelihood of a minibatch of ``b`` rows, built by binding the model to the minibatch
(``inference.minibatch_log_density``). Padding rows (mask False) are drawn like others and
add zero, so the estimate is unbiased for the real rows' likelihood.

Defaults follow Li, Rudner & Wilson's SGHMC configuration (pybnn's BOHAMIANN:
Springenberg et al., NeurIPS 2016): the scale-adapted SGHMC, step size 0.01, momentum
decay 0.05, 1000 burn-in steps, then 1000 steps keeping every 5th (200 networks).
Differences: a MAP-pretrained start (as for ``hmc``) and minibatches of 32 rows
(BOHAMIANN's 5 make a noisier gradient than the step size assumes on small data).
"""

from functools import partial

import jax

from inference import Program, kernels, minibatch_log_density
from inference.sgmcmc import run_sgmcmc

from .bnn import BNN
from .map import map_starts
from .posterior import SampledBNNPosterior

# sghmc and sgld options and their defaults: stochastic-gradient chains on minibatches.
_COMMON = dict(
    num_steps=1000, num_burnin=1000, thinning=5, num_chains=1, batch_size=32, pretrain_steps=1000, learning_rate=0.01
)
DEFAULTS = {"sghmc": dict(_COMMON, step_size=0.01, adaptive=True, mdecay=0.05), "sgld": dict(_COMMON, step_size=1e-4)}


def _kernel(method: str, options: dict):
    if method == "sgld":
        return kernels.sgld(step_size=options["step_size"])
    return kernels.sghmc(step_size=options["step_size"], adaptive=options["adaptive"], mdecay=options["mdecay"])


@partial(jax.jit, static_argnames=("bnn", "method", "config"))
def _fit(key, x, y, mask, *, bnn: BNN, method: str, config: tuple):
    options = dict(config)
    program = Program(bnn.model, x, y, mask)

    def log_likelihood(z, batch):
        return Program(bnn.model, *batch).log_likelihood(z)

    target = minibatch_log_density(
        program.log_prior, log_likelihood, (x, y, mask), min(options["batch_size"], x.shape[0])
    )
    num_chains = options["num_chains"]
    k_init, k_chains = jax.random.split(key)
    z0 = map_starts(k_init, program, num_chains, options["pretrain_steps"], options["learning_rate"])

    def chain(key, z):
        result = run_sgmcmc(
            key,
            _kernel(method, options),
            target,
            z,
            options["num_steps"],
            num_burnin=options["num_burnin"],
            thinning=options["thinning"],
        )
        return result.positions, result.stats

    positions, stats = jax.vmap(chain)(jax.random.split(k_chains, num_chains), z0)
    flat = positions.reshape(-1, positions.shape[-1])
    values = jax.vmap(program.constrain)(flat)
    kept = {k: v[:, options["num_burnin"] :: options["thinning"]][:, : positions.shape[1]] for k, v in stats.items()}
    return {k: values[k] for k in program.latent_names}, kept


def program(key, bnn: BNN, x, y, mask, method: str, options: dict, report=None) -> SampledBNNPosterior:
    """``method`` (``sghmc``/``sgld``) with resolved ``options`` (``bayesnn.fit``): traceable.
    ``values {site: [chains * kept, ...]}``, ``stats {name: [chains, kept]}``; ``report`` is unused."""
    values, stats = _fit(key, x, y, mask, bnn=bnn, method=method, config=tuple(sorted(options.items())))
    return SampledBNNPosterior(bnn, values, stats, method, options["num_chains"])
