"""``mcmc`` must not hang on a log density with a Cholesky in it (#20).

Before the fix, the warmup's step-size search vmapped 8 probes inside the vmapped chains,
which batched the user's LAPACK calls a second time; jaxlib's CPU thread pool then
deadlocked in a batched ``trsm``, and the process sat at 0% CPU forever. The density is
inference-gym's SyntheticLogGaussianCoxProcess, where the freeze was found: under the old code
its first run froze in 3 tries of 3, while hand-written float32 Cholesky densities of the
same size froze in 1 run of 24, too rarely for a test. It runs in a subprocess so that a hang fails the test
instead of the test session.
"""

import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("lgcp_chains.py")
REPEATS = 2  # before the fix, the first run froze in 3 of 3 tries (during warmup)
NUM_SAMPLES = 100  # the default warmup (1000 steps) is where the freeze was; fewer draws keep CI short
# A run takes ~20 s alone on 2 cores, but XLA's threads spin when the cores are oversubscribed
# (the other xdist worker): a run then took several minutes. A hang never ends.
TIMEOUT_S = 600


def test_default_mcmc_on_a_cholesky_density_finishes_every_time():
    pytest.importorskip("inference_gym")
    env = os.environ | {"JAX_ENABLE_X64": "0"}  # the deadlock was seen in float32
    try:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), str(REPEATS), str(NUM_SAMPLES)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
        )
    except subprocess.TimeoutExpired as hang:
        finished = (hang.stdout or b"").decode() if isinstance(hang.stdout, bytes) else (hang.stdout or "")
        pytest.fail(f"mcmc hung: {finished.count('finished')} of {REPEATS} runs finished in {TIMEOUT_S} s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("finished") == REPEATS
