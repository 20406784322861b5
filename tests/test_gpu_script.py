"""``benchmarks/gpu.py`` fails fast without a GPU, and its section of the report renders."""

import importlib.util
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_without_a_gpu_it_exits_2_before_any_benchmark(tmp_path):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    out = tmp_path / "gpu.json"
    done = subprocess.run(
        [sys.executable, "gpu.py", "--out", str(out)],
        cwd=ROOT / "benchmarks",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "JAX sees no GPU" in done.stderr and "--cpu-dry-run" in done.stderr
    assert not out.exists()


def test_the_report_renders_a_gpu_results_file(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("gpu", ROOT / "benchmarks" / "gpu.py")
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    data = {
        "device": "NVIDIA H100",
        "compiled_bo": [{"surrogate": "gp", "n": 128, "seconds_per_iteration": 0.01, "compile_s": 3.0}],
        "nuts_vs_numpyro": [{"problem": "eight_schools", "ess/s ratio vs numpyro (vectorized)": 2.0}],
        "smc_vs_blackjax": {"wall_time_ratio_modbayes_over_blackjax": 0.5},
        "nngp_gram": {"n": 20000, "d": 100, "first_call_s": 2.0, "steady_s": 0.5},
    }
    text = gpu.render(data)
    assert "Device: NVIDIA H100." in text and "| gp | 128 | 0.01 | 3 |" in text
    assert "eight_schools: ess/s ratio vs numpyro (vectorized) 2" in text and "n = 20000" in text
