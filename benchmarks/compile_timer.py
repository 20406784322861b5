"""Compile time inside a call, from JAX's own monitoring events, so that ``run = wall − compile``
is measured the same way for every library (used by ``mcmc_vs_numpyro`` and ``gold_standard``).

Set ``jax_cpu_enable_async_dispatch`` to ``False`` in the caller: otherwise a running
computation overlaps the next trace and the subtraction is wrong.
"""

import time

import jax
import numpy as np
from jax import monitoring

_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_compile_spans: list[tuple[float, float]] = []


def _on_event(name, duration, **_):
    # Events can nest (an eagerly dispatched op traced inside a larger trace), so keep
    # each as a time interval and measure the union of the intervals.
    if name in _COMPILE_EVENTS:
        end = time.perf_counter()
        _compile_spans.append((end - duration, end))


def _union_length(spans) -> float:
    total, reach = 0.0, -np.inf
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


monitoring.register_event_duration_secs_listener(_on_event)


def timed(fn):
    """``(result, wall seconds, compile seconds)`` of ``fn()``; blocks on the result."""
    _compile_spans.clear()
    start = time.perf_counter()
    result = jax.block_until_ready(fn())
    return result, time.perf_counter() - start, _union_length(_compile_spans)


def warm_up_backend() -> None:
    """Start XLA's CPU backend with a trivial compile, so that the first sampler measured in a
    process is not charged for the process's one-time backend start-up."""
    jax.block_until_ready(jax.jit(lambda x: x + 1)(np.ones(())))
