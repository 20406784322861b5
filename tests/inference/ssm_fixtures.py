"""A linear-Gaussian state-space model with exact Kalman answers, shared by the SMC tests.

x_0 ~ N(0, 1); x_t = a x_{t-1} + N(0, q); y_t = x_t + N(0, r).
"""

import numpy as np
import numpyro
import numpyro.distributions as dist

import inference

Q, R, T, A_TRUE = 0.5, 0.8, 50, 0.9


def simulate(seed: int = 2, a: float = A_TRUE, num_steps: int = T) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, ys = 0.0, []
    for _ in range(num_steps):
        x = a * x + np.sqrt(Q) * rng.normal()
        ys.append(x + np.sqrt(R) * rng.normal())
    return np.array(ys)


def kalman_log_likelihood(ys: np.ndarray, a: float) -> float:
    """Exact log p(y_{1:T} | a) (DESIGN.md §7: predict, innovation, S = P + r)."""
    m, p, ll = 0.0, 1.0, 0.0
    for y in ys:
        m, p = a * m, a * a * p + Q
        s = p + R
        ll += -0.5 * (np.log(2 * np.pi * s) + (y - m) ** 2 / s)
        k = p / s
        m, p = m + k * (y - m), (1 - k) * p
    return ll


def init(params):
    return numpyro.sample("x0", dist.Normal(0.0, 1.0))


def transition(params, x_prev, t):
    return numpyro.sample("x", dist.Normal(params["a"] * x_prev, np.sqrt(Q)))


def emission(params, x, t, y=None):
    return numpyro.sample("y", dist.Normal(x, np.sqrt(R)), obs=y)


SSM = inference.StateSpaceModel(init=init, transition=transition, emission=emission)


def prior():
    numpyro.sample("a", dist.Uniform(-1.0, 1.0))


def exact_posterior_on_grid(ys: np.ndarray):
    """(log Z, posterior mean, posterior sd) of a under the Uniform(-1, 1) prior by quadrature."""
    grid = np.linspace(-0.9999, 0.9999, 2001)
    ll = np.array([kalman_log_likelihood(ys, a) for a in grid])
    dens = np.exp(ll - ll.max())
    z = np.trapezoid(dens, grid)
    mean = np.trapezoid(dens * grid, grid) / z
    sd = np.sqrt(np.trapezoid(dens * grid**2, grid) / z - mean**2)
    return np.log(z) + ll.max() + np.log(0.5), mean, sd
