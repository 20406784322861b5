"""Kernels of infinitely wide networks: ``nngp``, ``ntk`` (functions) and their gpjax classes.

K = surrogates.kernels.nngp(x1, x2, depth=3, weight_var=10.0, bias_var=1.3, activation="relu")  # [n1, n2]
"""

from .gpjax_kernels import CubeKernel, NNGPKernel, NTKKernel
from .layer_maps import ACTIVATIONS, input_layer, layer_map
from .nngp import nngp
from .ntk import ntk

__all__ = ["ACTIVATIONS", "CubeKernel", "NNGPKernel", "NTKKernel", "input_layer", "layer_map", "nngp", "ntk"]
