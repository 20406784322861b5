"""Quick start: NUTS on the non-centred eight-schools model, with an ArviZ summary and trace plot.

python examples/mcmc_quickstart.py            # prints the summary, writes eight_schools_trace.png
"""

import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402

import inference  # noqa: E402
from inference._arviz import loo, plot_trace  # noqa: E402  (the same calls on ArviZ 0.x and 1.x)

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


def eight_schools(sigma, y=None):
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0))
    tau = numpyro.sample("tau", dist.HalfCauchy(5.0))
    with numpyro.plate("school", len(sigma)):
        eta = numpyro.sample("eta", dist.Normal(0.0, 1.0))
        theta = numpyro.deterministic("theta", mu + tau * eta)
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)


def main():
    t0 = time.perf_counter()
    program = inference.Program(eight_schools, jnp.asarray(SIGMA), y=jnp.asarray(Y))
    posterior = inference.mcmc(jax.random.PRNGKey(0), program, kernel="nuts", num_chains=4, progress=True)
    idata = posterior.to_arviz()  # InferenceData on ArviZ 0.x, DataTree on 1.x
    print(posterior.summary(var_names=["mu", "tau", "theta"]))
    print(f"divergences: {int(np.asarray(posterior.stats['diverging']).sum())}")
    print(f"PSIS-LOO elpd: {loo(idata).elpd:.2f}")
    plot_trace(idata, var_names=["mu", "tau"])
    matplotlib.pyplot.savefig("eight_schools_trace.png", dpi=80)
    print(f"wrote eight_schools_trace.png in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
