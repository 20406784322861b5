"""modbayes ``surrogates``: surrogate models behind one protocol (DESIGN.md §4).

    s = surrogates.get("gp")                  # or surrogates.GP(...)
    post = s.fit(key, X, y)                   # X: [n, d] in the unit cube, y: [n]
    mean, var = post.predict(Xq)              # latent f: [m], [m]
    F = post.sample(key, Xq, num_samples)     # joint draws of f: [num_samples, m]

Importing this package turns on JAX's float64 mode (``jax_enable_x64``): Gram
matrices of near-duplicate points, and the log-space acquisition values built on
them, lose their meaning in float32. This is the one global setting modbayes
makes (DESIGN.md §6); arrays you create yourself keep the dtype you give them.
"""

import jax

jax.config.update("jax_enable_x64", True)

from .bnn import BNNSurrogate  # noqa: E402
from .cross_validate import CrossValidation, cross_validate  # noqa: E402
from .dkl import DKL, DKLPosterior  # noqa: E402
from .dkm import DKM, DKMPosterior  # noqa: E402
from .gp import GP  # noqa: E402
from .gp_posterior import GPPosterior  # noqa: E402
from .kernel_gp import IBNN, NTKGP, KernelGP, KernelGPPosterior  # noqa: E402
from .protocol import Posterior, Surrogate  # noqa: E402
from .registry import get, names, register  # noqa: E402
from .saved_options import OPTIONS_VERSION, check_saved_options  # noqa: E402
from .scale_mixture import ScaleMixtureGP, ScaleMixturePosterior  # noqa: E402
from .student_t import StudentT, StudentTPosterior  # noqa: E402

__all__ = [
    "GP",
    "GPPosterior",
    "Posterior",
    "Surrogate",
    "get",
    "names",
    "register",
    "cross_validate",
    "OPTIONS_VERSION",
    "check_saved_options",
    "CrossValidation",
    # wide-network kernel surrogates
    "IBNN",
    "NTKGP",
    "KernelGP",
    "KernelGPPosterior",
    "StudentT",
    "StudentTPosterior",
    "DKM",
    "DKMPosterior",
    "DKL",
    "DKLPosterior",
    "ScaleMixtureGP",
    "ScaleMixturePosterior",
    # Bayesian neural networks (bayesnn)
    "BNNSurrogate",
]
