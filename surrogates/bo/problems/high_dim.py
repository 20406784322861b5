"""High-dimensional draws from random function classes (Li, Rudner & Wilson, ICLR 2024).

"A study of Bayesian neural network surrogates for Bayesian optimization" tests
surrogates on functions drawn from a neural-network prior and on random
polynomials. We fix one draw per dimension (seeded), so a name such as
``bnn_draw50`` is a deterministic function; the global minimum is not known.
Our constructions follow the idea, not the paper's exact code.
"""

import numpy as np

from .synthetic import array_module, as_value


class BNNDraw:
    """A fixed random tanh MLP ``[0,1]^d -> R`` with two hidden layers of ``width`` units.

    Weights ~ N(0, 1/fan_in) (standard parameterisation), biases ~ N(0, 0.1²); the
    input is mapped to ``[-1, 1]^d`` first. Seeded by ``seed`` and ``d``.
    """

    def __init__(self, d: int, width: int = 256, seed: int = 0):
        rng = np.random.default_rng([seed, d, width])
        self.W1 = rng.normal(size=(d, width)) / np.sqrt(d)
        self.b1 = 0.1 * rng.normal(size=width)
        self.W2 = rng.normal(size=(width, width)) / np.sqrt(width)
        self.b2 = 0.1 * rng.normal(size=width)
        self.w3 = rng.normal(size=width) / np.sqrt(width)

    def __call__(self, x) -> float:
        xp = array_module(x)
        h = xp.tanh((2 * xp.asarray(x, float) - 1) @ self.W1 + self.b1)
        h = xp.tanh(h @ self.W2 + self.b2)
        return as_value(h @ self.w3)


class PolyDraw:
    """A fixed random sparse polynomial of degree ≤ 3 on ``[0,1]^d``.

    ``f(z) = Σ_i a_i z_i + Σ_i b_i z_i² + Σ_{(i,j)} c_ij z_i z_j + Σ_{(i,j,k)} e_ijk z_i z_j z_k``
    with ``z = 2x − 1``, ``d`` random pairs and ``d`` random triples, coefficients
    ~ N(0, 1). Seeded by ``seed`` and ``d``.
    """

    def __init__(self, d: int, seed: int = 0):
        rng = np.random.default_rng([seed, d, 3])
        self.a, self.b = rng.normal(size=d), rng.normal(size=d)
        self.pairs, self.c = rng.integers(0, d, size=(d, 2)), rng.normal(size=d)
        self.triples, self.e = rng.integers(0, d, size=(d, 3)), rng.normal(size=d)

    def __call__(self, x) -> float:
        xp = array_module(x)
        z = 2 * xp.asarray(x, float) - 1
        value = self.a @ z + self.b @ z**2
        value += self.c @ xp.prod(z[self.pairs], axis=1) + self.e @ xp.prod(z[self.triples], axis=1)
        return as_value(value)
