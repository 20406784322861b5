"""NNGP Gram throughput: ``surrogates.kernels.nngp`` against BoTorch's ``InfiniteWidthBNNKernel``.

One Gram matrix ``K(X, X)`` of n = 4,000 points in d = 100 (uniform in the unit cube), depth 3,
ReLU, σ_w² = 10, σ_b² = 1.3 (Li et al. 2024's ibnn defaults), float64 in both libraries.

Conventions matched (botorch/models/kernels/infinite_width_bnn.py, botorch 0.18.1): both
start from ``K⁰ = σ_b² + σ_w² x·x′/d`` and apply ``depth`` arc-cosine layers with the same
σ_w², σ_b² (BoTorch stores them through a softplus; we set the constrained values). BoTorch
clamps the cosine to ``[−1 + acos_eps, 1 − acos_eps]`` with ``acos_eps = 1e-7`` by default,
which moves the diagonal by ≈ π·1e-7 relative; we pass ``acos_eps=1e-15``, our clamp
(``kernels.layer_maps._EDGE``), so the two compute the same function and the max abs
difference measures rounding only. BoTorch's parameters default to float32; ``.double()``.

Seconds: both in this process on the same inputs; JAX's first call (compile + run) apart
from the steady state (median of 3 calls), and BoTorch's first call and median of 3 calls,
with torch on all cores (``torch.get_num_threads()``). Peak memory: each library computes the
same Gram in a fresh subprocess, and we report its peak resident set (`/proc/self/statm`)
above the level just before the call, sampled every millisecond: the output alone is
n² · 8 B = 122 MiB.

    python benchmarks/kernel_throughput.py     # writes benchmarks/results/kernel_throughput.json
"""

import json
import pathlib
import resource
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
from machine import machine_info

N, D, DEPTH, WEIGHT_VAR, BIAS_VAR, ACOS_EPS = 4_000, 100, 3, 10.0, 1.3, 1e-15
REPEATS = 3


def inputs() -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(N, D))


def jax_gram_fn():
    import jax

    import surrogates  # noqa: F401  (float64)
    from surrogates.kernels import nngp

    def gram(X):
        K = nngp(X, X, depth=DEPTH, weight_var=WEIGHT_VAR, bias_var=BIAS_VAR, activation="relu")
        return jax.block_until_ready(K)

    return gram, lambda X: jax.numpy.asarray(X, jax.numpy.float64)


def torch_gram_fn():
    import torch
    from botorch.models.kernels import InfiniteWidthBNNKernel

    kernel = InfiniteWidthBNNKernel(depth=DEPTH, acos_eps=ACOS_EPS).double()
    kernel.weight_var, kernel.bias_var = WEIGHT_VAR, BIAS_VAR

    def gram(X):
        with torch.no_grad():
            return kernel.forward(X, X)

    return gram, lambda X: torch.as_tensor(X, dtype=torch.float64)


def current_rss_bytes() -> int:
    """Resident set size now, from ``/proc/self/statm`` (pages)."""
    return int(pathlib.Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()


def memory_worker(library: str) -> None:
    """Subprocess body: one Gram, then print the peak RSS above the level just before it (bytes).

    ``ru_maxrss`` cannot be reset, and importing jax, torch and botorch peaks above what one
    Gram adds, so a thread samples the current RSS every millisecond during the call instead.
    """
    gram, convert = (jax_gram_fn if library == "jax" else torch_gram_fn)()
    X = convert(inputs())
    baseline = current_rss_bytes()
    peak, done = [baseline], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], current_rss_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    K = gram(X)
    done.set()
    sampler.join()
    peak[0] = max(peak[0], current_rss_bytes())
    del K
    print(json.dumps({"baseline_rss_bytes": baseline, "peak_rss_bytes": peak[0]}))


def peak_memory(library: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory", library], check=True, capture_output=True, text=True
    ).stdout
    rec = json.loads(out.strip().splitlines()[-1])
    rec["peak_above_baseline_mb"] = (rec["peak_rss_bytes"] - rec["baseline_rss_bytes"]) / 2**20
    return rec


def seconds(gram, X) -> tuple[dict, object]:
    start = time.perf_counter()
    K = gram(X)
    first = time.perf_counter() - start
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        K = gram(X)
        runs.append(time.perf_counter() - start)
    return {"first_call_seconds": first, "steady_seconds": statistics.median(runs), "runs": runs}, K


def main():
    import torch

    out = pathlib.Path(__file__).parent / "results" / "kernel_throughput.json"
    X = inputs()
    start = machine_info()
    jax_gram, jax_convert = jax_gram_fn()
    torch_gram, torch_convert = torch_gram_fn()
    jax_t, K_jax = seconds(jax_gram, jax_convert(X))
    jax_t["compile_seconds"] = jax_t["first_call_seconds"] - jax_t["steady_seconds"]
    print("jax", jax_t, flush=True)
    torch_t, K_torch = seconds(torch_gram, torch_convert(X))
    print("botorch", torch_t, flush=True)
    K_jax, K_torch = np.asarray(K_jax), K_torch.numpy()
    diff = np.abs(K_jax - K_torch)
    agreement = {
        "max_abs_difference": float(diff.max()),
        "max_abs_difference_over_max_abs_K": float(diff.max() / np.abs(K_torch).max()),
        "max_abs_K": float(np.abs(K_torch).max()),
    }
    print("agreement", agreement, flush=True)
    memory = {"jax": peak_memory("jax"), "botorch": peak_memory("torch")}
    print("memory", memory, flush=True)
    results = {
        "machine": machine_info(
            start,
            torch=torch.__version__,
            torch_threads=torch.get_num_threads(),
            botorch=__import__("botorch").__version__,
        ),
        "config": {
            "n": N,
            "d": D,
            "depth": DEPTH,
            "activation": "relu",
            "weight_var": WEIGHT_VAR,
            "bias_var": BIAS_VAR,
            "acos_eps": ACOS_EPS,
            "dtype": "float64",
            "repeats": REPEATS,
        },
        "modbayes_nngp": {**jax_t, "peak_memory": memory["jax"]},
        "botorch_infinite_width_bnn": {**torch_t, "peak_memory": memory["botorch"]},
        "steady_seconds_ratio_modbayes_over_botorch": jax_t["steady_seconds"] / torch_t["steady_seconds"],
        "peak_memory_ratio_modbayes_over_botorch": memory["jax"]["peak_above_baseline_mb"]
        / memory["botorch"]["peak_above_baseline_mb"],
        "agreement": agreement,
    }
    out.write_text(json.dumps(results, indent=1))
    print("wrote", out)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        memory_worker(sys.argv[2])
    else:
        main()
