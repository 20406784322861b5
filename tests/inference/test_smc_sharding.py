"""Particles along a leading axis sharded over devices give the same answer as one device.

Runs in a subprocess with four virtual CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=4``): each particle's mutation uses its own
key either way, so the sharded and the vectorised runs agree to round-off.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    jax.config.update("jax_enable_x64", True)
    import numpyro, numpyro.distributions as dist
    import inference
    assert jax.device_count() == 4, jax.devices()
    v = jnp.linspace(0.3, 1.2, 3)
    def model(y):
        x = numpyro.sample("x", dist.Normal(0.0, 1.0).expand([3]).to_event(1))
        numpyro.sample("y", dist.Normal(x, jnp.sqrt(v)).to_event(1), obs=y)
    program = inference.Program(model, jnp.array([0.5, -1.0, 2.0]))
    sharded = inference.smc(jax.random.PRNGKey(0), program, num_particles=400)
    single = inference.smc(jax.random.PRNGKey(0), program, num_particles=400, chain_method="vectorized")
    exact = float(np.sum(-0.5 * np.log(2 * np.pi * (1 + v)) - 0.5 * np.array([0.5, -1.0, 2.0]) ** 2 / (1 + v)))
    assert abs(sharded.log_evidence - single.log_evidence) < 1e-8, (sharded.log_evidence, single.log_evidence)
    assert abs(sharded.log_evidence - exact) < 0.2, (sharded.log_evidence, exact)
    print("OK", sharded.log_evidence, single.log_evidence, exact)
    """
)


def test_smc_particles_sharded_over_four_devices_match_one_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "OK" in out.stdout
