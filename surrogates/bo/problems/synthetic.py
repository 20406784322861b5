"""Single-objective test functions, minimisation convention, as in BoTorch's ``test_functions.synthetic``.

Each takes one point ``x: [d]`` and returns a float for a numpy (or list) input, and a
traced scalar for a JAX array, so the same function serves the Python loop and
``minimize_compiled``. Formulas, bounds and
optima follow Surjanovic & Bingham's Virtual Library of Simulation Experiments
(sfu.ca/~ssurjano) and BoTorch (``botorch.test_functions.synthetic``).
"""

import jax
import jax.numpy as jnp
import numpy as np

_HARTMANN = {
    3: (
        np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]),
        1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]),
    ),
    6: (
        np.array(
            [
                [10, 3, 17, 3.5, 1.7, 8],
                [0.05, 10, 17, 0.1, 8, 14],
                [3, 3.5, 1.7, 10, 17, 8],
                [17, 8, 0.05, 10, 0.1, 14],
            ]
        ),
        1e-4
        * np.array(
            [
                [1312, 1696, 5569, 124, 8283, 5886],
                [2329, 4135, 8307, 3736, 1004, 9991],
                [2348, 1451, 3522, 2883, 3047, 6650],
                [4047, 8828, 8732, 5743, 1091, 381],
            ]
        ),
    ),
}
_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def array_module(x):
    """``jax.numpy`` for a JAX array (or tracer), else ``numpy``."""
    return jnp if isinstance(x, jax.Array) else np


def as_value(value):
    """A Python float for numpy results; JAX values pass through (they may be traced)."""
    return value if isinstance(value, jax.Array) else float(value)


def branin(x):
    """Branin on ``[-5, 10] × [0, 15]``; minimum 0.397887 at (−π, 12.275), (π, 2.275), (9.42478, 2.475)."""
    xp = array_module(x)
    x1, x2 = xp.asarray(x, float)
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return as_value((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * xp.cos(x1) + 10)


def hartmann(x):
    """Hartmann 3-D or 6-D on ``[0, 1]^d``; minima −3.86278 (d = 3) and −3.32237 (d = 6)."""
    xp = array_module(x)
    x = xp.asarray(x, float)
    A, P = _HARTMANN[x.shape[0]]
    return as_value(-xp.sum(_HARTMANN_ALPHA * xp.exp(-xp.sum(A * (x - P) ** 2, axis=1))))


def ackley(x):
    """Ackley on ``[-32.768, 32.768]^d``; minimum 0 at the origin."""
    xp = array_module(x)
    x = xp.asarray(x, float)
    a, b, c = 20.0, 0.2, 2 * np.pi
    return as_value(-a * xp.exp(-b * xp.sqrt(xp.mean(x**2))) - xp.exp(xp.mean(xp.cos(c * x))) + a + np.e)


def levy(x):
    """Levy on ``[-10, 10]^d``; minimum 0 at ``x = 1``."""
    xp = array_module(x)
    w = 1 + (xp.asarray(x, float) - 1) / 4
    head = xp.sin(np.pi * w[0]) ** 2
    body = xp.sum((w[:-1] - 1) ** 2 * (1 + 10 * xp.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + xp.sin(2 * np.pi * w[-1]) ** 2)
    return as_value(head + body + tail)


def rosenbrock(x):
    """Rosenbrock on ``[-5, 10]^d``; minimum 0 at ``x = 1``."""
    xp = array_module(x)
    x = xp.asarray(x, float)
    return as_value(xp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))


def styblinski_tang(x):
    """Styblinski–Tang on ``[-5, 5]^d``; minimum −39.166166·d at ``x = −2.903534``."""
    xp = array_module(x)
    x = xp.asarray(x, float)
    return as_value(0.5 * xp.sum(x**4 - 16 * x**2 + 5 * x))


def michalewicz(x, m: int = 10):
    """Michalewicz on ``[0, π]^d``; minima −1.8013 (d = 2), −4.687658 (5), −9.66015 (10)."""
    xp = array_module(x)
    x = xp.asarray(x, float)
    i = xp.arange(1, x.shape[0] + 1)
    return as_value(-xp.sum(xp.sin(x) * xp.sin(i * x**2 / np.pi) ** (2 * m)))


MICHALEWICZ_OPTIMA = {2: -1.80130341, 5: -4.687658, 10: -9.66015}
