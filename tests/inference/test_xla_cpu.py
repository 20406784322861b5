"""``inference.xla_cpu``: the XLA flag that avoids the CPU runtime's intra-op deadlock."""

import os
import subprocess
import sys

from inference.xla_cpu import FLAG, avoid_intra_op_deadlock


def test_flag_is_added_and_user_choices_are_kept(monkeypatch):
    monkeypatch.delenv("MODBAYES_XLA_FLAGS", raising=False)
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
    avoid_intra_op_deadlock()
    assert os.environ["XLA_FLAGS"] == f"--xla_force_host_platform_device_count=4 {FLAG}"
    avoid_intra_op_deadlock()  # idempotent
    assert os.environ["XLA_FLAGS"].count("multi_thread_eigen") == 1
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
    avoid_intra_op_deadlock()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_multi_thread_eigen=true"
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setenv("MODBAYES_XLA_FLAGS", "keep")
    avoid_intra_op_deadlock()
    assert os.environ["XLA_FLAGS"] == ""


def test_importing_surrogates_sets_the_flag_before_the_backend_exists():
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "MODBAYES_XLA_FLAGS")}
    code = "import os, surrogates, jax.numpy as jnp; jnp.ones(2).block_until_ready(); print(os.environ['XLA_FLAGS'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == FLAG
