"""``fit(key, bnn, x, y, method=...)``: one entry point for every BNN inference method.

Arguments are checked here, before anything is traced; each method lives in its own
module and is one jitted program whose arguments are the data (so refits on data of
the same size reuse it). Method defaults follow Li, Rudner & Wilson (ICLR 2024).
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

from inference.progress import progress_callback
from inference.validation import check_fraction, check_positive_int

from . import ensemble, laplace, mcmc_fit, sgmcmc_fit
from .bnn import BNN

# The method table: each module holds its methods' ``DEFAULTS`` (the options ``fit`` accepts,
# by name) and one traceable ``program(key, bnn, x, y, mask, method, options, report=None)``.
_MODULES = {
    "nuts": mcmc_fit,
    "hmc": mcmc_fit,
    "sghmc": sgmcmc_fit,
    "sgld": sgmcmc_fit,
    "ensemble": ensemble,
    "laplace": laplace,
}
DEFAULTS = {method: module.DEFAULTS[method] for method, module in _MODULES.items()}
# Warmup's starting inverse mass for nuts/hmc: the Fisher + prior curvature (bayesnn.mass) or I.
INITIAL_MASSES = ("fisher", "identity")
METHODS = tuple(_MODULES)
_INT_OPTIONS = {"num_warmup": 0, "num_samples": 1, "num_chains": 1, "thinning": 1, "max_tree_depth": 1}
_INT_OPTIONS |= {"pretrain_steps": 0, "num_members": 1, "train_steps": 1, "num_steps": 1, "num_burnin": 0}
_INT_OPTIONS |= {"batch_size": 1}


def check_data(x, y, mask, bnn: BNN):
    """``x: [n, d]`` float, ``y: [n]``, ``mask: [n]`` bool or None -> jax arrays (mask all True when None)."""
    x_np = np.asarray(x)
    if x_np.ndim != 2 or x_np.shape[0] == 0 or not np.issubdtype(x_np.dtype, np.number):
        raise ValueError(f"x must be a numeric array [n, d] with n >= 1, got shape {x_np.shape}")
    if not np.all(np.isfinite(x_np)):
        raise ValueError("x must be finite; found NaN or inf")
    y_np = np.asarray(y)
    if y_np.ndim != 1 or y_np.shape[0] != x_np.shape[0]:
        raise ValueError(f"y must have shape [n] = ({x_np.shape[0]},) to match x {x_np.shape}, got {y_np.shape}")
    if not np.issubdtype(y_np.dtype, np.number) or not np.all(np.isfinite(y_np)):
        raise ValueError("y must be finite numbers; found NaN, inf or a non-numeric value")
    if bnn.likelihood == "bernoulli" and not np.all(np.isin(y_np, (0, 1))):
        raise ValueError("y must be 0 or 1 for likelihood='bernoulli'")
    if bnn.likelihood == "categorical" and not (
        np.all(y_np == np.round(y_np)) and y_np.min() >= 0 and y_np.max() < bnn.num_classes
    ):
        raise ValueError(f"y must be integer labels in [0, {bnn.num_classes}) for likelihood='categorical'")
    if mask is None:
        mask_np = np.ones(x_np.shape[0], bool)
    else:
        mask_np = np.asarray(mask)
        if mask_np.shape != (x_np.shape[0],) or mask_np.dtype != bool:
            raise ValueError(
                f"mask must be a boolean array of shape ({x_np.shape[0]},), got {mask_np.dtype} {mask_np.shape}"
            )
        if not mask_np.any():
            raise ValueError("mask must keep at least one row")
    # JAX's default float: float64 with jax_enable_x64 (as surrogates sets), else float32.
    real = jax.dtypes.canonicalize_dtype(jnp.float64)
    y_dtype = jnp.int32 if bnn.likelihood == "categorical" else real
    return jnp.asarray(x_np, real), jnp.asarray(y_np, y_dtype), jnp.asarray(mask_np)


def resolve_options(method: str, options: dict) -> dict:
    """The method's defaults updated with ``options``; unknown names and bad values raise."""
    if method not in DEFAULTS:
        return dict(options)
    unknown = set(options) - set(DEFAULTS[method])
    if unknown:
        raise TypeError(f"unknown option(s) {sorted(unknown)} for method={method!r}; known: {sorted(DEFAULTS[method])}")
    resolved = {**DEFAULTS[method], **options}
    for name, minimum in _INT_OPTIONS.items():
        if resolved.get(name) is not None:
            resolved[name] = check_positive_int(resolved[name], name, minimum=minimum)
    if resolved.get("initial_mass", "fisher") not in INITIAL_MASSES:
        raise ValueError(f"initial_mass must be one of {INITIAL_MASSES}, got {resolved['initial_mass']!r}")
    if "train_fraction" in resolved:
        resolved["train_fraction"] = check_fraction(resolved["train_fraction"], "train_fraction")
    return resolved


def fit(key: jax.Array, bnn: BNN, x, y, method: str = "nuts", *, mask=None, progress: bool = False, **options):
    """Posterior inference for ``bnn`` on ``x: [n, d]``, ``y: [n]``.

    Args:
        key: a PRNG key.
        bnn: a ``bayesnn.BNN``.
        x, y: inputs and targets (targets are used as given: standardise them yourself
            for a Gaussian likelihood; the BO surrogates do).
        method: ``nuts``, ``hmc`` (``inference.mcmc`` kernels, MAP-pretrained start),
            ``sghmc``, ``sgld`` (stochastic-gradient kernels on minibatches),
            ``ensemble`` (deep ensemble of MAP networks) or ``laplace`` (linearised Laplace).
        mask: ``[n]`` bool; False rows are padding and leave the posterior unchanged.
        progress: a progress bar (sampling methods; recompiles once per setting).
        **options: the method's settings; ``bayesnn.fit.DEFAULTS[method]`` lists them.

    Returns:
        a ``BNNPosterior`` with ``predict(x) -> (mean [m], var [m])``, ``sample(key, x, n) -> [n, m]``
        and, for the sampling methods and ensembles, ``to_arviz()``.
    """
    if not isinstance(bnn, BNN):
        raise TypeError(f"bnn must be a bayesnn.BNN, got {type(bnn).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x, y, mask = check_data(x, y, mask, bnn)
    options = resolve_options(method, options)
    # A progress bar for the samplers with warmup, whose steps are counted inside the program.
    total = mcmc_fit.num_steps(options) if _MODULES[method] is mcmc_fit else 0
    start = time.perf_counter()
    with progress_callback(total, enabled=progress and total > 0, desc=f"bayesnn {method}") as report:
        program = _MODULES[method].program
        posterior = program(key, bnn, x, y, mask, method, options, report=report if progress and total else None)
        posterior = jax.block_until_ready(posterior)
    return posterior.with_timings({"fit": time.perf_counter() - start})


def fit_traced(key: jax.Array, bnn: BNN, x: jax.Array, y: jax.Array, mask: jax.Array, method: str, options: dict):
    """``fit`` as a pure JAX function, for callers that trace it (``jit``, ``lax.scan``, ``vmap``).

    ``x: [n, d]``, ``y: [n]`` and ``mask: [n]`` are used as given (no checks) and
    ``options`` must be ``resolve_options(method, ...)``'s result; there is no progress
    bar and ``timings`` is empty. Same posterior as ``fit`` for the same arguments.
    """
    if method not in _MODULES:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return _MODULES[method].program(key, bnn, x, y, mask, method, options)
