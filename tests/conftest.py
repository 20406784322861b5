"""Test-session set-up: float64 everywhere (reference formulas are evaluated in float64)."""

import jax

jax.config.update("jax_enable_x64", True)
